"""The one way the GUI runs slow work: a plain function on the thread pool, results on the GUI thread.

The background function gets a ``progress`` callback and a ``CancelToken`` and must never touch
a widget; its result, error or progress reach the GUI thread through queued Qt signals.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QMetaObject, QObject, QRunnable, QThreadPool, Signal

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
    owner: QObject,
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[str], None] | None = None,
    on_progress: Progress | None = None,
    on_cancelled: Callable[[], None] | None = None,
    pool: QThreadPool | None = None,
) -> Task:
    """Run ``function(*args, progress=..., cancel=...)`` in the background.

    ``owner`` is the window, dialog or widget the callbacks belong to. The result travels to the
    GUI thread as a queued event, so it can arrive after Qt has deleted the owner (the dialog was
    closed, the window went); once the owner is destroyed every callback still on its way is
    dropped and the task is asked to stop, since nothing is left to show its result.
    """
    task = Task(function, *args)
    guard = _OwnerGuard(owner, task)
    for signal, callback in (
        (task.signals.finished, on_done),
        (task.signals.failed, on_error),
        (task.signals.progressed, on_progress),
        (task.signals.cancelled, on_cancelled),
    ):
        if callback is not None:
            signal.connect(guard.wrap(callback))
    for signal in (task.signals.finished, task.signals.failed, task.signals.cancelled):
        signal.connect(lambda *_: guard.release())  # after the callback: in connection order
    (pool or QThreadPool.globalInstance()).start(task)
    return task


class _OwnerGuard:
    """Drops a task's callbacks once their owner is destroyed, and lets go of the owner once
    the task has ended (a long-lived owner, such as the project watcher polling every few
    seconds, would otherwise gather one ``destroyed`` connection per task). It holds no
    reference to the owner, so a dialog nobody else keeps is still collected."""

    def __init__(self, owner: QObject, task: Task):
        self.alive = True

        def destroyed(*_: object) -> None:  # a closure: PySide holds it, not a weak method
            self.alive = False
            task.cancel()

        self._connection: QMetaObject.Connection | None = owner.destroyed.connect(destroyed)

    def wrap(self, callback: Callable[..., None]) -> Callable[..., None]:
        def guarded(*args: Any) -> None:
            if self.alive:
                callback(*args)

        return guarded

    def release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and self.alive:
            QObject.disconnect(connection)
