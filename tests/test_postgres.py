"""A team project on a PostgreSQL server holds every rule a SQLite file holds.

The server enforces the append-only record itself (triggers, privileges), writers queue so the
hash chain never forks, ``verify`` names a removed or disabled rule, and a project made by an
older release is migrated there. The concurrency test runs on both databases; the others need a
server (``WORKBENCH_TEST_POSTGRES_URL``, started by ``.ci/run``) and skip without one.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from tests.conftest import REPO, write
from workbench.cli import main
from workbench.core.store import Project
from workbench.core.store.coding import DecisionAction, ensure_coder, record_decision
from workbench.core.store.importing import import_transcript_file
from workbench.core.store.integrity import verify_project

SCHEMA_1 = Path(__file__).parent / "data" / "project-schema-1.wb"
INTERVIEW = "".join(
    f"Interviewer: Question {n}?\n\nParticipant: Answer {n} about drafts.\n\n" for n in range(6)
)

on_postgres = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


def _passages(project: Project) -> list[int]:
    with project.reading() as conn:
        return list(conn.execute(text("select id from passages where coded order by id")).scalars())


def _coded_project(project: Project, tmp_path: Path) -> int:
    """One transcript, one decision of ana's; returns that decision's passage."""
    import_transcript_file(project, write(tmp_path / "p1.txt", INTERVIEW))
    passage = _passages(project)[0]
    with project.transaction() as conn:
        coder = ensure_coder(conn, "ana")
        record_decision(conn, passage, coder, DecisionAction.APPLY, "hope.time")
    return passage


@on_postgres
@pytest.mark.parametrize(
    "statement",
    [
        "update decisions set code_id = 'fear.atrophy'",
        "delete from decisions",
        "truncate decisions cascade",
        "update audit_log set actor = 'someone else'",
        "delete from audit_log",
        "insert into decisions (id, passage_id, coder_id, action, created_at) "
        "values (1, {passage}, 1, 'apply', now())",
        "insert into decisions (id, passage_id, coder_id, action, created_at) "
        "values (1, {passage}, 1, 'apply', now()) on conflict (id) do update set action = 'remove'",
    ],
)
def test_the_server_refuses_rewriting_the_record(project, tmp_path, statement):
    passage = _coded_project(project, tmp_path)
    before = project.status()
    with pytest.raises(DBAPIError, match="append-only"), project.transaction() as conn:
        conn.execute(text(statement.format(passage=passage)))
    assert project.status() == before
    assert verify_project(project.location).ok


@on_postgres
def test_a_plain_connection_cannot_update_decisions_either(project, tmp_path):
    """Not only the workbench's own sessions: any client of the server is refused."""
    _coded_project(project, tmp_path)
    engine = create_engine(project.location)
    try:
        with pytest.raises(DBAPIError, match="decisions is append-only"), engine.begin() as conn:
            conn.execute(text("update decisions set reason = 'rewritten' where id = 1"))
    finally:
        engine.dispose()


@on_postgres
@pytest.mark.parametrize(
    "removal", ["drop trigger {name} on {table}", "alter table {table} disable trigger {name}"]
)
def test_a_removed_rule_is_reported_by_verify_and_put_back_at_open(
    project, tmp_path, capsys, caplog, removal
):
    _coded_project(project, tmp_path)
    with project.transaction() as conn:
        conn.execute(text(removal.format(name="decisions_no_update", table="decisions")))
        conn.execute(text("update decisions set reason = 'rewritten' where id = 1"))
    capsys.readouterr()
    assert main(["verify", project.location]) == 1
    out = capsys.readouterr().out
    assert "decisions_no_update" in out and "decisions row 1: changed row" in out
    project.close()
    with Project.open(project.location) as reopened:
        assert "decisions_no_update" in (reopened.integrity_warning or "")
        assert "changed row" in reopened.integrity_warning
    report = verify_project(project.location)
    assert report.missing_triggers == [] and [p.row_id for p in report.chain] == [1]


@on_postgres
def test_a_project_made_before_the_server_rules_gets_them_quietly(project, tmp_path):
    _coded_project(project, tmp_path)
    with project.transaction() as conn:
        for name in ("update", "delete", "truncate", "replace"):
            for table in ("decisions", "audit_log"):
                conn.execute(text(f"drop trigger {table}_no_{name} on {table}"))
        conn.execute(text("delete from meta where key = 'server_rules'"))
    assert len(verify_project(project.location).missing_triggers) == 8
    project.close()
    with Project.open(project.location) as reopened:
        assert reopened.integrity_warning is None
    assert verify_project(project.location).ok


@on_postgres
def test_a_read_only_open_leaves_missing_rules_to_verify(project, tmp_path):
    _coded_project(project, tmp_path)
    with project.transaction() as conn:
        conn.execute(text("drop trigger audit_log_no_delete on audit_log"))
    project.close()
    with Project.open(project.location, read_only=True) as viewer:
        assert "audit_log_no_delete" in (viewer.integrity_warning or "")
    assert verify_project(project.location).missing_triggers == ["audit_log_no_delete"]


_WORKER = """
import sys, time
from workbench.core.store import Project
from workbench.core.store.coding import DecisionAction, ensure_coder, record_decision

location, coder_name, start = sys.argv[1], sys.argv[2], float(sys.argv[3])
passages = [int(p) for p in sys.argv[4].split(",")]
with Project.open(location) as project:
    while time.time() < start:
        time.sleep(0.005)
    with project.transaction() as conn:
        coder = ensure_coder(conn, coder_name)
    for passage in passages:
        for code in ("hope.time", "prod.speed"):
            with project.transaction() as conn:
                record_decision(conn, passage, coder, DecisionAction.APPLY, code)
        with project.transaction() as conn:
            record_decision(conn, passage, coder, DecisionAction.REMOVE, "prod.speed")
"""


@pytest.mark.backends
def test_coders_deciding_at_once_all_keep_their_decisions(project):
    """Four processes, two coders each in two "windows", on the same passages at the same
    moment: every decision is kept, none fails, and the chain holds."""
    import_transcript_file(
        project,
        write(Path(os.environ.get("TMPDIR", "/tmp")) / f"conc-{os.getpid()}.txt", INTERVIEW),
    )
    passages = _passages(project)
    start = time.time() + 3  # all four are open and waiting by then
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                _WORKER,
                str(project.location),
                coder,
                str(start),
                ",".join(map(str, passages)),
            ],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for coder in ("ana", "ana", "ben", "ben")
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=240)
        assert worker.returncode == 0, err[-2000:]
    status = project.status()
    assert status["decisions"] == 4 * 3 * len(passages)
    assert status["coders"] == 2 and status["reviewed_passages"] == len(passages)
    with project.reading() as conn:
        codings = conn.execute(text("select count(*) from codings")).scalar_one()
        reviews = conn.execute(text("select count(*) from reviews")).scalar_one()
    assert codings == 2 * len(passages)  # hope.time per coder; prod.speed removed each time
    assert reviews == 2 * len(passages)
    assert verify_project(project.location).ok


def _project_at_schema_1(url: str) -> None:
    """The schema-1 fixture file, as a server project that release would have made: today's
    tables less what later steps add (taken from the file's own columns), and its rows."""
    source = sqlite3.connect(SCHEMA_1)
    from workbench.core.store import schema

    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            old_tables = {
                name: [row[1] for row in source.execute(f"pragma table_info({name})")]
                for (name,) in source.execute("select name from sqlite_master where type='table'")
            }
            schema.metadata.create_all(conn)
            for table in reversed(schema.metadata.sorted_tables):
                if table.name not in old_tables:
                    conn.execute(text(f"drop table {table.name}"))
                    continue
                for column in table.columns:
                    if column.name not in old_tables[table.name]:
                        conn.execute(text(f"alter table {table.name} drop column {column.name}"))
            for table in schema.metadata.sorted_tables:
                columns = old_tables.get(table.name)
                if columns is None:
                    continue
                rows = source.execute(f"select {', '.join(columns)} from {table.name}").fetchall()
                if not rows:
                    continue
                quoted = ", ".join(f'"{c}"' for c in columns)  # "end" is a keyword
                bools = {c.name for c in table.columns if c.type.python_type is bool}
                conn.execute(
                    text(
                        f"insert into {table.name} ({quoted}) values "
                        f"({', '.join(':' + c for c in columns)})"
                    ),
                    [
                        {
                            c: bool(v) if c in bools and v is not None else v
                            for c, v in zip(columns, row)
                        }
                        for row in rows
                    ],
                )
                if "id" in columns:
                    conn.execute(
                        text(
                            f"select setval(pg_get_serial_sequence('{table.name}', 'id'), "
                            f"(select max(id) from {table.name}))"
                        )
                    )
    finally:
        engine.dispose()
        source.close()


@on_postgres
def test_a_schema_1_server_project_is_migrated_like_a_file(project_location, tmp_path):
    _project_at_schema_1(project_location)
    file_copy = tmp_path / "old.wb"
    source = sqlite3.connect(SCHEMA_1)
    theirs_decisions = source.execute("select count(*) from decisions").fetchone()[0]
    source.close()
    file_copy.write_bytes(SCHEMA_1.read_bytes())
    with Project.open(project_location) as server, Project.open(file_copy) as local:
        assert server.upgraded_from == 1 and local.upgraded_from == 1
        assert server.integrity_warning is None
        snapshot = server.upgrade_backup
        assert isinstance(snapshot, str) and snapshot.startswith("workbench_before_schema_")
        with server.reading() as conn:  # the copy taken first is the project as it was
            kept = conn.execute(text(f"select count(*) from {snapshot}.decisions")).scalar_one()
            columns = conn.execute(
                text(
                    "select column_name from information_schema.columns "
                    "where table_schema = :s and table_name = 'decisions'"
                ),
                {"s": snapshot},
            ).scalars()
            assert "row_hash" not in set(columns)
        assert kept == theirs_decisions > 0
        mine, theirs = server.status(), local.status()
        assert {k: v for k, v in mine.items() if k != "project"} == {
            k: v for k, v in theirs.items() if k != "project"
        }
        with server.transaction() as conn:
            coder = ensure_coder(conn, "newcomer")
            record_decision(conn, _passages(server)[0], coder, DecisionAction.NO_CODE)
    assert verify_project(project_location).ok
    with (
        pytest.raises(DBAPIError, match="append-only"),
        Project.open(project_location).transaction() as conn,
    ):
        conn.execute(text("update decisions set reason = 'x'"))


@on_postgres
def test_a_writer_that_waits_too_long_is_told_the_project_is_busy(project, monkeypatch):
    from workbench.core.errors import ProjectBusyError
    from workbench.core.store.database import WRITE_LOCK_KEY

    monkeypatch.setenv("WORKBENCH_BUSY_TIMEOUT_MS", "300")
    holder = create_engine(project.location)
    try:
        with holder.begin() as conn:
            conn.execute(text(f"select pg_advisory_xact_lock({WRITE_LOCK_KEY})"))
            with pytest.raises(ProjectBusyError, match="busy"), project.transaction() as write:
                write.execute(text("insert into meta (key, value) values ('x', 'y')"))
        with project.transaction() as write:  # the lock went with the holder's commit
            write.execute(text("insert into meta (key, value) values ('x', 'y')"))
    finally:
        holder.dispose()
