"""A lead decides which speaker labels are interviewers: switch roles, see what it touches, apply.

Applying goes through ``set_speaker_roles``, the function behind ``workbench speakers --set``:
passages are re-flagged in one transaction, and decisions on passages that became interviewer
turns are kept and listed here, never deleted.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyledItemDelegate,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from workbench.core.speaker_labels import Role
from workbench.core.store import Project
from workbench.core.store.speaker_roles import (
    RoleChange,
    StandingDecisions,
    decisions_on_interviewer_passages,
    label_summaries,
    set_speaker_roles,
)
from workbench.gui.models.speaker_model import SpeakerRolesModel
from workbench.gui.theme import fit_to_screen


class RoleDelegate(QStyledItemDelegate):
    """The Role column edits with a choice of the two roles, not free text."""

    def createEditor(self, parent, option, index):  # type: ignore[no-untyped-def]
        editor = QComboBox(parent)
        editor.addItems([Role.INTERVIEWER.value, Role.PARTICIPANT.value])
        return editor

    def setEditorData(self, editor, index) -> None:  # type: ignore[no-untyped-def]
        editor.setCurrentText(str(index.data()).split(" ")[0])

    def setModelData(self, editor, model, index) -> None:  # type: ignore[no-untyped-def]
        model.setData(index, editor.currentText())


class SpeakersDialog(QDialog):
    applied = Signal(object)  # RoleChange: passages were re-flagged

    def __init__(self, project: Project, lead: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Speakers: interviewer or participant")
        self.project = project
        self.lead = lead
        self.model = SpeakerRolesModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(SpeakerRolesModel.ROLE_COLUMN, RoleDelegate(self))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setTabKeyNavigation(False)  # arrows choose a label, Tab moves to the buttons
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        intro = QLabel(
            "Interviewer turns are context and are not offered for coding. Switch a label's "
            "role, then apply: decisions already made on passages that change role are kept."
        )
        intro.setWordWrap(True)
        self.standing = QLabel(objectName="subtitle")
        self.standing.setWordWrap(True)
        self.result = QLabel()
        self.result.setWordWrap(True)
        for label in (self.standing, self.result):
            label.setTextFormat(Qt.TextFormat.PlainText)  # labels are the transcripts' own text
        self.switch_button = QPushButton("Switch role")
        self.apply_button = QPushButton("Apply")
        close_button = QPushButton("Close")
        buttons = QHBoxLayout()
        buttons.addWidget(self.switch_button)
        buttons.addStretch(1)
        buttons.addWidget(self.apply_button)
        buttons.addWidget(close_button)
        layout = QVBoxLayout(self)
        for widget in (intro, self.table, self.standing, self.result):
            layout.addWidget(widget)
        layout.addLayout(buttons)
        self.switch_button.clicked.connect(self.switch_selected)
        self.apply_button.clicked.connect(self.apply)
        close_button.clicked.connect(self.reject)
        self.model.dataChanged.connect(self._update_buttons)
        self.model.modelReset.connect(self._update_buttons)
        self.table.doubleClicked.connect(lambda index: self.model.switch(index.row()))
        fit_to_screen(self, 660, 500)
        self.reload()

    def reload(self) -> None:
        with self.project.reading() as conn:
            labels = label_summaries(conn, self.project.settings)
            standing = decisions_on_interviewer_passages(conn)
        self.model.set_labels(labels)
        self.standing.setText(_standing_text(standing, "stand on interviewer passages"))

    def switch_selected(self) -> None:
        for index in self.table.selectionModel().selectedRows():
            self.model.switch(index.row())

    def apply(self) -> None:
        if not self.model.pending:
            return
        change = set_speaker_roles(self.project, dict(self.model.pending), self.lead)
        self.result.setText(_change_text(change))
        self.reload()
        self.applied.emit(change)

    def _update_buttons(self, *_args: object) -> None:
        count = len(self.model.pending)
        self.apply_button.setEnabled(bool(count))
        self.apply_button.setText(f"Apply {count} change{'s' * (count != 1)}" if count else "Apply")


def _standing_text(standing: StandingDecisions, what: str) -> str:
    if not standing.count:
        return f"No decisions {what}."
    parts = [
        f"{coder}: {item['decisions']} on {', '.join(item['passages'][:5])}"
        + (f" and {len(item['passages']) - 5} more passages" if len(item["passages"]) > 5 else "")
        for coder, item in standing.to_dict()["by_coder"].items()  # type: ignore[union-attr]
    ]
    decisions = "1 decision" if standing.count == 1 else f"{standing.count} decisions"
    if standing.count == 1:
        what = what.replace("stand ", "stands ", 1)
    return f"{decisions} {what} (kept): " + "; ".join(parts)


def _change_text(change: RoleChange) -> str:
    roles = ", ".join(f"{label} → {role}" for label, role in change.roles.items())
    text = (
        f"Applied {roles}: {len(change.to_interviewer)} passages became interviewer turns, "
        f"{len(change.to_participant)} became participant turns."
    )
    if change.kept.count:
        text += " " + _standing_text(change.kept, "stand on passages that became interviewer turns")
    return text
