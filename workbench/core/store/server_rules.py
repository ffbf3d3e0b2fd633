"""The append-only rules on a PostgreSQL server: triggers that refuse UPDATE, DELETE, TRUNCATE
and an INSERT over an existing row of ``decisions`` and ``audit_log``.

On SQLite the triggers are part of the file (``schema.sqlite_append_only_triggers``). A server
project made before the rules existed gets them the first time it is opened for writing; one
whose rules were dropped or disabled since gets them back, and the opener is told, because
someone with the owner's rights changed them. ``verify`` reports any that are missing.
"""

from __future__ import annotations

from sqlalchemy import Connection, select, text
from sqlalchemy.exc import DBAPIError

from workbench.core.store import schema

_INSTALLED = "server_rules"  # meta key: the rules were installed once on this project


def trigger_states(conn: Connection) -> dict[str, bool]:
    """Each append-only trigger present on the server -> whether it is enabled."""
    rows = conn.execute(
        text(
            "SELECT t.tgname, t.tgenabled <> 'D' FROM pg_trigger t "
            "WHERE NOT t.tgisinternal AND t.tgrelid IN "
            "(to_regclass('decisions'), to_regclass('audit_log'))"
        )
    ).all()
    return {str(name): bool(enabled) for name, enabled in rows}


def missing_server_triggers(conn: Connection) -> list[str]:
    """The rules a PostgreSQL project lacks: triggers dropped, or disabled (named so)."""
    states = trigger_states(conn)
    missing = []
    for name in schema.append_only_trigger_names("postgresql"):
        if name not in states:
            missing.append(name)
        elif not states[name]:
            missing.append(f"{name} (disabled)")
    return missing


def install_server_rules(conn: Connection) -> None:
    """All the rules, inside the caller's transaction (``Project.create``)."""
    for statement in schema.postgres_append_only_statements():
        conn.execute(text(statement))
    conn.execute(schema.meta.insert().values(key=_INSTALLED, value="1"))


def restore_server_rules(conn: Connection, location: str) -> str | None:
    """Put back whatever rules are missing, inside the caller's transaction; returns a warning
    when rules that were once installed had gone (a project older than them gets them quietly).

    Creating a trigger needs the tables' owner: a coder's role that lacks it is told to have
    the lead open the project once, and nothing else changes.
    """
    missing = missing_server_triggers(conn)
    if not missing:
        return None
    installed = conn.execute(
        select(schema.meta.c.value).where(schema.meta.c.key == _INSTALLED)
    ).scalar_one_or_none()
    disabled = [name.split()[0] for name in missing if name.endswith("(disabled)")]
    dropped = [name for name in missing if not name.endswith("(disabled)")]
    try:
        with conn.begin_nested():
            for name in disabled:
                table = name.rsplit("_no_", 1)[0]
                conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER {name}"))
            for statement in schema.postgres_append_only_statements(dropped):
                conn.execute(text(statement))
            if installed is None:
                conn.execute(schema.meta.insert().values(key=_INSTALLED, value="1"))
    except DBAPIError as exc:
        return (
            f"{location}: the append-only rules are missing ({', '.join(missing)}) and this "
            f"role cannot create them ({str(exc.orig).splitlines()[0]}); have the tables' "
            "owner open the project once"
        )
    if installed is None:
        return None
    return (
        f"{location}: the append-only rules had been removed on the server "
        f"({', '.join(missing)}); they are back now. Run 'workbench verify {location}' to "
        "check that no record was changed meanwhile"
    )
