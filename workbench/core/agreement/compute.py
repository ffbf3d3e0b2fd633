"""Named agreement metrics over coded data or ratings, with intervals, words and a method note.

This is the one place numbers are produced: the CLI, the GUI panel and reports call it and
never recompute. Each result says what it is, for how many units and coders, and when it is
undefined, why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from workbench.core.agreement.data import CodedData, RatingData
from workbench.core.agreement.statistics import (
    Value,
    alpha_from_coincidences,
    bootstrap_interval,
    bootstrap_weights_interval,
    brennan_prediger,
    cohen_from_table,
    coincidences_from_values,
    compress,
    count_matrix,
    fleiss_kappa,
    gwet_ac,
    krippendorff_alpha,
    pair_table,
    percent_agreement,
    prevalence_and_bias,
    set_distances_from_members,
)

METRICS = ("percent", "cohen", "scott", "fleiss", "alpha", "ac1", "bp")
NAMES = {
    "percent": "Percent agreement",
    "cohen": "Cohen's kappa",
    "scott": "Scott's pi",
    "fleiss": "Fleiss' kappa",
    "alpha": "Krippendorff's alpha",
    "ac1": "Gwet's AC1",
    "bp": "Brennan–Prediger kappa",
}
TWO_CODER_METRICS = {"cohen", "scott"}
BOOTSTRAP_REPS = 1000
BOOTSTRAP_SEED = 20251123


@dataclass
class MetricResult:
    metric: str
    value: float | None
    reason: str | None
    units: int
    coders: int
    ci95: tuple[float, float] | None = None
    interpretation: str = ""
    per_code: dict[str, dict[str, object]] | None = None
    extra: dict[str, object] = field(default_factory=dict)

    def to_dict(self, with_ci: bool = False) -> dict[str, object]:
        result: dict[str, object] = {
            "metric": self.metric,
            "value": None if self.value is None else round(self.value, 6),
            "reason": self.reason,
            "units": self.units,
            "coders": self.coders,
            "interpretation": self.interpretation,
        }
        if with_ci:
            result["ci95"] = None if self.ci95 is None else [round(v, 6) for v in self.ci95]
        if self.per_code is not None:
            result["per_code"] = self.per_code
        result.update(self.extra)
        return result


def interpret(metric: str, value: float | None) -> str:
    """The number in words: Krippendorff's thresholds for alpha, Landis & Koch for kappas."""
    if value is None:
        return "undefined"
    if metric == "percent":
        return f"{value:.0%} of coder pairs agree (not corrected for chance)"
    if metric == "alpha":
        if value >= 0.8:
            return "reliable (alpha ≥ .800)"
        if value >= 0.667:
            return "tentative conclusions only (.667 ≤ alpha < .800)"
        return "unreliable (alpha < .667)"
    if value < 0:
        return "poor: below chance"
    for limit, words in ((0.2, "slight"), (0.4, "fair"), (0.6, "moderate"), (0.8, "substantial")):
        if value <= limit:
            return f"{words} (Landis & Koch)"
    return "almost perfect (Landis & Koch)"


# -- one metric over one units × coders array ----------------------------------------------------------


def _count_value(
    metric: str,
    rows: np.ndarray,
    mult: np.ndarray,
    level: str,
    weights: str,
    numeric: np.ndarray | None,
) -> Value:
    if metric == "percent":
        return percent_agreement(rows, mult, weights)
    if metric in ("fleiss", "scott"):  # Scott's pi is Fleiss' kappa with two coders (Gwet)
        return fleiss_kappa(rows, mult, weights)
    if metric == "alpha":
        return krippendorff_alpha(rows, level, numeric, weights=mult)
    if metric == "ac1":
        return gwet_ac(rows, weights, mult)
    if metric == "bp":
        return brennan_prediger(rows, weights, mult)
    raise ValueError(f"unknown metric '{metric}'")


def _two_coder_value(metric: str, values: np.ndarray, q: int, weights: str) -> Value:
    if values.shape[1] != 2:
        return Value.undefined(
            f"{NAMES[metric]} compares exactly two coders ({values.shape[1]} here); "
            "choose two with --coders, or use fleiss or alpha"
        )
    return cohen_from_table(pair_table(values, q), weights)


def _pairable_units(
    values: np.ndarray, metric: str, compressed: tuple[np.ndarray, np.ndarray] | None = None
) -> int:
    """Units coded by two or more coders (by both, for two-coder statistics)."""
    if compressed is not None:
        rows, mult = compressed
        rated = rows.sum(axis=1)
    else:
        rated, mult = _column_sum(values >= 0), None
    keep = rated == 2 if metric in TWO_CODER_METRICS and values.shape[1] == 2 else rated >= 2
    return int(mult[keep].sum()) if mult is not None else int(keep.sum())


def _column_sum(matrix: np.ndarray) -> np.ndarray:
    """Row sums of a units × few-columns array (column by column: much faster than axis=1)."""
    total = np.zeros(matrix.shape[0], dtype=np.int64)
    for column in range(matrix.shape[1]):
        total += matrix[:, column]
    return total


def _result(
    metric: str,
    values: np.ndarray,
    q: int,
    level: str = "nominal",
    weights: str = "identity",
    numeric: np.ndarray | None = None,
    ci: bool = False,
    compressed: tuple[np.ndarray, np.ndarray] | None = None,
) -> MetricResult:
    interval = None
    if metric == "cohen" or (metric in TWO_CODER_METRICS and values.shape[1] != 2):
        value = _two_coder_value(metric, values, q, weights)
        if ci and value.value is not None:
            table = pair_table(values, q)

            def resampled(sample: np.ndarray) -> Value:
                return cohen_from_table(sample.reshape(table.shape), weights)

            interval = bootstrap_weights_interval(
                table.reshape(-1), resampled, BOOTSTRAP_REPS, BOOTSTRAP_SEED
            )
    else:
        rows, mult = compressed if compressed is not None else compress(count_matrix(values, q))
        value = _count_value(metric, rows, mult, level, weights, numeric)
        if ci and value.value is not None:
            interval = bootstrap_weights_interval(
                mult,
                lambda sample: _count_value(metric, rows, sample, level, weights, numeric),
                BOOTSTRAP_REPS,
                BOOTSTRAP_SEED,
            )
    return MetricResult(
        metric=metric,
        value=value.value,
        reason=value.reason,
        units=_pairable_units(values, metric, compressed),
        coders=values.shape[1],
        ci95=interval,
        interpretation=interpret(metric, value.value),
    )


# -- rating data ---------------------------------------------------------------------------------------


def rating_metric(
    data: RatingData,
    metric: str,
    level: str = "nominal",
    weights: str = "identity",
    ci: bool = False,
) -> MetricResult:
    numeric = data.numeric_categories()
    if level in ("interval", "ratio") and numeric is None:
        return MetricResult(
            metric, None, f"the {level} level needs numeric categories", 0, len(data.coders)
        )
    result = _result(metric, data.values, len(data.categories), level, weights, numeric, ci)
    result.extra = {"level": level, "weights": weights, "categories": data.categories}
    return result


# -- coded (set-valued) data ---------------------------------------------------------------------------


def code_metric(data: CodedData, code_index: int, metric: str, ci: bool = False) -> MetricResult:
    """One code as present/absent per passage, for the coders who reviewed the passage."""
    values, compressed = data.code_counts(code_index)
    result = _result(metric, values, 2, ci=ci, compressed=compressed)
    if len(data.coders) == 2:
        prevalence, bias = prevalence_and_bias(values)
        result.extra = {"prevalence_index": prevalence.value, "bias_index": bias.value}
    return result


def _set_categories(data: CodedData) -> tuple[np.ndarray, np.ndarray]:
    """Each reviewed unit-coder cell's set of codes as a category index, and the distinct sets
    as a membership matrix (sets × codes)."""
    packed = np.packbits(data.present, axis=2)
    flat = packed.reshape(data.reviewed.size, packed.shape[2])  # shape[2] is 0 without codes
    reviewed = data.reviewed.reshape(-1)
    values = np.full(flat.shape[0], -1, dtype=np.int64)
    if not reviewed.any():
        return values.reshape(data.reviewed.shape), np.zeros((0, len(data.codes)), dtype=bool)
    rows = flat[reviewed]
    if rows.shape[1] <= 8:  # up to 64 codes: one integer per set, then a fast 1-D unique
        keys = np.zeros(len(rows), dtype=np.uint64)
        for byte in range(rows.shape[1]):
            keys = (keys << np.uint64(8)) | rows[:, byte].astype(np.uint64)
        _distinct_keys, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        distinct = rows[first]
    else:
        distinct, inverse = np.unique(rows, axis=0, return_inverse=True)
    values[reviewed] = inverse.reshape(-1)
    members = np.unpackbits(distinct, axis=1)[:, : len(data.codes)].astype(bool)
    return values.reshape(data.reviewed.shape), members


def set_alpha(data: CodedData, distance: str = "masi", ci: bool = False) -> MetricResult:
    """Krippendorff's alpha over whole code sets per passage (MASI or Jaccard distance)."""
    values, members = _set_categories(data)
    if not len(members):
        return MetricResult("alpha", None, "no passage was reviewed", 0, len(data.coders))
    delta = set_distances_from_members(members, distance)
    q = len(members)

    def statistic(sample: np.ndarray) -> Value:
        return alpha_from_coincidences(coincidences_from_values(sample, q), delta=delta)

    value = statistic(values)
    interval = (
        bootstrap_interval(values, statistic, BOOTSTRAP_REPS, BOOTSTRAP_SEED)
        if ci and value.value is not None
        else None
    )
    return MetricResult(
        metric="alpha",
        value=value.value,
        reason=value.reason,
        units=_pairable_units(values, "alpha"),
        coders=len(data.coders),
        ci95=interval,
        interpretation=interpret("alpha", value.value),
        extra={"level": "set", "distance": distance},
    )


def coded_metric(
    data: CodedData, metric: str, distance: str = "masi", ci: bool = False
) -> MetricResult:
    """A metric over coded data: per code, plus one overall figure.

    The overall figure for alpha is alpha over code sets (``distance``); for the other metrics
    it is pooled over every passage-and-code pair (each code's presence as one binary item).
    """
    per_code = {}
    for index, code in enumerate(data.codes):
        result = code_metric(data, index, metric, ci)
        per_code[code] = result.to_dict(with_ci=ci)
    if metric == "alpha":
        overall = set_alpha(data, distance, ci)
    else:
        stacked = (
            np.concatenate([data.code_values(i) for i in range(len(data.codes))])
            if data.codes
            else np.zeros((0, len(data.coders)), dtype=np.int8)
        )
        overall = _result(metric, stacked, 2, ci=ci)
        overall.extra = {"pooled_over_codes": True}
    overall.per_code = per_code
    return overall


def coder_pairs(data: CodedData, distance: str = "masi") -> dict[tuple[str, str], MetricResult]:
    """Alpha over code sets for every pair of coders (human–human, LLM–human, LLM–consensus)."""
    pairs = {}
    for i, first in enumerate(data.coders):
        for second in data.coders[i + 1 :]:
            pairs[(first, second)] = set_alpha(data.select(coders=[first, second]), distance)
    return pairs


def method_statement(
    data: CodedData | RatingData,
    metric: str,
    distance: str = "masi",
    ci: bool = False,
    level: str = "nominal",
) -> str:
    """A paragraph a lead can paste into a paper: units, coders, metric, missing data, interval."""
    coders = ", ".join(data.coders)
    name = NAMES.get(metric, metric)
    if isinstance(data, CodedData):
        text = (
            f"Agreement was assessed on {len(data.units)} passages (the units) coded by "
            f"{len(data.coders)} coders ({coders}) with {len(data.codes)} codes. For each code, a "
            "passage counted as coded or not coded by each coder who reviewed it; passages a coder "
            f"did not review were treated as missing, not as disagreement. {name} was computed "
            "per code"
        )
        if metric == "alpha":
            text += (
                f", and over the whole set of codes per passage with the {distance.upper()} "
                "distance (Passonneau 2006)"
            )
        else:
            text += ", and pooled over all passage–code pairs"
        text += "."
    else:
        text = (
            f"Agreement was assessed on {len(data.units)} units rated by {len(data.coders)} coders "
            f"({coders}) on the categories {', '.join(data.categories)}, using {name} at the {level} level. "
            "Units a coder did not rate were treated as missing."
        )
    if ci:
        text += (
            f" 95% confidence intervals are percentile bootstrap intervals from {BOOTSTRAP_REPS} "
            f"resamples of units (seed {BOOTSTRAP_SEED})."
        )
    if metric == "alpha":
        text += " Following Krippendorff (2004), alpha ≥ .800 is taken as reliable and ≥ .667 as sufficient for tentative conclusions."
    elif metric != "percent":
        text += " Values are described with the Landis and Koch (1977) bands."
    return text
