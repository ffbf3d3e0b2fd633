"""Put transcripts and metadata into a project: all or nothing per file, batched, deduplicated."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain, repeat
from pathlib import Path

from sqlalchemy import Column, Connection, Table, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from workbench.core.clock import utc_now
from workbench.core.parsing import parse_files, parse_files_in_background
from workbench.core.readers import (
    SUPPORTED_SUFFIXES,
    TABLE_LIKE_SUFFIXES,
    ParsedTranscript,
    content_hash,
    read_metadata,
    read_transcripts,
)
from workbench.core.segmenter import cut
from workbench.core.store import schema
from workbench.core.store.audit import append_audit
from workbench.core.store.backups import take_backup
from workbench.core.store.busy import writing_note
from workbench.core.store.chain import append_chained
from workbench.core.store.database import begin_writing, is_url
from workbench.core.store.project import Project, ProjectSettings
from workbench.core.store.server_search import add_to_server_index
from workbench.core.tasks import cycle_collector_paused

log = logging.getLogger(__name__)

_CHUNK = 500  # ids per IN (...) query, well under every database's parameter limit
_BATCH_CHARS = 4_000_000  # parsed text stored per batch of files
# An import holds the project's write lock while its transaction is open. It commits between
# files at least this often, then leaves the lock free for a moment (longer than a waiting
# writer's retries, a few ms apart: see ``database._wait_for_write_lock``) for it to take.
_COMMIT_SECONDS = 5.0
_TURN_SECONDS = 0.05


@dataclass
class FileImportResult:
    """What one file added to the project and what it left out, and why."""

    file: str
    added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # same id, same text: already there
    duplicates: list[dict[str, str]] = field(default_factory=list)  # same text, other id
    conflicts: list[str] = field(default_factory=list)  # same id, different text: not merged
    warnings: list[str] = field(default_factory=list)  # imported, but worth a look
    passages: int = 0
    bytes: int = 0
    # What the reader understood: the format read, the speakers found, what it left out.
    format: str = ""
    speakers: set[str] = field(default_factory=set)
    skipped: list[str] = field(default_factory=list)

    def merge(self, other: FileImportResult) -> None:
        """Fold in the result of another chunk of the same file."""
        self.added += other.added
        self.unchanged += other.unchanged
        self.duplicates += other.duplicates
        self.conflicts += other.conflicts
        self.warnings += other.warnings
        self.passages += other.passages
        self.bytes += other.bytes
        self.format = self.format or other.format
        self.speakers |= other.speakers
        self.skipped += other.skipped

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "added": len(self.added),
            "passages": self.passages,
            "unchanged": self.unchanged,
            "duplicates": self.duplicates,
            "conflicts": self.conflicts,
            "warnings": self.warnings,
            "format": self.format,
            "speakers": sorted(self.speakers),
            "skipped": self.skipped,
        }


def _chunks(items: Sequence, size: int = _CHUNK) -> Iterable[Sequence]:
    for index in range(0, len(items), size):
        yield items[index : index + size]


def import_transcript_file(
    project: Project, path: str | Path, actor: str = "workbench"
) -> FileImportResult:
    """Import every transcript of one file in one transaction; TranscriptError changes nothing."""
    records = read_transcripts(path)
    take_backup(project, "import")
    return store_transcripts(project, records, str(path), actor=actor)


def store_transcripts(
    project: Project, records: list[ParsedTranscript], source: str, actor: str = "workbench"
) -> FileImportResult:
    """Store parsed transcripts in their own transaction."""
    with project.transaction() as conn:
        return _store_batch(conn, [(source, records)], project.settings, actor)[0]


def _store_batch(
    conn: Connection,
    batch: list[tuple[str, list[ParsedTranscript]]],
    settings: ProjectSettings,
    actor: str,
) -> list[FileImportResult]:
    """Store the transcripts of several files inside the caller's transaction.

    Transcripts already present (same id, same text) are skipped; the same text under another
    id is a duplicate and skipped; the same id with other text is a conflict, reported and
    never merged. Files are stored together (a few statements per batch, not per file); the
    caller's transaction makes the batch, and so each file, all or nothing.
    """
    everything = [record for _source, records in batch for record in records]
    hashes = {id(record): record.digest or content_hash(record.text) for record in everything}
    by_id, by_hash = _existing(conn, [r.external_id for r in everything], list(hashes.values()))
    results: list[FileImportResult] = []
    new: list[tuple[ParsedTranscript, str]] = []
    owner: dict[str, FileImportResult] = {}
    for source, records in batch:
        result = FileImportResult(file=source)
        results.append(result)
        for record in records:
            if record.warning is not None:
                result.warnings.append(record.warning)
            result.format = result.format or record.source_format
            result.speakers.update(record.speakers)
            result.skipped.extend(record.skipped)
            digest = hashes[id(record)]
            if record.external_id in by_id:
                if by_id[record.external_id] == digest:
                    result.unchanged.append(record.external_id)
                else:
                    result.conflicts.append(record.external_id)
            elif digest in by_hash:
                result.duplicates.append({"id": record.external_id, "same_as": by_hash[digest]})
            else:
                by_hash[digest] = record.external_id
                by_id[record.external_id] = digest
                new.append((record, digest))
                owner[record.external_id] = result
                result.added.append(record.external_id)
                result.bytes += len(record.text.encode("utf-8"))
    if new:
        for external_id, count in _insert(conn, new, settings).items():
            owner[external_id].passages += count
        upsert_metadata(conn, {r.external_id: r.metadata for r, _ in new if r.metadata})
    append_chained(
        conn,
        schema.audit_log,
        [
            {
                "at": utc_now(),
                "actor": actor,
                "action": "import.transcripts",
                "detail": json.dumps(
                    result.to_dict() | {"added_ids": result.added[:50]}, ensure_ascii=False
                ),
            }
            for result in results
        ],
    )
    for result in results:
        if result.conflicts:
            log.warning(
                "%s: %d transcripts changed, not merged", result.file, len(result.conflicts)
            )
    return results


@dataclass
class ImportOutcome:
    """The result of importing several files: per-file results and per-file errors."""

    files: list[FileImportResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    cancelled: bool = False
    backup: str | None = None  # the copy taken before the import (None: a server project)

    def to_dict(self) -> dict[str, object]:
        megabytes = sum(f.bytes for f in self.files) / 1e6
        return {
            "files": [f.to_dict() for f in self.files],
            "errors": self.errors,
            "added": sum(len(f.added) for f in self.files),
            "passages": sum(f.passages for f in self.files),
            "megabytes": round(megabytes, 3),
            "seconds": round(self.seconds, 3),
            "throughput_mb_s": round(megabytes / self.seconds, 2) if self.seconds else None,
            "cancelled": self.cancelled,
            "backup": self.backup,
        }


def expand_paths(paths: Iterable[str | Path], exclude: Iterable[str | Path] = ()) -> list[Path]:
    """Files to import: the given files, and the supported files inside given folders.

    Inside a folder, README files and the files in ``exclude`` (the metadata CSV passed
    alongside) are not transcripts and are skipped; files named explicitly are always taken.
    """
    skip = {Path(p).resolve() for p in exclude}
    found: list[Path] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            found.extend(
                sorted(
                    (
                        p
                        for p in path.rglob("*")
                        if p.suffix.lower() in SUPPORTED_SUFFIXES
                        and not p.stem.lower().startswith("readme")
                        and not (skip and p.resolve() in skip)
                    ),
                    key=str,  # by their text: comparing Path objects costs ten times more
                )
            )
        else:
            found.append(path)
    return found


ProgressCallback = Callable[[int, int, str], None]


def import_files(
    project: Project,
    paths: Iterable[str | Path],
    actor: str = "workbench",
    progress: ProgressCallback | None = None,
    cancelled: Callable[[], bool] | None = None,
    parallel: bool | None = None,
    commit_every_bytes: int = 64_000_000,
    exclude: Iterable[str | Path] = (),
) -> ImportOutcome:
    """Import many files: each all or nothing, a bad file reported without stopping the rest.

    A file that fails to parse is reported and never reaches the database. Parsed records are
    stored in batches (many small files share one), a table file inside a savepoint since its
    chunks are stored as they arrive; the transaction is committed between files every
    ``commit_every_bytes`` (one fsync per 64 MB, not per file) or every ``_COMMIT_SECONDS``,
    so that another process's writer waits seconds, not the whole import. The write lock is
    taken only when the first batch is stored. Cancelling drops the file in progress and keeps
    the ones before it. With many files or a large one, parsing runs in
    parsing processes while this one writes (see workbench.core.parsing).
    """
    files = expand_paths(paths, exclude)
    outcome = ImportOutcome()
    with writing_note(project.location, f"import of {_describe(files)}"):
        return _import(
            project, files, actor, progress, cancelled, parallel, commit_every_bytes, outcome
        )


def _describe(files: list[Path]) -> str:
    if len(files) == 1:
        return str(files[0])
    return f"{len(files)} files from {files[0]}" if files else "no files"


def _import(
    project: Project,
    files: list[Path],
    actor: str,
    progress: ProgressCallback | None,
    cancelled: Callable[[], bool] | None,
    parallel: bool | None,
    commit_every_bytes: int,
    outcome: ImportOutcome,
) -> ImportOutcome:
    started = time.perf_counter()
    if files:  # the way back from an import that went wrong: a copy taken before it starts
        backup = take_backup(project, "import")
        outcome.backup = str(backup) if backup else None
    settings = project.settings
    if parallel is None:
        parallel = len(files) >= 16 or _total_size(files) > 4_000_000
    stream = (
        parse_files_in_background(files, settings.segmentation, release=_project_file(project))
        if parallel
        else parse_files(files, settings.segmentation)
    )
    is_cancelled = cancelled or (lambda: False)
    by_file: dict[str, FileImportResult] = {}
    conn = project.engine.connect()
    began = 0.0  # when the open transaction took the write lock
    savepoint = None  # open while a table file's chunks arrive
    batch: list[tuple[str, list[ParsedTranscript]]] = []
    batch_chars = unsaved_bytes = 0
    current: Path | None = None
    done = 0

    def begin() -> None:
        nonlocal began
        if not conn.in_transaction():
            begin_writing(conn, project.location)
            began = time.perf_counter()

    def commit() -> None:
        nonlocal unsaved_bytes
        if conn.in_transaction():
            conn.commit()
            time.sleep(_TURN_SECONDS)  # a waiting writer's turn: see _COMMIT_SECONDS
        unsaved_bytes = 0

    def flush() -> None:
        nonlocal batch, batch_chars, unsaved_bytes
        if batch:
            begin()
        for result in _store_batch(conn, batch, settings, actor) if batch else []:
            unsaved_bytes += result.bytes
            if result.file in by_file:
                by_file[result.file].merge(result)
            else:
                by_file[result.file] = result
                outcome.files.append(result)
        batch, batch_chars = [], 0

    def reject_current() -> None:
        """Undo what the table file in progress stored: it is all or nothing."""
        nonlocal batch, batch_chars, savepoint
        if savepoint is not None:
            # The batch holds only this table file's chunks (flushed when it began). Any other
            # file fails before it sends records, and the batch is earlier files' good work.
            batch, batch_chars = [], 0
            savepoint.rollback()
            savepoint = None
        if current is not None and by_file.pop(str(current), None) is not None:
            outcome.files = [f for f in outcome.files if f.file != str(current)]

    try:
        with cycle_collector_paused():
            for path, records, error in stream:
                if path != current:
                    if savepoint is not None:
                        flush()
                        savepoint.commit()
                        savepoint = None
                    if unsaved_bytes >= commit_every_bytes or (
                        conn.in_transaction() and time.perf_counter() - began >= _COMMIT_SECONDS
                    ):
                        flush()
                        commit()
                    if is_cancelled():
                        outcome.cancelled = True
                        break
                    current = path
                    done += 1
                    if progress is not None:
                        progress(done, len(files), str(path))
                    if path.suffix.lower() in TABLE_LIKE_SUFFIXES:
                        flush()  # the file's chunks stay apart from other files' batches
                        begin()
                        savepoint = conn.begin_nested()
                if error is not None:
                    reject_current()
                    outcome.errors.append(error)
                    continue
                batch.append((str(path), records or []))
                batch_chars += sum(len(record.text) for record in records or [])
                if batch_chars >= min(_BATCH_CHARS, commit_every_bytes):
                    flush()
                if savepoint is not None and is_cancelled():
                    reject_current()
                    outcome.cancelled = True
                    break
            flush()
            if savepoint is not None:
                savepoint.commit()
            if conn.in_transaction():
                conn.commit()
    except BaseException:
        if conn.in_transaction():
            conn.rollback()
        raise
    finally:
        stream.close()  # stops the parsing process if it is still running
        conn.close()
    outcome.seconds = time.perf_counter() - started
    return outcome


def _project_file(project: Project) -> tuple[str, ...]:
    return () if is_url(project.location) else (project.location,)


def _total_size(files: list[Path]) -> int:
    return sum(f.stat().st_size for f in files if f.is_file())


def _existing(
    conn: Connection, external_ids: list[str], hashes: list[str]
) -> tuple[dict[str, str], dict[str, str]]:
    t = schema.transcripts
    by_id: dict[str, str] = {}
    by_hash: dict[str, str] = {}
    for chunk in _chunks(external_ids):
        rows = conn.execute(
            select(t.c.external_id, t.c.content_hash).where(t.c.external_id.in_(chunk))
        )
        by_id.update({external_id: digest for external_id, digest in rows})
    for chunk in _chunks(hashes):
        rows = conn.execute(
            select(t.c.external_id, t.c.content_hash).where(t.c.content_hash.in_(chunk))
        )
        by_hash.update({digest: external_id for external_id, digest in rows})
    return by_id, by_hash


_SQLITE_VARIABLES = 999  # the smallest limit any SQLite build has on parameters per statement


def bulk_insert(
    conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[tuple]
) -> None:
    """Insert many rows through the driver, skipping per-row processing.

    The statement is compiled once for the connection's dialect, so this stays portable; values
    must already be what the driver takes. On SQLite, one statement carries many rows (a
    ``VALUES`` list), which binds them in C at nearly twice the speed of one row per step.
    """
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


def _insert(
    conn: Connection, new: list[tuple[ParsedTranscript, str]], settings: ProjectSettings
) -> dict[str, int]:
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
                record.external_id,
                record.source_name,
                record.source_format,
                record.text,
                digest,
                yes if record.speakers else no,
                no,
                now,
            )
            for record, digest in new
        ],
    )
    ids: dict[str, int] = {}
    for chunk in _chunks([record.external_id for record, _ in new]):
        ids.update(
            conn.execute(select(t.c.external_id, t.c.id).where(t.c.external_id.in_(chunk))).all()
        )
    passage_rows: list[tuple] = []
    counts: dict[str, int] = {}
    for record, _digest in new:
        passages = record.passages
        if passages is None:
            passages = cut(record.text, record.speakers, settings.segmentation, record.label_lines)
        has_speakers = bool(record.speakers)
        coded = {
            speaker: yes if settings.is_coded_speaker(speaker, has_speakers) else no
            for speaker in set(passages.speakers)
        }
        size = len(passages.starts)
        passage_rows.extend(
            zip(
                repeat(ids[record.external_id], size),
                range(1, size + 1),
                passages.speakers,
                passages.starts,
                passages.ends,
                map(coded.__getitem__, passages.speakers),
            )
        )
        counts[record.external_id] = size
    bulk_insert(conn, schema.passages, _PASSAGE_COLUMNS, passage_rows)
    index_passages(conn, {ids[record.external_id]: record.text for record, _ in new})
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
    for chunk in _chunks(list(texts)):
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
    for chunk in _chunks(rows, 5_000):
        conn.execute(statement, list(chunk))
    return len(rows)


@dataclass
class MetadataImportResult:
    file: str
    transcripts: int
    fields: list[str]
    values: int
    unknown_ids: list[str]

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "transcripts": self.transcripts,
            "fields": self.fields,
            "values": self.values,
            "not_in_project": self.unknown_ids,
        }


def import_metadata_file(
    project: Project, path: str | Path, actor: str = "workbench"
) -> MetadataImportResult:
    """Import a metadata CSV; ids not (yet) in the project are kept and reported."""
    mapping = read_metadata(path)
    t = schema.transcripts
    with project.transaction() as conn:
        known: set[str] = set()
        ids = list(mapping)
        for chunk in _chunks(ids):
            known.update(
                conn.execute(select(t.c.external_id).where(t.c.external_id.in_(chunk))).scalars()
            )
        values = upsert_metadata(conn, mapping)
        fields = sorted({name for fields in mapping.values() for name in fields})
        result = MetadataImportResult(
            file=str(path),
            transcripts=len(mapping),
            fields=fields,
            values=values,
            unknown_ids=sorted(set(ids) - known),
        )
        append_audit(conn, actor, "import.metadata", result.to_dict())
    return result
