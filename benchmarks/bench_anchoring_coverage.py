"""How often the anchoring report's interval covers the true effect, over simulated studies.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_anchoring_coverage.py \
        [--studies 200] [--passages 600] [--effect 0.15] [--resamples 400] [--coders 3]

Each study is the test suite's simulated experiment (``tests/test_anchoring.py``): coders with
a known accuracy, an engine right 70% of the time, and, in the "before" arm, coders who follow
a suggestion they would not have chosen so that acceptance rises by exactly ``--effect``. The
report's interval for the acceptance difference is computed as a project's would be, and the
script prints the share of studies whose interval holds the true effect (nominal: 95%), with
its binomial standard error, the mean estimate and the mean interval width. On demand only:
it is a check of the method, not of speed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.test_anchoring import _simulated_study  # noqa: E402
from workbench.core.agreement.anchoring import analyse_units  # noqa: E402


def coverage(
    studies: int, passages: int, effect: float, resamples: int, coders: int, seed: int
) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    covered, estimates, widths = 0, [], []
    for study in range(studies):
        units = _simulated_study(rng, 0.7, effect, passages=passages, coders=coders)
        d = analyse_units(units, resamples=resamples, seed=study).overall.acceptance.difference
        assert d.low is not None and d.high is not None and d.value is not None
        covered += d.low <= effect <= d.high
        estimates.append(d.value)
        widths.append(d.high - d.low)
    share = covered / studies
    return {
        "studies": studies,
        "passages": passages,
        "coders": coders,
        "effect": effect,
        "coverage": round(share, 4),
        "coverage_se": round(float(np.sqrt(share * (1 - share) / studies)), 4),
        "mean_estimate": round(float(np.mean(estimates)), 4),
        "sd_estimate": round(float(np.std(estimates, ddof=1)), 4),
        "mean_width": round(float(np.mean(widths)), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=200)
    parser.add_argument("--passages", type=int, default=600)
    parser.add_argument("--effect", type=float, default=0.15)
    parser.add_argument("--resamples", type=int, default=400)
    parser.add_argument("--coders", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    start = time.perf_counter()
    found = coverage(
        args.studies, args.passages, args.effect, args.resamples, args.coders, args.seed
    )
    found["seconds"] = round(time.perf_counter() - start, 1)
    print(json.dumps(found))


if __name__ == "__main__":
    main()
