"""Open the database behind a project: a SQLite file by default, any SQLAlchemy URL for teams."""

from __future__ import annotations

import os
import re
import sqlite3
import time
from pathlib import Path
from typing import cast

from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.exc import OperationalError

from workbench.core.errors import ProjectBusyError
from workbench.core.store.busy import busy_message

# How long a writer waits for another process's write transaction before giving up. An import
# commits at least every few seconds (``ingest.files._COMMIT_SECONDS``), so a writer waiting
# behind one gets its turn well within this; only a single huge table file, stored all or
# nothing, can hold the lock longer.
BUSY_TIMEOUT_MS = 30_000
_SLICE_MS = 100  # one uninterruptible wait of SQLite's inside that
_WRITE = "workbench_write"  # execution option: this connection's transactions write


def is_url(location: str | Path) -> bool:
    return "://" in str(location)


def shown_location(location: str | Path) -> str:
    """The location as it may be printed, written to a report or logged: a server URL with its
    password masked, so no output a user hands on carries the database's credentials."""
    if not is_url(location):
        return str(location)
    try:
        return make_url(str(location)).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy reads: mask everything between '//' and '@'
        return re.sub(r"//[^/@]*@", "//***@", str(location))


def make_engine(location: str | Path, read_only: bool = False) -> Engine:
    """An engine for ``location``; SQLite files get WAL, foreign keys and full fsync.

    ``synchronous=FULL`` in WAL mode makes every committed decision survive a crash or power
    loss; a coder makes a few decisions a second, so the fsync costs nothing they can notice.
    ``read_only`` opens a SQLite file with ``mode=ro``, so SQLite itself refuses any write a
    bug might attempt; on PostgreSQL every transaction is begun READ ONLY, so the server does.
    """
    if is_url(location):
        if read_only and str(location).startswith("postgresql"):
            return create_engine(
                str(location), future=True, execution_options={"postgresql_readonly": True}
            )
        return create_engine(str(location), future=True)
    path = Path(location).expanduser()
    if read_only:
        uri = read_only_uri(path)
        engine = create_engine(
            f"sqlite:///{path}",
            creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False),
            future=True,
        )
    else:
        engine = create_engine(f"sqlite:///{path}", future=True)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if not read_only:  # switching the journal is a write; a reader takes the file as it is
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms()}")
        cursor.close()
        # The driver's own transaction handling would BEGIN only before the first INSERT,
        # after the reads a writer bases its rows on; the transactions are begun below instead.
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # A writer takes the write lock up front, before it reads the chain head it will link
        # to: two writers then queue instead of forking the chain, and a second writer waits
        # rather than failing late when it upgrades a read lock. Readers stay deferred and
        # never wait for a writer (WAL).
        if conn.get_execution_options().get(_WRITE, False):
            _wait_for_write_lock(
                cast(sqlite3.Connection, conn.connection.dbapi_connection), str(path)
            )
        else:
            conn.exec_driver_sql("BEGIN")

    return engine


def unwritable_reason(path: Path) -> str | None:
    """Why SQLite could not write a project file (None: it can), checked before any write.

    SQLite writes beside the file as well as into it (its -wal, -shm and journal), so a project
    in a read-only folder (an archive, a read-only share) cannot be written even where the file
    itself could be.
    """
    folder = path.resolve().parent
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"its folder {folder} is read-only"
    if not os.access(path, os.W_OK):
        return "the file is read-only"
    return None


def read_only_uri(path: Path, unchanging: bool = False) -> str:
    """The URI that opens a SQLite file read-only, leaving nothing beside it where it can.

    A WAL-mode file is read through a shared-memory file (-shm) created beside it, which a
    read-only folder does not allow, and which a reader leaves behind. ``immutable=1`` reads
    without it; it is used for a file nobody writes: one whose folder is read-only (no writer
    can work there), one without a write permission for anyone (``chmod 444``: a workbench
    refuses to write it, and a reader would otherwise leave -wal and -shm in a writable
    folder) and one the caller knows is ``unchanging`` (a backup). A file whose -wal holds
    commits, or with a -shm (a process has it open), is not read that way: commits would be
    missed.
    """
    uri = f"{path.resolve().as_uri()}?mode=ro"
    wal = path.with_name(path.name + "-wal")
    pending = wal.is_file() and wal.stat().st_size > 0
    shared = path.with_name(path.name + "-shm").exists()
    folder_locked = not os.access(path.resolve().parent, os.W_OK | os.X_OK)
    nobody_writes = path.is_file() and not path.stat().st_mode & 0o222
    if not pending and (unchanging or ((folder_locked or nobody_writes) and not shared)):
        uri += "&immutable=1"
    return uri


def busy_timeout_ms() -> int:
    """The lock wait; ``WORKBENCH_BUSY_TIMEOUT_MS`` shortens it (tests of the busy message)."""
    raw = os.environ.get("WORKBENCH_BUSY_TIMEOUT_MS", "")
    return int(raw) if raw.isdigit() else BUSY_TIMEOUT_MS


def _wait_for_write_lock(dbapi_connection: sqlite3.Connection, location: str) -> None:
    """BEGIN IMMEDIATE, retried in short slices until the busy timeout has passed.

    SQLite's own wait would be one uninterruptible C call: Ctrl-C would go unheard for the
    whole timeout. Between slices Python runs, so KeyboardInterrupt stops the wait. Within a
    slice SQLite retries every few ms, so the lock is taken soon after it is released.
    """
    deadline = time.monotonic() + busy_timeout_ms() / 1000
    dbapi_connection.execute(f"PRAGMA busy_timeout={_SLICE_MS}")
    try:
        while True:
            try:
                dbapi_connection.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not is_locked(exc) or time.monotonic() >= deadline:
                    if is_locked(exc):
                        raise ProjectBusyError(busy_message(location)) from exc
                    raise
    finally:
        dbapi_connection.execute(f"PRAGMA busy_timeout={busy_timeout_ms()}")


def begin_writing(conn: Connection, location: str) -> None:
    """Begin a write transaction on ``conn``, waiting for the write lock (SQLite).

    A wait that runs out is a ProjectBusyError that says who is writing, when that is known,
    instead of the driver's "database is locked".
    """
    conn.execution_options(**{_WRITE: True})
    try:
        conn.begin()
        if conn.dialect.name == "postgresql":
            take_server_write_lock(conn)
    except OperationalError as exc:  # a lock timeout met later than the BEGIN
        if conn.in_transaction():
            conn.rollback()
        if is_locked(exc):
            raise ProjectBusyError(busy_message(location)) from exc
        raise


# Any 64-bit number the project's writers agree on; "wb" in ASCII, so a DBA can tell it apart.
WRITE_LOCK_KEY = 0x7762


def take_server_write_lock(conn: Connection) -> None:
    """PostgreSQL's BEGIN IMMEDIATE: one writer at a time, queued, for this transaction.

    Writers read the chain's last row and then insert the next id: two at once would both
    pick the same id, and the second would fail with a duplicate key after its work. A
    transaction-level advisory lock makes the second wait for the first to commit, and it
    goes with the commit or rollback. ``lock_timeout`` bounds the wait like SQLite's.
    """
    conn.exec_driver_sql(f"SET LOCAL lock_timeout = {busy_timeout_ms()}")
    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")


def is_locked(exc: BaseException) -> bool:
    """Whether a database error is a lock wait that ran out (SQLite's "database is locked",
    PostgreSQL's lock_timeout)."""
    text = str(getattr(exc, "orig", exc)).lower()
    if getattr(getattr(exc, "orig", None), "sqlstate", None) == "55P03":  # PostgreSQL lock_timeout
        return True
    return "database is locked" in text or "database is busy" in text


def pending_wal_hint(location: str | Path) -> str:
    """Why a project copied to read-only media with its -wal file cannot be read there: SQLite
    must write a -shm beside a -wal that holds commits, and the folder refuses it."""
    path = Path(str(location))
    wal = path.with_name(path.name + "-wal")
    if not (wal.is_file() and wal.stat().st_size > 0):
        return ""
    if os.access(path.resolve().parent, os.W_OK):
        return ""
    return (
        f" ({wal.name} holds changes not yet written into the project, and SQLite needs to "
        "write beside it to read them, which this folder does not allow; copy the project with "
        "its -wal file to a writable folder and open it there once)"
    )
