"""Coders' memos on passages, kept with their history: every save appends a row.

A coder's memo on a passage is the latest row (highest id) of that coder and passage; the rows
before it are its history, and a row with blank text means "cleared". Appending rather than
updating in place keeps what a coder wrote before (undo restores it by appending it again) with
no schema change. A memo is not in the decision log; the audit log records that it was saved
(by the caller, in the same transaction).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, func, select

from workbench.core.clock import utc_now
from workbench.core.store import schema
from workbench.core.store.chunks import in_chunks


def write_memo(conn: Connection, passage_id: int, coder_id: int, text: str) -> None:
    """Append this coder's new memo text on a passage (blank text clears it), keeping history.

    Nothing is appended when the text is what the memo already says, so saving twice does not
    make history that says nothing.
    """
    m = schema.memos
    latest = conn.execute(
        select(m.c.text, m.c.created_at)
        .where(m.c.passage_id == passage_id, m.c.coder_id == coder_id)
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
        )
    )


def latest_memo_ids(conn: Connection) -> set[int]:
    """Ids of the rows that are a memo's current text (the latest per coder and place)."""
    m = schema.memos
    query = select(func.max(m.c.id)).group_by(m.c.passage_id, m.c.transcript_id, m.c.coder_id)
    return {row[0] for row in conn.execute(query)}


def _latest(conn: Connection, passage_ids: list[int], coder_id: int | None) -> list[tuple]:
    """``(passage id, coder id, text)`` of the current memos on these passages."""
    m = schema.memos
    newest = select(func.max(m.c.id)).where(m.c.passage_id.in_(passage_ids))
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


def memo_history(conn: Connection, coder_id: int, passage_id: int) -> list[str]:
    """Every text this coder's memo on a passage has had, oldest first ("" where cleared)."""
    m = schema.memos
    rows = conn.execute(
        select(m.c.text)
        .where(m.c.passage_id == passage_id, m.c.coder_id == coder_id)
        .order_by(m.c.id)
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
