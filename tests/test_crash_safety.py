"""A killed process loses nothing committed and leaves no half-imported file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from sqlalchemy import text

from tests.conftest import REPO
from workbench.core.readers import read_transcripts
from workbench.core.segmenter import segment
from workbench.core.store import Project

SCRIPT = """
import sys, time
from workbench.core.store import Project
from workbench.core.store.importing import import_files
project = Project.open(sys.argv[1])
def slow(done, total, name):
    print(done, flush=True)
    time.sleep(0.01)
import_files(project, [sys.argv[2]], progress=slow, parallel=False, commit_every_bytes=1500)
print("finished", flush=True)
"""


def test_killing_an_import_leaves_a_consistent_project(tmp_path):
    folder = tmp_path / "interviews"
    folder.mkdir()
    for i in range(400):
        answers = "".join(
            f"Interviewer: q{j}?\n\nParticipant: answer {j} of interview {i}.\n\n" for j in range(6)
        )
        (folder / f"p{i:03d}.txt").write_text(answers, encoding="utf-8")
    location = tmp_path / "study.wb"
    Project.create(location).close()
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(location), str(folder)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    seen = 0
    deadline = time.monotonic() + 60
    while seen < 120 and time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.strip().isdigit():
            seen = int(line)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert seen >= 120, "the import did not get far enough to be interrupted"
    with Project.open(location) as project:
        with project.reading() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            counts = dict(
                conn.execute(
                    text(
                        "select t.external_id, count(p.id) from transcripts t left join passages p on p.transcript_id = t.id group by t.id"
                    )
                ).all()
            )
        imported = len(counts)
        assert 0 < imported < 400  # some files committed before the kill, not all
        for external_id, passages in counts.items():
            [record] = read_transcripts(folder / f"{external_id}.txt")
            assert passages == len(segment(record.text, record.speakers))  # every file whole
        status = project.status()
    assert status["transcripts"] == imported
