"""What an interchange export reads from a project, as named queries (no SQL outside the store).

A REFI-QDA project needs everything at once: coders, transcripts with their text, every
coder's current codes with the decision that set them, the engines' latest suggestions with
what coders did about them, and memos. Each is one query here, so the exporter stays free of
SQL and another exporter can reuse them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from workbench.core.store import schema
from workbench.core.store.memos import latest_memo_ids

_CHUNK = 200  # transcripts per query: their text is held in memory together


@dataclass(frozen=True)
class CoderRow:
    id: int
    name: str
    kind: str
    created_at: datetime


@dataclass(frozen=True)
class SourceRow:
    id: int
    external_id: str
    source_name: str
    text: str
    imported_at: datetime


@dataclass(frozen=True)
class CodingRow:
    """A code a coder holds on a passage now, with the decision that applied it."""

    passage_id: int
    coder_id: int
    code_id: str
    created_at: datetime
    suggestion_id: int | None


@dataclass(frozen=True)
class SuggestionRow:
    id: int
    passage_id: int
    code_id: str
    engine: str
    model: str
    prompt_version: str
    confidence: float
    rationale: str | None
    created_at: datetime


@dataclass(frozen=True)
class MemoRow:
    id: int
    passage_id: int | None
    transcript_id: int | None
    coder_id: int
    text: str
    created_at: datetime
    span_start: int | None = None  # a memo on a selection (transcript offsets)
    span_end: int | None = None


def project_created_at(conn: Connection) -> str:
    """When the project was created, as stored: the stable identity its export GUIDs derive from."""
    m = schema.meta
    value = conn.execute(select(m.c.value).where(m.c.key == "created_at")).scalar_one_or_none()
    return value or ""


def all_coders(conn: Connection) -> list[CoderRow]:
    c = schema.coders
    rows = conn.execute(select(c.c.id, c.c.name, c.c.kind, c.c.created_at).order_by(c.c.id))
    return [CoderRow(*row) for row in rows]


def transcript_sources(conn: Connection) -> Iterator[list[SourceRow]]:
    """Transcripts with their full text, a batch at a time in import order."""
    t = schema.transcripts
    ids = list(conn.execute(select(t.c.id).order_by(t.c.id)).scalars())
    for start in range(0, len(ids), _CHUNK):
        rows = conn.execute(
            select(t.c.id, t.c.external_id, t.c.source_name, t.c.text, t.c.imported_at)
            .where(t.c.id.in_(ids[start : start + _CHUNK]))
            .order_by(t.c.id)
        )
        yield [SourceRow(*row) for row in rows]


def current_codings(conn: Connection, passage_ids: list[int]) -> list[CodingRow]:
    """Every coder's current codes on these passages, with when and from which suggestion."""
    k, d = schema.codings, schema.decisions
    found: list[CodingRow] = []
    for start in range(0, len(passage_ids), 500):
        rows = conn.execute(
            select(k.c.passage_id, k.c.coder_id, k.c.code_id, d.c.created_at, d.c.suggestion_id)
            .join(d, d.c.id == k.c.decision_id)
            .where(k.c.passage_id.in_(passage_ids[start : start + 500]))
            .order_by(k.c.passage_id, k.c.coder_id, k.c.code_id)
        )
        found.extend(CodingRow(*row) for row in rows)
    return found


def latest_engine_suggestions(
    conn: Connection, passage_ids: list[int]
) -> dict[tuple[int, int], list[SuggestionRow]]:
    """``{(passage, engine coder): suggestions}``: each engine's coding is its latest run there,
    as agreement reads it (``raters``)."""
    runs, s = schema.suggestion_runs, schema.suggestions
    latest: dict[tuple[int, int], tuple] = {}
    wanted: dict[tuple, tuple[int, int]] = {}
    found: dict[tuple[int, int], list[SuggestionRow]] = defaultdict(list)
    for start in range(0, len(passage_ids), 500):
        batch = passage_ids[start : start + 500]
        query = select(
            runs.c.passage_id,
            runs.c.coder_id,
            runs.c.created_at,
            runs.c.codebook_version,
            runs.c.engine,
            runs.c.model,
            runs.c.prompt_version,
        ).where(runs.c.coder_id.is_not(None), runs.c.passage_id.in_(batch))
        for passage_id, coder_id, created, version, engine, model, prompt in conn.execute(query):
            run = (created, version, prompt, engine, model)
            if (passage_id, coder_id) not in latest or run > latest[(passage_id, coder_id)]:
                latest[(passage_id, coder_id)] = run
    for (passage_id, coder_id), (_at, version, prompt, engine, model) in latest.items():
        wanted[(passage_id, version, engine, model, prompt)] = (passage_id, coder_id)
    for start in range(0, len(passage_ids), 500):
        batch = passage_ids[start : start + 500]
        query = (
            select(
                s.c.id,
                s.c.passage_id,
                s.c.code_id,
                s.c.engine,
                s.c.model,
                s.c.prompt_version,
                s.c.confidence,
                s.c.rationale,
                s.c.created_at,
                s.c.codebook_version,
            )
            .where(s.c.passage_id.in_(batch))
            .order_by(s.c.id)
        )
        for row in conn.execute(query):
            key = wanted.get(
                (row.passage_id, row.codebook_version, row.engine, row.model, row.prompt_version)
            )
            if key is not None:
                found[key].append(SuggestionRow(*row[:9]))
    return dict(found)


def suggestions_by_id(conn: Connection, suggestion_ids: list[int]) -> dict[int, SuggestionRow]:
    s = schema.suggestions
    found: dict[int, SuggestionRow] = {}
    for start in range(0, len(suggestion_ids), 500):
        rows = conn.execute(
            select(
                s.c.id,
                s.c.passage_id,
                s.c.code_id,
                s.c.engine,
                s.c.model,
                s.c.prompt_version,
                s.c.confidence,
                s.c.rationale,
                s.c.created_at,
            ).where(s.c.id.in_(suggestion_ids[start : start + 500]))
        )
        found.update({row.id: SuggestionRow(*row) for row in rows})
    return found


def suggestion_responses(
    conn: Connection, suggestion_ids: list[int]
) -> dict[int, list[tuple[int, str]]]:
    """``{suggestion: [(coder, action)]}``: the decisions that answered each suggestion
    (``apply`` accepted it, ``reject`` turned it down), in order."""
    d = schema.decisions
    found: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for start in range(0, len(suggestion_ids), 500):
        rows = conn.execute(
            select(d.c.suggestion_id, d.c.coder_id, d.c.action)
            .where(d.c.suggestion_id.in_(suggestion_ids[start : start + 500]))
            .order_by(d.c.id)
        )
        for suggestion_id, coder_id, action in rows:
            found[suggestion_id].append((coder_id, action))
    return dict(found)


def all_memos(conn: Connection) -> list[MemoRow]:
    """Each memo's current text (memos keep their history as earlier rows; cleared ones go)."""
    m = schema.memos
    current = latest_memo_ids(conn)
    rows = conn.execute(
        select(
            m.c.id,
            m.c.passage_id,
            m.c.transcript_id,
            m.c.coder_id,
            m.c.text,
            m.c.created_at,
            m.c.span_start,
            m.c.span_end,
        ).order_by(m.c.id)
    )
    return [MemoRow(*row) for row in rows if row[0] in current and row[4].strip()]


def transcripts_by_id_and_hash(
    conn: Connection, external_ids: list[str], hashes: list[str]
) -> tuple[dict[str, str], dict[str, str]]:
    """``({external id: content hash}, {content hash: external id})`` of the transcripts the
    project already holds under these ids or with these texts: an import decides from them
    where each incoming transcript's passages are (new, already there, or the same text under
    another id) before anything is written."""
    t = schema.transcripts
    by_id: dict[str, str] = {}
    by_hash: dict[str, str] = {}
    for start in range(0, len(external_ids), 500):
        rows = conn.execute(
            select(t.c.external_id, t.c.content_hash).where(
                t.c.external_id.in_(external_ids[start : start + 500])
            )
        )
        by_id.update(dict(rows.all()))
    for start in range(0, len(hashes), 500):
        rows = conn.execute(
            select(t.c.external_id, t.c.content_hash)
            .where(t.c.content_hash.in_(hashes[start : start + 500]))
            .order_by(t.c.id)
        )
        for external_id, digest in rows:
            by_hash.setdefault(digest, external_id)
    return by_id, by_hash


def reviewed_pairs(conn: Connection, passage_ids: list[int]) -> set[tuple[int, int]]:
    """``(passage, coder)`` pairs already reviewed: what a bulk decision write must know."""
    r = schema.reviews
    found: set[tuple[int, int]] = set()
    for start in range(0, len(passage_ids), 500):
        rows = conn.execute(
            select(r.c.passage_id, r.c.coder_id).where(
                r.c.passage_id.in_(passage_ids[start : start + 500])
            )
        )
        found.update((p, c) for p, c in rows)
    return found


def passage_spans(
    conn: Connection, external_ids: list[str]
) -> dict[str, list[tuple[int, int, int, bool]]]:
    """``{transcript id: [(position, start, end, coded)]}`` as stored, in position order: where
    an incoming coding lands in a transcript the project already holds, however it was cut."""
    t, p = schema.transcripts, schema.passages
    found: dict[str, list[tuple[int, int, int, bool]]] = defaultdict(list)
    for start in range(0, len(external_ids), 500):
        rows = conn.execute(
            select(t.c.external_id, p.c.position, p.c.start, p.c.end, p.c.coded)
            .join(p, p.c.transcript_id == t.c.id)
            .where(t.c.external_id.in_(external_ids[start : start + 500]))
            .order_by(t.c.external_id, p.c.position)
        )
        for external_id, position, begin, end, coded in rows:
            found[external_id].append((position, begin, end, bool(coded)))
    return dict(found)
