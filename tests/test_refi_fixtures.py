"""REFI-QDA files built by hand, as other tools write them, imported: sources beside the project
file or in the archive, bent namespaces, CRLF and BOM offsets, codebooks merged, sources missing
or shared. Exports and the round trip are in ``test_refi_qda``."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tests.conftest import write
from tests.test_refi_qda import INTERVIEW, _span
from workbench.cli import main
from workbench.core.store import Project
from workbench.core.store.importing import import_transcript_file
from workbench.core.store.queries import list_transcripts, passages_of
from workbench.interop.refi_import import import_refi
from workbench.interop.refi_offsets import OffsetMap
from workbench.interop.refi_plan import plan_refi_import
from workbench.interop.refi_read import decode_source
from workbench.interop.refi_schema import PROJECT_NS, schema_errors

# -- hand-built fixtures -------------------------------------------------------------------------

GAP = "\r\n" * 10  # blank lines between turns: each CR of a CRLF counts in the offsets
CRLF_SOURCE = (
    f"Interviewer: Wie nutzen Sie KI?{GAP}Befragte: Für Entwürfe – und Übersetzungen.{GAP}"
    f"Interviewer: Und sonst?{GAP}Befragte: Angst, das Handwerk zu verlieren.\r\n"
)
PDF_TEXT = "Interviewer: Und?\n\nBefragte: Lieber nicht.\n\nInterviewer: Gut.\n\nBefragte: Ja.\n"
INLINE_SOURCE = "Q: What changed?\n\nA: Nothing much.\n\nQ: Really?\n\nA: 日本語でも大丈夫。\n"


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
