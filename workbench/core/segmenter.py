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


class Cut(NamedTuple):
    """The passages of one transcript as parallel lists: speaker, start and end per passage.

    Lists of shared strings and small ints, not an object per passage: an import cuts millions
    of passages, and these cross between processes and into the database in bulk.
    """

    speakers: list[str | None]
    starts: list[int]
    ends: list[int]


# The time mark f4/f5transkript (and MAXQDA after it) writes at the end of each paragraph,
# "#00:01:23-4#": the time the paragraph ends, not words anyone said.
_F4_STAMP = re.compile(r"[ \t]*#\d{1,2}:\d{2}:\d{2}(?:[-.,]\d+)?#$")
_F4_TAIL = 24  # characters that hold the longest such mark and the space before it


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """``[start, end)`` without surrounding whitespace (str.strip's notion of it, in C), nor a
    closing f4 time mark."""
    body = text[start:end].rstrip()
    if body.endswith("#"):
        mark = _F4_STAMP.search(body, max(0, len(body) - _F4_TAIL))
        if mark is not None:
            body = body[: mark.start()].rstrip()
    return start + len(body) - len(body.lstrip()), start + len(body)


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
    marks = [m for m in label_lines if m[0] in wanted]
    if not marks:
        return [(None, 0, len(text))]
    ends = [mark.line_start for mark in marks[1:]]
    ends.append(len(text))
    spans: list[tuple[str | None, int, int]] = [(None, 0, marks[0].line_start)]
    spans += [(label, text_start, end) for (label, _, text_start), end in zip(marks, ends)]
    return spans if spans[0][2] > 0 else spans[1:]


def empty_turns(
    text: str, speakers: Iterable[str], label_lines: tuple[LabelMatch, ...] | None = None
) -> list[tuple[str, int]]:
    """``(speaker, line start)`` of each turn that gives no passage: a label with nothing
    after it, which ``cut`` leaves out and an import should name rather than drop unsaid."""
    empty: list[tuple[str, int]] = []
    for speaker, start, end in turn_spans(text, speakers, label_lines):
        if speaker is not None:
            piece_start, piece_end = _strip_span(text, start, end)
            if piece_start >= piece_end:
                empty.append((speaker, text.rfind("\n", 0, start) + 1))
    return empty


def cut(
    text: str,
    speakers: Iterable[str],
    mode: Segmentation = Segmentation.TURN,
    label_lines: tuple[LabelMatch, ...] | None = None,
) -> Cut:
    """Passages of ``text``: one per speaker turn, or one per paragraph within each turn.

    Text outside any turn (a title, notes before the interview, a transcript without speaker
    labels) is cut by paragraph with no speaker. Empty turns give no passage.
    """
    names: list[str | None] = []
    starts: list[int] = []
    ends: list[int] = []
    spans = turn_spans(text, speakers, label_lines)
    by_turn = mode is Segmentation.TURN
    for speaker, start, end in spans:
        if speaker is not None and by_turn:
            piece_start, piece_end = _strip_span(text, start, end)
            if piece_start < piece_end:
                names.append(speaker)
                starts.append(piece_start)
                ends.append(piece_end)
            continue
        for piece_start, piece_end in _paragraphs(text, start, end):
            names.append(speaker)
            starts.append(piece_start)
            ends.append(piece_end)
    return Cut(names, starts, ends)


def segment(
    text: str,
    speakers: Iterable[str],
    mode: Segmentation = Segmentation.TURN,
    label_lines: tuple[LabelMatch, ...] | None = None,
) -> list[PassageSpan]:
    """The passages of ``cut`` with their positions (from 1) and their text."""
    passages = cut(text, speakers, mode, label_lines)
    return [
        PassageSpan(position, speaker, start, end, text[start:end])
        for position, (speaker, start, end) in enumerate(zip(*passages), start=1)
    ]
