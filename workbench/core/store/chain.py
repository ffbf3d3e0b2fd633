"""The hash chain over the append-only tables: a rewritten, removed or inserted row shows.

Triggers refuse UPDATE and DELETE, but anyone with ``sqlite3`` can drop a trigger. So each row
of ``decisions`` and ``audit_log`` also carries ``prev_hash`` (the hash of the row before it)
and ``row_hash`` (SHA-256 over every other column, ``prev_hash`` included). Changing a row
breaks its own hash; removing one breaks the next row's link and leaves a gap in the ids.

This module is the one place that computes a row's hash: every writer goes through
``append_chained`` and ``verify`` through ``check_chain``, so the two cannot drift apart.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    Connection,
    DateTime,
    Integer,
    Table,
    Text,
    inspect,
    select,
    type_coerce,
)

from workbench.core.store.notify import announce

GENESIS = "workbench-chain-genesis"  # the prev_hash of a table's first row
HASH_COLUMNS = ("prev_hash", "row_hash")
# Columns added after the chain began (schema 3; arm in 7, spans and translation in 8): a row that leaves one NULL hashes as if the
# column did not exist, so every row chained before the column came still verifies.
LATER_COLUMNS = frozenset({"arm", "span_start", "span_end", "translation_shown"})


def _kind(table: Table, name: str) -> str:
    column_type = table.c[name].type
    if isinstance(column_type, DateTime):
        return "datetime"
    if isinstance(column_type, Integer):
        return "int"
    return "text"


def _canonical_value(value: object) -> object:
    """The value as SQLite stores it, so a hash computed before the insert matches the row
    read back: a datetime is written by SQLAlchemy as naive ``YYYY-MM-DD HH:MM:SS.ffffff``."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, bytes):
        return value.hex()
    return value


def row_hash(table: Table, row: Mapping[str, object]) -> str:
    """SHA-256 over the row's columns (all but ``row_hash``) as JSON with sorted keys and
    each value tagged with its column's type, so ``1`` and ``"1"`` never hash alike. A NULL in
    one of ``LATER_COLUMNS`` is left out, so the hash of an older row is what it was."""
    fields = {
        column.name: [_kind(table, column.name), _canonical_value(row.get(column.name))]
        for column in table.columns
        if column.name != "row_hash"
        and not (column.name in LATER_COLUMNS and row.get(column.name) is None)
    }
    payload = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _last_link(conn: Connection, table: Table) -> tuple[int, str]:
    last = conn.execute(
        select(table.c.id, table.c.row_hash).order_by(table.c.id.desc()).limit(1)
    ).first()
    if last is None:
        return 0, GENESIS
    return int(last.id), str(last.row_hash)


def chain_rows(
    table: Table,
    rows: Iterable[Mapping[str, object]],
    last_id: int,
    last_hash: str,
    keep_ids: bool = False,
) -> list[dict[str, object]]:
    """``rows`` with ids (following ``last_id``, or their own with ``keep_ids``), ``prev_hash``
    and ``row_hash`` filled in."""
    chained = []
    for offset, row in enumerate(rows, start=1):
        full = {column.name: None for column in table.columns} | dict(row)
        if not keep_ids:
            full["id"] = last_id + offset
        full["prev_hash"] = last_hash
        full["row_hash"] = last_hash = row_hash(table, full)
        chained.append(full)
    return chained


def append_chained(
    conn: Connection, table: Table, rows: Iterable[Mapping[str, object]]
) -> list[int]:
    """Insert ``rows`` at the end of ``table``'s chain inside the caller's transaction.

    One SELECT of the last row's id and hash per call; the ids are given explicitly because
    the hash covers them. Two writers racing for the same id cannot fork the chain: the
    primary key (and the no-replace trigger) refuses the second, whose transaction rolls back.
    """
    last_id, last_hash = _last_link(conn, table)
    chained = chain_rows(table, rows, last_id, last_hash)
    if chained:
        conn.execute(table.insert(), chained)
        if table.name == "decisions":
            announce(conn, "decisions")  # open apps on a team server re-read at commit
    return [int(row["id"]) for row in chained]  # type: ignore[call-overload]


@dataclass(frozen=True)
class ChainProblem:
    """The first row of a table where the chain does not hold, and why."""

    table: str
    row_id: int
    reason: str  # "changed row", "broken link" or "gap"
    detail: str

    def __str__(self) -> str:
        return f"{self.table} row {self.row_id}: {self.reason}: {self.detail}"


def stored_rows(conn: Connection, table: Table) -> list[dict[str, object]]:
    """Every row of ``table`` in id order, as stored: what the upgrade to schema 3 chains.

    Only the columns the database has yet: a column a later schema adds is not there then."""
    present = {column["name"] for column in inspect(conn).get_columns(table.name)}
    return [dict(row) for row in _raw_rows(conn, table, None, present)]


def _raw_rows(
    conn: Connection, table: Table, from_id: int | None, present: set[str] | None = None
) -> Iterable[Mapping]:
    # Datetimes are read as stored (text on SQLite), never reparsed: the hash is over that text,
    # and a value a tamperer wrote in another shape must fail the hash, not the reading.
    columns = [
        type_coerce(column, Text).label(column.name)
        if isinstance(column.type, DateTime)
        else column
        for column in table.columns
        if present is None or column.name in present
    ]
    query = select(*columns).order_by(table.c.id)
    if from_id is not None:
        query = query.where(table.c.id >= from_id)
    for row in conn.execute(query):
        yield row._mapping


def check_chain(conn: Connection, table: Table, tail: int | None = None) -> ChainProblem | None:
    """The first problem in ``table``'s chain, or None; ``tail`` checks only the last rows
    (what opening a project can afford), None the whole table (``workbench verify``)."""
    from_id = None
    if tail is not None:
        last_id, _ = _last_link(conn, table)
        from_id = max(1, last_id - tail + 1)
    previous_id: int | None = None if from_id not in (None, 1) else 0
    previous_hash: str | None = GENESIS if previous_id == 0 else None
    name = table.name
    for row in _raw_rows(conn, table, from_id):
        row_id = int(row["id"])
        if previous_id is not None and row_id != previous_id + 1:
            missing = (
                f"row {previous_id + 1}"
                if row_id == previous_id + 2
                else f"rows {previous_id + 1} to {row_id - 1}"
            )
            return ChainProblem(name, row_id, "gap", f"{missing} before it are missing")
        if previous_hash is not None and row["prev_hash"] != previous_hash:
            before = f"row {previous_id}" if previous_id else "the start of the chain"
            return ChainProblem(
                name,
                row_id,
                "broken link",
                f"its prev_hash does not match {before} (that row was rewritten, or one was "
                "inserted or removed)",
            )
        if row["row_hash"] != row_hash(table, row):
            return ChainProblem(name, row_id, "changed row", "its content does not match its hash")
        previous_id, previous_hash = row_id, row["row_hash"]
    return None
