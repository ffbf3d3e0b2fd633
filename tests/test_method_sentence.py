"""The method sentence states only what the result holds: a grid of metrics × weights × levels ×
coder subsets × missing data, each number in the sentence checked against the result and the
result checked against the data (units paired, coders who contributed)."""

from __future__ import annotations

import itertools
import json
import re

import numpy as np
import pytest

from tests.conftest import write
from workbench.cli import main
from workbench.core.agreement.compute import (
    BOOTSTRAP_REPS,
    BOOTSTRAP_SEED,
    METRICS,
    TWO_CODER_METRICS,
    WEIGHTED_METRICS,
    coded_metric,
    method_statement,
    rating_metric,
)
from workbench.core.agreement.data import CodedData, RatingData

CODERS = ["ana", "ben", "cai"]
CITED_YEARS = {"1977", "2004", "2006", "2011", "2014"}


def _ratings(missing: str, seed: int = 0) -> RatingData:
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 4, size=(30, 3))
    if missing == "some":
        values[rng.random(values.shape) < 0.25] = -1
        values[0] = [-1, -1, 2]  # at least one unit rated once
    elif missing == "coder-absent":
        values[:, 2] = -1  # cai never rated: not a contributing coder
    return RatingData([f"u{i}" for i in range(30)], list(CODERS), ["1", "2", "3", "4"], values)


def _expected_pairing(
    values: np.ndarray, names: list[str], metric: str
) -> tuple[int, int, list[str]]:
    """Units paired, single-rated units and contributing coders, computed here independently."""
    if metric in TWO_CODER_METRICS and values.shape[1] != 2:
        return 0, 0, []
    rated = values >= 0
    count = rated.sum(axis=1)
    paired = count >= 2
    contributing = [n for i, n in enumerate(names) if rated[paired, i].any()]
    return int(paired.sum()), int((count == 1).sum()), contributing


def _numbers(sentence: str) -> set[str]:
    return set(re.findall(r"(?<![\w.])\d+(?:\.\d+)?", sentence))


def _check_sentence(result, sentence: str, word: str) -> None:
    if result.units == 0 and result.value is None:
        assert sentence == f"{result.label} could not be computed: {result.reason}."
        return
    names = ", ".join(result.coder_names) if result.coder_names else "none"
    assert f"{result.units} {word} coded by " in sentence
    assert f"{result.coders} coder" in sentence and f"({names})" in sentence
    if result.single_rated:
        assert f"A further {result.single_rated} {word} coded by one coder only" in sentence
    else:
        assert "coded by one coder only" not in sentence
    if result.value is None:
        assert result.reason in sentence
    allowed = {str(result.units), str(result.coders), str(result.single_rated), "95", "2"}
    allowed |= CITED_YEARS | {str(BOOTSTRAP_REPS), str(BOOTSTRAP_SEED), ".800", ".667"}
    if result.codes is not None:
        allowed.add(str(result.codes))
    if result.reason:
        allowed |= _numbers(result.reason)
    stray = {n for n in _numbers(sentence) if n not in allowed and "." + n not in allowed}
    assert not stray, f"numbers the result does not hold: {stray} in {sentence!r}"


GRID = list(
    itertools.product(
        METRICS,
        ["identity", "linear", "quadratic"],
        ["nominal", "ordinal", "interval"],
        [CODERS, CODERS[:2], ["ben", "cai"]],
        ["none", "some", "coder-absent"],
    )
)


@pytest.mark.parametrize(("metric", "weights", "level", "coders", "missing"), GRID)
def test_rating_sentences_state_the_results_numbers(metric, weights, level, coders, missing):
    data = _ratings(missing)
    keep = [CODERS.index(c) for c in coders]
    data = RatingData(data.units, list(coders), data.categories, data.values[:, keep])
    result = rating_metric(data, metric, level, weights, ci=False)
    units, single, contributing = _expected_pairing(data.values, data.coders, metric)
    assert (result.units, list(result.coder_names)) == (units, contributing)
    assert result.coders == len(contributing)
    if units:
        assert result.single_rated == single
    _check_sentence(result, method_statement(result), "units")
    # the name states its weights and level, and never a level it does not have
    if metric == "alpha":
        assert f"({level} level)" in result.label
    else:
        assert "level" not in result.label
    if metric in WEIGHTED_METRICS and weights != "identity":
        assert f"({weights} weights)" in result.label
    else:
        assert "weights" not in result.label


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("missing", [False, True])
@pytest.mark.parametrize("coders", [CODERS, CODERS[:2]])
def test_coded_sentences_state_the_results_numbers(metric, missing, coders):
    rng = np.random.default_rng(4)
    reviewed = np.ones((25, 3), dtype=bool)
    if missing:
        reviewed[rng.random((25, 3)) < 0.3] = False
        reviewed[0] = [False, True, False]
    present = rng.random((25, 3, 4)) < 0.3
    data = CodedData(
        [f"p{i}" for i in range(25)], list(CODERS), ["a", "b", "c", "d"], reviewed, present, {}
    ).select(coders=list(coders))
    result = coded_metric(data, metric, ci=True)
    values = np.where(data.reviewed, 0, -1)
    units, single, contributing = _expected_pairing(values, data.coders, metric)
    assert (result.units, list(result.coder_names), result.codes) == (units, contributing, 4)
    sentence = method_statement(result)
    _check_sentence(result, sentence, "passages")
    assert "4 codes" in sentence or (result.units == 0 and result.value is None)
    if result.ci95 is not None:
        assert f"{BOOTSTRAP_REPS} resamples of passages (seed {BOOTSTRAP_SEED})" in sentence


def test_cli_json_units_equal_the_method_sentences(tmp_path, capsys):
    """Three units coded by two coders, one by a single coder: 3 everywhere, never 4."""
    path = write(
        tmp_path / "r.csv",
        "unit,coder,value\n1,A,1\n1,B,1\n2,A,2\n2,B,3\n3,A,3\n3,B,3\n4,A,1\n",
    )
    for metric in METRICS:
        capsys.readouterr()
        assert main(["agreement", str(path), "--metric", metric, "--json"]) == 0
        report = json.loads(capsys.readouterr().out)
        assert report["units"] == 3 and report["single_rated_units"] == 1
        assert "Agreement was assessed on 3 units coded by" in report["method"]
        assert "A further 1 units coded by one coder only" in report["method"]
    capsys.readouterr()
    assert main(["agreement", str(path), "--json"]) == 0
    table = json.loads(capsys.readouterr().out)
    assert table["units"] == 3 and "assessed on 3 units" in table["method"]


def test_a_weighted_kappa_is_never_called_nominal(tmp_path, capsys):
    path = write(tmp_path / "r.csv", "unit,coder,value\n1,A,1\n1,B,2\n2,A,3\n2,B,3\n3,A,1\n3,B,1\n")
    assert (
        main(["agreement", str(path), "--metric", "cohen", "--weights", "quadratic", "--json"]) == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert report["label"] == "Cohen's weighted kappa (quadratic weights)"
    assert "nominal" not in report["method"] and report["label"] in report["method"]
