"""Write turns read from a structured file (captions, tables, call exports) as transcript text.

Formats that name each turn's speaker outright (a WebVTT voice tag, a table's speaker column, a
call export's header line) are not re-guessed by the ``Name:`` rule: the text is written as
``[00:01:02] Name: turn`` lines, and the label lines are built here from the known speakers, so
a name the rule would misread ("Lee, Kim", "Dr. Kim: PI") still cuts the turn exactly.
The timestamp stays in the stored text, before the passage's start, so offsets stay honest and
no schema change is needed; ``passage_time`` reads it back for the app.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from workbench.core.speakers import (
    STAMP_GROUPS,
    TURN_PATTERN,
    LabelMatch,
    detect_speakers,
    find_label_lines,
)


@dataclass(frozen=True)
class Turn:
    """One block of a transcript: a speaker's turn, or (speaker None) a free paragraph that the
    ordinary ``Name:`` rule reads."""

    text: str
    speaker: str | None = None
    time: str | None = None  # "00:01:02", shown on the passage


@dataclass(frozen=True)
class Composed:
    text: str
    speakers: tuple[str, ...]
    label_lines: tuple[LabelMatch, ...]


def clean_name(name: str) -> str:
    """A speaker name on one line, its spacing collapsed: it is stored as the label."""
    return " ".join(name.split())


def compose(turns: Iterable[Turn]) -> Composed:
    """The transcript text of ``turns`` (a blank line between them), its speakers and labels."""
    parts: list[str] = []
    given: list[LabelMatch] = []
    free: list[tuple[int, int]] = []  # spans of free paragraphs, where the rule may find labels
    offset = 0
    for turn in turns:
        head = f"[{turn.time}] " if turn.time else ""
        if turn.speaker:
            head += f"{turn.speaker}: "
        piece = head + turn.text.strip()
        if turn.speaker:
            given.append(LabelMatch(turn.speaker, offset, offset + len(head)))
        else:
            free.append((offset, offset + len(piece)))
        parts.append(piece)
        offset += len(piece) + 2
    text = "\n\n".join(parts) + "\n"
    found = (
        [
            match
            for match in find_label_lines(text)
            if any(start <= match.line_start < end for start, end in free)
        ]
        if free
        else []
    )
    lines = tuple(sorted(given + found, key=lambda match: match.line_start))
    known = {match.label for match in given}
    speakers = detect_speakers(text, known=known, matches=lines) | known
    return Composed(text, tuple(sorted(speakers)), lines)


_TIME = re.compile(r"[ \t]*[\[(]?(\d{1,2}:\d{2}(?::\d{2})?)(?:[.,]\d+)?[\])]?[ \t]")


def passage_time(text: str, start: int) -> str | None:
    """The timestamp written at the head of the line a passage starts on (``[00:01:02] Name:``
    or ``00:01:02 Name:``), or at the head of the passage itself; None when there is none."""
    line_start = text.rfind("\n", 0, start) + 1
    match = _TIME.match(text, line_start, min(len(text), max(start, line_start + 16) + 1))
    if match is None or (line_start == start and "[" not in match.group(0)):
        # "10:30 I went..." in a passage's own text is not a timestamp
        return _label_time(text, start)
    return match.group(1)


_LABEL_SPAN = 200  # a label with its times and the blank space after it fits in this


def _label_time(text: str, start: int) -> str | None:
    """The time a turn's label carries in its brackets, or on the line above the label: read by
    the turn pattern itself, at the label's line and at the line before it."""
    head = text[max(0, start - _LABEL_SPAN) : start]
    label_end = start - (len(head) - len(head.rstrip()))
    label_line = text.rfind("\n", 0, label_end) + 1
    lines = [label_line]
    if label_line:
        lines.append(text.rfind("\n", 0, label_line - 1) + 1)
    for line in lines:
        found = TURN_PATTERN.match(text, line, start)
        if found is not None and not text[found.end() : start].strip():
            stamp = next((found[group] for group in STAMP_GROUPS if found[group]), None)
            if stamp is not None:
                return stamp.split(".")[0].split(",")[0]
    return None
