"""``workbench report``: the agreement or findings report as a file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workbench.cli.common import EXIT_OK, EXIT_USAGE, add_command, coder_name
from workbench.core.printable import printable


def cmd_report(args: argparse.Namespace) -> int:
    from workbench.core.safe_output import check_output_path
    from workbench.core.store import Project
    from workbench.core.tasks import terminal_progress
    from workbench.reports.writer import FORMATS, write_report

    check_output_path(args.out)
    suffix = Path(args.out).suffix.lower()
    if suffix not in FORMATS:  # a wrong option, as `export` says: usage, exit 2
        print(
            printable(
                f"error: {args.out}: unknown report format '{suffix}'; "
                f"use one of {', '.join(FORMATS)}"
            ),
            file=sys.stderr,
        )
        return EXIT_USAGE
    if args.split and args.kind != "analysis":
        print("error: --split applies to --kind analysis only", file=sys.stderr)
        return EXIT_USAGE
    if args.by and args.kind != "agreement":
        print("error: --by applies to --kind agreement only", file=sys.stderr)
        return EXIT_USAGE
    with Project.open(args.project) as project:
        only = None
        if args.acting is not None:  # who writes it: a coder under blind coding, their own
            from workbench.core.blind_search import (
                refuse_comparison,
                require_known_coder,
                restricted_to,
            )

            settings = project.settings
            if args.kind == "agreement":
                refuse_comparison(
                    settings.extra, settings.blind_coding, args.acting, "the agreement report"
                )
            only = restricted_to(settings.extra, settings.blind_coding, args.acting)
            if only is not None:
                require_known_coder(project, only, "a report of their own codings")
        written = write_report(
            project,
            args.kind,
            args.out,
            ci=not args.no_ci,
            progress=terminal_progress,
            by=args.by,
            split_fields=args.split,
            codebook_version=args.codebook_version,
            coder=only,
        )
    whose = f" of {only}'s own codings" if only else ""
    print(printable(f"wrote the {args.kind} report{whose} to {written}"))
    return EXIT_OK


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register this group's commands, each with its handler."""
    report = add_command(
        commands, "report", cmd_report, "agreement or findings report: .html .pdf .xlsx .csv"
    )
    report.add_argument("project")
    report.add_argument("--kind", choices=["agreement", "analysis"], required=True)
    report.add_argument("--out", required=True, help="FILE.html, FILE.pdf, FILE.xlsx or FILE.csv")
    report.add_argument("--no-ci", action="store_true", help="skip bootstrap intervals (faster)")
    report.add_argument(
        "--by",
        action="append",
        metavar="FIELD",
        help="agreement: also per value of this metadata field, or 'translation' (repeatable)",
    )
    report.add_argument(
        "--codebook-version",
        type=int,
        metavar="N",
        help="only the codings made under stored codebook version N, over its codes",
    )
    report.add_argument(
        "--split",
        action="append",
        metavar="FIELD",
        help="analysis: split every code by this metadata field (repeatable; default: every "
        "field with 2 to 20 groups)",
    )
    report.add_argument(
        "--as",
        dest="acting",
        type=coder_name,
        metavar="NAME",
        help="who writes it: with blind coding on and NAME not a lead, the analysis report "
        "counts only NAME's codings and the agreement report is refused (as in the app)",
    )
