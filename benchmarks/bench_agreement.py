"""Agreement at scale: 3 coders x 1,000,000 passages x 40 codes, every per-code metric.

    .venv/bin/python benchmarks/bench_agreement.py [--units 1000000] [--codes 40]

Reports the seconds for all seven metrics over every code (per-code, present/absent, missing
where a coder did not review a passage), and compares Krippendorff's alpha with the
`krippendorff` package on the same data: both values and the time ratio.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from workbench.core.agreement.compute import METRICS, code_metric
from workbench.core.agreement.data import CodedData


def synthetic(units: int, codes: int, coders: int = 3, seed: int = 1) -> CodedData:
    """Coders who mostly agree: a shared truth per code, each coder flipping 10% of it."""
    rng = np.random.default_rng(seed)
    prevalence = rng.uniform(0.02, 0.3, codes)
    truth = rng.random((units, codes)) < prevalence
    present = np.repeat(truth[:, None, :], coders, axis=1)
    present ^= rng.random(present.shape) < 0.1
    reviewed = rng.random((units, coders)) < 0.9
    return CodedData(
        units=[str(i) for i in range(units)],
        coders=[f"c{i}" for i in range(coders)],
        codes=[f"code{i}" for i in range(codes)],
        reviewed=reviewed,
        present=present,
        coder_kinds={},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=1_000_000)
    parser.add_argument("--codes", type=int, default=40)
    args = parser.parse_args()
    data = synthetic(args.units, args.codes)
    started = time.perf_counter()
    values = {
        metric: [code_metric(data, k, metric).value for k in range(args.codes)]
        for metric in METRICS
    }
    all_metrics = time.perf_counter() - started
    pair = data.select(coders=["c0", "c1"])
    started = time.perf_counter()
    two_coder = {
        m: [code_metric(pair, k, m).value for k in range(args.codes)] for m in ("cohen", "scott")
    }
    two_coder_seconds = time.perf_counter() - started
    cold = synthetic(args.units, args.codes)  # same data, nothing cached: a fair race
    started = time.perf_counter()
    ours_alpha = [code_metric(cold, k, "alpha").value for k in range(args.codes)]
    ours_alpha_seconds = time.perf_counter() - started
    report: dict[str, object] = {
        "units": args.units,
        "coders": 3,
        "codes": args.codes,
        "all_seven_metrics_all_codes_s": round(all_metrics, 2),
        "cohen_and_scott_two_coders_all_codes_s": round(two_coder_seconds, 2),
        "alpha_all_codes_cold_s": round(ours_alpha_seconds, 2),
        "alpha_code0": ours_alpha[0],
        "fleiss_code0": values["fleiss"][0],
        "cohen_code0_c0_c1": two_coder["cohen"][0],
    }
    try:
        import krippendorff
    except ImportError:
        report["krippendorff_package"] = "not installed"
    else:
        started = time.perf_counter()
        theirs = []
        for k in range(args.codes):
            reliability = cold.code_values(k).T.astype(float)
            reliability[reliability < 0] = np.nan
            theirs.append(
                krippendorff.alpha(
                    reliability_data=reliability,
                    level_of_measurement="nominal",
                    value_domain=[0, 1],
                )
            )
        their_seconds = time.perf_counter() - started
        report["krippendorff_package_alpha_all_codes_s"] = round(their_seconds, 2)
        report["speed_ratio_package_over_ours"] = round(their_seconds / ours_alpha_seconds, 1)
        report["max_abs_difference"] = float(
            max(abs(a - b) for a, b in zip(ours_alpha, theirs, strict=True))
        )
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
