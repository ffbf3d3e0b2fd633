"""Full-text search and retrieval of passages: the words a coder types, the filters they pick.

One query serves both uses. With words, the passage index finds the passages (SQLite FTS5,
``schema.SEARCH_INDEX``; on PostgreSQL a ``tsvector`` per passage with a GIN index,
``schema.SERVER_SEARCH_INDEX``, queried with the same words turned into a ``tsquery``) and
``make_snippet`` marks the match, in Python for both so that both read the same; without words
it is retrieval, "every passage coded X", in document order. Each filter is an EXISTS over the coding tables, so a
filter narrows the index's matches without reading them into Python.

Results come in document order (transcript, then position), not by relevance: the index hands
rows out in that order, so ``LIMIT`` stops early instead of ranking every match of a common word,
and a coder reading retrieved passages reads them as the interviews ran.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict

from sqlalchemy import Connection, select, text
from sqlalchemy.exc import OperationalError

from workbench.core.store import schema, search_types
from workbench.core.store.queries import passage_key
from workbench.core.store.search_disagreement import disagreeing_passages
from workbench.core.store.search_filters import _check_names, _filter_sql
from workbench.core.store.search_query import fts_expression, query_terms, ts_expression
from workbench.core.store.search_snippet import make_snippet
from workbench.core.store.search_types import (
    Review,
    Role,
    SearchError,
    SearchFilters,
    SearchHit,
    SearchResult,
)

# What ``search_passages`` takes and gives back, importable with it (many callers use them).
__all__ = [
    "DEFAULT_LIMIT",
    "Review",
    "Role",
    "SearchError",
    "SearchFilters",
    "SearchHit",
    "SearchResult",
    "search_passages",
]

DEFAULT_LIMIT = 200


def search_passages(
    conn: Connection, query: str, filters: SearchFilters | None = None, limit: int = DEFAULT_LIMIT
) -> SearchResult:
    """Passages whose text matches ``query`` (all of them if it is empty) and every filter."""
    filters = filters or SearchFilters()
    if limit < 1:
        raise SearchError(f"--limit: {limit} is not a positive number of passages")
    _check_names(conn, filters)
    where, params, needs_passage = _filter_sql(filters, conn.dialect.name)
    if filters.disagreement:
        disagreeing = disagreeing_passages(conn, filters.code, filters.passage_ids)
        if not disagreeing:
            return SearchResult(hits=[], total=0, query=query, filters=filters)
        params["disagreeing"] = (
            json.dumps(disagreeing) if conn.dialect.name == "sqlite" else disagreeing
        )
    server = conn.dialect.name == "postgresql"
    expression = fts_expression(query)
    if server and expression:
        params["expression"] = ts_expression(query)
        index, pid = schema.SERVER_SEARCH_INDEX, "f.passage_id"
        match = "f.document @@ to_tsquery('simple', :expression)"
        if not params["expression"]:  # only terms without words: FTS5 matches nothing either
            match = "1 = 0"
        matches = f"FROM {index} f WHERE {match}"
        joined = f"FROM {index} f JOIN passages p ON p.id = f.passage_id"
        counted = f"{joined} WHERE {match}" if needs_passage else matches
        source = f"{joined} JOIN transcripts t ON t.id = p.transcript_id WHERE {match}"
        order = pid
    elif expression:
        index = schema.SEARCH_INDEX
        params["expression"] = expression
        # "+": the filters check each match; without it SQLite hands an IN list to the index
        # as rowids to look up, one full-text query per listed passage.
        pid, order = "+f.rowid", "f.rowid"
        matches = f"FROM {index} f WHERE {index} MATCH :expression"
        counted = (
            f"FROM {index} f JOIN passages p ON p.id = f.rowid WHERE {index} MATCH :expression"
            if needs_passage
            else matches
        )
        source = (
            f"FROM {index} f JOIN passages p ON p.id = f.rowid "
            "JOIN transcripts t ON t.id = p.transcript_id "
            f"WHERE {index} MATCH :expression"
        )
    else:
        pid = order = "p.id"
        counted = "FROM passages p WHERE 1 = 1"
        source = "FROM passages p JOIN transcripts t ON t.id = p.transcript_id WHERE 1 = 1"
    conditions = "".join(f" AND {clause.replace('{pid}', pid)}" for clause in where)
    # No text here: cutting each passage out of its transcript in SQL reads the whole
    # transcript once per passage (a 600 kB one, 200 times); ``_passage_texts`` reads it once.
    body = (
        'SELECT p.id, t.id, t.external_id, p.position, p.speaker, p.start, p."end" '
        f"{source}{conditions} ORDER BY {order} LIMIT :limit"
    )
    try:
        rows = conn.execute(text(body), params | {"limit": limit}).all()
        if len(rows) < limit:
            total = len(rows)
        else:  # counted up to COUNT_LIMIT: a common word's every match would cost seconds
            total = conn.execute(
                text(f"SELECT count(*) FROM (SELECT 1 {counted}{conditions} LIMIT :cap) AS c"),
                params | {"cap": search_types.COUNT_LIMIT},  # the module's: tests lower it
            ).scalar_one()
    except OperationalError as exc:
        if isinstance(exc.orig, sqlite3.OperationalError) and "fts5" in str(exc.orig):
            raise SearchError(f"query '{query}': {exc.orig}") from exc
        raise
    texts = _passage_texts(conn, [(row[1], row[5], row[6]) for row in rows])
    terms = query_terms(query)
    hits = []
    for pid, transcript_id, external_id, position, speaker, start, end in rows:
        body_text = texts[(transcript_id, start, end)]
        hits.append(
            SearchHit(
                passage_id=pid,
                key=passage_key(external_id, position),
                transcript=external_id,
                position=position,
                speaker=speaker,
                snippet=make_snippet(body_text, terms),
                text=body_text,
                start=start,
            )
        )
    _attach_codes(conn, hits)
    return SearchResult(hits=hits, total=total, query=query, filters=filters)


def _passage_texts(
    conn: Connection, spans: list[tuple[int, int, int]]
) -> dict[tuple[int, int, int], str]:
    """The text of each (transcript, start, end), reading each transcript's stretch once."""
    by_transcript: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for transcript_id, start, end in spans:
        by_transcript[transcript_id].append((start, end))
    stretches: dict[int, tuple[int, str]] = {}
    wanted = [
        (transcript_id, min(a for a, _ in pairs), max(b for _, b in pairs))
        for transcript_id, pairs in by_transcript.items()
    ]
    for start in range(0, len(wanted), 300):  # 3 values each, under SQLite's 999
        chunk = wanted[start : start + 300]
        values = ", ".join(f"(:i{n}, :l{n}, :h{n})" for n in range(len(chunk)))
        bound = {
            f"{name}{n}": value for n, row in enumerate(chunk) for name, value in zip("ilh", row)
        }
        rows = conn.execute(
            text(
                f"WITH want(id, low, high) AS (VALUES {values}) "
                "SELECT want.id, want.low, substr(t.text, want.low + 1, want.high - want.low) "
                "FROM want JOIN transcripts t ON t.id = want.id"
            ),
            bound,
        )
        stretches.update({tid: (low, stretch) for tid, low, stretch in rows})
    texts: dict[tuple[int, int, int], str] = {}
    for transcript_id, pairs in by_transcript.items():
        low, stretch = stretches[transcript_id]
        for start, end in pairs:
            texts[(transcript_id, start, end)] = stretch[start - low : end - low]
    return texts


def _attach_codes(conn: Connection, hits: list[SearchHit]) -> None:
    """Every coder's codes on each hit (humans and the consensus), sorted for a stable read."""
    if not hits:
        return
    k, c = schema.codings, schema.coders
    found: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    ids = [hit.passage_id for hit in hits]
    for start in range(0, len(ids), 500):
        rows = conn.execute(
            select(k.c.passage_id, c.c.name, k.c.code_id)
            .join(c, c.c.id == k.c.coder_id)
            .where(k.c.passage_id.in_(ids[start : start + 500]))
            .order_by(c.c.name, k.c.code_id)
        )
        for passage_id, coder, code in rows:
            found[passage_id][coder].append(code)
    for hit in hits:
        hit.codes = {coder: codes for coder, codes in found.get(hit.passage_id, {}).items()}
    spans: dict[int, dict[str, list[tuple[str, int, int]]]] = defaultdict(lambda: defaultdict(list))
    s = schema.coded_spans
    for start in range(0, len(ids), 500):
        span_rows = conn.execute(
            select(s.c.passage_id, c.c.name, s.c.code_id, s.c.start, s.c.end)
            .join(c, c.c.id == s.c.coder_id)
            .where(s.c.passage_id.in_(ids[start : start + 500]))
            .order_by(c.c.name, s.c.start, s.c.end, s.c.code_id)
        )
        for passage_id, coder, code, low, high in span_rows:
            spans[passage_id][coder].append((code, int(low), int(high)))
    for hit in hits:
        hit.selections = {coder: found for coder, found in spans.get(hit.passage_id, {}).items()}
