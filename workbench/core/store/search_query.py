"""The query language of a search: the words a coder types, read once and turned into what
each index takes (an FTS5 expression for SQLite, a ``tsquery`` for PostgreSQL).

Both are built from one reading of the query (``_query_parts``) and one folding of words
(``_fold``, as SQLite's unicode61 tokenizer folds them), so that a query means the same on
either backend and the snippet marks what the index matched.
"""

from __future__ import annotations

import re
import unicodedata

_OPERATORS = {"AND", "OR", "NOT"}
_WORD = re.compile(r"\w+")
_INDEX_WORD = re.compile(r"[^\W_]+")  # unicode61: letters and digits, not "_"


def _query_parts(query: str) -> list[tuple[str, bool, bool]]:
    """The query as (text, is an operator, is a ``word*`` prefix), operators only between terms.

    Every word and "quoted phrase" is a term (so ``don't``, ``C++`` or ``-`` are text, not
    syntax); AND, OR and NOT in capitals stay operators between two terms.
    """
    parts: list[tuple[str, bool, bool]] = []
    for phrase, word in re.findall(r'"([^"]*)"?|(\S+)', query):
        if phrase.strip():
            parts.append((phrase.strip(), False, False))
        elif word in _OPERATORS:
            parts.append((word, True, False))
        elif word:
            prefix = word.endswith("*") and len(word) > 1
            body = word.rstrip("*") if prefix else word
            if body.replace('"', ""):
                parts.append((body, False, prefix))
    terms = _between_terms(parts)
    if not terms and parts:
        # Only operators (``NOT``, ``OR AND``): dropping them left no query, which found every
        # passage. Typed alone they are the words themselves, as anything else is searched.
        return [(body, False, False) for body, _operator, _prefix in parts]
    return terms


def _between_terms(parts: list[tuple[str, bool, bool]]) -> list[tuple[str, bool, bool]]:
    """``parts`` without operators at either end or two in a row (of those, the first stays)."""
    while parts and parts[0][1]:
        parts = parts[1:]
    while parts and parts[-1][1]:
        parts = parts[:-1]
    cleaned: list[tuple[str, bool, bool]] = []
    for part in parts:
        if part[1] and cleaned and cleaned[-1][1]:
            continue
        cleaned.append(part)
    return cleaned


def fts_expression(query: str) -> str:
    """The coder's words as an FTS5 expression that cannot be a syntax error.

    Each term is quoted; ``word*`` keeps its prefix star. Words are ANDed, as in a web search box.
    """
    rendered = []
    for body, operator, prefix in _query_parts(query):
        quoted = '"' + body.replace('"', '""') + '"'
        rendered.append(body if operator else quoted + ("*" if prefix else ""))
    return " ".join(rendered)


def index_words(passage: str) -> list[str]:
    """The passage's words as SQLite's unicode61 tokenizer (diacritics removed) indexes them:
    runs of letters and digits, folded. The PostgreSQL index is built from these, so that
    both backends split and fold text alike."""
    return _INDEX_WORD.findall(_fold(passage))


def ts_expression(query: str) -> str:
    """The coder's words as a PostgreSQL ``tsquery`` with FTS5's meaning ('' when no term has
    a word, which then matches nothing).

    A term is its words in a row (``<->``), the last one a prefix (``:*``) for ``word*``;
    terms are ANDed; ``a NOT b`` is ``a & !b``. NOT binds tighter than AND, and AND than OR, in
    both languages. A term without words (``-``) is left out, as FTS5 ignores it.
    """
    parts: list[tuple[str, bool, bool]] = []
    for body, operator, prefix in _query_parts(query):
        if operator:
            parts.append((body, True, False))
            continue
        words = index_words(body)
        if words:
            lexemes = [f"'{word}'" for word in words]
            lexemes[-1] += ":*" if prefix else ""
            parts.append((" <-> ".join(lexemes), False, False))
    rendered: list[str] = []
    for body, operator, _ in _between_terms(parts):
        if operator:
            rendered.append({"AND": "&", "OR": "|", "NOT": "& !"}[body])
        else:
            if rendered and rendered[-1] not in ("&", "|", "& !"):
                rendered.append("&")
            rendered.append(f"({body})")
    return " ".join(rendered)


class _MarksTable(dict[int, int | None]):
    """``str.translate``'s table for dropping combining marks, learnt one character at a time.

    Asking ``unicodedata.combining`` per character in Python was most of a PostgreSQL import's
    own CPU (every passage is folded for the index); the table asks once per distinct
    character and lets ``translate`` do the rest in C, with the same result.
    """

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.combining(chr(code)) else code
        self[code] = kept
        return kept


_DROP_MARKS = _MarksTable()


def _fold(word: str) -> str:
    """A word as the index's tokenizer (unicode61, diacritics removed) compares it."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    if decomposed.isascii():  # no combining marks to drop
        return decomposed
    return decomposed.translate(_DROP_MARKS)


def query_terms(query: str) -> list[tuple[str, bool]]:
    """The query's words, folded, each with whether it is a prefix (``word*``); operators out."""
    terms = []
    for phrase, word in re.findall(r'"([^"]*)"?|(\S+)', query):
        if word in _OPERATORS:
            continue
        prefix = bool(word) and word.endswith("*")
        for token in _WORD.findall(phrase or word):
            terms.append((_fold(token), prefix))
    return terms
