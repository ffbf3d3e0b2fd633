"""Several workbench processes on one project at once, and an import killed or interrupted.

Each case runs real `python -m workbench` processes. To make them meet for certain rather
than by the luck of timing, the test itself holds the project's write lock while they start,
so that all of them are waiting for it when it is released.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import REPO
from workbench.core.store import Project
from workbench.core.store.busy import busy_message, writing_note
from workbench.testing.synthetic import write_corpus_csv, write_corpus_files

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="uses /proc and POSIX signals")

CODEBOOK = REPO / "codebooks" / "patient-experience.yaml"


def _workbench(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "workbench", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
    )


def _finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=60)
    return process.returncode, out, err


@contextmanager
def _write_lock(location: Path):
    """Hold the project's write lock, as another writing process would."""
    holder = sqlite3.connect(location, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def _started(*processes: subprocess.Popen[str]) -> None:
    time.sleep(2.0)  # long enough for the interpreters to start and reach the lock
    for process in processes:
        assert process.poll() is None, process.communicate()


def _verify(location: Path) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "workbench", "verify", str(location), "--json"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def _status(location: Path) -> dict:
    with Project.open(location) as project:
        return project.status()


def _new_project(tmp_path: Path) -> Path:
    location = tmp_path / "study.wb"
    code = subprocess.run(
        [sys.executable, "-m", "workbench", "new", str(location), "--codebook", str(CODEBOOK)],
        capture_output=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=60,
    ).returncode
    assert code == 0
    return location


def _folder(folder: Path, count: int, seed: int, target_chars: int = 1500) -> Path:
    """``count`` transcript files with ids of their own (``<folder name>_N``)."""
    folder.mkdir()
    write_corpus_files(folder, count, seed=seed, target_chars=target_chars)
    for path in folder.iterdir():
        path.rename(path.with_name(f"{folder.name}_{path.name}"))
    return folder


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # the fields after the command name, which may hold spaces: state, ppid, ...
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


def _decisions_csv(location: Path, path: Path, coders: tuple[str, ...]) -> int:
    """A decisions file coding the project's first participant passages; returns its rows."""
    with Project.open(location) as project:
        codes = [code.id for code in project.codebook.walk()][:3]
    export = location.with_suffix(".csv")
    subprocess.run(
        [sys.executable, "-m", "workbench", "export", str(location), "--out", str(export)],
        check=True,
        capture_output=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=60,
    )
    import csv

    with export.open(encoding="utf-8") as handle:
        passages = [row["passage_id"] for row in csv.DictReader(handle) if row["coded"] == "true"]
    rows = [
        (passage, coder, codes[(index + number) % len(codes)])
        for index, passage in enumerate(passages[:40])
        for number, coder in enumerate(coders)
    ]
    assert rows, "no participant passages to code"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["passage_id", "coder", "code"])
        writer.writerows(rows)
    return len(rows)


def test_two_imports_at_once_both_succeed(tmp_path):
    location = _new_project(tmp_path)
    first, second = tmp_path / "a.csv", tmp_path / "b"
    write_corpus_csv(first, 30, seed=1, target_chars=1500)
    _folder(second, 30, seed=2)
    with _write_lock(location):
        one = _workbench("import", str(location), str(first), "--json")
        two = _workbench("import", str(location), str(second), "--json")
        _started(one, two)
    for process in (one, two):
        code, out, err = _finish(process)
        assert code == 0, err
        assert json.loads(out)["added"] == 30
    with Project.open(location) as project, project.reading() as conn:
        ids = [row[0] for row in conn.exec_driver_sql("SELECT external_id FROM transcripts")]
    assert len(ids) == len(set(ids)) == 60
    assert _verify(location)["ok"]


def test_an_import_beside_a_decisions_import(tmp_path):
    location = _new_project(tmp_path)
    corpus = tmp_path / "a.csv"
    write_corpus_csv(corpus, 10, seed=1, target_chars=1500)
    assert _finish(_workbench("import", str(location), str(corpus)))[0] == 0
    decisions = tmp_path / "decisions.csv"
    _decisions_csv(location, decisions, ("ana", "ben"))
    more = tmp_path / "more"
    _folder(more, 30, seed=3)
    with _write_lock(location):
        importing = _workbench("import", str(location), str(more))
        deciding = _workbench("import", str(location), str(decisions), "--decisions")
        _started(importing, deciding)
    for process in (importing, deciding):
        code, _out, err = _finish(process)
        assert code == 0, err
    status = _status(location)
    assert status["transcripts"] == 40
    assert status["coders"] == 2
    assert status["decisions"] > 0
    assert _verify(location)["ok"]


def test_the_same_decisions_file_twice_at_once(tmp_path):
    location = _new_project(tmp_path)
    corpus = tmp_path / "a.csv"
    write_corpus_csv(corpus, 10, seed=1, target_chars=1500)
    assert _finish(_workbench("import", str(location), str(corpus)))[0] == 0
    decisions = tmp_path / "decisions.csv"
    rows = _decisions_csv(location, decisions, ("ana", "ben", "cleo"))
    with _write_lock(location):
        runs = [
            _workbench("import", str(location), str(decisions), "--decisions", "--json")
            for _ in range(2)
        ]
        _started(*runs)
    reports = []
    for process in runs:
        code, out, err = _finish(process)
        assert code == 0, err
        reports.append(json.loads(out)["decisions"][0])
    applied = sorted(report["applied"] for report in reports)
    assert applied == [0, rows], reports  # one applied every code, the other found them there
    status = _status(location)
    assert status["coders"] == 3
    assert status["decisions"] == rows
    assert _verify(location)["ok"]


def test_a_writer_that_waits_too_long_says_the_project_is_busy(tmp_path):
    location = _new_project(tmp_path)
    corpus = tmp_path / "a.csv"
    write_corpus_csv(corpus, 5, seed=1, target_chars=1500)
    with _write_lock(location):
        process = _workbench(
            "import", str(location), str(corpus), env={"WORKBENCH_BUSY_TIMEOUT_MS": "500"}
        )
        code, _out, err = _finish(process)
    assert code == 1
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "the project is busy" in err and "database is locked" not in err
    assert _status(location)["transcripts"] == 0


def test_the_busy_message_names_a_live_writer(tmp_path):
    location = str(tmp_path / "study.wb")
    note = tmp_path / "study.wb.writing"
    with writing_note(location, "import of interviews.csv"):
        assert json.loads(note.read_text())["job"] == "import of interviews.csv"
        assert "(" not in busy_message(location)  # a process does not wait for itself
    assert not note.exists()  # the note went with its job
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        note.write_text(json.dumps({"pid": other.pid, "job": "import of x.csv"}))
        assert f"(import of x.csv, process {other.pid})" in busy_message(location)
    finally:
        other.kill()
        other.wait()
    assert "import of x.csv" not in busy_message(location)  # its process is gone


def _import_waiting_for_the_lock(tmp_path: Path) -> tuple[Path, Path]:
    """A project and a folder big enough to be parsed in parsing processes that outlast the
    wait: more text than one batch (``ingest.files._BATCH_CHARS``, 4 MB), so the writer stops at
    the lock with files still to come, and more tasks than the parsers' queues hold, so they
    block until the writer takes them. (1.2 MB, as this was, fit one batch: fast parsers were
    done and gone before the writer first needed the lock.)"""
    location = _new_project(tmp_path)
    return location, _folder(tmp_path / "many", 1200, seed=4, target_chars=6000)


def _parsers_of(process: subprocess.Popen[str]) -> list[int]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        parsers = [pid for pid in _children(process.pid) if _alive(pid)]
        if len(parsers) >= 2:
            return parsers
        time.sleep(0.1)
    raise AssertionError(f"no parsing processes appeared: {process.communicate()}")


def _gone_soon(pids: list[int]) -> bool:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if not any(_alive(pid) for pid in pids):
            return True
        time.sleep(0.1)
    return False


def _held_soon(pid: int, prefix: str, seconds: float = 5.0) -> list[str]:
    """The files under ``prefix`` that process ``pid`` still holds once it has settled: a forked
    parser closes the handles it inherited first thing, which takes a moment on a busy machine."""
    deadline = time.monotonic() + seconds
    while True:
        held = []
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                held.append(os.readlink(fd))
            except OSError:
                continue
        held = [name for name in held if name.startswith(prefix)]
        if not held or time.monotonic() > deadline:
            return held
        time.sleep(0.05)


def test_a_killed_import_leaves_no_parsing_process_behind(tmp_path):
    location, folder = _import_waiting_for_the_lock(tmp_path)
    with _write_lock(location):
        process = _workbench("import", str(location), str(folder))
        parsers = _parsers_of(process)
        project_file = os.path.realpath(location)
        for pid in parsers:  # they do not hold the project file open while they work
            held = _held_soon(pid, project_file)
            assert not held, held
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert _gone_soon(parsers), [pid for pid in parsers if _alive(pid)]
    assert _status(location)["transcripts"] == 0  # it had stored nothing: nothing is there
    assert _verify(location)["ok"]


def test_ctrl_c_during_an_import_stops_its_parsing_processes(tmp_path):
    location, folder = _import_waiting_for_the_lock(tmp_path)
    with _write_lock(location):
        process = _workbench("import", str(location), str(folder))
        parsers = _parsers_of(process)
        process.send_signal(signal.SIGINT)
        code, _out, err = _finish(process)
        assert code == 130, err
        assert _gone_soon(parsers)
    assert _status(location)["transcripts"] == 0
    assert _verify(location)["ok"]
