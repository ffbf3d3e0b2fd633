"""Reading a project: transcripts, passages (with their text) and metadata.

A passage's public id is ``<transcript id>#<position>``: stable across re-segmentation-free
edits, readable in a spreadsheet, and unique in a project. It is built and split only here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import Connection, func, select

from workbench.core.errors import DecisionError
from workbench.core.store import schema
from workbench.core.store.chunks import in_chunks
from workbench.core.turns import passage_time


@dataclass(frozen=True)
class Passage:
    id: int
    key: str
    transcript_id: str
    position: int
    speaker: str | None
    start: int
    end: int
    text: str
    coded: bool
    time: str | None = None  # "00:01:02" from a timed transcript (captions, call exports)


@dataclass(frozen=True)
class TranscriptInfo:
    id: int
    external_id: str
    source_name: str
    passages: int
    coded_passages: int
    local_only: bool
    metadata: dict[str, str] = field(default_factory=dict)


def passage_key(external_id: str, position: int) -> str:
    return f"{external_id}#{position}"


def split_passage_key(key: str) -> tuple[str, int]:
    """``("work_0001", 7)`` from ``"work_0001#7"``; raises DecisionError for anything else."""
    external_id, sep, position = key.strip().rpartition("#")
    if not sep or not external_id or not position.isdigit():
        raise DecisionError(f"'{key}' is not a passage id (expected TRANSCRIPT#POSITION)")
    return external_id, int(position)


def list_transcripts(conn: Connection) -> list[TranscriptInfo]:
    """Every transcript with its passage counts and metadata, in import order."""
    t, p = schema.transcripts, schema.passages
    counts = (
        select(
            p.c.transcript_id,
            func.count().label("passages"),
            func.sum(p.c.coded.cast(schema.Integer)).label("coded"),
        )
        .group_by(p.c.transcript_id)
        .subquery()
    )
    rows = conn.execute(
        select(
            t.c.id,
            t.c.external_id,
            t.c.source_name,
            t.c.local_only,
            counts.c.passages,
            counts.c.coded,
        )
        .join(counts, counts.c.transcript_id == t.c.id, isouter=True)
        .order_by(t.c.id)
    ).all()
    metadata = metadata_for(conn, [row.external_id for row in rows])
    return [
        TranscriptInfo(
            id=row.id,
            external_id=row.external_id,
            source_name=row.source_name,
            passages=int(row.passages or 0),
            coded_passages=int(row.coded or 0),
            local_only=bool(row.local_only),
            metadata=metadata.get(row.external_id, {}),
        )
        for row in rows
    ]


def metadata_for(
    conn: Connection, external_ids: Iterable[str] | None = None
) -> dict[str, dict[str, str]]:
    """``{transcript id: {field: value}}`` for the given ids, or for every id when None."""
    m = schema.transcript_metadata
    result: dict[str, dict[str, str]] = {}
    if external_ids is None:
        batches: Iterable[list[str] | None] = [None]
    else:
        batches = in_chunks(external_ids)
    for batch in batches:
        query = select(m.c.external_id, m.c.field, m.c.value)
        if batch is not None:
            query = query.where(m.c.external_id.in_(batch))
        for external_id, name, value in conn.execute(query):
            result.setdefault(external_id, {})[name] = value
    return result


def metadata_fields(conn: Connection) -> list[str]:
    m = schema.transcript_metadata
    return sorted(conn.execute(select(m.c.field).distinct()).scalars())


def passages_of(conn: Connection, transcript_ids: Iterable[int]) -> Iterator[Passage]:
    """Passages of the given transcripts (by row id), in transcript and position order."""
    t, p = schema.transcripts, schema.passages
    for batch in in_chunks(transcript_ids):
        texts = dict(conn.execute(select(t.c.id, t.c.text).where(t.c.id.in_(batch))).all())
        names = dict(conn.execute(select(t.c.id, t.c.external_id).where(t.c.id.in_(batch))).all())
        rows = conn.execute(
            select(
                p.c.id, p.c.transcript_id, p.c.position, p.c.speaker, p.c.start, p.c.end, p.c.coded
            )
            .where(p.c.transcript_id.in_(batch))
            .order_by(p.c.transcript_id, p.c.position)
        )
        for row in rows:
            external_id = names[row.transcript_id]
            yield Passage(
                id=row.id,
                key=passage_key(external_id, row.position),
                transcript_id=external_id,
                position=row.position,
                speaker=row.speaker,
                start=row.start,
                end=row.end,
                text=texts[row.transcript_id][row.start : row.end],
                coded=bool(row.coded),
                time=passage_time(texts[row.transcript_id], row.start),
            )


def transcript_row_id(conn: Connection, external_id: str) -> int | None:
    t = schema.transcripts
    return conn.execute(select(t.c.id).where(t.c.external_id == external_id)).scalar_one_or_none()


def first_external_ids(conn: Connection, limit: int = 5) -> list[str]:
    """A few transcript ids in import order: enough to show what an id looks like in an error."""
    t = schema.transcripts
    return list(conn.execute(select(t.c.external_id).order_by(t.c.id).limit(limit)).scalars())


def external_ids(conn: Connection) -> list[str]:
    """Every transcript's id, in import order."""
    t = schema.transcripts
    return list(conn.execute(select(t.c.external_id).order_by(t.c.id)).scalars())


def passage_ids_for_keys(conn: Connection, keys: Iterable[str]) -> dict[str, int]:
    """Row ids of the passages named by public keys; keys not found are left out."""
    t, p = schema.transcripts, schema.passages
    wanted: dict[str, set[int]] = {}
    for key in keys:
        external_id, position = split_passage_key(key)
        wanted.setdefault(external_id, set()).add(position)
    found: dict[str, int] = {}
    for batch in in_chunks(wanted):
        rows = conn.execute(
            select(t.c.external_id, p.c.position, p.c.id)
            .join(p, p.c.transcript_id == t.c.id)
            .where(t.c.external_id.in_(batch))
        )
        for external_id, position, passage_id in rows:
            if position in wanted[external_id]:
                found[passage_key(external_id, position)] = passage_id
    return found


def passage_keys_for_ids(conn: Connection, passage_ids: Iterable[int]) -> dict[int, str]:
    """Public ids (``work_0001#7``) of passage rows."""
    p, t = schema.passages, schema.transcripts
    keys: dict[int, str] = {}
    for batch in in_chunks(passage_ids):
        rows = conn.execute(
            select(p.c.id, t.c.external_id, p.c.position)
            .join(t, t.c.id == p.c.transcript_id)
            .where(p.c.id.in_(batch))
        )
        keys.update({pid: passage_key(external_id, pos) for pid, external_id, pos in rows})
    return keys


def transcript_row_ids(conn: Connection) -> list[int]:
    """Every transcript's row id, in import order (what ``passages_of`` takes)."""
    t = schema.transcripts
    return list(conn.execute(select(t.c.id).order_by(t.c.id)).scalars())


def passages_to_code(conn: Connection) -> list[tuple[int, int, str]]:
    """``(passage row id, position, transcript id)`` of every passage to code (not interviewer
    turns): the units a reliability sample is drawn from."""
    p, t = schema.passages, schema.transcripts
    rows = conn.execute(
        select(p.c.id, p.c.position, t.c.external_id)
        .join(t, t.c.id == p.c.transcript_id)
        .where(p.c.coded.is_(True))
    )
    return [(pid, position, external_id) for pid, position, external_id in rows]


def passage_transcripts(conn: Connection) -> dict[int, str]:
    """``{passage row id: transcript id}`` for every passage: whose interview a passage is."""
    p, t = schema.passages, schema.transcripts
    return dict(
        conn.execute(select(p.c.id, t.c.external_id).join(t, t.c.id == p.c.transcript_id)).all()
    )


def transcripts_of_passages(conn: Connection, passage_ids: Iterable[int]) -> dict[int, str]:
    """``{passage row id: transcript id}`` for these passages only: what ``passage_transcripts``
    gives, without a map of every passage of a large project."""
    p, t = schema.passages, schema.transcripts
    found: dict[int, str] = {}
    for batch in in_chunks(passage_ids):
        found.update(
            conn.execute(
                select(p.c.id, t.c.external_id)
                .join(t, t.c.id == p.c.transcript_id)
                .where(p.c.id.in_(batch))
            ).all()
        )
    return found


def passage_lengths(conn: Connection, passage_ids: Iterable[int]) -> list[tuple[int, int, int]]:
    """``(passage row id, transcript row id, length in characters)`` of these passages, in
    transcript and position order, without reading any text."""
    p = schema.passages
    rows: list[tuple[int, int, int, int]] = []
    for batch in in_chunks(passage_ids):
        rows += conn.execute(
            select(p.c.transcript_id, p.c.position, p.c.id, p.c.end - p.c.start).where(
                p.c.id.in_(batch)
            )
        ).all()
    rows.sort()
    return [(pid, transcript, length) for transcript, _position, pid, length in rows]


def transcript_rows_of_passages(conn: Connection, passage_ids: Iterable[int]) -> set[int]:
    """Row ids of the transcripts these passages belong to (to read just those with
    ``passages_of``)."""
    p = schema.passages
    found: set[int] = set()
    for batch in in_chunks(passage_ids):
        found.update(conn.execute(select(p.c.transcript_id).where(p.c.id.in_(batch))).scalars())
    return found


def metadata_values(conn: Connection, field_name: str) -> dict[str, str]:
    """``{transcript id: value}`` of one metadata field (transcripts without it left out)."""
    m = schema.transcript_metadata
    return dict(
        conn.execute(select(m.c.external_id, m.c.value).where(m.c.field == field_name)).all()
    )
