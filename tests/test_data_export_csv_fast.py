"""The passages CSV, encoded a transcript at a time, is the bytes the cell-by-cell writer gives.

The cell-by-cell writer is held to ``csv.writer``'s bytes in ``test_table_writers_csv.py``; here
the ids, speakers and metadata that need quoting or neutralising are what the export walks.
"""

from __future__ import annotations

import csv

import pytest

from tests.conftest import write
from workbench.core.data_export import _audience, _passages_table, export_data
from workbench.core.safe_output import restore_cell
from workbench.core.spreadsheet import import_decisions_csv
from workbench.core.store.importing import import_metadata_file, import_transcript_file
from workbench.core.store.queries import metadata_fields
from workbench.core.table_writers import write_csv

pytestmark = pytest.mark.backends  # the store's streams differ on PostgreSQL

TALK = 'Interviewer: Why, {}?\n\nParticipant: Because "speed", mostly,\nand =SUM(A1).\n'
IDS = ["-5", "=cmd,x", "plain", "@home", "+1", "a,b"]
METADATA = (
    'transcript_id,group,note\n-5,"a,b",x\n"=cmd,x",-trades,"two\nlines"\nplain,=1+1,\n+1,-,-0.25\n'
)
DECISIONS = (
    "passage_id,coder,code\n"
    "-5#2,ana,prod.speed\n"
    "-5#2,ana,hope.time\n"
    '"=cmd,x#2",bruno,prod.speed\n'
    "plain#2,ana,\n"
    '"a,b#2",cy,trust.verification\n'
)


def _generic_bytes(project, path):  # type: ignore[no-untyped-def]
    with project.reading() as conn:
        table = _passages_table(conn, _audience(project, conn, None), metadata_fields(conn))
        table.csv_blocks = None  # the writer's own cell-by-cell path
        write_csv(path, table)
    return path.read_bytes()


def test_fast_passages_csv_matches_cell_by_cell(tmp_path, project):
    for name in IDS:
        import_transcript_file(project, write(tmp_path / f"{name}.txt", TALK.format(name)))
    import_metadata_file(project, write(tmp_path / "m.csv", METADATA))
    import_decisions_csv(project, write(tmp_path / "d.csv", DECISIONS))
    out = tmp_path / "fast.csv"
    result = export_data(project, out)
    assert out.read_bytes() == _generic_bytes(project, tmp_path / "generic.csv")
    with open(out, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert result.rows == len(rows) == 2 * len(IDS)
    assert {restore_cell(r["transcript_id"]) for r in rows} == set(IDS)
    by_key = {restore_cell(r["passage_id"]): r for r in rows}
    assert (
        by_key["=cmd,x#2"]["passage_id"] == "'=cmd,x#2" and by_key["-5#2"]["transcript_id"] == "-5"
    )
    assert by_key["=cmd,x#2"]["note"] == "two\nlines" and by_key["-5#2"]["group"] == "a,b"
    assert by_key["-5#2"]["codes:ana"] == "hope.time;prod.speed"
    assert by_key["=cmd,x#2"]["codes:bruno"] == "prod.speed"
    assert (
        by_key["a,b#2"]["codes:cy"] == "trust.verification" and by_key["+1#1"]["coded"] == "false"
    )
    assert by_key["plain#2"]["codes:ana"] == "-" and by_key["plain#2"]["group"] == "'=1+1"
    assert by_key["+1#1"]["note"] == "-0.25" and by_key["+1#1"]["group"] == "-"
    assert by_key["@home#2"]["text"].startswith('Because "speed", mostly,\nand =SUM')


def test_fast_passages_csv_of_an_empty_project(tmp_path, project):
    out = tmp_path / "empty.csv"
    assert export_data(project, out).rows == 0
    assert out.read_bytes() == _generic_bytes(project, tmp_path / "generic.csv")
