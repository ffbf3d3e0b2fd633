"""The project store: create/open rules, import semantics, append-only logs, settings."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text

from tests.conftest import write
from workbench.core.codebook import parse_codebook
from workbench.core.errors import ProjectError, TranscriptError
from workbench.core.store import Project
from workbench.core.store.coding import (
    CoderKind,
    DecisionAction,
    coding_state,
    ensure_coder,
    record_decision,
)
from workbench.core.store.importing import (
    import_files,
    import_metadata_file,
    import_transcript_file,
)
from workbench.core.store.queries import list_transcripts, passages_of
from workbench.core.tasks import CancelToken

pytestmark = pytest.mark.backends

INTERVIEW = "Interviewer: How do you use AI?\n\nParticipant: For drafts.\n\nInterviewer: Thanks.\n"


def test_create_refuses_to_overwrite_and_open_refuses_strangers(tmp_path, project):
    with pytest.raises(ProjectError, match="already (exists|holds a project)"):
        Project.create(project.location)
    stranger = write(tmp_path / "notes.wb", "hello")
    with pytest.raises(ProjectError, match="not a workbench project"):
        Project.open(stranger)
    with pytest.raises(ProjectError, match="no such project"):
        Project.open(tmp_path / "missing.wb")
    plain = tmp_path / "plain.sqlite"
    sqlite3.connect(plain).execute("create table x (y)").connection.commit()
    with pytest.raises(ProjectError, match="no project tables"):
        Project.open(plain)


def test_a_newer_schema_is_refused(project):
    with project.transaction() as conn:
        conn.execute(text("update meta set value = '999' where key = 'schema_version'"))
    with pytest.raises(ProjectError, match="newer workbench"):
        Project.open(project.location)


def test_import_reads_back_with_offsets_and_coded_flags(tmp_path, project):
    result = import_transcript_file(project, write(tmp_path / "p1.txt", INTERVIEW))
    assert result.added == ["p1"] and result.passages == 3
    with project.reading() as conn:
        [info] = list_transcripts(conn)
        passages = list(passages_of(conn, [info.id]))
    assert [(p.key, p.speaker, p.coded) for p in passages] == [
        ("p1#1", "Interviewer", False),
        ("p1#2", "Participant", True),
        ("p1#3", "Interviewer", False),
    ]
    assert (
        passages[1].text == "For drafts."
        and INTERVIEW[passages[1].start : passages[1].end] == "For drafts."
    )
    assert info.passages == 3 and info.coded_passages == 1


def test_text_the_bulk_load_could_misread_comes_back_as_written(tmp_path, project):
    """PostgreSQL loads transcripts and passages by COPY, whose text format gives tabs,
    backslashes and ``\\N`` meanings of their own; a passage without a speaker is NULL."""
    tricky = "Interviewer: Tabs\there, C:\\new\\temp and \\N?\n\nParticipant: \\. ends COPY.\n"
    import_transcript_file(project, write(tmp_path / "p1.txt", tricky))
    import_transcript_file(project, write(tmp_path / "p2.txt", "Just a note.\n\nAnd another.\n"))
    with project.reading() as conn:
        stored = dict(conn.execute(text("select external_id, text from transcripts")).all())
        infos = {info.external_id: info.id for info in list_transcripts(conn)}
        first = list(passages_of(conn, [infos["p1"]]))
        second = list(passages_of(conn, [infos["p2"]]))
    assert stored["p1"].rstrip("\n") == tricky.rstrip("\n")
    assert [p.text for p in first] == ["Tabs\there, C:\\new\\temp and \\N?", "\\. ends COPY."]
    assert [(p.speaker, p.coded) for p in second] == [(None, True), (None, True)]


def test_reimport_is_skipped_and_a_changed_file_is_reported(tmp_path, project):
    path = write(tmp_path / "p1.txt", INTERVIEW)
    import_transcript_file(project, path)
    again = import_transcript_file(project, path)
    assert again.added == [] and again.unchanged == ["p1"]
    write(path, INTERVIEW + "\nParticipant: one more thing.\n")
    changed = import_transcript_file(project, path)
    assert changed.conflicts == ["p1"] and changed.added == []
    copy = import_transcript_file(project, write(tmp_path / "p1-copy.txt", INTERVIEW))
    assert copy.duplicates == [{"id": "p1-copy", "same_as": "p1"}]
    assert project.status()["transcripts"] == 1 and project.status()["passages"] == 3


def test_a_bad_file_changes_nothing_and_the_others_still_import(tmp_path, project):
    good = write(tmp_path / "good.txt", INTERVIEW)
    bad = write(tmp_path / "bad.csv", "id,text\na,A: x\na,A: y\n")
    outcome = import_files(project, [good, bad], parallel=False)
    assert [f.file for f in outcome.files] == [str(good)]
    assert len(outcome.errors) == 1 and "bad.csv: row 2" in outcome.errors[0]
    assert project.status()["transcripts"] == 1
    with pytest.raises(TranscriptError):
        import_transcript_file(project, bad)
    assert project.status()["transcripts"] == 1


def test_parallel_parsing_gives_the_same_project(tmp_path, project):
    folder = tmp_path / "many"
    folder.mkdir()
    for index in range(20):
        write(folder / f"p{index:02d}.txt", INTERVIEW.replace("drafts", f"drafts {index}"))
    outcome = import_files(project, [folder], parallel=True)
    assert outcome.errors == [] and sum(len(f.added) for f in outcome.files) == 20
    assert project.status()["passages"] == 60


def test_import_can_be_cancelled_between_files(tmp_path, project):
    paths = [write(tmp_path / f"p{i}.txt", INTERVIEW.replace("AI", f"AI {i}")) for i in range(5)]
    token = CancelToken()

    def progress(done: int, total: int, name: str) -> None:
        if done == 2:
            token.cancel()  # asked while the second file is read: it is still stored

    outcome = import_files(project, paths, parallel=False, progress=progress, cancel=token)
    assert outcome.cancelled and project.status()["transcripts"] == 2


def test_metadata_arrives_before_or_after_transcripts(tmp_path, project):
    meta = write(tmp_path / "m.csv", "transcript_id,group\np1,creatives\nlater,scientists\n")
    result = import_metadata_file(project, meta)
    assert result.unknown_ids == ["later", "p1"]
    import_transcript_file(project, write(tmp_path / "p1.txt", INTERVIEW))
    with project.reading() as conn:
        [info] = list_transcripts(conn)
    assert info.metadata == {"group": "creatives"}
    write(meta, "transcript_id,group\np1,workforce\n")
    import_metadata_file(project, meta)
    with project.reading() as conn:
        assert list_transcripts(conn)[0].metadata == {"group": "workforce"}


def test_context_speakers_setting_reflags_passages(tmp_path, project):
    import_transcript_file(project, write(tmp_path / "p1.txt", INTERVIEW))
    assert project.status()["coded_passages"] == 1
    project.update_settings(context_speakers=("Participant",))
    assert project.status()["coded_passages"] == 2
    reopened = Project.open(project.location)
    assert reopened.settings.context_speakers == ("Participant",)
    reopened.close()


def test_codebook_versions_only_go_up(project, codebook_path):
    first = project.codebook
    assert first.version == 1
    same = project.add_codebook_version(parse_codebook(codebook_path.read_text()))
    assert same == 1
    changed = codebook_path.read_text().replace("name: AI at work", "name: AI at work (revised)")
    assert project.add_codebook_version(parse_codebook(changed)) == 2
    assert project.codebook.name == "AI at work (revised)" and project.codebook.version == 2


def test_decisions_update_state_and_the_log_is_append_only(tmp_path, project):
    import_transcript_file(project, write(tmp_path / "p1.txt", INTERVIEW))
    with project.transaction() as conn:
        coder = ensure_coder(conn, "ana")
        assert ensure_coder(conn, "ana") == coder
        llm = ensure_coder(conn, "engine:claude/m", CoderKind.ENGINE)
        passage = conn.execute(text("select id from passages where position = 2")).scalar_one()
        record_decision(conn, passage, coder, DecisionAction.APPLY, "hope.time")
        record_decision(conn, passage, coder, DecisionAction.APPLY, "prod.speed")
        record_decision(conn, passage, coder, DecisionAction.REMOVE, "hope.time")
        assert coding_state(conn, passage, coder).codes == {"prod.speed"}
        record_decision(conn, passage, coder, DecisionAction.NO_CODE)
        state = coding_state(conn, passage, coder)
        assert state.reviewed and state.codes == frozenset()
        assert not coding_state(conn, passage, llm).reviewed
    with pytest.raises(Exception, match="append-only"), project.transaction() as conn:
        conn.execute(text("delete from decisions"))
    with pytest.raises(Exception, match="append-only"), project.transaction() as conn:
        conn.execute(text("update audit_log set actor = 'someone else'"))
    assert project.status()["decisions"] == 4


def test_a_failed_write_leaves_the_project_as_it_was(tmp_path, project, monkeypatch):
    """A database failure mid-import (disk full, killed process) rolls the whole file back."""
    from workbench.core.store import importing

    def broken_metadata(conn, mapping):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(importing, "upsert_metadata", broken_metadata)
    path = write(tmp_path / "t.csv", 'id,text,group\na,"A: x\n\nB: y",g1\n')
    with pytest.raises(sqlite3.OperationalError):
        import_transcript_file(project, path)
    assert project.status()["transcripts"] == 0 and project.status()["passages"] == 0


def long_table(rows: int, bad_row: int | None = None) -> str:
    """A table of more rows than one chunk, optionally with an empty text far down."""
    cells = [("" if i == bad_row else f'"A: question {i}?\n\nB: answer."') for i in range(rows)]
    return "id,text\n" + "".join(f"t{i},{cell}\n" for i, cell in enumerate(cells))


@pytest.mark.parametrize("parallel", [False, True])
def test_a_bad_row_after_stored_chunks_rejects_the_whole_file(tmp_path, project, parallel):
    good = write(tmp_path / "good.txt", INTERVIEW)
    late = write(tmp_path / "late.csv", long_table(2300, bad_row=2200))
    after = write(tmp_path / "after.txt", INTERVIEW.replace("drafts", "reviews"))
    outcome = import_files(project, [good, late, after], parallel=parallel)
    assert [f.file for f in outcome.files] == [str(good), str(after)]
    assert len(outcome.errors) == 1 and "late.csv: row 2201" in outcome.errors[0]
    assert project.status()["transcripts"] == 2


def test_cancelling_inside_a_table_drops_it_and_keeps_the_files_before(tmp_path, project):
    good = write(tmp_path / "good.txt", INTERVIEW)
    table = write(tmp_path / "table.csv", long_table(2300))

    class CancelledOnFourthCheck(CancelToken):
        checks = 0

        @property
        def cancelled(self) -> bool:
            self.checks += 1
            return self.checks > 3  # after the table's first chunk arrived

    outcome = import_files(project, [good, table], parallel=True, cancel=CancelledOnFourthCheck())
    assert outcome.cancelled
    assert [f.file for f in outcome.files] == [str(good)]
    assert project.status()["transcripts"] == 1


def test_create_makes_missing_folders_and_names_a_file_in_the_way(tmp_path):
    with Project.create(tmp_path / "studies" / "2026" / "ai.wb") as created:
        assert created.status()["transcripts"] == 0
    blocker = write(tmp_path / "notes.txt", "not a folder")
    with pytest.raises(ProjectError, match="notes.txt: is a file, not a folder"):
        Project.create(blocker / "ai.wb")


def test_a_read_only_project_refuses_every_write(tmp_path, project):
    from sqlalchemy.exc import DBAPIError

    from workbench.core.session import NO_CODER_ID, CodingSession

    import_transcript_file(project, write(tmp_path / "p1.txt", INTERVIEW))
    location = project.location
    project.close()
    viewer = Project.open(location, read_only=True)
    try:
        assert viewer.status()["transcripts"] == 1  # reading works
        session = CodingSession(viewer, "newcomer")  # looking creates no coder
        assert session.coder_id == NO_CODER_ID and viewer.status()["coders"] == 0
        with pytest.raises(ProjectError, match="read-only"):
            viewer.update_settings(blind_coding=False)
        refused = "readonly|read-only"
        with viewer.reading() as conn, pytest.raises(DBAPIError, match=refused):
            conn.execute(text("DELETE FROM transcripts"))  # the database itself refuses, too
    finally:
        viewer.close()
    with Project.open(location) as writer:
        assert writer.status()["transcripts"] == 1 and writer.settings.blind_coding
