"""The commands that open the GUI: ``gui`` and ``demo`` (Qt is imported only when they run)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workbench.cli.common import EXIT_OK, EXIT_USAGE, add_command
from workbench.cli.output import render


def cmd_demo(args: argparse.Namespace) -> int:
    from workbench.core.store import Project
    from workbench.demo import create_demo_project

    location = create_demo_project(Path(args.project) if args.project else None)
    if args.no_gui:
        from workbench.cli.project import print_status

        with Project.open(location) as project:
            status = project.status()
        render(status, args.json, lambda: print_status(status))
        return EXIT_OK
    if args.json:
        print("error: --json goes with --no-gui (the app prints nothing)", file=sys.stderr)
        return EXIT_USAGE
    from workbench.gui.app import run_gui

    return run_gui(
        str(location),
        screenshot=args.screenshot,
        size=args.size,
        transcript=args.transcript,
        coder=args.coder,
    )


def cmd_gui(args: argparse.Namespace) -> int:
    from workbench.gui.app import run_gui

    return run_gui(
        args.project,
        screenshot=args.screenshot,
        size=args.size,
        transcript=args.transcript,
        coder=args.coder,
        read_only=bool(args.screenshot),  # a screenshot of a real study leaves no trace in it
    )


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register this group's commands, each with its handler."""
    for name, handler, help_text in (
        ("demo", cmd_demo, "open a fresh project made from the bundled sample study"),
        ("gui", cmd_gui, "open the coding workspace"),
    ):
        sub = add_command(commands, name, handler, help_text)
        sub.add_argument("project", nargs="?", help="project file (demo: where to create it)")
        sub.add_argument(
            "--screenshot",
            metavar="FILE.png",
            help="render offscreen, save, exit"
            + (" (the project is opened read-only)" if name == "gui" else ""),
        )
        sub.add_argument("--size", default="1400x900", help="window size for --screenshot")
        sub.add_argument("--transcript", help="transcript id to show first")
        sub.add_argument("--coder", help="your coder name (otherwise asked once and remembered)")
        if name == "demo":
            sub.add_argument(
                "--no-gui", action="store_true", help="create the project, print its status"
            )
            sub.add_argument(
                "--json", action="store_true", help="with --no-gui: the status as JSON"
            )
