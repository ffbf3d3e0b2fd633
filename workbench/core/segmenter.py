"""Cut a transcript's text into passages that keep their speaker and exact character offsets.

Offsets index the stored (normalised) transcript text, so ``text[start:end]`` is always the
passage: that is what lets codes go to other tools (REFI-QDA) at exact positions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from enum import Enum
from typing import NamedTuple

from workbench.core.speakers import LabelMatch, find_label_lines

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


class Segmentation(str, Enum):
    """How a transcript is cut into passages."""

    TURN = "turn"
    PARAGRAPH = "paragraph"


class PassageSpan(NamedTuple):
    """A passage before it is stored: its place in the transcript and its speaker.

    A named tuple rather than a dataclass: imports create millions of them.
    """

    position: int
    speaker: str | None
    start: int
    end: int
    text: str


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """``[start, end)`` without surrounding whitespace (str.strip's notion of it, in C)."""
    piece = text[start:end]
    left = piece.lstrip()
    start += len(piece) - len(left)
    return start, start + len(left.rstrip())


def _paragraphs(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    cursor = start
    for brk in _PARAGRAPH_BREAK.finditer(text, start, end):
        span = _strip_span(text, cursor, brk.start())
        if span[0] < span[1]:
            yield span
        cursor = brk.end()
    span = _strip_span(text, cursor, end)
    if span[0] < span[1]:
        yield span


def turn_spans(
    text: str, speakers: Iterable[str], label_lines: tuple[LabelMatch, ...] | None = None
) -> list[tuple[str | None, int, int]]:
    """``(speaker, start, end)`` for each turn; text before the first turn has speaker None."""
    wanted = set(speakers)
    if label_lines is None:
        label_lines = find_label_lines(text)
    marks = [m for m in label_lines if m.label in wanted]
    spans: list[tuple[str | None, int, int]] = []
    if not marks:
        return [(None, 0, len(text))]
    if marks[0].line_start > 0:
        spans.append((None, 0, marks[0].line_start))
    for index, mark in enumerate(marks):
        end = marks[index + 1].line_start if index + 1 < len(marks) else len(text)
        spans.append((mark.label, mark.text_start, end))
    return spans


def segment(
    text: str,
    speakers: Iterable[str],
    mode: Segmentation = Segmentation.TURN,
    label_lines: tuple[LabelMatch, ...] | None = None,
) -> list[PassageSpan]:
    """Passages of ``text``: one per speaker turn, or one per paragraph within each turn.

    Text outside any turn (a title, notes before the interview, a transcript without speaker
    labels) is cut by paragraph with no speaker.
    """
    passages: list[PassageSpan] = []
    for speaker, start, end in turn_spans(text, speakers, label_lines):
        if speaker is not None and mode is Segmentation.TURN:
            pieces: Iterable[tuple[int, int]] = [_strip_span(text, start, end)]
        else:
            pieces = _paragraphs(text, start, end)
        for piece_start, piece_end in pieces:
            if piece_start >= piece_end:
                continue
            passages.append(
                PassageSpan(
                    len(passages) + 1, speaker, piece_start, piece_end, text[piece_start:piece_end]
                )
            )
    return passages
