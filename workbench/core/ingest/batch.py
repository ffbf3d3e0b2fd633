"""Decide what of a batch of parsed transcripts to store, cut it into passages, and store it.

Transcripts already present (same id, same text) are skipped; the same text under another id
is a duplicate and skipped; the same id with other text is a conflict, reported and never
merged. The statements themselves are the store's (``workbench.core.store.importing``).
"""

from __future__ import annotations

import logging

from workbench.core.ingest.results import FileImportResult
from workbench.core.readers import ParsedTranscript, content_hash
from workbench.core.segmenter import cut
from workbench.core.store import Connection
from workbench.core.store import importing as writes
from workbench.core.store.project import Project, ProjectSettings

log = logging.getLogger(__name__)


def store_transcripts(
    project: Project, records: list[ParsedTranscript], source: str, actor: str = "workbench"
) -> FileImportResult:
    """Store parsed transcripts in their own transaction."""
    with project.transaction() as conn:
        return store_batch(conn, [(source, records)], project.settings, actor)[0]


def store_batch(
    conn: Connection,
    batch: list[tuple[str, list[ParsedTranscript]]],
    settings: ProjectSettings,
    actor: str,
) -> list[FileImportResult]:
    """Store the transcripts of several files inside the caller's transaction.

    Files are stored together (a few statements per batch, not per file); the caller's
    transaction makes the batch, and so each file, all or nothing.
    """
    everything = [record for _source, records in batch for record in records]
    hashes = {id(record): record.digest or content_hash(record.text) for record in everything}
    by_id, by_hash = writes.existing_transcripts(
        conn, [r.external_id for r in everything], list(hashes.values())
    )
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
    for result in results:
        result.warnings += [
            f"{result.file}: '{speaker}' taken as the interviewer (close to "
            f"'{word.capitalize()}'); if wrong: workbench speakers --set '{speaker}=participant'"
            for speaker in sorted(result.speakers)
            if (word := settings.guessed_interviewer_word(speaker)) is not None
        ]
    if new:
        rows = [_with_passages(record, digest, settings) for record, digest in new]
        for external_id, count in writes.insert_transcripts(conn, rows).items():
            owner[external_id].passages += count
        writes.upsert_metadata(conn, {r.external_id: r.metadata for r, _ in new if r.metadata})
    writes.record_imports(
        conn, actor, [result.to_dict() | {"added_ids": result.added[:50]} for result in results]
    )
    for result in results:
        if result.conflicts:
            log.warning(
                "%s: %d transcripts changed, not merged", result.file, len(result.conflicts)
            )
    return results


def _with_passages(
    record: ParsedTranscript, digest: str, settings: ProjectSettings
) -> writes.NewTranscript:
    """The record with its passages (cut now unless the parsing process did) and coded speakers."""
    passages = record.passages
    if passages is None:
        passages = cut(record.text, record.speakers, settings.segmentation, record.label_lines)
    has_speakers = bool(record.speakers)
    coded = {
        speaker: settings.is_coded_speaker(speaker, has_speakers)
        for speaker in set(passages.speakers)
    }
    return writes.NewTranscript(record, digest, passages, coded)
