"""Coders' memos on passages, kept with their history: every save appends a row.

A coder's memo on a passage is the latest row (highest id) of that coder and passage; the rows
before it are its history, and a row with blank text means "cleared". Appending rather than
updating in place keeps what a coder wrote before (undo restores it by appending it again) with
no schema change. A memo is not in the decision log; the audit log records that it was saved
(by the caller, in the same transaction).

A memo may be about a selection inside the passage (``span_start/span_end``, schema 8): it is a
memo of its own, with its own history, beside the coder's memo on the whole passage.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, func, select

from workbench.core.clock import utc_now
from workbench.core.store import schema
from workbench.core.store.chunks import in_chunks


def _place(passage_id: int, coder_id: int, span: tuple[int, int] | None) -> list:
    m = schema.memos
    where = [m.c.passage_id == passage_id, m.c.coder_id == coder_id]
    if span is None:
        return [*where, m.c.span_start.is_(None)]
    return [*where, m.c.span_start == span[0], m.c.span_end == span[1]]


def write_memo(
    conn: Connection,
    passage_id: int,
    coder_id: int,
    text: str,
    span: tuple[int, int] | None = None,
) -> None:
    """Append this coder's new memo text on a passage, or on a selection inside it (``span``,
    transcript offsets); blank text clears it, and earlier texts stay as history.

    Nothing is appended when the text is what the memo already says, so saving twice does not
    make history that says nothing.
    """
    m = schema.memos
    latest = conn.execute(
        select(m.c.text, m.c.created_at)
        .where(*_place(passage_id, coder_id, span))
        .order_by(m.c.id.desc())
        .limit(1)
    ).first()
    current = latest[0] if latest is not None else ""
    if current == text or (not current.strip() and not text.strip()):
        return
    now = utc_now()
    conn.execute(
        m.insert().values(
            passage_id=passage_id,
            coder_id=coder_id,
            text=text if text.strip() else "",
            created_at=latest[1] if latest is not None else now,
            updated_at=now,
            span_start=span[0] if span else None,
            span_end=span[1] if span else None,
        )
    )


def latest_memo_ids(conn: Connection) -> set[int]:
    """Ids of the rows that are a memo's current text (the latest per coder and place)."""
    m = schema.memos
    query = select(func.max(m.c.id)).group_by(
        m.c.passage_id, m.c.transcript_id, m.c.coder_id, m.c.span_start, m.c.span_end
    )
    return {row[0] for row in conn.execute(query)}


def _latest(conn: Connection, passage_ids: list[int], coder_id: int | None) -> list[tuple]:
    """``(passage id, coder id, text)`` of the current memos on these passages (whole passages;
    memos on a selection are ``span_memos_of_coder``'s)."""
    m = schema.memos
    newest = select(func.max(m.c.id)).where(
        m.c.passage_id.in_(passage_ids), m.c.span_start.is_(None)
    )
    if coder_id is not None:
        newest = newest.where(m.c.coder_id == coder_id)
    newest = newest.group_by(m.c.passage_id, m.c.coder_id)
    rows = conn.execute(
        select(m.c.passage_id, m.c.coder_id, m.c.text).where(m.c.id.in_(newest.scalar_subquery()))
    )
    return [tuple(row) for row in rows if row[2].strip()]


def memos_of_coder(conn: Connection, coder_id: int, passage_ids: Iterable[int]) -> dict[int, str]:
    """``{passage id: memo}`` of one coder on these passages (passages without one left out)."""
    found: dict[int, str] = {}
    for batch in in_chunks(passage_ids):
        found.update((pid, text) for pid, _coder, text in _latest(conn, list(batch), coder_id))
    return found


def span_memos_of_coder(
    conn: Connection, coder_id: int, passage_ids: Iterable[int]
) -> dict[tuple[int, int, int], str]:
    """``{(passage id, start, end): memo}`` of one coder's memos on selections."""
    m = schema.memos
    found: dict[tuple[int, int, int], str] = {}
    for batch in in_chunks(passage_ids):
        newest = (
            select(func.max(m.c.id))
            .where(
                m.c.passage_id.in_(list(batch)),
                m.c.coder_id == coder_id,
                m.c.span_start.is_not(None),
            )
            .group_by(m.c.passage_id, m.c.span_start, m.c.span_end)
        )
        rows = conn.execute(
            select(m.c.passage_id, m.c.span_start, m.c.span_end, m.c.text).where(
                m.c.id.in_(newest.scalar_subquery())
            )
        )
        found.update(((p, s, e), text) for p, s, e, text in rows if text.strip())
    return found


def memo_history(
    conn: Connection, coder_id: int, passage_id: int, span: tuple[int, int] | None = None
) -> list[str]:
    """Every text this coder's memo on a passage (or selection) has had, oldest first ("" where
    cleared)."""
    m = schema.memos
    rows = conn.execute(
        select(m.c.text).where(*_place(passage_id, coder_id, span)).order_by(m.c.id)
    )
    return [row[0] for row in rows]


def memos_by_coder_name(conn: Connection, passage_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """Every coder's memo on these passages: ``{passage id: {coder name: memo}}``."""
    names = dict(conn.execute(select(schema.coders.c.id, schema.coders.c.name)).all())
    found: dict[int, dict[str, str]] = {}
    for batch in in_chunks(passage_ids):
        for passage_id, coder_id, text in _latest(conn, list(batch), None):
            found.setdefault(passage_id, {})[names[coder_id]] = text
    return found


def add_imported_memo(
    conn: Connection,
    coder_id: int,
    text: str,
    *,
    passage_id: int | None = None,
    transcript_id: int | None = None,
    span: tuple[int, int] | None = None,
    created: datetime | None = None,
    updated: datetime | None = None,
) -> bool:
    """Add a memo another tool wrote (a REFI-QDA note) on a passage, a selection in it, or a
    whole transcript (``passage_id`` None), keeping the tool's dates. An import only adds: a
    memo already holding the text is left alone (so importing a file twice changes nothing),
    and one with other text keeps it, the new text appended after it as its next version.
    Returns whether a row was appended."""
    m = schema.memos
    if passage_id is not None:
        where = _place(passage_id, coder_id, span)
    else:
        where = [
            m.c.passage_id.is_(None),
            m.c.transcript_id == transcript_id,
            m.c.coder_id == coder_id,
        ]
    latest = conn.execute(
        select(m.c.text, m.c.created_at).where(*where).order_by(m.c.id.desc()).limit(1)
    ).first()
    current = (latest[0] if latest is not None else "").strip()
    text = text.strip()
    if not text or text in current:
        return False
    now = utc_now()
    conn.execute(
        m.insert().values(
            passage_id=passage_id,
            transcript_id=transcript_id if passage_id is None else None,
            coder_id=coder_id,
            text=f"{current}\n\n{text}" if current else text,
            created_at=latest[1] if latest is not None else (created or now),
            updated_at=now if current else (updated or created or now),
            span_start=span[0] if span else None,
            span_end=span[1] if span else None,
        )
    )
    return True
