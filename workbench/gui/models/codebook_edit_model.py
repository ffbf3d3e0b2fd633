"""The codebook editor's tree as an editable Qt model over ``CodebookDocument``.

Every change the view asks for (a drop, a key move, an add, a rename, a delete) is made by the
document's own operations, so the YAML the lead saves keeps its comments, and the model only
tells the views what moved with ``beginMoveRows`` and friends: the expansion and the current
code follow a moved code instead of the tree being rebuilt. A move the document would refuse is
refused before anything changes, and ``refused`` says why in words a lead understands.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import (
    QAbstractItemModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from workbench.core.codebook_edit import CodebookDocument, EditError

Index = QModelIndex | QPersistentModelIndex
MIME_TYPE = "application/x-workbench-code-id"
COLUMNS = ("Code", "Name")
ROOT_ID = 0  # internal id of the invisible root; codes get 1, 2, ...


class CodebookEditModel(QAbstractItemModel):
    """Codes as a tree (id, name); moves by drag and drop or by ``move``/``move_by``."""

    refused = Signal(str)  # why a move or drop was not made
    changed = Signal()  # the document changed (the dialog re-validates)

    def __init__(self, document: CodebookDocument, parent=None):  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self.document = document
        # A code keeps its serial number across moves and renames, so Qt's persistent indexes
        # (the current code, the expanded branches) stay on it.
        self._serial: dict[str, int] = {}
        self._ids: dict[int, str] = {}
        self._children: dict[str | None, list[str]] = {}
        self._parent: dict[str, str | None] = {}
        self._reindex()

    # -- structure -----------------------------------------------------------------------------

    def _reindex(self) -> None:
        self._children = {}
        self._parent = {}

        def walk(parent_id: str | None) -> None:
            kids = self.document.children_of(parent_id)
            self._children[parent_id] = kids
            for code_id in kids:
                self._parent[code_id] = parent_id
                if code_id not in self._serial:
                    serial = len(self._ids) + 1
                    self._serial[code_id] = serial
                    self._ids[serial] = code_id
                walk(code_id)

        walk(None)

    def code_id(self, index: Index) -> str | None:
        if not index.isValid():
            return None
        return self._ids.get(int(index.internalId()))

    def index_of(self, code_id: str | None, column: int = 0) -> QModelIndex:
        if code_id is None or code_id not in self._parent:
            return QModelIndex()
        row = self._children[self._parent[code_id]].index(code_id)
        return self.createIndex(row, column, self._serial[code_id])

    def ids(self) -> list[str]:
        """Every code id in tree order (depth first), as the view shows them."""
        found: list[str] = []

        def walk(parent_id: str | None) -> None:
            for code_id in self._children.get(parent_id, []):
                found.append(code_id)
                walk(code_id)

        walk(None)
        return found

    # -- QAbstractItemModel --------------------------------------------------------------------

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        kids = self._children.get(self.code_id(parent) if parent.isValid() else None, [])
        if not (0 <= row < len(kids) and 0 <= column < len(COLUMNS)):
            return QModelIndex()
        return self.createIndex(row, column, self._serial[kids[row]])

    def parent(self, child: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        code_id = self.code_id(child)
        if code_id is None:
            return QModelIndex()
        return self.index_of(self._parent.get(code_id))

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        if parent.isValid() and parent.column() != 0:
            return 0
        return len(self._children.get(self.code_id(parent) if parent.isValid() else None, []))

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        code_id = self.code_id(index)
        if code_id is None:
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if index.column() == 0:
                return code_id
            return str(self.document.code(code_id).get("name") or "")
        return None

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled  # the top level takes drops
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemIsDragEnabled
            | Qt.ItemFlag.ItemIsDropEnabled
        )

    # -- drag and drop -------------------------------------------------------------------------

    def supportedDropActions(self) -> Qt.DropAction:  # noqa: N802
        return Qt.DropAction.MoveAction

    def supportedDragActions(self) -> Qt.DropAction:  # noqa: N802
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return [MIME_TYPE]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:  # noqa: N802
        ids = []
        for index in indexes:
            code_id = self.code_id(index)
            if code_id is not None and code_id not in ids:
                ids.append(code_id)
        data = QMimeData()
        data.setData(MIME_TYPE, QByteArray("\n".join(ids).encode("utf-8")))
        return data

    @staticmethod
    def _dragged(data: QMimeData) -> list[str]:
        if not data.hasFormat(MIME_TYPE):
            return []
        return [i for i in bytes(data.data(MIME_TYPE).data()).decode("utf-8").split("\n") if i]

    def _target(self, row: int, parent: Index) -> tuple[str | None, int | None]:
        """Where a drop lands: on a code (row -1: becomes its last child) or between rows."""
        parent_id = self.code_id(parent) if parent.isValid() else None
        return parent_id, (None if row < 0 else row)

    def canDropMimeData(  # noqa: N802
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Index
    ) -> bool:
        dragged = self._dragged(data)
        if action != Qt.DropAction.MoveAction or len(dragged) != 1:
            return False
        parent_id, _ = self._target(row, parent)
        reason = self.refusal(dragged[0], parent_id)
        if reason is not None:
            self.refused.emit(reason)
        return reason is None

    def dropMimeData(  # noqa: N802
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Index
    ) -> bool:
        dragged = self._dragged(data)
        if action != Qt.DropAction.MoveAction or len(dragged) != 1:
            if len(dragged) > 1:
                self.refused.emit("Move one code at a time.")
            return False
        parent_id, at = self._target(row, parent)
        # True tells the view the drop was taken; it never removes the source rows itself
        # afterwards, since this model has no removeRows (a delete is the lead's own command).
        return self.move(dragged[0], parent_id, at)

    def moveRows(  # noqa: N802
        self,
        sourceParent: Index,  # noqa: N803
        sourceRow: int,  # noqa: N803
        count: int,
        destinationParent: Index,  # noqa: N803
        destinationChild: int,  # noqa: N803
    ) -> bool:
        """Qt's move: one code at a time, ``destinationChild`` counted before it leaves."""
        if count != 1:
            self.refused.emit("Move one code at a time.")
            return False
        source = self.index(sourceRow, 0, sourceParent)
        code_id = self.code_id(source)
        if code_id is None:
            return False
        parent_id = self.code_id(destinationParent) if destinationParent.isValid() else None
        return self.move(code_id, parent_id, destinationChild)

    # -- edits ---------------------------------------------------------------------------------

    def refusal(self, code_id: str, parent_id: str | None) -> str | None:
        """Why ``code_id`` cannot go under ``parent_id`` (None: it can)."""
        if code_id not in self._parent:
            return f"There is no code '{code_id}'."
        if parent_id == code_id:
            return f"'{code_id}' cannot go under itself."
        ancestor = parent_id
        while ancestor is not None:
            if ancestor == code_id:
                return (
                    f"'{code_id}' cannot go under '{parent_id}': that is one of its own children."
                )
            ancestor = self._parent.get(ancestor)
        return None

    def move(self, code_id: str, parent_id: str | None, row: int | None = None) -> bool:
        """Put ``code_id`` under ``parent_id`` before ``row`` (None: last), counted as the tree
        is now, as Qt counts a move; False (and ``refused``) when it cannot go there."""
        reason = self.refusal(code_id, parent_id)
        if reason is not None:
            self.refused.emit(reason)
            return False
        old_parent = self._parent[code_id]
        old_row = self._children[old_parent].index(code_id)
        target = self._children.get(parent_id, [])
        at = len(target) if row is None else max(0, min(row, len(target)))
        if old_parent == parent_id and at in (old_row, old_row + 1):
            return False  # already there: nothing to do, nothing to explain
        source_parent = self.index_of(old_parent)
        destination = self.index_of(parent_id)
        if not self.beginMoveRows(source_parent, old_row, old_row, destination, at):
            self.refused.emit(f"'{code_id}' cannot go there.")
            return False
        self.document.move_code(code_id, parent_id, at)
        self._reindex()
        self.endMoveRows()
        self.changed.emit()
        return True

    def move_by(self, code_id: str, direction: str) -> bool:
        """The Alt+arrow moves: up/down among siblings, left out of the parent (just after it),
        right into the sibling above (as its last child). False when there is nowhere to go."""
        parent_id = self._parent.get(code_id)
        if code_id not in self._parent:
            return False
        siblings = self._children[parent_id]
        at = siblings.index(code_id)
        if direction == "up" and at > 0:
            return self.move(code_id, parent_id, at - 1)
        if direction == "down" and at < len(siblings) - 1:
            return self.move(code_id, parent_id, at + 2)
        if direction == "left" and parent_id is not None:
            grandparent = self._parent[parent_id]
            return self.move(code_id, grandparent, self._children[grandparent].index(parent_id) + 1)
        if direction == "right" and at > 0:
            return self.move(code_id, siblings[at - 1])
        return False

    def add_code(
        self, code_id: str, name: str, definition: str, parent_id: str | None = None
    ) -> None:
        """Add a code as the last child of ``parent_id``; ``EditError`` when the id is bad."""
        if parent_id is not None and parent_id not in self._parent:
            raise EditError(f"no code '{parent_id}'")
        self.document.check_new_id(code_id)  # raise before the view hears of a row
        row = len(self._children.get(parent_id, []))
        self.beginInsertRows(self.index_of(parent_id), row, row)
        self.document.add_code(code_id, name, definition, parent_id)
        self._reindex()
        self.endInsertRows()
        self.changed.emit()

    def rename_code(self, old_id: str, new_id: str) -> None:
        self.document.rename_code(old_id, new_id)
        if new_id == old_id:
            return
        serial = self._serial.pop(old_id)
        self._serial[new_id] = serial
        self._ids[serial] = new_id
        self._reindex()
        index = self.index_of(new_id)
        self.dataChanged.emit(index, index.siblingAtColumn(1))
        self.changed.emit()

    def delete_code(self, code_id: str) -> None:
        parent_id = self._parent[code_id]
        row = self._children[parent_id].index(code_id)
        self.beginRemoveRows(self.index_of(parent_id), row, row)
        self.document.delete_code(code_id)
        self._reindex()
        self.endRemoveRows()
        self.changed.emit()

    def set_field(self, code_id: str, field_name: str, value: str | list[str] | None) -> None:
        self.document.set_field(code_id, field_name, value)
        if field_name == "name":
            index = self.index_of(code_id, 1)
            self.dataChanged.emit(index, index)
        self.changed.emit()

    def add_example(self, code_id: str, passage: str) -> str:
        text = self.document.add_example(code_id, passage)
        self.changed.emit()
        return text
