"""Backups before risky operations, the rolling set, and restore: checked, undoable, recorded."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sqlite3
import stat
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.conftest import deny_writes, write
from workbench.cli import main
from workbench.core.errors import DecisionError, ProjectError
from workbench.core.session import CodingSession
from workbench.core.spreadsheet import import_decisions_csv
from workbench.core.store import Project, schema
from workbench.core.store.backups import (
    backup_file,
    backups_folder,
    list_backups,
    take_backup,
)
from workbench.core.store.importing import import_files
from workbench.core.store.integrity import verify_project
from workbench.core.store.queries import list_transcripts, passages_of
from workbench.core.store.restore import restore

SCHEMA_1 = Path(__file__).parent / "data" / "project-schema-1.wb"
INTERVIEW = "Interviewer: What changed?\nParticipant: I spend less time on reports now.\n"


def _rows(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _first_passage(project: Project) -> int:
    with project.reading() as conn:
        transcript = list_transcripts(conn)[0]
        return next(p.id for p in passages_of(conn, [transcript.id]) if p.coded)


@pytest.fixture
def study(tmp_path, project) -> Path:
    """A closed project with one transcript and one decision by ana."""
    import_files(project, [write(tmp_path / "p1.txt", INTERVIEW)])
    CodingSession(project, "ana").apply_code(_first_passage(project), "hope.excellence")
    project.close()
    return Path(project.location)


def _decisions(path: Path) -> list[tuple]:
    return _rows(path, "select code_id, action from decisions order by id")


def test_a_backup_is_a_consistent_copy_named_by_time_and_reason(study):
    target = backup_file(study, "manual")
    assert target.parent == backups_folder(study) == study.with_name("study.wb.backups")
    assert re.fullmatch(r"\d{8}T\d{6}Z(-\d+)?-manual\.wb", target.name)
    assert _decisions(target) == _decisions(study) == [("hope.excellence", "apply")]
    with Project.open(target) as copy:  # a project of its own, chain and all
        assert copy.integrity_warning is None
    [listed] = [b for b in list_backups(study) if b.path == target]
    assert listed.reason == "manual" and listed.size == target.stat().st_size
    assert not list(backups_folder(study).glob(".*partial"))


def test_the_rolling_set_keeps_the_newest_and_every_schema_copy(study):
    folder = backups_folder(study)
    schema_copy = backup_file(study, "before-schema-3")
    for old in list_backups(study)[1:]:  # the fixture's import
        old.path.unlink()
    made = [backup_file(study, "manual", keep=3) for _ in range(5)]
    (folder / "notes.txt").write_text("not a backup")  # someone's file: left alone, not listed
    names = [b.path for b in list_backups(study)]
    assert names[:3] == made[:-4:-1]  # newest first, in the order they were taken
    assert schema_copy in names and len(names) == 4
    assert not any(p.exists() for p in made[:2]) and (folder / "notes.txt").exists()
    just_made = backup_file(study, "import", keep=1)
    assert [b.path for b in list_backups(study)] == [just_made, schema_copy]


def test_restore_brings_the_backup_back_and_records_it(study):
    before = backup_file(study, "manual")
    with Project.open(study) as project:
        CodingSession(project, "ben").apply_code(_first_passage(project), "hope.time")
    assert len(_decisions(study)) == 2
    result = restore(study, before.name, actor="lead")
    assert _decisions(study) == [("hope.excellence", "apply")]  # ben's decision is gone
    assert result.saved_as is not None and len(_decisions(result.saved_as)) == 2  # kept there
    assert result.saved_as.name.endswith("-before-restore.wb")
    actor, action, detail = _rows(
        study, "select actor, action, detail from audit_log order by id desc limit 1"
    )[0]
    assert (actor, action) == ("lead", "project.restore")
    assert json.loads(detail)["from"] == before.name
    assert verify_project(study).ok
    restore(study, result.saved_as)  # and back again: a restore is undoable
    assert len(_decisions(study)) == 2


@pytest.mark.parametrize(
    "make_bad, message",
    [
        (lambda p: p.write_text("hello"), "not a SQLite database"),
        (
            lambda p: sqlite3.connect(p).execute("create table t (x)").connection.commit(),
            "no project tables",
        ),
        (lambda p: p.write_bytes(b"SQLite format 3\x00" + b"\x00" * 5000), "damaged|cannot read"),
    ],
    ids=["text", "other-sqlite", "corrupt"],
)
def test_a_bad_backup_is_refused_and_the_project_is_untouched(study, tmp_path, make_bad, message):
    bad = tmp_path / "bad.wb"
    make_bad(bad)
    digest, backups = _digest(study), list_backups(study)
    with pytest.raises(ProjectError, match=f"not restored.*({message}).*unchanged"):
        restore(study, bad)
    assert _digest(study) == digest and list_backups(study) == backups
    assert not list(tmp_path.glob(".*restoring"))


def test_a_backup_with_damaged_pages_is_refused(study):
    good = backup_file(study, "manual")
    conn = sqlite3.connect(good)
    page = conn.execute("pragma page_size").fetchone()[0]
    root = conn.execute("select rootpage from sqlite_master where name = 'decisions'").fetchone()[0]
    conn.close()
    with good.open("r+b") as handle:
        handle.seek((root - 1) * page)
        handle.write(b"\xa5" * (page // 2))
    digest = _digest(study)
    with pytest.raises(ProjectError, match="not restored.*(damaged|cannot read)"):
        restore(study, good)
    assert _digest(study) == digest


def test_a_backup_with_a_rewritten_record_is_refused(study):
    tampered = backup_file(study, "manual")
    conn = sqlite3.connect(tampered)
    conn.execute("drop trigger decisions_no_update")
    conn.execute("update decisions set code_id = 'fear.atrophy'")
    conn.commit()
    conn.close()
    with pytest.raises(ProjectError, match="record is not intact"):
        restore(study, tampered)


def test_a_damaged_project_can_be_restored_and_is_kept_as_it_was(study):
    good = backup_file(study, "manual")
    with study.open("r+b") as handle:  # wreck the header and the first pages
        handle.write(b"\x00" * 8192)
    damaged = study.read_bytes()
    result = restore(study, good)
    assert result.saved_as is not None and result.saved_as.read_bytes() == damaged
    assert _decisions(study) == [("hope.excellence", "apply")]


def test_imports_take_a_backup_first_and_a_refused_file_takes_none(study, tmp_path):
    with Project.open(study) as project:
        outcome = import_files(project, [write(tmp_path / "p2.txt", INTERVIEW + "More.\n")])
        assert outcome.backup is not None
        assert _rows(Path(outcome.backup), "select count(*) from transcripts") == [(1,)]
        taken = list_backups(study)
        bad = write(tmp_path / "bad.csv", "passage_id,coder,code\nx,ana,no.such.code\n")
        with pytest.raises(DecisionError, match="unknown code"):
            import_decisions_csv(project, bad)
        assert list_backups(study) == taken
        with project.reading() as conn:
            transcript = list_transcripts(conn)[0].id
            key = next(p.key for p in passages_of(conn, [transcript]) if p.coded)
        good = write(tmp_path / "d.csv", f"passage_id,coder,code\n{key},ben,hope.time\n")
        result = import_decisions_csv(project, good)
    assert result.backup is not None and result.backup.endswith("-import-decisions.wb")
    assert len(_decisions(Path(result.backup))) == 1  # the state before ben's row


def test_nothing_to_copy_for_a_server_or_a_read_only_project(study):
    server = SimpleNamespace(
        location="postgresql+psycopg://db/study", read_only=False, unwritable=None
    )
    assert take_backup(server, "import") is None  # type: ignore[arg-type]
    with Project.open(study, read_only=True) as project:
        assert take_backup(project, "import") is None
    with pytest.raises(ProjectError, match="pg_dump"):
        backup_file("postgresql+psycopg://db/study", "manual")


def test_a_schema_upgrade_copy_lands_in_the_folder_and_outlives_the_rolling_set(tmp_path):
    path = tmp_path / "old.wb"
    shutil.copy(SCHEMA_1, path)
    with Project.open(path) as project:
        upgrade = project.upgrade_backup
    assert upgrade is not None and upgrade.parent == backups_folder(path)
    assert upgrade.name.endswith(f"-before-schema-{schema.SCHEMA_VERSION}.wb")
    backup_file(path, "manual", keep=1)
    backup_file(path, "manual", keep=1)
    assert upgrade in [b.path for b in list_backups(path)]
    restore(path, upgrade)  # an older schema comes back and is upgraded again on open
    with Project.open(path) as project:
        assert project.status()["schema_version"] == schema.SCHEMA_VERSION


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_backup_list_and_restore(study, capsys, monkeypatch):
    code, out, _ = _cli(capsys, "backup", str(study), "--json")
    made = Path(json.loads(out)["backup"])
    assert code == 0 and made.is_file()
    code, out, _ = _cli(capsys, "backup", str(study), "--list", "--json")
    assert code == 0 and [b["name"] for b in json.loads(out)["backups"]][0] == made.name
    code, out, _ = _cli(capsys, "backup", str(study), "--list")
    assert made.name in out and "manual" in out
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    digest = _digest(study)
    code, _, err = _cli(capsys, "restore", str(study), made.name)
    assert code == 2 and "--yes" in err and _digest(study) == digest
    code, out, _ = _cli(capsys, "restore", str(study), made.name, "--yes")
    assert code == 0 and "restored from" in out
    code, _, err = _cli(capsys, "restore", str(study), "nope.wb", "--yes")
    assert code == 1 and err.count("\n") == 1 and "no such backup" in err
    code, _, err = _cli(capsys, "backup", "postgresql+psycopg://db/study")
    assert code == 1 and "pg_dump" in err and err.count("\n") == 1


def _sidecars(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(("-wal", "-shm")))


def test_a_backup_is_one_file_and_restoring_it_leaves_nothing_beside_it(study):
    made = backup_file(study, "manual")
    assert made.read_bytes()[18:20] == b"\x01\x01"  # rollback journal, not WAL (2, 2)
    older = backup_file(study, "manual")  # as earlier releases wrote them: WAL mode
    with sqlite3.connect(older) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    assert older.read_bytes()[18:20] == b"\x02\x02"
    for copy in (made, older):
        restore(study, copy.name)
        assert _sidecars(backups_folder(study)) == []
        assert _decisions(study) == [("hope.excellence", "apply")]


def test_pruning_removes_what_a_reader_left_beside_an_old_copy(study):
    for old in list_backups(study):
        old.path.unlink()
    oldest = backup_file(study, "manual")
    for suffix in ("-wal", "-shm"):
        oldest.with_name(oldest.name + suffix).write_bytes(b"")
    backup_file(study, "manual", keep=1)
    assert not oldest.exists() and _sidecars(backups_folder(study)) == []


def test_restore_over_a_read_only_project_is_refused_and_keeps_its_mode(study, monkeypatch):
    made = backup_file(study, "manual")
    study.chmod(0o444)
    deny_writes(monkeypatch, study)
    digest, count = _digest(study), len(list_backups(study))
    try:
        with pytest.raises(ProjectError, match="not restored, the file is read-only"):
            restore(study, made.name)
        assert stat.S_IMODE(study.stat().st_mode) == 0o444 and _digest(study) == digest
        assert len(list_backups(study)) == count  # no before-restore copy either
    finally:
        study.chmod(0o644)


def test_a_backup_on_read_only_media_can_be_restored(study, tmp_path, monkeypatch):
    media = tmp_path / "media"
    media.mkdir()
    copy = media / backup_file(study, "manual").name
    shutil.copyfile(backups_folder(study) / copy.name, copy)
    with sqlite3.connect(copy) as conn:  # an older, WAL-mode backup
        conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    with Project.open(study) as project:
        CodingSession(project, "ben").apply_code(_first_passage(project), "hope.time")
    media.chmod(0o555)
    deny_writes(monkeypatch, media)
    try:
        restore(study, copy)
        assert _sidecars(media) == []
    finally:
        media.chmod(0o755)
    assert _decisions(study) == [("hope.excellence", "apply")]
