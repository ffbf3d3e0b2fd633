"""A code's definition, rules and examples as rich text, for tooltips and the detail pane."""

from __future__ import annotations

import html

from workbench.core.codebook import Code


def chip_note_html(kind: str, probability: float | None, rationale: str, coder: str = "") -> str:
    """What a highlighted chip adds to its code's definition: whose it is and, for a suggestion,
    how sure the engine is and its reason, so the coder weighs it against the rules below."""
    state = {
        "applied": "Applied by you",
        "suggested": "Suggested by the engine",
        "rejected": "Suggestion you rejected",
        "other": f"Applied by {coder or 'another coder'}",
    }.get(kind, kind)
    if kind in ("suggested", "rejected"):
        state += (
            " · uncalibrated"
            if probability is None
            else f" · coders apply it about {round(probability * 100)}% of the time"
        )
    parts = [f"<div style='color:#57606a;font-weight:600'>{html.escape(state)}</div>"]
    if rationale:
        parts.append(f"<p style='margin-top:2px'><i>Why:</i> {html.escape(rationale)}</p>")
    return "".join(parts)


def code_details_html(code: Code, key: str | None, note: str = "") -> str:
    """The definition, rules and examples of a code, for the detail pane and tooltips.

    ``note`` (HTML, from ``chip_note_html``) goes between the heading and the definition.
    """
    parts = [f"<h3 style='margin:0'>{html.escape(code.name)}</h3>"]
    parts.append(
        f"<div style='color:#6e7781'>{html.escape(code.id)}{' · key ' + html.escape(key) if key else ''}</div>"
    )
    if note:
        parts.append(note)
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
