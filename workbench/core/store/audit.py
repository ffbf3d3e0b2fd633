"""The append-only audit log: who did what to the project, and when."""

from __future__ import annotations

import json

from sqlalchemy import Connection

from workbench.core.clock import utc_now
from workbench.core.store import schema


def append_audit(conn: Connection, actor: str, action: str, detail: dict[str, object]) -> None:
    """Record one event inside the caller's transaction (so it commits with the change)."""
    conn.execute(
        schema.audit_log.insert().values(
            at=utc_now(),
            actor=actor,
            action=action,
            detail=json.dumps(detail, ensure_ascii=False, default=str),
        )
    )
