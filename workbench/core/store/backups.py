"""Backups of a SQLite project: taken before every risky operation, kept as a rolling set.

Every copy lives in one folder beside the project (``study.wb`` -> ``study.wb.backups/``), named
by when it was taken (UTC) and why: ``20261130T051500Z-import.wb``. The copy is made with
SQLite's online backup API, so it is consistent even while the app is writing, and it is
written under a temporary name first, so a killed backup never looks like a finished one.

The folder keeps the newest ``DEFAULT_KEEP`` copies. The copies taken before a schema upgrade
(``before-schema-N``) are kept apart from that count and never deleted by it: there is one per
upgrade, and it is the only way back to the file an older release can still open.

A project on a database server gets no file backups: the server's own tools (``pg_dump``) do
that job, and the automatic hooks here do nothing for it.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.core.clock import utc_now
from workbench.core.errors import ProjectError
from workbench.core.store.database import is_url, read_only_uri

if TYPE_CHECKING:
    from workbench.core.store.project import Project

log = logging.getLogger(__name__)

DEFAULT_KEEP = 10
SCHEMA_REASON_PREFIX = "before-schema-"  # kept apart from the rolling set
_STAMP = "%Y%m%dT%H%M%SZ"
# 20261130T051500Z-import.wb, or 20261130T051500Z-2-import.wb for a second one in that second
_NAME = re.compile(r"^(?P<stamp>\d{8}T\d{6}Z)(?:-(?P<seq>\d+))?-(?P<reason>[a-z][a-z0-9-]*)\.wb$")
_REASON = re.compile(r"^[a-z][a-z0-9-]{0,39}$")


@dataclass(frozen=True)
class Backup:
    """One copy in a project's backups folder."""

    path: Path
    taken_at: datetime
    sequence: int  # orders copies taken in the same second
    reason: str
    size: int

    @property
    def rolling(self) -> bool:
        """Whether the rolling set may delete it (schema-upgrade copies are kept)."""
        return not self.reason.startswith(SCHEMA_REASON_PREFIX)

    def to_dict(self) -> dict[str, object]:
        return {
            "path": str(self.path),
            "name": self.path.name,
            "taken_at": self.taken_at.isoformat(),
            "reason": self.reason,
            "bytes": self.size,
        }


def backups_folder(project_path: str | Path) -> Path:
    """Where a project's backups live: beside it, named after the whole file name."""
    path = Path(project_path).expanduser()
    return path.with_name(f"{path.name}.backups")


def sqlite_path(location: str | Path) -> Path:
    if is_url(location):
        raise ProjectError(
            f"{location}: a project on a database server has no file backups; use the "
            "server's own tools (pg_dump for PostgreSQL)"
        )
    return Path(location).expanduser()


def parse_backup_name(path: Path) -> Backup | None:
    match = _NAME.match(path.name)
    if match is None:
        return None
    try:
        taken_at = datetime.strptime(match["stamp"], _STAMP).replace(tzinfo=UTC)
        size = path.stat().st_size
    except (ValueError, OSError):
        return None
    return Backup(path, taken_at, int(match["seq"] or 1), match["reason"], size)


def list_backups(project_path: str | Path) -> list[Backup]:
    """The project's backups, newest first; files in the folder that are not backups are ignored."""
    folder = backups_folder(sqlite_path(project_path))
    if not folder.is_dir():
        return []
    found = [
        b
        for b in map(parse_backup_name, folder.iterdir())
        if b is not None and b.path.is_file() and b.size > 0  # empty: a name being reserved
    ]
    return sorted(found, key=lambda b: (b.taken_at, b.sequence), reverse=True)


def new_backup_path(folder: Path, reason: str) -> Path:
    """A fresh name; copies taken in the same second are numbered in the order they were taken."""
    stamp = utc_now().strftime(_STAMP)
    same_second = (parse_backup_name(p) for p in folder.glob(f"{stamp}-*.wb"))
    sequence = 1 + max((b.sequence for b in same_second if b is not None), default=0)
    while True:
        seq = "" if sequence == 1 else f"-{sequence}"
        target = folder / f"{stamp}{seq}-{reason}.wb"
        try:  # reserve the name: two processes backing up in the same second never share it
            target.touch(exist_ok=False)
            return target
        except FileExistsError:
            sequence += 1


def copy_database(source: Path, target: Path, unchanging: bool = False) -> None:
    """A consistent copy through SQLite's online backup, written under a temporary name first.

    The copy is one self-contained file (rollback journal, not WAL): reading it later, to
    restore it, leaves no -wal or -shm beside it. ``unchanging`` says nobody writes ``source``
    (a backup), so it is read without a shared-memory file, even on read-only media.
    """
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        reader = sqlite3.connect(read_only_uri(source, unchanging=unchanging), uri=True)
        try:
            writer = sqlite3.connect(partial)
            try:
                reader.backup(writer)
                writer.execute("PRAGMA journal_mode=DELETE")
            finally:
                writer.close()
        finally:
            reader.close()
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def backup_file(project_path: str | Path, reason: str, keep: int = DEFAULT_KEEP) -> Path:
    """Copy a SQLite project into its backups folder and prune the rolling set to ``keep``.

    Refuses a server URL with the way to back it up instead. A copy that cannot be written
    (disk full, no permission) raises, so the risky operation it guards does not start.
    """
    path = sqlite_path(project_path)
    if not _REASON.match(reason):
        raise ValueError(f"backup reason {reason!r}: lowercase letters, digits and '-'")
    if keep < 1:
        raise ValueError("keep at least one backup")
    if path.is_dir():
        raise ProjectError(f"{path}: is a folder, not a project file")
    if not path.is_file():
        raise ProjectError(f"{path}: no such project to back up")
    try:
        with path.open("rb") as handle:
            if handle.read(16) != b"SQLite format 3\x00":
                raise ProjectError(f"{path}: not a workbench project (not a SQLite database)")
    except OSError as exc:
        raise ProjectError(f"{path}: cannot read the project: {exc.strerror}") from exc
    folder = backups_folder(path)
    try:
        folder.mkdir(exist_ok=True)
        target = new_backup_path(folder, reason)
        try:
            copy_database(path, target)
        except BaseException:
            target.unlink(missing_ok=True)  # the reserved name, left empty
            raise
    except (sqlite3.Error, OSError) as exc:
        raise ProjectError(f"{path}: cannot write a backup into {folder}: {exc}") from exc
    _prune(path, keep, spare=target)
    log.info("%s: backup %s", path, target)
    return target


def _prune(project_path: Path, keep: int, spare: Path) -> None:
    """Delete the oldest rolling copies beyond ``keep``; never ``spare`` (the one just made)."""
    rolling = [b for b in list_backups(project_path) if b.rolling]
    for backup in rolling[keep:]:
        if backup.path == spare:
            continue
        try:
            backup.path.unlink()
            for suffix in ("-wal", "-shm"):  # left by a reader of an older (WAL-mode) copy
                backup.path.with_name(backup.path.name + suffix).unlink(missing_ok=True)
        except OSError as exc:  # a copy kept too long harms nothing; say so and go on
            log.warning("%s: cannot delete the old backup: %s", backup.path, exc)


def take_backup(project: Project, reason: str, keep: int = DEFAULT_KEEP) -> Path | None:
    """The hook before a risky operation (import, codebook migration, merge): back up first.

    Returns None where there is nothing to copy: a server project (its own tools back it up)
    or one opened read-only (nothing will be written). A project that cannot be written is
    refused here, before the copy: a failed write must not push a useful copy out of the set.
    """
    if project.unwritable:
        raise ProjectError(
            f"{project.shown_location}: cannot write, {project.unwritable}; nothing was written"
        )
    if is_url(project.location) or project.read_only:
        return None
    return backup_file(project.location, reason, keep)


def resolve_backup(project_path: str | Path, backup: str | Path) -> Path:
    """The backup a user named: a path, or a file name inside the project's backups folder."""
    given = Path(backup).expanduser()
    if given.is_file():
        return given
    inside = backups_folder(sqlite_path(project_path)) / given.name
    if given.parent == Path(".") and inside.is_file():
        return inside
    raise ProjectError(
        f"{backup}: no such backup (list them with 'workbench backup {project_path} --list')"
    )


def raw_copy(source: Path, target: Path) -> None:
    """A byte copy, for a file SQLite cannot read: kept as it was, for whoever looks into it."""
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        shutil.copyfile(source, partial)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def utc_stamp(moment: datetime) -> str:
    """How a backup's time is shown: UTC, to the second."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
