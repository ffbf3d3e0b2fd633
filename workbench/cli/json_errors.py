"""``--json`` errors as a JSON object on stdout, so a script reads one place for either outcome.

Errors are printed to stderr in many places (the parser, each handler's usage checks, the
error handler in ``app``); rather than teach each of them JSON, the streams are watched while a
``--json`` command runs. When it fails and printed nothing on stdout, the ``error:`` lines it
wrote to stderr become ``{"error": ..., "errors": [...], "exit_code": N}`` on stdout. stderr
keeps its lines for a person watching; a command that printed its own JSON result (a merge
that stopped part-way, say) is left as it is, so stdout never holds two objects.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from workbench.cli.output import print_json

# "error: ..." from the commands, "workbench sample: error: ..." from argparse
_ERROR = re.compile(r"^(?:[\w.-]+(?: [\w.-]+)*: )?error: (.*)$")
QUIET_CODES = (0, 130, 141)  # ok, interrupted, the reader went away: nothing to report


class _Watched:
    """A stream that remembers what went through it and otherwise is the stream."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.text: list[str] = []

    def write(self, text: str) -> int:
        self.text.append(text)
        return self._stream.write(text)

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


def wants_json(argv: list[str]) -> bool:
    """``--json`` among the arguments, before any ``--`` (after it, it is a value)."""
    return "--json" in (argv[: argv.index("--")] if "--" in argv else argv)


@contextmanager
def json_errors(enabled: bool) -> Iterator[Callable[[int], int]]:
    """Watch stdout and stderr; the yielded ``finish(code)`` prints the error object if due."""
    if not enabled:
        yield lambda code: code
        return
    out, err = _Watched(sys.stdout), _Watched(sys.stderr)
    real_out, real_err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err

    def finish(code: int) -> int:
        if code in QUIET_CODES or "".join(out.text).strip():
            return code
        messages = [
            match.group(1)
            for line in "".join(err.text).splitlines()
            if (match := _ERROR.match(line))
        ]
        if messages:
            sys.stdout = real_out
            print_json({"error": messages[0], "errors": messages, "exit_code": code})
        return code

    try:
        yield finish
    finally:
        sys.stdout, sys.stderr = real_out, real_err
