"""Local engine throughput on the published corpus, against a minimal pass over the same text.

Needs the 1,250 published Anthropic Interviewer transcripts (three CSVs); skips cleanly, exit 0,
when they are absent:

    PYTHONPATH=. .venv/bin/python benchmarks/bench_local_engine.py \\
        --data ../shared/data/anthropic-interviewer --repeat 3

It imports the CSVs into a fresh project once, then times, each as a whole process (Python
start and imports included, best of ``--repeat``):

- ``suggest``: ``workbench suggest --engine local`` on a fresh copy of the project;
- ``minimal``: read the coded passages with sqlite3, TF-IDF over them and the code
  descriptions (scikit-learn's default word analyser), cosine against every code, keep the top
  three: the least any local engine must do;
- ``noop``: ``workbench suggest`` again on the project it has just filled (nothing to do);
- ``status``: ``workbench status`` on the same project.

The aim: ``suggest`` within 4x ``minimal``, and ``noop`` about ``status``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "anthropic-interviewer"  # beside the checkout
FILES = ("creatives_transcripts.csv", "scientists_transcripts.csv", "workforce_transcripts.csv")


def minimal_pass(project: Path) -> int:
    """The baseline, run in its own process: returns how many passages it scored."""
    import sqlite3

    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    from workbench.core.codebook import load_codebook

    codebook = load_codebook(REPO / "codebooks" / "ai-at-work.yaml")
    leaves = [code for code in codebook.walk() if not code.children]
    prototypes = [f"{c.name}\n{c.definition}\n{' '.join(c.include + c.examples)}" for c in leaves]
    conn = sqlite3.connect(project)
    texts = dict(conn.execute("SELECT id, text FROM transcripts"))
    passages = [
        texts[transcript][start:end]
        for transcript, start, end in conn.execute(
            'SELECT transcript_id, start, "end" FROM passages WHERE coded ORDER BY id'
        )
    ]
    matrix = TfidfVectorizer(sublinear_tf=True).fit_transform(prototypes + passages)
    scores = (matrix[len(prototypes) :] @ matrix[: len(prototypes)].T).toarray()
    top = np.argsort(-scores, axis=1)[:, :3]
    return len(top)


def timed(command: list[str], repeat: int, before=None) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Best wall time and best CPU time (user + system) of ``repeat`` runs of ``command``
    (``before`` runs untimed first). CPU time says more on a shared, loaded machine."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("ANTHROPIC_API_KEY", None)
    best, best_cpu = float("inf"), float("inf")
    for _ in range(repeat):
        if before is not None:
            before()
        cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        best_cpu = min(best_cpu, after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime)
    return best, best_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--minimal", type=Path, help=argparse.SUPPRESS)  # the baseline's process
    args = parser.parse_args()
    if args.minimal:
        print(minimal_pass(args.minimal))
        return
    csvs = [args.data / name for name in FILES]
    if not all(path.is_file() for path in csvs):
        print(f"skipped: the published transcripts are not in {args.data}")
        return
    python = [sys.executable, "-m", "workbench"]
    with tempfile.TemporaryDirectory() as tmp:
        built, project = Path(tmp) / "built.wb", Path(tmp) / "run.wb"
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        subprocess.run(
            [*python, "new", str(built), "--codebook", str(REPO / "codebooks" / "ai-at-work.yaml")],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        subprocess.run(
            [*python, "import", str(built), *map(str, csvs)],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        fresh = lambda: shutil.copyfile(built, project)  # noqa: E731
        suggest = timed([*python, "suggest", str(project), "--engine", "local"], args.repeat, fresh)
        minimal = timed([sys.executable, __file__, "--minimal", str(built)], args.repeat)
        noop = timed([*python, "suggest", str(project), "--engine", "local"], args.repeat)
        status = timed([*python, "status", str(project)], args.repeat)
        report = subprocess.run(
            [*python, "status", str(project), "--json"],
            check=True,
            env=env,
            capture_output=True,
            text=True,
        )
    print(
        json.dumps(
            {
                "passages_to_code": json.loads(report.stdout)["coded_passages"],
                "wall_s": {
                    "suggest": round(suggest[0], 2),
                    "minimal": round(minimal[0], 2),
                    "ratio": round(suggest[0] / minimal[0], 2),
                    "noop_suggest": round(noop[0], 2),
                    "status": round(status[0], 2),
                },
                "cpu_s": {
                    "suggest": round(suggest[1], 2),
                    "minimal": round(minimal[1], 2),
                    "ratio": round(suggest[1] / minimal[1], 2),
                    "noop_suggest": round(noop[1], 2),
                    "status": round(status[1], 2),
                },
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
