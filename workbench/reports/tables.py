"""Tables out: the primary table as CSV, every table as a sheet of an XLSX workbook."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

from workbench.reports.model import Report, Table


def primary_table(report: Report) -> Table:
    tables = report.tables()
    return next((t for t in tables if t.primary), tables[0])


def write_csv(report: Report, path: str | Path) -> None:
    table = primary_table(report)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(table.columns)
        writer.writerows(["" if v is None else v for v in row] for row in table.rows)


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
        sheet.append(table.columns)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append(list(row))
        if table.note:
            sheet.append([])
            sheet.append([table.note])
    about = workbook.create_sheet("About", 0)
    about.append([report.title])
    about.append([report.subtitle])
    workbook.save(path)
