"""REFI-QDA projects out and in: schema-valid exports and the round trip. Files built by hand, as
other tools write them, are in ``test_refi_fixtures``."""

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


def test_cli_export_qdpx(tmp_path, study, capsys):
    out = tmp_path / "cli.qdpx"
    assert main(["export", study.location, "--out", str(out), "--json"]) == 0
    assert '"codings": 5' in capsys.readouterr().out
    assert schema_errors(etree.tostring(_qde(out))) == []


def test_reimport_into_the_same_project_adds_nothing(tmp_path, study):
    out = tmp_path / "study.qdpx"
    export_qdpx(study, out)
    versions = study.codebook.version
    result = import_refi(study, out)
    assert (result.transcripts_added, result.transcripts_unchanged) == (0, 1)
    assert (result.applied, result.unchanged, result.suggestions) == (0, 4, 0)  # engine run kept
    assert result.codebook_version is None and study.codebook.version == versions


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


def _span(text: str, phrase: str, length: int | None = None) -> tuple[int, int]:
    start = text.index(phrase)
    return start, start + (length if length is not None else len(phrase))


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
