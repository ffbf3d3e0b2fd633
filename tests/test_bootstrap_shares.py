"""The set-alpha bootstrap from per-unit shares gives the interval of the plain resampling loop."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.core.agreement.statistics import (
    alpha_from_coincidences,
    bootstrap_coincidence_interval,
    bootstrap_interval,
    coincidences_from_values,
    set_distances_from_members,
)


@pytest.mark.parametrize(("units", "coders", "sets"), [(40, 2, 3), (300, 3, 6), (800, 4, 12)])
def test_same_draws_same_interval(units, coders, sets):
    rng = np.random.default_rng(units)
    values = rng.integers(-1, sets, (units, coders))  # -1: that coder did not review the unit
    values[: units // 2, 1] = values[: units // 2, 0]  # some agreement, so alpha is not ~0
    members = rng.integers(0, 2, (sets, 5)).astype(bool)
    delta = set_distances_from_members(members, "masi")

    def statistic(sample):
        return alpha_from_coincidences(coincidences_from_values(sample, sets), delta=delta)

    plain = bootstrap_interval(values, statistic, 200, 7)
    fast = bootstrap_coincidence_interval(values, sets, delta, 200, 7)
    assert plain is not None and fast is not None
    assert fast == pytest.approx(plain, abs=1e-12)
    assert fast != bootstrap_coincidence_interval(values, sets, delta, 200, 8)  # seed matters


def test_too_few_units_has_no_interval():
    delta = np.array([[0.0, 1.0], [1.0, 0.0]])
    assert bootstrap_coincidence_interval(np.array([[0, 1]]), 2, delta) is None
