"""A project SQLite cannot write (an archive, a read-only share, a chmod 444 file): it is read
as usual, and every write is refused before anything is done, a backup included."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import deny_writes, write
from workbench.cli import main
from workbench.core.errors import ProjectError
from workbench.core.session import CodingSession
from workbench.core.store import Project
from workbench.core.store.backups import list_backups, take_backup
from workbench.core.store.importing import import_files
from workbench.core.store.integrity import verify_project
from workbench.core.store.queries import list_transcripts, passages_of

INTERVIEW = "Interviewer: What changed?\nParticipant: I spend less time on reports now.\n"


@pytest.fixture
def study(tmp_path, codebook_path) -> Path:
    """A closed project in a folder of its own, with one decision by ana and one backup."""
    from workbench.core.codebook import load_codebook

    path = tmp_path / "archive" / "study.wb"
    with Project.create(path, codebook=load_codebook(codebook_path)) as project:
        import_files(project, [write(tmp_path / "p1.txt", INTERVIEW)])
        with project.reading() as conn:
            [transcript] = list_transcripts(conn)
            passage = next(p.id for p in passages_of(conn, [transcript.id]) if p.coded)
        CodingSession(project, "ana").apply_code(passage, "hope.excellence")
    return path


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_project_in_a_read_only_folder_is_read_and_leaves_nothing_beside_it(
    study, monkeypatch, capsys
):
    folder = study.parent
    files = sorted(p.name for p in folder.iterdir())
    folder.chmod(0o555)
    deny_writes(monkeypatch, folder)
    try:
        with Project.open(study) as project:
            assert project.read_only and "read-only" in (project.unwritable or "")
            with project.reading() as conn:
                assert [t.external_id for t in list_transcripts(conn)] == ["p1"]
        assert verify_project(study).ok
        code, out, err = _run(capsys, "search", str(study), "reports")
        assert code == 0 and "p1#" in out, err
        assert sorted(p.name for p in folder.iterdir()) == files  # no -wal, -shm or journal
    finally:
        folder.chmod(0o755)


def test_a_write_to_a_read_only_project_is_refused_before_a_backup(
    study, tmp_path, monkeypatch, capsys
):
    decisions = write(tmp_path / "d.csv", "passage_id,coder,code\np1#2,bo,hope.time\n")
    copy = tmp_path / "copy.wb"
    copy.write_bytes(study.read_bytes())
    taken = len(list_backups(study))
    study.chmod(0o444)
    deny_writes(monkeypatch, study)
    try:
        with Project.open(study) as project, pytest.raises(ProjectError, match="read-only"):
            take_backup(project, "import")
        for argv in (
            ["import", str(study), str(decisions), "--decisions"],
            ["import", str(study), str(write(tmp_path / "p2.txt", INTERVIEW))],
            ["merge", str(study), str(copy)],
        ):
            code, _, err = _run(capsys, *argv)
            assert code == 1 and err.count("\n") == 1, err
            assert "cannot write, the file is read-only; nothing was written" in err
        assert len(list_backups(study)) == taken
    finally:
        study.chmod(0o644)
