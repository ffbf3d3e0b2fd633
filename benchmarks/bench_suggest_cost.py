"""Tokens and cost per passage for the sample study: our design against the naive one.

    .venv/bin/python benchmarks/bench_suggest_cost.py [--model MODEL]

Ours: the codebook in a cached system prompt (written once, then read at a tenth of the price),
many passages per request. Naive: one request per passage with the whole prompt, no caching.
Token counts are the offline estimate in workbench.suggest.prices (the API cannot be reached
here); output tokens are assumed equal (60 per passage) for both designs.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from workbench.core.store import Project
from workbench.core.store.queries import list_transcripts
from workbench.demo import create_demo_project
from workbench.suggest.claude import ClaudeOptions, estimate_chunk_cost, make_chunks
from workbench.suggest.prices import DEFAULT_MODEL, Usage, cost
from workbench.suggest.runner import passage_inputs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=DEFAULT_MODEL)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        Project.open(create_demo_project(Path(tmp) / "demo.wb")) as project,
    ):
        codebook = project.codebook
        with project.reading() as conn:
            ids = [t.id for t in list_transcripts(conn)]
        passages = passage_inputs(project, ids)
        ours_options = ClaudeOptions(model=args.model)
        naive_options = ClaudeOptions(model=args.model, chunk_passages=1)
        ours, ours_cost = Usage(), 0.0
        for index, chunk in enumerate(make_chunks(passages, ours_options)):
            usage, dollars = estimate_chunk_cost(chunk, codebook, ours_options, cached=index > 0)
            ours, ours_cost = ours + usage, ours_cost + dollars
        naive = Usage()
        for chunk in make_chunks(passages, naive_options):
            usage, _ = estimate_chunk_cost(chunk, codebook, naive_options, cached=False)
            # no caching at all: the system prompt is ordinary input every time
            naive = naive + Usage(
                input_tokens=usage.input_tokens + usage.cache_creation_input_tokens,
                output_tokens=usage.output_tokens,
            )
        naive_cost = cost(args.model, naive)
        n = len(passages)
        print(
            json.dumps(
                {
                    "model": args.model,
                    "passages": n,
                    "ours_requests": len(make_chunks(passages, ours_options)),
                    "ours_input_tokens_per_passage": round(
                        (
                            ours.input_tokens
                            + ours.cache_creation_input_tokens
                            + ours.cache_read_input_tokens
                        )
                        / n,
                        1,
                    ),
                    "ours_cache_read_share": round(
                        ours.cache_read_input_tokens
                        / max(
                            1,
                            ours.input_tokens
                            + ours.cache_creation_input_tokens
                            + ours.cache_read_input_tokens,
                        ),
                        3,
                    ),
                    "ours_output_tokens_per_passage": round(ours.output_tokens / n, 1),
                    "ours_cost_per_passage_usd": round(ours_cost / n, 6),
                    "naive_requests": n,
                    "naive_input_tokens_per_passage": round(naive.input_tokens / n, 1),
                    "naive_cost_per_passage_usd": round(naive_cost / n, 6),
                    "ours_over_naive_cost": round(ours_cost / naive_cost, 3),
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
