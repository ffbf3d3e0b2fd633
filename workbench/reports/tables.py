"""Tables out: the primary table as CSV, every table as a sheet of an XLSX workbook.

Both are written through a temporary file renamed when complete, and every text cell is
neutralised so that a name or quote beginning with ``=`` is never run as a formula.
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

    openpyxl stores any text starting with ``=`` as a formula; the neutralised value no longer
    starts with one, and the type is pinned to string as well so no later rule can revive it.
    """
    sheet.append(neutralise_row(values))
    if not values:
        return
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"


def write_xlsx(report: Report, path: str | Path) -> None:
    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    for table in report.tables():
        name = re.sub(r"[\[\]:*?/\\]", " ", table.title)[:31].strip() or "table"
        while name in used:
            name = name[:28] + f" {len(used)}"
        used.add(name)
        sheet = workbook.create_sheet(name)
        append_text_safe(sheet, list(table.columns))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            append_text_safe(sheet, list(row))
        if table.note:
            sheet.append([])
            append_text_safe(sheet, [table.note])
    about = workbook.create_sheet("About", 0)
    append_text_safe(about, [report.title])
    append_text_safe(about, [report.subtitle])
    with atomic_path(path) as temp:
        workbook.save(temp)
