"""A project copied to read-only media together with a -wal file that still holds commits
cannot be read there (SQLite must write a -shm beside it): the message says so and what to do,
instead of SQLite's bare "unable to open database file"."""

from __future__ import annotations

from tests.conftest import deny_writes
from workbench.core.store.database import pending_wal_hint as _pending_wal_hint


def test_the_hint_names_the_wal_file_and_the_way_out(tmp_path, monkeypatch):
    project = tmp_path / "study.wb"
    project.write_bytes(b"SQLite format 3\x00")
    (tmp_path / "study.wb-wal").write_bytes(b"x" * 100)
    assert _pending_wal_hint(project) == ""  # a writable folder: SQLite manages on its own
    deny_writes(monkeypatch, tmp_path)
    hint = _pending_wal_hint(project)
    assert "study.wb-wal holds changes not yet written" in hint
    assert "copy the project with its -wal file to a writable folder" in hint


def test_no_hint_without_pending_changes(tmp_path, monkeypatch):
    project = tmp_path / "study.wb"
    project.write_bytes(b"SQLite format 3\x00")
    deny_writes(monkeypatch, tmp_path)
    assert _pending_wal_hint(project) == ""
    (tmp_path / "study.wb-wal").write_bytes(b"")  # an empty -wal holds nothing
    assert _pending_wal_hint(project) == ""
