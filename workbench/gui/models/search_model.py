"""The rows of a search or retrieval view: one passage each, the match marked in its context."""

from __future__ import annotations

import html

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont

from workbench.core.store.search import SearchHit
from workbench.core.store.search_snippet import MARK_END, MARK_START

HtmlRole = Qt.ItemDataRole.UserRole + 1  # the snippet as HTML, the match in bold
KeyRole = Qt.ItemDataRole.UserRole + 2  # the passage key, for the jump to the workspace

Index = QModelIndex | QPersistentModelIndex


class SearchResultsModel(QAbstractTableModel):
    """Passage, speaker, text and codes. ``visible_coders`` hides other coders' codes when the
    project codes blind (None shows everyone's).

    A passage recoded so that it no longer belongs to the view (``gone``) stays, struck
    through and grey, until the next search: the coder keeps their place and sees what they
    just changed, and undo brings it back in place."""

    HEADERS = ("Passage", "Speaker", "Text", "Codes")

    def __init__(self, parent=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self.hits: list[SearchHit] = []
        self.visible_coders: set[str] | None = None
        self.gone: set[int] = set()  # passage ids no longer in the view since the search

    def set_hits(self, hits: list[SearchHit]) -> None:
        self.beginResetModel()
        self.hits = list(hits)
        self.gone = set()
        self.endResetModel()

    def row_of(self, passage_id: int) -> int | None:
        for row, hit in enumerate(self.hits):
            if hit.passage_id == passage_id:
                return row
        return None

    def update_hit(self, passage_id: int, codes: dict[str, list[str]], in_view: bool) -> None:
        """The passage re-read after a decision: its codes now, and whether the view's search
        still finds it."""
        row = self.row_of(passage_id)
        if row is None:
            return
        self.hits[row].codes = codes
        if in_view:
            self.gone.discard(passage_id)
        else:
            self.gone.add(passage_id)
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.HEADERS) - 1))

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.hits)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> object:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(self.HEADERS)
        ):
            return self.HEADERS[section]
        return None

    def codes_text(self, hit: SearchHit) -> str:
        return "; ".join(
            f"{coder}: {', '.join(codes)}"
            for coder, codes in hit.codes.items()
            if self.visible_coders is None or coder in self.visible_coders
        )

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self.hits):
            return None
        hit = self.hits[index.row()]
        column = index.column()
        if role == KeyRole:
            return hit.key
        if role == HtmlRole and column == 2:
            escaped = html.escape(" ".join(hit.snippet.split()))
            marked = escaped.replace(MARK_START, "<b>").replace(MARK_END, "</b>")
            if hit.passage_id in self.gone:
                return f"<s style='color:#8c959f'>{marked}</s>"
            return marked
        if role == Qt.ItemDataRole.DisplayRole:
            plain = " ".join(hit.snippet.split()).replace(MARK_START, "").replace(MARK_END, "")
            return (hit.key, hit.speaker or "", plain, self.codes_text(hit))[column]
        if role == Qt.ItemDataRole.ToolTipRole and column == 2:
            return hit.text
        if hit.passage_id in self.gone:
            if role == Qt.ItemDataRole.FontRole:
                font = QFont()
                font.setStrikeOut(True)
                return font
            if role == Qt.ItemDataRole.ForegroundRole:
                return QColor("#8c959f")
            if role == Qt.ItemDataRole.ToolTipRole:
                return "No longer in this view (recoded); it leaves the list at the next search"
        return None
