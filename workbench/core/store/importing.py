"""Put transcripts and metadata into a project: all or nothing per file, batched, deduplicated."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from workbench.core.clock import utc_now
from workbench.core.importers import ParsedTranscript, read_metadata, read_transcripts
from workbench.core.segmenter import segment
from workbench.core.store import schema
from workbench.core.store.audit import append_audit
from workbench.core.store.project import Project, ProjectSettings

log = logging.getLogger(__name__)

_CHUNK = 500  # ids per IN (...) query, well under every database's parameter limit


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


def import_transcript_file(project: Project, path: str | Path, actor: str = "workbench") -> FileImportResult:
    """Import every transcript of one file in one transaction; TranscriptError changes nothing."""
    records = read_transcripts(path)
    return store_transcripts(project, records, str(path), actor=actor)


def store_transcripts(
    project: Project, records: list[ParsedTranscript], source: str, actor: str = "workbench"
) -> FileImportResult:
    """Store parsed transcripts; skips ones already present and reports changed ones."""
    result = FileImportResult(file=source)
    settings = project.settings
    hashes = [content_hash(record.text) for record in records]
    with project.transaction() as conn:
        by_id, by_hash = _existing(conn, [r.external_id for r in records], hashes)
        new: list[tuple[ParsedTranscript, str]] = []
        for record, digest in zip(records, hashes):
            if record.external_id in by_id:
                if by_id[record.external_id] == digest:
                    result.unchanged.append(record.external_id)
                else:
                    result.conflicts.append(record.external_id)
            elif digest in by_hash:
                result.duplicates.append({"id": record.external_id, "same_as": by_hash[digest]})
            else:
                by_hash[digest] = record.external_id
                new.append((record, digest))
        if new:
            result.passages = _insert(conn, new, settings)
            upsert_metadata(conn, {r.external_id: r.metadata for r, _ in new if r.metadata})
        result.added = [record.external_id for record, _ in new]
        result.bytes = sum(len(record.text.encode("utf-8")) for record, _ in new)
        append_audit(conn, actor, "import.transcripts", result.to_dict() | {"added_ids": result.added[:50]})
    if result.conflicts:
        log.warning("%s: %d transcripts changed since import, not merged", source, len(result.conflicts))
    return result


def _existing(
    conn: Connection, external_ids: list[str], hashes: list[str]
) -> tuple[dict[str, str], dict[str, str]]:
    t = schema.transcripts
    by_id: dict[str, str] = {}
    by_hash: dict[str, str] = {}
    for chunk in _chunks(external_ids):
        rows = conn.execute(select(t.c.external_id, t.c.content_hash).where(t.c.external_id.in_(chunk)))
        by_id.update({external_id: digest for external_id, digest in rows})
    for chunk in _chunks(hashes):
        rows = conn.execute(select(t.c.external_id, t.c.content_hash).where(t.c.content_hash.in_(chunk)))
        by_hash.update({digest: external_id for external_id, digest in rows})
    return by_id, by_hash


def _insert(conn: Connection, new: list[tuple[ParsedTranscript, str]], settings: ProjectSettings) -> int:
    now = utc_now()
    t = schema.transcripts
    rows = [
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
    ]
    ids = conn.execute(t.insert().returning(t.c.id, sort_by_parameter_order=True), rows).scalars().all()
    passage_rows = []
    for transcript_id, (record, _digest) in zip(ids, new):
        has_speakers = bool(record.speakers)
        coded_by_speaker: dict[str | None, bool] = {}
        for span in segment(record.text, record.speakers, settings.segmentation):
            coded = coded_by_speaker.get(span.speaker)
            if coded is None:
                coded = settings.is_coded_speaker(span.speaker, has_speakers)
                coded_by_speaker[span.speaker] = coded
            passage_rows.append(
                {
                    "transcript_id": transcript_id,
                    "position": span.position,
                    "speaker": span.speaker,
                    "start": span.start,
                    "end": span.end,
                    "text": span.text,
                    "coded": coded,
                }
            )
    for chunk in _chunks(passage_rows, 20_000):
        conn.execute(schema.passages.insert(), list(chunk))
    return len(passage_rows)


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


def import_metadata_file(project: Project, path: str | Path, actor: str = "workbench") -> MetadataImportResult:
    """Import a metadata CSV; ids not (yet) in the project are kept and reported."""
    mapping = read_metadata(path)
    t = schema.transcripts
    with project.transaction() as conn:
        known: set[str] = set()
        ids = list(mapping)
        for chunk in _chunks(ids):
            known.update(conn.execute(select(t.c.external_id).where(t.c.external_id.in_(chunk))).scalars())
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
