"""--max-cost while requests are in flight: what is reserved counts as if spent."""

from __future__ import annotations

import pytest

from workbench.suggest.claude_budget import Budget


def test_requests_in_flight_count_against_the_cap():
    budget = Budget()
    assert budget.reserve(0.4, cap_usd=1.0)
    assert budget.reserve(0.4, cap_usd=1.0)
    # Nothing is spent yet, but a third request would take the two in flight over the cap.
    assert not budget.reserve(0.4, cap_usd=1.0)
    assert budget.reserved_usd == pytest.approx(0.8)


def test_a_release_makes_room_and_the_reported_cost_counts_instead():
    budget = Budget()
    assert budget.reserve(0.6, cap_usd=1.0)
    budget.release(0.6)
    budget.spend(0.9)  # the API reported more than the estimate
    assert budget.reserved_usd == pytest.approx(0.0)
    assert not budget.reserve(0.2, cap_usd=1.0)
    assert budget.reserve(0.1, cap_usd=1.0)


def test_no_cap_reserves_anything_and_the_cache_is_warm_once_a_request_is_out():
    budget = Budget()
    assert not budget.warm
    assert budget.reserve(1e6, cap_usd=None)
    assert budget.warm
    budget.release(1e6)
    assert not budget.warm
    budget.spend(0.01)
    assert budget.warm
