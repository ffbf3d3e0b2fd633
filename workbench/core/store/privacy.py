"""Which transcripts may leave the machine: local-only ones are never sent to an LLM engine."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, select

from workbench.core.errors import ProjectError
from workbench.core.store import Project, schema
from workbench.core.store.audit import append_audit
from workbench.core.store.chunks import in_chunks


def set_local_only(
    project: Project, external_ids: list[str], local_only: bool = True, actor: str = "workbench"
) -> int:
    t = schema.transcripts
    wanted = [i.strip() for i in external_ids if i.strip()]
    with project.transaction() as conn:
        known = set(
            conn.execute(
                t.select().with_only_columns(t.c.external_id).where(t.c.external_id.in_(wanted))
            ).scalars()
        )
        missing = sorted(set(wanted) - known)
        if missing:
            raise ProjectError(f"no such transcripts: {', '.join(missing)}")
        conn.execute(t.update().where(t.c.external_id.in_(wanted)).values(local_only=local_only))
        append_audit(
            conn, actor, "privacy.local_only", {"transcripts": wanted, "local_only": local_only}
        )
    return len(wanted)


def local_only_transcripts(conn: Connection, transcript_ids: Iterable[int]) -> set[int]:
    """Those of these transcripts (row ids) marked local-only: never to be sent anywhere."""
    t = schema.transcripts
    found: set[int] = set()
    for batch in in_chunks(transcript_ids):
        found.update(
            conn.execute(
                select(t.c.id).where(t.c.id.in_(batch), t.c.local_only.is_(True))
            ).scalars()
        )
    return found


def coded_passage_ids(
    conn: Connection, transcript_ids: Iterable[int], include_local_only: bool
) -> list[int]:
    """Ids of the coded passages of these transcripts, without reading any text; with
    ``include_local_only=False`` those of local-only transcripts are left out."""
    p, t = schema.passages, schema.transcripts
    found: list[int] = []
    for batch in in_chunks(transcript_ids):
        query = select(p.c.id).where(p.c.transcript_id.in_(batch), p.c.coded.is_(True))
        if not include_local_only:
            query = query.join(t, t.c.id == p.c.transcript_id).where(t.c.local_only.is_not(True))
        found.extend(conn.execute(query).scalars())
    return found
