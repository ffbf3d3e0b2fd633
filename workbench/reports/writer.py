"""Build a report and write it in the format its file name asks for."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from workbench.core.errors import WorkbenchError
from workbench.core.safe_output import atomic_output, check_output_path
from workbench.core.store import Project
from workbench.core.tasks import Progress
from workbench.reports.agreement_report import build_agreement_report
from workbench.reports.analysis_report import build_analysis_report
from workbench.reports.model import Report

FORMATS = (".html", ".pdf", ".xlsx", ".csv")


def build_report(
    project: Project,
    kind: str,
    ci: bool = True,
    progress: Progress | None = None,
    by: list[str] | None = None,
    split_fields: Sequence[str] | None = None,
    codebook_version: int | None = None,
    coder: str | None = None,
) -> Report:
    """The report of ``kind``. ``coder`` limits it to that coder's own codings, which is what a
    coder under blind coding may see; the agreement report compares coders, so it has no such
    form and is refused."""
    if coder is not None and kind == "agreement":
        raise WorkbenchError(
            "the agreement report compares coders' codes: it cannot be limited to one coder"
        )
    if project.codebook is None:
        raise WorkbenchError(f"{project.shown_location}: the project has no codebook")
    if codebook_version is not None:
        project.codebook_at(codebook_version)  # a missing version: one clear error, first
    if kind == "agreement":
        return build_agreement_report(
            project, ci=ci, progress=progress, by=by, codebook_version=codebook_version
        )
    if kind == "analysis":
        return build_analysis_report(
            project,
            source=coder or "auto",
            progress=progress,
            split_fields=split_fields,
            codebook_version=codebook_version,
        )
    raise WorkbenchError(f"unknown report kind '{kind}'")


def write_report(
    project: Project,
    kind: str,
    out: str | Path,
    ci: bool = True,
    progress: Progress | None = None,
    by: list[str] | None = None,
    split_fields: Sequence[str] | None = None,
    codebook_version: int | None = None,
    coder: str | None = None,
) -> Path:
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise WorkbenchError(
            f"{out}: unknown report format '{suffix}'; use one of {', '.join(FORMATS)}"
        )
    check_output_path(out)  # before the slow build, not after it
    report = build_report(
        project,
        kind,
        ci,
        progress,
        by=by,
        split_fields=split_fields,
        codebook_version=codebook_version,
        coder=coder,
    )
    if suffix == ".html":
        from workbench.reports.html import render_html

        page = render_html(report)
        with atomic_output(out) as handle:
            handle.write(page)
    elif suffix == ".csv":
        from workbench.reports.tables import write_csv

        write_csv(report, out)
    elif suffix == ".xlsx":
        from workbench.reports.tables import write_xlsx

        write_xlsx(report, out)
    else:
        from workbench.reports.pdf import write_pdf

        write_pdf(report, out)
    return out
