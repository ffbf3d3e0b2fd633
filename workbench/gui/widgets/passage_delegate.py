"""Draws each passage as a card: speaker, wrapped text with evidence highlighted, code chips.

The coder's coded selections (spans) are underlined in their code's colour, and text the coder
is selecting is shaded; ``char_at`` maps a point on a card to the character under it, which is
how the list view turns a mouse drag into a selection without an editor widget per card.

Layouts are cached per card and width, so scrolling a 2,000-passage transcript re-uses them;
text goes through QTextDocument, which wraps long lines and handles right-to-left scripts and
CJK. Clicks on chips are reported as signals; the delegate never changes data itself.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QPointF,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QFont,
    QFontMetricsF,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPen,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextOption,
)
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QToolTip

from workbench.core.store.spans import quote
from workbench.gui import theme
from workbench.gui.models.passage_model import CardRole, Chip, PassageCard

CodeInfo = Callable[[str], tuple[str, str]]  # code id -> (name, colour)

MARGIN = 10
PAD = 12
CHIP_H_PAD = 8
CHIP_GAP = 6
CONTEXT_PREVIEW = 300  # characters of a long context turn shown until it is selected
TRANSLATION_PAD = 8
TRANSLATION_TINT = QColor("#eef4fb")
TRANSLATION_BAR = QColor("#5b7fa8")


@dataclass
class CardLayout:
    height: int
    document: QTextDocument
    text_origin: QPointF
    chip_rects: list[QRectF]
    chip_labels: list[str]
    memo_rect: QRectF | None
    # The highlighted chip's explanation: its rationale, drawn in the chip's colour.
    why_rect: QRectF | None = None
    why_text: str = ""
    # The machine translation under the original: its box, its label and its text.
    translation_box: QRectF | None = None
    translation_label: str = ""
    translation_document: QTextDocument | None = None
    # The coder's memos on selections, one line each under the passage's memo.
    span_memo_rects: tuple[QRectF, ...] = ()
    span_memo_texts: tuple[str, ...] = ()


class PassageDelegate(QStyledItemDelegate):
    chip_clicked = Signal(int, int, int)  # row, chip index, Qt mouse button

    def __init__(self, code_info: CodeInfo, parent=None):  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self._code_info = code_info
        self._cache: OrderedDict[tuple, CardLayout] = OrderedDict()

    def clear_cache(self) -> None:
        self._cache.clear()

    # -- layout ----------------------------------------------------------------------------------

    def _fonts(self, base: QFont, coded: bool) -> tuple[QFont, QFont, QFont]:
        text = QFont(base)
        if not coded:
            text.setPointSizeF(base.pointSizeF() * 0.92)
        small = QFont(base)
        small.setPointSizeF(base.pointSizeF() * 0.85)
        bold = QFont(small)
        bold.setBold(True)
        return text, small, bold

    def _chip_label(self, chip: Chip) -> str:
        name, _color = self._code_info(chip.code_id)
        if chip.kind == "applied" and chip.spans:  # coded on selections: a quote mark says so
            count = f"×{len(chip.spans)} " if len(chip.spans) > 1 else ""
            return f"✓ ❝{count} {name}" if count else f"✓ ❝ {name}"
        if chip.kind == "applied":
            return f"✓ {name}"
        if chip.kind == "rejected":
            return f"✕ {name}"
        if chip.kind == "other":
            return f"{chip.label}: {name}"
        if chip.probability is None:  # a raw score is not a probability: say so
            return f"{name}  uncalibrated"
        return f"{name}  {round(chip.probability * 100)}%"

    def layout(self, card: PassageCard, width: int, base: QFont) -> CardLayout:
        key = (card, width, base.toString())
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        coded = card.passage.coded
        text_font, small, bold = self._fonts(base, coded)
        inner = max(120, width - 2 * MARGIN - 2 * PAD - (0 if coded else 40))
        document = QTextDocument()
        document.setDefaultFont(text_font)
        option = QTextOption()
        option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        option.setTextDirection(Qt.LayoutDirection.LayoutDirectionAuto)
        document.setDefaultTextOption(option)
        document.setDocumentMargin(0)
        if card.expanded or len(card.passage.text) <= CONTEXT_PREVIEW:
            document.setPlainText(card.passage.text)
            self._highlight(document, card)
        else:  # a long interviewer turn: its opening is context enough until it is selected
            cut = card.passage.text.rfind(" ", 0, CONTEXT_PREVIEW)
            document.setPlainText(card.passage.text[: cut if cut > 0 else CONTEXT_PREVIEW] + " …")
        document.setTextWidth(inner)
        header_h = QFontMetricsF(bold).height() + 4
        left = MARGIN + PAD + (0 if coded else 40)
        top = MARGIN + PAD + header_h
        text_h = document.size().height()
        y = top + text_h + 8
        translation_box, translation_document = None, None
        if card.translation is not None:
            translation_document = _plain_document(
                text_font, card.translation.text, inner - 2 * TRANSLATION_PAD
            )
            label_h = QFontMetricsF(small).height()
            box_h = TRANSLATION_PAD + label_h + 2 + translation_document.size().height()
            translation_box = QRectF(left, y, inner, box_h + TRANSLATION_PAD)
            y = translation_box.bottom() + 8
        chip_rects: list[QRectF] = []
        labels: list[str] = []
        metrics = QFontMetricsF(small)
        chip_h = metrics.height() + 8
        x = left
        if card.chips or card.suggestions_hidden:
            for chip in card.chips:
                label = self._chip_label(chip)
                w = metrics.horizontalAdvance(label) + 2 * CHIP_H_PAD
                if w > inner:  # a long name in a narrow pane loses its middle, not its end
                    label = metrics.elidedText(
                        label, Qt.TextElideMode.ElideMiddle, inner - 2 * CHIP_H_PAD
                    )
                    w = inner
                if x + w > left + inner and x > left:
                    x = left
                    y += chip_h + CHIP_GAP
                chip_rects.append(QRectF(x, y, w, chip_h))
                labels.append(label)
                x += w + CHIP_GAP
            y += chip_h + 4
        why_rect, why_text = None, _why(card, self._code_info)
        if why_text:
            why_rect = metrics.boundingRect(
                QRectF(left + 8, y + 2, inner - 8, 10_000),
                int(Qt.TextFlag.TextWordWrap),
                why_text,
            )
            why_rect.setWidth(inner - 8)
            y = why_rect.bottom() + 8
        memo_rect = None
        if card.memo:
            memo_rect = QRectF(left, y + 2, inner, metrics.height() + 4)
            y += metrics.height() + 8
        span_memo_rects, span_memo_texts = [], []
        for start, end, memo in card.span_memos:
            span_memo_rects.append(QRectF(left, y + 2, inner, metrics.height() + 4))
            span_memo_texts.append(span_memo_line(card.passage.text, start, end, memo))
            y += metrics.height() + 8
        height = int(y + (PAD if coded else 2) + MARGIN / 2)
        layout = CardLayout(
            height,
            document,
            QPointF(left, top),
            chip_rects,
            labels,
            memo_rect,
            why_rect,
            why_text,
            translation_box,
            _translation_label(card),
            translation_document,
            tuple(span_memo_rects),
            tuple(span_memo_texts),
        )
        self._cache[key] = layout
        if len(self._cache) > 3000:
            self._cache.popitem(last=False)
        return layout

    def _highlight(self, document: QTextDocument, card: PassageCard) -> None:
        length = len(card.passage.text)

        def select(start: int, end: int) -> QTextCursor:
            cursor = QTextCursor(document)
            cursor.setPosition(max(0, min(start, length)))
            cursor.setPosition(max(0, min(end, length)), QTextCursor.MoveMode.KeepAnchor)
            return cursor

        for start, end, code_id in card.coded_spans:  # the coder's own selections, underlined
            color = theme.code_color(self._code_info(code_id)[1])
            fmt = QTextCharFormat()
            fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.SingleUnderline)
            fmt.setUnderlineColor(color.darker(115))
            tint = QColor(color)
            tint.setAlpha(70)
            fmt.setBackground(tint)
            select(start, end).mergeCharFormat(fmt)
        self._highlight_evidence(document, card)
        if card.selection is not None:  # last: what the coder is selecting shows over the rest
            fmt = QTextCharFormat()
            fmt.setBackground(theme.SELECTION)
            fmt.setForeground(theme.SELECTION_INK)
            select(*card.selection).mergeCharFormat(fmt)

    def _highlight_evidence(self, document: QTextDocument, card: PassageCard) -> None:
        focused = card.chips[card.focused_chip] if card.focused_chip is not None else None
        # The highlighted chip's quote last, so that its colour wins where quotes overlap.
        for chip in sorted(card.chips, key=lambda chip: chip is focused):
            if not chip.evidence or chip.kind not in ("suggested", "applied"):
                continue
            if chip.spans:  # coded on selections: those are drawn, not the engine's quote
                continue
            strong = focused is not None and chip is focused
            cursor = QTextCursor(document)
            cursor.setPosition(min(chip.evidence[0], len(card.passage.text)))
            cursor.setPosition(
                min(chip.evidence[1], len(card.passage.text)), QTextCursor.MoveMode.KeepAnchor
            )
            fmt = QTextCharFormat()
            # Each quote in its own code's colour, so a coder sees which chip it supports.
            color = theme.code_color(self._code_info(chip.code_id)[1])
            color.setAlpha(95 if strong else (35 if focused is not None else 55))
            fmt.setBackground(color)
            if strong:
                fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.SingleUnderline)
                fmt.setUnderlineColor(theme.code_color(self._code_info(chip.code_id)[1]))
            cursor.mergeCharFormat(fmt)

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
        rect = option.rect
        layout = self.layout(card, rect.width(), option.font)
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
        _text_font, small, bold = self._fonts(option.font, coded)
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


MEMO_MARK = "✎"


def span_memo_line(text: str, start: int, end: int, memo: str) -> str:
    """``✎ “the words”: the memo`` for a memo on a selection (passage-relative offsets)."""
    return f"{MEMO_MARK} {quote(text[start:end])}: {' '.join(memo.split())}"


def memo_mark_points(layout: CardLayout, card: PassageCard) -> list[QPointF]:
    """Card coordinates of the top of the line at the end of each memo'd selection."""
    document = layout.document
    points = []
    length = len(card.passage.text)
    for _start, end, _memo in card.span_memos:
        at = max(0, min(end, length))
        block = document.findBlock(at)
        line = block.layout().lineForTextPosition(max(0, at - block.position() - 1))
        if not line.isValid():
            continue
        x = line.cursorToX(at - block.position())[0]
        top = document.documentLayout().blockBoundingRect(block).top() + line.y()
        points.append(layout.text_origin + QPointF(x, top))
    return points


def _rect_path(rect: QRectF) -> QPainterPath:
    path = QPainterPath()
    path.addRect(rect)
    return path


def _plain_document(font: QFont, text: str, width: float) -> QTextDocument:
    document = QTextDocument()
    document.setDefaultFont(font)
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    option.setTextDirection(Qt.LayoutDirection.LayoutDirectionAuto)
    document.setDefaultTextOption(option)
    document.setDocumentMargin(0)
    document.setPlainText(text)
    document.setTextWidth(max(60.0, width))
    return document


def _translation_label(card: PassageCard) -> str:
    """Says whose words these are: a machine's, which model's, from which language into which."""
    translation = card.translation
    if translation is None:
        return ""
    direction = f"{translation.source_language or '?'} → {translation.target_language}"
    return f"machine translation ({translation.model}) · {direction}"


def _why(card: PassageCard, code_info: CodeInfo) -> str:
    """What the highlighted chip says for itself: its rationale (empty for a chip without)."""
    if card.focused_chip is None or card.focused_chip >= len(card.chips):
        return ""
    chip = card.chips[card.focused_chip]
    if chip.kind not in ("suggested", "applied", "rejected") or not chip.rationale:
        return ""
    return f"Why {code_info(chip.code_id)[0]}: {chip.rationale}"
