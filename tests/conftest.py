"""Shared fixtures. Qt is forced offscreen before any QApplication exists."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data" / "anthropic-interviewer"


@pytest.fixture
def codebook_path() -> Path:
    return REPO / "codebooks" / "ai-at-work.yaml"


@pytest.fixture
def project(tmp_path, codebook_path):
    from workbench.core.codebook import load_codebook
    from workbench.core.store import Project

    project = Project.create(tmp_path / "study.wb", codebook=load_codebook(codebook_path))
    yield project
    project.close()


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.exists():
        pytest.skip("the published AI-interviewer transcripts (../shared/data) are not available")
    return SHARED_DATA


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path
