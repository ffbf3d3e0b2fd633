"""The start screen: open a project, create one from a codebook and a folder, or try the demo."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QLabel,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from workbench.core.codebook import load_codebook
from workbench.core.errors import WorkbenchError
from workbench.core.ingest import import_files
from workbench.core.store import Project
from workbench.core.tasks import CancelToken, Progress
from workbench.demo import create_demo_project
from workbench.gui.theme import fit_to_screen
from workbench.gui.workers import start_task


def create_and_import(
    location: str, codebook_path: str, folder: str | None, progress: Progress, cancel: CancelToken
) -> str:
    """Background function: create the project and import the folder (each file all or nothing)."""
    with Project.create(location, codebook=load_codebook(codebook_path)) as project:
        if folder:
            outcome = import_files(
                project,
                [folder],
                progress=progress,
                cancel=cancel,
                parallel=False,
            )
            if outcome.errors:
                raise WorkbenchError(
                    "some files were not imported:\n" + "\n".join(outcome.errors[:10])
                )
    return location


class StartDialog(QDialog):
    """``chosen`` holds the project location after ``exec()`` returns Accepted."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("workbench")
        fit_to_screen(self, 460, 320)
        self.chosen: str | None = None
        self._task = None
        title = QLabel("Qualitative coding workbench", objectName="title")
        hint = QLabel(
            "Open a project, start a new one, or try the bundled sample study.",
            objectName="subtitle",
        )
        buttons = [
            ("Open a project…", self.open_project),
            ("New project from a codebook and a folder of transcripts…", self.new_project),
            ("Open the sample study (demo)", self.open_demo),
        ]
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(hint)
        for text, slot in buttons:
            button = QPushButton(text)
            button.setMinimumHeight(40)
            button.clicked.connect(slot)
            layout.addWidget(button)
        layout.addStretch(1)

    def open_project(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open a project", str(Path.home()), "Projects (*.wb);;All files (*)"
        )
        if path:
            self._accept(path)

    def open_demo(self) -> None:
        try:
            self._accept(str(create_demo_project()))
        except WorkbenchError as exc:
            QMessageBox.warning(self, "workbench", str(exc))

    def new_project(self) -> None:
        location, _ = QFileDialog.getSaveFileName(
            self, "New project file", str(Path.home() / "study.wb"), "Projects (*.wb)"
        )
        if not location:
            return
        codebook, _ = QFileDialog.getOpenFileName(
            self, "Codebook (YAML)", str(Path.home()), "Codebooks (*.yaml *.yml)"
        )
        if not codebook:
            return
        folder = QFileDialog.getExistingDirectory(
            self, "Folder of transcripts (cancel to import later)", str(Path.home())
        )
        progress = QProgressDialog("Importing transcripts…", "Cancel", 0, 0, self)
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.show()
        self._task = start_task(
            create_and_import,
            location,
            codebook,
            folder or None,
            owner=self,
            on_done=lambda path: (progress.close(), self._accept(path)),
            on_error=lambda message: (
                progress.close(),
                QMessageBox.warning(self, "workbench", message),
            ),
            on_progress=lambda done, total, _what: (
                progress.setMaximum(total),
                progress.setValue(done),
            ),
            on_cancelled=progress.close,
        )
        progress.canceled.connect(self._task.cancel)

    def _accept(self, location: str) -> None:
        self.chosen = location
        self.accept()
