"""The PostgreSQL passage index: created with the project (or by the schema-8 upgrade) and
filled as passages are imported.

Each row's document is ``to_tsvector('simple', ...)`` over the passage's words as
``search_query.index_words`` folds them, not over the raw text: PostgreSQL has no accent folding
without the ``unaccent`` extension (which needs a superuser), and folding in Python keeps the
server's matches the same as SQLite's.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, select, text

from workbench.core.store import schema
from workbench.core.store.search_query import index_words

# Rows per statement: each batch is one INSERT of two arrays (one round trip), not one
# statement per row; 5,000 passages' words are a few MB.
_BATCH = 5_000


def create_server_index(conn: Connection) -> None:
    """The index table and its GIN index (harmless when they exist)."""
    for statement in schema.server_search_index():
        conn.execute(text(statement))


def add_to_server_index(conn: Connection, passages: Iterable[tuple[int, str]]) -> int:
    """Index (passage id, passage text) pairs; returns how many.

    A batch goes as two arrays ``unnest`` turns back into rows: one statement and one round
    trip for thousands of passages, where a statement per row (``executemany``) made the index
    most of a PostgreSQL import's time.
    """
    statement = text(
        f"INSERT INTO {schema.SERVER_SEARCH_INDEX} (passage_id, document) "
        "SELECT pid, to_tsvector('simple', words) "
        "FROM unnest(CAST(:pids AS INTEGER[]), CAST(:words AS TEXT[])) AS given(pid, words) "
        "ON CONFLICT (passage_id) DO NOTHING"
    )
    pids: list[int] = []
    words: list[str] = []
    count = 0
    for pid, passage in passages:
        pids.append(pid)
        words.append(" ".join(index_words(passage)))
        if len(pids) >= _BATCH:
            conn.execute(statement, {"pids": pids, "words": words})
            count += len(pids)
            pids, words = [], []
    if pids:
        conn.execute(statement, {"pids": pids, "words": words})
        count += len(pids)
    return count


def build_server_index(conn: Connection) -> int:
    """Create the index and fill it with every passage already in the project, one
    transcript's text read at a time (a whole study's text never sits in memory)."""
    create_server_index(conn)
    t, p = schema.transcripts, schema.passages
    transcript_ids = conn.execute(select(t.c.id).order_by(t.c.id)).scalars().all()

    def passages() -> Iterable[tuple[int, str]]:
        for transcript_id in transcript_ids:
            whole = conn.execute(select(t.c.text).where(t.c.id == transcript_id)).scalar_one()
            spans = conn.execute(
                select(p.c.id, p.c.start, p.c.end).where(p.c.transcript_id == transcript_id)
            )
            for pid, start, end in spans:
                yield pid, whole[start:end]

    return add_to_server_index(conn, passages())
