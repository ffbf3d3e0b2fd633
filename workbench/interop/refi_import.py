"""Bring a REFI-QDA project into a workbench project: transcripts, codebook, coders, codings.

The import is planned completely before anything is written: the file is read, each text
source cut into passages by the same rules as a ``.txt`` file (speaker turns found by the same
reader), the code tree turned into a codebook version (checked like any codebook), and every
coding mapped onto the passages its selection touches (a selection covering part of a passage
codes that passage, and is kept as a coded span: the part of the selection inside it). What cannot be mapped (pictures, audio, PDF regions, links, codings on
interviewer turns or on codes marked not codable) is listed in the plan, which the command
line prints before committing, so nothing is dropped silently.

Codings become logged decisions of each user, as a decisions CSV import does; an import only
adds codes, it never removes ones a coder already holds. An engine user's codings are what it
suggested, not reviews: they become its suggestions (``refi_provenance`` reads back the
confidence and rationale a workbench export wrote beside them).

Each step has its module: ``refi_plan`` reads the file and maps its selections,
``refi_codebook_merge`` merges its code tree into the codebook, ``refi_commit`` writes the plan.
This one is the way in: which files are REFI-QDA, and plan and commit in one call.
"""

from __future__ import annotations

from pathlib import Path

from workbench.core.store.project import Project
from workbench.interop.refi_commit import RefiImportResult, commit_refi_import
from workbench.interop.refi_plan import plan_refi_import

REFI_SUFFIXES = {".qdpx", ".qde"}


def is_refi_file(path: str | Path) -> bool:
    return Path(path).suffix.lower() in REFI_SUFFIXES


def import_refi(
    project: Project,
    path: str | Path,
    actor: str = "workbench",
    code_map: dict[str, str] | None = None,
) -> RefiImportResult:
    """Plan and commit in one call (for scripts and tests; the CLI prints the plan between)."""
    return commit_refi_import(project, plan_refi_import(project, path, code_map), actor)
