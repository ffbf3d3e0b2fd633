"""Agreement statistics against published worked examples (cited), independent implementations,
and properties that must hold for any data."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.core.agreement.statistics import (
    MISSING,
    brennan_prediger,
    cohen_kappa,
    count_matrix,
    fleiss_kappa,
    gwet_ac,
    jaccard_distance,
    krippendorff_alpha,
    masi_distance,
    percent_agreement,
    prevalence_and_bias,
    scott_pi,
)

M = MISSING

# Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. Annenberg School for
# Communication, University of Pennsylvania. Section C, the 4 observers x 12 units example with
# missing values: nominal .743, ordinal .815, interval .849, ratio .797.
KRIPPENDORFF_2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, M, M, M],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, M, 3],
        [M, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, M],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, M],
    ]
).T


@pytest.mark.parametrize(
    "level, expected",
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_krippendorff_2011_worked_example(level, expected):
    values = np.where(KRIPPENDORFF_2011 > 0, KRIPPENDORFF_2011 - 1, M)
    result = krippendorff_alpha(count_matrix(values, 5), level, np.arange(1, 6))
    assert round(result.value, 3) == expected


def test_alpha_matches_the_krippendorff_package_on_random_data():
    krippendorff = pytest.importorskip("krippendorff")
    rng = np.random.default_rng(7)
    values = rng.integers(0, 4, size=(300, 5))
    values[rng.random(values.shape) < 0.2] = M
    for level in ("nominal", "ordinal", "interval", "ratio"):
        ours = krippendorff_alpha(count_matrix(values, 4), level, np.arange(1, 5)).value
        data = np.where(values >= 0, values + 1, np.nan).T.astype(float)
        theirs = krippendorff.alpha(
            reliability_data=data, level_of_measurement=level, value_domain=[1, 2, 3, 4]
        )
        assert ours == pytest.approx(theirs, abs=1e-9), level


# Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters. Psychological
# Bulletin 76(5). Formula as published; the 10 subjects x 14 raters x 5 categories table is the
# standard worked example (P-bar = .378, P-e = .213, kappa = .210).
FLEISS_TABLE = np.array(
    [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
)


def test_fleiss_1971_worked_example():
    assert round(fleiss_kappa(FLEISS_TABLE).value, 3) == 0.210
    assert round(percent_agreement(FLEISS_TABLE).value, 3) == 0.378


def cohen_1960_pairs():
    """Cohen, J. (1960). A coefficient of agreement for nominal scales. Educational and
    Psychological Measurement 20(1), Table 1: 200 cases, 3 categories, p_o = .70, p_c = .41,
    kappa = .49 (here as counts: the published proportions x 200)."""
    table = [[88, 14, 18], [10, 40, 10], [2, 6, 12]]
    return np.array([(i, j) for i in range(3) for j in range(3) for _ in range(table[i][j])])


def test_cohen_1960_worked_example():
    pairs = cohen_1960_pairs()
    assert round(cohen_kappa(pairs, 3).value, 2) == 0.49
    # Scott's pi on the same table: pooled shares (.55, .30, .15) give p_e = .4150, pi = .487
    assert round(scott_pi(pairs, 3).value, 3) == 0.487
    # Two coders: Fleiss' kappa is Scott's pi (Fleiss 1971 generalises Scott 1955)
    assert fleiss_kappa(count_matrix(pairs, 3)).value == pytest.approx(scott_pi(pairs, 3).value)


def test_weighted_kappa_matches_scikit_learn():
    from sklearn.metrics import cohen_kappa_score

    rng = np.random.default_rng(3)
    pairs = rng.integers(0, 5, size=(400, 2))
    pairs[:, 1] = np.clip(pairs[:, 0] + rng.integers(-1, 2, 400), 0, 4)
    for weights in ("linear", "quadratic"):
        ours = cohen_kappa(pairs, 5, weights).value
        theirs = cohen_kappa_score(pairs[:, 0], pairs[:, 1], weights=weights, labels=list(range(5)))
        assert ours == pytest.approx(theirs, abs=1e-12)


def test_gwet_ac1_and_brennan_prediger_by_hand():
    """Gwet, K. L. (2014). Handbook of Inter-Rater Reliability, 4th ed., ch. 4 (AC1 formula).

    On Cohen's table: pi = (.55, .30, .15), p_e = sum pi(1 - pi) / (q - 1) = .2925,
    AC1 = (.70 - .2925) / (1 - .2925) = .5760. Brennan & Prediger (1981): (.70 - 1/3) / (2/3) = .55.
    """
    counts = count_matrix(cohen_1960_pairs(), 3)
    assert gwet_ac(counts).value == pytest.approx((0.70 - 0.2925) / (1 - 0.2925), abs=1e-9)
    assert brennan_prediger(counts).value == pytest.approx(0.55, abs=1e-9)


def test_ac1_stays_high_where_kappa_collapses_under_prevalence():
    """The kappa paradox (Feinstein & Cicchetti 1990): 118 agree 'absent', 5 + 2 disagree."""
    pairs = np.array([(0, 0)] * 118 + [(1, 0)] * 5 + [(0, 1)] * 2)
    kappa = cohen_kappa(pairs, 2).value
    ac1 = gwet_ac(count_matrix(pairs, 2)).value
    assert kappa < 0.05 and ac1 > 0.9
    prevalence, bias = prevalence_and_bias(pairs)
    assert prevalence.value == pytest.approx(-118 / 125) and bias.value == pytest.approx(3 / 125)


def test_set_distances_follow_passonneau_2006():
    a, b = frozenset({"x", "y"}), frozenset({"x"})
    assert masi_distance(a, a) == 0 and jaccard_distance(a, a) == 0
    assert masi_distance(a, b) == pytest.approx(1 - 0.5 * 2 / 3)  # subset
    assert masi_distance(frozenset({"x", "y"}), frozenset({"y", "z"})) == pytest.approx(
        1 - (1 / 3) * (1 / 3)
    )
    assert masi_distance(frozenset({"x"}), frozenset({"z"})) == 1
    assert jaccard_distance(frozenset(), frozenset()) == 0
    assert masi_distance(frozenset(), frozenset({"x"})) == 1


@pytest.mark.parametrize(
    "statistic", [percent_agreement, fleiss_kappa, krippendorff_alpha, gwet_ac, brennan_prediger]
)
def test_undefined_is_reported_with_a_reason_never_nan(statistic):
    one_coder = count_matrix(np.array([[0, M], [1, M]]), 2)
    result = statistic(one_coder)
    assert result.value is None and result.reason


def test_no_variation_is_undefined_for_chance_corrected_statistics():
    same = count_matrix(np.zeros((20, 3), dtype=int), 2)
    assert (
        krippendorff_alpha(same).value is None and "no variation" in krippendorff_alpha(same).reason
    )
    assert fleiss_kappa(same).value is None
    assert cohen_kappa(np.zeros((20, 2), dtype=int), 2).value is None
    assert percent_agreement(same).value == 1.0  # still defined: everyone agrees


ratings = st.integers(min_value=3, max_value=25).flatmap(
    lambda n: st.lists(
        st.lists(st.integers(min_value=-1, max_value=3), min_size=3, max_size=3),
        min_size=n,
        max_size=n,
    )
)


@settings(max_examples=80, deadline=None)
@given(ratings, st.permutations([0, 1, 2]), st.permutations([0, 1, 2, 3]))
def test_coder_order_and_label_names_do_not_matter(rows, coder_order, relabel):
    values = np.array(rows)
    reordered = values[:, coder_order]
    renamed = np.where(values >= 0, np.array(relabel)[np.maximum(values, 0)], M)
    for statistic in (
        krippendorff_alpha,
        fleiss_kappa,
        percent_agreement,
        gwet_ac,
        brennan_prediger,
    ):
        base = statistic(count_matrix(values, 4)).value
        for other in (reordered, renamed):
            value = statistic(count_matrix(other, 4)).value
            assert (base is None and value is None) or base == pytest.approx(value, abs=1e-9)
    pair = values[:, :2]
    swapped = pair[:, ::-1]
    for statistic in (lambda v: cohen_kappa(v, 4), lambda v: scott_pi(v, 4)):
        a, b = statistic(pair).value, statistic(swapped).value
        assert (a is None and b is None) or a == pytest.approx(b, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=3), min_size=2, max_size=30))
def test_perfect_agreement_gives_one_where_defined(column):
    values = np.array([column, column, column]).T
    counts = count_matrix(values, 4)
    for statistic in (
        krippendorff_alpha,
        fleiss_kappa,
        percent_agreement,
        gwet_ac,
        brennan_prediger,
    ):
        result = statistic(counts)
        assert result.value is None or result.value == pytest.approx(1.0)
        if len(set(column)) > 1:
            assert result.value == pytest.approx(1.0)
    assert cohen_kappa(values[:, :2], 4).value in (None, pytest.approx(1.0))


def test_coincidences_from_values_equal_the_count_matrix_route():
    from workbench.core.agreement.statistics import (
        alpha_from_coincidences,
        coincidences_from_values,
    )

    values = np.where(KRIPPENDORFF_2011 > 0, KRIPPENDORFF_2011 - 1, M)
    direct = alpha_from_coincidences(coincidences_from_values(values, 5)).value
    assert direct == pytest.approx(krippendorff_alpha(count_matrix(values, 5)).value)
    assert round(direct, 3) == 0.743


def test_vectorised_set_distances_equal_the_definitions():
    from workbench.core.agreement.statistics import set_distance_matrix

    rng = np.random.default_rng(11)
    codes = list("abcdef")
    sets = [frozenset(c for c in codes if rng.random() < 0.4) for _ in range(40)]
    for name, function in (("masi", masi_distance), ("jaccard", jaccard_distance)):
        matrix = set_distance_matrix(sets, name)
        for i in range(len(sets)):
            for j in range(len(sets)):
                assert matrix[i, j] == pytest.approx(function(sets[i], sets[j]))


# -- missing ratings, by Gwet's generalised formulas ---------------------------------------------------
#
# Gwet, K. L. (2014). Handbook of Inter-Rater Reliability, 4th ed., ch. 2-3, and the R irrCAC
# vignette ("Calculating Chance-corrected Agreement Coefficients", dataset cac.raw4raters: 4 raters,
# 12 units, none rated by all four, unit 12 rated once). Published there: percent agreement
# 0.8181818, AC1 0.7754441, Brennan-Prediger 0.7727273, Krippendorff's alpha 0.7434211; Fleiss'
# kappa as irrCAC computes it (single-rated unit in the category proportions) 0.7611693.
IRRCAC_4RATERS = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, M, M, M],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, M, M],
        [M, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, 3],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, M],
    ]
).T


def _irrcac_counts() -> np.ndarray:
    return count_matrix(np.where(IRRCAC_4RATERS > 0, IRRCAC_4RATERS - 1, M), 5)


def test_irrcac_vignette_figures_with_missing_ratings():
    counts = _irrcac_counts()
    assert percent_agreement(counts).value == pytest.approx(0.8181818, abs=5e-8)
    assert gwet_ac(counts).value == pytest.approx(0.7754441, abs=5e-8)
    assert brennan_prediger(counts).value == pytest.approx(0.7727273, abs=5e-8)
    assert krippendorff_alpha(counts).value == pytest.approx(0.7434211, abs=5e-8)
    assert fleiss_kappa(counts).value == pytest.approx(0.7611693, abs=5e-8)


def _irrcac(values: np.ndarray, q: int, weights: str) -> dict[str, float]:
    """The irrCAC package's coefficients for a units × raters array (``M`` = missing)."""
    import warnings

    pd = pytest.importorskip("pandas")
    raw = pytest.importorskip("irrCAC.raw")
    frame = pd.DataFrame(np.where(values >= 0, values + 1, np.nan).astype(float))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cac = raw.CAC(frame, weights=weights, categories=list(range(1, q + 1)), digits=15)
        gwet = cac.gwet()["est"]
        return {
            "percent": gwet["pa"],
            "ac": gwet["coefficient_value"],
            "fleiss": cac.fleiss()["est"]["coefficient_value"],
            "bp": cac.bp()["est"]["coefficient_value"],
        }


def _ours(values: np.ndarray, q: int, weights: str) -> dict[str, float | None]:
    counts = count_matrix(values, q)
    return {
        "percent": percent_agreement(counts, weights=weights).value,
        "ac": gwet_ac(counts, weights).value,
        "fleiss": fleiss_kappa(counts, weights=weights).value,
        "bp": brennan_prediger(counts, weights).value,
    }


@pytest.mark.parametrize("weights", ["identity", "linear", "quadratic"])
def test_irrcac_4raters_weighted_and_unweighted(weights):
    values = np.where(IRRCAC_4RATERS > 0, IRRCAC_4RATERS - 1, M)
    theirs = _irrcac(values, 5, weights)
    assert _ours(values, 5, weights) == pytest.approx(theirs, abs=1e-9)


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("weights", ["identity", "quadratic"])
def test_missing_ratings_match_irrcac_on_random_data(seed, weights):
    rng = np.random.default_rng(seed)
    coders, q = int(rng.integers(2, 6)), int(rng.integers(2, 6))
    truth = rng.integers(0, q, 40)
    values = np.where(
        rng.random((40, coders)) < 0.7, truth[:, None], rng.integers(0, q, (40, coders))
    )
    values[rng.random(values.shape) < 0.3] = M
    values[:4, 0], values[:4, 1:] = truth[:4], M  # units rated once
    values[4] = M  # a unit nobody rated
    assert _ours(values, q, weights) == pytest.approx(_irrcac(values, q, weights), abs=1e-9)
    if coders == 2:  # Scott's pi with missing ratings is the same formula for two coders
        assert scott_pi(values, q, weights).value == pytest.approx(
            _irrcac(values, q, weights)["fleiss"], abs=1e-9
        )


def test_what_a_single_rated_unit_contributes():
    """It enters the category proportions (Fleiss, Scott, AC1/AC2) but not observed agreement
    (percent, Brennan-Prediger); a unit nobody rated changes nothing."""
    values = np.array([[0, 0], [1, 1], [0, 1], [1, 0], [0, 0]])
    base = count_matrix(values, 3)
    single = count_matrix(np.vstack([values, [[2, M]]]), 3)
    nobody = count_matrix(np.vstack([values, [[M, M]]]), 3)
    for statistic in (percent_agreement, brennan_prediger):
        assert statistic(single).value == pytest.approx(statistic(base).value)
    for statistic in (fleiss_kappa, gwet_ac):
        assert statistic(single).value != pytest.approx(statistic(base).value)
    for statistic in (percent_agreement, brennan_prediger, fleiss_kappa, gwet_ac):
        assert statistic(nobody).value == pytest.approx(statistic(base).value)
    # by hand: pi = (3/6, 2/6, 1/6) with the single-rated unit; p_a = 0.6 from the five pairs
    pi = np.array([3, 2, 1]) / 6
    p_e = float((pi**2).sum())
    assert fleiss_kappa(single).value == pytest.approx((0.6 - p_e) / (1 - p_e))
    assert scott_pi(np.vstack([values, [[2, M]]]), 3).value == pytest.approx(
        (0.6 - p_e) / (1 - p_e)
    )
