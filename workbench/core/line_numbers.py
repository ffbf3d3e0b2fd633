"""Line numbers of a line-numbered transcript, on the lines that continue a turn.

Conversation-analysis and many German transcripts number every line. The turn rule reads past
the number before a label (``TURN_PATTERN``'s ``\\d{1,5}[ \\t]+``), but the lines that continue
a turn kept theirs, so "3       davor in Köln." was coded with its "3". The same rule takes the
numbers off those lines, and only in a transcript numbered throughout: every speaker's label
line opens with a number, the numbers rise, and a continuation line's number falls between the
label lines around it ("5   10 Jahre" loses the 5, never the 10).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from workbench.core.speakers import LabelMatch

# The numbering as TURN_PATTERN reads it before a label, with the direction marks it allows.
# A number alone on its line is a numbered line left blank.
_NUMBER = re.compile(r"[ \t\u200e\u200f]*(\d{1,5})(?:[ \t]+(?=\S)|[ \t]*$)")


def strip_continuation_numbers(
    text: str, speakers: Iterable[str], label_lines: tuple[LabelMatch, ...]
) -> str | None:
    """``text`` without the line numbers of its continuation lines, or None when the text is
    not numbered throughout (or has no such line): its text is then left as it is."""
    wanted = set(speakers)
    starts = {match.line_start for match in label_lines if match.label in wanted}
    numbers: dict[int, int] = {}
    for start in starts:
        found = _NUMBER.match(text, start)
        if found is None:
            return None
        numbers[start] = int(found[1])
    ordered = [numbers[start] for start in sorted(numbers)]
    if len(ordered) < 2 or any(a >= b for a, b in zip(ordered, ordered[1:])):
        return None
    label_numbers = iter([*ordered[1:], None])
    upcoming: int | None = ordered[0]
    last, offset, changed = 0, 0, False
    kept: list[str] = []
    for line in text.split("\n"):
        here, offset = offset, offset + len(line) + 1
        if here in numbers:
            last, upcoming = numbers[here], next(label_numbers)
        elif (found := _NUMBER.match(line)) is not None:
            number = int(found[1])
            if last < number and (upcoming is None or number < upcoming):
                last, line, changed = number, line[found.end() :], True
        kept.append(line)
    return "\n".join(kept) if changed else None
