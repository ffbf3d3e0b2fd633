"""The codebook tree for the codebook panel: codes, their keys, and how often the coder used each."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from workbench.core.codebook import Code, Codebook
from workbench.gui.code_details import code_details_html

CodeRole = Qt.ItemDataRole.UserRole + 1

_Index = QModelIndex | QPersistentModelIndex


class CodebookTreeModel(QAbstractItemModel):
    """A read-only tree over a ``Codebook``; internal pointers are indexes into a flat list."""

    COLUMNS = ("Code", "Key", "Uses")

    def __init__(self, codebook: Codebook, shortcuts: dict[str, str], parent=None):  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self._codebook = codebook
        self._shortcuts = shortcuts  # code id -> key
        self._codes: list[Code] = list(codebook.walk())
        self._position = {code.id: i for i, code in enumerate(self._codes)}
        self._children: dict[str | None, list[int]] = {}
        for i, code in enumerate(self._codes):
            self._children.setdefault(code.parent_id, []).append(i)
        self._counts: dict[str, int] = {}

    def set_counts(self, counts: dict[str, int]) -> None:
        """Update the uses column (codes with children show their subtree's total)."""
        totals = dict(counts)
        for code in reversed(self._codes):  # children come after parents
            if code.parent_id:
                totals[code.parent_id] = totals.get(code.parent_id, 0) + totals.get(code.id, 0)
        if totals != self._counts:
            self._counts = totals
            self._emit_all(2)

    def _emit_all(self, column: int) -> None:
        def visit(parent: QModelIndex) -> None:
            rows = self.rowCount(parent)
            if rows:
                self.dataChanged.emit(
                    self.index(0, column, parent), self.index(rows - 1, column, parent)
                )
                for row in range(rows):
                    visit(self.index(row, 0, parent))

        visit(QModelIndex())

    @property
    def codes(self) -> list[Code]:
        """Every code in display order (parents before children)."""
        return self._codes

    def code_at(self, index: _Index) -> Code | None:
        return self._codes[index.internalId()] if index.isValid() else None

    def index_of(self, code_id: str) -> QModelIndex:
        position = self._position.get(code_id)
        if position is None:
            return QModelIndex()
        code = self._codes[position]
        siblings = self._children.get(code.parent_id, [])
        return self.createIndex(siblings.index(position), 0, position)

    def index(self, row: int, column: int, parent: _Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        if column < 0 or column >= len(self.COLUMNS):
            return QModelIndex()
        parent_id = self._codes[parent.internalId()].id if parent.isValid() else None
        siblings = self._children.get(parent_id, [])
        if not 0 <= row < len(siblings):
            return QModelIndex()
        return self.createIndex(row, column, siblings[row])

    def parent(self, index: _Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid():
            return QModelIndex()
        code = self._codes[index.internalId()]
        if code.parent_id is None:
            return QModelIndex()
        return self.index_of(code.parent_id)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() and parent.column() != 0:
            return 0
        parent_id = self._codes[parent.internalId()].id if parent.isValid() else None
        return len(self._children.get(parent_id, []))

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ):  # type: ignore[no-untyped-def]
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):  # type: ignore[no-untyped-def]
        if not index.isValid():
            return None
        code = self._codes[index.internalId()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return code.name
            if column == 1:
                return self._shortcuts.get(code.id, "")
            return str(self._counts.get(code.id, 0)) if self._counts.get(code.id) else ""
        if role == Qt.ItemDataRole.ToolTipRole:
            return code_details_html(code, self._shortcuts.get(code.id))
        if role == Qt.ItemDataRole.DecorationRole and column == 0:
            return QColor(self._color(code))
        if role == Qt.ItemDataRole.TextAlignmentRole and column > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == CodeRole:
            return code
        return None

    def _color(self, code: Code) -> str:
        current: Code | None = code
        while current is not None:
            if current.color:
                return current.color
            current = self._codebook.get(current.parent_id) if current.parent_id else None
        return "#57606a"

    def color_of(self, code_id: str) -> str:
        code = self._codebook.get(code_id)
        return self._color(code) if code else "#57606a"
