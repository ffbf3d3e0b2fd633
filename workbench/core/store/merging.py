"""What a merge reads from a project or an offline copy, and the rows it appends.

Rows are returned keyed by what survives between two files made from the same project:
transcripts by external id, passages by (external id, position), coders by name. Database ids
differ between a project and its copy, so nothing here hands one file's ids to the other.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Connection, Row, Table, select

from workbench.core.store import schema

PassageKey = tuple[str, int]  # (transcript external id, passage position)

CHUNK = 5000  # rows per fetch: a merge of two large files holds chunks, not whole tables

# The decision columns a merge writes itself: ids of the file they came from, the chain, and
# the fields it names portably or rewrites. Every other column is carried as it is, so a column
# added by a later schema (arm, span_start, ...) comes across without the merge knowing of it.
_REWRITTEN = frozenset(
    {
        "id",
        "passage_id",
        "coder_id",
        "action",
        "code_id",
        "suggestion_id",
        "codebook_version",
        "reverts_id",
        "reason",
        "created_at",
        "prev_hash",
        "row_hash",
    }
)
CARRIED_DECISION_COLUMNS = tuple(c.name for c in schema.decisions.c if c.name not in _REWRITTEN)


def instant(moment: datetime) -> str:
    """A time as UTC text to the microsecond: SQLite hands back naive datetimes and PostgreSQL
    aware ones, and a decision must compare equal across the two."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class TranscriptShape:
    """A transcript's content hash and a digest of its passages' spans, to tell two files agree
    on it without holding every passage of both files."""

    external_id: str
    content_hash: str
    passages: str  # SHA-256 over (position, start, end) of each passage, in position order


@dataclass(frozen=True)
class DecisionRow:
    id: int
    passage: PassageKey
    coder: str
    coder_kind: str
    action: str
    code_id: str | None
    suggestion_id: int | None
    codebook_version: int | None
    reverts_id: int | None
    reason: str | None
    created_at: datetime
    carried: tuple[tuple[str, object], ...] = ()  # CARRIED_DECISION_COLUMNS, name and value

    @property
    def span_start(self) -> int | None:
        """The selection a decision is about (transcript offsets), None for a whole passage."""
        return dict(self.carried).get("span_start")  # type: ignore[return-value]

    @property
    def span_end(self) -> int | None:
        return dict(self.carried).get("span_end")  # type: ignore[return-value]


@dataclass(frozen=True)
class MemoRow:
    passage: PassageKey | None  # None for a memo on a whole transcript
    transcript: str | None
    coder: str
    coder_kind: str
    text: str
    created_at: datetime
    updated_at: datetime
    carried: tuple[tuple[str, object], ...] = ()  # CARRIED_MEMO_COLUMNS, name and value


@dataclass(frozen=True)
class SuggestionRow:
    id: int
    passage: PassageKey
    values: dict[str, object]  # every column but id and passage_id


@dataclass(frozen=True)
class RunRow:
    passage: PassageKey
    codebook_version: int
    engine: str
    model: str
    prompt_version: str
    created_at: datetime
    coder: str | None


def _chunks(conn: Connection, query) -> Iterator:
    """The rows of a query fetched a chunk at a time (a server-side cursor on PostgreSQL).

    The options go on the statement, not the Connection: SQLAlchemy 2 keeps an option set by
    ``conn.execution_options()`` on the connection itself, so every later statement of the
    merge (its INSERTs included) would be run as a server-side cursor, which PostgreSQL refuses.
    """
    result = conn.execute(query.execution_options(stream_results=True, yield_per=CHUNK))
    for partition in result.partitions():
        yield from partition


def transcript_shapes(conn: Connection) -> dict[str, TranscriptShape]:
    """Every transcript of a file with a digest of its passages, keyed by external id."""
    t, p = schema.transcripts, schema.passages
    shapes: dict[str, TranscriptShape] = {}
    names = {}
    for tid, external_id, content_hash in conn.execute(
        select(t.c.id, t.c.external_id, t.c.content_hash)
    ):
        names[tid] = (external_id, content_hash)
    current, digest = None, hashlib.sha256()

    def close() -> None:
        if current is not None:
            external_id, content_hash = names.pop(current)
            shapes[external_id] = TranscriptShape(external_id, content_hash, digest.hexdigest())

    query = select(p.c.transcript_id, p.c.position, p.c.start, p.c.end).order_by(
        p.c.transcript_id, p.c.position
    )
    for tid, position, start, end in _chunks(conn, query):
        if tid != current:
            close()
            current, digest = tid, hashlib.sha256()
        digest.update(f"{position},{start},{end};".encode())
    close()
    for external_id, content_hash in names.values():  # transcripts without passages
        shapes[external_id] = TranscriptShape(
            external_id, content_hash, hashlib.sha256().hexdigest()
        )
    return shapes


class PassageIds:
    """A file's passage ids by (external id, position), read one transcript at a time when first
    asked: a merge touches the passages its copies decided on, not the whole corpus."""

    def __init__(self, conn: Connection):
        self._conn = conn
        self._by_transcript: dict[str, dict[int, int]] = {}

    def __call__(self, key: PassageKey) -> int:
        found = self._by_transcript.get(key[0])
        if found is None:
            t, p = schema.transcripts, schema.passages
            found = dict(
                self._conn.execute(
                    select(p.c.position, p.c.id)
                    .join(t, t.c.id == p.c.transcript_id)
                    .where(t.c.external_id == key[0])
                ).all()
            )
            self._by_transcript[key[0]] = found
        return found[key[1]]


def _coders(conn: Connection) -> dict[int, tuple[str, str]]:
    c = schema.coders
    return {
        cid: (name, kind) for cid, name, kind in conn.execute(select(c.c.id, c.c.name, c.c.kind))
    }


def _keyed_rows(
    conn: Connection,
    table: Table,
    columns: Iterable[ColumnElement],
    *,
    outer: bool = False,
    ordered: bool = True,
) -> Iterator[Row]:
    """The rows of one table with their passage named portably: the transcript external id and
    position (``k_transcript``, ``k_position``) joined in the query, not looked up in a map of
    every passage of the file, and fetched in chunks. ``outer`` keeps a row without a passage (a
    memo on a whole transcript), both keys None; ``ordered`` is oldest first, by the table's id."""
    kt, kp = schema.transcripts.alias("kt"), schema.passages.alias("kp")
    query = select(
        *columns, kt.c.external_id.label("k_transcript"), kp.c.position.label("k_position")
    )
    query = query.join(kp, kp.c.id == table.c.passage_id, isouter=outer)
    query = query.join(kt, kt.c.id == kp.c.transcript_id, isouter=outer)
    if ordered:
        query = query.order_by(table.c.id)
    return _chunks(conn, query)


def decision_rows(conn: Connection) -> Iterator[DecisionRow]:
    """Every decision of a file, oldest first, with its passage and coder named portably and
    every other column carried; fetched in chunks, so a large log is never held whole."""
    d = schema.decisions
    coders = _coders(conn)
    columns = (
        d.c.id,
        d.c.coder_id,
        d.c.action,
        d.c.code_id,
        d.c.suggestion_id,
        d.c.codebook_version,
        d.c.reverts_id,
        d.c.reason,
        d.c.created_at,
        *(d.c[name] for name in CARRIED_DECISION_COLUMNS),
    )
    for r in _keyed_rows(conn, d, columns):
        yield DecisionRow(
            r.id,
            (r.k_transcript, r.k_position),
            *coders[r.coder_id],
            r.action,
            r.code_id,
            r.suggestion_id,
            r.codebook_version,
            r.reverts_id,
            r.reason,
            r.created_at,
            tuple((name, r._mapping[name]) for name in CARRIED_DECISION_COLUMNS),
        )


_MEMO_OWN = frozenset(
    {"id", "passage_id", "transcript_id", "coder_id", "text", "created_at", "updated_at"}
)
CARRIED_MEMO_COLUMNS = tuple(c.name for c in schema.memos.c if c.name not in _MEMO_OWN)


def memo_rows(conn: Connection) -> Iterator[MemoRow]:
    """Every memo row of a file (history included), oldest first, in chunks."""
    m, t = schema.memos, schema.transcripts
    coders = _coders(conn)
    names = dict(conn.execute(select(t.c.id, t.c.external_id)).all())
    columns = (
        m.c.passage_id,
        m.c.transcript_id,
        m.c.coder_id,
        m.c.text,
        m.c.created_at,
        m.c.updated_at,
        *(m.c[name] for name in CARRIED_MEMO_COLUMNS),
    )
    for r in _keyed_rows(conn, m, columns, outer=True):
        yield MemoRow(
            (r.k_transcript, r.k_position) if r.passage_id is not None else None,
            names.get(r.transcript_id) if r.transcript_id is not None else None,
            *coders[r.coder_id],
            r.text,
            r.created_at,
            r.updated_at,
            tuple((name, r._mapping[name]) for name in CARRIED_MEMO_COLUMNS),
        )


def suggestion_rows(conn: Connection) -> Iterator[SuggestionRow]:
    s = schema.suggestions
    columns = [c for c in s.c if c.name not in ("id", "passage_id")]
    for r in _keyed_rows(conn, s, (s.c.id, *columns)):
        yield SuggestionRow(
            r.id, (r.k_transcript, r.k_position), {c.name: r._mapping[c.name] for c in columns}
        )


def run_rows(conn: Connection) -> Iterator[RunRow]:
    r = schema.suggestion_runs
    coders = _coders(conn)
    columns = (
        r.c.codebook_version,
        r.c.engine,
        r.c.model,
        r.c.prompt_version,
        r.c.created_at,
        r.c.coder_id,
    )
    for row in _keyed_rows(conn, r, columns, ordered=False):  # no id: a run is its passage's
        yield RunRow(
            (row.k_transcript, row.k_position),
            row.codebook_version,
            row.engine,
            row.model,
            row.prompt_version,
            row.created_at,
            coders[row.coder_id][0] if row.coder_id is not None else None,
        )


def append_memo_row(
    conn: Connection,
    passage_id: int | None,
    transcript_id: int | None,
    coder_id: int,
    text: str,
    created_at: datetime,
    updated_at: datetime,
    carried: tuple[tuple[str, object], ...] = (),
) -> None:
    """Append a memo row as written elsewhere, its times and carried columns kept (memos are
    history, not a log)."""
    conn.execute(
        schema.memos.insert().values(
            passage_id=passage_id,
            transcript_id=transcript_id,
            coder_id=coder_id,
            text=text,
            created_at=created_at,
            updated_at=updated_at,
            **dict(carried),
        )
    )


def insert_suggestion(conn: Connection, passage_id: int, values: dict[str, object]) -> int:
    """Store one suggestion from a copy; returns its id in this project."""
    result = conn.execute(schema.suggestions.insert().values(passage_id=passage_id, **values))
    return int(result.inserted_primary_key[0])  # type: ignore[index]  # set after an INSERT


def insert_run(conn: Connection, passage_id: int, run: RunRow, coder_id: int | None) -> None:
    conn.execute(
        schema.suggestion_runs.insert().values(
            passage_id=passage_id,
            codebook_version=run.codebook_version,
            engine=run.engine,
            model=run.model,
            prompt_version=run.prompt_version,
            created_at=run.created_at,
            coder_id=coder_id,
        )
    )


def transcript_ids(conn: Connection) -> dict[str, int]:
    t = schema.transcripts
    return {name: tid for tid, name in conn.execute(select(t.c.id, t.c.external_id))}
