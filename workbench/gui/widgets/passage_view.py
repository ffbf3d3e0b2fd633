"""The passage view: the open transcript as a scrolling list of passage cards, with its header."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListView,
    QVBoxLayout,
    QWidget,
)

from workbench.gui.models.passage_model import PassageListModel
from workbench.gui.widgets.passage_delegate import PassageDelegate


class PassageListView(QListView):
    """Per-pixel scrolling over variable-height cards; batched layout keeps long transcripts smooth."""

    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        delegate = self.itemDelegate()
        if (
            isinstance(delegate, PassageDelegate)
            and event.oldSize().width() != event.size().width()
        ):
            self.scheduleDelayedItemsLayout()
        super().resizeEvent(event)


class PassageView(QWidget):
    def __init__(self, model: PassageListModel, delegate: PassageDelegate, parent=None):  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self.setObjectName("panel")
        self.title = QLabel("No transcript open", objectName="title")
        self.subtitle = QLabel("", objectName="subtitle")
        self.subtitle.setWordWrap(True)
        self.hint = QLabel(
            "J/K next/previous · N next unreviewed · ←/→ choose a suggestion · A accept · R reject · "
            "Shift+A accept all · 1–9 codes · / pick a code · 0 no code applies · M memo · Ctrl+Z undo",
            objectName="subtitle",
        )
        self.hint.setWordWrap(True)
        self.list = PassageListView(objectName="passages")
        self.list.setModel(model)
        self.list.setItemDelegate(delegate)
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.verticalScrollBar().setSingleStep(24)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setLayoutMode(QListView.LayoutMode.Batched)
        self.list.setBatchSize(60)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setWordWrap(True)
        self.list.setMouseTracking(True)
        self.list.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        header = QVBoxLayout()
        header.setSpacing(2)
        header.addWidget(self.title)
        header.addWidget(self.subtitle)
        top = QHBoxLayout()
        top.setContentsMargins(16, 10, 16, 4)
        top.addLayout(header, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(top)
        layout.addWidget(self.list, 1)
        hint_row = QHBoxLayout()
        hint_row.setContentsMargins(16, 4, 16, 6)
        hint_row.addWidget(self.hint)
        layout.addLayout(hint_row)
        self._selected_span: tuple[int, int] | None = None
        model.modelReset.connect(lambda: self.set_selected_span(None))
        self.list.selectionModel().currentChanged.connect(lambda *_: self.set_selected_span(None))

    def selected_span(self) -> tuple[int, int] | None:
        """The selection inside the current passage, as transcript offsets (start, end), or
        None. The cards are painted, so nothing in this view selects text yet; a selection
        tool sets it with ``set_selected_span``, and it is cleared when the passage changes."""
        return self._selected_span

    def set_selected_span(self, span: tuple[int, int] | None) -> None:
        self._selected_span = span
