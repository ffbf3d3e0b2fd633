"""Where a keyboard selection's edges go, one word at a time (no Qt: plain string offsets).

A coder selects words in a passage from the keyboard by moving the selection's end (Shift+→/←)
and its start (Ctrl+Shift+→/←) word by word. Words are runs of letters and digits, as a
double-click takes them, so the keys and the mouse select the same words.
"""

from __future__ import annotations


def first_word(text: str) -> tuple[int, int] | None:
    """(start, end) of the passage's first word, or None when it has none."""
    start = 0
    while start < len(text) and not text[start].isalnum():
        start += 1
    if start == len(text):
        return None
    end = start
    while end < len(text) and text[end].isalnum():
        end += 1
    return start, end


def step(text: str, start: int, end: int, edge: str, forward: bool) -> tuple[int, int]:
    """The selection ``start``..``end`` with ``edge`` ("start" or "end") moved one word.

    The selection always keeps at least one word: a step that would empty it, or that finds no
    word to move to, leaves it as it was.
    """
    if edge == "end":
        moved = _next_word_end(text, end) if forward else _previous_word_end(text, end)
        return (start, moved) if moved > start else (start, end)
    moved = _next_word_start(text, start) if forward else _previous_word_start(text, start)
    return (moved, end) if moved < end else (start, end)


def _next_word_end(text: str, pos: int) -> int:
    at = pos
    while at < len(text) and not text[at].isalnum():
        at += 1
    if at == len(text):
        return pos  # no word after it: the end stays
    while at < len(text) and text[at].isalnum():
        at += 1
    return at


def _previous_word_end(text: str, pos: int) -> int:
    at = pos
    while at > 0 and text[at - 1].isalnum():
        at -= 1
    while at > 0 and not text[at - 1].isalnum():
        at -= 1
    return at if at > 0 else pos


def _next_word_start(text: str, pos: int) -> int:
    at = pos
    while at < len(text) and text[at].isalnum():
        at += 1
    while at < len(text) and not text[at].isalnum():
        at += 1
    return at if at < len(text) else pos


def _previous_word_start(text: str, pos: int) -> int:
    at = pos
    while at > 0 and not text[at - 1].isalnum():
        at -= 1
    if at == 0:
        return pos
    while at > 0 and text[at - 1].isalnum():
        at -= 1
    return at
