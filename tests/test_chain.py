"""The hash chain over decisions and the audit log: tampering with sqlite3 directly is found
by ``workbench verify`` (naming the row) and warned about at open; damage refuses writing."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.core.errors import ProjectError
from workbench.core.store import Project
from workbench.core.store.coding import (
    DecisionAction,
    PlannedDecision,
    ensure_coder,
    record_decision,
    record_decisions_bulk,
)
from workbench.core.store.integrity import verify_project

SCHEMA_1 = Path(__file__).parent / "data" / "project-schema-1.wb"


@pytest.fixture
def migrated(tmp_path) -> Path:
    """The schema-1 project (221 decisions) opened once, so upgraded and chained."""
    path = tmp_path / "study.wb"
    shutil.copy(SCHEMA_1, path)
    Project.open(path).close()
    return path


def _sql(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path)
    try:
        for statement in statements:
            conn.execute(statement)
        conn.commit()
    finally:
        conn.close()


def _verify(capsys, path: Path) -> tuple[int, dict]:
    capsys.readouterr()
    code = main(["verify", str(path), "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_a_project_migrated_from_schema_1_verifies_ok(migrated, capsys):
    code, report = _verify(capsys, migrated)
    assert code == 0 and report["ok"], report
    assert main(["verify", str(migrated)]) == 0
    assert "OK" in capsys.readouterr().out


def test_single_and_bulk_writes_keep_the_chain(migrated, capsys):
    with Project.open(migrated) as project, project.transaction() as conn:
        passage = conn.execute(_first_passage()).scalar_one()
        coder = ensure_coder(conn, "chain-tester")
        record_decision(conn, passage, coder, DecisionAction.APPLY, "AIW-TOOL")
        record_decision(conn, passage, coder, DecisionAction.REMOVE, "AIW-TOOL")
        planned = [PlannedDecision(passage + n, coder, DecisionAction.NO_CODE) for n in range(1, 6)]
        assert record_decisions_bulk(conn, planned, set(), None, "bulk test") == 5
    code, report = _verify(capsys, migrated)
    assert code == 0 and report["ok"], report
    hashes = (
        sqlite3.connect(migrated)
        .execute("select prev_hash, row_hash from decisions order by id desc limit 7")
        .fetchall()
    )
    assert all(len(h) == 64 for _, h in hashes)
    assert [prev for prev, _ in hashes[:-1]] == [h for _, h in hashes[1:]]


def _first_passage():  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from workbench.core.store import schema

    return select(schema.passages.c.id).order_by(schema.passages.c.id).limit(1)


def test_the_triggers_refuse_replace_update_and_delete(migrated):
    for statement in (
        "replace into decisions (id, passage_id, coder_id, action, created_at) "
        "values (1, 1, 1, 'no_code', '2024-01-01 00:00:00.000000')",
        "insert or replace into audit_log (id, at, actor, action, detail) "
        "values (1, '2024-01-01 00:00:00.000000', 'x', 'x', '{}')",
        "update decisions set reason = 'x' where id = 1",
        "delete from audit_log where id = 1",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            _sql(migrated, statement)


@pytest.mark.parametrize(
    ("statements", "table", "row_id", "reason"),
    [
        (
            [
                "drop trigger decisions_no_replace",
                "replace into decisions (id, passage_id, coder_id, action, code_id, created_at, "
                "prev_hash, row_hash) select id, passage_id, coder_id, 'no_code', null, "
                "created_at, prev_hash, row_hash from decisions where id = 1",
            ],
            "decisions",
            1,
            "changed row",
        ),
        (
            [
                "drop trigger audit_log_no_replace",
                "replace into audit_log (id, at, actor, action, detail, prev_hash, row_hash) "
                "select id, at, 'mallory', action, detail, prev_hash, row_hash "
                "from audit_log where id = 2",
            ],
            "audit_log",
            2,
            "changed row",
        ),
        (
            [
                "drop trigger decisions_no_update",
                "update decisions set reason = 'edited' where id = 40",
            ],
            "decisions",
            40,
            "changed row",
        ),
        (
            ["drop trigger decisions_no_delete", "delete from decisions where id = 7"],
            "decisions",
            8,
            "gap",
        ),
    ],
)
def test_verify_names_the_first_tampered_row(migrated, capsys, statements, table, row_id, reason):
    _sql(migrated, *statements)
    code, report = _verify(capsys, migrated)
    assert code == 1 and not report["ok"]
    assert report["missing_triggers"] == [statements[0].split()[-1]]
    [problem] = report["chain"]
    assert (problem["table"], problem["row_id"], problem["reason"]) == (table, row_id, reason)
    assert main(["verify", str(migrated)]) == 1
    assert f"{table} row {row_id}: {reason}" in capsys.readouterr().out


def test_a_rehashed_row_breaks_the_next_link(migrated, capsys):
    """Someone who recomputes the rewritten row's own hash still leaves the next row's link."""
    from workbench.core.store import schema
    from workbench.core.store.chain import row_hash, stored_rows
    from workbench.core.store.database import make_engine

    _sql(
        migrated,
        "drop trigger decisions_no_update",
        "update decisions set reason = 'x' where id = 3",
    )
    engine = make_engine(migrated)
    with engine.begin() as conn:
        row = next(r for r in stored_rows(conn, schema.decisions) if r["id"] == 3)
    engine.dispose()
    _sql(
        migrated,
        f"update decisions set row_hash = '{row_hash(schema.decisions, row)}' where id = 3",
    )
    _, report = _verify(capsys, migrated)
    [problem] = report["chain"]
    assert (problem["row_id"], problem["reason"]) == (4, "broken link")


def test_opening_a_tampered_project_warns_naming_verify(migrated, caplog):
    last = sqlite3.connect(migrated).execute("select max(id) from decisions").fetchone()[0]
    _sql(
        migrated,
        "drop trigger decisions_no_update",
        f"update decisions set code_id = 'forged' where id = {last}",
    )
    assert main(["status", str(migrated)]) == 0
    err = caplog.text  # the CLI's stderr: logging prints warnings there
    assert f"decisions row {last}: changed row" in err and "workbench verify" in err
    assert "decisions_no_update is missing" in err
    with Project.open(migrated) as project:
        assert project.integrity_warning is not None


def test_opening_a_clean_project_is_quiet(migrated, caplog):
    caplog.clear()
    assert main(["status", str(migrated)]) == 0
    assert "altered" not in caplog.text


def _overwrite_page(path: Path, table: str) -> None:
    """Garbage over the first half of ``table``'s root page, somewhere in the file's middle."""
    conn = sqlite3.connect(path)
    page_size = conn.execute("pragma page_size").fetchone()[0]
    root = conn.execute("select rootpage from sqlite_master where name = ?", (table,)).fetchone()[0]
    conn.close()
    with path.open("r+b") as handle:
        handle.seek((root - 1) * page_size)
        handle.write(b"\xa5" * (page_size // 2))


def test_a_damaged_file_is_refused_for_writing_and_verify_reports_it(migrated, capsys):
    _overwrite_page(migrated, "decisions")
    with pytest.raises(ProjectError, match="damaged.*Restore it from a backup"):
        Project.open(migrated)
    assert main(["status", str(migrated)]) == 1
    assert f"workbench restore {migrated} BACKUP" in capsys.readouterr().err
    code, report = _verify(capsys, migrated)
    assert code == 1 and report["integrity"]


def test_verify_finds_damage_the_open_check_does_not_read(migrated, capsys):
    _overwrite_page(migrated, "transcripts")
    report = verify_project(migrated)
    assert not report.ok and report.integrity
