"""A ratings CSV end to end: ``workbench agreement FILE --metric alpha`` against the pandas way.

    .venv/bin/python benchmarks/bench_agreement_csv.py [--units 300000] [--repeat 5]

Writes a ``unit,coder,value`` file (3 coders, nominal categories 1-5, about 10% of ratings
missing), then times, alternating in one run, two whole processes started the same way:

(a) ``python -m workbench agreement FILE --metric alpha --json``
(b) a script doing ``pandas.read_csv`` + pivot + ``krippendorff.alpha(..., "nominal")``

It prints the best and median seconds of each, the ratio (a)/(b) of the medians, and both
alphas, which must agree. Whole processes, because that is what a researcher waits for:
start-up and import time count.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

PANDAS_SCRIPT = """
import sys
import krippendorff
import pandas as pd

frame = pd.read_csv(sys.argv[1])
table = frame.pivot(index="coder", columns="unit", values="value")
print(krippendorff.alpha(reliability_data=table.to_numpy(dtype=float),
                         level_of_measurement="nominal"))
"""


def write_ratings(path: Path, units: int, coders: int = 3, seed: int = 7) -> None:
    """Coders who mostly agree on a shared truth; each rating missing with probability 0.1."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(1, 6, units)
    values = np.repeat(truth[:, None], coders, axis=1)
    noise = rng.random(values.shape) < 0.2
    values[noise] = rng.integers(1, 6, int(noise.sum()))
    rated = rng.random(values.shape) >= 0.1
    unit_names = np.char.add("u", np.arange(units).astype(str))
    rows = [
        (np.flatnonzero(rated[:, c]), np.char.add(f",c{c},", values[rated[:, c], c].astype(str)))
        for c in range(coders)
    ]
    order = np.concatenate([index for index, _ in rows])
    tails = np.concatenate([tail for _, tail in rows])
    keep = np.argsort(order, kind="stable")  # unit-major, as a spreadsheet export would be
    lines = np.char.add(unit_names[order[keep]], tails[keep])
    path.write_text("unit,coder,value\n" + "\n".join(lines.tolist()) + "\n", encoding="utf-8")


def timed(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr}")
    return seconds, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory() as folder:
        ratings = Path(folder) / "ratings.csv"
        write_ratings(ratings, args.units)
        script = Path(folder) / "pandas_krippendorff.py"
        script.write_text(PANDAS_SCRIPT, encoding="utf-8")
        ours = [sys.executable, "-m", "workbench", "agreement", str(ratings)]
        ours += ["--metric", "alpha", "--json"]
        theirs = [sys.executable, str(script), str(ratings)]
        ours_s: list[float] = []
        theirs_s: list[float] = []
        for _ in range(args.repeat):  # alternating, so load on a shared machine hits both
            seconds, out = timed(ours, env)
            ours_s.append(seconds)
            ours_alpha = json.loads(out)["value"]
            seconds, out = timed(theirs, env)
            theirs_s.append(seconds)
            theirs_alpha = float(out)
        report = {
            "units": args.units,
            "coders": 3,
            "file_mb": round(ratings.stat().st_size / 1e6, 1),
            "workbench_s": {
                "best": round(min(ours_s), 3),
                "median": round(statistics.median(ours_s), 3),
            },
            "pandas_krippendorff_s": {
                "best": round(min(theirs_s), 3),
                "median": round(statistics.median(theirs_s), 3),
            },
            "ratio_workbench_over_pandas": round(
                statistics.median(ours_s) / statistics.median(theirs_s), 2
            ),
            "workbench_alpha": ours_alpha,
            "pandas_krippendorff_alpha": round(theirs_alpha, 6),
            "alphas_agree": abs(ours_alpha - theirs_alpha) < 1e-6,
        }
    print(json.dumps(report, indent=2))
    if not report["alphas_agree"]:
        raise SystemExit("the two alphas differ")


if __name__ == "__main__":
    main()
