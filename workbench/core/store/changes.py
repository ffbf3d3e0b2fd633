"""A cheap mark of what others have written, for an open app to notice their work.

Two index look-ups: the newest decision's id (decisions are append-only, so a new one always
raises it) and the number of codebook versions; plus the settings text, which carries roles,
assignments and blind coding. Comparing marks tells the app what to re-read, so it never
re-reads a whole transcript list on a timer.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from workbench.core.store import schema


@dataclass(frozen=True)
class ChangeMark:
    last_decision: int
    codebook_versions: int
    settings: str


def change_mark(conn: Connection) -> ChangeMark:
    return ChangeMark(
        last_decision=int(conn.execute(select(func.max(schema.decisions.c.id))).scalar() or 0),
        codebook_versions=int(
            conn.execute(select(func.count()).select_from(schema.codebook_versions)).scalar_one()
        ),
        settings=str(
            conn.execute(
                select(schema.meta.c.value).where(schema.meta.c.key == "settings")
            ).scalar_one()
        ),
    )
