"""Open the database behind a project: a SQLite file by default, any SQLAlchemy URL for teams."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import Engine, create_engine, event


def is_url(location: str | Path) -> bool:
    return "://" in str(location)


def make_engine(location: str | Path, read_only: bool = False) -> Engine:
    """An engine for ``location``; SQLite files get WAL, foreign keys and full fsync.

    ``synchronous=FULL`` in WAL mode makes every committed decision survive a crash or power
    loss; a coder makes a few decisions a second, so the fsync costs nothing they can notice.
    ``read_only`` opens a SQLite file with ``mode=ro``, so SQLite itself refuses any write a
    bug might attempt (a server URL relies on ``Project``'s own refusal).
    """
    if is_url(location):
        return create_engine(str(location), future=True)
    path = Path(location).expanduser()
    if read_only:
        uri = f"{path.resolve().as_uri()}?mode=ro"
        engine = create_engine(
            f"sqlite:///{path}",
            creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False),
            future=True,
        )
    else:
        engine = create_engine(f"sqlite:///{path}", future=True)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if not read_only:  # switching the journal is a write; a reader takes the file as it is
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    return engine
