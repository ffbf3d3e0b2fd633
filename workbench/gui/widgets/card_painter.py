"""Paints a passage card from its layout: the card and its reviewed bar, the header, the
text, the machine translation box, the chips in their states, the highlighted chip's
reasons and the memo lines and marks. It reads the layout; it measures nothing itself."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPen,
)
from PySide6.QtWidgets import QStyle, QStyleOptionViewItem

from workbench.gui import theme
from workbench.gui.models.passage_model import PassageCard
from workbench.gui.widgets.card_layout import (
    CHIP_H_PAD,
    MARGIN,
    PAD,
    TRANSLATION_PAD,
    CardLayout,
    card_fonts,
    memo_mark_points,
)
from workbench.gui.widgets.card_text import CodeInfo

TRANSLATION_TINT = QColor("#eef4fb")
TRANSLATION_BAR = QColor("#5b7fa8")


class CardPainter:
    """Paints cards in their codes' colours, which it asks of ``code_info``."""

    def __init__(self, code_info: CodeInfo):
        self._code_info = code_info

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        card: PassageCard,
        layout: CardLayout,
    ) -> None:
        """One card in ``option.rect``, laid out by ``layout``."""
        rect = option.rect
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        coded = card.passage.coded
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.translate(rect.topLeft())
        box = QRectF(MARGIN, MARGIN / 2, rect.width() - 2 * MARGIN, layout.height - MARGIN)
        if coded:
            self._paint_card(painter, box, card, selected)
        elif selected:
            painter.setPen(QPen(theme.ACCENT, 1.5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(box, 8, 8)
        _text_font, small, bold = card_fonts(option.font, coded)
        self._paint_header(painter, card, layout, bold, small, box)
        painter.save()
        painter.translate(layout.text_origin)
        context = QAbstractTextDocumentLayout.PaintContext()
        context.palette.setColor(
            context.palette.ColorRole.Text, theme.INK if coded else theme.MUTED
        )
        layout.document.documentLayout().draw(painter, context)
        painter.restore()
        if layout.translation_box is not None and layout.translation_document is not None:
            self._paint_translation(painter, layout, small)
        self._paint_chips(painter, card, layout, small)
        if layout.why_rect is not None and card.focused_chip is not None:
            self._paint_why(painter, card, layout, small)
        memo_font = QFont(small)
        memo_font.setItalic(True)
        painter.setFont(memo_font)
        painter.setPen(theme.MUTED)
        metrics = QFontMetricsF(memo_font)
        lines = list(zip(layout.span_memo_rects, layout.span_memo_texts, strict=True))
        if layout.memo_rect is not None:
            lines.insert(0, (layout.memo_rect, "✎ " + card.memo.replace("\n", " ")))
        for memo_rect, line in lines:
            painter.drawText(
                memo_rect,
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                metrics.elidedText(line, Qt.TextElideMode.ElideRight, memo_rect.width()),
            )
        if card.span_memos:
            self._paint_memo_marks(painter, card, layout, small)
        painter.restore()

    def _paint_memo_marks(
        self, painter: QPainter, card: PassageCard, layout: CardLayout, font: QFont
    ) -> None:
        """A small accent dot raised at the end of each selection that has a memo, like a
        footnote mark: the words carry it without moving any character (the font's ✎ is too
        faint at text size to be seen)."""
        radius = max(3.0, QFontMetricsF(font).height() * 0.18)
        painter.setPen(QPen(theme.PAPER, 1))
        painter.setBrush(theme.ACCENT)
        for point in memo_mark_points(layout, card):
            painter.drawEllipse(point + QPointF(radius + 1, radius + 1), radius, radius)

    def _paint_card(
        self, painter: QPainter, box: QRectF, card: PassageCard, selected: bool
    ) -> None:
        painter.setPen(QPen(theme.ACCENT if selected else theme.LINE, 2 if selected else 1))
        painter.setBrush(theme.PAPER)
        painter.drawRoundedRect(box, 8, 8)
        bar = QRectF(box.left(), box.top(), 5, box.height())
        path = QPainterPath()
        path.addRoundedRect(bar.adjusted(0, 0, 4, 0), 4, 4)
        color = QColor("#2da44e") if card.state.reviewed else QColor("#d0d7de")
        painter.fillPath(path.intersected(_rect_path(bar)), color)

    def _paint_header(
        self,
        painter: QPainter,
        card: PassageCard,
        layout: CardLayout,
        bold: QFont,
        small: QFont,
        box: QRectF,
    ) -> None:
        top = layout.text_origin.y() - QFontMetricsF(bold).height() - 4
        painter.setFont(bold)
        painter.setPen(theme.ACCENT if card.passage.coded else theme.FAINT)
        speaker = card.passage.speaker or ("Text" if card.passage.coded else "Context")
        painter.drawText(
            QPointF(layout.text_origin.x(), top + QFontMetricsF(bold).ascent()), speaker
        )
        painter.setFont(small)
        painter.setPen(theme.FAINT)
        status = f"#{card.passage.position}"
        if card.passage.time:
            status = f"{card.passage.time} · {status}"
        if card.passage.coded:
            if card.state.reviewed and not card.state.codes:
                status = "no code applies · " + status
            elif card.state.reviewed:
                status = "coded · " + status
            if card.suggestions_hidden:
                status = "suggestions after your first pass · " + status
        right = QRectF(box.left(), top, box.width() - PAD, QFontMetricsF(small).height())
        painter.drawText(right, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, status)

    def _paint_chips(
        self, painter: QPainter, card: PassageCard, layout: CardLayout, font: QFont
    ) -> None:
        painter.setFont(font)
        for position, (chip, rect, label) in enumerate(
            zip(card.chips, layout.chip_rects, layout.chip_labels, strict=True)
        ):
            _name, color_hex = self._code_info(chip.code_id)
            color = theme.code_color(color_hex)
            focused = position == card.focused_chip
            radius = rect.height() / 2
            if chip.kind == "applied":
                painter.setPen(QPen(color.darker(130), 2 if focused else 1))
                painter.setBrush(color)
                text_color = theme.ACCEPTED_INK
            elif chip.kind == "rejected":
                painter.setPen(QPen(theme.LINE, 2 if focused else 1))
                painter.setBrush(theme.CANVAS)
                text_color = theme.FAINT
            elif chip.kind == "other":
                painter.setPen(QPen(theme.LINE, 1, Qt.PenStyle.DashLine))
                painter.setBrush(theme.CANVAS)
                text_color = theme.MUTED
            else:
                tint = QColor(color)
                tint.setAlpha(28)
                painter.setPen(
                    QPen(
                        color,
                        2 if focused else 1,
                        Qt.PenStyle.SolidLine if focused else Qt.PenStyle.DashLine,
                    )
                )
                painter.setBrush(tint)
                text_color = color.darker(120)
            painter.drawRoundedRect(rect, radius, radius)
            if focused:
                ring = rect.adjusted(-3, -3, 3, 3)
                painter.setPen(QPen(theme.ACCENT, 1.5))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRoundedRect(ring, ring.height() / 2, ring.height() / 2)
            painter.setPen(text_color)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, label)
            if chip.kind == "rejected":
                painter.setPen(QPen(theme.FAINT, 1))
                mid = rect.center().y()
                painter.drawLine(
                    QPointF(rect.left() + 18, mid), QPointF(rect.right() - CHIP_H_PAD, mid)
                )

    def _paint_translation(self, painter: QPainter, layout: CardLayout, font: QFont) -> None:
        """The translation in a tinted box, under a label that says it is a machine's."""
        assert layout.translation_box is not None and layout.translation_document is not None
        box = layout.translation_box
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(TRANSLATION_TINT)
        painter.drawRoundedRect(box, 6, 6)
        painter.fillRect(QRectF(box.left(), box.top() + 3, 3, box.height() - 6), TRANSLATION_BAR)
        label_font = QFont(font)
        label_font.setItalic(True)
        painter.setFont(label_font)
        painter.setPen(TRANSLATION_BAR.darker(130))
        metrics = QFontMetricsF(label_font)
        painter.drawText(
            QPointF(box.left() + TRANSLATION_PAD, box.top() + TRANSLATION_PAD + metrics.ascent()),
            metrics.elidedText(
                layout.translation_label,
                Qt.TextElideMode.ElideMiddle,
                box.width() - 2 * TRANSLATION_PAD,
            ),
        )
        painter.save()
        painter.translate(
            box.left() + TRANSLATION_PAD, box.top() + TRANSLATION_PAD + metrics.height() + 2
        )
        context = QAbstractTextDocumentLayout.PaintContext()
        context.palette.setColor(context.palette.ColorRole.Text, theme.MUTED.darker(115))
        layout.translation_document.documentLayout().draw(painter, context)
        painter.restore()

    def _paint_why(
        self, painter: QPainter, card: PassageCard, layout: CardLayout, font: QFont
    ) -> None:
        """The highlighted chip's rationale, with a bar in its colour, in its colour's ink."""
        assert layout.why_rect is not None and card.focused_chip is not None
        color = theme.code_color(self._code_info(card.chips[card.focused_chip].code_id)[1])
        rect = layout.why_rect
        painter.fillRect(QRectF(rect.left() - 8, rect.top(), 3, rect.height()), color)
        painter.setFont(font)
        painter.setPen(color.darker(150))
        painter.drawText(rect, int(Qt.TextFlag.TextWordWrap), layout.why_text)


def _rect_path(rect: QRectF) -> QPainterPath:
    path = QPainterPath()
    path.addRect(rect)
    return path
