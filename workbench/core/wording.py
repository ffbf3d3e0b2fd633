"""Counts in sentences people read and paste into papers: "1 coder", "2 coders", "1,250
transcripts". One rule, so no message says "1 coders"."""

from __future__ import annotations


def plural(count: int, word: str) -> str:
    """``count`` with thousands separators and ``word``, plural unless the count is 1."""
    return f"{count:,} {word}{'' if count == 1 else 's'}"
