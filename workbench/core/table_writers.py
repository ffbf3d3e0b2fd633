"""Streams of rows into CSV, XLSX and Parquet files, each written whole or not at all.

The exports hand over rows one at a time, so a writer never holds a table: CSV writes each row,
XLSX uses openpyxl's write-only mode, Parquet writes row groups of a few thousand rows. Text that
a spreadsheet would run as a formula is neutralised in CSV (an apostrophe in front); XLSX
stores it as a string cell, which is never run, and Parquet is read by programs, which keep
text as text, so both get the exact values.
"""

from __future__ import annotations

import contextlib
import csv
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from workbench.core.safe_output import (
    FORMULA_TRIGGERS,
    OutputError,
    atomic_output,
    atomic_path,
    neutralise_cell,
    neutralise_row,
)

XLSX_MAX_ROWS = 1_048_576  # a worksheet's rows, the header included
XLSX_MAX_CELL = 32_767  # characters in one cell
PARQUET_BATCH = 8192


@dataclass
class Table:
    """A named table: column names, each column's type, and the rows, produced lazily.

    Types are ``str``, ``int``, ``float``, ``bool`` and ``time`` (a datetime, UTC): Parquet
    keeps them typed, CSV and XLSX write numbers as numbers and times as ISO 8601.
    """

    name: str
    columns: list[str]
    types: list[str]
    rows: Iterable[Sequence[Any]]
    written: int = 0  # rows written, once a writer is done with it
    # The same rows already as CSV text, ``(lines, how many)`` at a time, for a table that can
    # encode what repeats (a transcript's id and metadata) once rather than on every row: the
    # CSV writer takes these instead of ``rows``. They must be the bytes ``rows`` would give
    # (each cell through :func:`csv_cell`, lines ending ``\r\n``).
    csv_blocks: Callable[[], Iterator[tuple[str, int]]] | None = None


def as_utc(value: datetime) -> datetime:
    """SQLite hands back stored UTC times without their zone; say which zone they are in."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


_TRIGGERS = frozenset(FORMULA_TRIGGERS)


def csv_cell(value: Any, triggers: frozenset[str] = _TRIGGERS) -> str:
    """One cell as ``csv.writer`` (excel dialect, minimal quoting) writes it, formula text
    neutralised: the same bytes, at half the cost of ``writerow`` on a two-million-row export.
    Booleans and times must already be plain (see ``_plain``)."""
    if value is None:
        return ""
    text = value if value.__class__ is str else str(value)
    if text[:1] in triggers and value.__class__ is str:
        text = neutralise_cell(text)
    if '"' in text:
        return '"' + text.replace('"', '""') + '"'
    if "," in text or "\n" in text or "\r" in text:
        return '"' + text + '"'
    return text


def write_csv(path: str | Path, table: Table) -> int:
    """One CSV file; ``None`` is an empty cell, a boolean ``true``/``false``.

    Rows are joined here rather than by ``csv.writer`` (``tests/test_table_writers_csv.py``
    holds them to the same bytes); only text that starts with a formula trigger goes through
    :func:`neutralise_cell`.
    """
    typed = [i for i, kind in enumerate(table.types) if kind in ("bool", "time")]
    triggers = _TRIGGERS
    with atomic_output(path, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(neutralise_row(table.columns))
        write = handle.write
        if table.csv_blocks is not None and len(table.columns) > 1:
            for block, count in table.csv_blocks():
                write(block)
                table.written += count
            return table.written
        single = len(table.columns) == 1  # csv quotes a lone empty cell: leave that to it
        for row in table.rows:
            if typed:
                row = list(row)
                for index in typed:
                    if row[index] is not None:
                        row[index] = _plain(row[index])
            if single:
                writer.writerow([neutralise_cell(row[0]) if row[0].__class__ is str else row[0]])
            else:
                write(",".join([csv_cell(value, triggers) for value in row]) + "\r\n")
            table.written += 1
    return table.written


def write_text(path: str | Path, text: str) -> None:
    with atomic_output(path) as handle:
        handle.write(text)


def write_xlsx(path: str | Path, tables: list[Table], readme: Table | None = None) -> None:
    """A workbook with a sheet per table; ``readme`` (its rows read after the others are
    written, so it can count them) comes first.

    A table over a sheet's row limit, or a cell over its character limit, stops the export with
    the row it reached: Excel would cut either silently.
    """
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def cell(value: Any, where: str) -> Any:
        value = _plain(value)
        if isinstance(value, str):
            if len(value) > XLSX_MAX_CELL:
                raise OutputError(
                    f"{path}: {where} holds {len(value)} characters, more than an XLSX cell "
                    f"holds ({XLSX_MAX_CELL}); export to .csv or .parquet instead"
                )
            # control characters XML cannot carry; everything else is kept as it is
            value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
        return value

    with atomic_path(path) as temp:
        book = Workbook(write_only=True)
        try:
            readme_sheet = book.create_sheet(readme.name) if readme else None
            for table in tables:
                sheet = book.create_sheet(table.name)
                sheet.append(xlsx_text_row(sheet, table.columns))
                for number, row in enumerate(table.rows, start=2):
                    if number > XLSX_MAX_ROWS:
                        raise OutputError(
                            f"{path}: sheet '{table.name}' would need more than "
                            f"{XLSX_MAX_ROWS:,} rows, the most an XLSX sheet holds; export to "
                            ".csv or .parquet instead"
                        )
                    where = f"sheet '{table.name}' row {number}"
                    sheet.append(xlsx_text_row(sheet, [cell(v, where) for v in row]))
                    table.written += 1
            if readme and readme_sheet is not None:
                for row in readme.rows:
                    readme_sheet.append(
                        xlsx_text_row(readme_sheet, [cell(v, "the README sheet") for v in row])
                    )
        except BaseException:
            _discard(book)
            raise
        book.save(temp)


def xlsx_text_row(sheet: Any, values: Iterable[Any]) -> list[Any]:
    """A write-only sheet's row with every text cell stored as text.

    An XLSX string cell is never evaluated, so it needs no apostrophe (which would change the
    value a reader copies out, ``'=HYPERLINK(…)`` for a transcript id). Only openpyxl's own rule
    is turned off: it stores text beginning with ``=`` as a formula unless the cell says string.
    """
    from openpyxl.cell import WriteOnlyCell

    row: list[Any] = []
    for value in values:
        if isinstance(value, str) and value.startswith("="):
            text = WriteOnlyCell(sheet, value)
            text.data_type = "s"
            row.append(text)
        else:
            row.append(value)
    return row


def _discard(book: Any) -> None:
    """Close an abandoned write-only workbook's sheets and remove the temporary files openpyxl
    keeps for them, so a refused export leaves nothing behind in the temp folder either."""
    for sheet in book.worksheets:
        with contextlib.suppress(Exception):
            sheet.close()
        writer = getattr(sheet, "_writer", None)
        if writer is not None:
            with contextlib.suppress(Exception):
                writer.cleanup()


_ARROW_TYPES = {"str": "string", "int": "int64", "float": "float64", "bool": "bool", "time": "time"}


def write_parquet(path: str | Path, table: Table, about: str) -> int:
    """One Parquet file, typed per column, ``about`` in its key-value metadata
    (``workbench.about``) so the file says what it holds even when it travels alone."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    def arrow_type(kind: str) -> pa.DataType:
        if kind == "time":
            return pa.timestamp("us", tz="UTC")
        return pa.type_for_alias(_ARROW_TYPES[kind])

    schema = pa.schema(
        [pa.field(name, arrow_type(kind)) for name, kind in zip(table.columns, table.types)],
        metadata={"workbench.about": about},
    )
    times = [index for index, kind in enumerate(table.types) if kind == "time"]

    def flush(writer: pq.ParquetWriter, batch: list[Sequence[Any]]) -> None:
        columns = [list(column) for column in zip(*batch)]
        for index in times:
            columns[index] = [as_utc(v) if v is not None else None for v in columns[index]]
        writer.write_table(pa.Table.from_arrays(columns, schema=schema))

    with atomic_path(path) as temp:
        writer = pq.ParquetWriter(temp, schema)
        try:
            batch: list[Sequence[Any]] = []
            for row in table.rows:
                batch.append(row)
                if len(batch) == PARQUET_BATCH:
                    flush(writer, batch)
                    table.written += len(batch)
                    batch = []
            if batch:
                flush(writer, batch)
                table.written += len(batch)
            if not table.written:
                writer.write_table(schema.empty_table())
        finally:
            writer.close()
    return table.written
