"""Krippendorff's unitizing alpha, checked against a brute force written from the definition.

The 2016 paper's worked example values could not be read from any source available when this
was written, so none is quoted here. The checks are: an independent implementation that
enumerates every pair of (coder, character) positions (below), hand-computed small cases, and
properties the coefficient must have.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from workbench.core.agreement.unitizing import (
    Continuum,
    UnitizingDataError,
    partition,
    unitizing_alpha,
    unitizing_statement,
)

# -- an independent implementation: every pair of positions, counted --------------------------------


def _positions(continua, only_code=None):
    """Every (continuum, coder, character) position with its value and the unit it is in.

    Values are the set of codes whose selections cover the character; a unit is a maximal run
    of characters of one coder with one non-empty value and no selection boundary inside."""
    out = []
    for ci, continuum in enumerate(continua):
        if len(continuum.segments) < 2:
            continue
        for coder, segments in continuum.segments.items():
            segments = [s for s in segments if only_code is None or s[0] == only_code]
            covered = [set() for _ in range(continuum.length)]
            for code, start, end in segments:
                for x in range(start, end):
                    covered[x].add(code)
            # boundaries: every start/end of a union of one code's overlapping selections
            bounds = set()
            for code in {s[0] for s in segments}:
                runs = sorted((s[1], s[2]) for s in segments if s[0] == code)
                merged = []
                for a, b in runs:
                    if merged and a < merged[-1][1]:
                        merged[-1][1] = max(merged[-1][1], b)
                    else:
                        merged.append([a, b])
                for a, b in merged:
                    bounds.update((a, b))
            unit = 0
            for x in range(continuum.length):
                if x in bounds:
                    unit += 1
                value = frozenset(covered[x])
                out.append((ci, coder, x, value, (ci, coder, unit) if value else None))
    return out


def brute_alpha(continua, only_code=None, binary=False):
    pos = _positions(continua, only_code)
    coders_at = {}
    for ci, coder, *_ in pos:
        coders_at.setdefault(ci, set()).add(coder)
    total = len(pos)

    def value(p):
        return (p[3] != frozenset()) if binary else p[3]

    # observed: same character, different coders, weight 1 / (m - 1)
    by_char = {}
    for p in pos:
        by_char.setdefault((p[0], p[2]), []).append(p)
    observed = 0.0
    for (ci, _x), ps in by_char.items():
        m = len(coders_at[ci])
        for a, b in itertools.permutations(ps, 2):
            if value(a) != value(b):
                observed += 1 / (m - 1)
    # expected: every ordered pair of positions, except two of one unit and a position with itself
    pairs = disagree = 0
    for a in pos:
        for b in pos:
            if a is b or (a[4] is not None and a[4] == b[4]):
                continue
            pairs += 1
            disagree += value(a) != value(b)
    expected = total * disagree / pairs
    return 1 - observed / expected


def _random_continua(rng, n, codes=("a", "b", "c"), coders=("ana", "ben", "cy")):
    continua = []
    for index in range(n):
        length = int(rng.integers(5, 25))
        chosen = [c for c in coders if rng.random() < 0.8]
        segments = {}
        for coder in chosen:
            spans = []
            for _ in range(int(rng.integers(0, 4))):
                start = int(rng.integers(0, length - 1))
                end = int(rng.integers(start + 1, length + 1))
                spans.append((str(rng.choice(codes)), start, end))
            segments[coder] = spans
        continua.append(Continuum(length, segments, group=f"t{index % 4}"))
    return continua


@pytest.mark.parametrize("seed", range(6))
def test_matches_the_brute_force_overall_binary_and_per_code(seed):
    rng = np.random.default_rng(seed)
    continua = _random_continua(rng, 6)
    result = unitizing_alpha(continua)
    assert result.value == pytest.approx(brute_alpha(continua), abs=1e-9)
    assert result.binary == pytest.approx(brute_alpha(continua, binary=True), abs=1e-9)
    for code, row in result.per_code.items():
        if row["value"] is not None:
            assert row["value"] == pytest.approx(brute_alpha(continua, only_code=code), abs=1e-6)


def test_hand_computed_two_coders():
    # A selects x on 0-2, B on 1-3, of 4 characters:  A: x x _ _   B: _ x x _
    # observed: characters 1 and 3 agree for both ordered pairs, so sum l_cc = 4 of N = 8: Do = 4
    # expected: n_x = n_gap = 4; units remove 2² + 2² pairs of x, gaps 2 + 2 self-pairs: S = 12
    #   e_agree = 8 * ((16 - 8) + (16 - 4)) / (64 - 12) = 160 / 52, De = 8 - 160/52 = 256/52
    # uα = 1 - 4 * 52 / 256 = 3/16
    continua = [Continuum(4, {"A": [("x", 0, 2)], "B": [("x", 1, 3)]})]
    result = unitizing_alpha(continua)
    assert result.value == pytest.approx(3 / 16)
    assert result.binary == pytest.approx(3 / 16)  # one code: coded/uncoded is everything
    assert result.per_code["x"]["value"] == pytest.approx(3 / 16)


def test_hand_computed_codes_differ_on_the_same_text():
    # Both select 0-2 of 4, A as x, B as y:  coded/uncoded agrees everywhere (|uα = 1)
    # uα: observed disagreement on 2 characters twice: Do = 4 of N = 8
    #   n_x = n_y = 2, n_gap = 4; S = 4 + 4 + 4 = 12; e_agree = 8 * ((4-4) + (4-4) + (16-4)) / 52
    #   De = 8 - 96/52 = 320/52;  uα = 1 - 4 * 52 / 320 = 7/20
    continua = [Continuum(4, {"A": [("x", 0, 2)], "B": [("y", 0, 2)]})]
    result = unitizing_alpha(continua)
    assert result.value == pytest.approx(7 / 20)
    assert result.binary == pytest.approx(1.0)


def test_perfect_agreement_and_a_coder_against_itself():
    spans = [("a", 2, 9), ("b", 12, 20), ("a", 15, 18)]
    result = unitizing_alpha([Continuum(30, {"A": spans, "B": list(spans)})])
    assert result.value == pytest.approx(1.0)
    assert result.binary == pytest.approx(1.0)
    assert all(row["value"] == pytest.approx(1.0) for row in result.per_code.values())


def test_symmetric_in_coder_order_and_mirror_image():
    rng = np.random.default_rng(11)
    continua = _random_continua(rng, 5)
    reordered = [
        Continuum(c.length, dict(reversed(list(c.segments.items()))), c.group) for c in continua
    ]
    mirrored = [
        Continuum(
            c.length,
            {
                k: [(code, c.length - e, c.length - s) for code, s, e in v]
                for k, v in c.segments.items()
            },
            c.group,
        )
        for c in continua
    ]
    base = unitizing_alpha(continua).value
    assert unitizing_alpha(reordered).value == pytest.approx(base)
    assert unitizing_alpha(mirrored).value == pytest.approx(base)


def test_cutting_a_continuum_inside_a_common_gap_changes_nothing():
    # a gap counts per character, so cutting one passage where every coder has a gap into two
    # passages pools to the same numbers; shifting the second half's offsets is the invariance
    whole = Continuum(20, {"A": [("x", 1, 6), ("y", 12, 18)], "B": [("x", 2, 7), ("y", 11, 17)]})
    halves = [
        Continuum(9, {"A": [("x", 1, 6)], "B": [("x", 2, 7)]}),
        Continuum(11, {"A": [("y", 3, 9)], "B": [("y", 2, 8)]}),
    ]
    one, two = unitizing_alpha([whole]), unitizing_alpha(halves)
    assert one.value == pytest.approx(two.value)
    assert one.per_code["y"]["value"] == pytest.approx(two.per_code["y"]["value"])


def test_random_placement_is_near_zero_on_average():
    # passages long next to the units: in a short one, a unit placed uniformly covers the middle
    # more often than the ends, and two coders then agree there more than chance (about .03 at
    # 50 characters), which is real structure, not a fault of alpha
    rng = np.random.default_rng(5)
    values = []
    for _ in range(60):
        continua = []
        for index in range(40):
            segments = {}
            for coder in ("A", "B"):
                size = int(rng.integers(3, 15))
                start = int(rng.integers(0, 500 - size + 1))
                segments[coder] = [("x", start, start + size)]
            continua.append(Continuum(500, segments, group=str(index)))
        values.append(unitizing_alpha(continua).value)
    assert abs(float(np.mean(values))) < 0.01  # 60 studies: standard error about .003


def test_missing_coder_is_not_disagreement():
    # C did not review the second passage: adding C's perfect copy of the first leaves the
    # second passage to A and B only, and it cannot lower agreement below A-B's own
    first = Continuum(10, {"A": [("x", 0, 5)], "B": [("x", 0, 5)], "C": [("x", 0, 5)]})
    second = Continuum(10, {"A": [("x", 2, 8)], "B": [("x", 2, 8)]})
    result = unitizing_alpha([first, second])
    assert result.value == pytest.approx(1.0)
    assert result.continua == 2 and result.coders == 3


def test_passages_with_one_coder_do_not_enter():
    result = unitizing_alpha([Continuum(10, {"A": [("x", 0, 5)]})])
    assert result.value is None and result.continua == 0
    assert "could not be computed" in unitizing_statement(result)


def test_no_variation_is_undefined_not_one():
    result = unitizing_alpha([Continuum(10, {"A": [], "B": []})])
    assert result.value is None and result.reason
    assert result.per_code == {}


def test_selection_outside_its_passage_is_an_error_naming_it():
    with pytest.raises(UnitizingDataError, match="work_1#3.*ana.*'x'"):
        unitizing_alpha([Continuum(5, {"ana": [("x", 3, 9)], "ben": []}, name="work_1#3")])


def test_partition_unites_one_codes_overlaps_and_values_multiple_codes_as_sets():
    pieces = partition(10, [("a", 0, 4), ("a", 2, 6), ("b", 5, 8)])
    assert pieces == [
        (frozenset({"a"}), 0, 5),
        (frozenset({"a", "b"}), 5, 6),
        (frozenset({"b"}), 6, 8),
        (frozenset(), 8, 10),
    ]


def test_interval_resamples_transcripts_and_contains_the_value():
    rng = np.random.default_rng(3)
    continua = _random_continua(rng, 24)
    result = unitizing_alpha(continua, ci=True)
    assert result.ci95 is not None
    low, high = result.ci95
    assert low <= result.value <= high and low < high
    statement = unitizing_statement(result)
    assert f"{result.continua} passages" in statement and "resamples of transcripts" in statement
    assert result.to_dict()["ci95"] == [round(low, 6), round(high, 6)]


def test_an_interval_asked_for_over_one_transcript_says_why_it_is_missing():
    continua = [Continuum(10, {"A": [("x", 0, 4)], "B": [("x", 1, 6)]}, group="t1")] * 3
    result = unitizing_alpha(continua, ci=True)
    assert result.value is not None and result.ci95 is None
    assert "No confidence interval: fewer than two transcripts" in unitizing_statement(result)
    assert unitizing_alpha(continua).ci_reason is None  # not asked for, nothing to explain


# -- cuα and (k)uα: the codes of the text that two coders both coded ----------------------------------


def brute_coding(continua):
    """cuα and (k)uα from every pair of positions, written from the definition.

    Only characters two coders both coded pair; a coded position weighs the share of the other
    coders who also coded its character (1 / (m - 1) each), and chance pairs positions at random
    except two of one unit. Returns (cuα, {value: (k)uα})."""
    pos = [p for p in _positions(continua) if p[3]]
    coders_at = {}
    for p in _positions(continua):
        coders_at.setdefault(p[0], set()).add(p[1])
    by_char = {}
    for p in pos:
        by_char.setdefault((p[0], p[2]), []).append(p)
    observed = {}
    weight = {}
    for (ci, _x), ps in by_char.items():
        m = len(coders_at[ci])
        for a in ps:
            weight[id(a)] = (len(ps) - 1) / (m - 1)
        for a, b in itertools.permutations(ps, 2):
            observed[(a[3], b[3])] = observed.get((a[3], b[3]), 0.0) + 1 / (m - 1)
    total = sum(observed.values())
    pairs = {}
    for a in pos:
        for b in pos:
            if a[4] == b[4]:
                continue
            key = (a[3], b[3])
            pairs[key] = pairs.get(key, 0.0) + weight.get(id(a), 0.0) * weight.get(id(b), 0.0)
    scale = total / sum(pairs.values())
    expected = {key: amount * scale for key, amount in pairs.items()}
    values = {p[3] for p in pos}
    agree_observed = sum(observed.get((v, v), 0.0) for v in values)
    agree_expected = sum(expected.get((v, v), 0.0) for v in values)
    cu = 1 - (total - agree_observed) / (total - agree_expected)
    per_value = {}
    for k in values:
        l_k = sum(observed.get((k, c), 0.0) for c in values)
        e_k = sum(expected.get((k, c), 0.0) for c in values)
        if l_k == 0:
            continue
        off = e_k - expected.get((k, k), 0.0)
        if off <= 1e-12:
            continue
        per_value[k] = 1 - (e_k / l_k) * (l_k - observed.get((k, k), 0.0)) / off
    return cu, per_value


@pytest.mark.parametrize("seed", range(6))
def test_cu_and_k_alpha_match_the_brute_force(seed):
    rng = np.random.default_rng(100 + seed)
    continua = _random_continua(rng, 6)
    result = unitizing_alpha(continua)
    cu, per_value = brute_coding(continua)
    assert result.cu == pytest.approx(cu, abs=1e-9)
    for code, row in result.per_code.items():
        value = frozenset({code})
        if value in per_value:
            assert row["k_alpha"] == pytest.approx(per_value[value], abs=1e-6)
        else:
            assert row["k_alpha"] is None and row["k_reason"]
    for name, row in result.combined.items():
        value = frozenset(name.split(" + "))
        if value in per_value:
            assert row["k_alpha"] == pytest.approx(per_value[value], abs=1e-6)
        else:
            assert row["k_alpha"] is None and row["k_reason"]


def test_hand_computed_cu_alpha():
    # A: x on 0-2, y on 2-4.  B: x on 0-3, gap on 3.  Only characters 0-2 are coded by both.
    # observed (ordered pairs): x-x on 0 and 1 twice = 4, x-y and y-x on 2 = 2; l*.. = 6
    #   rows: x = 5, y = 1
    # pairable mass W per unit: A's x 2, A's y 1 (B codes 2, not 3), B's x 3
    #   t_x = 2² + 3² = 13, t_y = 1, T = 14; scale = 6 - 14/6 = 11/3
    # e_xx = (25 - 13) / (11/3) = 36/11, e_yy = (1 - 1) / (11/3) = 0
    # cuα = 1 - (6 - 4) / (6 - 36/11) = 1 - 22/30 = 4/15
    # (x)uα: e_x. = (5*6 - 13)/(11/3) = 51/11; 1 - (51/11 / 5) * (5 - 4) / (51/11 - 36/11) = 8/25
    # (y)uα: e_y. = (6 - 1)/(11/3) = 15/11; 1 - (15/11 / 1) * (1 - 0) / (15/11 - 0) = 0
    continua = [Continuum(4, {"A": [("x", 0, 2), ("y", 2, 4)], "B": [("x", 0, 3)]})]
    result = unitizing_alpha(continua)
    assert result.cu == pytest.approx(4 / 15)
    assert result.per_code["x"]["k_alpha"] == pytest.approx(8 / 25)
    assert result.per_code["y"]["k_alpha"] == pytest.approx(0.0, abs=1e-12)
    assert result.cu_coverage == pytest.approx(6 / 8)  # l*.. of l.. = 8 coder-characters
    assert result.per_code["x"]["k_coverage"] == pytest.approx(1.0)  # all 5 x characters pair
    assert result.per_code["y"]["k_coverage"] == pytest.approx(0.5)  # character 3 does not


def test_cu_alpha_ignores_where_coders_disagree_on_extent():
    # Same code on the text both coded, very different extents: uα suffers, cuα is perfect,
    # because cuα asks only which code the jointly coded text got
    continua = [
        Continuum(40, {"A": [("x", 0, 10), ("y", 20, 24)], "B": [("x", 5, 30)]}),
        Continuum(40, {"A": [("y", 2, 30)], "B": [("y", 10, 12), ("x", 35, 40)]}),
    ]
    result = unitizing_alpha(continua)
    assert result.value < 0.5
    # jointly coded: x-x on 5-10, y-x on 20-24 (disagreement), y-y on 10-12
    assert result.cu < 1.0
    agreeing = [
        Continuum(40, {"A": [("x", 0, 10)], "B": [("x", 5, 30)]}),
        Continuum(40, {"A": [("y", 2, 30)], "B": [("y", 10, 12), ("x", 35, 40)]}),
    ]
    assert unitizing_alpha(agreeing).cu == pytest.approx(1.0)
    assert unitizing_alpha(agreeing).value < 0.5


def test_cu_alpha_undefined_without_jointly_coded_text_says_why():
    continua = [Continuum(10, {"A": [("x", 0, 3)], "B": [("x", 5, 8)]})]
    result = unitizing_alpha(continua)
    assert result.cu is None and "coded by two coders" in result.cu_reason
    assert result.per_code["x"]["k_alpha"] is None and result.per_code["x"]["k_reason"]
    assert result.to_dict()["cu"] is None


def test_cu_interval_resamples_transcripts():
    rng = np.random.default_rng(8)
    continua = _random_continua(rng, 24)
    result = unitizing_alpha(continua, ci=True)
    assert result.cu_ci95 is not None
    low, high = result.cu_ci95
    assert low <= result.cu <= high and low < high


def test_a_code_only_ever_selected_with_another_says_where_its_figure_is():
    # b never stands alone: its text is always also a's, so its figure is the "a + b" value's
    continua = [
        Continuum(20, {"A": [("a", 0, 8), ("b", 0, 8)], "B": [("a", 0, 6), ("b", 0, 6)]}),
        Continuum(20, {"A": [("a", 10, 14)], "B": [("a", 10, 15)]}),
    ]
    result = unitizing_alpha(continua)
    assert result.per_code["b"]["k_alpha"] is None
    assert "always coded together with other codes" in result.per_code["b"]["k_reason"]
    assert "a + b" in result.combined and result.combined["a + b"]["k_alpha"] is not None


def test_the_statement_names_the_rule_once_and_undefined_figures_in_parentheses():
    continua = [Continuum(10, {"A": [("x", 0, 3)], "B": [("x", 5, 8)]})]
    text = unitizing_statement(unitizing_alpha(continua, rule="passages both reviewed"))
    assert "and 2 coders (A, B). Which passages enter: passages both reviewed." in text
    assert "cuα is undefined (no text was coded by two coders)." in text
    assert ": no variation" not in text


# -- the fast paths against the plain ones --------------------------------------------------------


def test_intervals_are_the_plain_bootstrap_of_each_coefficient():
    # the intervals are computed for all resamples at once; the plain bootstrap calls the
    # coefficient once per resample, with the same seeded draws, and must give the same bounds
    from workbench.core.agreement.compute import BOOTSTRAP_REPS, BOOTSTRAP_SEED
    from workbench.core.agreement.statistics import bootstrap_weights_interval
    from workbench.core.agreement.unitizing import _alphas, _check, _coding, _pool

    rng = np.random.default_rng(21)
    continua = _random_continua(rng, 30)
    result = unitizing_alpha(continua, ci=True)
    arrays = _pool(_check(continua)).tally.arrays()
    ones = np.ones(4)  # the four transcripts t0-t3

    def plain(statistic):
        return bootstrap_weights_interval(ones, statistic, BOOTSTRAP_REPS, BOOTSTRAP_SEED)

    assert result.ci95 == pytest.approx(plain(lambda w: _alphas(arrays.weighted(w))[0]), abs=1e-12)
    assert result.binary_ci95 == pytest.approx(
        plain(lambda w: _alphas(arrays.weighted(w))[1]), abs=1e-12
    )
    assert result.cu_ci95 == pytest.approx(
        plain(lambda w: _coding(arrays.weighted(w), []).cu), abs=1e-12
    )


def test_per_code_figures_are_those_of_the_continua_with_only_that_code():
    # per code, uα and its interval come from three sums per transcript; computed the long way,
    # they are the overall uα of the continua keeping only that code's selections
    rng = np.random.default_rng(22)
    continua = _random_continua(rng, 30)
    result = unitizing_alpha([*continua], codes=["a", "b", "c", "never"], ci=True)
    for code in ("a", "b", "c"):
        only = [
            Continuum(
                c.length,
                {k: [s for s in v if s[0] == code] for k, v in c.segments.items()},
                c.group,
            )
            for c in continua
        ]
        alone = unitizing_alpha(only, ci=True)
        assert result.per_code[code]["value"] == pytest.approx(alone.value, abs=1e-6)
        assert result.per_code[code]["ci95"] == pytest.approx(list(alone.ci95), abs=1e-6)
    never = result.per_code["never"]
    assert never["value"] is None and never["ci95"] is None
    assert never["reason"] == "no coder selected text for this code"
    assert never["characters_selected"] == 0


@pytest.mark.parametrize(
    ("continua", "reasons"),
    [
        (  # one coder: nothing to compare, and every figure says so, not something else
            [Continuum(10, {"A": [("x", 0, 5)]})],
            ["no passage was reviewed by two coders"] * 3,
        ),
        (  # reviewed, nothing selected
            [Continuum(10, {"A": [], "B": []}), Continuum(7, {"A": [], "B": []}, group="g")],
            [
                "no variation: no coder selected any text",
                "no variation: no character was coded",
                "no text was coded by two coders",
            ],
        ),
        (  # all text coded by everyone, with one code
            [
                Continuum(10, {"A": [("x", 0, 10)], "B": [("x", 0, 10)]}),
                Continuum(7, {"A": [("x", 0, 7)], "B": [("x", 0, 7)]}, group="g"),
            ],
            [
                "no variation: every coder coded every character alike",
                "no variation: no character was left uncoded",
                "no variation: all text two coders both coded got the same code (or set of codes)",
            ],
        ),
    ],
    ids=["one coder", "no selections", "all coded alike"],
)
def test_each_undefined_figure_gives_its_own_reason(continua, reasons):
    result = unitizing_alpha(continua)
    assert [result.value, result.binary, result.cu] == [None, None, None]
    assert [result.reason, result.binary_reason, result.cu_reason] == reasons
    assert f"uα is undefined ({reasons[0]})." in unitizing_statement(result) or (
        result.continua == 0 and "could not be computed" in unitizing_statement(result)
    )


def test_characters_selected_counts_a_coders_overlapping_selections_once():
    # A selects x on 0-6 and 4-10 (one unit, 10 characters), B on 0-5: 15, not 21
    result = unitizing_alpha(
        [Continuum(20, {"A": [("x", 0, 6), ("x", 4, 10)], "B": [("x", 0, 5)]})]
    )
    assert result.per_code["x"]["characters_selected"] == 15


def test_coverage_sentence_says_how_three_coders_count():
    # (cuα needs two codes on jointly coded text to be defined, hence y)
    two = unitizing_alpha([Continuum(10, {"A": [("x", 0, 6)], "B": [("x", 2, 5), ("y", 5, 8)]})])
    three = unitizing_alpha(
        [Continuum(10, {"A": [("x", 0, 6)], "B": [("y", 2, 8)], "C": [("x", 0, 4)]})]
    )
    assert two.cu is not None and three.cu is not None
    assert "coded too." in unitizing_statement(two)
    assert "share of the other coders" in unitizing_statement(three)
