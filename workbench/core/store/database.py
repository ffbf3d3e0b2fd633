"""Open the database behind a project: a SQLite file by default, any SQLAlchemy URL for teams."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event


def is_url(location: str | Path) -> bool:
    return "://" in str(location)


def make_engine(location: str | Path) -> Engine:
    """An engine for ``location``; SQLite files get WAL, foreign keys and full fsync.

    ``synchronous=FULL`` in WAL mode makes every committed decision survive a crash or power
    loss; a coder makes a few decisions a second, so the fsync costs nothing they can notice.
    """
    if is_url(location):
        return create_engine(str(location), future=True)
    path = Path(location).expanduser()
    engine = create_engine(f"sqlite:///{path}", future=True)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    return engine
