"""Scores become probabilities only once the team's decisions can say what they mean."""

from __future__ import annotations

import numpy as np

from workbench.core.store.suggestions import ScoredOutcome
from workbench.suggest.calibration import (
    MIN_REVIEWED,
    family,
    fit,
    reliability,
)


def outcomes(n: int, seed: int = 1, model: str = "m-1") -> list[ScoredOutcome]:
    """An over-confident engine: a suggestion scored s is applied with probability s / 2."""
    rng = np.random.default_rng(seed)
    scores = rng.uniform(0, 1, n)
    return [ScoredOutcome("e", model, float(s), bool(rng.uniform() < s / 2)) for s in scores]


def test_too_few_decisions_or_one_outcome_leave_an_engine_uncalibrated():
    assert fit("e", "m", outcomes(MIN_REVIEWED - 1)) is None
    all_applied = [ScoredOutcome("e", "m", 0.5, True)] * 80
    assert fit("e", "m", all_applied) is None
    assert fit("e", "m", outcomes(40)) is not None


def test_few_decisions_use_platt_many_use_isotonic():
    assert fit("e", "m", outcomes(60)).method == "platt"
    assert fit("e", "m", outcomes(500)).method == "isotonic"


def test_calibrated_probabilities_match_what_the_team_applied():
    train, test = outcomes(4000, seed=2), outcomes(4000, seed=3)
    calibration = fit("e", "m", train)
    bins = reliability(test, calibration)
    assert sum(b.count for b in bins) == 4000
    for b in bins:
        if b.count >= 200:
            assert abs(b.predicted - b.observed) < 0.06, b
    raw = reliability(test, None)  # the raw scores are twice too confident
    assert max(abs(b.predicted - b.observed) for b in raw if b.count >= 200) > 0.3


def test_a_perfect_raw_score_is_never_shown_as_certainty():
    calibration = fit("e", "m", outcomes(500))
    assert calibration.probability(1.0) <= 0.99
    assert calibration.probability(0.0) >= 0.01
    shown = [calibration.probability(s) for s in np.linspace(0, 1, 21)]
    assert shown == sorted(shown)  # the map keeps the engine's ranking


def test_retrains_of_one_engine_are_one_family():
    assert family("tfidf-prototypes-42") == family("tfidf-prototypes-130") == "tfidf-prototypes"
    assert family("claude-opus-5-5") == "claude-opus-5-5"  # a version is not a retrain count
