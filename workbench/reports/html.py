"""One self-contained HTML file: inline CSS and SVG charts, nothing fetched from anywhere."""

from __future__ import annotations

import html

from workbench.reports.model import BarChart, Heatmap, Report, Table, Text
from workbench.reports.numbers import COEFFICIENT_FORMAT, column_formats, shown

CSS = """
body { font-family: -apple-system, 'Segoe UI', 'Noto Sans', sans-serif; color: #1f2328; max-width: 1100px;
       margin: 2em auto; padding: 0 1em; line-height: 1.45; }
h1 { margin-bottom: 0; } .subtitle { color: #57606a; margin-top: .2em; }
h2 { border-bottom: 1px solid #d0d7de; padding-bottom: .2em; margin-top: 2em; font-size: 1.2em; }
table { border-collapse: collapse; width: 100%; font-size: .88em; }
th, td { border-bottom: 1px solid #eaeef2; padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.note { color: #57606a; font-size: .85em; } svg text { font-size: 11px; fill: #1f2328; }
"""


def _cell(value: object, spec: str = COEFFICIENT_FORMAT) -> str:
    if value is None:
        return "<td class='num'>—</td>"
    if isinstance(value, float):
        return f"<td class='num'>{shown(value, spec)}</td>"
    if isinstance(value, int):
        return f"<td class='num'>{value}</td>"
    return f"<td>{html.escape(str(value))}</td>"


def _table(table: Table) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.columns)
    specs = column_formats(table)
    body = "".join(
        "<tr>" + "".join(_cell(v, s) for v, s in zip(row, specs, strict=False)) + "</tr>"
        for row in table.rows
    )
    note = f"<p class='note'>{html.escape(table.note)}</p>" if table.note else ""
    empty = "" if table.rows else "<p class='note'>Nothing to show yet.</p>"
    return f"<h2>{html.escape(table.title)}</h2><table><tr>{head}</tr>{body}</table>{empty}{note}"


def bar_svg(chart: BarChart) -> str:
    label_w, bar_w, row_h = 260, 520, 20
    height = row_h * len(chart.labels) + 30
    span = chart.maximum - chart.minimum or 1

    def x(value: float) -> float:
        return (
            label_w + (min(max(value, chart.minimum), chart.maximum) - chart.minimum) / span * bar_w
        )

    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{label_w + bar_w + 70}' height='{height}' role='img'>"
    ]
    for ref in chart.references:
        parts.append(
            f"<line x1='{x(ref):.1f}' y1='0' x2='{x(ref):.1f}' y2='{height - 20}' stroke='#8c959f' stroke-dasharray='3,3'/>"
        )
        parts.append(f"<text x='{x(ref) - 12:.1f}' y='{height - 6}'>{ref:g}</text>")
    zero = x(max(chart.minimum, 0.0))
    for i, (label, value) in enumerate(zip(chart.labels, chart.values, strict=True)):
        y = i * row_h + 4
        parts.append(f"<text x='0' y='{y + 12}'>{html.escape(label[:40])}</text>")
        if value is None:
            parts.append(f"<text x='{label_w}' y='{y + 12}' fill='#8c959f'>undefined</text>")
            continue
        color = (
            "#2da44e"
            if not chart.percent and value >= 0.8
            else "#d4a72c"
            if not chart.percent and value >= 0.667
            else "#0969da"
            if chart.percent
            else "#cf222e"
        )
        left, right = sorted((zero, x(value)))
        parts.append(
            f"<rect x='{left:.1f}' y='{y + 3}' width='{max(1.0, right - left):.1f}' height='{row_h - 8}' fill='{color}' rx='2'/>"
        )
        interval = chart.intervals[i] if i < len(chart.intervals) else None
        if interval:
            lo, hi = x(interval[0]), x(interval[1])
            mid = y + row_h / 2 - 1
            parts.append(
                f"<line x1='{lo:.1f}' y1='{mid}' x2='{hi:.1f}' y2='{mid}' stroke='#1f2328'/>"
            )
            parts.append(
                f"<line x1='{lo:.1f}' y1='{mid - 4}' x2='{lo:.1f}' y2='{mid + 4}' stroke='#1f2328'/>"
            )
            parts.append(
                f"<line x1='{hi:.1f}' y1='{mid - 4}' x2='{hi:.1f}' y2='{mid + 4}' stroke='#1f2328'/>"
            )
        label = f"{value:.0%}" if chart.percent else shown(value)  # the table's digits
        parts.append(f"<text x='{label_w + bar_w + 6}' y='{y + 12}'>{label}</text>")
    parts.append("</svg>")
    return "".join(parts)


def heatmap_svg(chart: Heatmap) -> str:
    cell, label_w = 46, 200
    width, height = (
        label_w + cell * len(chart.column_labels) + 10,
        110 + cell * len(chart.row_labels),
    )
    finite = [v for row in chart.values for v in row if v is not None]
    top = max(finite) if finite else 1.0
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' role='img'>"
    ]
    for j, label in enumerate(chart.column_labels):
        cx = label_w + j * cell + cell / 2
        parts.append(
            f"<text transform='translate({cx:.0f},100) rotate(-45)'>{html.escape(label[:22])}</text>"
        )
    for i, label in enumerate(chart.row_labels):
        y = 106 + i * cell
        parts.append(f"<text x='0' y='{y + cell / 2 + 4:.0f}'>{html.escape(label[:30])}</text>")
        for j, value in enumerate(chart.values[i]):
            x = label_w + j * cell
            if value is None:
                parts.append(
                    f"<rect x='{x}' y='{y}' width='{cell - 2}' height='{cell - 2}' fill='#f6f8fa'/>"
                )
                continue
            strength = max(0.0, min(1.0, value / top)) if top > 0 else 0
            shade = int(255 - 150 * strength)
            parts.append(
                f"<rect x='{x}' y='{y}' width='{cell - 2}' height='{cell - 2}' fill='rgb({shade},{shade + 20 if shade < 235 else 255},255)'/>"
            )
            parts.append(f"<text x='{x + 4}' y='{y + cell / 2 + 4:.0f}'>{shown(value)}</text>")
    parts.append("</svg>")
    return "".join(parts)


def render_html(report: Report) -> str:
    body = [
        f"<h1>{html.escape(report.title)}</h1><p class='subtitle'>{html.escape(report.subtitle)}</p>"
    ]
    for section in report.sections:
        if isinstance(section, Text):
            title = f"<h2>{html.escape(section.title)}</h2>" if section.title else ""
            body.append(title + "".join(f"<p>{html.escape(p)}</p>" for p in section.paragraphs))
        elif isinstance(section, Table):
            body.append(_table(section))
        elif isinstance(section, BarChart):
            body.append(
                f"<h2>{html.escape(section.title)}</h2>"
                + (
                    bar_svg(section)
                    if section.labels
                    else "<p class='note'>Nothing to show yet.</p>"
                )
            )
        elif isinstance(section, Heatmap):
            note = f"<p class='note'>{html.escape(section.note)}</p>" if section.note else ""
            body.append(
                f"<h2>{html.escape(section.title)}</h2>"
                + (heatmap_svg(section) if section.row_labels else "")
                + note
            )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(report.title)}</title><style>{CSS}</style></head><body>"
        + "".join(body)
        + "<p class='note'>Written by workbench. Every number comes from its agreement and analysis engines.</p></body></html>"
    )
