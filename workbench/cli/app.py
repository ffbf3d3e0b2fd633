"""The ``workbench`` command line. Imports no Qt: the GUI is loaded only by ``gui`` and ``demo``.

Exit codes: 0 ok, 1 bad input or a failed check, 2 usage. Errors the user can fix are printed
as one line each (file, line, what is wrong), never as a traceback. Each command group's parser
sits beside its handlers in its own module; this one assembles them and turns errors into exit
codes.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Sequence

from workbench import __version__
from workbench.cli import (
    agreement,
    codebook,
    gui,
    project,
    reports,
    suggest,
    transcripts,
    translate,
)
from workbench.cli.common import EXIT_CLOSED_PIPE, EXIT_FAILED, EXIT_USAGE, Handler
from workbench.cli.json_errors import json_errors, wants_json
from workbench.core.errors import CodebookError, WorkbenchError
from workbench.core.printable import printable

log = logging.getLogger("workbench")

# The order of ``workbench --help``: a project's life from creation to reports, then the GUI.
GROUPS = (project, transcripts, codebook, agreement, suggest, translate, reports, gui)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workbench",
        description="Qualitative coding of interview transcripts: import, code, measure agreement.",
    )
    parser.add_argument("--version", action="version", version=f"workbench {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for group in GROUPS:
        group.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    given = list(sys.argv[1:] if argv is None else argv)
    with json_errors(wants_json(given)) as finish:
        return finish(_main(given))


def _main(argv: list[str]) -> int:
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:
            _take_trailing_files(parser, args, extra)
    except SystemExit as exc:
        return int(exc.code or 0)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        handler: Handler = args.handler  # set_defaults(handler=...) by add_command
        code = handler(args)
        sys.stdout.flush()  # output still buffered meets a closed pipe here, where it is caught
        return code
    except BrokenPipeError:
        return _closed_pipe()
    except WorkbenchError as exc:
        # A codebook error lists its problems one a line; any other error is one line, however
        # many newlines or escapes the file names in it carry.
        if isinstance(exc, CodebookError) and exc.problems:
            # "error: FILE:LINE: message", not Problem's "FILE:LINE: error: message" behind
            # our own "error: ": the word once, where every other error line has it.
            lines = [
                _where(p.file, p.line) + p.message for p in exc.problems if p.severity == "error"
            ] or [str(exc)]
        else:
            lines = [str(exc)]
        for line in lines:
            print(f"error: {printable(line)}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("interrupted; nothing partial was written", file=sys.stderr)
        return 130
    except Exception as exc:
        from workbench.core.store import DatabaseError  # only where a failure may have come

        if not isinstance(exc, DatabaseError):
            raise
        detail = getattr(exc, "orig", None) or exc
        print(
            f"error: the project database refused the change, nothing was written: {detail}",
            file=sys.stderr,
        )
        return EXIT_FAILED


def _take_trailing_files(
    parser: argparse.ArgumentParser, args: argparse.Namespace, extra: list[str]
) -> None:
    """File names after an option (``import P --decisions d.csv``) for a command whose files
    may be none (``import P --metadata m.csv``): argparse gives an optional ``*`` positional
    nothing at the first positional it sees and then calls the later names unrecognized."""
    into = getattr(args, "trailing_files", None)
    if into is None or any(value.startswith("-") for value in extra):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    getattr(args, into).extend(extra)


def _where(file: str, line: int | None) -> str:
    return f"{file}:{line}: " if line is not None else f"{file}: "


def _closed_pipe() -> int:
    """The reader went away (``| head``): stop quietly, as a Unix tool does.

    stdout is pointed at devnull so the interpreter's final flush of what is still buffered
    does not print a second BrokenPipeError on the way out (the recipe in Python's signal docs).
    """
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return EXIT_CLOSED_PIPE
