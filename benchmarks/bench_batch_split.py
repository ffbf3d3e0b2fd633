"""How an 81,000-interview project is split into Message Batches (the API's limits per batch:
100,000 requests and 256 MB).

    .venv/bin/python benchmarks/bench_batch_split.py [--sample 1000] [--interviews 81000]

Importing 81,000 transcripts takes long, so a sample of synthetic interviews shaped like the
scale benchmark's (``bench_workspace.py``: 6,000 characters each) is imported, every request the
Claude engine would send for it is rendered exactly as it is submitted, and the sample's request
sizes are repeated to 81,000 interviews' worth before ``split_batches`` groups them.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from workbench.core.codebook import load_codebook
from workbench.core.ingest import import_files
from workbench.core.store import Project
from workbench.core.store.queries import list_transcripts
from workbench.suggest.batches import (
    MAX_BATCH_BYTES,
    MAX_BATCH_REQUESTS,
    plan_batches,
    request_bytes,
    split_batches,
)
from workbench.suggest.claude import ClaudeOptions
from workbench.testing.synthetic import write_corpus_csv

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=1000)
    parser.add_argument("--interviews", type=int, default=81_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.csv"
        write_corpus_csv(corpus, args.sample, target_chars=6000)
        codebook = load_codebook(REPO / "codebooks" / "ai-at-work.yaml")
        with Project.create(Path(tmp) / "sample.wb", codebook=codebook) as project:
            import_files(project, [corpus])
            with project.reading() as conn:
                ids = [t.id for t in list_transcripts(conn)]
            plan = plan_batches(project, ClaudeOptions(), ids)
    sample = [request_bytes(r) for r in plan.requests]
    repeat, rest = divmod(args.interviews, args.sample)
    sizes = sample * repeat + sample[: round(len(sample) * rest / args.sample)]
    groups = split_batches(sizes)
    print(
        json.dumps(
            {
                "interviews": args.interviews,
                "sample_interviews": args.sample,
                "sample_requests": len(sample),
                "requests": len(sizes),
                "total_mb": round(sum(sizes) / 1e6, 1),
                "limits": {"requests": MAX_BATCH_REQUESTS, "mb": MAX_BATCH_BYTES / 1e6},
                "batches": [
                    {"requests": len(g), "mb": round(sum(sizes[i] for i in g) / 1e6, 1)}
                    for g in groups
                ],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
