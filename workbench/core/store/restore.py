"""Put a backup back in place of a SQLite project, checked first and undoable.

The order is what makes it safe: the backup is copied to a staging file beside the project and
checked there (a project, a schema this release reads, SQLite's quick check, intact hash chains);
only then is the current file saved as a ``before-restore`` backup, its WAL folded in and
removed (a stale WAL left beside the restored file would be replayed onto it), and the staging
file renamed over the project in one step. Anything refused before that rename leaves the
project exactly as it was. The restore is the first entry of the restored project's audit log
after the backup's own history.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.exc import DBAPIError

from workbench.core.errors import ProjectError
from workbench.core.store import schema
from workbench.core.store.audit import append_audit
from workbench.core.store.backups import (
    backup_file,
    backups_folder,
    copy_database,
    new_backup_path,
    parse_backup_name,
    raw_copy,
    resolve_backup,
    sqlite_path,
)
from workbench.core.store.database import unwritable_reason

log = logging.getLogger(__name__)

SQLITE_HEADER = b"SQLite format 3\x00"


@dataclass(frozen=True)
class RestoreResult:
    """What a restore did: which copy came back, and where the replaced state was saved."""

    project: Path
    backup: Path
    saved_as: Path | None  # the before-restore copy of what was replaced (None: no file was there)
    schema_version: int

    def to_dict(self) -> dict[str, object]:
        return {
            "project": str(self.project),
            "restored_from": str(self.backup),
            "before_restore": str(self.saved_as) if self.saved_as else None,
            "schema_version": self.schema_version,
        }


def _refuse(backup: Path, why: str) -> ProjectError:
    return ProjectError(f"{backup}: not restored, {why}; the project is unchanged")


def check_backup_file(staging: Path, backup: Path) -> int:
    """Refuse what is not a sound workbench project; returns its schema version."""
    from workbench.core.store.integrity import open_warnings
    from workbench.core.store.migrations import CHAINED_FROM

    engine = create_engine(f"sqlite:///{staging}", future=True)
    try:
        with engine.connect() as conn:
            damage = [
                str(line)
                for line in conn.execute(text("PRAGMA quick_check")).scalars()
                if line != "ok"
            ]
            if damage:
                raise _refuse(backup, f"the copy is damaged ({damage[0]})")
            if not inspect(conn).has_table("meta"):
                raise _refuse(backup, "it is not a workbench project (no project tables)")
            raw = conn.execute(
                select(schema.meta.c.value).where(schema.meta.c.key == "schema_version")
            ).scalar_one_or_none()
            version = int(raw) if raw is not None and str(raw).isdigit() else 0
            if not 1 <= version <= schema.SCHEMA_VERSION:
                raise _refuse(backup, f"its project schema ({raw}) is not one this workbench reads")
            if version >= CHAINED_FROM:
                problems = open_warnings(conn)
                if problems:
                    raise _refuse(backup, f"its record is not intact: {'; '.join(problems)}")
    except DBAPIError as exc:
        raise _refuse(backup, f"SQLite cannot read it ({exc.orig})") from exc
    finally:
        engine.dispose()
    return version


def _stage(backup: Path, staging: Path) -> int:
    """Copy the backup beside the project as a standalone file (no WAL) and check the copy."""
    try:
        with backup.open("rb") as handle:
            header = handle.read(16)
    except OSError as exc:
        raise _refuse(backup, f"it cannot be read ({exc.strerror})") from exc
    if header != SQLITE_HEADER:
        raise _refuse(backup, "it is not a workbench project (not a SQLite database)")
    try:
        copy_database(backup, staging, unchanging=True)  # a backup: no -wal/-shm left beside it
        with contextlib.closing(sqlite3.connect(staging)) as conn:
            conn.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as exc:
        raise _refuse(backup, f"SQLite cannot read it ({exc})") from exc
    return check_backup_file(staging, backup)


def _save_current(path: Path) -> Path:
    """The before-restore copy; a file SQLite cannot read (the usual reason to restore) is
    kept byte for byte, with its WAL, rather than refused."""
    try:
        return backup_file(path, "before-restore")
    except ProjectError as online_error:
        try:
            backups_folder(path).mkdir(exist_ok=True)
            target = new_backup_path(backups_folder(path), "before-restore")
            raw_copy(path, target)
            wal = path.with_name(path.name + "-wal")
            if wal.is_file():
                raw_copy(wal, target.with_name(target.name + "-wal"))
        except OSError as exc:
            raise ProjectError(
                f"{path}: not restored, the current file could not be saved first "
                f"({online_error}; {exc}); the project is unchanged"
            ) from exc
        log.warning("%s: saved byte for byte as %s (%s)", path, target, online_error)
        return target


def _fold_wal(path: Path) -> None:
    """Fold the WAL into the file and remove it and the shared-memory file.

    Both belong to the file being replaced: left beside the restored one, SQLite would replay
    that WAL onto it. A damaged file may refuse the checkpoint; it is saved already.
    """
    if not path.is_file():
        return
    with contextlib.suppress(sqlite3.Error), contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def restore(
    project_path: str | Path, backup: str | Path, actor: str = "workbench"
) -> RestoreResult:
    """Replace the project with ``backup`` (a path, or a name in its backups folder).

    Close the project everywhere first (the app, other commands): a process still holding the
    old file would keep writing to it, not to the restored one.
    """
    from workbench.core.store.project import Project  # the project module imports the store

    path = sqlite_path(project_path)
    source = resolve_backup(path, backup)
    if path.is_dir():
        raise ProjectError(f"{path}: is a folder, not a project file")
    if path.exists() and source.resolve() == path.resolve():
        raise ProjectError(f"{source}: is the project itself, not a backup of it")
    # A read-only project was made so on purpose (or lives on read-only media): restoring would
    # replace it with a writable file, so it is refused, as every other write to it is.
    unwritable = unwritable_reason(path) if path.exists() else None
    if unwritable is None and not os.access(path.resolve().parent, os.W_OK | os.X_OK):
        unwritable = f"its folder {path.resolve().parent} is read-only"
    if unwritable:
        raise ProjectError(f"{path}: not restored, {unwritable}; the project is unchanged")
    staging = path.with_name(f".{path.name}.restoring")
    try:
        version = _stage(source, staging)
        saved = _save_current(path) if path.exists() else None
        _fold_wal(path)
        os.replace(staging, path)
    finally:
        staging.unlink(missing_ok=True)
    parsed = parse_backup_name(source)
    with Project.open(path) as project, project.transaction() as conn:
        append_audit(
            conn,
            actor,
            "project.restore",
            {
                "from": source.name,
                "backup_taken_at": parsed.taken_at.isoformat() if parsed else None,
                "backup_reason": parsed.reason if parsed else None,
                "before_restore": saved.name if saved else None,
            },
        )
    log.info("%s: restored from %s", path, source)
    return RestoreResult(path, source, saved, version)
