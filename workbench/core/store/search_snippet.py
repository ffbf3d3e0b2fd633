"""Where a passage matches: the words of the query marked in a stretch of the passage, so a
coder judges a hit without opening it. The index has already decided that it matches; this
only shows where, folding words as the index does (``search_query._fold``).
"""

from __future__ import annotations

import re

from workbench.core.store.search_query import _WORD, _fold

MARK_START, MARK_END = "\x02", "\x03"  # around each match in a snippet; callers style them


def make_snippet(passage: str, terms: list[tuple[str, bool]], width: int = 200) -> str:
    """About ``width`` characters of the passage around its first match, the query's words
    marked.

    The index has already decided that the passage matches; this only shows where, so it
    marks every word that equals a query word (or starts with a ``word*``), as the index folds
    them. Without terms (retrieval) it is the passage's beginning.
    """
    spans = _match_spans(passage, terms) if terms else []
    begin, stop = 0, len(passage)
    if len(passage) > width:
        begin = max(0, (spans[0][0] if spans else 0) - width // 3)
        stop = min(len(passage), begin + width)
        if begin > 0:  # start and end on a word boundary
            space = passage.find(" ", begin, begin + 20)
            begin = space + 1 if space >= 0 else begin
        if stop < len(passage):
            space = passage.rfind(" ", stop - 20, stop)
            stop = space if space > begin else stop
    pieces, at = [], begin
    for start, end in spans:
        if begin <= start and end <= stop:
            pieces += [passage[at:start], MARK_START, passage[start:end], MARK_END]
            at = end
    pieces.append(passage[at:stop])
    return ("…" if begin > 0 else "") + "".join(pieces) + ("…" if stop < len(passage) else "")


def _match_spans(passage: str, terms: list[tuple[str, bool]]) -> list[tuple[int, int]]:
    """Where the query's words are in the passage: a regular expression for plain ASCII text,
    word by word with the index's folding of accents otherwise."""
    if passage.isascii() and all(term.isascii() for term, _ in terms):
        pattern = "|".join(re.escape(term) + (r"\w*" if prefix else "") for term, prefix in terms)
        found = re.finditer(rf"\b(?:{pattern})\b", passage, re.IGNORECASE)
        return [match.span() for match in found]
    spans = []
    for token in _WORD.finditer(passage):
        folded = _fold(token.group())
        if any(folded.startswith(t) if prefix else folded == t for t, prefix in terms):
            spans.append(token.span())
    return spans
