"""A project's backups as a table (when, why, how big), newest first, for the restore dialog."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from workbench.core.store.backups import Backup, utc_stamp

_Index = QModelIndex | QPersistentModelIndex

# what each reason means to someone choosing a copy; an unknown reason is shown as it is
REASONS = {
    "manual": "taken by hand",
    "import": "before a transcript import",
    "import-decisions": "before a decisions import",
    "before-restore": "the state a restore replaced",
    "codebook-migration": "before a codebook migration",
    "merge": "before a merge",
}


def describe_reason(reason: str) -> str:
    if reason.startswith("before-schema-"):
        return f"before the upgrade to schema {reason.removeprefix('before-schema-')} (kept)"
    return REASONS.get(reason, reason)


def human_size(size: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


class BackupTableModel(QAbstractTableModel):
    COLUMNS = ("Taken", "Reason", "Size")

    def __init__(self, backups: list[Backup], parent=None):  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self._rows = list(backups)

    def backup_at(self, row: int) -> Backup:
        return self._rows[row]

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

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        backup = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                utc_stamp(backup.taken_at),
                describe_reason(backup.reason),
                human_size(backup.size),
            )[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return str(backup.path)
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 2:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None
