"""A codebook written out for people and other programs: YAML, Markdown, DOCX and CSV.

The Markdown and DOCX files are the appendix a paper or thesis needs: each code's definition,
rules and examples, and, for a project, how often it was used and how well the coders agreed on
it, so a reader can weigh each finding by its code. YAML is the codebook's own source text, so
comments and key order survive. The REFI-QDA ``.qdc`` file is written by
``workbench.interop.refi_codebook``. Every file goes through ``safe_output``: a failed write
leaves the previous file, and CSV cells cannot run as formulas.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.core.codebook import Code, Codebook
from workbench.core.errors import WorkbenchError
from workbench.core.safe_output import atomic_output, atomic_path, check_output_path, neutralise_row

if TYPE_CHECKING:
    from workbench.core.store.project import Project

FORMATS = {".yaml": "yaml", ".yml": "yaml", ".qdc": "qdc", ".md": "markdown", ".docx": "docx"}
FORMATS[".csv"] = "csv"
CSV_COLUMNS = ["id", "parent", "name", "definition", "include", "exclude", "examples"]
JOINER = " | "  # between list items in one CSV cell; a newline would split rows in some tools


@dataclass(frozen=True)
class CodeStats:
    """What a project says about one code: its frequency and its human coders' agreement."""

    participants: int
    passages: int
    alpha: float | None  # Krippendorff's alpha among human coders; None when undefined
    alpha_passages: int  # n of that alpha
    alpha_note: str = ""  # why alpha is missing


def export_format(path: str | Path) -> str:
    """The format a file name asks for, or an error listing the ones there are."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        known = ", ".join(sorted(FORMATS))
        raise WorkbenchError(f"{path}: unknown codebook format '{suffix}'; use one of {known}")
    return FORMATS[suffix]


def code_stats(project: Project, codebook_version: int | None = None) -> dict[str, CodeStats]:
    """Each code's participants and passages (as the findings count them) and its alpha; for a
    stored version, from the codings made under it, as ``agreement --codebook-version``."""
    from workbench.core.agreement.compute import code_metric
    from workbench.core.agreement.data import project_data
    from workbench.core.agreement.raters import choose_raters
    from workbench.core.analysis.findings import coded_participants, frequencies

    codebook = (
        project.codebook if codebook_version is None else project.codebook_at(codebook_version)
    )
    assert codebook is not None
    found_codes = coded_participants(project, codebook_version=codebook_version)
    counts = {f.code: f for f in frequencies(found_codes, codebook)}
    data = project_data(project, codebook_version=codebook_version)
    humans = choose_raters(data).humans
    human_data = data.select(coders=humans) if humans else None
    stats: dict[str, CodeStats] = {}
    for index, code_id in enumerate(data.codes):
        alpha, n, note = None, 0, "fewer than two human coders"
        if human_data is not None and len(humans) >= 2:
            result = code_metric(human_data, index, "alpha")
            alpha, n, note = result.value, result.units, result.reason or ""
        found = counts.get(code_id)
        stats[code_id] = CodeStats(
            found.participants if found else 0, found.passages if found else 0, alpha, n, note
        )
    return stats


def write_yaml(codebook: Codebook, out: str | Path) -> None:
    """The source text itself, so a lead's comments and key order are kept."""
    with atomic_output(out) as handle:
        handle.write(codebook.source_text)


def write_csv(codebook: Codebook, out: str | Path) -> None:
    with atomic_output(out, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for code in codebook.walk():
            writer.writerow(
                neutralise_row(
                    [
                        code.id,
                        code.parent_id or "",
                        code.name,
                        code.definition,
                        JOINER.join(code.include),
                        JOINER.join(code.exclude),
                        JOINER.join(code.examples),
                    ]
                )
            )


def stats_line(stats: CodeStats) -> str:
    """One sentence a reader of the appendix can weigh the code by."""
    used = f"Used for {stats.participants} participants, {stats.passages} passages."
    if stats.alpha is None:
        return f"{used} Agreement: not computable ({stats.alpha_note or 'no data'})."
    return (
        f"{used} Agreement: Krippendorff's alpha {stats.alpha:.3f} "
        f"(n = {stats.alpha_passages} passages)."
    )


def _heading(codebook: Codebook) -> str:
    return f"Codebook: {codebook.name} (version {codebook.version})"


def markdown(codebook: Codebook, stats: dict[str, CodeStats] | None = None) -> str:
    lines = [f"# {_heading(codebook)}", ""]
    if codebook.description:
        lines += [codebook.description, ""]
    for code in codebook.walk():
        lines += [f"{'#' * min(code.depth + 2, 6)} {code.name} (`{code.id}`)", ""]
        lines += [code.definition, ""]
        for title, items in _lists(code):
            lines += [f"**{title}**", ""] + [f"- {item}" for item in items] + [""]
        if stats is not None and code.id in stats:
            lines += [f"*{stats_line(stats[code.id])}*", ""]
    return "\n".join(lines)


def _lists(code: Code) -> list[tuple[str, tuple[str, ...]]]:
    return [
        (title, items)
        for title, items in (
            ("Include", code.include),
            ("Exclude", code.exclude),
            ("Examples", code.examples),
        )
        if items
    ]


def write_markdown(
    codebook: Codebook, out: str | Path, stats: dict[str, CodeStats] | None = None
) -> None:
    with atomic_output(out) as handle:
        handle.write(markdown(codebook, stats))


def write_docx(
    codebook: Codebook, out: str | Path, stats: dict[str, CodeStats] | None = None
) -> None:
    from docx import Document

    check_output_path(out)
    document = Document()
    document.add_heading(_heading(codebook), level=1)
    if codebook.description:
        document.add_paragraph(codebook.description)
    for code in codebook.walk():
        document.add_heading(f"{code.name} ({code.id})", level=min(code.depth + 2, 9))
        document.add_paragraph(code.definition)
        for title, items in _lists(code):
            document.add_paragraph().add_run(title).bold = True
            for item in items:
                document.add_paragraph(item, style="List Bullet")
        if stats is not None and code.id in stats:
            document.add_paragraph().add_run(stats_line(stats[code.id])).italic = True
    with atomic_path(out) as temp:
        document.save(str(temp))


def export_codebook(
    codebook: Codebook, out: str | Path, stats: dict[str, CodeStats] | None = None
) -> str:
    """Write ``codebook`` in the format ``out``'s suffix names; returns that format."""
    kind = export_format(out)
    check_output_path(out)
    if kind == "yaml":
        write_yaml(codebook, out)
    elif kind == "csv":
        write_csv(codebook, out)
    elif kind == "markdown":
        write_markdown(codebook, out, stats)
    elif kind == "docx":
        write_docx(codebook, out, stats)
    else:
        from workbench.interop.refi_codebook import write_qdc

        write_qdc(codebook, out)
    return kind
