"""Redact personal details before text leaves the machine, keeping a way back to the original.

Emails, phone numbers, URLs and listed names become placeholders. The offset map lets an
evidence quote found in the redacted text point at the same place in the stored original.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
URL = re.compile(r"\b(?:https?://|www\.)\S+?(?=[.,;:!?)\]]*(?:\s|$))", re.IGNORECASE)
PHONE = re.compile(r"(?<!\w)\+?\d[\d\s().-]{6,}\d(?!\w)")


@dataclass(frozen=True)
class Redacted:
    text: str
    # (redacted start, redacted end, original start, original end) for each replacement
    replacements: tuple[tuple[int, int, int, int], ...]

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of the redacted text back to the original text."""
        return self._map(start, True), self._map(end, False)

    def _map(self, position: int, is_start: bool) -> int:
        shift = 0
        for r_start, r_end, o_start, o_end in self.replacements:
            if position < r_start or (position == r_start and not is_start):
                break
            if position < r_end or (position == r_end and not is_start and position > r_start):
                return o_start if is_start else o_end
            shift = o_end - r_end
        return position + shift


def redact(text: str, names: Iterable[str] = ()) -> Redacted:
    patterns: list[tuple[re.Pattern[str], str]] = [
        (EMAIL, "[EMAIL]"),
        (URL, "[URL]"),
        (PHONE, "[PHONE]"),
    ]
    listed = [name.strip() for name in names if name.strip()]
    if listed:
        alternatives = "|".join(re.escape(name) for name in sorted(listed, key=len, reverse=True))
        patterns.append((re.compile(rf"\b(?:{alternatives})\b", re.IGNORECASE), "[NAME]"))
    spans: list[tuple[int, int, str]] = []
    for pattern, placeholder in patterns:
        for match in pattern.finditer(text):
            if not any(s < match.end() and match.start() < e for s, e, _ in spans):
                spans.append((match.start(), match.end(), placeholder))
    spans.sort()
    out, replacements, cursor = [], [], 0
    position = 0
    for start, end, placeholder in spans:
        out.append(text[cursor:start])
        position += start - cursor
        replacements.append((position, position + len(placeholder), start, end))
        out.append(placeholder)
        position += len(placeholder)
        cursor = end
    out.append(text[cursor:])
    return Redacted("".join(out), tuple(replacements))
