"""Schema migrations: a project written by an older release opens in this one, upgraded in place.

Each step takes the schema from version N to N + 1 inside one transaction, so a failed step
leaves the project as it was. A SQLite project is copied first into its backups folder
(``study.wb.backups/<time>-before-schema-N.wb``, see workbench.core.store.backups); the copy is
the way back if anything looks wrong, and the rolling set never deletes it. A PostgreSQL
project is copied into a schema of its own on the same server first (``server_snapshot``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Connection, Engine, bindparam, func, inspect, select, text

from workbench.core.clock import utc_now
from workbench.core.errors import DecisionError, ProjectError
from workbench.core.store import chain, schema
from workbench.core.store.audit import append_audit
from workbench.core.store.backups import SCHEMA_REASON_PREFIX, backup_file
from workbench.core.store.coding import CoderKind, engine_coder_name, ensure_coder
from workbench.core.store.database import take_server_write_lock

log = logging.getLogger(__name__)


def _engines_become_coders(conn: Connection) -> dict[str, object]:
    """Schema 1 -> 2: one engine coder per engine and model, named on every suggestion run.

    Schema 1 made a pseudo-coder of every (engine, model) pair, and the local engine's model
    named its retrain (``tfidf-prototypes-73``), so each retrain counted as a coder. Here the
    local engine becomes one coder, ``engine:local``; any other engine one per model.
    """
    conn.execute(
        text("ALTER TABLE suggestion_runs ADD COLUMN coder_id INTEGER REFERENCES coders(id)")
    )
    conn.execute(
        text("CREATE INDEX ix_suggestion_runs_coder ON suggestion_runs (coder_id, passage_id)")
    )
    conn.execute(text("UPDATE coders SET kind = 'engine' WHERE kind = 'llm'"))
    runs = schema.suggestion_runs
    pairs = conn.execute(select(runs.c.engine, runs.c.model).distinct()).all()
    raters: dict[str, list[str]] = {}
    for engine, model in pairs:
        rater = "local" if engine == "local" else f"{engine}/{model}"
        try:
            coder_id = ensure_coder(conn, engine_coder_name(rater), CoderKind.ENGINE)
        except DecisionError as exc:
            raise ProjectError(f"cannot name the engine coder: {exc}") from exc
        conn.execute(
            runs.update()
            .where(runs.c.engine == engine, runs.c.model == model)
            .values(coder_id=coder_id)
        )
        raters.setdefault(engine_coder_name(rater), []).append(f"{engine}/{model}")
    return {"engine coders": raters}


def _chain_the_logs(conn: Connection) -> dict[str, object]:
    """Schema 2 -> 3: hash columns on decisions and the audit log, chained over the rows there.

    The append-only triggers refuse the UPDATE that fills the hashes in, so they are dropped
    and created again (with the new no-replace one) inside this step's transaction.
    """
    sqlite = conn.dialect.name == "sqlite"
    postgres = conn.dialect.name == "postgresql"
    if sqlite:
        for name in ("decisions_no_update", "decisions_no_delete"):
            conn.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
        for name in ("audit_log_no_update", "audit_log_no_delete"):
            conn.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
    elif postgres:  # a server's rules, if any, are off for this transaction only
        for table_name in schema.APPEND_ONLY_TABLES:
            conn.execute(text(f"ALTER TABLE {table_name} DISABLE TRIGGER USER"))
    chained: dict[str, int] = {}
    for table in (schema.decisions, schema.audit_log):
        for column in chain.HASH_COLUMNS:
            conn.execute(text(f"ALTER TABLE {table.name} ADD COLUMN {column} VARCHAR(64)"))
        rows = chain.chain_rows(
            table, chain.stored_rows(conn, table), 0, chain.GENESIS, keep_ids=True
        )
        if rows:
            conn.execute(
                table.update()
                .where(table.c.id == bindparam("row_id"))
                .values(prev_hash=bindparam("prev"), row_hash=bindparam("hash")),
                [{"row_id": r["id"], "prev": r["prev_hash"], "hash": r["row_hash"]} for r in rows],
            )
        chained[table.name] = len(rows)
    if sqlite:
        for statement in schema.sqlite_append_only_triggers():
            conn.execute(text(statement))
    elif postgres:
        for table_name in schema.APPEND_ONLY_TABLES:
            conn.execute(text(f"ALTER TABLE {table_name} ENABLE TRIGGER USER"))
    return {"rows chained": chained}


def _codebook_migration_tables(conn: Connection) -> dict[str, object]:
    """Schema 3 -> 4: the tables codebook migrations write (nothing to fill: none ran before)."""
    for table in (schema.archived_codings, schema.review_flags):
        table.create(conn, checkfirst=True)
    return {"tables added": ["archived_codings", "review_flags"]}


def _suggestion_model_snapshots(conn: Connection) -> dict[str, object]:
    """Schema 4 -> 5: each suggestion may name the exact model snapshot the API reported.

    Older suggestions keep NULL there: the alias they were asked of is all that was known.
    """
    conn.execute(text("ALTER TABLE suggestions ADD COLUMN model_snapshot VARCHAR(128)"))
    return {"column added": "suggestions.model_snapshot"}


def _backup_name(backup: Path | str | None) -> str | None:
    return backup.name if isinstance(backup, Path) else backup


def _passage_search_index(conn: Connection) -> dict[str, object]:
    """Schema 5 -> 6: the full-text index of passages, built from the passages already there.

    A server project gets no index here: its search is not built yet (see ``search``).
    """
    if conn.dialect.name != "sqlite":
        return {"search index": "none (server project)"}
    for statement in schema.sqlite_search_index():
        conn.execute(text(statement))
    conn.execute(
        text(f"INSERT INTO {schema.SEARCH_INDEX}({schema.SEARCH_INDEX}) VALUES ('rebuild')")
    )
    indexed = conn.execute(select(func.count()).select_from(schema.passages)).scalar_one()
    return {"search index": schema.SEARCH_INDEX, "passages indexed": indexed}


def _decision_arms(conn: Connection) -> dict[str, object]:
    """Schema 6 -> 7: each decision may name its anchoring-experiment arm.

    Older decisions keep NULL there, which the hash chain leaves out of a row's canonical form
    (``chain.LATER_COLUMNS``), so they verify as before. ADD COLUMN is no UPDATE or DELETE:
    the append-only triggers (and a server's rules) let it through.
    """
    if "arm" in {column["name"] for column in inspect(conn).get_columns("decisions")}:
        return {"column added": "none (decisions.arm was there)"}
    conn.execute(text("ALTER TABLE decisions ADD COLUMN arm VARCHAR(8)"))
    return {"column added": "decisions.arm"}


def _spans_and_translations(conn: Connection) -> dict[str, object]:
    """Schema 7 -> 8: decisions (and memos) may be about a selection inside a passage, and a
    decision says whether a machine translation was shown; the tables of coded spans and
    passage translations.

    Older decisions keep NULL in the new columns (left out of the hash, see ``chain``)."""
    present = {column["name"] for column in inspect(conn).get_columns("decisions")}
    added = []
    for name, kind in (
        ("span_start", "INTEGER"),
        ("span_end", "INTEGER"),
        ("translation_shown", "BOOLEAN"),
    ):
        if name not in present:
            conn.execute(text(f"ALTER TABLE decisions ADD COLUMN {name} {kind}"))
            added.append(f"decisions.{name}")
    memo_columns = {column["name"] for column in inspect(conn).get_columns("memos")}
    for name in ("span_start", "span_end"):
        if name not in memo_columns:
            conn.execute(text(f"ALTER TABLE memos ADD COLUMN {name} INTEGER"))
            added.append(f"memos.{name}")
    for table in (schema.coded_spans, schema.passage_translations):
        table.create(conn, checkfirst=True)
    detail: dict[str, object] = {
        "columns added": added,
        "tables added": ["coded_spans", "passage_translations"],
    }
    return detail | _server_search_index(conn)


def _server_search_index(conn: Connection) -> dict[str, object]:
    """Schema 8 (PostgreSQL): the passage search index, built from the passages already there.

    Part of step 7 -> 8 because schema 8 was not released without it; a SQLite project has had
    its index since schema 6."""
    if conn.dialect.name != "postgresql":
        return {}
    from workbench.core.store.server_search import build_server_index

    indexed = build_server_index(conn)
    return {"search index": schema.SERVER_SEARCH_INDEX, "passages indexed": indexed}


# version N -> the step that makes it N + 1
STEPS: dict[int, Callable[[Connection], dict[str, object]]] = {
    1: _engines_become_coders,
    2: _chain_the_logs,
    3: _codebook_migration_tables,
    4: _suggestion_model_snapshots,
    5: _passage_search_index,
    6: _decision_arms,
    7: _spans_and_translations,
}
CHAINED_FROM = 3  # the first schema whose audit log carries hashes


def server_snapshot(engine: Engine, version: int) -> str:
    """Copy every table of a PostgreSQL project into a schema of its own, in one transaction;
    returns the schema's name (``workbench_before_schema_N_<time>``).

    The server's copy of a file backup: it needs no access to the server's disk and no rights
    beyond creating a schema, and ``pg_dump -n`` or a ``SET search_path`` reads it back.
    """
    name = f"workbench_before_schema_{version + 1}_{utc_now().strftime('%Y%m%dT%H%M%S')}"
    with engine.begin() as conn:
        take_server_write_lock(conn)
        conn.execute(text(f"CREATE SCHEMA {name}"))
        for table in inspect(conn).get_table_names():
            conn.execute(text(f'CREATE TABLE {name}."{table}" AS TABLE "{table}"'))
    return name


def migrate(
    engine: Engine, location: str, version: int, sqlite_path: Path | None
) -> Path | str | None:
    """Upgrade the project from ``version`` to the current schema; returns where the copy
    taken first is: a file's backup path, or a server project's snapshot schema."""
    backup: Path | str | None = None
    if sqlite_path is not None:
        backup = backup_file(sqlite_path, f"{SCHEMA_REASON_PREFIX}{schema.SCHEMA_VERSION}")
    elif engine.dialect.name == "postgresql":
        backup = server_snapshot(engine, version)
    while version < schema.SCHEMA_VERSION:
        step = STEPS.get(version)
        if step is None:
            raise ProjectError(f"{location}: no upgrade from project schema {version}")
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # two coders opening an old project at once: the second waits, then finds the
                # step done by the first instead of running it again
                take_server_write_lock(conn)
                now = int(
                    conn.execute(
                        select(schema.meta.c.value).where(schema.meta.c.key == "schema_version")
                    ).scalar_one()
                )
                if now > version:
                    version = now
                    continue
            detail = step(conn)
            conn.execute(
                schema.meta.update()
                .where(schema.meta.c.key == "schema_version")
                .values(value=str(version + 1))
            )
            detail.update({"from": version, "to": version + 1, "backup": _backup_name(backup)})
            append_audit(
                conn,
                "workbench",
                "project.migrate",
                detail,
                chained=version + 1 >= CHAINED_FROM,
            )
        log.info("%s: project schema %d upgraded to %d", location, version, version + 1)
        version += 1
    return backup
