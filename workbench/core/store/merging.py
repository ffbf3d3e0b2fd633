"""What a merge reads from a project or an offline copy, and the rows it appends.

Rows are returned keyed by what survives between two files made from the same project:
transcripts by external id, passages by (external id, position), coders by name. Database ids
differ between a project and its copy, so nothing here hands one file's ids to the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import Connection, select

from workbench.core.store import schema

PassageKey = tuple[str, int]  # (transcript external id, passage position)


def instant(moment: datetime) -> str:
    """A time as UTC text to the microsecond: SQLite hands back naive datetimes and PostgreSQL
    aware ones, and a decision must compare equal across the two."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class TranscriptShape:
    """A transcript's content hash and its passages' spans, to tell two files agree on it."""

    external_id: str
    content_hash: str
    passages: dict[int, tuple[int, int, int]]  # position -> (passage id, start, end)


@dataclass(frozen=True)
class DecisionRow:
    id: int
    passage: PassageKey
    coder: str
    coder_kind: str
    action: str
    code_id: str | None
    suggestion_id: int | None
    codebook_version: int | None
    reverts_id: int | None
    reason: str | None
    created_at: datetime
    span_start: int | None = None  # a decision about a selection (transcript offsets)
    span_end: int | None = None


@dataclass(frozen=True)
class MemoRow:
    passage: PassageKey | None  # None for a memo on a whole transcript
    transcript: str | None
    coder: str
    coder_kind: str
    text: str
    created_at: datetime
    updated_at: datetime
    span_start: int | None = None  # a memo on a selection
    span_end: int | None = None


@dataclass(frozen=True)
class SuggestionRow:
    id: int
    passage: PassageKey
    values: dict[str, object]  # every column but id and passage_id


@dataclass(frozen=True)
class RunRow:
    passage: PassageKey
    codebook_version: int
    engine: str
    model: str
    prompt_version: str
    created_at: datetime
    coder: str | None


def transcript_shapes(conn: Connection) -> dict[str, TranscriptShape]:
    """Every transcript of a file with its passages, keyed by external id."""
    t, p = schema.transcripts, schema.passages
    shapes: dict[str, TranscriptShape] = {}
    for _tid, external_id, content_hash in conn.execute(
        select(t.c.id, t.c.external_id, t.c.content_hash)
    ):
        shapes[external_id] = TranscriptShape(external_id, content_hash, {})
    names = dict(conn.execute(select(t.c.id, t.c.external_id)).all())
    for pid, tid, position, start, end in conn.execute(
        select(p.c.id, p.c.transcript_id, p.c.position, p.c.start, p.c.end)
    ):
        shapes[names[tid]].passages[position] = (pid, start, end)
    return shapes


def _passage_keys(conn: Connection) -> dict[int, PassageKey]:
    t, p = schema.transcripts, schema.passages
    rows = conn.execute(
        select(p.c.id, t.c.external_id, p.c.position).join(t, t.c.id == p.c.transcript_id)
    )
    return {pid: (external_id, position) for pid, external_id, position in rows}


def _coders(conn: Connection) -> dict[int, tuple[str, str]]:
    c = schema.coders
    return {
        cid: (name, kind) for cid, name, kind in conn.execute(select(c.c.id, c.c.name, c.c.kind))
    }


def decision_rows(conn: Connection) -> list[DecisionRow]:
    """Every decision of a file, oldest first, with its passage and coder named portably."""
    d = schema.decisions
    keys, coders = _passage_keys(conn), _coders(conn)
    rows = conn.execute(
        select(
            d.c.id,
            d.c.passage_id,
            d.c.coder_id,
            d.c.action,
            d.c.code_id,
            d.c.suggestion_id,
            d.c.codebook_version,
            d.c.reverts_id,
            d.c.reason,
            d.c.created_at,
            d.c.span_start,
            d.c.span_end,
        ).order_by(d.c.id)
    )
    return [
        DecisionRow(
            r.id,
            keys[r.passage_id],
            *coders[r.coder_id],
            r.action,
            r.code_id,
            r.suggestion_id,
            r.codebook_version,
            r.reverts_id,
            r.reason,
            r.created_at,
            r.span_start,
            r.span_end,
        )
        for r in rows
    ]


def memo_rows(conn: Connection) -> list[MemoRow]:
    """Every memo row of a file (history included), oldest first."""
    m, t = schema.memos, schema.transcripts
    keys, coders = _passage_keys(conn), _coders(conn)
    names = dict(conn.execute(select(t.c.id, t.c.external_id)).all())
    rows = conn.execute(
        select(
            m.c.passage_id,
            m.c.transcript_id,
            m.c.coder_id,
            m.c.text,
            m.c.created_at,
            m.c.updated_at,
            m.c.span_start,
            m.c.span_end,
        ).order_by(m.c.id)
    )
    return [
        MemoRow(
            keys[r.passage_id] if r.passage_id is not None else None,
            names.get(r.transcript_id) if r.transcript_id is not None else None,
            *coders[r.coder_id],
            r.text,
            r.created_at,
            r.updated_at,
            r.span_start,
            r.span_end,
        )
        for r in rows
    ]


def suggestion_rows(conn: Connection) -> list[SuggestionRow]:
    s = schema.suggestions
    keys = _passage_keys(conn)
    columns = [c for c in s.c if c.name not in ("id", "passage_id")]
    rows = conn.execute(select(s.c.id, s.c.passage_id, *columns).order_by(s.c.id))
    return [
        SuggestionRow(r.id, keys[r.passage_id], {c.name: getattr(r, c.name) for c in columns})
        for r in rows
    ]


def run_rows(conn: Connection) -> list[RunRow]:
    r = schema.suggestion_runs
    keys, coders = _passage_keys(conn), _coders(conn)
    rows = conn.execute(
        select(
            r.c.passage_id,
            r.c.codebook_version,
            r.c.engine,
            r.c.model,
            r.c.prompt_version,
            r.c.created_at,
            r.c.coder_id,
        )
    )
    return [
        RunRow(
            keys[row.passage_id],
            row.codebook_version,
            row.engine,
            row.model,
            row.prompt_version,
            row.created_at,
            coders[row.coder_id][0] if row.coder_id is not None else None,
        )
        for row in rows
    ]


def append_memo_row(
    conn: Connection,
    passage_id: int | None,
    transcript_id: int | None,
    coder_id: int,
    text: str,
    created_at: datetime,
    updated_at: datetime,
    span: tuple[int | None, int | None] = (None, None),
) -> None:
    """Append a memo row as written elsewhere, its times kept (memos are history, not a log)."""
    conn.execute(
        schema.memos.insert().values(
            passage_id=passage_id,
            transcript_id=transcript_id,
            coder_id=coder_id,
            text=text,
            created_at=created_at,
            updated_at=updated_at,
            span_start=span[0],
            span_end=span[1],
        )
    )


def insert_suggestion(conn: Connection, passage_id: int, values: dict[str, object]) -> int:
    """Store one suggestion from a copy; returns its id in this project."""
    result = conn.execute(schema.suggestions.insert().values(passage_id=passage_id, **values))
    return int(result.inserted_primary_key[0])  # type: ignore[index]  # set after an INSERT


def insert_run(conn: Connection, passage_id: int, run: RunRow, coder_id: int | None) -> None:
    conn.execute(
        schema.suggestion_runs.insert().values(
            passage_id=passage_id,
            codebook_version=run.codebook_version,
            engine=run.engine,
            model=run.model,
            prompt_version=run.prompt_version,
            created_at=run.created_at,
            coder_id=coder_id,
        )
    )


def transcript_ids(conn: Connection) -> dict[str, int]:
    t = schema.transcripts
    return {name: tid for tid, name in conn.execute(select(t.c.id, t.c.external_id))}
