"""Restore from the app: close the project, put the backup back, reopen it in a fresh window.

The project must be closed first, and background work on it finished: a connection still open
on the old file would keep writing there, not to the restored one. Nothing is restored before
the coder confirms in the dialog, and a refused backup leaves the open project as it was.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtWidgets import QApplication

from workbench.core.errors import WorkbenchError
from workbench.core.store import Project
from workbench.core.store.database import is_url
from workbench.core.store.restore import restore


def ask_and_restore(window) -> None:  # type: ignore[no-untyped-def]
    """The File menu's action: choose a backup, confirm, restore."""
    from workbench.gui.dialogs.restore_dialog import RestoreDialog

    location = window.session.project.location
    if is_url(location):
        window.show_error(
            f"{location}: a project on a database server is backed up and restored with the "
            "server's own tools (pg_dump and pg_restore for PostgreSQL)"
        )
        return
    dialog = RestoreDialog(location, window)
    if dialog.exec() and dialog.chosen is not None:
        restore_and_reopen(window, dialog.chosen.path)


def restore_and_reopen(window, backup: Path):  # type: ignore[no-untyped-def]
    """Restore ``backup`` under the open window; returns the window now showing the project.

    On a refusal the old window stays, says why, and goes on working on the unchanged file.
    """
    from workbench.gui.app import build_window  # the app module builds windows; it imports us

    project = window.session.project
    location, coder = project.location, window.session.coder
    window.controller.cancel_suggestions()
    QThreadPool.globalInstance().waitForDone(30_000)  # a fetch still running writes to the file
    project.close()
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        result = restore(location, backup, actor=coder)
        restored = Project.open(location)
    except WorkbenchError as exc:
        window.show_error(str(exc))
        return window
    finally:
        QApplication.restoreOverrideCursor()
    app = QApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(restored.close)
    fresh = build_window(restored, coder)
    fresh.destroyed.connect(lambda *_: restored.close())
    fresh.setProperty("quiet_errors", window.property("quiet_errors"))
    fresh.resize(window.size())
    fresh.show()
    fresh.open_first_transcript()
    kept = f"; the replaced state is kept as {result.saved_as.name}" if result.saved_as else ""
    fresh.statusBar().showMessage(f"Restored from {result.backup.name}{kept}", 15_000)
    window.close()
    return fresh
