"""An engine against the humans: does it agree with them as well as they agree with each other?

The comparison is made on the passages coded by the engine and by two or more humans, with one
statistic on both sides so that they can be compared: the mean pairwise Krippendorff's alpha,
among the humans (every pair of humans) and between the engine and each human. Both come with
percentile bootstrap intervals, and so does their difference, from the same resampled passages.
When the humans themselves agree below .667, nothing can be concluded about an engine measured
against them, and the verdict says so instead of ranking the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
from scipy import sparse

from workbench.core.agreement.compute import BOOTSTRAP_REPS, BOOTSTRAP_SEED, _set_categories
from workbench.core.agreement.data import CodedData
from workbench.core.agreement.statistics import set_distances_from_members

MIN_HUMAN_ALPHA = 0.667  # Krippendorff's floor for tentative conclusions


@dataclass(frozen=True)
class Estimate:
    value: float | None
    ci95: tuple[float, float] | None

    def to_dict(self) -> dict[str, object]:
        return {
            "value": None if self.value is None else round(self.value, 6),
            "ci95": None if self.ci95 is None else [round(v, 6) for v in self.ci95],
        }

    def words(self) -> str:
        if self.value is None:
            return "undefined"
        interval = f" (95% CI {self.ci95[0]:.3f} to {self.ci95[1]:.3f})" if self.ci95 else ""
        return f"{self.value:.3f}{interval}"


@dataclass(frozen=True)
class EngineComparison:
    """One engine against the humans, for one code or (``code`` None) whole code sets."""

    engine: str
    code: str | None
    units: int  # passages coded by the engine and by two or more humans
    humans: tuple[str, ...]
    human_human: Estimate  # mean pairwise alpha among the humans
    engine_human: Estimate  # mean pairwise alpha between the engine and each human
    difference: Estimate  # engine_human - human_human
    verdict: str
    sentence: str

    def to_dict(self) -> dict[str, object]:
        return {
            "engine": self.engine,
            "code": self.code,
            "units": self.units,
            "humans": list(self.humans),
            "human_human_alpha": self.human_human.to_dict(),
            "engine_human_alpha": self.engine_human.to_dict(),
            "difference": self.difference.to_dict(),
            "verdict": self.verdict,
            "sentence": self.sentence,
        }


def _parts(rows: np.ndarray, q: int, delta: np.ndarray) -> tuple[np.ndarray, sparse.csr_matrix]:
    """Per distinct row: its observed disagreement and its pairable values per category.

    Alpha is 1 - (n - 1) D / E with D the summed disagreements and E = Σ n_c n_k δ_ck over
    the pooled category totals, so a resample of passages only re-weights these parts. Both are
    built from the row's own values (a few per row), never from a rows × q × q product: over
    code sets q can be thousands.
    """
    rated = rows >= 0
    m = rated.sum(axis=1)
    pairable = m >= 2
    disagreement = np.zeros(len(rows))
    for i in range(rows.shape[1]):
        for j in range(rows.shape[1]):
            if i != j:
                both = rated[:, i] & rated[:, j]
                disagreement[both] += delta[rows[both, i], rows[both, j]]
    disagreement = np.where(pairable, disagreement / np.maximum(m - 1, 1), 0.0)
    entries = rated & pairable[:, None]
    r, c = np.nonzero(entries)
    counts = sparse.csr_matrix((np.ones(len(r)), (r, rows[r, c])), shape=(len(rows), max(q, 1)))
    return disagreement, counts


def _alphas(weights: np.ndarray, parts: tuple[np.ndarray, sparse.csr_matrix], delta: np.ndarray):
    """Alpha for every row of ``weights`` (resamples × distinct rows); NaN where undefined."""
    disagreement, counts = parts
    total_d = weights @ disagreement
    totals = np.asarray((counts.T @ weights.T).T)  # resamples × categories
    used = np.flatnonzero(totals.any(axis=0))  # only the categories this pair uses
    totals = totals[:, used]
    n = totals.sum(axis=1)
    expected = ((totals @ delta[np.ix_(used, used)]) * totals).sum(axis=1)
    ok = (n >= 2) & (expected > 1e-12)
    return np.where(ok, 1 - (n - 1) * total_d / np.where(ok, expected, 1.0), np.nan)


def _mean_over_pairs(weights, rows, pairs, q, delta):
    found = [_alphas(weights, _parts(rows[:, list(pair)], q, delta), delta) for pair in pairs]
    stacked = np.vstack(found) if found else np.full((1, len(weights)), np.nan)
    defined = ~np.isnan(stacked)
    counts = defined.sum(axis=0)
    sums = np.where(defined, stacked, 0.0).sum(axis=0)
    return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def _estimate(point: float, resampled: np.ndarray) -> Estimate:
    if np.isnan(point):
        return Estimate(None, None)
    found = resampled[~np.isnan(resampled)]
    if len(found) < len(resampled) * 0.5 or len(resampled) == 0:
        return Estimate(float(point), None)
    low, high = np.percentile(found, [2.5, 97.5])
    return Estimate(float(point), (float(low), float(high)))


def _verdict(
    engine: str, units: int, human: Estimate, machine: Estimate, difference: Estimate
) -> tuple[str, str]:
    where = f"On {units} passages coded by {engine} and by two or more human coders"
    if human.value is None:
        return (
            "cannot judge: the humans' agreement is undefined",
            f"{where}, the humans' agreement is undefined (too few passages or no variation), "
            "so the engine cannot be judged against it.",
        )
    both = (
        f"the engine's mean pairwise alpha with each human is {machine.words()}, against "
        f"{human.words()} between the humans"
    )
    if human.value < MIN_HUMAN_ALPHA:
        return (
            "cannot judge: the humans do not yet agree",
            f"{where}, {both}. The humans do not yet agree enough (below .667) to judge an "
            "engine against them: settle the codebook and the humans' coding first.",
        )
    if machine.value is None:
        return (
            "cannot judge: the engine's agreement is undefined",
            f"{where}, the engine's agreement with the humans is undefined.",
        )
    gap = f"difference {difference.words()}"
    if difference.ci95 is None:
        return (
            "too few passages to tell",
            f"{where}, {both} ({gap}); too few passages to tell them apart.",
        )
    if difference.ci95[1] < 0:
        return (
            "agrees with the humans less than they agree with each other",
            f"{where}, {both} ({gap}): the engine agrees with the humans less than they agree "
            "with each other.",
        )
    if difference.ci95[0] > 0:
        return (
            "agrees with the humans more than they agree with each other",
            f"{where}, {both} ({gap}): the engine agrees with the humans more than they agree "
            "with each other.",
        )
    return (
        "no clear difference from the humans' agreement",
        f"{where}, {both} ({gap}): the interval of the difference includes zero, so these "
        "passages do not show the engine agreeing with the humans less, or more, than they "
        "agree with each other; a wide interval means too few passages to say more.",
    )


def compare_engine(
    data: CodedData, engine: str, humans: list[str], code: str | None = None
) -> EngineComparison:
    """The engine against ``humans`` on one code (present/absent) or on whole code sets."""
    subset = data.select(coders=humans + [engine])
    human_rated = subset.reviewed[:, : len(humans)].sum(axis=1)
    keep = (human_rated >= 2) & subset.reviewed[:, len(humans)]
    if code is None:
        values, members = _set_categories(subset)
        q = len(members)
        delta = set_distances_from_members(members, "masi") if q else np.zeros((0, 0))
    else:
        values, q = subset.code_values(subset.codes.index(code)).astype(np.int64), 2
        delta = 1.0 - np.eye(2)
    values = values[keep]
    units = int(keep.sum())
    if units == 0 or q == 0:
        empty = Estimate(None, None)
        verdict, sentence = _verdict(engine, 0, empty, empty, empty)
        return EngineComparison(
            engine, code, 0, tuple(humans), empty, empty, empty, verdict, sentence
        )
    rows, multiplicity = np.unique(values, axis=0, return_counts=True)
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    weights = np.vstack(
        [multiplicity[None, :], rng.multinomial(units, multiplicity / units, BOOTSTRAP_REPS)]
    ).astype(float)
    h = len(humans)
    human = _mean_over_pairs(weights, rows, list(combinations(range(h), 2)), q, delta)
    machine = _mean_over_pairs(weights, rows, [(i, h) for i in range(h)], q, delta)
    difference = machine - human
    human_human, engine_human, gap = (
        _estimate(series[0], series[1:]) for series in (human, machine, difference)
    )
    verdict, sentence = _verdict(engine, units, human_human, engine_human, gap)
    return EngineComparison(
        engine, code, units, tuple(humans), human_human, engine_human, gap, verdict, sentence
    )


def compare_engines(
    data: CodedData, engines: list[str], humans: list[str], per_code: bool = False
) -> list[EngineComparison]:
    """Each engine on whole code sets, then (``per_code``) on every code."""
    if len(humans) < 2:
        none = Estimate(None, None)
        return [
            EngineComparison(
                engine,
                None,
                0,
                tuple(humans),
                none,
                none,
                none,
                "cannot judge: needs two human coders",
                f"{engine} cannot be judged yet: judging an engine needs passages coded by two or "
                f"more human coders, and there {'is' if len(humans) == 1 else 'are'} "
                f"{len(humans)}.",
            )
            for engine in engines
        ]
    found = []
    for engine in engines:
        found.append(compare_engine(data, engine, humans))
        if per_code:
            found.extend(compare_engine(data, engine, humans, code) for code in data.codes)
    return found
