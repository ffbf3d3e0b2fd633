"""Confidence a coder can read as a probability: engine scores calibrated on the team's decisions.

An engine's raw score ranks suggestions but is not a probability: the local engine's learned
score reached "100%" on "I don't think so". Once a project has enough decisions, each engine's
scores are mapped to how often the team actually applied suggestions with such scores.

The rule: an engine (one per engine and model family: the local engine's retrains, whose model
names differ only by their training count, are one family; every other model is its own) is calibrated once humans have
reviewed at least ``MIN_REVIEWED`` (30) of its suggestions with at least ``MIN_EACH`` (5)
applied and 5 not. With fewer than ``ISOTONIC_FROM`` (100) reviewed suggestions the map is
Platt scaling (a logistic curve, two parameters, which few points can fit); from 100 on it is
isotonic regression (monotone, no shape assumed). A calibrated probability is shown between 1%
and 99%: a few dozen decisions cannot justify certainty. Before that the app says
"uncalibrated" instead of a percentage. Maps are computed on the fly from the stored decisions:
nothing is stored, so they follow every decision and undo.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from workbench.core.store import Project
from workbench.core.store.suggestions import ScoredOutcome, reviewed_outcomes

MIN_REVIEWED = 30
MIN_EACH = 5
ISOTONIC_FROM = 100
SHOWN_RANGE = (0.01, 0.99)
BINS = 10


def family(model: str) -> str:
    """The local learner's model without its retrain count (``tfidf-prototypes-42`` ->
    ``tfidf-prototypes``): its retrains share a score scale. Other models are their own family
    (``claude-opus-5-5`` stays whole)."""
    return re.sub(r"^(tfidf-prototypes)-\d+$", r"\1", model)


@dataclass(frozen=True)
class ReliabilityBin:
    low: float
    high: float
    count: int
    predicted: float  # mean calibrated probability in the bin
    observed: float  # share applied by the team


@dataclass(frozen=True)
class Calibration:
    engine: str
    family: str
    method: str  # "platt" or "isotonic"
    reviewed: int
    applied: int
    _xs: tuple[float, ...]  # isotonic: the fitted step points; platt: (slope, intercept)
    _ys: tuple[float, ...]

    def probability(self, score: float) -> float:
        """The calibrated probability that a human applies a suggestion with this score."""
        if self.method == "platt":
            slope, intercept = self._xs
            p = 1.0 / (1.0 + float(np.exp(-(slope * score + intercept))))
        else:
            p = float(np.interp(score, self._xs, self._ys))
        return min(max(p, SHOWN_RANGE[0]), SHOWN_RANGE[1])


def fit(engine: str, model_family: str, outcomes: Sequence[ScoredOutcome]) -> Calibration | None:
    """The calibration map for one engine family, or None while the rule above is not met."""
    scores = np.array([o.confidence for o in outcomes], dtype=float)
    truth = np.array([o.applied for o in outcomes], dtype=bool)
    applied = int(truth.sum())
    if len(outcomes) < MIN_REVIEWED or applied < MIN_EACH or len(outcomes) - applied < MIN_EACH:
        return None
    if len(outcomes) < ISOTONIC_FROM:
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(C=1.0).fit(scores[:, None], truth)
        xs: tuple[float, ...] = (float(model.coef_[0][0]), float(model.intercept_[0]))
        return Calibration(engine, model_family, "platt", len(outcomes), applied, xs, ())
    from sklearn.isotonic import IsotonicRegression

    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(scores, truth)
    return Calibration(
        engine,
        model_family,
        "isotonic",
        len(outcomes),
        applied,
        tuple(float(x) for x in iso.X_thresholds_),
        tuple(float(y) for y in iso.y_thresholds_),
    )


def grouped(outcomes: Sequence[ScoredOutcome]) -> dict[tuple[str, str], list[ScoredOutcome]]:
    groups: dict[tuple[str, str], list[ScoredOutcome]] = defaultdict(list)
    for outcome in outcomes:
        groups[(outcome.engine, family(outcome.model))].append(outcome)
    return dict(groups)


def project_calibrations(project: Project) -> dict[tuple[str, str], Calibration]:
    """``{(engine, model family): map}`` for every engine family the decisions can calibrate."""
    with project.reading() as conn:
        outcomes = reviewed_outcomes(conn)
    found = {}
    for (engine, model_family), items in grouped(outcomes).items():
        calibration = fit(engine, model_family, items)
        if calibration is not None:
            found[(engine, model_family)] = calibration
    return found


def reliability(
    outcomes: Sequence[ScoredOutcome], calibration: Calibration | None, bins: int = BINS
) -> list[ReliabilityBin]:
    """Predicted against observed in equal-width bins of the shown probability (the raw score
    when uncalibrated): the reliability diagram's points. Empty bins are left out."""
    predicted = np.array(
        [
            calibration.probability(o.confidence) if calibration else min(1.0, o.confidence)
            for o in outcomes
        ]
    )
    truth = np.array([o.applied for o in outcomes], dtype=float)
    found = []
    for i in range(bins):
        low, high = i / bins, (i + 1) / bins
        inside = (predicted >= low) & ((predicted < high) | (i == bins - 1))
        if inside.any():
            found.append(
                ReliabilityBin(
                    low,
                    high,
                    int(inside.sum()),
                    float(predicted[inside].mean()),
                    float(truth[inside].mean()),
                )
            )
    return found


def calibration_report(project: Project) -> list[dict[str, object]]:
    """Per engine family: the rule's status, the method, and the reliability bins, for the
    quality dialog and ``evaluate-local``."""
    with project.reading() as conn:
        outcomes = reviewed_outcomes(conn)
    report = []
    for (engine, model_family), items in sorted(grouped(outcomes).items()):
        calibration = fit(engine, model_family, items)
        applied = sum(o.applied for o in items)
        report.append(
            {
                "engine": engine,
                "model_family": model_family,
                "reviewed": len(items),
                "applied": applied,
                "method": calibration.method if calibration else "uncalibrated",
                "reason": None
                if calibration
                else (
                    f"needs {MIN_REVIEWED} reviewed suggestions with at least {MIN_EACH} "
                    f"applied and {MIN_EACH} not (has {len(items)}, {applied} applied)"
                ),
                "bins": [bin.__dict__ for bin in reliability(items, calibration)],
            }
        )
    return report


def calibration_lines(report: Sequence[Mapping[str, Any]]) -> list[str]:
    """The calibration table as text: per engine family its method, then predicted against
    observed per bin (the reliability diagram in numbers)."""
    if not report:
        return ["calibration: no suggestions on human-reviewed passages yet"]
    lines = ["calibration (suggestions on human-reviewed passages):"]
    for item in report:
        head = (
            f"  {item['engine']} ({item['model_family']}): {item['reviewed']} reviewed, "
            f"{item['applied']} applied, "
        )
        if item["method"] == "uncalibrated":
            lines.append(head + f"uncalibrated: {item['reason']}")
            continue
        lines.append(head + f"{item['method']}")
        lines.append("    shown       n  predicted  observed")
        for b in item["bins"]:
            lines.append(
                f"    {b['low']:.1f}-{b['high']:.1f} {b['count']:>5}  {b['predicted']:>9.2f}"
                f"  {b['observed']:>8.2f}"
            )
    return lines
