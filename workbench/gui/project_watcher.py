"""Notices other coders' work while the app is open.

SQLite has no notifications, so the app re-reads a ``ChangeMark`` (two index look-ups and one
small row) every few seconds on a pool thread; only when the mark moves does the window
re-read progress, the agreement panel or the codebook. On PostgreSQL a thread of its own
LISTENs for the writers' notices (``core/store/notify.py``) and triggers the same read at
once; the timer then only backs it up, slowly, and takes over at the poll's pace if the
listening connection is refused or lost.
"""

from __future__ import annotations

import contextlib
import threading

from PySide6.QtCore import QObject, QTimer, Signal

from workbench.core.store import Project
from workbench.core.store.changes import ChangeMark, change_mark
from workbench.core.store.notify import Listener
from workbench.core.tasks import CancelToken, Progress
from workbench.gui.workers import start_task

BACKUP_INTERVAL_MS = 60_000  # the poll behind a working listener: a lost notice still shows


def _read_mark(project: Project, progress: Progress, cancel: CancelToken) -> ChangeMark:
    with project.reading() as conn:
        return change_mark(conn)


class _ListenThread(QObject):
    """Waits for notices on its own connection, off the GUI thread; it never touches a widget,
    only emits signals, which Qt delivers on the GUI thread."""

    heard = Signal()
    lost = Signal()

    def __init__(self, listener: Listener):
        super().__init__()
        self._listener = listener
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="workbench-listen", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                if self._listener.wait(timeout=0.5) and not self._stop.is_set():
                    self.heard.emit()
        except Exception:  # connection lost or server gone: the timer takes over
            if not self._stop.is_set():
                with contextlib.suppress(RuntimeError):  # the window is already gone
                    self.lost.emit()
        finally:
            self._listener.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)


class ProjectWatcher(QObject):
    decisions_changed = Signal()
    codebook_changed = Signal()
    settings_changed = Signal()

    def __init__(self, project: Project, interval_ms: int = 3000, parent=None):  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self._project = project
        with project.reading() as conn:
            self._mark = change_mark(conn)
        self._busy = False
        self._again = False
        self._interval_ms = interval_ms
        self.timer = QTimer(self, interval=interval_ms)
        self.timer.timeout.connect(self.poll)
        self.listening: _ListenThread | None = None
        listener = Listener.open(str(project.location))
        if listener is not None:
            self.listening = _ListenThread(listener)
            self.listening.heard.connect(self.poll)
            self.listening.lost.connect(self._stopped_listening)
            self.timer.setInterval(max(interval_ms, BACKUP_INTERVAL_MS))
        self.timer.start()

    @property
    def is_listening(self) -> bool:
        return self.listening is not None

    def stop(self) -> None:
        """Stop the timer and the listening thread (the window is closing)."""
        self.timer.stop()
        if self.listening is not None:
            self.listening.stop()
            self.listening = None

    def _stopped_listening(self) -> None:
        self.listening = None
        self.timer.setInterval(self._interval_ms)

    def poll(self) -> None:
        """Read the mark off the GUI thread; a poll still running is not doubled, but one asked
        for meanwhile runs after it (a notice may have come after it read)."""
        if self._busy:
            self._again = True
            return
        self._busy = True
        start_task(
            _read_mark, self._project, owner=self, on_done=self._compare, on_error=self._failed
        )

    def _failed(self, _message: str) -> None:
        self._busy = False  # a busy or briefly locked file: the next tick tries again

    def _compare(self, mark: ChangeMark) -> None:
        self._busy = False
        old, self._mark = self._mark, mark
        if mark.settings != old.settings:
            self.settings_changed.emit()
        if mark.codebook_versions != old.codebook_versions:
            self.codebook_changed.emit()
        if mark.last_decision != old.last_decision:
            self.decisions_changed.emit()
        if self._again:
            self._again = False
            self.poll()
