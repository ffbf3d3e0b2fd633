"""A code's definition, rules and examples as rich text, for tooltips and the detail pane."""

from __future__ import annotations

import html

from workbench.core.codebook import Code


def code_details_html(code: Code, key: str | None) -> str:
    """The definition, rules and examples of a code, for the detail pane and tooltips."""
    parts = [f"<h3 style='margin:0'>{html.escape(code.name)}</h3>"]
    parts.append(
        f"<div style='color:#6e7781'>{html.escape(code.id)}{' · key ' + html.escape(key) if key else ''}</div>"
    )
    parts.append(f"<p>{html.escape(code.definition)}</p>")
    for title, items in (
        ("Apply when", code.include),
        ("Not when", code.exclude),
        ("Examples", code.examples),
    ):
        if items:
            bullets = "".join(f"<li>{html.escape(item)}</li>" for item in items)
            parts.append(
                f"<div style='color:#57606a;font-weight:600'>{title}</div><ul style='margin-top:2px'>{bullets}</ul>"
            )
    if code.opposite:
        parts.append(f"<div style='color:#57606a'>Paired with: {html.escape(code.opposite)}</div>")
    return "".join(parts)
