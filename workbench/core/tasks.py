"""Progress and cancellation for long work, shared by the CLI, the GUI workers and the tests.

Long operations are plain functions that take a ``progress`` callback and a ``CancelToken``;
the GUI runs them on a worker thread, the CLI on the main thread, and neither needs the other.
"""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Progress = Callable[[int, int, str], None]  # (done, total, what)


def terminal_progress(done: int, total: int, what: str) -> None:
    """The command line's ``Progress``: a one-line bar on stderr when it is a terminal, silent
    otherwise (a script reading the output sees only the result)."""
    if not sys.stderr.isatty() or total <= 0:
        return
    width = 30
    filled = int(width * done / total)
    sys.stderr.write(f"\r{what:<8} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


class Cancelled(Exception):
    """Raised inside long work when its CancelToken is set."""


class CancelToken:
    """A flag a caller sets to ask long work to stop at its next checkpoint."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()


@contextmanager
def cycle_collector_paused() -> Iterator[None]:
    """Run bulk work without the cyclic garbage collector.

    An import creates millions of small objects (rows, tuples, lists) that hold no reference
    cycles; the collector would walk the growing heap again and again for nothing, which cost a
    third of the parsing time. Reference counting still frees every one of them.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
