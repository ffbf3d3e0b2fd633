"""uα from the workbench against an independent, published implementation, on random data.

    .venv/bin/pip install --no-deps krippendorff-unitized-alpha==0.1.0
    PYTHONPATH=. .venv/bin/python benchmarks/compare_unitizing_reference.py [--trials 200]

The package on PyPI ``krippendorff-unitized-alpha`` (0.1.0) implements the overall uα of
Krippendorff, Mathet, Bouvry and Widlöcher (2016) from the paper's coincidence matrices, written
by someone else from the same paper. It is not a dependency: it pins old numpy and pytest, so
this check runs on demand, with ``--no-deps`` into the project's environment.

Each trial draws a continuum of 20 to 200 characters and two or three coders, each cutting it
into non-overlapping selections of two codes (the paper's data: one partition per coder), and
compares uα. The package knows only the overall uα, not |uα, cuα or (k)uα, so only uα is
compared; those are checked in ``tests/test_unitizing_alpha.py`` against a pair-by-pair
computation. Prints the number of trials and the largest and mean absolute differences.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench.core.agreement.unitizing import Continuum, partition, unitizing_alpha  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    try:
        from krippendorff_unitized_alpha.krippendorffs_unitized_alpha import (
            EMPTY_TAG,
            KrippendorffUnitizedAlpha,
            Segment,
        )
    except ImportError:
        print(
            "the reference is not installed: "
            ".venv/bin/pip install --no-deps krippendorff-unitized-alpha==0.1.0",
            file=sys.stderr,
        )
        return 2
    rng = np.random.default_rng(args.seed)
    differences = []
    for _ in range(args.trials):
        length = int(rng.integers(20, 200))
        coders: dict[str, list[tuple[str, int, int]]] = {}
        for coder in ("a", "b", "c")[: int(rng.integers(2, 4))]:
            at, selections = 0, []
            while at < length - 2:
                start = int(rng.integers(at, length - 1))
                end = int(rng.integers(start + 1, min(length, start + 40) + 1))
                selections.append((str(rng.choice(["x", "y"])), start, end))
                at = end + int(rng.integers(0, 20))
            coders[coder] = selections
        ours = unitizing_alpha([Continuum(length, coders)]).value
        if ours is None:
            continue
        theirs = KrippendorffUnitizedAlpha(
            {
                coder: [
                    Segment("+".join(sorted(value)) if value else EMPTY_TAG, start, end)
                    for value, start, end in partition(length, selections)
                ]
                for coder, selections in coders.items()
            }
        ).result
        differences.append(abs(ours - theirs))
    print(
        f"{len(differences)} trials: largest difference {max(differences):.2e}, "
        f"mean {float(np.mean(differences)):.2e}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
