"""A large import leaves PostgreSQL's planner statistics current; a small one leaves them be.

Right after a bulk load the planner still plans from an empty project's statistics until
autovacuum (off on some servers) gets round to ANALYZE; ``pg_class.reltuples`` is what ANALYZE
sets, so it says whether the import ran it.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.conftest import write
from workbench.core.ingest.files import import_files
from workbench.core.store import importing

INTERVIEW = "".join(
    f"Interviewer: Question {n}?\n\nParticipant: Answer {n} about drafts.\n\n" for n in range(6)
)

on_postgres = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


@on_postgres
@pytest.mark.parametrize("threshold, analysed", [(1, True), (1_000, False)])
def test_an_import_over_the_threshold_analyses_what_it_filled(
    project, tmp_path, monkeypatch, threshold, analysed
):
    monkeypatch.setattr(importing, "ANALYZE_AFTER_PASSAGES", threshold)
    import_files(project, [write(tmp_path / "p1.txt", INTERVIEW)])
    with project.reading() as conn:
        passages = conn.execute(text("select count(*) from passages")).scalar()
        estimate = conn.execute(
            text("select reltuples from pg_class where relname = 'passages'")
        ).scalar()
    assert passages == 12
    assert (estimate == passages) is analysed


def test_sqlite_is_left_as_it_is(project, tmp_path, monkeypatch):
    monkeypatch.setattr(importing, "ANALYZE_AFTER_PASSAGES", 1)
    import_files(project, [write(tmp_path / "p1.txt", INTERVIEW)])
    with project.reading() as conn:
        tables = conn.execute(text("select name from sqlite_master where name = 'sqlite_stat1'"))
        assert tables.first() is None  # no ANALYZE ran


def _analyses(project) -> list[str]:
    """Every ANALYZE the project's connections send, as they are sent."""
    from sqlalchemy import event

    sent: list[str] = []

    @event.listens_for(project.engine, "before_cursor_execute")
    def _record(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("ANALYZE"):
            sent.append(statement)

    return sent


@on_postgres
def test_a_growing_import_analyses_each_time_it_doubles(project):
    sent = _analyses(project)
    writer = importing.ImportConnection(project)
    try:
        writer.begin()
        for added in (6_000, 4_000, 5_000, 4_000, 1_000, 9_000, 100):
            writer.analyse_as_it_grows(added)
        assert writer.in_transaction  # it ran inside the import's transaction, not after it
        writer.rollback()
    finally:
        writer.close()
    # at 10,000 added, then 20,000 (twice 10,000), then none until 40,000
    assert len(sent) == 2


@on_postgres
def test_one_large_file_is_analysed_while_it_is_stored(project, tmp_path, monkeypatch):
    """A table file is one transaction: its later batches look up their rows by the indexes
    only if the statistics already counted the earlier ones, so it is analysed inside it."""
    monkeypatch.setattr(importing, "ANALYZE_AFTER_PASSAGES", 12)
    rows = "".join(f't{n},"{INTERVIEW.replace("drafts", f"draft {n}")}"\n' for n in range(8))
    sent = _analyses(project)
    import_files(project, [write(tmp_path / "many.csv", "transcript_id,text\n" + rows)])
    with project.reading() as conn:
        passages = conn.execute(text("select count(*) from passages")).scalar()
    assert passages == 8 * 12
    # once in the transaction (96 passages in one batch), once after the commit
    assert len(sent) == 2
