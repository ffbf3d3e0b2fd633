"""``new copy.wb --from x.qdpx`` is whole or absent: killed at any moment, or stopped by a full
disk, it leaves no project under the chosen name (only a hidden partial file, which the next run
deletes), and the project's first audit entry names the final file and the REFI-QDA source. On
a database server, where nothing can be renamed, a failure says the project is incomplete and
how to complete it."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.test_reliability_refi import (
    _disk_full,
    _mount_small_disk,
    snapshot,
    study_qdpx,
    verifies,
)
from workbench.cli import main
from workbench.core.partial_project import partial_path
from workbench.core.store import Project
from workbench.core.store.audit import audit_events
from workbench.core.store.database import shown_location

__all__ = ["study_qdpx"]  # the module-scoped fixture, shared with the import's kill tests

# `new --from` in a child process, saying when the import's writes begin and how long they
# took, so the kills can be spread over the writes and the rename rather than Python's start.
CHILD = """
import sys, time
from workbench.interop import refi_commit
real = refi_commit.commit_refi_import
def timed(*args, **kwargs):
    print("writing", flush=True)
    started = time.monotonic()
    result = real(*args, **kwargs)
    print(time.monotonic() - started, flush=True)
    return result
refi_commit.commit_refi_import = timed
from workbench.cli import main
sys.exit(main(["new", sys.argv[1], "--from", sys.argv[2], "--json"]))
"""
ENV = {**os.environ, "PYTHONPATH": str(REPO)}


def _start(target: Path, qdpx: Path) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(target), str(qdpx)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=ENV,
    )
    assert child.stdout is not None and child.stdout.readline() == "writing\n"
    return child


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".partial-" in p.name)


def _first_audit(location: Path) -> dict:
    with Project.open(location) as project, project.reading() as conn:
        return audit_events(conn, "project.create")[0][1]


def test_new_from_names_the_final_file_and_source_and_takes_no_backup(tmp_path, study_qdpx, capsys):
    target = tmp_path / "copy.wb"
    assert main(["new", str(target), "--from", str(study_qdpx), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"]["project"] == str(target)
    assert out["import"]["result"]["backup"] is None
    assert _first_audit(target) == {"location": str(target), "from": str(study_qdpx)}
    assert _leftovers(tmp_path) == []
    assert not any(p.name.endswith(".backups") for p in tmp_path.iterdir())
    assert verifies(target, capsys)
    assert snapshot(target)["decisions"]


def test_a_killed_new_from_leaves_no_project_and_a_rerun_cleans_up_and_completes(
    tmp_path, study_qdpx, capsys
):
    reference = tmp_path / "reference.wb"
    child = _start(reference, study_qdpx)
    took = float(child.stdout.readline())
    assert child.wait() == 0
    child.stdout.close()
    whole = snapshot(reference)
    delays = random.Random(20261130)
    cut_short = 0
    for attempt in range(6):
        folder = tmp_path / f"run{attempt}"
        folder.mkdir()
        target = folder / "copy.wb"
        child = _start(target, study_qdpx)
        time.sleep(delays.uniform(0, took * 1.2))
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        if target.exists():  # killed after the rename: the project is the whole one
            assert snapshot(target) == whole, f"attempt {attempt}: renamed before it was whole"
            continue
        cut_short += 1
        partial = partial_path(target, child.pid)
        assert partial.exists(), f"attempt {attempt}: {_leftovers(folder)}"
        capsys.readouterr()
        assert main(["new", str(target), "--from", str(study_qdpx)]) == 0
        err = capsys.readouterr().err
        assert f"removed {partial}" in err and "cut short" in err
        assert _leftovers(folder) == [], f"attempt {attempt}"
        assert verifies(target, capsys)
        assert snapshot(target) == whole, f"attempt {attempt}: the rerun differs"
        assert _first_audit(target)["location"] == str(target)
    assert cut_short, "every kill came after the rename"


def test_a_full_disk_during_new_from_leaves_nothing_and_a_rerun_completes(
    tmp_path, study_qdpx, capsys, monkeypatch
):
    from workbench.interop import refi_commit

    reference = tmp_path / "reference.wb"
    assert main(["new", str(reference), "--from", str(study_qdpx)]) == 0
    whole = snapshot(reference)
    target = tmp_path / "full" / "copy.wb"
    capsys.readouterr()
    monkeypatch.setattr(refi_commit, "record_decisions_bulk", _disk_full)
    assert main(["new", str(target), "--from", str(study_qdpx)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert "database or disk is full" in err
    assert not target.exists() and _leftovers(target.parent) == []
    monkeypatch.undo()
    assert main(["new", str(target), "--from", str(study_qdpx)]) == 0
    assert snapshot(target) == whole


@pytest.mark.parametrize("size", ["200k", "500k"])
def test_a_really_full_disk_during_new_from_leaves_nothing(tmp_path, study_qdpx, capsys, size):
    reference = tmp_path / "reference.wb"
    assert main(["new", str(reference), "--from", str(study_qdpx)]) == 0
    whole = snapshot(reference)
    disk = tmp_path / "disk"
    disk.mkdir()
    if not _mount_small_disk(disk, size):
        pytest.skip("mounting a small tmpfs needs root and the right to mount")
    try:
        target = disk / "copy.wb"
        capsys.readouterr()
        assert main(["new", str(target), "--from", str(study_qdpx)]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "full" in err and "Traceback" not in err, err
        assert sorted(p.name for p in disk.iterdir()) == []
        subprocess.run(["mount", "-o", "remount,size=8m", str(disk)], check=True)
        assert main(["new", str(target), "--from", str(study_qdpx)]) == 0
        assert snapshot(target) == whole
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_partial_file_of_a_running_process_is_named_and_kept(tmp_path, study_qdpx, capsys):
    target = tmp_path / "copy.wb"
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        partial = partial_path(target, other.pid)
        partial.write_bytes(b"being built")
        assert main(["new", str(target), "--from", str(study_qdpx)]) == 1
        err = capsys.readouterr().err
        assert f"process {other.pid} is creating it now" in err and str(partial) in err
        assert partial.read_bytes() == b"being built" and not target.exists()
    finally:
        other.kill()
        other.wait()
    assert main(["new", str(target), "--from", str(study_qdpx)]) == 0  # its process is gone
    assert _leftovers(tmp_path) == []


def test_new_from_refuses_an_existing_project_before_building(tmp_path, study_qdpx, capsys):
    target = tmp_path / "copy.wb"
    Project.create(target).close()
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    partial_path(target, gone.pid).write_bytes(b"cut short")
    running = partial_path(target, os.getppid())  # a live process that is not this one
    running.write_bytes(b"being built")
    assert main(["new", str(target), "--from", str(study_qdpx)]) == 1
    err = capsys.readouterr().err
    assert "already exists" in err and "is creating it now" not in err, err
    assert _leftovers(tmp_path) == [running.name]


@pytest.mark.backends
def test_a_failed_new_from_says_what_is_left_and_how_to_complete_it(
    project_location, backend, tmp_path, study_qdpx, capsys, monkeypatch
):
    from workbench.interop import refi_commit

    reference = tmp_path / "reference.wb"
    assert main(["new", str(reference), "--from", str(study_qdpx)]) == 0
    with Project.open(reference) as project:
        expected = project.status()
    location = str(project_location)
    capsys.readouterr()
    monkeypatch.setattr(refi_commit, "record_decisions_bulk", _disk_full)
    assert main(["new", location, "--from", str(study_qdpx)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert "database or disk is full" in err
    monkeypatch.undo()
    if backend == "sqlite":  # renamed into place only when whole: nothing to complete
        assert "incomplete" not in err and not Path(location).exists()
        return
    assert "is incomplete" in err
    assert f"'workbench import {shown_location(location)} {study_qdpx}' completes it" in err
    assert main(["new", location, "--from", str(study_qdpx)]) == 1  # the name is taken
    capsys.readouterr()
    assert main(["import", location, str(study_qdpx)]) == 0
    with Project.open(location) as project:
        done = project.status()
        with project.reading() as conn:
            assert audit_events(conn, "project.create")[0][1]["from"] == str(study_qdpx)
    keys = ("transcripts", "passages", "coders", "decisions", "memos", "codebook_version")
    assert {k: done[k] for k in keys} == {k: expected[k] for k in keys}
