"""The append-only audit log: who did what to the project, and when; written and read here."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from workbench.core.clock import utc_now
from workbench.core.store import schema
from workbench.core.store.chain import append_chained


def append_audit(
    conn: Connection,
    actor: str,
    action: str,
    detail: dict[str, object],
    *,
    chained: bool = True,
) -> None:
    """Record one event inside the caller's transaction (so it commits with the change).

    ``chained=False`` is only for upgrade steps to a schema older than the hash chain (3),
    whose table has no hash columns yet; the step to 3 chains those rows with the rest.
    """
    row = {
        "at": utc_now(),
        "actor": actor,
        "action": action,
        "detail": json.dumps(detail, ensure_ascii=False, default=str),
    }
    if chained:
        append_chained(conn, schema.audit_log, [row])
    else:
        conn.execute(schema.audit_log.insert().values(**row))


def audit_events(conn: Connection, action: str) -> list[tuple[datetime, dict[str, Any]]]:
    """``(when, detail)`` of every logged event of this action, oldest first."""
    a = schema.audit_log
    rows = conn.execute(select(a.c.at, a.c.detail).where(a.c.action == action).order_by(a.c.id))
    return [(at, json.loads(detail)) for at, detail in rows]
