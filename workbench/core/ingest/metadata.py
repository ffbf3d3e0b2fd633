"""Import a metadata CSV: fields per transcript id, kept even for ids not (yet) imported."""

from __future__ import annotations

from pathlib import Path

from workbench.core.ingest.results import MetadataImportResult
from workbench.core.readers import read_metadata
from workbench.core.store import importing as writes
from workbench.core.store.audit import append_audit
from workbench.core.store.project import Project


def import_metadata_file(
    project: Project, path: str | Path, actor: str = "workbench"
) -> MetadataImportResult:
    """Import a metadata CSV; ids not (yet) in the project are kept and reported."""
    mapping = read_metadata(path)
    with project.transaction() as conn:
        ids = list(mapping)
        known = writes.known_external_ids(conn, ids)
        values = writes.upsert_metadata(conn, mapping)
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
