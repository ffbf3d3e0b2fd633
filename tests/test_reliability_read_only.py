"""Every reading command on a read-only project leaves nothing beside it: no ``-wal``/``-shm``,
no journal, no backup, no ``.writing`` note, and the file itself unchanged.

Three ways a project is read-only: its folder on a read-only mount (a bind mount, where root may
mount; the kernel then refuses any write, so a command that tried would fail), its folder not
writable (``chmod 555``: root writes through it, so the workbench's own check is what keeps
the folder clean, and a file created would show), and the file alone ``chmod 444``.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import deny_writes, write
from workbench.cli import main
from workbench.core.codebook import load_codebook
from workbench.core.session import CodingSession
from workbench.core.store import Project
from workbench.core.store.importing import import_transcript_file
from workbench.core.store.queries import list_transcripts, passages_of
from workbench.core.store.translations import StoredTranslation, save_translations

ANSWER = "Participant: I draft with it, then rewrite by hand, slowly."


@pytest.fixture
def study(tmp_path, codebook_path) -> Path:
    """Two coders' codes, coded selections, memos and a stored translation, closed."""
    location = tmp_path / "archive" / "study.wb"
    location.parent.mkdir()
    with Project.create(location, codebook=load_codebook(codebook_path)) as project:
        for n in range(3):
            text = "".join(f"Interviewer: question {i} of {n}?\n\n{ANSWER}\n\n" for i in range(4))
            import_transcript_file(project, write(tmp_path / f"p{n}.txt", text))
        with project.reading() as conn:
            passages = [
                p for t in list_transcripts(conn) for p in passages_of(conn, [t.id]) if p.coded
            ]
        for name, code in (("ana", "prod.speed"), ("ben", "fear.atrophy")):
            session = CodingSession(project, name)
            for passage in passages:
                start = passage.start + len("Participant: ")
                session.code_span(passage.id, code, start, start + len("I draft"))
            session.save_memo(passages[0].id, f"{name}: drafts first")
        with project.transaction() as conn:
            save_translations(
                conn,
                [StoredTranslation(passages[0].id, "de", "en", "Ich entwerfe", "claude", "m")],
            )
    return location


def _reads(study: Path, out: Path) -> list[list[str]]:
    project = str(study)
    return [
        ["status", project],
        ["verify", project],
        ["search", project, "draft"],
        ["search", project, "", "--code", "prod.speed"],
        ["agreement", project],
        ["agreement", project, "--unitizing"],
        ["disagreements", project],
        ["report", project, "--kind", "agreement", "--no-ci", "--out", str(out / "a.html")],
        ["report", project, "--kind", "analysis", "--as", "ana", "--out", str(out / "b.csv")],
        ["export", project, "--out", str(out / "e.csv")],
        ["export", project, "--as", "ana", "--out", str(out / "e.xlsx")],
        ["export", project, "--out", str(out / "e.qdpx")],
        ["codebook", "export", project, "--out", str(out / "cb.yaml")],
        ["speakers", project],
        ["language", project],
        ["backup", project, "--list"],
        ["settings", project],
        ["anchoring", project],
        ["translate", project, "--to", "fr", "--dry-run"],
    ]


def _bind_read_only(folder: Path) -> bool:
    if os.name != "posix" or os.geteuid() != 0:
        return False
    if subprocess.run(
        ["mount", "--bind", str(folder), str(folder)], capture_output=True
    ).returncode:
        return False
    remount = ["mount", "-o", "remount,bind,ro", str(folder)]
    if subprocess.run(remount, capture_output=True).returncode:
        subprocess.run(["umount", "-l", str(folder)], check=False)
        return False
    return True


def _state(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file in the folder and below (its backups folder), with size and time."""
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
    }


@pytest.mark.parametrize("how", ["read-only mount", "folder chmod 555", "file chmod 444"])
def test_reading_commands_leave_nothing_beside_a_read_only_project(
    tmp_path, study, capsys, monkeypatch, how
):
    folder = study.parent
    out = tmp_path / "out"
    out.mkdir()
    before = _state(folder)
    assert not [name for name in before if name.endswith(("-wal", "-shm"))]  # closed cleanly
    mounted = False
    if how == "read-only mount":
        mounted = _bind_read_only(folder)
        if not mounted:
            pytest.skip("a read-only bind mount needs root and the right to mount")
    elif how == "folder chmod 555":
        folder.chmod(0o555)
        deny_writes(monkeypatch, folder)
    else:
        study.chmod(0o444)
        deny_writes(monkeypatch, study)
    try:
        for argv in _reads(study, out):
            capsys.readouterr()
            code = main(argv)
            err = capsys.readouterr().err
            assert code == 0, f"{' '.join(argv[:2])}: exit {code}: {err}"
            assert _state(folder) == before, f"{' '.join(argv)} left {sorted(_state(folder))}"
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(folder)], check=False)
        folder.chmod(0o755)
        study.chmod(0o644)
