"""The report as a PDF (reportlab): the same sections, tables paginated, charts as drawings."""

from __future__ import annotations

from pathlib import Path

from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as PdfTable

from workbench.core.safe_output import atomic_path
from workbench.reports.model import BarChart, Heatmap, Report, Table, Text
from workbench.reports.numbers import COEFFICIENT_FORMAT, column_formats, shown


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


CELL_LINES = 8  # the most lines a table cell takes before its text is shortened


def _fit(text: str, width: float, font_size: float = 7) -> str:
    """``text`` shortened with an ellipsis to what a cell ``width`` wide shows in a few lines.

    A table row must fit on one page: thirty coders with 100-character names would make the
    header row of narrow columns taller than the page, and reportlab then refuses the whole
    report. No glyph of the report's fonts is wider than the font size, so this many
    characters wrap into at most ``CELL_LINES`` lines, twice that where words wrap loosely.
    """
    limit = max(4, int(width / font_size) * CELL_LINES)
    return text if len(text) <= limit else text[: limit - 1] + "…"


MIN_COLUMN = 1.8 * cm  # the narrowest column a value and a ten-letter name fit in


def _column_groups(count: int, room: float) -> list[range]:
    """The data columns in groups that each fit ``room`` at ``MIN_COLUMN`` or wider.

    A report with 150 coders has 150 columns, and a row wider than the page makes reportlab
    refuse the whole report; so a wide table is printed as several tables of the same rows,
    each with its row headers repeated, one after the other (like a spreadsheet printed in
    page-wide strips). A table that fits is one group, laid out as before.
    """
    per_group = max(1, int(room // MIN_COLUMN))
    if count == 0:
        return [range(0)]
    return [range(start, min(start + per_group, count)) for start in range(0, count, per_group)]


def _part_title(title: str, group: range, count: int, groups: int) -> str:
    if groups == 1:
        return title
    return f"{title} (columns {group.start + 1}–{group.stop} of {count})"


def _value(value: object, spec: str = COEFFICIENT_FORMAT) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return shown(value, spec)
    return str(value)


def _bars(chart: BarChart, width: float) -> Drawing:
    label_w, row_h = 150, 13
    bar_w = width - label_w - 40
    drawing = Drawing(width, row_h * len(chart.labels) + 14)
    span = chart.maximum - chart.minimum or 1

    def x(value: float) -> float:
        return (
            label_w + (min(max(value, chart.minimum), chart.maximum) - chart.minimum) / span * bar_w
        )

    top = row_h * len(chart.labels)
    for ref in chart.references:
        drawing.add(Line(x(ref), 0, x(ref), top, strokeColor=colors.grey, strokeDashArray=[2, 2]))
    zero = x(max(chart.minimum, 0.0))
    for i, (label, value) in enumerate(zip(chart.labels, chart.values, strict=True)):
        y = top - (i + 1) * row_h
        drawing.add(String(0, y + 3, label[:32], fontSize=7))
        if value is None:
            continue
        left, right = sorted((zero, x(value)))
        drawing.add(
            Rect(
                left,
                y + 2,
                max(1, right - left),
                row_h - 5,
                fillColor=colors.HexColor("#0969da"),
                strokeColor=None,
            )
        )
        interval = chart.intervals[i] if i < len(chart.intervals) else None
        if interval:
            drawing.add(
                Line(
                    x(interval[0]),
                    y + row_h / 2,
                    x(interval[1]),
                    y + row_h / 2,
                    strokeColor=colors.black,
                )
            )
        drawing.add(
            String(
                label_w + bar_w + 4,
                y + 3,
                f"{value:.0%}" if chart.percent else shown(value),  # the table's digits
                fontSize=7,
            )
        )
    return drawing


def _table_parts(
    section: Table, width: float, heading: ParagraphStyle, small: ParagraphStyle
) -> list:
    """The table, split into page-wide strips of columns when it has too many for one, each
    strip repeating the first column (what the rows are) and the header row."""
    count = len(section.columns)
    if count * MIN_COLUMN <= width:
        groups, header_width = [range(1, count)], width / count
        column = header_width
    else:
        header_width = width / 5
        groups = [
            range(group.start + 1, group.stop + 1)
            for group in _column_groups(count - 1, width - header_width)
        ]
        column = (width - header_width) / len(groups[0])
    parts: list = []
    for group in groups:
        title = _part_title(
            section.title, range(group.start - 1, group.stop - 1), count - 1, len(groups)
        )
        parts.append(Paragraph(_escape(title), heading))
        indexes = [0, *group]
        data = [[Paragraph(_escape(_fit(section.columns[i], column)), small) for i in indexes]]
        specs = column_formats(section)
        data += [
            [Paragraph(_escape(_fit(_value(row[i], specs[i]), column)), small) for i in indexes]
            for row in section.rows
        ]
        table = PdfTable(data, repeatRows=1, colWidths=[header_width] + [column] * len(group))
        table.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f6f8fa")),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#d0d7de")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        parts.append(table)
    return parts


def _heatmap_parts(
    section: Heatmap, width: float, heading: ParagraphStyle, small: ParagraphStyle
) -> list:
    """The heatmap as one table per strip of columns, the row labels repeated on each.

    Widths are fixed to the page: sized to its content, a column headed by a long coder name
    grows wider than the page and reportlab refuses to lay it out."""
    label_width = width / 4
    count = len(section.column_labels)
    groups = _column_groups(count, width - label_width)
    cell_width = (width - label_width) / max(1, len(groups[0]))
    parts: list = []
    for group in groups:
        title = _part_title(section.title, group, count, len(groups))
        parts.append(Paragraph(_escape(title), heading))
        data = [
            [""]
            + [Paragraph(_escape(_fit(section.column_labels[i], cell_width)), small) for i in group]
        ]
        data += [
            [Paragraph(_escape(_fit(r, label_width)), small)] + [_value(row[i]) for i in group]
            for r, row in zip(section.row_labels, section.values, strict=True)
        ]
        widths = [label_width] + [cell_width] * len(group)
        parts.append(PdfTable(data, repeatRows=1, colWidths=widths))
    return parts


def write_pdf(report: Report, path: str | Path) -> None:
    styles = getSampleStyleSheet()
    styles["Heading2"].keepWithNext = 1  # a title never ends a page without its table
    small = styles["BodyText"].clone("small", fontSize=7, leading=8.5)
    page = landscape(A4)
    document = SimpleDocTemplate(
        str(path), pagesize=page, leftMargin=1.5 * cm, rightMargin=1.5 * cm, title=report.title
    )
    width = page[0] - 3 * cm
    story: list = [
        Paragraph(_escape(report.title), styles["Title"]),
        Paragraph(_escape(report.subtitle), styles["Italic"]),
    ]
    for section in report.sections:
        if isinstance(section, Text):
            if section.title:
                story.append(Paragraph(_escape(section.title), styles["Heading2"]))
            story.extend(Paragraph(_escape(p), styles["BodyText"]) for p in section.paragraphs)
        elif isinstance(section, Table):
            if not section.rows:
                story.append(Paragraph(_escape(section.title), styles["Heading2"]))
                story.append(Paragraph("Nothing to show yet.", styles["Italic"]))
                continue
            story.extend(_table_parts(section, width, styles["Heading2"], small))
            if section.note:
                story.append(Paragraph(_escape(section.note), small))
        elif isinstance(section, BarChart) and section.labels:
            story.append(Paragraph(_escape(section.title), styles["Heading2"]))
            story.append(_bars(section, width))
        elif isinstance(section, Heatmap) and section.row_labels:
            story.extend(_heatmap_parts(section, width, styles["Heading2"], small))
        story.append(Spacer(1, 6))
    with atomic_path(path) as temp:  # reportlab opens the file only when it builds
        document.filename = str(temp)
        document.build(story)
