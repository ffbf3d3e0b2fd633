"""Build a fresh project from the bundled sample study (``workbench demo``)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from workbench.core.codebook import load_codebook
from workbench.core.errors import WorkbenchError
from workbench.core.ingest import import_files, import_metadata_file
from workbench.core.store import Project
from workbench.resources import bundled, sample_study_dir, user_data_dir


def create_demo_project(location: Path | None = None) -> Path:
    """A new project with the sample study's transcripts, metadata and the AI-at-work codebook.

    Each call makes a new file (the demo is for trying things; earlier demos are left alone).
    """
    if location is None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        location = user_data_dir() / "demo" / f"sample-study-{stamp}.wb"
        location.parent.mkdir(parents=True, exist_ok=True)
    study = sample_study_dir()
    codebook = load_codebook(bundled("codebooks", "ai-at-work.yaml"))
    with Project.create(location, codebook=codebook, actor="demo") as project:
        metadata = study / "participants.csv"
        outcome = import_files(project, [study], actor="demo", parallel=False, exclude=[metadata])
        if outcome.errors:
            raise WorkbenchError("the sample study did not import: " + "; ".join(outcome.errors))
        import_metadata_file(project, metadata, actor="demo")
    return location
