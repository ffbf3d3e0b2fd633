"""File > Restore from backup: choose one of the project's backups by when and why it was taken.

The dialog only chooses and confirms; ``workbench.gui.restore_flow`` closes the project, calls
the same ``restore`` as ``workbench restore`` and reopens it, so the app and the command line
restore the same way.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
)

from workbench.core.store.backups import Backup, backups_folder, list_backups, utc_stamp
from workbench.gui.models.backup_model import BackupTableModel, describe_reason
from workbench.gui.theme import fit_to_screen


class RestoreDialog(QDialog):
    def __init__(self, location: str, parent=None):  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self.setWindowTitle("Restore from backup")
        self.location = location
        self.chosen: Backup | None = None
        self.model = BackupTableModel(list_backups(location), self)
        name = Path(location).name
        intro = QLabel(
            f"Restoring replaces <b>{html.escape(name)}</b> with the copy you choose. Decisions made "
            "after that copy was taken are no longer in the project, but nothing is lost: the "
            "current state is saved first as a <i>before-restore</i> backup, so a restore can "
            "itself be undone.<br>"
            f"Backups are kept in <code>{html.escape(str(backups_folder(location)))}</code>."
        )
        intro.setWordWrap(True)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)  # arrows choose a backup, Tab moves to Restore
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.empty = QLabel("This project has no backups yet.")
        self.empty.setVisible(self.model.rowCount() == 0)
        self.restore_button = QPushButton("Restore…")
        self.restore_button.setEnabled(False)
        self.restore_button.clicked.connect(self.confirm)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.restore_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        layout.addLayout(buttons)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _index: self.confirm())
        fit_to_screen(self, 640, 380)

    def select(self, row: int) -> None:
        self.table.selectRow(row)

    def selected(self) -> Backup | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.backup_at(rows[0].row()) if rows else None

    def _selection_changed(self, *_args: object) -> None:
        self.restore_button.setEnabled(self.selected() is not None)

    def confirm(self) -> None:
        """Say once more what will happen; only a yes closes the dialog with a choice."""
        backup = self.selected()
        if backup is None:
            return
        answer = QMessageBox.question(
            self,
            "Restore from backup",
            f"Replace {Path(self.location).name} with the copy taken {utc_stamp(backup.taken_at)} "
            f"({describe_reason(backup.reason)})?\n\nThe project is closed and reopened; its "
            "current state is kept as a before-restore backup.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.chosen = backup
            self.accept()
