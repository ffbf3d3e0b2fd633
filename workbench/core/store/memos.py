"""Coders' memos on passages: at most one per coder and passage, replaced or cleared in place.

A memo is a note, not a decision: it is not in the decision log and has no undo; the audit log
records that it was saved (by the caller, in the same transaction).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, select

from workbench.core.clock import utc_now
from workbench.core.store import schema
from workbench.core.store.chunks import in_chunks


def write_memo(conn: Connection, passage_id: int, coder_id: int, text: str) -> None:
    """Create, replace or (with blank text) delete this coder's memo on a passage."""
    m = schema.memos
    now = utc_now()
    existing = conn.execute(
        select(m.c.id).where(m.c.passage_id == passage_id, m.c.coder_id == coder_id)
    ).scalar_one_or_none()
    if existing is None and text.strip():
        conn.execute(
            m.insert().values(
                passage_id=passage_id,
                coder_id=coder_id,
                text=text,
                created_at=now,
                updated_at=now,
            )
        )
    elif existing is not None and text.strip():
        conn.execute(m.update().where(m.c.id == existing).values(text=text, updated_at=now))
    elif existing is not None:
        conn.execute(m.delete().where(m.c.id == existing))


def memos_of_coder(conn: Connection, coder_id: int, passage_ids: Iterable[int]) -> dict[int, str]:
    """``{passage id: memo}`` of one coder on these passages (passages without one left out)."""
    m = schema.memos
    found: dict[int, str] = {}
    for batch in in_chunks(passage_ids):
        found.update(
            conn.execute(
                select(m.c.passage_id, m.c.text).where(
                    m.c.coder_id == coder_id, m.c.passage_id.in_(batch)
                )
            ).all()
        )
    return found


def memos_by_coder_name(conn: Connection, passage_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """Every coder's memo on these passages: ``{passage id: {coder name: memo}}``."""
    m, coders = schema.memos, schema.coders
    found: dict[int, dict[str, str]] = {}
    for batch in in_chunks(passage_ids):
        rows = conn.execute(
            select(m.c.passage_id, coders.c.name, m.c.text)
            .join(coders, coders.c.id == m.c.coder_id)
            .where(m.c.passage_id.in_(batch))
        )
        for passage_id, coder, text in rows:
            found.setdefault(passage_id, {})[coder] = text
    return found
