"""Backup and restore cost on a generated project (a 10,000-transcript import makes ~115 MB).

Run on demand (not part of the test suite):

    .venv/bin/python benchmarks/bench_backup.py --transcripts 10000

A backup is SQLite's online backup into the project's backups folder, so it should cost about
what copying the file costs; the copy with ``shutil.copyfile`` is measured beside it for scale.
A restore copies the backup, checks it (quick check, chain tails), saves the current state and
swaps the file: about two copies and a read.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from workbench.core.codebook import load_codebook
from workbench.core.ingest import import_files
from workbench.core.store import Project
from workbench.core.store.backups import backup_file
from workbench.core.store.restore import restore
from workbench.testing.synthetic import write_corpus_csv

REPO = Path(__file__).resolve().parents[1]


def timed(action) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transcripts", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        corpus = workdir / "corpus.csv"
        write_corpus_csv(corpus, args.transcripts)
        project_path = workdir / "study.wb"
        codebook = load_codebook(REPO / "codebooks" / "ai-at-work.yaml")
        with Project.create(project_path, codebook=codebook) as project:
            import_files(project, [corpus])
        size = project_path.stat().st_size
        copies = [
            timed(lambda: shutil.copyfile(project_path, workdir / "plain-copy.wb"))
            for _ in range(args.runs)
        ]
        made: list[Path] = []
        backups = [timed(lambda: made.append(backup_file(project_path, "manual")))]
        backups += [
            timed(lambda: backup_file(project_path, "manual")) for _ in range(args.runs - 1)
        ]
        restores = [timed(lambda: restore(project_path, made[0])) for _ in range(args.runs)]
    print(
        json.dumps(
            {
                "transcripts": args.transcripts,
                "project_mb": round(size / 1e6, 1),
                "file_copy_s": round(statistics.median(copies), 3),
                "backup_s": round(statistics.median(backups), 3),
                "restore_s": round(statistics.median(restores), 3),
                "runs": args.runs,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
