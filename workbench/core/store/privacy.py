"""Which transcripts may leave the machine: local-only ones are never sent to an LLM engine."""

from __future__ import annotations

from workbench.core.errors import ProjectError
from workbench.core.store import Project, schema
from workbench.core.store.audit import append_audit


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
