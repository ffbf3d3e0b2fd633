"""Where everything on a passage card goes: header, text, translation box, chips, the
highlighted chip's reasons and memo lines, measured once per card and width.

Layouts are cached per card and width, so scrolling a 2,000-passage transcript re-uses them;
painting (card_painter) and hit testing (passage_delegate) both read the same layout."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QFont, QFontMetricsF, QTextDocument, QTextOption

from workbench.gui.models.passage_model import Chip, PassageCard
from workbench.gui.widgets.card_text import (
    CodeInfo,
    highlight,
    plain_document,
    span_memo_line,
)

MARGIN = 10
PAD = 12
CHIP_H_PAD = 8
CHIP_GAP = 6
CONTEXT_PREVIEW = 300  # characters of a long context turn shown until it is selected
TRANSLATION_PAD = 8


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


def card_fonts(base: QFont, coded: bool) -> tuple[QFont, QFont, QFont]:
    """(text, small, bold): the same three for measuring and painting, or the two disagree.
    Context turns (not coded) read a little smaller than the passages being coded."""
    text = QFont(base)
    if not coded:
        text.setPointSizeF(base.pointSizeF() * 0.92)
    small = QFont(base)
    small.setPointSizeF(base.pointSizeF() * 0.85)
    bold = QFont(small)
    bold.setBold(True)
    return text, small, bold


def chip_label(chip: Chip, code_info: CodeInfo) -> str:
    """A chip's words: its state in a mark, and a suggestion's calibrated probability."""
    name, _color = code_info(chip.code_id)
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


class CardLayouts:
    """Measures cards and keeps the last few thousand layouts."""

    def __init__(self, code_info: CodeInfo):
        self._code_info = code_info
        self._cache: OrderedDict[tuple, CardLayout] = OrderedDict()

    def clear(self) -> None:
        self._cache.clear()

    def layout(self, card: PassageCard, width: int, base: QFont) -> CardLayout:
        key = (card, width, base.toString())
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        coded = card.passage.coded
        text_font, small, bold = card_fonts(base, coded)
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
            highlight(document, card, self._code_info)
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
            translation_document = plain_document(
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
                label = chip_label(chip, self._code_info)
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
