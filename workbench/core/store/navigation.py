"""Paged, filtered transcript lists for the navigator: a page at a time, even for 81,000."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    case,
    exists,
    func,
    or_,
    select,
)

from workbench.core.store import schema


class ProgressFilter(str, Enum):
    ALL = "all"
    NOT_STARTED = "not started"
    IN_PROGRESS = "in progress"
    DONE = "done"


@dataclass(frozen=True)
class TranscriptFilter:
    """What the navigator shows: a search text, one metadata value, a coding status."""

    search: str = ""
    field: str | None = None
    value: str | None = None
    progress: ProgressFilter = ProgressFilter.ALL
    # The coder's assigned transcripts: listed first, or (``queue_only``) the only ones listed.
    queue: tuple[str, ...] = ()
    queue_only: bool = False


@dataclass(frozen=True)
class TranscriptRow:
    id: int
    external_id: str
    coded_passages: int
    reviewed: int  # by the current coder
    group: str | None
    language: str | None


def _coded_count():
    p = schema.passages
    return (
        select(func.count())
        .where(p.c.transcript_id == schema.transcripts.c.id, p.c.coded.is_(True))
        .scalar_subquery()
    )


def _reviewed_count(coder_id: int | None):
    p, r = schema.passages, schema.reviews
    return (
        select(func.count())
        .select_from(r.join(p, p.c.id == r.c.passage_id))
        .where(
            p.c.transcript_id == schema.transcripts.c.id,
            r.c.coder_id == (coder_id or -1),
            p.c.coded.is_(True),
        )
        .scalar_subquery()
    )


def _filtered(query: Select, flt: TranscriptFilter, coder_id: int | None) -> Select:
    t, m = schema.transcripts, schema.transcript_metadata
    if flt.queue_only:
        query = query.where(t.c.external_id.in_(flt.queue))
    if flt.search.strip():
        literal = flt.search.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{literal}%"
        query = query.where(
            or_(
                t.c.external_id.ilike(pattern, escape="\\"),
                exists().where(
                    and_(m.c.external_id == t.c.external_id, m.c.value.ilike(pattern, escape="\\"))
                ),
            )
        )
    if flt.field and flt.value is not None:
        query = query.where(
            exists().where(
                and_(
                    m.c.external_id == t.c.external_id,
                    m.c.field == flt.field,
                    m.c.value == flt.value,
                )
            )
        )
    if flt.progress is not ProgressFilter.ALL:
        reviewed, coded = _reviewed_count(coder_id), _coded_count()
        if flt.progress is ProgressFilter.NOT_STARTED:
            query = query.where(reviewed == 0)
        elif flt.progress is ProgressFilter.DONE:
            query = query.where(reviewed >= coded)
        else:
            query = query.where(reviewed > 0, reviewed < coded)
    return query


def count_transcripts(conn: Connection, flt: TranscriptFilter, coder_id: int | None) -> int:
    query = _filtered(select(func.count()).select_from(schema.transcripts), flt, coder_id)
    return int(conn.execute(query).scalar_one())


def transcript_page(
    conn: Connection, flt: TranscriptFilter, coder_id: int | None, offset: int, limit: int
) -> list[TranscriptRow]:
    """One page of transcripts, the coder's queue first, then import order, with progress."""
    t, m = schema.transcripts, schema.transcript_metadata
    order: list[ColumnElement[Any]] = [t.c.id]
    if flt.queue and not flt.queue_only:
        order.insert(0, case((t.c.external_id.in_(flt.queue), 0), else_=1))
    query = (
        _filtered(select(t.c.id, t.c.external_id), flt, coder_id)
        .order_by(*order)
        .offset(offset)
        .limit(limit)
    )
    page = conn.execute(query).all()
    if not page:
        return []
    ids = [row.id for row in page]
    p, r = schema.passages, schema.reviews
    coded: dict[int, int] = dict(
        conn.execute(
            select(p.c.transcript_id, func.count())
            .where(p.c.transcript_id.in_(ids), p.c.coded.is_(True))
            .group_by(p.c.transcript_id)
        ).all()
    )
    reviewed: dict[int, int] = dict(
        conn.execute(
            select(p.c.transcript_id, func.count())
            .select_from(r.join(p, p.c.id == r.c.passage_id))
            .where(
                p.c.transcript_id.in_(ids), r.c.coder_id == (coder_id or -1), p.c.coded.is_(True)
            )
            .group_by(p.c.transcript_id)
        ).all()
    )
    meta: dict[tuple[str, str], str] = {
        (external_id, name): value
        for external_id, name, value in conn.execute(
            select(m.c.external_id, m.c.field, m.c.value).where(
                m.c.external_id.in_([row.external_id for row in page]),
                m.c.field.in_(["group", "language"]),
            )
        )
    }
    return [
        TranscriptRow(
            id=row.id,
            external_id=row.external_id,
            coded_passages=int(coded.get(row.id, 0)),
            reviewed=int(reviewed.get(row.id, 0)),
            group=meta.get((row.external_id, "group")),
            language=meta.get((row.external_id, "language")),
        )
        for row in page
    ]


def queue_progress(
    conn: Connection, queue: tuple[str, ...], coder_id: int | None
) -> tuple[int, int]:
    """(transcripts of the queue the coder has finished, transcripts in the queue)."""
    if not queue:
        return 0, 0
    t = schema.transcripts
    done = conn.execute(
        select(func.count())
        .select_from(t)
        .where(t.c.external_id.in_(queue), _reviewed_count(coder_id) >= _coded_count())
    ).scalar_one()
    return int(done), len(queue)


def metadata_values(conn: Connection, limit_per_field: int = 200) -> dict[str, list[str]]:
    """Distinct values per metadata field, for filter menus (fields with too many are cut)."""
    m = schema.transcript_metadata
    found: dict[str, list[str]] = {}
    for name, value in conn.execute(
        select(m.c.field, m.c.value).distinct().order_by(m.c.field, m.c.value)
    ):
        values = found.setdefault(name, [])
        if len(values) < limit_per_field:
            values.append(value)
    return found
