"""The CSV writer's own row joining gives the bytes ``csv.writer`` gives, formula text neutralised."""

from __future__ import annotations

import csv
import io
import random
from datetime import UTC, datetime

from workbench.core.safe_output import FORMULA_TRIGGERS, neutralise_cell
from workbench.core.table_writers import Table, write_csv

ALPHABET = ["a", "é", " ", ",", '"', "\n", "\r", "\t", "=", "+", "-", "@", ";", "'", "1", ".", "e"]


PLAIN = ["a", "é", " ", ";", "'", "1", ".", "e", "-", "="]  # no quoting; a trigger now and then


def _value(rng: random.Random):  # type: ignore[no-untyped-def]
    kind = rng.randrange(8)
    if kind >= 6:  # rows that need nothing done: the writer's fast path
        return "".join(rng.choice(PLAIN) for _ in range(rng.randrange(0, 5)))
    if kind == 0:
        return None
    if kind == 1:
        return rng.randint(-5, 5)
    if kind == 2:
        return rng.choice([0.5, -0.25, 1e-05])
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(0, 7)))


def _expected(columns, types, rows) -> bytes:  # type: ignore[no-untyped-def]
    """What the writer wrote before: csv.writer, formula text neutralised, typed cells plain."""
    handle = io.StringIO(newline="")
    writer = csv.writer(handle)
    writer.writerow(columns)
    for row in rows:
        out = []
        for value, kind in zip(row, types, strict=True):
            if kind == "bool" and value is not None:
                value = "true" if value else "false"
            elif kind == "time" and value is not None:
                value = value.isoformat()
            if value.__class__ is str and value[:1] in FORMULA_TRIGGERS:
                value = neutralise_cell(value)
            out.append(value)
        writer.writerow(out)
    return handle.getvalue().encode("utf-8")


def test_same_bytes_as_csv_writer(tmp_path):
    rng = random.Random(14)
    columns = ["id", "flag", "when", "a", "b", "c"]
    types = ["str", "bool", "time", "str", "str", "float"]
    when = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    rows = [
        [_value(rng), rng.choice([True, False, None]), rng.choice([when, None])]
        + [_value(rng) for _ in range(3)]
        for _ in range(3000)
    ]
    rows += [[f"p{i}", True, when, "plain text", "", 1.5] for i in range(20)]
    rows.append(["", None, None, "", "", None])  # every cell empty
    out = tmp_path / "t.csv"
    assert write_csv(out, Table("t", columns, types, iter(rows))) == len(rows)
    assert out.read_bytes() == _expected(columns, types, rows)


def test_a_single_column_keeps_csv_quoting_of_an_empty_cell(tmp_path):
    rows = [["x"], [""], ["=1+1"], [None]]
    out = tmp_path / "one.csv"
    write_csv(out, Table("one", ["only"], ["str"], iter(rows)))
    assert out.read_bytes() == _expected(["only"], ["str"], rows)
