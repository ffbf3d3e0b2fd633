"""The codebook health view for a lead: a tab per kind of finding, computed on a worker thread.

On a large study the findings take agreement per code over every passage, which would freeze
the window; the dialog opens at once with a progress bar and a Cancel button, and fills its
tabs when the worker is done.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.core.codebook_health import LOW_ALPHA, CodebookHealth, codebook_health
from workbench.gui.models.health_model import health_models
from workbench.gui.theme import fit_to_screen
from workbench.gui.workers import Task, start_task

INTRO = (
    "Where the codebook, not the coders, may be the trouble. Low agreement: Krippendorff's "
    f"alpha below {LOW_ALPHA} among the human coders. Confused pairs: one coder applied one code "
    "without the other where another coder did the reverse. Close definitions: worded so alike "
    "that coders may not tell them apart."
)


def _compute(project, progress, cancel) -> CodebookHealth:  # type: ignore[no-untyped-def]
    return codebook_health(project, progress=progress, cancel=cancel)


class CodebookHealthDialog(QDialog):
    finished_computing = Signal(str)  # "done", "cancelled" or "failed"

    def __init__(
        self,
        project,  # type: ignore[no-untyped-def]
        parent=None,  # type: ignore[no-untyped-def]
        compute: Callable[..., CodebookHealth] = _compute,
    ):
        super().__init__(parent)
        codebook = project.codebook
        self.names = {code.id: code.name for code in codebook.walk()}
        self.setWindowTitle(f"Codebook health: {codebook.name} v{codebook.version}")
        fit_to_screen(self, 760, 420)
        layout = QVBoxLayout(self)
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.status = QLabel("Computing the findings…")
        self.status.setObjectName("health_status")
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy until the first step reports
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop computing (Esc closes the dialog and stops it too)")
        self.cancel_button.clicked.connect(self.cancel)
        row = QHBoxLayout()
        row.addWidget(self.status, 1)
        row.addWidget(self.progress)
        row.addWidget(self.cancel_button)
        layout.addLayout(row)
        self.tabs = QTabWidget()
        layout.addWidget(self.tabs)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.close_button = buttons.button(QDialogButtonBox.StandardButton.Close)
        self.cancel_button.setAutoDefault(False)
        layout.addWidget(buttons)
        self.close_button.setDefault(True)  # Enter closes, as Esc does (set once in the dialog)
        self.models: list = []
        self.state = "running"
        self.task: Task | None = start_task(
            compute,
            project,
            owner=self,
            on_done=self._done,
            on_error=self._failed,
            on_progress=self._progressed,
            on_cancelled=self._cancelled,
        )

    def cancel(self) -> None:
        if self.task is not None and self.state == "running":
            self.task.cancel()
            self.status.setText("Cancelling…")
            self.cancel_button.setEnabled(False)

    def done(self, result: int) -> None:  # closing (Close, Esc, the window's X) stops the work
        self.cancel()
        super().done(result)

    def _progressed(self, done: int, total: int, what: str) -> None:
        if self.state != "running":
            return
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.status.setText(f"Computing the findings: {what}…")

    def _finish(self, state: str, message: str) -> None:
        self.state = state
        self.task = None
        self.status.setText(message)
        self.progress.hide()
        self.cancel_button.hide()
        self.finished_computing.emit(state)

    def _done(self, health: CodebookHealth) -> None:
        self.models = health_models(health, self.names)
        for title, model in self.models:
            view = QTableView()
            view.setModel(model)
            view.setAlternatingRowColors(True)
            view.setTabKeyNavigation(False)  # read-only: the arrows move in it, Tab moves on
            view.verticalHeader().hide()
            view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
            view.horizontalHeader().setStretchLastSection(True)
            self.tabs.addTab(view, title)
            QWidget.setTabOrder(view, self.close_button)  # the tables, then Close
        self._finish("done", f"{health.findings} findings")

    def _cancelled(self) -> None:
        self._finish(
            "cancelled", "Cancelled: no findings computed. Open the dialog again to retry."
        )

    def _failed(self, message: str) -> None:
        self._finish("failed", f"The findings could not be computed: {message}")
