"""The main window's status bar: who codes, how far the transcript is reviewed, whether the
last decision is saved, and the suggestion engine at work (with its Cancel button).

The labels stay attributes of the window (tests and other helpers read them there); this
module builds them and keeps them, and the Undo/Redo entries, up to date."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton

from workbench.gui.widgets.elided_label import ElidedLabel
from workbench.gui.window_actions import set_label
from workbench.gui.window_read_only import refusal

if TYPE_CHECKING:
    from workbench.gui.main_window import MainWindow


class WindowStatus(QObject):
    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self._build_status_bar()

    def _build_status_bar(self) -> None:
        window = self.window
        bar = window.statusBar()
        window.coder_label = QLabel(f"Coder: <b>{html.escape(window.session.coder)}</b>")
        window.progress_label = QLabel()
        read_only = window.session.project.read_only
        window.saved_label = ElidedLabel(
            "Read-only: nothing is saved" if read_only else "All decisions saved"
        )
        window.engine_label = ElidedLabel()
        window.engine_label.setMaximumWidth(420)
        window.engine_progress = QProgressBar()
        window.engine_progress.setMaximumWidth(140)
        window.engine_progress.setTextVisible(False)
        window.engine_progress.hide()
        window.cancel_button = QPushButton("Cancel")
        window.cancel_button.setToolTip("Stop fetching suggestions (Esc)")
        window.cancel_button.hide()
        for widget, stretch in (
            (window.coder_label, 0),
            (window.progress_label, 0),
            (window.saved_label, 1),
        ):
            widget.setContentsMargins(6, 0, 14, 0)
            bar.addWidget(widget, stretch)
        for widget in (window.engine_label, window.engine_progress, window.cancel_button):
            bar.addPermanentWidget(widget)

    def saved(self, message: str) -> None:
        self.window.saved_label.setText(f"✓ {message}")
        self.update_undo()

    def update_undo(self) -> None:
        """Undo and Redo say what they would undo or redo, and are greyed out when nothing."""
        window = self.window
        session = window.session
        writable = window.read_only_reason is None  # else greyed out for good, with the reason
        window.undo_action.setEnabled(writable and session.can_undo)
        window.redo_action.setEnabled(writable and session.can_redo)
        set_label(
            window.undo_action, f"Undo {session.undo_label}" if session.undo_label else "Undo"
        )
        set_label(
            window.redo_action, f"Redo {session.redo_label}" if session.redo_label else "Redo"
        )

    def update_progress(self) -> None:
        window = self.window
        reviewed, total = window.passage_model.progress()
        window.progress_label.setText(f"Reviewed {reviewed} of {total}")
        window.progress_label.setToolTip(
            f"{reviewed} of {total} passages in this transcript reviewed"
        )
        self.update_undo()

    def suggestions_started(self) -> None:
        window = self.window
        window.engine_label.setText(f"Fetching suggestions ({window.controller.engine.name})…")
        window.engine_progress.setRange(0, 0)
        window.engine_progress.show()
        window.cancel_button.show()

    def suggestions_progressed(self, done: int, total: int) -> None:
        self.window.engine_progress.setRange(0, max(1, total))
        self.window.engine_progress.setValue(done)

    def suggestions_finished(self, message: str) -> None:
        window = self.window
        window.engine_label.setText(message)
        window.engine_progress.hide()
        window.cancel_button.hide()

    def refuse(self, what: str) -> None:
        """A key or click that would write, in a read-only project: said in the status bar, no
        dialog (the banner already says why; a dialog at every key would only be in the way)."""
        self.window.statusBar().showMessage(refusal(what, self.window.read_only_reason or ""), 8000)

    def announce(self, message: str) -> None:
        self.window.saved_label.setText(message)
        self.window.statusBar().showMessage(message, 8000)
