"""A passage's text as a QTextDocument: wrapped at any width, right-to-left and CJK handled
by Qt, with the coder's coded selections underlined, the evidence quotes of the chips shaded
in their codes' colours and the words being selected shaded over the rest."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QTextCharFormat, QTextCursor, QTextDocument, QTextOption

from workbench.core.store.spans import quote
from workbench.gui import theme
from workbench.gui.models.passage_model import PassageCard

CodeInfo = Callable[[str], tuple[str, str]]  # code id -> (name, colour)


def highlight(document: QTextDocument, card: PassageCard, code_info: CodeInfo) -> None:
    """Mark up the card's text in layers, each over the last: coded selections, evidence
    quotes, then the words being selected, so that what the coder is doing now shows on top."""
    length = len(card.passage.text)

    def select(start: int, end: int) -> QTextCursor:
        cursor = QTextCursor(document)
        cursor.setPosition(max(0, min(start, length)))
        cursor.setPosition(max(0, min(end, length)), QTextCursor.MoveMode.KeepAnchor)
        return cursor

    for start, end, code_id in card.coded_spans:  # the coder's own selections, underlined
        color = theme.code_color(code_info(code_id)[1])
        fmt = QTextCharFormat()
        fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.SingleUnderline)
        fmt.setUnderlineColor(color.darker(115))
        tint = QColor(color)
        tint.setAlpha(70)
        fmt.setBackground(tint)
        select(start, end).mergeCharFormat(fmt)
    highlight_evidence(document, card, code_info)
    if card.selection is not None:  # last: what the coder is selecting shows over the rest
        fmt = QTextCharFormat()
        fmt.setBackground(theme.SELECTION)
        fmt.setForeground(theme.SELECTION_INK)
        select(*card.selection).mergeCharFormat(fmt)


def highlight_evidence(document: QTextDocument, card: PassageCard, code_info: CodeInfo) -> None:
    """Shade the words each chip cites, so a coder checks a suggestion against the text."""
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
        color = theme.code_color(code_info(chip.code_id)[1])
        color.setAlpha(95 if strong else (35 if focused is not None else 55))
        fmt.setBackground(color)
        if strong:
            fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.SingleUnderline)
            fmt.setUnderlineColor(theme.code_color(code_info(chip.code_id)[1]))
        cursor.mergeCharFormat(fmt)


def plain_document(font: QFont, text: str, width: float) -> QTextDocument:
    """Unmarked text wrapped like the passage's (the translation box): any script, any width."""
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


MEMO_MARK = "✎"


def span_memo_line(text: str, start: int, end: int, memo: str) -> str:
    """``✎ “the words”: the memo`` for a memo on a selection (passage-relative offsets)."""
    return f"{MEMO_MARK} {quote(text[start:end])}: {' '.join(memo.split())}"
