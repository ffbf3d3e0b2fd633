"""The passage view: the open transcript as a scrolling list of passage cards, with its header.

Words in a passage to code are selected by dragging over them (a double-click takes a word),
or from the keyboard (Shift+→ and the keys beside it, ``PassageListModel.step_selection``):
the view asks the delegate which character is under the mouse and keeps the selection in the
model, so the card that draws the text also draws the selection, and the keys that code it
read it from the model.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListView,
    QVBoxLayout,
    QWidget,
)

from workbench.core.keys import WORKSPACE_KEYS
from workbench.gui.models.passage_model import CardRole, PassageCard, PassageListModel
from workbench.gui.widgets.passage_delegate import PassageDelegate


class PassageListView(QListView):
    """Per-pixel scrolling over variable-height cards; batched layout keeps long transcripts smooth."""

    _anchor: tuple[int, int] | None = None  # (row, character) where a text drag began

    def _char_at(self, position: QPointF) -> tuple[int, int] | None:
        """(row, passage offset) of the character under a viewport point of a passage to code."""
        index = self.indexAt(position.toPoint())
        delegate = self.itemDelegate()
        card: PassageCard | None = index.data(CardRole) if index.isValid() else None
        if card is None or not card.passage.coded or not isinstance(delegate, PassageDelegate):
            return None
        rect = self.visualRect(index)
        offset = delegate.char_at(
            card, rect.width(), self.font(), position - QPointF(rect.topLeft())
        )
        return None if offset is None else (index.row(), offset)

    def _model(self) -> PassageListModel | None:
        model = self.model()
        return model if isinstance(model, PassageListModel) else None

    def mousePressEvent(self, event: QMouseEvent) -> None:
        super().mousePressEvent(event)  # makes the row current (chip clicks are the delegate's)
        model = self._model()
        if model is None or event.button() != Qt.MouseButton.LeftButton:
            return
        self._anchor = self._char_at(event.position())
        model.clear_selection()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        model = self._model()
        if self._anchor is None or model is None:
            super().mouseMoveEvent(event)
            return
        row, start = self._anchor
        here = self._char_at(event.position())
        if here is not None and here[0] == row:  # a selection stays inside its passage
            model.set_selection(row, start, here[1])

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._anchor = None
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        """A double-click selects the word under the mouse."""
        model = self._model()
        here = self._char_at(event.position())
        if model is None or here is None:
            super().mouseDoubleClickEvent(event)
            return
        row, offset = here
        passage = model.passage(row)
        assert passage is not None
        text = passage.text
        start = end = min(offset, len(text))
        while start > 0 and text[start - 1].isalnum():
            start -= 1
        while end < len(text) and text[end].isalnum():
            end += 1
        model.set_selection(row, start, end)

    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        delegate = self.itemDelegate()
        if (
            isinstance(delegate, PassageDelegate)
            and event.oldSize().width() != event.size().width()
        ):
            self.scheduleDelayedItemsLayout()
        super().resizeEvent(event)


KEY_HINT = (
    "J/K next/previous · N next unreviewed · ←/→ choose a suggestion · A accept · R reject · "
    "Shift+A accept all · 1–9 codes · / pick a code · 0 no code applies · M memo · Ctrl+Z undo · "
    "drag or Shift+→ over words + a code key"
)
# A project open read-only takes no decisions, so its hint names only the keys that still act:
# moving, reading a code's details, searching, and F1 for the rest.
READ_ONLY_HINT = (
    "Read-only: J/K next/previous · ←/→ a code or suggestion's details · Ctrl+F find a "
    "transcript · Ctrl+Shift+F search passages · F1 every key"
)


NOTHING_OPEN = (
    "Choose a transcript in the list on the left (Ctrl+Shift+T shows it where it is folded). "
    "A project has none until they are imported: workbench import PROJECT FILES…"
)


class PassageView(QWidget):
    def __init__(
        self,
        model: PassageListModel,
        delegate: PassageDelegate,
        parent: QWidget | None = None,
        *,
        read_only: bool = False,
    ) -> None:
        super().__init__(parent)
        self._key_hint = READ_ONLY_HINT if read_only else KEY_HINT
        self.setObjectName("panel")
        self.title = QLabel("No transcript open", objectName="title")
        # Replaced by the transcript's metadata once one opens; until then, what to do.
        self.subtitle = QLabel(NOTHING_OPEN, objectName="subtitle")
        self.subtitle.setWordWrap(True)
        self.hint = QLabel(self._key_hint, objectName="subtitle")
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
        self._model = model
        # The translation key is named only where it does something: a transcript that has
        # one (opening one resets the model; translating one re-reads it and changes data).
        model.modelReset.connect(self.refresh_hint)
        model.dataChanged.connect(self.refresh_hint)
        self.list.selectionModel().currentChanged.connect(lambda *_: self.set_selected_span(None))

    def refresh_hint(self) -> None:
        """Name Ctrl+T only when the open transcript has a translation to show: elsewhere the
        key only says there is none, and the hint line is short of room."""
        text = self._key_hint
        if self._model.translations.available:
            text += f" · {WORKSPACE_KEYS['machine translation'][0]} machine translation"
        if self.hint.text() != text:
            self.hint.setText(text)

    def selected_span(self) -> tuple[int, int] | None:
        """The selection inside the current passage, as transcript offsets (start, end), or
        None. The cards are painted, so nothing in this view selects text yet; a selection
        tool sets it with ``set_selected_span``, and it is cleared when the passage changes."""
        return self._selected_span

    def set_selected_span(self, span: tuple[int, int] | None) -> None:
        self._selected_span = span
