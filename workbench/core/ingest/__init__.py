"""Bring transcripts and metadata into a project: find the files, read and parse them, cut
them into passages, decide what is new, and hand the store the rows to write.

The store (``workbench.core.store.importing``) only writes; everything that decides lives here.
"""

from workbench.core.ingest.batch import store_batch, store_transcripts
from workbench.core.ingest.files import expand_paths, import_files, import_transcript_file
from workbench.core.ingest.metadata import import_metadata_file
from workbench.core.ingest.results import FileImportResult, ImportOutcome, MetadataImportResult

__all__ = [
    "FileImportResult",
    "ImportOutcome",
    "MetadataImportResult",
    "expand_paths",
    "import_files",
    "import_metadata_file",
    "import_transcript_file",
    "store_batch",
    "store_transcripts",
]
