"""Where the bundled codebooks and sample study live (the repository's top-level folders)."""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_data_path

from workbench.core.errors import WorkbenchError

REPO_ROOT = Path(__file__).resolve().parents[1]


def bundled(*parts: str) -> Path:
    """A bundled file or folder, e.g. ``bundled("codebooks", "ai-at-work.yaml")``."""
    path = REPO_ROOT.joinpath(*parts)
    if not path.exists():
        raise WorkbenchError(
            f"{path}: bundled resource missing; install the workbench from its source folder "
            "(pip install -e .) so that codebooks/ and resources/ are found"
        )
    return path


def sample_study_dir() -> Path:
    return bundled("resources", "sample-study")


def user_data_dir() -> Path:
    """The per-user folder for demo projects and settings (never inside a project)."""
    path = user_data_path("workbench", appauthor=False)
    path.mkdir(parents=True, exist_ok=True)
    return path
