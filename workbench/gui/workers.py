"""The one way the GUI runs slow work: a plain function on the thread pool, results on the GUI thread.

The background function gets a ``progress`` callback and a ``CancelToken`` and must never touch
a widget; its result, error or progress reach the GUI thread through queued Qt signals.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from workbench.core.tasks import Cancelled, CancelToken, Progress

log = logging.getLogger(__name__)


class TaskSignals(QObject):
    progressed = Signal(int, int, str)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()


class Task(QRunnable):
    """A running background function; ``cancel()`` asks it to stop at its next checkpoint."""

    def __init__(self, function: Callable[..., Any], *args: Any):
        super().__init__()
        self.setAutoDelete(False)
        self.function = function
        self.args = args
        self.token = CancelToken()
        self.signals = TaskSignals()
        self.done = False

    def cancel(self) -> None:
        self.token.cancel()

    def run(self) -> None:  # runs on a pool thread
        def progress(done: int, total: int, what: str) -> None:
            self.signals.progressed.emit(done, total, what)

        try:
            result = self.function(*self.args, progress=progress, cancel=self.token)
        except Cancelled:
            self.done = True
            self.signals.cancelled.emit()
            return
        except Exception as exc:  # reported in the GUI's one error place, and logged in full
            log.exception("background task failed")
            self.done = True
            self.signals.failed.emit(str(exc) or exc.__class__.__name__)
            return
        self.done = True
        self.signals.finished.emit(result)


def start_task(
    function: Callable[..., Any],
    *args: Any,
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[str], None] | None = None,
    on_progress: Progress | None = None,
    on_cancelled: Callable[[], None] | None = None,
    pool: QThreadPool | None = None,
) -> Task:
    """Run ``function(*args, progress=..., cancel=...)`` in the background."""
    task = Task(function, *args)
    if on_done:
        task.signals.finished.connect(on_done)
    if on_error:
        task.signals.failed.connect(on_error)
    if on_progress:
        task.signals.progressed.connect(on_progress)
    if on_cancelled:
        task.signals.cancelled.connect(on_cancelled)
    (pool or QThreadPool.globalInstance()).start(task)
    return task
