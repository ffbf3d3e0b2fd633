"""Shows each passage as a card and turns the coder's mouse on it into signals and offsets.

The coder's coded selections (spans) are underlined in their code's colour, and text the coder
is selecting is shaded; ``char_at`` maps a point on a card to the character under it, which is
how the list view turns a mouse drag into a selection without an editor widget per card.

Measuring a card is card_layout's job (cached per card and width), its text card_text's and
painting it card_painter's; this delegate asks them and answers Qt. Clicks on chips are
reported as signals; the delegate never changes data itself.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QPointF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont, QMouseEvent, QPainter
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem, QToolTip

from workbench.gui.models.passage_model import CardRole, Chip, PassageCard
from workbench.gui.widgets.card_layout import (
    CONTEXT_PREVIEW,
    CardLayout,
    CardLayouts,
    chip_label,
)
from workbench.gui.widgets.card_painter import CardPainter
from workbench.gui.widgets.card_text import CodeInfo, span_memo_line


class PassageDelegate(QStyledItemDelegate):
    chip_clicked = Signal(int, int, int)  # row, chip index, Qt mouse button

    def __init__(self, code_info: CodeInfo, parent=None):  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self._code_info = code_info
        self._layouts = CardLayouts(code_info)
        self._painter = CardPainter(code_info)

    def clear_cache(self) -> None:
        self._layouts.clear()

    def layout(self, card: PassageCard, width: int, base: QFont) -> CardLayout:
        """Where everything on ``card`` goes at ``width`` (cached)."""
        return self._layouts.layout(card, width, base)

    def _chip_label(self, chip: Chip) -> str:
        return chip_label(chip, self._code_info)

    # -- QStyledItemDelegate -------------------------------------------------------------------------

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        card: PassageCard | None = index.data(CardRole)
        width = option.rect.width() or (option.widget.viewport().width() if option.widget else 600)
        if card is None:
            return QSize(width, 20)
        return QSize(width, self.layout(card, width, option.font).height)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        card: PassageCard | None = index.data(CardRole)
        if card is None:
            return
        layout = self.layout(card, option.rect.width(), option.font)
        self._painter.paint(painter, option, card, layout)

    def char_at(self, card: PassageCard, width: int, font: QFont, point: QPointF) -> int | None:
        """The passage-text offset under ``point`` (relative to the card's top left), or None
        off the text. Only an expanded card's text can be selected: a shortened one is not all
        there."""
        layout = self.layout(card, width, font)
        size = layout.document.size()
        local = point - layout.text_origin
        if not (card.expanded or len(card.passage.text) <= CONTEXT_PREVIEW):
            return None
        if not (-4 <= local.y() <= size.height() + 4 and -8 <= local.x() <= size.width() + 8):
            return None
        local = QPointF(
            max(0.0, min(local.x(), size.width())), max(0.0, min(local.y(), size.height() - 1))
        )
        hit = layout.document.documentLayout().hitTest(local, Qt.HitTestAccuracy.FuzzyHit)
        return None if hit < 0 else min(hit, len(card.passage.text))

    def span_memo_at(
        self, card: PassageCard, width: int, font: QFont, point: QPointF
    ) -> str | None:
        """The memo line of a selection under ``point`` (its words hovered), or None."""
        if not card.span_memos:
            return None
        offset = self.char_at(card, width, font, point)
        if offset is None:
            return None
        for start, end, memo in card.span_memos:
            if start <= offset < end:
                return span_memo_line(card.passage.text, start, end, memo)
        return None

    def helpEvent(self, event, view, option, index) -> bool:  # type: ignore[no-untyped-def]
        """A chip's tooltip: its whole label, and for a code coded on selections their words."""
        card: PassageCard | None = index.data(CardRole) if index.isValid() else None
        if card is not None and event.type() == QEvent.Type.ToolTip:
            layout = self.layout(card, option.rect.width(), option.font)
            point = QPointF(event.pos()) - QPointF(option.rect.topLeft())
            for chip, rect in zip(card.chips, layout.chip_rects, strict=True):
                if rect.contains(point):
                    name = self._code_info(chip.code_id)[0]
                    lines = [name] + [f"coded on {q}" for q in chip.quotes]
                    QToolTip.showText(event.globalPos(), "\n".join(lines), view)
                    return True
            for rect, line in zip(layout.span_memo_rects, layout.span_memo_texts, strict=True):
                if rect.contains(point):  # the line may be cut short: the tooltip has it whole
                    QToolTip.showText(event.globalPos(), line, view)
                    return True
            memo = self.span_memo_at(card, option.rect.width(), option.font, point)
            if memo is not None:
                QToolTip.showText(event.globalPos(), memo, view)
                return True
        return super().helpEvent(event, view, option, index)

    def editorEvent(self, event: QEvent, model, option: QStyleOptionViewItem, index) -> bool:  # type: ignore[no-untyped-def]
        if event.type() == QEvent.Type.MouseButtonRelease and isinstance(event, QMouseEvent):
            card: PassageCard | None = index.data(CardRole)
            if card is not None:
                layout = self.layout(card, option.rect.width(), option.font)
                point = event.position() - QPointF(option.rect.topLeft())
                for position, rect in enumerate(layout.chip_rects):
                    if rect.contains(point):
                        self.chip_clicked.emit(index.row(), position, int(event.button().value))
                        return True
        return super().editorEvent(event, model, option, index)
