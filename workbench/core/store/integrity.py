"""Is the project intact? The full check behind ``workbench verify`` and the cheap one at open.

Two kinds of harm: damage (pages SQLite cannot read, from a disk or a copy gone wrong) and
tampering (a row of the append-only tables rewritten, removed, or a trigger dropped). The full
check reads every page (``PRAGMA integrity_check``) and every chained row; opening a project
reads only the chains' last rows and the trigger list, which costs the same on any size of file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, select, text
from sqlalchemy.exc import DBAPIError

from workbench.core.errors import ProjectError
from workbench.core.store import schema
from workbench.core.store.chain import ChainProblem, check_chain
from workbench.core.store.database import is_url, make_engine, shown_location
from workbench.core.store.migrations import CHAINED_FROM
from workbench.core.store.server_rules import missing_server_triggers

CHAINED_TABLES = (schema.decisions, schema.audit_log)
OPEN_TAIL = 32  # rows of each chain checked at open: a recent rewrite shows at once


def is_damage(exc: BaseException) -> bool:
    """Whether a database error means the file itself is damaged (not locked, not refused)."""
    message = str(getattr(exc, "orig", exc)).lower()
    return "malformed" in message or "not a database" in message or "corrupt" in message


def damaged_message(location: str, exc: BaseException) -> str:
    """The one line a user sees for a damaged project: what, why writing stops, the way out."""
    return (
        f"{location}: the project file is damaged ({getattr(exc, 'orig', exc)}); it is refused "
        "for writing so that nothing more is lost. Restore it from a backup ('workbench "
        f"backup {location} --list', then 'workbench restore {location} BACKUP') and run "
        f"'workbench verify {location}' to see what is wrong"
    )


def missing_triggers(conn: Connection) -> list[str]:
    """The append-only triggers the project lacks (dropped, or disabled on PostgreSQL)."""
    if conn.dialect.name == "postgresql":
        return missing_server_triggers(conn)
    if conn.dialect.name != "sqlite":
        return []
    present = set(
        conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars()
    )
    return [name for name in schema.sqlite_append_only_trigger_names() if name not in present]


def open_warnings(conn: Connection) -> list[str]:
    """What the cheap check at open finds wrong: missing triggers, a broken chain's tail.

    Raises the database's own error when the pages it reads are damaged.
    """
    warnings = [f"the trigger {name} is missing" for name in missing_triggers(conn)]
    for table in CHAINED_TABLES:
        problem = check_chain(conn, table, tail=OPEN_TAIL)
        if problem is not None:
            warnings.append(str(problem))
    return warnings


@dataclass
class VerifyReport:
    """What ``workbench verify`` found: each list empty means that part is sound."""

    location: str
    integrity: list[str] = field(default_factory=list)  # PRAGMA integrity_check, or the error
    missing_triggers: list[str] = field(default_factory=list)
    chain: list[ChainProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.integrity or self.missing_triggers or self.chain)

    def problems(self) -> list[str]:
        return (
            [f"integrity check: {line}" for line in self.integrity]
            + [f"the trigger {name} is missing" for name in self.missing_triggers]
            + [str(problem) for problem in self.chain]
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "project": self.location,
            "ok": self.ok,
            "integrity": self.integrity,
            "missing_triggers": self.missing_triggers,
            "chain": [
                {"table": p.table, "row_id": p.row_id, "reason": p.reason, "detail": p.detail}
                for p in self.chain
            ],
        }


def _check_version(conn: Connection, location: str) -> None:
    try:
        version = conn.execute(
            select(schema.meta.c.value).where(schema.meta.c.key == "schema_version")
        ).scalar_one_or_none()
    except DBAPIError:
        return  # damage or not a project: the integrity check below says which
    if version is not None and int(version) < CHAINED_FROM:
        raise ProjectError(
            f"{location}: project schema {version} has no hash chain yet; open it once "
            "normally to upgrade it, then verify"
        )


def verify_project(location: str | Path) -> VerifyReport:
    """Check everything, read-only: a damaged file is reported, never written to."""
    if not is_url(location):
        path = Path(location).expanduser()
        if not path.is_file():
            raise ProjectError(f"{path}: no such project")
    report = VerifyReport(shown_location(location))
    engine = make_engine(location, read_only=True)
    try:
        with engine.connect() as conn:
            _check_version(conn, shown_location(location))
            if conn.dialect.name == "sqlite":
                try:
                    lines = conn.execute(text("PRAGMA integrity_check")).scalars().all()
                    report.integrity = [str(line) for line in lines if line != "ok"]
                except DBAPIError as exc:
                    report.integrity = [str(exc.orig)]
            try:
                report.missing_triggers = missing_triggers(conn)
            except DBAPIError as exc:
                report.integrity.append(f"cannot list the triggers: {exc.orig}")
            for table in CHAINED_TABLES:
                try:
                    problem = check_chain(conn, table)
                except DBAPIError as exc:
                    report.integrity.append(f"cannot read {table.name}: {exc.orig}")
                    continue
                if problem is not None:
                    report.chain.append(problem)
    except DBAPIError as exc:
        report.integrity.append(str(exc.orig))
    finally:
        engine.dispose()
    return report
