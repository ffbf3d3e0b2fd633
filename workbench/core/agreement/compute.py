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
    bootstrap_coincidence_interval,
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


# the metrics whose value changes with --weights (Gwet's weighted forms; Cohen 1968)
WEIGHTED_METRICS = {"cohen", "ac1", "bp", "percent", "fleiss", "scott"}
WEIGHTED_NAMES = {
    "cohen": "Cohen's weighted kappa",
    "ac1": "Gwet's AC2",
    "bp": "Weighted Brennan–Prediger kappa",
    "percent": "Weighted percent agreement",
    "fleiss": "Weighted Fleiss' kappa",
    "scott": "Weighted Scott's pi",
}


def metric_label(
    metric: str, level: str = "nominal", weights: str = "identity", distance: str | None = None
) -> str:
    """The metric's full name, stating its weights and level: what a paper must say."""
    if metric == "alpha":
        if distance is not None:
            return f"Krippendorff's alpha over code sets ({distance.upper()} distance)"
        return f"Krippendorff's alpha ({level} level)"
    if metric in WEIGHTED_METRICS and weights != "identity":
        return f"{WEIGHTED_NAMES[metric]} ({weights} weights)"
    return NAMES.get(metric, metric)


@dataclass(frozen=True)
class Pairing:
    """Which units and coders a statistic actually rests on.

    Units are those coded by two or more of the chosen coders (both, for a two-coder
    statistic); coders are those with a value on at least one such unit. A unit coded by one
    coder only is counted apart, because each statistic treats it in its own way.
    """

    units: int
    single: int
    coders: tuple[str, ...]

    @classmethod
    def of(cls, rated: np.ndarray, names: list[str]) -> Pairing:
        """From a units × coders boolean array of who rated what."""
        count = _column_sum(rated) if rated.size else np.zeros(rated.shape[0], dtype=np.int64)
        paired = count >= 2
        contributing = tuple(
            name for column, name in enumerate(names) if bool(rated[paired, column].any())
        )
        return cls(int(paired.sum()), int((count == 1).sum()), contributing)


@dataclass
class MetricResult:
    """One agreement figure and everything a sentence about it may state.

    The method paragraph, the headline and the tables are all rendered from this object, so a
    number cannot differ between them.
    """

    metric: str
    value: float | None
    reason: str | None
    units: int  # units paired: coded by two or more of the coders
    coders: int  # coders who contributed a value to a paired unit
    ci95: tuple[float, float] | None = None
    interpretation: str = ""
    per_code: dict[str, dict[str, object]] | None = None
    extra: dict[str, object] = field(default_factory=dict)
    label: str = ""
    coder_names: tuple[str, ...] = ()
    single_rated: int = 0  # units coded by one coder only
    level: str = "nominal"
    weights: str = "identity"
    distance: str | None = None  # set-level alpha: MASI or Jaccard
    codes: int | None = None  # coded data: how many codes
    pooled: bool = False  # coded data, non-alpha overall: pooled over passage–code pairs
    unit_word: str = "units"

    def __post_init__(self) -> None:
        if not self.label:
            self.label = metric_label(self.metric, self.level, self.weights, self.distance)

    def to_dict(self, with_ci: bool = False) -> dict[str, object]:
        result: dict[str, object] = {
            "metric": self.metric,
            "label": self.label,
            "value": None if self.value is None else round(self.value, 6),
            "reason": self.reason,
            "units": self.units,
            "single_rated_units": self.single_rated,
            "coders": self.coders,
            "coder_names": list(self.coder_names),
            "level": "set" if self.distance else self.level,
            "weights": self.weights,
            "interpretation": self.interpretation,
        }
        if self.distance:
            result["distance"] = self.distance
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


def _column_sum(matrix: np.ndarray) -> np.ndarray:
    """Row sums of a units × few-columns array (column by column: much faster than axis=1)."""
    total = np.zeros(matrix.shape[0], dtype=np.int64)
    for column in range(matrix.shape[1]):
        total += matrix[:, column]
    return total


def _value_and_interval(
    metric: str,
    values: np.ndarray,
    q: int,
    level: str = "nominal",
    weights: str = "identity",
    numeric: np.ndarray | None = None,
    ci: bool = False,
    compressed: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[Value, tuple[float, float] | None]:
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
    return value, interval


def _result(
    metric: str,
    value: Value,
    interval: tuple[float, float] | None,
    pairing: Pairing,
    **details: object,
) -> MetricResult:
    """A result whose units and coders are the pairing's: those the value rests on."""
    return MetricResult(
        metric=metric,
        value=value.value,
        reason=value.reason,
        units=pairing.units,
        coders=len(pairing.coders),
        ci95=interval,
        interpretation=interpret(metric, value.value),
        coder_names=pairing.coders,
        single_rated=pairing.single,
        **details,  # type: ignore[arg-type]
    )


def _pairing(rated: np.ndarray, names: list[str], metric: str) -> Pairing:
    """Two-coder statistics with more than two coders are undefined: they rest on nothing."""
    if metric in TWO_CODER_METRICS and rated.shape[1] != 2:
        return Pairing(0, 0, ())
    return Pairing.of(rated, names)


# -- rating data ---------------------------------------------------------------------------------------


def rating_metric(
    data: RatingData,
    metric: str,
    level: str = "nominal",
    weights: str = "identity",
    ci: bool = False,
) -> MetricResult:
    numeric = data.numeric_categories()
    pairing = _pairing(data.values >= 0, data.coders, metric)
    details = {"level": level, "weights": weights, "unit_word": "units"}
    if level in ("interval", "ratio") and numeric is None:
        value = Value.undefined(f"the {level} level needs numeric categories")
        return _result(metric, value, None, pairing, **details)
    value, interval = _value_and_interval(
        metric, data.values, len(data.categories), level, weights, numeric, ci
    )
    result = _result(metric, value, interval, pairing, **details)
    result.extra = {"categories": data.categories}
    return result


# -- coded (set-valued) data ---------------------------------------------------------------------------


def coded_pairing(data: CodedData, metric: str = "alpha") -> Pairing:
    """The passages and coders a statistic over ``data`` rests on (the same for every code)."""
    key = ("pairing", metric in TWO_CODER_METRICS)
    if key not in data._counts:
        data._counts[key] = _pairing(data.reviewed, data.coders, metric)
    return data._counts[key]


def code_metric(data: CodedData, code_index: int, metric: str, ci: bool = False) -> MetricResult:
    """One code as present/absent per passage, for the coders who reviewed the passage."""
    values, compressed = data.code_counts(code_index)
    value, interval = _value_and_interval(metric, values, 2, ci=ci, compressed=compressed)
    result = _result(metric, value, interval, coded_pairing(data, metric), unit_word="passages")
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
    pairing = coded_pairing(data)
    details = {"distance": distance, "codes": len(data.codes), "unit_word": "passages"}
    values, members = _set_categories(data)
    if not len(members):
        return _result(
            "alpha", Value.undefined("no passage was reviewed"), None, pairing, **details
        )
    delta = set_distances_from_members(members, distance)
    q = len(members)

    def statistic(sample: np.ndarray) -> Value:
        return alpha_from_coincidences(coincidences_from_values(sample, q), delta=delta)

    value = statistic(values)
    paired = _column_sum(values >= 0) >= 2  # resample the passages that enter alpha
    interval = (
        bootstrap_coincidence_interval(values[paired], q, delta, BOOTSTRAP_REPS, BOOTSTRAP_SEED)
        if ci and value.value is not None
        else None
    )
    return _result("alpha", value, interval, pairing, **details)


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
    overall = overall_metric(data, metric, distance, ci)
    overall.per_code = per_code
    return overall


def overall_metric(
    data: CodedData, metric: str, distance: str = "masi", ci: bool = False
) -> MetricResult:
    """The one overall figure of ``coded_metric``, without the per-code ones."""
    if metric == "alpha":
        overall = set_alpha(data, distance, ci)
    else:
        stacked = (
            np.concatenate([data.code_values(i) for i in range(len(data.codes))])
            if data.codes
            else np.zeros((0, len(data.coders)), dtype=np.int8)
        )
        value, interval = _value_and_interval(metric, stacked, 2, ci=ci)
        overall = _result(
            metric,
            value,
            interval,
            coded_pairing(data, metric),
            codes=len(data.codes),
            pooled=True,
            unit_word="passages",
        )
    return overall


def coder_pairs(data: CodedData, distance: str = "masi") -> dict[tuple[str, str], MetricResult]:
    """Alpha over code sets for every pair of the given coders."""
    pairs = {}
    for i, first in enumerate(data.coders):
        for second in data.coders[i + 1 :]:
            pairs[(first, second)] = set_alpha(data.select(coders=[first, second]), distance)
    return pairs


MISSING_RULES = {
    "alpha": "are not pairable and do not enter alpha (Krippendorff 2011)",
    "percent": "do not enter percent agreement",
    "cohen": "do not enter Cohen's kappa, which uses only the units both coders coded",
    "scott": "enter the category proportions but not the observed agreement (Gwet 2014)",
    "fleiss": "enter the category proportions but not the observed agreement (Gwet 2014)",
    "ac1": "enter the category proportions but not the observed agreement (Gwet 2014)",
    "bp": "do not enter the observed agreement, and chance agreement does not depend on them",
}


def _names(names: tuple[str, ...]) -> str:
    return ", ".join(names) if names else "none"


def method_statement(result: MetricResult) -> str:
    """A paragraph a lead can paste into a paper, written from the result alone: every number
    in it is one the result holds."""
    word = result.unit_word
    if result.units == 0 and result.value is None:
        return f"{result.label} could not be computed: {result.reason}."
    plural = "coder" if result.coders == 1 else "coders"
    text = (
        f"Agreement was assessed on {result.units} {word} coded by two or more of "
        f"{result.coders} {plural} ({_names(result.coder_names)})"
    )
    if result.metric in TWO_CODER_METRICS:
        text = (
            f"Agreement was assessed on {result.units} {word} coded by both of "
            f"{result.coders} {plural} ({_names(result.coder_names)})"
        )
    text += "."
    if result.single_rated:
        text += (
            f" A further {result.single_rated} {word} coded by one coder only "
            f"{MISSING_RULES.get(result.metric, 'do not enter the statistic')}."
        )
    text += " Units a coder did not review were treated as missing, not as disagreement."
    if result.codes is not None:
        text += (
            f" {metric_label(result.metric)} was computed for each "
            f"of the {result.codes} codes, the code present or absent per {word[:-1]}"
        )
        if result.distance:
            text += (
                f"; overall, {result.label} compared the whole set of codes per "
                f"{word[:-1]} (Passonneau 2006)."
            )
        elif result.pooled:
            text += f"; overall, {result.label} was pooled over every {word[:-1]}–code pair."
        else:
            text += "."
    else:
        text += f" The statistic is {result.label}."
    if result.value is None:
        text += f" The overall value is undefined: {result.reason}."
    if result.ci95 is not None:
        text += (
            f" 95% confidence intervals are percentile bootstrap intervals from {BOOTSTRAP_REPS} "
            f"resamples of {word} (seed {BOOTSTRAP_SEED})."
        )
    if result.metric == "alpha":
        text += (
            " Following Krippendorff (2004), alpha ≥ .800 is taken as reliable and ≥ .667 as "
            "sufficient for tentative conclusions."
        )
    elif result.metric != "percent":
        text += " Values are described with the Landis and Koch (1977) bands."
    return text
