"""A REFI-QDA import (transcripts, codings, spans and memos from notes) killed at any moment, or
stopped by a full disk, leaves a project that opens and verifies, holding each of the import's
steps whole or not at all; importing the file again completes it without a duplicate.

The import writes the codebook version, the transcripts and then the codings with the memos,
each in its own transaction (README, "REFI-QDA projects"), so an interrupted import is
resumable rather than all-or-nothing: these tests check exactly that.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from tests.conftest import REPO
from workbench.cli import main
from workbench.core.codebook import load_codebook
from workbench.core.ingest import import_files
from workbench.core.session import CodingSession
from workbench.core.spreadsheet import import_decisions_csv
from workbench.core.store import Project
from workbench.core.store.memos import add_imported_memo
from workbench.core.store.queries import list_transcripts, passages_of
from workbench.interop.refi_export import export_qdpx
from workbench.interop.refi_import import import_refi

SOURCES = 40
CODES = ["hope.time", "fear.atrophy", "hope.learning", "fear.displacement"]


def _interview(number: int) -> str:
    return "".join(
        f"Interviewer: question {j} of {number}?\n\n"
        f"Participant: answer {j} in interview {number}, about drafts and the craft.\n\n"
        for j in range(6)
    )


@pytest.fixture(scope="module")
def study_qdpx(tmp_path_factory) -> Path:
    """A .qdpx of many sources, two coders' codings on every answer, coded selections inside
    passages, and notes on passages, on words and on whole sources."""
    root = tmp_path_factory.mktemp("refi_study")
    folder = root / "interviews"
    folder.mkdir()
    for number in range(SOURCES):
        (folder / f"p{number:03d}.txt").write_text(_interview(number), encoding="utf-8")
    codebook = load_codebook(REPO / "codebooks" / "ai-at-work.yaml")
    with Project.create(root / "source.wb", codebook=codebook) as project:
        import_files(project, [folder], parallel=False)
        rows = ["passage_id,coder,code"]
        for number in range(SOURCES):
            for position in range(2, 13, 2):
                rows.append(f"p{number:03d}#{position},ana,{CODES[(number + position) % 4]}")
                rows.append(f"p{number:03d}#{position},ben,{CODES[(number + position + 1) % 4]}")
        (root / "d.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
        import_decisions_csv(project, root / "d.csv")
        with project.transaction() as conn:
            coders = dict(conn.exec_driver_sql("select name, id from coders").all())
            transcripts = list_transcripts(conn)
            answers = {t.id: [p for p in passages_of(conn, [t.id]) if p.coded] for t in transcripts}
            for transcript in transcripts:
                add_imported_memo(
                    conn,
                    coders["ben"],
                    f"Whole interview {transcript.external_id}: hesitant.",
                    transcript_id=transcript.id,
                )
                for passage in answers[transcript.id][::2]:
                    add_imported_memo(
                        conn, coders["ana"], f"Ana on passage {passage.id}.", passage_id=passage.id
                    )
        ana = CodingSession(project, "ana")
        for transcript in transcripts[::3]:
            passage = answers[transcript.id][0]
            start = passage.start + len("Participant: ")
            code = CODES[(int(transcript.external_id[1:]) + passage.position) % 4]
            ana.code_span(passage.id, code, start, start + len("answer"))
            ana.save_memo(passage.id, "Why this word?", span=(start, start + len("answer")))
        out = root / "study.qdpx"
        export_qdpx(project, out)
    return out


def snapshot(location: Path) -> dict[str, list[tuple]]:
    """What an import wrote, as sorted rows that name things, never row ids."""
    with sqlite3.connect(f"file:{location}?mode=ro", uri=True) as conn:
        passages = conn.execute(
            "select t.external_id, count(p.id) from transcripts t "
            "left join passages p on p.transcript_id = t.id group by t.id"
        ).fetchall()
        decisions = conn.execute(
            "select t.external_id, p.position, c.name, d.action, d.code_id, "
            "d.span_start, d.span_end from decisions d join passages p on p.id = d.passage_id "
            "join transcripts t on t.id = p.transcript_id join coders c on c.id = d.coder_id"
        ).fetchall()
        memos = conn.execute(
            "select coalesce(t.external_id, tt.external_id), p.position, c.name, m.text, "
            "m.span_start, m.span_end from memos m left join passages p on p.id = m.passage_id "
            "left join transcripts t on t.id = p.transcript_id "
            "left join transcripts tt on tt.id = m.transcript_id join coders c on c.id = m.coder_id"
        ).fetchall()
        versions = conn.execute("select version from codebook_versions").fetchall()
    return {
        "transcripts": sorted(passages),
        "decisions": sorted(decisions, key=repr),
        "memos": sorted(memos, key=repr),
        "codebook_versions": sorted(versions),
    }


def verifies(location: Path, capsys: pytest.CaptureFixture[str]) -> bool:
    code = main(["verify", str(location)])
    capsys.readouterr()
    return code == 0


# The import's own steps, timed from the moment the file has been read and checked: killing
# the process only then spreads the kills over the writes rather than over Python's start.
CHILD = """
import sys, time
from workbench.core.store import Project
from workbench.interop.refi_commit import commit_refi_import
from workbench.interop.refi_plan import plan_refi_import
project = Project.open(sys.argv[1])
plan = plan_refi_import(project, sys.argv[2])
started = time.monotonic()
print("planned", flush=True)
commit_refi_import(project, plan)
print(time.monotonic() - started, flush=True)
"""
ENV = {**os.environ, "PYTHONPATH": str(REPO)}


def _start(location: Path, qdpx: Path) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(location), str(qdpx)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=ENV,
    )
    assert child.stdout is not None and child.stdout.readline() == "planned\n"
    return child


def _fresh(location: Path) -> Path:
    Project.create(location).close()  # no codebook: the file's code tree is a step of its own
    return location


def test_a_killed_refi_import_is_whole_or_absent_per_step_and_completes_on_reimport(
    tmp_path, study_qdpx, capsys
):
    reference = _fresh(tmp_path / "reference.wb")
    child = _start(reference, study_qdpx)
    took = float(child.stdout.readline())
    assert child.wait() == 0
    child.stdout.close()
    whole = snapshot(reference)
    assert (
        whole["decisions"] and whole["memos"] and any(d[5] is not None for d in whole["decisions"])
    )
    assert any(m[1] is None for m in whole["memos"]) and any(
        m[4] is not None for m in whole["memos"]
    )
    passages = dict(whole["transcripts"])
    delays = random.Random(20261130)
    states = set()
    for attempt in range(8):
        location = _fresh(tmp_path / f"killed{attempt}.wb")
        child = _start(location, study_qdpx)
        time.sleep(delays.uniform(0, took))
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        assert verifies(location, capsys), f"attempt {attempt}: verify failed after the kill"
        left = snapshot(location)
        for external_id, count in left["transcripts"]:
            assert count == passages[external_id], f"{external_id} stored in part"
        assert left["decisions"] in ([], whole["decisions"])
        assert left["memos"] in ([], whole["memos"])
        assert not left["decisions"] or left["transcripts"] == whole["transcripts"]
        states.add((len(left["codebook_versions"]), len(left["transcripts"]), len(left["memos"])))
        with Project.open(location) as project:
            import_refi(project, str(study_qdpx))
        assert verifies(location, capsys)
        assert snapshot(location) == whole, f"attempt {attempt}: re-import differs"
    whole_state = (len(whole["codebook_versions"]), len(whole["transcripts"]), len(whole["memos"]))
    assert states - {whole_state}, "every kill came after the import had finished"


def _disk_full(*_args, **_kwargs):
    """SQLite's own words when a write finds the disk full (SQLITE_FULL), as SQLAlchemy raises
    them: how existing tests stand in for a full disk without filling one."""
    raise OperationalError("insert", {}, sqlite3.OperationalError("database or disk is full"))


@pytest.mark.parametrize("where", ["record_decisions_bulk", "store_memos"])
def test_a_full_disk_at_the_codings_says_what_was_kept_and_a_reimport_completes_it(
    tmp_path, study_qdpx, capsys, monkeypatch, where
):
    from workbench.interop import refi_commit

    reference = _fresh(tmp_path / "reference.wb")
    assert main(["import", str(reference), str(study_qdpx)]) == 0
    whole = snapshot(reference)
    location = _fresh(tmp_path / "full.wb")
    capsys.readouterr()
    monkeypatch.setattr(refi_commit, where, _disk_full)
    assert main(["import", str(location), str(study_qdpx)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    # the code book and the transcripts were committed before the disk filled: saying that
    # "nothing was written" would be untrue, and the way to finish is to import again
    assert "nothing was written" not in err
    assert str(study_qdpx) in err and "database or disk is full" in err
    assert f"{SOURCES} transcripts" in err and "import the file again to add the rest" in err
    left = snapshot(location)
    assert left["transcripts"] == whole["transcripts"] and left["codebook_versions"]
    assert left["decisions"] == [] and left["memos"] == []
    monkeypatch.undo()
    assert verifies(location, capsys)
    assert main(["import", str(location), str(study_qdpx)]) == 0
    assert snapshot(location) == whole


def _mount_small_disk(folder: Path, size: str) -> bool:
    """A tmpfs of ``size`` at ``folder``: a real full disk (ENOSPC), where root may mount."""
    if os.name != "posix" or os.geteuid() != 0:
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True
    )
    return done.returncode == 0


@pytest.mark.parametrize("size", ["300k", "500k"])
def test_a_really_full_disk_mid_import_loses_nothing_and_a_reimport_completes_it(
    tmp_path, study_qdpx, capsys, size
):
    reference = _fresh(tmp_path / "reference.wb")
    assert main(["import", str(reference), str(study_qdpx)]) == 0
    whole = snapshot(reference)
    disk = tmp_path / "disk"
    disk.mkdir()
    if not _mount_small_disk(disk, size):
        pytest.skip("mounting a small tmpfs needs root and the right to mount")
    try:
        location = _fresh(disk / "full.wb")
        capsys.readouterr()
        assert main(["import", str(location), str(study_qdpx)]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "full" in err and "Traceback" not in err, err
        left = snapshot(location)
        if left["transcripts"] or left["codebook_versions"]:
            assert "stored before that" in err and "nothing was written" not in err
        assert left["decisions"] == [] and left["memos"] == []
        assert verifies(location, capsys)
        subprocess.run(["mount", "-o", "remount,size=8m", str(disk)], check=True)
        assert main(["import", str(location), str(study_qdpx)]) == 0
        assert verifies(location, capsys)
        assert snapshot(location) == whole
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)
