"""Holm and Benjamini–Hochberg adjustments against R's ``p.adjust`` and their defining properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import false_discovery_control

from workbench.core.analysis.adjust import benjamini_hochberg, holm


def test_the_textbook_vector_matches_r():
    # R: p.adjust(c(.01, .02, .03, .04, .05), "holm") and "BH". By hand, m = 5:
    # Holm: 5*.01=.05, 4*.02=.08, 3*.03=.09, 2*.04=.08 -> running max .09, 1*.05 -> .09.
    # BH: 5/1*.01 = 5/2*.02 = 5/3*.03 = 5/4*.04 = 5/5*.05 = .05, so every value is .05.
    p = [0.01, 0.02, 0.03, 0.04, 0.05]
    assert holm(p) == pytest.approx([0.05, 0.08, 0.09, 0.09, 0.09])
    assert benjamini_hochberg(p) == pytest.approx([0.05] * 5)


def test_unsorted_vector_with_a_cap_matches_r():
    # R: p.adjust(c(.04, .001, .03, .5, .01, .2), "holm") and "BH". By hand, sorted
    # .001 .01 .03 .04 .2 .5, m = 6. Holm: 6*.001=.006, 5*.01=.05, 4*.03=.12, 3*.04=.12,
    # 2*.2=.4, 1*.5=.5. BH from the top: .5, 6/5*.2=.24, min(6/4*.04=.06, .24)=.06,
    # min(6/3*.03=.06, .06)=.06, 6/2*.01=.03, 6*.001=.006. Back in the input order:
    p = [0.04, 0.001, 0.03, 0.5, 0.01, 0.2]
    assert holm(p) == pytest.approx([0.12, 0.006, 0.12, 0.5, 0.05, 0.4])
    assert benjamini_hochberg(p) == pytest.approx([0.06, 0.006, 0.06, 0.5, 0.03, 0.24])
    # Holm caps at 1: 3 * 0.6 = 1.8
    assert holm([0.6, 0.7, 0.8]) == [1.0, 1.0, 1.0]


def test_undefined_p_values_are_left_out_of_the_family():
    # With the Nones dropped the family is m = 2: Holm .02 -> .04, .03 -> .04 (running max)
    assert holm([None, 0.02, None, 0.03]) == pytest.approx([None, 0.04, None, 0.04])
    assert benjamini_hochberg([None, 0.02, None, 0.03]) == pytest.approx([None, 0.03, None, 0.03])
    assert holm([None, None]) == [None, None] and benjamini_hochberg([]) == []


def test_p_values_outside_zero_to_one_are_refused():
    with pytest.raises(ValueError):
        holm([0.2, 1.5])


p_lists = st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=60)


@given(p_lists)
def test_adjusted_values_keep_order_never_fall_below_raw_and_holm_is_stricter(p):
    adjusted_holm, adjusted_bh = holm(p), benjamini_hochberg(p)
    for raw, h, b in zip(p, adjusted_holm, adjusted_bh, strict=True):
        assert raw <= b + 1e-12 and b <= h + 1e-12 and h <= 1.0
    ranked = sorted(range(len(p)), key=lambda i: p[i])
    for earlier, later in zip(ranked, ranked[1:], strict=False):
        assert adjusted_holm[earlier] <= adjusted_holm[later] + 1e-12
        assert adjusted_bh[earlier] <= adjusted_bh[later] + 1e-12
    assert adjusted_bh == pytest.approx(list(false_discovery_control(p)), abs=1e-12)
