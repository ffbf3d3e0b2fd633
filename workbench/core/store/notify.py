"""Telling open apps that others wrote something: PostgreSQL's LISTEN/NOTIFY.

On a team server the writer announces decisions, codebook versions and settings on one channel
inside its transaction; the server delivers the notice only when that transaction commits, so a
listener never hears of work that was rolled back. A listener holds a connection of its own
(the app's pooled connections must stay free for its reads and writes) and wakes the app, which
then reads the cheap change mark as its poll would. SQLite has no such channel: there both
calls do nothing, and the app keeps polling.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

CHANNEL = "workbench_changes"


def announce(conn: Connection, what: str) -> None:
    """Notify listeners of ``what`` changed, at the commit of ``conn``'s transaction (the server
    folds repeats within a transaction into one)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_notify(:channel, :what)"), {"channel": CHANNEL, "what": what})


class Listener:
    """A connection that LISTENs on the channel; ``wait`` returns what was announced.

    Made with ``Listener.open(url)``, which returns None where there is nothing to listen to (a
    SQLite project) or the server refused, so that callers fall back to polling."""

    def __init__(self, connection) -> None:
        self._connection = connection

    @classmethod
    def open(cls, url: str) -> Listener | None:
        from sqlalchemy.engine import make_url

        try:
            parsed = make_url(url)
        except Exception:  # a path, not a URL
            return None
        if parsed.get_backend_name() != "postgresql":
            return None
        try:
            import psycopg

            connection = psycopg.connect(
                parsed.set(drivername="postgresql").render_as_string(hide_password=False),
                autocommit=True,
                connect_timeout=10,
            )
            connection.execute(f"LISTEN {CHANNEL}")
        except Exception:  # no driver, no server, no right to connect: poll instead
            return None
        return cls(connection)

    def wait(self, timeout: float) -> list[str]:
        """The notices that arrive within ``timeout`` seconds (all of those already queued, then
        none more once one has come); raises when the connection is lost."""
        found = [
            notice.payload for notice in self._connection.notifies(timeout=timeout, stop_after=1)
        ]
        while True:  # drain what arrived meanwhile without waiting again
            more = [n.payload for n in self._connection.notifies(timeout=0, stop_after=1)]
            if not more:
                return found
            found += more

    def close(self) -> None:
        self._connection.close()
