"""``export`` and ``report`` (``--as NAME`` included) stopped mid-write by a full disk leave no
partial file under the final name: the previous file, or none, and no temporary file.

Where root may mount, the output folder is a one-page tmpfs already full, so the writer meets
a real ENOSPC as it writes its first block; elsewhere the flush to disk fails with ENOSPC, which a writer that bypassed
``atomic_output`` would never reach (its file would be complete and kept).
"""

from __future__ import annotations

import errno
import os
import stat
import subprocess
from pathlib import Path

import pytest

from tests.conftest import write
from workbench.cli import main
from workbench.core import safe_output
from workbench.core.session import CodingSession
from workbench.core.spreadsheet import import_decisions_csv
from workbench.core.store import Project
from workbench.core.store.importing import import_transcript_file

ANSWER = (
    "Participant: I draft with it, then I rewrite everything by hand, slowly and with care.\n\n"
)


@pytest.fixture
def study(tmp_path, project):
    """Three coded interviews, two coders."""
    rows = ["passage_id,coder,code"]
    for n in range(3):
        text = "".join(f"Interviewer: question {i} of {n}?\n\n{ANSWER}" for i in range(20))
        import_transcript_file(project, write(tmp_path / f"p{n}.txt", text))
        for position in range(2, 41, 2):
            rows.append(f"p{n}#{position},ana,{'prod.speed' if position % 4 else 'fear.atrophy'}")
            rows.append(f"p{n}#{position},ben,prod.speed")
    import_decisions_csv(project, write(tmp_path / "d.csv", "\n".join(rows) + "\n"))
    return project.location


OUTPUTS = [
    ("report", "agreement", ".html"),
    ("report", "analysis", ".xlsx"),
    ("report", "analysis", ".csv"),
    ("report", "analysis", ".pdf"),
    ("export", None, ".csv"),
    ("export", None, ".xlsx"),
    ("export", None, ".parquet"),
    ("export", None, ".qdpx"),
]


def _args(location: str, command: str, kind: str | None, out: Path) -> list[str]:
    if command == "report":
        return [
            "report",
            location,
            "--kind",
            str(kind),
            "--as",
            "ana",
            "--no-ci",
            "--out",
            str(out),
        ]
    extra = [] if out.suffix == ".qdpx" else ["--as", "ana"]
    return ["export", location, *extra, "--out", str(out)]


def _small_disk(folder: Path) -> bool:
    if os.name != "posix" or os.geteuid() != 0:
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4k", "tmpfs", str(folder)], capture_output=True
    )
    return done.returncode == 0


@pytest.mark.parametrize("existed", [False, True])
@pytest.mark.parametrize(("command", "kind", "suffix"), OUTPUTS)
def test_a_full_disk_mid_write_leaves_no_partial_output(
    tmp_path, study, capsys, monkeypatch, command, kind, suffix, existed
):
    folder = tmp_path / "out"
    folder.mkdir()
    mounted = _small_disk(folder)
    if not mounted:  # the flush before the rename fails as a full disk's would

        def full(_descriptor: int) -> None:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr(safe_output.os, "fsync", full)
    try:
        out = folder / f"result{suffix}"
        if existed:
            out.write_bytes(b"old")
        if mounted and not existed:  # the tmpfs's one page taken: the first flush meets ENOSPC
            (folder / "filler").write_bytes(b"x")
        capsys.readouterr()
        assert main(_args(study, command, kind, out)) == 1
        err = capsys.readouterr().err
        assert "No space left on device" in err and err.count("\n") == 1, err
        if existed:
            assert out.read_bytes() == b"old" and "previous file is unchanged" in err
        else:
            assert not out.exists()
        left = sorted(p.name for p in folder.iterdir() if p.name != "filler")
        assert left == (["result" + suffix] if existed else []), left
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_failure_on_a_companion_file_keeps_the_whole_previous_set(
    tmp_path, study, capsys, monkeypatch, suffix
):
    """An export is a table and its companions (memos, about): a full disk on the second file
    must not leave a new table beside the old memos, a set that reads as one export."""
    out = tmp_path / f"e{suffix}"
    assert main(["export", study, "--out", str(out)]) == 0
    names = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("e."))
    assert len(names) == 3  # the table, its memos, the about file
    old = {name: (tmp_path / name).read_bytes() for name in names}
    with Project.open(study) as project:  # the next export differs in every file
        import_decisions_csv(
            project, write(tmp_path / "more.csv", "passage_id,coder,code\np0#2,carl,prod.speed\n")
        )
        CodingSession(project, "carl").save_memo(1, "a memo that changes the memos table")
    real = safe_output.os.fsync
    flushed: list[int] = []

    def full_on_the_second(descriptor: int) -> None:
        if stat.S_ISREG(os.fstat(descriptor).st_mode):  # a file, not the folder after a rename
            flushed.append(descriptor)
        if len(flushed) == 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(descriptor)

    monkeypatch.setattr(safe_output.os, "fsync", full_on_the_second)
    capsys.readouterr()
    assert main(["export", study, "--as", "ana", "--out", str(out)]) == 1
    assert "No space left on device" in capsys.readouterr().err
    assert {name: (tmp_path / name).read_bytes() for name in names} == old
    assert not [p for p in tmp_path.iterdir() if safe_output.PARTIAL_MARK in p.name]
