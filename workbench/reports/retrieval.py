"""A search or retrieval view as a file a team reads in a meeting: CSV or DOCX.

Both carry the code's definition (when the view is "every passage coded X") above the
passages, so the people checking consistency read each passage against the same words the
coder had. Files are written atomically and CSV cells that a spreadsheet would run as a
formula are neutralised (``safe_output``).
"""

from __future__ import annotations

import csv
from pathlib import Path

from workbench.core.codebook import Code
from workbench.core.safe_output import OutputError, atomic_output, atomic_path, neutralise_row
from workbench.core.store.search import SearchHit, SearchResult

CSV_HEADER = ("passage", "transcript", "speaker", "text", "codes", "selections")


def export_view(result: SearchResult, path: str | Path, code: Code | None = None) -> Path:
    """Write the view to ``path``; its suffix (.csv or .docx) chooses the format."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        _write_csv(result, path)
    elif suffix == ".docx":
        _write_docx(result, path, code)
    else:
        raise OutputError(f"{path}: choose a .csv or .docx file")
    return path


def describe(result: SearchResult, code: Code | None) -> str:
    """One line naming what the view holds: the words, the code, how many passages."""
    parts = []
    if result.query.strip():
        parts.append(f"“{result.query.strip()}”")
    if code is not None:
        parts.append(f"coded {code.name} ({code.id})")
    shown = len(result.hits)
    more = f", the first {shown} shown" if result.total > shown else ""
    return f"{' · '.join(parts) or 'all passages'}: {result.total_text()}{more}"


def _codes_text(codes: dict[str, list[str]]) -> str:
    return "; ".join(f"{coder}: {', '.join(applied)}" for coder, applied in codes.items())


def _selections_text(hit: SearchHit) -> str:
    """Each coder's coded selections with their words: which part of the passage a code is on."""
    return "; ".join(
        f"{coder}: {', '.join(quotes)}" for coder, quotes in hit.selection_quotes().items()
    )


def _write_csv(result: SearchResult, path: Path) -> None:
    with atomic_output(path, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_HEADER)
        for hit in result.hits:
            writer.writerow(
                neutralise_row(
                    (
                        hit.key,
                        hit.transcript,
                        hit.speaker or "",
                        hit.text,
                        _codes_text(hit.codes),
                        _selections_text(hit),
                    )
                )
            )


def _write_docx(result: SearchResult, path: Path, code: Code | None) -> None:
    from docx import Document

    document = Document()
    document.add_heading(describe(result, code), level=1)
    if code is not None:
        document.add_paragraph(code.definition)
        for label, items in (("Include", code.include), ("Exclude", code.exclude)):
            if items:
                document.add_paragraph(f"{label}: " + "; ".join(items))
    for hit in result.hits:
        document.add_heading(f"{hit.key} · {hit.speaker or 'no speaker'}", level=3)
        document.add_paragraph(hit.text)
        if hit.codes:
            note = document.add_paragraph(_codes_text(hit.codes))
            note.runs[0].italic = True
        if hit.selections:
            note = document.add_paragraph("Coded selections: " + _selections_text(hit))
            note.runs[0].italic = True
    with atomic_path(path) as temp:
        document.save(str(temp))
