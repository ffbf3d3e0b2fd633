"""The speaker labels of a project as a table whose Role column a lead can switch.

Switches are held as pending until the dialog applies them through the same core function as
``workbench speakers --set``, so the app and the command line cannot disagree about a label.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

from workbench.core.speaker_labels import Role
from workbench.core.store.speaker_roles import LabelSummary

_Index = QModelIndex | QPersistentModelIndex


class SpeakerRolesModel(QAbstractTableModel):
    COLUMNS = ("Label", "Role", "Passages", "Decisions")
    ROLE_COLUMN = 1

    def __init__(self, parent=None):  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self._rows: list[LabelSummary] = []
        self.pending: dict[str, Role] = {}

    def set_labels(self, rows: list[LabelSummary]) -> None:
        """Show freshly read labels; pending switches are dropped (they were applied or not)."""
        self.beginResetModel()
        self._rows = list(rows)
        self.pending = {}
        self.endResetModel()

    def label_at(self, row: int) -> LabelSummary:
        return self._rows[row]

    def role_of(self, row: int) -> Role:
        summary = self._rows[row]
        return self.pending.get(summary.label, summary.role)

    def switch(self, row: int) -> None:
        """Turn an interviewer label into a participant one, or the other way round."""
        other = Role.PARTICIPANT if self.role_of(row) is Role.INTERVIEWER else Role.INTERVIEWER
        self.setData(self.index(row, self.ROLE_COLUMN), other.value)

    # -- Qt model -------------------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> object:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(self.COLUMNS)
        ):
            return self.COLUMNS[section]
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == self.ROLE_COLUMN:
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        summary = self._rows[index.row()]
        column = index.column()
        changed = summary.label in self.pending
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if column == 0:
                return summary.label
            if column == 1:
                value = self.role_of(index.row()).value
                if role == Qt.ItemDataRole.EditRole:
                    return value
                if changed:
                    return f"{value} (not applied)"
                return f"{value} · set by lead" if summary.set_by_lead else value
            return summary.passages if column == 2 else summary.decisions
        if role == Qt.ItemDataRole.TextAlignmentRole and column >= 2:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and changed:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 1:
                by = "set by a lead" if summary.set_by_lead else "from the label's word"
                return (
                    f"{summary.role.value} ({by}); the label's word says "
                    f"{summary.default_role.value}. Interviewer turns are context, not coded."
                )
            if column == 3:
                return "Decisions coders made on this label's passages; kept whatever the role."
        return None

    def setData(self, index: _Index, value: object, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if (
            not index.isValid()
            or index.column() != self.ROLE_COLUMN
            or role != Qt.ItemDataRole.EditRole
            or value not in (Role.INTERVIEWER.value, Role.PARTICIPANT.value)
        ):
            return False
        summary = self._rows[index.row()]
        chosen = Role(str(value))
        if chosen is summary.role:
            self.pending.pop(summary.label, None)
        else:
            self.pending[summary.label] = chosen
        row_start, row_end = self.index(index.row(), 0), self.index(index.row(), 3)
        self.dataChanged.emit(row_start, row_end)
        return True
