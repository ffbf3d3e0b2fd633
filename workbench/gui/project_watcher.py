"""Notices other coders' work while the app is open: a poll of cheap counters on a timer.

SQLite has no notifications, so the app re-reads a ``ChangeMark`` (two index look-ups and one
small row) every few seconds on a pool thread; only when the mark moves does the window
re-read progress, the agreement panel or the codebook. On PostgreSQL the same poll works;
LISTEN/NOTIFY would only shorten the delay.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from workbench.core.store import Project
from workbench.core.store.changes import ChangeMark, change_mark
from workbench.gui.workers import start_task


def _read_mark(project: Project, progress, cancel) -> ChangeMark:  # type: ignore[no-untyped-def]
    with project.reading() as conn:
        return change_mark(conn)


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
        self.timer = QTimer(self, interval=interval_ms)
        self.timer.timeout.connect(self.poll)
        self.timer.start()

    def poll(self) -> None:
        """Read the mark off the GUI thread; a poll still running is not doubled."""
        if self._busy:
            return
        self._busy = True
        start_task(_read_mark, self._project, on_done=self._compare, on_error=self._failed)

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
