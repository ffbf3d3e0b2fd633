"""Import throughput: generate AI-interviewer-style transcripts, import them, report MB/s.

Run on demand (not part of the test suite):

    .venv/bin/python benchmarks/bench_import.py --transcripts 10000

Two layouts are measured: one CSV with a transcript per row (as datasets are published) and a
folder with a .txt file per transcript. Throughput counts the transcript text imported (UTF-8
bytes) over the wall time of the whole import (reading, parsing, segmenting, writing, commit).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from workbench.core.codebook import load_codebook
from workbench.core.ingest import import_files
from workbench.core.store import Project
from workbench.testing.synthetic import write_corpus_csv, write_corpus_files

REPO = Path(__file__).resolve().parents[1]


def measure(label: str, inputs: list[Path], workdir: Path) -> dict[str, object]:
    project_path = workdir / f"{label}.wb"
    codebook = load_codebook(REPO / "codebooks" / "ai-at-work.yaml")
    with Project.create(project_path, codebook=codebook) as project:
        started = time.perf_counter()
        outcome = import_files(project, inputs)
        seconds = time.perf_counter() - started
        status = project.status()
    assert not outcome.errors, outcome.errors
    megabytes = sum(f.bytes for f in outcome.files) / 1e6
    size = sum(p.stat().st_size for p in workdir.glob(f"{label}.wb*"))
    return {
        "layout": label,
        "transcripts": status["transcripts"],
        "passages": status["passages"],
        "megabytes": round(megabytes, 1),
        "seconds": round(seconds, 2),
        "throughput_mb_s": round(megabytes / seconds, 1),
        "project_mb": round(size / 1e6, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transcripts", type=int, default=10_000)
    parser.add_argument("--layout", choices=["csv", "files", "both"], default="both")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        results = []
        if args.layout in ("csv", "both"):
            csv_path = workdir / "corpus.csv"
            write_corpus_csv(csv_path, args.transcripts)
            results.append(measure("csv", [csv_path], workdir))
        if args.layout in ("files", "both"):
            folder = workdir / "corpus"
            write_corpus_files(folder, args.transcripts)
            results.append(measure("files", [folder], workdir))
    print(json.dumps({"cpus": os.cpu_count(), "results": results}, indent=2))


if __name__ == "__main__":
    main()
