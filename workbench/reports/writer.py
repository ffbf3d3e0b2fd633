"""Build a report and write it in the format its file name asks for."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from workbench.core.errors import WorkbenchError
from workbench.core.store import Project
from workbench.reports.agreement_report import Progress, build_agreement_report
from workbench.reports.analysis_report import build_analysis_report
from workbench.reports.model import Report

FORMATS = (".html", ".pdf", ".xlsx", ".csv")


def build_report(
    project: Project,
    kind: str,
    ci: bool = True,
    progress: Progress | None = None,
    split_fields: Sequence[str] | None = None,
) -> Report:
    if project.codebook is None:
        raise WorkbenchError(f"{project.location}: the project has no codebook")
    if kind == "agreement":
        return build_agreement_report(project, ci=ci, progress=progress)
    if kind == "analysis":
        return build_analysis_report(project, progress=progress, split_fields=split_fields)
    raise WorkbenchError(f"unknown report kind '{kind}'")


def write_report(
    project: Project,
    kind: str,
    out: str | Path,
    ci: bool = True,
    progress: Progress | None = None,
    split_fields: Sequence[str] | None = None,
) -> Path:
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise WorkbenchError(
            f"{out}: unknown report format '{suffix}'; use one of {', '.join(FORMATS)}"
        )
    report = build_report(project, kind, ci, progress, split_fields)
    if suffix == ".html":
        from workbench.reports.html import render_html

        out.write_text(render_html(report), encoding="utf-8")
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
