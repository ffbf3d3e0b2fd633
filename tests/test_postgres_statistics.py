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
