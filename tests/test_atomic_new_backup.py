"""A REFI-QDA import into an existing project takes the same ``import`` backup first as a
transcript import, under the same retention rules, and ``backup --list`` shows it."""

from __future__ import annotations

import json

from tests.conftest import write
from tests.test_reliability_refi import study_qdpx
from workbench.cli import main
from workbench.core.store import Project
from workbench.core.store.backups import DEFAULT_KEEP, backup_file, list_backups

__all__ = ["study_qdpx"]  # the module-scoped fixture, shared with the import's kill tests


def _project_with_a_transcript(tmp_path):
    location = tmp_path / "study.wb"
    Project.create(location).close()
    interview = "Interviewer: Why?\n\nParticipant: Because the drafts come faster.\n"
    assert main(["import", str(location), str(write(tmp_path / "own.txt", interview))]) == 0
    return location


def test_a_refi_import_backs_the_project_up_first_and_lists_it(tmp_path, study_qdpx, capsys):
    location = _project_with_a_transcript(tmp_path)
    before = list_backups(location)
    with Project.open(location) as project:
        held = project.status()["transcripts"]
    capsys.readouterr()
    assert main(["import", str(location), str(study_qdpx), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)["refi_qda"][0]["result"]
    after = list_backups(location)
    assert len(after) == len(before) + 1
    newest = after[0]
    assert newest.reason == "import" and str(newest.path) == result["backup"]
    with Project.open(newest.path, read_only=True) as copy:  # the state before the import
        assert copy.status()["transcripts"] == held and copy.codebook is None
    assert main(["backup", str(location), "--list"]) == 0
    assert f"{newest.path.name}  " in capsys.readouterr().out


def test_a_refi_import_keeps_the_rolling_set_at_its_size(tmp_path, study_qdpx, capsys):
    location = _project_with_a_transcript(tmp_path)
    for _ in range(DEFAULT_KEEP):
        backup_file(location, "manual")
    oldest = list_backups(location)[-1]
    assert main(["import", str(location), str(study_qdpx)]) == 0
    kept = list_backups(location)
    assert len(kept) == DEFAULT_KEEP and kept[0].reason == "import"
    assert oldest.path not in {b.path for b in kept}


def test_a_dry_run_takes_no_backup(tmp_path, study_qdpx, capsys):
    location = _project_with_a_transcript(tmp_path)
    before = list_backups(location)
    assert main(["import", str(location), str(study_qdpx), "--dry-run"]) == 0
    assert list_backups(location) == before
