"""Put transcripts and metadata into a project: all or nothing per file, batched, deduplicated."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path

from sqlalchemy import Connection, Table, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from workbench.core.clock import utc_now
from workbench.core.errors import TranscriptError
from workbench.core.importers import (
    JSONL_SUFFIXES,
    SUPPORTED_SUFFIXES,
    TABLE_SUFFIXES,
    ParsedTranscript,
    RawTranscript,
    analyse_transcripts,
    read_metadata,
    read_table_for_import,
    read_transcripts,
)
from workbench.core.segmenter import Segmentation, segment
from workbench.core.store import schema
from workbench.core.store.audit import append_audit
from workbench.core.store.project import Project, ProjectSettings

log = logging.getLogger(__name__)

_CHUNK = 500  # ids per IN (...) query, well under every database's parameter limit
_BATCH_CHARS = 4_000_000  # parsed text stored per batch of files
TABLE_LIKE_SUFFIXES = TABLE_SUFFIXES | JSONL_SUFFIXES


@dataclass
class FileImportResult:
    """What one file added to the project and what it left out, and why."""

    file: str
    added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # same id, same text: already there
    duplicates: list[dict[str, str]] = field(default_factory=list)  # same text, other id
    conflicts: list[str] = field(default_factory=list)  # same id, different text: not merged
    passages: int = 0
    bytes: int = 0

    def merge(self, other: FileImportResult) -> None:
        """Fold in the result of another chunk of the same file."""
        self.added += other.added
        self.unchanged += other.unchanged
        self.duplicates += other.duplicates
        self.conflicts += other.conflicts
        self.passages += other.passages
        self.bytes += other.bytes

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "added": len(self.added),
            "passages": self.passages,
            "unchanged": self.unchanged,
            "duplicates": self.duplicates,
            "conflicts": self.conflicts,
        }


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _chunks(items: Sequence, size: int = _CHUNK) -> Iterable[Sequence]:
    for index in range(0, len(items), size):
        yield items[index : index + size]


def import_transcript_file(
    project: Project, path: str | Path, actor: str = "workbench"
) -> FileImportResult:
    """Import every transcript of one file in one transaction; TranscriptError changes nothing."""
    records = read_transcripts(path)
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
    hashes = {id(record): content_hash(record.text) for record in everything}
    by_id, by_hash = _existing(conn, [r.external_id for r in everything], list(hashes.values()))
    results: list[FileImportResult] = []
    new: list[tuple[ParsedTranscript, str]] = []
    owner: dict[str, FileImportResult] = {}
    for source, records in batch:
        result = FileImportResult(file=source)
        results.append(result)
        for record in records:
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
    conn.execute(
        schema.audit_log.insert(),
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
                    p
                    for p in path.rglob("*")
                    if p.suffix.lower() in SUPPORTED_SUFFIXES
                    and not p.stem.lower().startswith("readme")
                    and p.resolve() not in skip
                )
            )
        else:
            found.append(path)
    return found


def _parse(
    path: Path, mode: Segmentation = Segmentation.TURN
) -> tuple[Path, list[ParsedTranscript] | None, str | None]:
    """Read and segment one file (runs in the parsing process); errors come back as text."""
    try:
        return path, [record.segmented(mode) for record in read_transcripts(path)], None
    except TranscriptError as exc:
        return path, None, str(exc)


_ROW_CHUNK = 1000  # transcripts of one table file analysed per task


def _analyse_chunk(
    raws: list[RawTranscript], source_name: str, fmt: str, mode: Segmentation
) -> list[ParsedTranscript]:
    return analyse_transcripts(raws, source_name, fmt, mode)


def _split(items: list, size: int) -> list[list]:
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    if len(chunks) > 1 and len(chunks[-1]) < size // 10:
        chunks[-2].extend(chunks.pop())  # a tiny tail would miss the shared-speaker rule
    return chunks


Parsed = tuple[Path, list[ParsedTranscript] | None, str | None]


def _parsed_stream(
    files: list[Path], mode: Segmentation, pool: ProcessPoolExecutor | None
) -> Iterator[Parsed]:
    """Parsed records in file order, a file's chunks one after another.

    Table files are read and validated here while their rows are analysed in the pool, chunk
    by chunk, so a single large CSV still overlaps parsing with the database writes.
    """
    tables = [f for f in files if f.suffix.lower() in TABLE_LIKE_SUFFIXES]
    others = [f for f in files if f.suffix.lower() not in TABLE_LIKE_SUFFIXES]
    for path in tables:
        try:
            fmt, payload = read_table_for_import(path)
        except TranscriptError as exc:
            yield path, None, str(exc)
            continue
        if fmt == "records":
            yield path, [record.segmented(mode) for record in payload], None  # type: ignore[union-attr]
            continue
        chunks = _split(list(payload), _ROW_CHUNK)
        if pool is not None and len(chunks) > 1:
            results = pool.map(_analyse_chunk, chunks, repeat(path.name), repeat(fmt), repeat(mode))
        else:
            results = (analyse_transcripts(chunk, path.name, fmt, mode) for chunk in chunks)
        for records in results:
            yield path, records, None
    if pool is not None:
        yield from pool.map(_parse, others, repeat(mode), chunksize=16)
    else:
        yield from (_parse(path, mode) for path in others)


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
    stored in batches, each file inside a savepoint, in a transaction committed between files
    every ``commit_every_bytes`` (one fsync per 64 MB, not per file). Cancelling drops the file
    in progress and keeps the ones before it. With many files or a large table, parsing runs in
    a second process and overlaps the database writes.
    """
    files = expand_paths(paths, exclude)
    outcome = ImportOutcome()
    started = time.perf_counter()
    settings = project.settings
    big_table = any(
        f.suffix.lower() in TABLE_LIKE_SUFFIXES and f.exists() and f.stat().st_size > 4_000_000
        for f in files
    )
    use_pool = parallel if parallel is not None else (len(files) >= 16 or big_table)
    pool = ProcessPoolExecutor(max_workers=1) if use_pool else None
    by_file: dict[str, FileImportResult] = {}
    conn = project.engine.connect()
    transaction = conn.begin()
    savepoint = None
    batch: list[tuple[str, list[ParsedTranscript]]] = []
    batch_chars = pending_bytes = 0
    current: Path | None = None
    done = 0

    def flush() -> None:
        nonlocal batch, batch_chars, pending_bytes
        for result in _store_batch(conn, batch, settings, actor) if batch else []:
            pending_bytes += result.bytes
            if result.file in by_file:
                by_file[result.file].merge(result)
            else:
                by_file[result.file] = result
                outcome.files.append(result)
        batch, batch_chars = [], 0

    try:
        for path, records, error in _parsed_stream(files, settings.segmentation, pool):
            if path != current:
                chunked = path.suffix.lower() in TABLE_LIKE_SUFFIXES
                if savepoint is not None or chunked:
                    flush()  # a chunked file's records stay apart from other files' batches
                if savepoint is not None:
                    savepoint.commit()
                    savepoint = None
                if pending_bytes >= commit_every_bytes and not batch:
                    transaction.commit()
                    transaction = conn.begin()
                    pending_bytes = 0
                if cancelled is not None and cancelled():
                    outcome.cancelled = True
                    break
                current = path
                savepoint = conn.begin_nested() if chunked else None
                done += 1
                if progress is not None:
                    progress(done, len(files), str(path))
            if error is not None:
                outcome.errors.append(error)
                continue
            batch.append((str(path), records or []))
            batch_chars += sum(len(record.text) for record in records or [])
            if batch_chars >= min(_BATCH_CHARS, commit_every_bytes):
                flush()
            if savepoint is not None and cancelled is not None and cancelled():
                batch = []  # drop the table file in progress; the files before it stay
                savepoint.rollback()
                savepoint = None
                outcome.files = [f for f in outcome.files if f.file != str(path)]
                outcome.cancelled = True
                break
        else:
            flush()
            if savepoint is not None:
                savepoint.commit()
        if outcome.cancelled:
            flush()
            if savepoint is not None:
                savepoint.commit()
        transaction.commit()
    except BaseException:
        transaction.rollback()
        raise
    finally:
        conn.close()
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    outcome.seconds = time.perf_counter() - started
    return outcome


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


def bulk_insert(
    conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[tuple]
) -> None:
    """Insert many rows through the driver's ``executemany``, skipping per-row processing.

    The statement is compiled once for the connection's dialect, so this stays portable
    (qmark for SQLite, pyformat for PostgreSQL); values must already be plain Python values.
    """
    compiled = table.insert().compile(dialect=conn.dialect, column_keys=list(columns))
    if compiled.positional:
        order = list(compiled.positiontup)
        if order == list(columns):
            params: list = rows if isinstance(rows, list) else list(rows)
        else:
            index = [list(columns).index(name) for name in order]
            params = [tuple(row[i] for i in index) for row in rows]
    else:
        params = [dict(zip(columns, row, strict=True)) for row in rows]
    if params:
        conn.exec_driver_sql(str(compiled), params)


_PASSAGE_COLUMNS = ("transcript_id", "position", "speaker", "start", "end", "coded")


def _insert(
    conn: Connection, new: list[tuple[ParsedTranscript, str]], settings: ProjectSettings
) -> dict[str, int]:
    """Insert new transcripts and their passages; returns passages added per transcript id."""
    now = utc_now()
    t = schema.transcripts
    conn.execute(
        t.insert(),
        [
            {
                "external_id": record.external_id,
                "source_name": record.source_name,
                "source_format": record.source_format,
                "text": record.text,
                "content_hash": digest,
                "has_speakers": bool(record.speakers),
                "local_only": False,
                "imported_at": now,
            }
            for record, digest in new
        ],
    )
    ids: dict[str, int] = {}
    for chunk in _chunks([record.external_id for record, _ in new]):
        ids.update(
            conn.execute(select(t.c.external_id, t.c.id).where(t.c.external_id.in_(chunk))).all()
        )
    passage_rows = []
    counts: dict[str, int] = {}
    for record, _digest in new:
        before = len(passage_rows)
        transcript_id = ids[record.external_id]
        has_speakers = bool(record.speakers)
        coded_by_speaker: dict[str | None, bool] = {}
        spans = record.passages
        if spans is None:
            spans = [
                span[:4]
                for span in segment(
                    record.text, record.speakers, settings.segmentation, record.label_lines
                )
            ]
        for position, speaker, start, end in spans:
            coded = coded_by_speaker.get(speaker)
            if coded is None:
                coded = settings.is_coded_speaker(speaker, has_speakers)
                coded_by_speaker[speaker] = coded
            passage_rows.append((transcript_id, position, speaker, start, end, coded))
        counts[record.external_id] = len(passage_rows) - before
    bulk_insert(conn, schema.passages, _PASSAGE_COLUMNS, passage_rows)
    return counts


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
