"""REFI-QDA projects out and in: schema-valid exports, hand-built fixtures, the round trip."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from lxml import etree

from tests.conftest import write
from workbench.cli import main
from workbench.core.session import CodingSession
from workbench.core.spreadsheet import import_decisions_csv
from workbench.core.store import Project
from workbench.core.store.importing import import_metadata_file, import_transcript_file
from workbench.core.store.queries import list_transcripts, passages_of
from workbench.core.store.suggestions import record_run, save_suggestions, suggestions_for
from workbench.interop.refi_export import export_qdpx
from workbench.interop.refi_import import import_refi
from workbench.interop.refi_offsets import OffsetMap
from workbench.interop.refi_plan import plan_refi_import
from workbench.interop.refi_read import decode_source
from workbench.interop.refi_schema import PROJECT_NS, schema_errors
from workbench.suggest.engine import Suggestion

INTERVIEW = (
    "Interviewer: How do you use AI?\n\nParticipant: For drafts, and für Übersetzungen ☕.\n\n"
    "Interviewer: And?\n\nParticipant: Fear of losing the craft.\n"
)
N = {"q": PROJECT_NS}


@pytest.fixture
def study(tmp_path, project):
    """Two human coders, an engine whose suggestion one accepted and one edited, memos."""
    import_transcript_file(project, write(tmp_path / "p1.txt", INTERVIEW))
    import_metadata_file(project, write(tmp_path / "m.csv", "transcript_id,group\np1,creatives\n"))
    import_decisions_csv(
        project,
        write(
            tmp_path / "d.csv",
            "passage_id,coder,code\np1#2,ana,prod.speed\np1#2,ana,hope.time\np1#4,ben,prod.speed\n",
        ),
    )
    with project.reading() as conn:
        passages = list(passages_of(conn, [t.id for t in list_transcripts(conn)]))
    fourth = passages[3].id
    with project.transaction() as conn:
        save_suggestions(
            conn,
            [
                Suggestion(
                    fourth,
                    "fear.atrophy",
                    0.87,
                    "losing the craft",
                    8,
                    24,
                    "names the fear",
                    "local",
                    "tfidf-1",
                    "p1",
                )
            ],
            project.codebook.version,
        )
        record_run(conn, [fourth], project.codebook.version, "local", "tfidf-1", "p1", "local")
    with project.reading() as conn:
        suggestion = suggestions_for(conn, [fourth])[fourth][0]
    ana = CodingSession(project, "ana")
    ana.apply_code(fourth, "fear.atrophy", suggestion_id=suggestion.id)
    ana.save_memo(fourth, "Craft: compare with p7.")
    CodingSession(project, "ben").replace_code(fourth, "prod.speed", "fear.atrophy", suggestion.id)
    return project


def _qde(path: Path) -> etree._Element:
    with zipfile.ZipFile(path) as archive:
        return etree.fromstring(archive.read("project.qde"))


def _shape(path: Path) -> dict[str, object]:
    """What a round trip must keep: codes, sources and codings, by name and position."""
    root = _qde(path)
    users = {u.get("guid"): u.get("name") for u in root.iterfind(".//q:User", N)}

    def codes(parent, prefix=""):  # type: ignore[no-untyped-def]
        found = []
        for code in parent.iterfind("q:Code", N):
            path_name = prefix + "/" + code.get("name")
            found.append((path_name, code.get("color"), code.findtext("q:Description", "", N)))
            found += codes(code, path_name)
        return found

    tree = codes(root.find("q:CodeBook/q:Codes", N))
    names = {c.get("guid"): c.get("name") for c in root.iterfind(".//q:Code", N)}
    with zipfile.ZipFile(path) as archive:
        sources = {
            s.get("name"): archive.read("sources/" + s.get("plainTextPath")[len("internal://") :])
            for s in root.iterfind("q:Sources/q:TextSource", N)
        }
    codings = sorted(
        (
            source.get("name"),
            int(sel.get("startPosition")),
            int(sel.get("endPosition")),
            users[coding.get("creatingUser")],
            names[coding.find("q:CodeRef", N).get("targetGUID")],
        )
        for source in root.iterfind("q:Sources/q:TextSource", N)
        for sel in source.iterfind("q:PlainTextSelection", N)
        for coding in sel.iterfind("q:Coding", N)
    )
    return {"codes": tree, "sources": sources, "codings": codings}


def test_export_is_valid_refi_qda_with_every_coder_at_exact_offsets(tmp_path, study):
    out = tmp_path / "study.qdpx"
    result = export_qdpx(study, out)
    with zipfile.ZipFile(out) as archive:
        document = archive.read("project.qde")
        names = archive.namelist()
    assert schema_errors(document) == []
    root = etree.fromstring(document)
    assert root.tag == f"{{{PROJECT_NS}}}Project" and root.nsmap[None] == "urn:QDA-XML:project:1.0"
    users = {u.get("name"): u.get("guid") for u in root.iterfind(".//q:User", N)}
    assert set(users) == {"ana", "ben", "engine:local"}
    source = root.find("q:Sources/q:TextSource", N)
    text = zipfile.ZipFile(out).read(f"sources/{source.get('plainTextPath')[11:]}").decode("utf-8")
    assert text == INTERVIEW and len(names) == 2
    by_coder: dict[str, list[str]] = {}
    for selection in source.iterfind("q:PlainTextSelection", N):
        start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
        for coding in selection.iterfind("q:Coding", N):
            assert coding.get("creatingUser") == selection.get("creatingUser")
            assert coding.get("creationDateTime").endswith("Z")
            coder = next(n for n, g in users.items() if g == coding.get("creatingUser"))
            by_coder.setdefault(coder, []).append(text[start:end])
    assert sorted(by_coder["ana"]) == sorted(
        ["For drafts, and für Übersetzungen ☕."] * 2 + ["Fear of losing the craft."]
    )
    assert by_coder["engine:local"] == ["Fear of losing the craft."]
    notes = [n.findtext("q:PlainTextContent", "", N) for n in root.iterfind(".//q:Note", N)]
    provenance = next(n for n in notes if "tfidf-1" in n)
    assert "confidence 0.87" in provenance and "Accepted by ana." in provenance
    assert "Edited by ben: coded fear.atrophy instead." in provenance
    assert "Craft: compare with p7." in notes
    value = source.find("q:VariableValue", N)
    assert value.findtext("q:TextValue", "", N) == "creatives"
    assert (result.users, result.sources, result.codings) == (3, 1, 5)


def test_export_twice_gives_the_same_bytes(tmp_path, study):
    export_qdpx(study, tmp_path / "a.qdpx")
    export_qdpx(study, tmp_path / "b.qdpx")
    assert (tmp_path / "a.qdpx").read_bytes() == (tmp_path / "b.qdpx").read_bytes()


def test_round_trip_keeps_codes_sources_and_codings(tmp_path, study):
    first = tmp_path / "first.qdpx"
    export_qdpx(study, first)
    assert main(["new", str(tmp_path / "copy.wb"), "--from", str(first)]) == 0
    with Project.open(tmp_path / "copy.wb") as copy:
        export_qdpx(copy, tmp_path / "second.qdpx")
        assert copy.status()["decisions"] == 4  # the engine's coding is not a decision
        with copy.reading() as conn:
            ids = [p.id for p in passages_of(conn, [t.id for t in list_transcripts(conn)])]
            suggested = [s for found in suggestions_for(conn, ids).values() for s in found]
    assert [(s.code_id, s.engine, s.model, s.confidence, s.rationale) for s in suggested] == [
        ("fear.atrophy", "local", "tfidf-1", 0.87, "names the fear")
    ]
    with Project.open(tmp_path / "copy.wb") as copy:
        kept = copy.codebook
    assert (kept.name, kept.ids) == (study.codebook.name, study.codebook.ids)
    one, two = _shape(first), _shape(tmp_path / "second.qdpx")
    assert one["codes"] == two["codes"] and len(one["codes"]) == 32
    assert one["sources"] == two["sources"]
    assert one["codings"] == two["codings"] and len(one["codings"]) == 5
    assert schema_errors(etree.tostring(_qde(tmp_path / "second.qdpx"))) == []


# -- hand-built fixtures -------------------------------------------------------------------------

GAP = "\r\n" * 10  # blank lines between turns: each CR of a CRLF counts in the offsets
CRLF_SOURCE = (
    f"Interviewer: Wie nutzen Sie KI?{GAP}Befragte: Für Entwürfe – und Übersetzungen.{GAP}"
    f"Interviewer: Und sonst?{GAP}Befragte: Angst, das Handwerk zu verlieren.\r\n"
)
PDF_TEXT = "Interviewer: Und?\n\nBefragte: Lieber nicht.\n\nInterviewer: Gut.\n\nBefragte: Ja.\n"
INLINE_SOURCE = "Q: What changed?\n\nA: Nothing much.\n\nQ: Really?\n\nA: 日本語でも大丈夫。\n"


def _span(text: str, phrase: str, length: int | None = None) -> tuple[int, int]:
    start = text.index(phrase)
    return start, start + (length if length is not None else len(phrase))


def _fixture(folder: Path, namespace: str = PROJECT_NS, sets_in_codebook: bool = False) -> Path:
    """A project as another tool would write it: nested codes (a parent marked not codable),
    two users, overlapping codings, a CRLF source with a BOM beside the .qde, an inline
    non-ASCII source, a picture, a link, a code group and variables."""
    folder.mkdir(exist_ok=True)
    (folder / "sources").mkdir(exist_ok=True)
    (folder / "sources" / "de.txt").write_bytes(b"\xef\xbb\xbf" + CRLF_SOURCE.encode("utf-8"))
    a1 = _span(CRLF_SOURCE, "Für Entwürfe")  # inside the first answer
    a2 = (CRLF_SOURCE.index("Übersetzungen"), CRLF_SOURCE.index("Angst") + 5)  # two answers
    a3 = _span(CRLF_SOURCE, "Handwerk")  # 30 CRLFs before: off the passage if not counted
    i1 = _span(INLINE_SOURCE, "Nothing")
    i2 = _span(INLINE_SOURCE, "大丈夫")
    q1 = _span(INLINE_SOURCE, "Really")  # an interviewer turn: not coded
    p1 = _span(PDF_TEXT, "Lieber")  # in the PDF's text representation
    sets = """<Sets><Set guid="00000000-0000-0000-0000-0000000000e1" name="Emotions">
      <MemberCode targetGUID="00000000-0000-0000-0000-0000000000c2"/>
      <MemberCode targetGUID="00000000-0000-0000-0000-0000000000c3"/></Set></Sets>"""
    xml = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="{namespace}" name="Fixture" origin="hand-built">
  <Users>
    <User guid="00000000-0000-0000-0000-0000000000a1" name="Ana"/>
    <User guid="00000000-0000-0000-0000-0000000000a2" name="Bo"/>
  </Users>
  <CodeBook><Codes>
    <Code guid="00000000-0000-0000-0000-0000000000c1" name="Feelings" isCodable="false" color="#abc">
      <Description>Umbrella.</Description>
      <Code guid="00000000-0000-0000-0000-0000000000c2" name="Fear" isCodable="true" color="#FF0000">
        <Description>Fear of loss.

Include:
- losing skills</Description>
        <Code guid="00000000-0000-0000-0000-0000000000c4" name="Fear/skills" isCodable="true"/>
      </Code>
      <Code guid="00000000-0000-0000-0000-0000000000c3" name="Hoffnung" isCodable="true"/>
    </Code>
    <Code guid="00000000-0000-0000-0000-0000000000c5" name="Use" isCodable="true"/>
  </Codes>{sets if sets_in_codebook else ""}</CodeBook>
  <Variables><Variable guid="00000000-0000-0000-0000-0000000000f1" name="site" typeOfVariable="Text"/></Variables>
  <Sources>
    <TextSource guid="00000000-0000-0000-0000-0000000000d1" name="de.txt" plainTextPath="internal://de.txt">
      <PlainTextSelection guid="00000000-0000-0000-0000-0000000000b1" startPosition="{a1[0]}" endPosition="{a1[1]}" creatingUser="00000000-0000-0000-0000-0000000000a1">
        <Coding guid="00000000-0000-0000-0000-000000000101" creatingUser="00000000-0000-0000-0000-0000000000a1"><CodeRef targetGUID="00000000-0000-0000-0000-0000000000c5"/></Coding>
        <Coding guid="00000000-0000-0000-0000-000000000102" creatingUser="00000000-0000-0000-0000-0000000000a1"><CodeRef targetGUID="00000000-0000-0000-0000-0000000000c1"/></Coding>
      </PlainTextSelection>
      <PlainTextSelection guid="00000000-0000-0000-0000-0000000000b2" startPosition="{a2[0]}" endPosition="{a2[1]}" creatingUser="00000000-0000-0000-0000-0000000000a2">
        <Coding guid="00000000-0000-0000-0000-000000000103" creatingUser="00000000-0000-0000-0000-0000000000a2"><CodeRef targetGUID="00000000-0000-0000-0000-0000000000c3"/></Coding>
      </PlainTextSelection>
      <PlainTextSelection guid="00000000-0000-0000-0000-0000000000b3" startPosition="{a3[0]}" endPosition="{a3[1]}" creatingUser="00000000-0000-0000-0000-0000000000a1">
        <Coding guid="00000000-0000-0000-0000-000000000104" creatingUser="00000000-0000-0000-0000-0000000000a1"><CodeRef targetGUID="00000000-0000-0000-0000-0000000000c4"/></Coding>
      </PlainTextSelection>
      <VariableValue><VariableRef targetGUID="00000000-0000-0000-0000-0000000000f1"/><TextValue>Köln</TextValue></VariableValue>
    </TextSource>
    <TextSource guid="00000000-0000-0000-0000-0000000000d2" name="inline">
      <PlainTextContent>{INLINE_SOURCE}</PlainTextContent>
      <PlainTextSelection guid="00000000-0000-0000-0000-0000000000b4" startPosition="{i1[0]}" endPosition="{i1[1]}" creatingUser="00000000-0000-0000-0000-0000000000a2">
        <Coding guid="00000000-0000-0000-0000-000000000105" creatingUser="00000000-0000-0000-0000-0000000000a2"><CodeRef targetGUID="00000000-0000-0000-0000-0000000000c2"/></Coding>
      </PlainTextSelection>
      <PlainTextSelection guid="00000000-0000-0000-0000-0000000000b5" startPosition="{i2[0]}" endPosition="{i2[1]}" creatingUser="00000000-0000-0000-0000-0000000000a1">
        <Coding guid="00000000-0000-0000-0000-000000000106" creatingUser="00000000-0000-0000-0000-0000000000a1"><CodeRef targetGUID="00000000-0000-0000-0000-0000000000c3"/></Coding>
        <Coding guid="00000000-0000-0000-0000-000000000107" creatingUser="00000000-0000-0000-0000-0000000000a2"><CodeRef targetGUID="00000000-0000-0000-0000-0000000000c3"/></Coding>
      </PlainTextSelection>
      <PlainTextSelection guid="00000000-0000-0000-0000-0000000000b6" startPosition="{q1[0]}" endPosition="{q1[1]}" creatingUser="00000000-0000-0000-0000-0000000000a1">
        <Coding guid="00000000-0000-0000-0000-000000000108" creatingUser="00000000-0000-0000-0000-0000000000a1"><CodeRef targetGUID="00000000-0000-0000-0000-0000000000c5"/></Coding>
      </PlainTextSelection>
    </TextSource>
    <PictureSource guid="00000000-0000-0000-0000-0000000000d3" name="whiteboard.png" path="internal://wb.png">
      <PictureSelection guid="00000000-0000-0000-0000-0000000000b7" firstX="0" firstY="0" secondX="5" secondY="5">
        <Coding guid="00000000-0000-0000-0000-000000000109"><CodeRef targetGUID="00000000-0000-0000-0000-0000000000c5"/></Coding>
      </PictureSelection>
    </PictureSource>
    <PDFSource guid="00000000-0000-0000-0000-0000000000d4" name="report.pdf" path="internal://report.pdf">
      <PDFSelection guid="00000000-0000-0000-0000-0000000000b8" page="1" firstX="0" firstY="0" secondX="9" secondY="9">
        <Coding guid="00000000-0000-0000-0000-00000000010a"><CodeRef targetGUID="00000000-0000-0000-0000-0000000000c5"/></Coding>
      </PDFSelection>
      <Representation guid="00000000-0000-0000-0000-0000000000d5" name="report.txt">
        <PlainTextContent>{PDF_TEXT}</PlainTextContent>
        <PlainTextSelection guid="00000000-0000-0000-0000-0000000000b9" startPosition="{p1[0]}" endPosition="{p1[1]}" creatingUser="00000000-0000-0000-0000-0000000000a2">
          <Coding guid="00000000-0000-0000-0000-00000000010b" creatingUser="00000000-0000-0000-0000-0000000000a2"><CodeRef targetGUID="00000000-0000-0000-0000-0000000000c5"/></Coding>
        </PlainTextSelection>
      </Representation>
    </PDFSource>
  </Sources>
  <Links><Link guid="00000000-0000-0000-0000-0000000000e9" originGUID="00000000-0000-0000-0000-0000000000b1" targetGUID="00000000-0000-0000-0000-0000000000b2"/></Links>
  {"" if sets_in_codebook else sets}
</Project>
"""
    path = folder / "project.qde"
    path.write_text(xml, encoding="utf-8")
    return path


def _codes_by_coder(project: Project) -> dict[tuple[str, str], set[str]]:
    """``{(passage text, coder): code names}`` from the project's current state."""
    from workbench.core.store.interchange import all_coders, current_codings

    codebook = project.codebook
    with project.reading() as conn:
        passages = list(passages_of(conn, [t.id for t in list_transcripts(conn)]))
        names = {c.id: c.name for c in all_coders(conn)}
        rows = current_codings(conn, [p.id for p in passages])
    text = {p.id: p.text for p in passages}
    found: dict[tuple[str, str], set[str]] = {}
    for row in rows:
        found.setdefault((text[row.passage_id], names[row.coder_id]), set()).add(
            codebook.get(row.code_id).name
        )
    return found


def _check_fixture_import(project: Project, qde: Path) -> None:
    plan = plan_refi_import(project, qde)
    import_refi(project, qde)
    coded = _codes_by_coder(project)
    assert coded == {
        ("Für Entwürfe – und Übersetzungen.", "Ana"): {"Use"},
        ("Für Entwürfe – und Übersetzungen.", "Bo"): {"Hoffnung"},  # overlapping, two passages
        ("Angst, das Handwerk zu verlieren.", "Bo"): {"Hoffnung"},
        ("Angst, das Handwerk zu verlieren.", "Ana"): {"Fear/skills"},  # CRLFs counted
        ("Nothing much.", "Bo"): {"Fear"},
        ("日本語でも大丈夫。", "Ana"): {"Hoffnung"},
        ("日本語でも大丈夫。", "Bo"): {"Hoffnung"},
        ("Lieber nicht.", "Bo"): {"Use"},
    }
    codebook = project.codebook
    feelings = next(code for code in codebook.walk() if code.name == "Feelings")
    fear = next(code for code in codebook.walk() if code.name == "Fear")
    assert [c.name for c in feelings.children] == ["Fear", "Hoffnung"]
    assert [c.name for c in fear.children] == ["Fear/skills"]
    assert feelings.color == "#aabbcc" and fear.color == "#ff0000"
    assert fear.definition == "Fear of loss.\n\nCode groups (REFI-QDA): Emotions"
    assert fear.include == ("losing skills",)
    assert "Emotions: fear, hoffnung" in codebook.description  # the code group, visible
    assert plan.code_groups == {"Emotions": ["fear", "hoffnung"]}
    report = "\n".join(plan.not_mappable)
    assert "not codable (isCodable=false)" in report and "'Feelings'" in report
    assert "whiteboard.png' is a picture" in report and "1 links" in report
    assert "lies on interviewer turns only" in report
    assert "'report.pdf': 1 regions of PDF pages not imported (1 codings)" in report
    with project.reading() as conn:
        transcripts = {t.external_id: t for t in list_transcripts(conn)}
    assert set(transcripts) == {"de", "inline", "report"}
    assert transcripts["de"].metadata == {"site": "Köln"}


def test_import_hand_built_qde_with_sources_beside_it(tmp_path):
    qde = _fixture(tmp_path / "refi")
    assert schema_errors(qde.read_bytes()) == []  # the fixture itself is standard REFI-QDA
    with Project.create(tmp_path / "in.wb") as project:
        _check_fixture_import(project, qde)


@pytest.mark.parametrize(
    "namespace", ["urn:QDA-XML:codebook:1:0", "urn:QDA-XML:project:0:4", "urn:QDA-XML:codebook:0:4"]
)
def test_bent_namespaces_and_sets_in_the_code_book(tmp_path, namespace):
    qde = _fixture(tmp_path / "refi", namespace, sets_in_codebook=True)
    with Project.create(tmp_path / "in.wb") as project:
        _check_fixture_import(project, qde)


def test_qdpx_zip_and_base_path(tmp_path):
    qde = _fixture(tmp_path / "refi")
    zipped = tmp_path / "tool.qdpx"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.write(qde, "project.qde")
        archive.write(tmp_path / "refi" / "sources" / "de.txt", "sources/de.txt")
    with Project.create(tmp_path / "zip.wb") as project:
        _check_fixture_import(project, zipped)
    # a bare .qde elsewhere whose sources live at its basePath
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    text = (
        qde.read_text(encoding="utf-8")
        .replace(
            'origin="hand-built"', f'origin="hand-built" basePath="{tmp_path / "refi" / "sources"}"'
        )
        .replace('plainTextPath="internal://de.txt"', 'plainTextPath="relative://de.txt"')
    )
    moved = write(elsewhere / "moved.qde", text)
    with Project.create(tmp_path / "base.wb") as project:
        _check_fixture_import(project, moved)


def test_cli_dry_run_prints_the_report_and_writes_nothing(tmp_path, capsys):
    qde = _fixture(tmp_path / "refi")
    assert main(["new", str(tmp_path / "p.wb")]) == 0
    assert main(["import", str(tmp_path / "p.wb"), str(qde), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "not mappable, not imported" in out and "whiteboard.png" in out
    assert "code group 'Emotions': fear, hoffnung" in out
    with Project.open(tmp_path / "p.wb") as project:
        assert project.status()["transcripts"] == 0 and project.codebook is None
    assert main(["import", str(tmp_path / "p.wb"), str(qde)]) == 0
    out = capsys.readouterr().out
    assert "whiteboard.png" in out and "8 codes applied" in out


def test_cli_bad_file_is_one_line_naming_file_and_line(tmp_path, capsys):
    bad = write(
        tmp_path / "bad.qde",
        '<?xml version="1.0"?>\n<Project xmlns="urn:QDA-XML:project:1.0">\n<Users>\n</Project>\n',
    )
    assert main(["new", str(tmp_path / "p.wb"), "--from", str(bad)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bad.qde: line 4: not well-formed XML" in err[0]
    assert not (tmp_path / "p.wb").exists()  # a failed --from leaves no project behind
    other = write(tmp_path / "other.qde", '<Project xmlns="urn:example"/>')
    assert main(["new", str(tmp_path / "q.wb"), "--from", str(other)]) == 1
    assert "not a REFI-QDA one" in capsys.readouterr().err
    assert main(["export", str(tmp_path / "none.wb"), "--out", str(tmp_path / "x.qdpx")]) == 1
    entity = write(
        tmp_path / "entity.qde",
        '<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/hostname">]>'
        f'<Project xmlns="{PROJECT_NS}" name="x"/>',
    )
    assert main(["new", str(tmp_path / "r.wb"), "--from", str(entity)]) == 1
    assert "entity.qde: declares XML entities" in capsys.readouterr().err


def test_cli_export_qdpx(tmp_path, study, capsys):
    out = tmp_path / "cli.qdpx"
    assert main(["export", study.location, "--out", str(out), "--json"]) == 0
    assert '"codings": 5' in capsys.readouterr().out
    assert schema_errors(etree.tostring(_qde(out))) == []


@pytest.mark.parametrize(
    "raw",
    [
        "a\r\nb\r\n\r\nCafé ☕ x\r\nend",  # CRLF
        "a\rb\r\rx",  # old Mac CR: no length change
        "Cafe\u0301 x\r\nna\u0308he y",  # decomposed accents, shortened by NFC
    ],
)
def test_offsets_map_source_positions_onto_stored_text(raw):
    offsets = OffsetMap(raw)
    for word in ("x", "end", "b", "y"):
        if word in raw:
            assert offsets.text[offsets(raw.index(word)) :].startswith(word)


def test_source_bom_is_not_counted():
    assert decode_source(b"\xef\xbb\xbfAb", "f") == "Ab"
    assert decode_source("\ufeffÄb".encode("utf-16"), "f") == "Äb"


def test_reimport_into_the_same_project_adds_nothing(tmp_path, study):
    out = tmp_path / "study.qdpx"
    export_qdpx(study, out)
    versions = study.codebook.version
    result = import_refi(study, out)
    assert (result.transcripts_added, result.transcripts_unchanged) == (0, 1)
    assert (result.applied, result.unchanged, result.suggestions) == (0, 4, 0)  # engine run kept
    assert result.codebook_version is None and study.codebook.version == versions


def test_import_merges_codes_into_the_existing_codebook(tmp_path, project):
    before = {code.id: code.name for code in project.codebook.walk()}
    import_refi(project, _fixture(tmp_path / "refi"))
    after = {code.id: code.name for code in project.codebook.walk()}
    assert before.items() <= after.items()  # every code the coders had keeps its id
    assert {"Feelings", "Fear", "Fear/skills", "Hoffnung", "Use"} <= set(after.values())
    ids = {name: code_id for code_id, name in after.items() if code_id not in before}
    assert project.codebook.get(ids["Fear/skills"]).parent_id == ids["Fear"]
    assert ids["Fear"] == "feelings.fear"  # own .fear. taken: by parent


def test_missing_source_text_is_reported_not_dropped(tmp_path):
    qde = _fixture(tmp_path / "refi")
    (tmp_path / "refi" / "sources" / "de.txt").unlink()
    with Project.create(tmp_path / "in.wb") as project:
        plan = plan_refi_import(project, qde)
    assert any(
        "source 'de.txt' not imported: its text file 'internal://de.txt'" in item
        and "(4 codings)" in item
        for item in plan.not_mappable
    )
    assert [record.external_id for record in plan.records] == ["inline", "report"]


def _tiny(folder: Path, sources: list[tuple[str, str, str]]) -> Path:
    """A one-code, one-user project; ``sources`` are (name, text, phrase the user coded)."""
    parts = []
    for number, (name, text, phrase) in enumerate(sources, start=1):
        start, end = _span(text, phrase)
        parts.append(
            f'<TextSource guid="00000000-0000-0000-0000-{number:012d}" name="{name}">'
            f"<PlainTextContent>{text}</PlainTextContent>"
            f'<PlainTextSelection guid="00000000-0000-0000-0001-{number:012d}" '
            f'startPosition="{start}" endPosition="{end}">'
            f'<Coding guid="00000000-0000-0000-0002-{number:012d}" '
            'creatingUser="00000000-0000-0000-0000-0000000000a1">'
            '<CodeRef targetGUID="00000000-0000-0000-0000-0000000000c1"/></Coding>'
            "</PlainTextSelection></TextSource>"
        )
    xml = (
        f'<Project xmlns="{PROJECT_NS}" name="tiny"><Users>'
        '<User guid="00000000-0000-0000-0000-0000000000a1" name="Ana"/></Users>'
        '<CodeBook><Codes><Code guid="00000000-0000-0000-0000-0000000000c1" name="Use" '
        f'isCodable="true"/></Codes></CodeBook><Sources>{"".join(parts)}</Sources></Project>'
    )
    folder.mkdir(exist_ok=True)
    return write(folder / "tiny.qde", xml)


def test_the_same_text_is_stored_once_and_coded_where_it_is(tmp_path, project):
    text = "Interviewer: Why?\n\nParticipant: Speed.\n\nInterviewer: And?\n\nParticipant: Ease.\n"
    import_transcript_file(project, write(tmp_path / "p9.txt", text))
    qde = _tiny(
        tmp_path / "refi",
        [
            ("a", text, "Speed"),
            ("b", text, "Ease"),
            ("c", INTERVIEW, "drafts"),
            ("d", text, "Ease"),
        ],
    )
    result = import_refi(project, qde)
    assert (result.transcripts_added, result.transcripts_unchanged, result.applied) == (1, 1, 3)
    assert result.unchanged == 1  # 'd' codes what 'b' coded: one decision, not two
    coded = _codes_by_coder(project)
    assert coded[("Speed.", "Ana")] == coded[("Ease.", "Ana")] == {"Use"}
    with project.reading() as conn:
        assert [t.external_id for t in list_transcripts(conn)] == ["p9", "c"]


def test_characters_xml_cannot_carry_are_replaced_not_fatal(tmp_path, study):
    fields = "transcript_id,gr\x01oup\np1,crea\x02tives\n"
    import_metadata_file(study, write(tmp_path / "m2.csv", fields))
    out = tmp_path / "odd.qdpx"
    export_qdpx(study, out)
    root = _qde(out)
    names = [v.get("name") for v in root.iterfind(".//q:Variable", N)]
    assert "gr\ufffdoup" in names
    assert schema_errors(etree.tostring(root)) == []


def test_spans_export_at_their_own_offsets_and_come_back_as_spans(tmp_path, study):
    """A span is written at its code-point offsets (past 'für Übersetzungen ☕'), its memo on
    its selection, and a new project made from the file holds the same spans again."""
    with study.reading() as conn:
        passages = list(passages_of(conn, [t.id for t in list_transcripts(conn)]))
        text = conn.exec_driver_sql("select text from transcripts").scalar_one()
    second, fourth = passages[1], passages[3]
    coffee = text.index("Übersetzungen ☕")
    craft = text.index("the craft")
    ana = CodingSession(study, "ana")
    ana.code_span(second.id, "hope.learning", coffee, coffee + len("Übersetzungen ☕"))
    ana.code_span(fourth.id, "fear.atrophy", craft, craft + len("the craft"))
    ana.save_memo(fourth.id, "which craft?", span=(craft, craft + len("the craft")))
    out = tmp_path / "spans.qdpx"
    export_qdpx(study, out)
    assert schema_errors(zipfile.ZipFile(out).read("project.qde")) == []
    shape = _shape(out)
    selected = {(s, e, coder, code) for _src, s, e, coder, code in shape["codings"]}
    assert (coffee, coffee + 15, "ana", "Learning and growth") in selected
    assert (craft, craft + 9, "ana", "Cognitive atrophy and deskilling") in selected
    # passage-level codes stay at the passage's bounds; a span-coded code is not there too
    assert (second.start, second.end, "ana", "Speed") in selected
    assert (fourth.start, fourth.end, "ana", "Cognitive atrophy and deskilling") not in selected
    notes = [n.findtext("q:PlainTextContent", "", N) for n in _qde(out).iterfind(".//q:Note", N)]
    assert "which craft?" in notes
    assert main(["new", str(tmp_path / "copy.wb"), "--from", str(out)]) == 0
    with Project.open(tmp_path / "copy.wb") as copy, copy.reading() as conn:
        rows = conn.exec_driver_sql(
            "select c.name, s.code_id, s.start, s.end from coded_spans s "
            "join coders c on c.id = s.coder_id order by s.start"
        ).all()
        codes = (
            conn.exec_driver_sql(
                "select k.code_id from codings k join coders c on c.id = k.coder_id "
                "join passages p on p.id = k.passage_id where c.name = 'ana' and p.position = 4"
            )
            .scalars()
            .all()
        )
    # codes keep the ids the workbench export named them by
    assert [tuple(r) for r in rows] == [
        ("ana", "hope.learning", coffee, coffee + 15),
        ("ana", "fear.atrophy", craft, craft + 9),
    ]
    assert rows[1][1] in codes  # the span codes its passage in the copy too


def test_no_code_reviews_are_counted_on_export_and_named_on_import(tmp_path, study, capsys):
    import_decisions_csv(study, write(tmp_path / "n.csv", "passage_id,coder,code\np1#4,ana,\n"))
    out = tmp_path / "study.qdpx"
    result = export_qdpx(study, out)
    assert (result.no_code_reviews, result.no_code_passages) == (1, 1)
    capsys.readouterr()
    assert main(["new", str(tmp_path / "copy.wb"), "--from", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "1 'no code applies' reviews on 1 passages" in printed
    assert "cannot represent a review without a code" in printed


def test_an_engine_user_of_another_tool_comes_in_as_suggestions(tmp_path, project):
    source = "Q: What changed?\n\nA: Nothing much.\n"
    start, end = _span(source, "Nothing much.")
    qde = write(
        tmp_path / "other.qde",
        f'<?xml version="1.0"?><Project xmlns="{PROJECT_NS}" name="o" origin="Tool 1">'
        '<Users><User guid="11111111-1111-1111-1111-111111111111" name="engine:gpt/x"/></Users>'
        '<CodeBook><Codes><Code guid="22222222-2222-2222-2222-222222222222" name="Speed" '
        'isCodable="true"/></Codes></CodeBook><Sources>'
        '<TextSource guid="33333333-3333-3333-3333-333333333333" name="s1">'
        f"<PlainTextContent>{source}</PlainTextContent>"
        f'<PlainTextSelection guid="44444444-4444-4444-4444-444444444444" '
        f'startPosition="{start}" endPosition="{end}">'
        '<Coding guid="55555555-5555-5555-5555-555555555555" '
        'creatingUser="11111111-1111-1111-1111-111111111111">'
        '<CodeRef targetGUID="22222222-2222-2222-2222-222222222222"/></Coding>'
        "</PlainTextSelection></TextSource></Sources></Project>",
    )
    result = import_refi(project, qde)
    assert (result.applied, result.suggestions) == (0, 1)
    assert project.status()["reviewed_passages"] == 0
    with project.reading() as conn:
        ids = [p.id for p in passages_of(conn, [t.id for t in list_transcripts(conn)])]
        (found,) = [s for rows in suggestions_for(conn, ids).values() for s in rows]
    assert (found.engine, found.model, found.confidence) == ("gpt", "x", 1.0)
    assert "no confidence given" in found.rationale
