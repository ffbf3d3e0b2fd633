"""Recognise the text transcripts that video-call and transcription services export.

Zoom and Otter write each turn under a header line of the speaker's name and the time
(``Kim Lee  00:01:02`` or ``Speaker 1  0:02``), with the turn on the lines below. The ordinary
``Name:`` rule cannot see those turns, so such a file is rewritten as timed turns. The other
Zoom layout (``00:01:02 Name: text``) is already a ``Name:`` line and needs nothing here.
Detection looks at the head of the file only, so other text files are read as fast as before.
"""

from __future__ import annotations

import re

from workbench.core.speakers import TURN_PATTERN
from workbench.core.turns import Turn, clean_name

_HEADER = re.compile(
    r"^[ \t]*(?P<name>\S[^\n]{0,59}?)(?:[ \t]{2,}|\t)\[?(?P<time>\d{1,2}:\d{2}(?::\d{2})?)\]?[ \t]*$",
    re.MULTILINE,
)
_HEAD_CHARS = 4000  # the second header is this close to the first
_HEAD_LINES = 5  # non-empty lines before the first header, at most (a title, a date)


_ENDS_IN_TIME = re.compile(r":\d\d\]?[ \t]*$", re.MULTILINE)
_HEAD_WINDOW = 2400  # the first few lines of a transcript lie in this many characters


def _first_header(text: str) -> int | None:
    """Where the first header line starts, if one is among the first few lines. The look is
    one search in C for a line ending in a time, so plain text files read as fast as before."""
    for candidate in _ENDS_IN_TIME.finditer(text, 0, _HEAD_WINDOW):
        start = text.rfind("\n", 0, candidate.start()) + 1
        before = sum(1 for line in text[:start].split("\n") if line.strip())
        if before > _HEAD_LINES:
            return None
        if _HEADER.match(text, start, candidate.end()):
            return start
    return None


# Teams ("Download as .docx", Stream) and some caption tools write a block per turn: its time
# (or a cue's time range) on one line, the speaker's name on the next, then the turn. Trint and
# others put the name on the time's line ("[00:00:02] Speaker 1"), the turn below.
_STAMP_LINE = re.compile(
    r"^[ \t]*\[?(?P<time>\d{1,2}:\d{1,2}(?::\d{1,2})?)(?:[.,]\d+)?\]?"
    r"(?:[ \t]*-->[ \t]*\[?\d{1,2}:\d{1,2}(?::\d{1,2})?(?:[.,]\d+)?\]?)?"
    r"(?:[ \t]+(?P<name>[^\W\d_][^\n]{0,59}?))?[ \t]*$",
    re.MULTILINE,
)
_NAME_LINE = re.compile(r"^[ \t]*(?P<name>[^\W\d_][^\n]{0,59}?)[ \t]*$")
_BLOCK_BREAK = re.compile(r"\n[ \t]*\n")
_MAX_NAME_WORDS = 5


def _clock(time: str) -> str:
    """``0:0:5`` as Teams writes it, as ``00:00:05``; ``1:15`` as ``01:15``."""
    return ":".join(part.zfill(2) for part in time.split(":"))


def _timed_block(block: str) -> tuple[str, str, str] | None:
    """``(time, name, turn)`` of a block that is a time line, a name line and the turn, or a
    line of the time and the name, then the turn."""
    lines = block.strip("\n").split("\n", 2)
    if len(lines) < 2:
        return None
    stamp = _STAMP_LINE.match(lines[0])
    if stamp is None:
        return None
    name: re.Match[str] | None
    if stamp["name"]:
        name_line, body = lines[0], "\n".join(lines[1:])
        name = stamp
    else:
        name_line, body = lines[1], lines[2] if len(lines) > 2 else ""
        name = _NAME_LINE.match(name_line)
    if (
        name is None
        or len(name["name"].split()) > _MAX_NAME_WORDS
        or name["name"][-1] in ".?!"
        or TURN_PATTERN.match(name_line)  # "Interviewer: Hi" is a Name: turn
    ):
        return None
    return _clock(stamp["time"]), name["name"], body


def timed_block_turns(text: str) -> tuple[list[Turn], list[str]] | None:
    """The turns of a time-line, name-line, turn transcript and what was skipped; None for any
    other text. Every block after a short preface (a title, a date) must have that shape, and
    the check starts with the head of the text only, so other files are read as fast."""
    first = _STAMP_LINE.search(text, 0, _HEAD_WINDOW)
    if first is None:
        return None
    start = text.rfind("\n", 0, first.start()) + 1
    if sum(1 for line in text[:start].split("\n") if line.strip()) > _HEAD_LINES:
        return None
    found = []
    for block in _BLOCK_BREAK.split(text[start:]):
        if block.strip():
            turn = _timed_block(block)
            if turn is None:
                return None
            found.append(turn)
    if len(found) < 2:
        return None
    turns: list[Turn] = []
    preface = text[:start].strip()
    if preface:
        turns.append(Turn(preface))
    empty = 0
    for time, name, body in found:
        if not body.strip():
            empty += 1
            continue
        turns.append(Turn(body, clean_name(name), time))
    return turns, [f"{empty} empty turn{'s' if empty != 1 else ''}"] if empty else []


def call_turns(text: str) -> tuple[list[Turn], list[str]] | None:
    """The turns of a header-line or timed-block transcript and what was skipped; None for
    any other text."""
    first = _first_header(text)
    if first is None:
        return timed_block_turns(text)
    found = list(_HEADER.finditer(text, first, first + _HEAD_CHARS))
    if len(found) < 2:
        return None
    if _HEADER.match(text, found[0].end() + 1) and _HEADER.match(text, found[1].end() + 1):
        return None  # a list of "name time" lines with nothing under them is not a transcript
    headers = list(_HEADER.finditer(text))
    turns: list[Turn] = []
    preface = text[: headers[0].start()].strip()
    if preface:
        turns.append(Turn(preface))
    empty = 0
    for header, following in zip(headers, headers[1:] + [None]):
        end = following.start() if following is not None else len(text)
        body = text[header.end() : end].strip()
        if not body:
            empty += 1
            continue
        turns.append(Turn(body, clean_name(header["name"]), header["time"]))
    skipped = [f"{empty} empty turn{'s' if empty != 1 else ''}"] if empty else []
    return turns, skipped
