"""What a coded-data export reads (passages, codings with provenance, engine codings, memos).

The tabular exports (``workbench.core.data_export``) stream a whole project out, so every query
here takes a batch of transcripts or passages and the caller walks the project a batch at a
time: memory stays flat whatever the project's size, and no SQL leaves the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, func, select

from workbench.core.store import schema

_CHUNK = 500
_STREAM = 2000  # rows a streaming query fetches at a time


@dataclass(frozen=True)
class ExportCoder:
    id: int
    name: str
    kind: str


@dataclass(frozen=True)
class PassageRow:
    """A passage as the tables show it; ``text`` is empty when the caller did not ask for it."""

    id: int
    transcript_row: int
    transcript_id: str
    position: int
    speaker: str | None
    coded: bool
    text: str


@dataclass(frozen=True)
class CodedRow:
    """One code one coder holds on one passage, with where it came from.

    For a human or the consensus it is a current coding, dated by the decision that applied it;
    the engine fields name the suggestion that decision accepted, if any. For an engine it is a
    suggestion of its latest run on the passage (its coding, as agreement reads it).
    """

    passage_id: int
    coder_id: int
    code: str
    decided_at: datetime | None
    codebook_version: int | None
    engine: str | None
    model: str | None
    model_snapshot: str | None
    confidence: float | None
    rationale: str | None
    evidence: str | None


@dataclass(frozen=True)
class MemoExportRow:
    id: int
    transcript_id: str | None
    position: int | None  # None: a memo on the whole transcript
    coder_id: int
    text: str
    created_at: datetime
    updated_at: datetime
    span_start: int | None = None  # a memo on a selection: transcript offsets and its words
    span_end: int | None = None
    span_text: str | None = None


def export_coders(conn: Connection) -> list[ExportCoder]:
    """Every coder by name: the order of the wide table's ``codes:<coder>`` columns."""
    c = schema.coders
    rows = conn.execute(select(c.c.id, c.c.name, c.c.kind).order_by(c.c.name))
    return [ExportCoder(*row) for row in rows]


def transcript_batches(conn: Connection, size: int = 200) -> Iterator[list[int]]:
    """Transcript row ids in import order, ``size`` at a time."""
    t = schema.transcripts
    ids = list(conn.execute(select(t.c.id).order_by(t.c.id)).scalars())
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def passage_count(conn: Connection) -> int:
    """How many passages a passages table will have: a format with a row limit checks first."""
    return int(conn.execute(select(func.count()).select_from(schema.passages)).scalar_one())


def passage_rows(conn: Connection, transcript_rows: list[int]) -> Iterator[PassageRow]:
    """The passages of these transcripts in transcript and position order, without text."""
    t, p = schema.transcripts, schema.passages
    query = (
        select(
            p.c.id,
            p.c.transcript_id,
            t.c.external_id,
            p.c.position,
            p.c.speaker,
            p.c.coded,
        )
        .join(t, t.c.id == p.c.transcript_id)
        .where(p.c.transcript_id.in_(transcript_rows))
        .order_by(p.c.transcript_id, p.c.position)
    )
    for row in conn.execute(query):
        yield PassageRow(row[0], row[1], row[2], row[3], row[4], bool(row[5]), "")


# one passage of :func:`stream_transcripts`: (passage row id, position, speaker, coded, text)
PassageTuple = tuple[int, int, "str | None", bool, str]


def stream_transcripts(conn: Connection) -> Iterator[tuple[int, str, list[PassageTuple]]]:
    """``(transcript row, external id, its passages)`` for every transcript that has passages,
    in transcript and position order, read as it is written.

    Two cursors walk the project side by side, passages (integers only, no join) and transcript
    texts, so only the current transcript's text is held and each passage's text is sliced from
    it; the position index gives the order without a sort. Plain tuples a transcript at a time,
    because on two million passages an object per passage costs more than the reading.
    """
    t, p = schema.transcripts, schema.passages
    passages = conn.execute(
        select(p.c.transcript_id, p.c.id, p.c.position, p.c.speaker, p.c.coded)
        .add_columns(p.c.start, p.c.end)
        .order_by(p.c.transcript_id, p.c.position)
        .execution_options(yield_per=_STREAM)
    )
    texts = iter(
        conn.execute(
            select(t.c.id, t.c.external_id, t.c.text)
            .order_by(t.c.id)
            .execution_options(yield_per=_STREAM)
        )
    )
    current, name, text = None, "", ""
    for row_id, group in groupby(passages, key=itemgetter(0)):
        while current != row_id:
            current, name, text = next(texts)
        yield (
            row_id,
            name,
            [
                (pid, position, speaker, bool(coded), text[begin:end])
                for _row, pid, position, speaker, coded, begin, end in group
            ],
        )


def stream_codes(conn: Connection) -> Iterator[tuple[int, dict[int, set[str]], set[int]]]:
    """``(passage, {coder: codes}, {coders who reviewed})`` for every passage a human or the
    consensus has reviewed or coded, in the order of :func:`stream_transcripts`, from two
    streaming queries merged here."""
    p, k, r = schema.passages, schema.codings, schema.reviews
    order = (p.c.transcript_id, p.c.position)
    codes = conn.execute(
        select(*order, k.c.passage_id, k.c.coder_id, k.c.code_id)
        .join(p, p.c.id == k.c.passage_id)
        .order_by(*order)
        .execution_options(yield_per=_STREAM)
    )
    reviews = conn.execute(
        select(*order, r.c.passage_id, r.c.coder_id)
        .join(p, p.c.id == r.c.passage_id)
        .order_by(*order)
        .execution_options(yield_per=_STREAM)
    )
    by_passage = groupby(codes, key=lambda row: (row[0], row[1], row[2]))
    next_codes = next(by_passage, None)
    by_review = groupby(reviews, key=lambda row: (row[0], row[1], row[2]))
    next_review = next(by_review, None)
    while next_codes is not None or next_review is not None:
        key = min(group[0] for group in (next_codes, next_review) if group is not None)
        held: dict[int, set[str]] = {}
        reviewed: set[int] = set()
        if next_codes is not None and next_codes[0] == key:
            for *_order, _pid, coder_id, code in next_codes[1]:
                held.setdefault(coder_id, set()).add(code)
            next_codes = next(by_passage, None)
        if next_review is not None and next_review[0] == key:
            reviewed = {row[3] for row in next_review[1]}
            next_review = next(by_review, None)
        yield key[2], held, reviewed


def stream_metadata(conn: Connection) -> Iterator[tuple[int, dict[str, str]]]:
    """``(transcript row, {field: value})`` in transcript order, for transcripts that have any."""
    t, m = schema.transcripts, schema.transcript_metadata
    rows = conn.execute(
        select(t.c.id, m.c.field, m.c.value)
        .join(m, m.c.external_id == t.c.external_id)
        .order_by(t.c.id)
        .execution_options(yield_per=_STREAM)
    )
    for row_id, group in groupby(rows, key=lambda row: row[0]):
        yield row_id, {name: value for _id, name, value in group}


def reviewed_pairs(conn: Connection, passage_ids: list[int]) -> set[tuple[int, int]]:
    """``(passage, coder)`` pairs a human or the consensus has reviewed."""
    r = schema.reviews
    found: set[tuple[int, int]] = set()
    for start in range(0, len(passage_ids), _CHUNK):
        query = select(r.c.passage_id, r.c.coder_id).where(
            r.c.passage_id.in_(passage_ids[start : start + _CHUNK])
        )
        found.update((passage, coder) for passage, coder in conn.execute(query))
    return found


def human_coded_rows(conn: Connection, passage_ids: list[int]) -> list[CodedRow]:
    """Current codings of humans and the consensus, with the decision and accepted suggestion."""
    k, d, s = schema.codings, schema.decisions, schema.suggestions
    found: list[CodedRow] = []
    for start in range(0, len(passage_ids), _CHUNK):
        query = (
            select(
                k.c.passage_id,
                k.c.coder_id,
                k.c.code_id,
                d.c.created_at,
                d.c.codebook_version,
                s.c.engine,
                s.c.model,
                s.c.model_snapshot,
                s.c.confidence,
                s.c.rationale,
                s.c.evidence,
            )
            .join(d, d.c.id == k.c.decision_id)
            .join(s, s.c.id == d.c.suggestion_id, isouter=True)
            .where(k.c.passage_id.in_(passage_ids[start : start + _CHUNK]))
            .order_by(k.c.passage_id, k.c.coder_id, k.c.code_id)
        )
        found.extend(CodedRow(*row) for row in conn.execute(query))
    return found


def engine_coded_rows(conn: Connection, passage_ids: list[int]) -> list[CodedRow]:
    """Each engine coder's coding of these passages: the suggestions of its latest run there,
    chosen exactly as ``raters.read_ratings`` chooses them, so the counts agree."""
    runs, s = schema.suggestion_runs, schema.suggestions
    latest: dict[tuple[int, int], tuple] = {}
    for start in range(0, len(passage_ids), _CHUNK):
        query = select(
            runs.c.passage_id,
            runs.c.coder_id,
            runs.c.created_at,
            runs.c.codebook_version,
            runs.c.engine,
            runs.c.model,
            runs.c.prompt_version,
        ).where(
            runs.c.coder_id.is_not(None),
            runs.c.passage_id.in_(passage_ids[start : start + _CHUNK]),
        )
        for passage_id, coder_id, created, version, engine, model, prompt in conn.execute(query):
            run = (created, version, prompt, engine, model)
            if (passage_id, coder_id) not in latest or run > latest[(passage_id, coder_id)]:
                latest[(passage_id, coder_id)] = run
    wanted = {
        (passage_id, version, engine, model, prompt): coder_id
        for (passage_id, coder_id), (_at, version, prompt, engine, model) in latest.items()
    }
    found: list[CodedRow] = []
    if not wanted:
        return found
    for start in range(0, len(passage_ids), _CHUNK):
        query = (
            select(
                s.c.passage_id,
                s.c.codebook_version,
                s.c.engine,
                s.c.model,
                s.c.prompt_version,
                s.c.code_id,
                s.c.created_at,
                s.c.model_snapshot,
                s.c.confidence,
                s.c.rationale,
                s.c.evidence,
            )
            .where(s.c.passage_id.in_(passage_ids[start : start + _CHUNK]))
            .order_by(s.c.passage_id, s.c.code_id, s.c.id)
        )
        seen: set[tuple[int, int, str]] = set()
        for row in conn.execute(query):
            coder_id = wanted.get(
                (row.passage_id, row.codebook_version, row.engine, row.model, row.prompt_version)
            )
            if coder_id is None or (row.passage_id, coder_id, row.code_id) in seen:
                continue  # one row per passage, coder and code, as agreement counts it
            seen.add((row.passage_id, coder_id, row.code_id))
            found.append(
                CodedRow(
                    row.passage_id,
                    coder_id,
                    row.code_id,
                    row.created_at,
                    row.codebook_version,
                    row.engine,
                    row.model,
                    row.model_snapshot,
                    row.confidence,
                    row.rationale,
                    row.evidence,
                )
            )
    return found


def memo_rows(conn: Connection, coder_id: int | None = None) -> Iterator[MemoExportRow]:
    """Memos in the order they were written, only ``coder_id``'s when given."""
    m, p, t = schema.memos, schema.passages, schema.transcripts
    query = (
        select(
            m.c.id,
            t.c.external_id,
            p.c.position,
            m.c.coder_id,
            m.c.text,
            m.c.created_at,
            m.c.updated_at,
            m.c.span_start,
            m.c.span_end,
            _substring(t.c.text, m.c.span_start, m.c.span_end),
        )
        .select_from(m)
        .join(p, p.c.id == m.c.passage_id, isouter=True)
        .join(t, t.c.id == func.coalesce(m.c.transcript_id, p.c.transcript_id), isouter=True)
        .order_by(m.c.id)
    )
    if coder_id is not None:
        query = query.where(m.c.coder_id == coder_id)
    for row in conn.execute(query):
        yield MemoExportRow(*tuple(row))


def _substring(text: Any, start: Any, end: Any) -> Any:
    """``text[start:end]`` in SQL (SUBSTR counts characters from 1 in SQLite and PostgreSQL);
    NULL where there is no span."""
    return func.substr(text, start + 1, end - start)


def span_rows(
    conn: Connection, passage_ids: list[int]
) -> dict[tuple[int, int, str], list[tuple[int, int, str]]]:
    """``{(passage, coder, code): [(start, end, words), ...]}``: the selections coded on these
    passages, in text order, with the words read from the transcript by the database."""
    k, p, t = schema.coded_spans, schema.passages, schema.transcripts
    found: dict[tuple[int, int, str], list[tuple[int, int, str]]] = {}
    for start in range(0, len(passage_ids), _CHUNK):
        query = (
            select(
                k.c.passage_id,
                k.c.coder_id,
                k.c.code_id,
                k.c.start,
                k.c.end,
                _substring(t.c.text, k.c.start, k.c.end),
            )
            .join(p, p.c.id == k.c.passage_id)
            .join(t, t.c.id == p.c.transcript_id)
            .where(k.c.passage_id.in_(passage_ids[start : start + _CHUNK]))
            .order_by(k.c.passage_id, k.c.start, k.c.end)
        )
        for passage, coder, code, low, high, words in conn.execute(query):
            found.setdefault((passage, coder, code), []).append((low, high, words))
    return found


def current_codes(conn: Connection, passage_ids: list[int]) -> dict[tuple[int, int], set[str]]:
    """``{(passage, coder): codes}`` held now by humans and the consensus."""
    k = schema.codings
    found: dict[tuple[int, int], set[str]] = {}
    for start in range(0, len(passage_ids), _CHUNK):
        query = select(k.c.passage_id, k.c.coder_id, k.c.code_id).where(
            k.c.passage_id.in_(passage_ids[start : start + _CHUNK])
        )
        for passage_id, coder_id, code in conn.execute(query):
            found.setdefault((passage_id, coder_id), set()).add(code)
    return found
