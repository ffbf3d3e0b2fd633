"""What an import reports: per file, per run of many files, and per metadata file."""

from __future__ import annotations

from dataclasses import dataclass, field


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
