"""Parsing processes: the same records in the same order as parsing here, and clean stops."""

from __future__ import annotations

import multiprocessing
import os

import pytest

from tests.conftest import write
from workbench.core import parsing
from workbench.core.parsing import ParsingProcessError, parse_files, parse_files_in_background
from workbench.core.segmenter import Segmentation

INTERVIEW = "Interviewer: How do you use AI?\n\nParticipant: For {what}.\n\nInterviewer: Thanks.\n"


def mixed_files(tmp_path):
    """Small files (several tasks), a table of several chunks between them, a broken file."""
    files = [write(tmp_path / f"a{i:03d}.txt", INTERVIEW.format(what=f"a{i}")) for i in range(90)]
    rows = "\n".join(f'r{i},"AI: Why?\n\nUser: Reason {i}."' for i in range(2300))
    files.append(write(tmp_path / "big.csv", "id,text\n" + rows + "\n"))
    files.append(write(tmp_path / "broken.csv", "id,text\nx,\n"))
    files += [write(tmp_path / f"b{i:03d}.txt", INTERVIEW.format(what=f"b{i}")) for i in range(70)]
    return files


def summary(items):
    return [
        (
            path.name,
            error,
            [
                (r.external_id, r.digest, tuple(r.speakers), tuple(map(tuple, r.passages)))
                for r in records or []
            ],
        )
        for path, records, error in items
    ]


def test_processes_give_what_parsing_here_gives_in_file_order(tmp_path):
    files = mixed_files(tmp_path)
    here = summary(parse_files(files, Segmentation.TURN))
    there = summary(parse_files_in_background(files, Segmentation.TURN, processes=2))
    assert there == here
    assert [name for name, _, _ in here].count("big.csv") == 3  # 1000 + 1000 + 300 rows
    assert any(error and "broken.csv" in error for _, error, _ in here)


def test_closing_the_stream_stops_the_processes(tmp_path):
    files = mixed_files(tmp_path)
    stream = parse_files_in_background(files, Segmentation.TURN, processes=2)
    next(stream)
    stream.close()
    assert multiprocessing.active_children() == []


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
def test_a_parsing_process_that_dies_is_reported(tmp_path, monkeypatch):
    files = mixed_files(tmp_path)[:5]
    real = parsing.read_transcript_chunks

    def dies_on_the_third(path, mode):
        if path.name == "a002.txt":
            os._exit(3)  # as if killed: no traceback, no goodbye
        return real(path, mode)

    monkeypatch.setattr(parsing, "read_transcript_chunks", dies_on_the_third)
    monkeypatch.setattr(parsing, "_start_method", lambda: "fork")  # the child keeps the patch
    with pytest.raises(ParsingProcessError, match="exit code 3"):
        list(parse_files_in_background(files, Segmentation.TURN, processes=1))


def test_an_import_from_a_worker_thread_spawns_its_parsers(tmp_path, project):
    """The GUI imports on a worker thread: forking there could copy a held lock, so the
    parsing processes are spawned, and the import still completes."""
    import threading

    from workbench.core.store.importing import import_files

    files = [write(tmp_path / f"t{i:02d}.txt", INTERVIEW.format(what=f"t{i}")) for i in range(20)]
    seen: dict[str, object] = {}

    def work() -> None:
        seen["method"] = parsing._start_method()
        seen["outcome"] = import_files(project, files, parallel=True)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(timeout=120)
    assert seen["method"] == "spawn"
    assert seen["outcome"].errors == [] and project.status()["transcripts"] == 20
