"""Import many transcript files: read and parse them, possibly in parsing processes, and store
each file all or nothing, committing often enough that other writers are not kept waiting."""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

from workbench.core.ingest.batch import store_batch, store_transcripts
from workbench.core.ingest.results import FileImportResult, ImportOutcome
from workbench.core.parsing import parse_files, parse_files_in_background
from workbench.core.readers import (
    SUPPORTED_SUFFIXES,
    TABLE_LIKE_SUFFIXES,
    ParsedTranscript,
    read_transcripts,
)
from workbench.core.store.backups import take_backup
from workbench.core.store.busy import writing_note
from workbench.core.store.database import is_url
from workbench.core.store.importing import ImportConnection
from workbench.core.store.project import Project
from workbench.core.tasks import CancelToken, Progress, cycle_collector_paused

_BATCH_CHARS = 4_000_000  # parsed text stored per batch of files
# An import holds the project's write lock while its transaction is open. It commits between
# files at least this often, then leaves the lock free for a moment for a waiting writer.
_COMMIT_SECONDS = 5.0


def import_transcript_file(
    project: Project, path: str | Path, actor: str = "workbench"
) -> FileImportResult:
    """Import every transcript of one file in one transaction; TranscriptError changes nothing."""
    records = read_transcripts(path)
    take_backup(project, "import")
    return store_transcripts(project, records, str(path), actor=actor)


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


def import_files(
    project: Project,
    paths: Iterable[str | Path],
    actor: str = "workbench",
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
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
            project, files, actor, progress, cancel, parallel, commit_every_bytes, outcome
        )


def _describe(files: list[Path]) -> str:
    if len(files) == 1:
        return str(files[0])
    return f"{len(files)} files from {files[0]}" if files else "no files"


def _import(
    project: Project,
    files: list[Path],
    actor: str,
    progress: Progress | None,
    cancel: CancelToken | None,
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
    token = cancel or CancelToken()
    by_file: dict[str, FileImportResult] = {}
    writer = ImportConnection(project)
    batch: list[tuple[str, list[ParsedTranscript]]] = []
    batch_chars = unsaved_bytes = 0
    current: Path | None = None
    done = 0

    def commit() -> None:
        nonlocal unsaved_bytes
        writer.commit()
        unsaved_bytes = 0

    def flush() -> None:
        nonlocal batch, batch_chars, unsaved_bytes
        if batch:
            writer.begin()
        added = 0
        for result in store_batch(writer.conn, batch, settings, actor) if batch else []:
            added += result.passages
            unsaved_bytes += result.bytes
            if result.file in by_file:
                by_file[result.file].merge(result)
            else:
                by_file[result.file] = result
                outcome.files.append(result)
        writer.analyse_as_it_grows(added)
        batch, batch_chars = [], 0

    def reject_current() -> None:
        """Undo what the table file in progress stored: it is all or nothing."""
        nonlocal batch, batch_chars
        if writer.in_savepoint:
            # The batch holds only this table file's chunks (flushed when it began). Any other
            # file fails before it sends records, and the batch is earlier files' good work.
            batch, batch_chars = [], 0
            writer.rollback_savepoint()
        if current is not None and by_file.pop(str(current), None) is not None:
            outcome.files = [f for f in outcome.files if f.file != str(current)]

    try:
        with cycle_collector_paused():
            for path, records, error in stream:
                if path != current:
                    if writer.in_savepoint:
                        flush()
                        writer.release_savepoint()
                    if unsaved_bytes >= commit_every_bytes or (
                        writer.in_transaction
                        and time.perf_counter() - writer.began >= _COMMIT_SECONDS
                    ):
                        flush()
                        commit()
                    if token.cancelled:
                        outcome.cancelled = True
                        break
                    current = path
                    done += 1
                    if progress is not None:
                        progress(done, len(files), str(path))
                    if path.suffix.lower() in TABLE_LIKE_SUFFIXES:
                        flush()  # the file's chunks stay apart from other files' batches
                        writer.begin_savepoint()
                if error is not None:
                    reject_current()
                    outcome.errors.append(error)
                    continue
                batch.append((str(path), records or []))
                batch_chars += sum(len(record.text) for record in records or [])
                if batch_chars >= min(_BATCH_CHARS, commit_every_bytes):
                    flush()
                if writer.in_savepoint and token.cancelled:
                    reject_current()
                    outcome.cancelled = True
                    break
            flush()
            writer.release_savepoint()
            writer.commit(hand_over=False)
            writer.refresh_statistics(sum(result.passages for result in outcome.files))
    except BaseException:
        writer.rollback()
        raise
    finally:
        stream.close()  # stops the parsing process if it is still running
        writer.close()
    outcome.seconds = time.perf_counter() - started
    return outcome


def _project_file(project: Project) -> tuple[str, ...]:
    return () if is_url(project.location) else (project.location,)


def _total_size(files: list[Path]) -> int:
    return sum(f.stat().st_size for f in files if f.is_file())
