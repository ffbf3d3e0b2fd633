"""Ids for an ``IN (...)`` query, a bounded number at a time.

SQLite refuses a statement with more bound parameters than its limit (32,766 in current
builds, 999 in older ones) and PostgreSQL slows down on huge lists, so every store query over
an open-ended list of ids goes through here rather than writing its own slicing loop.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

CHUNK = 500  # ids per IN (...) query: well under every database's parameter limit

T = TypeVar("T")


def in_chunks(ids: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    """``ids`` as consecutive lists of at most ``size``; nothing at all for no ids."""
    if size < 1:
        raise ValueError("a chunk holds at least one id")
    items = list(ids)
    for start in range(0, len(items), size):
        yield items[start : start + size]
