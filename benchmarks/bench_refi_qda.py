"""REFI-QDA export and import time on a coded synthetic study.

Run on demand (not part of the test suite):

    .venv/bin/python benchmarks/bench_refi_qda.py --transcripts 1000

Builds a project of AI-interviewer-style transcripts, has two coders code every participant
passage (one code each, from a decisions CSV), then times ``export --out .qdpx`` and
``new --from`` on the result, and reports the file size.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import tempfile
import time
from pathlib import Path

from workbench.core.codebook import load_codebook
from workbench.core.ingest import import_files
from workbench.core.spreadsheet import import_decisions_csv
from workbench.core.store import Project
from workbench.core.store.queries import list_transcripts, passages_of
from workbench.interop.refi_export import export_qdpx
from workbench.interop.refi_import import import_refi
from workbench.testing.synthetic import write_corpus_csv

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--transcripts", type=int, default=1000)
    args = parser.parse_args()
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        write_corpus_csv(work / "corpus.csv", args.transcripts)
        codebook = load_codebook(REPO / "codebooks" / "ai-at-work.yaml")
        with Project.create(work / "study.wb", codebook=codebook) as project:
            import_files(project, [work / "corpus.csv"])
            with project.reading() as conn:
                ids = [t.id for t in list_transcripts(conn)]
                keys = [p.key for p in passages_of(conn, ids) if p.coded]
            with open(work / "d.csv", "w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(["passage_id", "coder", "code"])
                for key in keys:
                    for coder in ("ana", "ben"):
                        writer.writerow([key, coder, rng.choice(codebook.ids)])
            import_decisions_csv(project, work / "d.csv")
            started = time.perf_counter()
            exported = export_qdpx(project, work / "study.qdpx")
            export_seconds = time.perf_counter() - started
        with Project.create(work / "copy.wb") as copy:
            started = time.perf_counter()
            imported = import_refi(copy, work / "study.qdpx")
            import_seconds = time.perf_counter() - started
        print(
            json.dumps(
                {
                    "transcripts": args.transcripts,
                    "codings": exported.codings,
                    "qdpx_mb": round((work / "study.qdpx").stat().st_size / 1e6, 1),
                    "export_s": round(export_seconds, 1),
                    "import_s": round(import_seconds, 1),
                    "applied": imported.applied,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
