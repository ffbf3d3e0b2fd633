"""The writes of an import: new transcripts, their passages, metadata, and the duplicates check.

Which files to read, how to parse and cut them and what to keep is decided in
``workbench.core.ingest``; this module only runs the statements, inside the transaction the
ingest gives it (``ImportConnection``), so that only the store speaks SQL.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, repeat
from typing import Any

from sqlalchemy import Column, Connection, Table, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from workbench.core.clock import utc_now
from workbench.core.readers import ParsedTranscript
from workbench.core.segmenter import Cut
from workbench.core.store import schema
from workbench.core.store.chain import append_chained
from workbench.core.store.chunks import in_chunks
from workbench.core.store.database import begin_writing
from workbench.core.store.project import Project
from workbench.core.store.server_search import add_to_server_index

# After each commit an import leaves the write lock free for a moment (longer than a waiting
# writer's retries, a few ms apart: see ``database._wait_for_write_lock``) for it to take.
_TURN_SECONDS = 0.05
# Passages an import must add before PostgreSQL's statistics are refreshed (see
# ``ImportConnection.refresh_statistics``); a small import leaves them to autovacuum.
ANALYZE_AFTER_PASSAGES = 10_000

# Names that moved to ``workbench.core.ingest`` (issue 11), still importable from here because
# dozens of tests import them so; resolved on use, since the ingest imports this module.
_MOVED_TO_INGEST = frozenset(
    {
        "FileImportResult",
        "ImportOutcome",
        "MetadataImportResult",
        "expand_paths",
        "import_files",
        "import_metadata_file",
        "import_transcript_file",
        "store_transcripts",
    }
)


def __getattr__(name: str) -> Any:
    if name in _MOVED_TO_INGEST:
        from workbench.core import ingest

        return getattr(ingest, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class ImportConnection:
    """The one connection an import writes through, and its transaction and savepoint.

    The ingest decides when to begin, commit and roll back; this holds how: the write lock is
    taken only when the first batch is stored, and a commit hands the lock to a waiting writer.
    """

    def __init__(self, project: Project) -> None:
        self._location = project.location
        self.conn: Connection = project.engine.connect()
        self.began = 0.0  # when the open transaction took the write lock (perf_counter)
        self._savepoint: Any = None
        self._analysed = 0  # passages this import had added at its last in-transaction ANALYZE
        self._added = 0

    @property
    def in_transaction(self) -> bool:
        return self.conn.in_transaction()

    @property
    def in_savepoint(self) -> bool:
        return self._savepoint is not None

    def begin(self) -> None:
        if not self.conn.in_transaction():
            begin_writing(self.conn, self._location)
            self.began = time.perf_counter()

    def commit(self, hand_over: bool = True) -> None:
        """Commit what is open; ``hand_over`` then leaves a waiting writer its turn."""
        if self.conn.in_transaction():
            self.conn.commit()
            if hand_over:
                time.sleep(_TURN_SECONDS)

    def begin_savepoint(self) -> None:
        self.begin()
        self._savepoint = self.conn.begin_nested()

    def release_savepoint(self) -> None:
        if self._savepoint is not None:
            self._savepoint.commit()
            self._savepoint = None

    def rollback_savepoint(self) -> None:
        if self._savepoint is not None:
            self._savepoint.rollback()
            self._savepoint = None

    def rollback(self) -> None:
        if self.conn.in_transaction():
            self.conn.rollback()

    def analyse_as_it_grows(self, passages_added: int) -> None:
        """ANALYZE, inside the open transaction, each time this import has doubled what it had
        added at the last one (from 10,000 passages on), on PostgreSQL.

        A large file is one transaction, and the import looks up what it just stored (ids by
        external id, passages by transcript) with ``IN`` lists. Planned from an empty table's
        statistics those were sequential scans, so each batch read every row before it: on
        81,000 transcripts the server spent most of the import on them. ANALYZE counts the
        transaction's own new rows, so the lookups go by the indexes; doubling keeps it to a
        handful of runs (about 1 s each).
        """
        if self.conn.dialect.name != "postgresql":
            return
        self._added += passages_added
        if self._added < max(ANALYZE_AFTER_PASSAGES, 2 * self._analysed):
            return
        self._analyze()
        self._analysed = self._added

    def _analyze(self) -> None:
        tables = [schema.transcripts.name, schema.passages.name]
        tables += [schema.transcript_metadata.name, schema.SERVER_SEARCH_INDEX]
        self.conn.exec_driver_sql(f"ANALYZE {', '.join(tables)}")

    def refresh_statistics(self, passages_added: int) -> None:
        """ANALYZE the tables a large import filled, on PostgreSQL.

        The planner plans from statistics that only ANALYZE gathers. Autovacuum gets to it a
        while after a bulk load, and not at all where it is turned off; until then a project
        of two million passages is planned as an empty one (opening the app on 81,000
        transcripts: 1.5 s before, 0.8 s after). SQLite needs nothing: its planner goes by
        the indexes.
        """
        if self.conn.dialect.name != "postgresql" or passages_added < ANALYZE_AFTER_PASSAGES:
            return
        self._analyze()
        self.conn.commit()

    def close(self) -> None:
        self.conn.close()


def existing_transcripts(
    conn: Connection, external_ids: list[str], hashes: list[str]
) -> tuple[dict[str, str], dict[str, str]]:
    """The duplicates check: stored content hash per given id, stored id per given hash."""
    t = schema.transcripts
    by_id: dict[str, str] = {}
    by_hash: dict[str, str] = {}
    for chunk in in_chunks(external_ids):
        rows = conn.execute(
            select(t.c.external_id, t.c.content_hash).where(t.c.external_id.in_(chunk))
        )
        by_id.update({external_id: digest for external_id, digest in rows})
    for chunk in in_chunks(hashes):
        rows = conn.execute(
            select(t.c.external_id, t.c.content_hash).where(t.c.content_hash.in_(chunk))
        )
        by_hash.update({digest: external_id for external_id, digest in rows})
    return by_id, by_hash


def known_external_ids(conn: Connection, external_ids: Iterable[str]) -> set[str]:
    """Those of ``external_ids`` the project holds transcripts for."""
    t = schema.transcripts
    known: set[str] = set()
    for chunk in in_chunks(external_ids):
        known.update(
            conn.execute(select(t.c.external_id).where(t.c.external_id.in_(chunk))).scalars()
        )
    return known


def record_imports(conn: Connection, actor: str, details: Sequence[Mapping[str, object]]) -> None:
    """One chained audit entry per imported file."""
    append_chained(
        conn,
        schema.audit_log,
        [
            {
                "at": utc_now(),
                "actor": actor,
                "action": "import.transcripts",
                "detail": json.dumps(detail, ensure_ascii=False),
            }
            for detail in details
        ],
    )


_SQLITE_VARIABLES = 999  # the smallest limit any SQLite build has on parameters per statement


def bulk_insert(
    conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[tuple]
) -> None:
    """Insert many rows through the driver, skipping per-row processing.

    The statement is compiled once for the connection's dialect, so this stays portable; values
    must already be what the driver takes. On SQLite, one statement carries many rows (a
    ``VALUES`` list), which binds them in C at nearly twice the speed of one row per step; on
    PostgreSQL the rows go by COPY.
    """
    if conn.dialect.name == "postgresql":
        _copy_rows(conn, table, columns, rows)
        return
    compiled = table.insert().compile(dialect=conn.dialect, column_keys=list(columns))
    if not compiled.positional:
        params = [dict(zip(columns, row, strict=True)) for row in rows]
        if params:
            conn.exec_driver_sql(str(compiled), params)
        return
    order = list(compiled.positiontup or ())  # set whenever the statement is positional
    rows = rows if isinstance(rows, list) else list(rows)
    if order != list(columns):
        index = [list(columns).index(name) for name in order]
        rows = [tuple(row[i] for i in index) for row in rows]
    if not rows:
        return
    sql = str(compiled)
    if conn.dialect.name != "sqlite":
        conn.exec_driver_sql(sql, rows)
        return
    head, _, group = sql.rpartition(" VALUES ")
    per_statement = max(1, _SQLITE_VARIABLES // len(columns))
    whole = len(rows) - len(rows) % per_statement
    if whole:
        many = f"{head} VALUES {', '.join([group] * per_statement)}"
        flat = list(chain.from_iterable(rows[:whole]))
        width = per_statement * len(columns)
        conn.exec_driver_sql(many, [tuple(flat[i : i + width]) for i in range(0, len(flat), width)])
    if whole < len(rows):
        conn.exec_driver_sql(sql, rows[whole:])


def _copy_rows(
    conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[tuple]
) -> None:
    """PostgreSQL's ``COPY ... FROM STDIN``, on the connection's own transaction.

    A statement per row, even pipelined, kept the server busy parsing and planning: COPY
    streams the rows in one command, several times faster for an import's passages.
    """
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(name) for name in columns)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(f"COPY {quote(table.name)} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    finally:
        cursor.close()


def _driver_value(conn: Connection, column: Column, value: object) -> object:
    """``value`` as SQLAlchemy would bind it for ``column`` (a datetime becomes SQLite text)."""
    processor = column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    return processor(value) if processor is not None else value


_TRANSCRIPT_COLUMNS = (
    "external_id",
    "source_name",
    "source_format",
    "text",
    "content_hash",
    "has_speakers",
    "local_only",
    "imported_at",
)
_PASSAGE_COLUMNS = ("transcript_id", "position", "speaker", "start", "end", "coded")


@dataclass(frozen=True)
class NewTranscript:
    """A transcript the ingest decided to add: its record, hash, passages and coded speakers."""

    record: ParsedTranscript
    digest: str
    passages: Cut
    coded: Mapping[str | None, bool]  # per speaker of ``passages`` (None: no speaker): coded?


def insert_transcripts(conn: Connection, new: Sequence[NewTranscript]) -> dict[str, int]:
    """Insert new transcripts and their passages; returns passages added per transcript id."""
    t = schema.transcripts
    now = _driver_value(conn, t.c.imported_at, utc_now())
    no, yes = _driver_value(conn, t.c.local_only, False), _driver_value(conn, t.c.local_only, True)
    bulk_insert(
        conn,
        t,
        _TRANSCRIPT_COLUMNS,
        [
            (
                item.record.external_id,
                item.record.source_name,
                item.record.source_format,
                item.record.text,
                item.digest,
                yes if item.record.speakers else no,
                no,
                now,
            )
            for item in new
        ],
    )
    ids: dict[str, int] = {}
    for chunk in in_chunks([item.record.external_id for item in new]):
        ids.update(
            conn.execute(select(t.c.external_id, t.c.id).where(t.c.external_id.in_(chunk))).all()
        )
    passage_rows: list[tuple] = []
    counts: dict[str, int] = {}
    for item in new:
        passages = item.passages
        coded = {speaker: yes if flag else no for speaker, flag in item.coded.items()}
        size = len(passages.starts)
        passage_rows.extend(
            zip(
                repeat(ids[item.record.external_id], size),
                range(1, size + 1),
                passages.speakers,
                passages.starts,
                passages.ends,
                map(coded.__getitem__, passages.speakers),
            )
        )
        counts[item.record.external_id] = size
    bulk_insert(conn, schema.passages, _PASSAGE_COLUMNS, passage_rows)
    index_passages(conn, {ids[item.record.external_id]: item.record.text for item in new})
    return counts


def index_passages(conn: Connection, texts: dict[int, str]) -> None:
    """Add the passages of new transcripts (row id -> text) to the full-text index.

    The passages are cut out here, from the text already in memory: cutting them in SQL
    (``substr`` over the transcript) reads the whole transcript once per passage, which made
    the index cost more than the rest of an import. A server project has its own index
    (``server_search``).
    """
    if conn.dialect.name not in ("sqlite", "postgresql") or not texts:
        return
    p = schema.passages
    rows: list[tuple[int, str]] = []
    for chunk in in_chunks(texts):
        found = conn.execute(
            select(p.c.id, p.c.transcript_id, p.c.start, p.c.end).where(
                p.c.transcript_id.in_(chunk)
            )
        )
        rows.extend((pid, texts[tid][start:end]) for pid, tid, start, end in found)
    if conn.dialect.name == "postgresql":
        add_to_server_index(conn, rows)
        return
    conn.exec_driver_sql(f"INSERT INTO {schema.SEARCH_INDEX}(rowid, text) VALUES (?, ?)", rows)


def upsert_metadata(conn: Connection, mapping: dict[str, dict[str, str]]) -> int:
    """Set metadata fields per transcript id, replacing earlier values of the same fields."""
    rows = [
        {"external_id": external_id, "field": name, "value": value}
        for external_id, fields in mapping.items()
        for name, value in fields.items()
    ]
    if not rows:
        return 0
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = insert(schema.transcript_metadata)
    statement = statement.on_conflict_do_update(
        index_elements=["external_id", "field"], set_={"value": statement.excluded.value}
    )
    for chunk in in_chunks(rows, 5_000):
        conn.execute(statement, chunk)
    return len(rows)
