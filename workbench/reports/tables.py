"""Tables out: the primary table as CSV, every table as a sheet of an XLSX workbook.

Both are written through a temporary file renamed when complete. A CSV text cell that a
spreadsheet would run as a formula gets an apostrophe in front; an XLSX text cell is stored as a
string, which is never run, so it keeps its value exactly.

Numbers keep full precision in both: CSV is for machines, and an XLSX cell shows the report's
places through its number format while holding the whole value a reviewer recomputes from.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from workbench.core.safe_output import atomic_output, atomic_path, neutralise_row
from workbench.reports.model import Report, Table
from workbench.reports.numbers import column_formats, excel_format

SHEET_NAME_MAX = 31  # Excel's limit on a sheet's name


def primary_table(report: Report) -> Table:
    tables = report.tables()
    return next((t for t in tables if t.primary), tables[0])


def write_csv(report: Report, path: str | Path) -> None:
    table = primary_table(report)
    with atomic_output(path, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(neutralise_row(table.columns))
        writer.writerows(neutralise_row("" if v is None else v for v in row) for row in table.rows)


def append_text_safe(sheet: Worksheet, values: list[object]) -> None:
    """Append a row whose text cells are strings, never formulas.

    openpyxl stores any text starting with ``=`` as a formula; pinning the type to string makes
    it text, which a spreadsheet never evaluates, so the value is kept as it is (no apostrophe,
    as CSV needs, for a reader to strip again).
    """
    sheet.append(values)
    if not values:
        return
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"


def sheet_name(title: str) -> str:
    """A table's title as an XLSX sheet name: Excel allows 31 characters and no ``[]:*?/\\``.
    A longer title is cut where a word ends, and before a bracket it would leave open, so the
    tab reads "Disagreement examples", not "Disagreement examples (19 passa"."""
    name = re.sub(r"[\[\]:*?/\\]", " ", title).strip()
    if len(name) > SHEET_NAME_MAX:
        head = name[: SHEET_NAME_MAX + 1]  # one more: a space there ends a whole word
        cut = head[: head.rfind(" ")] if " " in head else name[:SHEET_NAME_MAX]
        if cut.count("(") > cut.count(")"):
            cut = cut[: cut.rfind("(")]
        name = cut.strip() or name[:SHEET_NAME_MAX].strip()
    return name or "table"


def write_xlsx(report: Report, path: str | Path) -> None:
    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    for table in report.tables():
        name = sheet_name(table.title)
        while name in used:
            name = name[:28] + f" {len(used)}"
        used.add(name)
        sheet = workbook.create_sheet(name)
        append_text_safe(sheet, list(table.columns))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        number_formats = [excel_format(spec) for spec in column_formats(table)]
        for row in table.rows:
            append_text_safe(sheet, list(row))
            for cell, number_format in zip(sheet[sheet.max_row], number_formats, strict=False):
                if isinstance(cell.value, float):
                    cell.number_format = number_format  # shown rounded, kept whole
        if table.note:
            sheet.append([])
            append_text_safe(sheet, [table.note])
    about = workbook.create_sheet("About", 0)
    append_text_safe(about, [report.title])
    append_text_safe(about, [report.subtitle])
    with atomic_path(path) as temp:
        workbook.save(temp)
