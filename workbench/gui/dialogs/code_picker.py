"""The quick code picker: type a few letters of a name or id, Enter applies the best match."""

from __future__ import annotations

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QListView, QVBoxLayout

from workbench.core.codebook import Code, Codebook
from workbench.gui.theme import fit_to_screen

_Index = QModelIndex | QPersistentModelIndex


def fuzzy_score(query: str, code: Code) -> float | None:
    """Higher is better; None when the letters of ``query`` do not appear in order."""
    query = query.casefold().strip()
    if not query:
        return 0.0
    best = None
    for target in (code.name.casefold(), code.id.casefold()):
        if query in target:
            score = 100 - target.index(query) - len(target) * 0.1
        else:
            position, gaps = -1, 0
            for char in query:
                found = target.find(char, position + 1)
                if found < 0:
                    break
                gaps += found - position - 1
                position = found
            else:
                score = 50 - gaps - len(target) * 0.1
                best = score if best is None else max(best, score)
            continue
        best = score if best is None else max(best, score)
    return best


class CodeListModel(QAbstractListModel):
    def __init__(self, codes: list[Code], parent=None):  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self._all = codes
        self._shown = list(codes)

    def set_query(self, query: str) -> None:
        scored = [(fuzzy_score(query, code), i, code) for i, code in enumerate(self._all)]
        self.beginResetModel()
        self._shown = [
            code
            for score, _i, code in sorted(scored, key=lambda t: (-(t[0] or 0), t[1]))
            if score is not None
        ]
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._shown)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):  # type: ignore[no-untyped-def]
        if not index.isValid():
            return None
        code = self._shown[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            kind = " · parent code" if code.children else ""
            return f"{code.name}    ({code.id}){kind}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{code.name} ({code.id})\n\n{code.definition}"
        if role == Qt.ItemDataRole.UserRole:
            return code.id
        return None


class CodePickerDialog(QDialog):
    """Returns the chosen code id in ``chosen`` after ``exec()``.

    Coders apply leaf codes only, so parents are left out by default; ``allow_parents`` offers
    them too, for a lead choosing where a passage belongs in the codebook (an example of a
    broad theme), not a code to apply.
    """

    def __init__(  # type: ignore[no-untyped-def]
        self,
        codebook: Codebook,
        title: str = "Apply a code",
        parent=None,
        *,
        allow_parents: bool = False,
    ):
        super().__init__(parent)
        self.setWindowTitle(title)
        fit_to_screen(self, 460, 420)
        self.chosen: str | None = None
        self.query = QLineEdit(placeholderText="Type part of a code name or id…")
        codes = [code for code in codebook.walk() if allow_parents or not code.children]
        self.model = CodeListModel(codes, self)
        self.list = QListView()
        self.list.setModel(self.model)
        # A long name loses its middle, never the id at its end that tells codes apart; its
        # tooltip has it whole (it ran off the right, the id behind a scroll bar).
        self.list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QVBoxLayout(self)
        hint = "Enter chooses the highlighted code, parent codes included · Esc cancels"
        layout.addWidget(
            QLabel(hint if allow_parents else "Enter applies the highlighted code · Esc cancels")
        )
        layout.addWidget(self.query)
        layout.addWidget(self.list)
        self.query.textChanged.connect(self._filter)
        self.query.returnPressed.connect(self._accept_current)
        self.list.activated.connect(self._accept_index)
        self._filter("")

    def _filter(self, text: str) -> None:
        self.model.set_query(text)
        if self.model.rowCount():
            self.list.setCurrentIndex(self.model.index(0))

    def keyPressEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        if event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up):
            row = self.list.currentIndex().row() + (1 if event.key() == Qt.Key.Key_Down else -1)
            if 0 <= row < self.model.rowCount():
                self.list.setCurrentIndex(self.model.index(row))
            return
        super().keyPressEvent(event)

    def _accept_current(self) -> None:
        self._accept_index(self.list.currentIndex())

    def _accept_index(self, index: QModelIndex) -> None:
        if index.isValid():
            self.chosen = index.data(Qt.ItemDataRole.UserRole)
            self.accept()
