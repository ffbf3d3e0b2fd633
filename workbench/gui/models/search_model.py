"""The rows of a search or retrieval view: one passage each, the match marked in its context."""

from __future__ import annotations

import html

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from workbench.core.store.search import MARK_END, MARK_START, SearchHit

HtmlRole = Qt.ItemDataRole.UserRole + 1  # the snippet as HTML, the match in bold
KeyRole = Qt.ItemDataRole.UserRole + 2  # the passage key, for the jump to the workspace

Index = QModelIndex | QPersistentModelIndex


class SearchResultsModel(QAbstractTableModel):
    """Passage, speaker, text and codes. ``visible_coders`` hides other coders' codes when the
    project codes blind (None shows everyone's)."""

    HEADERS = ("Passage", "Speaker", "Text", "Codes")

    def __init__(self, parent=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self.hits: list[SearchHit] = []
        self.visible_coders: set[str] | None = None

    def set_hits(self, hits: list[SearchHit]) -> None:
        self.beginResetModel()
        self.hits = list(hits)
        self.endResetModel()

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
            return escaped.replace(MARK_START, "<b>").replace(MARK_END, "</b>")
        if role == Qt.ItemDataRole.DisplayRole:
            plain = " ".join(hit.snippet.split()).replace(MARK_START, "").replace(MARK_END, "")
            return (hit.key, hit.speaker or "", plain, self.codes_text(hit))[column]
        if role == Qt.ItemDataRole.ToolTipRole and column == 2:
            return hit.text
        return None
