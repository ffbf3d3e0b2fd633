"""REFI-QDA notes in and out as memos: the round trip of a workbench export, and files shaped
as NVivo and ATLAS.ti write them (note text inline, or in a file of the archive)."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import write
from workbench.cli import main
from workbench.core.session import CodingSession
from workbench.core.spreadsheet import import_decisions_csv
from workbench.core.store import Project
from workbench.core.store.coded_data import memo_rows
from workbench.core.store.importing import import_transcript_file
from workbench.core.store.memos import add_imported_memo
from workbench.core.store.queries import list_transcripts, passages_of
from workbench.interop.refi_export import export_qdpx
from workbench.interop.refi_import import import_refi
from workbench.interop.refi_plan import plan_refi_import
from workbench.interop.refi_schema import PROJECT_NS

pytestmark = pytest.mark.backends

INTERVIEW = (
    "Interviewer: How do you use AI?\n\nParticipant: For drafts, and für Übersetzungen ☕.\n\n"
    "Interviewer: And?\n\nParticipant: Fear of losing the craft.\n"
)
SPAN_MEMO = "¿Qué oficio? Ça dépend 🤖 — compare p7"


def _memos(project: Project) -> list[tuple]:
    """Each current memo as ``(transcript, position, coder, text, words, created)``."""
    with project.reading() as conn:
        coders = dict(conn.exec_driver_sql("select id, name from coders").all())
        rows = list(memo_rows(conn))  # in the order written: the last per place is current
    latest: dict[tuple, tuple] = {}
    for row in rows:
        place = (row.transcript_id, row.position, coders[row.coder_id], row.span_text)
        latest[place] = (*place, row.text, _second(row.created_at))
    return sorted((v for v in latest.values() if v[4]), key=lambda v: tuple(map(str, v)))


def _second(when: datetime) -> datetime:
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).replace(microsecond=0)


@pytest.fixture
def memo_study(tmp_path, project):
    """Two coders' memos: on a passage, on accented words with an emoji, on a transcript."""
    import_transcript_file(project, write(tmp_path / "p1.txt", INTERVIEW))
    import_decisions_csv(
        project,
        write(tmp_path / "d.csv", "passage_id,coder,code\np1#2,ana,prod.speed\np1#4,ben,\n"),
    )
    with project.reading() as conn:
        transcript = list_transcripts(conn)[0]
        passages = list(passages_of(conn, [transcript.id]))
    second, fourth = passages[1], passages[3]
    words = transcript_text(project).index("Übersetzungen ☕")
    ana = CodingSession(project, "ana")
    ana.save_memo(second.id, "Drafts first, then translation.")
    ana.save_memo(second.id, "Drafts, then translation (revised).")  # history: current is this
    ana.save_memo(second.id, SPAN_MEMO, span=(words, words + len("Übersetzungen ☕")))
    CodingSession(project, "ben").save_memo(fourth.id, "Loss of craft: strong.")
    with project.transaction() as conn:
        ben = conn.exec_driver_sql("select id from coders where name = 'ben'").scalar_one()
        when = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
        add_imported_memo(
            conn,
            ben,
            "Whole interview: hesitant.",
            transcript_id=transcript.id,
            created=when,
            updated=when,
        )
    return project


def transcript_text(project: Project) -> str:
    with project.reading() as conn:
        return conn.exec_driver_sql("select text from transcripts").scalar_one()


def test_memos_round_trip_through_an_export(tmp_path, memo_study):
    """Every current memo comes back on its place, by its coder, with its date: the passage
    memo, the memo on accented words with an emoji (as a memo on those words), the memo on
    the whole transcript. Importing the file again adds nothing."""
    out = tmp_path / "memos.qdpx"
    export_qdpx(memo_study, out)
    before = _memos(memo_study)
    assert len(before) == 4 and any(m[4] == SPAN_MEMO and m[3] for m in before)
    copy = tmp_path / "copy.wb"
    assert main(["new", str(copy), "--from", str(out)]) == 0
    with Project.open(copy) as project:
        assert _memos(project) == before
        with project.reading() as conn:
            rows = conn.exec_driver_sql("select count(*) from memos").scalar_one()
        result = import_refi(project, out)
        assert result.memos == 0
        with project.reading() as conn:
            assert conn.exec_driver_sql("select count(*) from memos").scalar_one() == rows


def test_an_imported_note_is_added_to_a_memo_with_other_text(tmp_path, memo_study):
    """An import only adds: a memo the project holds keeps its text and history, and the
    note's text follows it in the memo's next version."""
    out = tmp_path / "memos.qdpx"
    export_qdpx(memo_study, out)
    with memo_study.reading() as conn:
        fourth = list(passages_of(conn, [list_transcripts(conn)[0].id]))[3]
    ben = CodingSession(memo_study, "ben")
    ben.save_memo(fourth.id, "Changed my mind.")
    import_refi(memo_study, out)
    assert ben.memos([fourth.id])[fourth.id] == "Changed my mind.\n\nLoss of craft: strong."
    assert ben.memo_history(fourth.id)[:2] == ["Loss of craft: strong.", "Changed my mind."]


NS = f'xmlns="{PROJECT_NS}"'
ANA, BO = "00000000-0000-0000-0000-0000000000a1", "00000000-0000-0000-0000-0000000000a2"
CODE, OLD = "00000000-0000-0000-0000-0000000000c1", "00000000-0000-0000-0000-0000000000c2"
SOURCE = "00000000-0000-0000-0000-0000000000d1"
TEXT = (
    "Interviewer: How did it start?\n\nParticipant: Slowly, with drafts. Then everything.\n\n"
    "Interviewer: And now?\n\nParticipant: I fear for the craft.\n"
)


def _note(number: int, body: str, **attributes: str) -> str:
    extra = "".join(f' {key}="{value}"' for key, value in attributes.items())
    return f'<Note guid="00000000-0000-0000-0003-{number:012d}"{extra}>{body}</Note>'


def _ref(number: int) -> str:
    return f'<NoteRef targetGUID="00000000-0000-0000-0003-{number:012d}"/>'


def _vendor_qdpx(path: Path, notes: str, files: dict[str, str], origin: str) -> Path:
    """A .qdpx as NVivo or ATLAS.ti writes one: the source in sources/, notes by reference
    from a narrow selection, a coding, the source and a code, and a selection's Description."""
    slowly = TEXT.index("Slowly")
    fear = TEXT.index("I fear")
    qde = (
        f'<?xml version="1.0" encoding="utf-8"?><Project {NS} name="v" origin="{origin}">'
        f'<Users><User guid="{ANA}" name="Ana"/><User guid="{BO}" name="Bo"/></Users>'
        f'<CodeBook><Codes><Code guid="{CODE}" name="Pace" isCodable="true">'
        f"<Description>How fast it went.</Description>{_ref(4)}</Code>"
        f'<Code guid="{OLD}" name="Speed" isCodable="true">{_ref(6)}</Code></Codes></CodeBook>'
        f'<Sources><TextSource guid="{SOURCE}" name="int7.txt" '
        f'plainTextPath="internal://{SOURCE}.txt" creatingUser="{BO}">'
        f'<PlainTextSelection guid="00000000-0000-0000-0001-000000000001" name="Slowly" '
        f'startPosition="{slowly}" endPosition="{slowly + 6}" creatingUser="{ANA}" '
        f'creationDateTime="2024-01-02T03:04:05Z">'
        f'<Coding guid="00000000-0000-0000-0002-000000000001" creatingUser="{ANA}">'
        f'<CodeRef targetGUID="{CODE}"/>{_ref(2)}</Coding>{_ref(1)}</PlainTextSelection>'
        f'<PlainTextSelection guid="00000000-0000-0000-0001-000000000002" name="I fear" '
        f'startPosition="{fear}" endPosition="{fear + 21}" creatingUser="{BO}">'
        f"<Description>Bo's comment on text.</Description></PlainTextSelection>"
        f"{_ref(3)}</TextSource></Sources><Notes>{notes}</Notes></Project>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("project.qde", qde)
        archive.writestr(f"sources/{SOURCE}.txt", TEXT.encode("utf-8"))
        for name, text in files.items():
            archive.writestr(name, text.encode("utf-8"))
    return path


VENDOR_NOTES = (
    _note(
        1,
        "",
        name="Why slowly",
        plainTextPath="internal://n1.txt",
        creatingUser=ANA,
        creationDateTime="2024-01-02T03:04:05Z",
        modifiedDateTime="2024-02-01T00:00:00Z",
    )
    + _note(
        2, "<PlainTextContent>Pace memo on the coding, café ☕</PlainTextContent>", creatingUser=ANA
    )
    + _note(
        3,
        "<PlainTextContent>Interview 7 overall: rushed.</PlainTextContent>",
        creatingUser=BO,
        creationDateTime="2023-12-31T23:00:00+01:00",
    )
    + _note(
        4,
        "<PlainTextContent>Use for tempo only.</PlainTextContent>",
        creatingUser=BO,
        creationDateTime="2024-03-03T00:00:00Z",
    )
    + _note(5, "<PlainTextContent>A project memo.</PlainTextContent>")
    + _note(6, "<PlainTextContent>On the codebook's own code.</PlainTextContent>")
)


def test_a_vendor_file_brings_its_notes_in_as_memos(tmp_path, project):
    """Notes inline and in an archive file; on words (a memo on those words), on a coding (the
    same words), on the source (the transcript), on a code (a new code's definition, or listed
    for a code the codebook has) and a selection's Description. Authors and dates are kept."""
    path = _vendor_qdpx(
        tmp_path / "nvivo.qdpx",
        VENDOR_NOTES,
        {"n1.txt": "\ufeffSlowly means\r\nreluctantly."},
        "NVivo 14",
    )
    plan = plan_refi_import(project, path, {"Speed": "prod.speed"})
    listed = "\n".join(plan.not_mappable)
    assert "1 notes attached to no source, selection, coding or code" in listed
    assert "code 'Speed': 1 notes not added: the codebook already has this code" in listed
    import_refi(project, path, code_map={"Speed": "prod.speed"})
    slowly = TEXT.index("Slowly")
    memos = {m[:5]: m[5] for m in _memos(project)}
    words = "Why slowly\nSlowly means\nreluctantly.\n\nPace memo on the coding, café ☕"
    assert memos == {
        ("int7", 2, "Ana", "Slowly", words): datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        ("int7", 4, "Bo", None, "Bo's comment on text."): memos[
            ("int7", 4, "Bo", None, "Bo's comment on text.")
        ],  # no date in the file: dated by the import
        ("int7", None, "Bo", None, "Interview 7 overall: rushed."): datetime(
            2023, 12, 31, 22, 0, tzinfo=UTC
        ),
    }
    with project.reading() as conn:
        spans = conn.exec_driver_sql(
            "select span_start, span_end from memos where span_start is not null"
        ).all()
    assert [tuple(s) for s in spans] == [(slowly, slowly + 6)]
    pace = next(c for c in project.codebook.walk() if c.name == "Pace")
    assert "How fast it went." in pace.definition
    assert "Notes (REFI-QDA):\nUse for tempo only. (Bo, 2024-03-03)" in pace.definition
    speed = next(c for c in project.codebook.walk() if c.id == "prod.speed")
    assert "codebook's own code" not in speed.definition


def test_a_note_whose_text_file_is_missing_is_named_and_the_rest_comes_in(tmp_path, project):
    path = _vendor_qdpx(tmp_path / "atlas.qdpx", VENDOR_NOTES, {}, "ATLAS.ti 23")
    plan = plan_refi_import(project, path, {"Speed": "prod.speed"})
    assert (
        "atlas.qdpx: note 00000000-0000-0000-0003-000000000001 'Why slowly': its text file "
        "'internal://n1.txt' is not in the archive nor beside it; not imported"
    ) in plan.not_mappable
    texts = sorted(memo.text for memo in plan.memos)
    assert texts == [
        "Bo's comment on text.",
        "Interview 7 overall: rushed.",
        "Pace memo on the coding, café ☕",
    ]
