"""How a source's selection positions are counted, from the evidence in the file itself.

The standard counts Unicode code points of the text file, CRLF line endings included (REFI-QDA
1.5, section 10.2). Tools differ: ATLAS.ti counts a CRLF as one character, and a tool built on
UTF-16 strings counts a character beyond U+FFFF (an emoji) as two. Nothing in the file says
which; but most tools name each selection by the text it starts with (the standard's own
examples: ``name="granola"`` at 62-69), so the convention under which the most names read
their own text is the one the tool used. Without such names the tool's ``origin`` decides
(ATLAS.ti: CRLF as one), and otherwise the standard.
"""

from __future__ import annotations

import re

from workbench.interop.refi_offsets import OffsetMap
from workbench.interop.refi_read import RefiSelection

BEYOND_BMP = re.compile("[\U00010000-\U0010ffff]")
ELLIPSES = ("…", "...")
MIN_NAME = 4  # shorter names ("A", "Q1") say nothing


def source_offsets(
    raw: str, selections: list[RefiSelection], crlf_counted: bool = True
) -> OffsetMap:
    """The offset map for ``raw`` under the convention its selections' names bear out;
    ``crlf_counted`` is the default (from the tool's origin) kept on a tie."""
    default = OffsetMap(raw, crlf_counted)
    named = [s for s in selections if len(_quote(s.name)) >= MIN_NAME]
    if not named:
        return default
    crlf = [crlf_counted, not crlf_counted] if "\r\n" in raw else [crlf_counted]
    wide = [False, True] if BEYOND_BMP.search(raw) else [False]
    if len(crlf) == len(wide) == 1:
        return default
    best, best_score = default, _score(default, named)
    for counted in crlf:
        for utf16 in wide:
            if (counted, utf16) == (crlf_counted, False):
                continue
            candidate = OffsetMap(raw, counted, utf16)
            score = _score(candidate, named)
            if score > best_score:
                best, best_score = candidate, score
    return best


def names_its_text(offsets: OffsetMap, selection: RefiSelection) -> bool:
    """Whether the selection's name is the text at its positions: the only check there is on
    positions counted in a text the file does not hold (a rich-text source)."""
    return len(_quote(selection.name)) >= MIN_NAME and _score(offsets, [selection]) == 1


def _quote(name: str) -> str:
    """The name as the text it quotes, without a trailing ellipsis, spaces collapsed."""
    name = " ".join(name.split())
    for ellipsis in ELLIPSES:
        name = name.removesuffix(ellipsis)
    return name.strip()


def _score(offsets: OffsetMap, selections: list[RefiSelection]) -> int:
    """How many selections' names are the text at their positions under ``offsets``."""
    score = 0
    for selection in selections:
        if not 0 <= selection.start < selection.end <= offsets.length:
            continue
        start, end = offsets.code_point(selection.start), offsets.code_point(selection.end)
        text = " ".join(offsets.counted[start:end].split())
        if text.startswith(_quote(selection.name)):
            score += 1
    return score
