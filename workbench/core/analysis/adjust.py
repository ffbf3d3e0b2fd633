"""Adjusted p-values for a family of tests: Holm (family-wise error) and Benjamini–Hochberg (FDR).

A findings report runs one test per metadata field and code, often hundreds; a raw p < .05
among them is expected by chance alone. Both adjustments follow R's ``p.adjust``. A test that
could not run (p is None) is not part of the family: it does not raise the others' adjusted
values, and its own adjusted values stay None (undefined).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _defined(p_values: Sequence[float | None]) -> tuple[np.ndarray, np.ndarray]:
    where = np.array([i for i, p in enumerate(p_values) if p is not None], dtype=int)
    values = np.array([p_values[i] for i in where], dtype=float)
    if ((values < 0) | (values > 1) | np.isnan(values)).any():
        raise ValueError("p-values must lie between 0 and 1")
    return where, values


def _placed(
    p_values: Sequence[float | None], where: np.ndarray, adjusted: np.ndarray
) -> list[float | None]:
    result: list[float | None] = [None] * len(p_values)
    for i, value in zip(where, adjusted, strict=True):
        result[int(i)] = float(value)
    return result


def holm(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm's step-down adjustment: controls the chance of any false positive in the family.

    Sorted ascending, the i-th smallest (1-based) becomes (m - i + 1) * p, made non-decreasing
    by a running maximum so that a smaller raw p never gets a larger adjusted one; capped at 1.
    """
    where, values = _defined(p_values)
    m = len(values)
    if m == 0:
        return [None] * len(p_values)
    order = np.argsort(values, kind="stable")
    scaled = (m - np.arange(m)) * values[order]
    stepped = np.minimum(1.0, np.maximum.accumulate(scaled))
    adjusted = np.empty(m)
    adjusted[order] = stepped
    return _placed(p_values, where, adjusted)


def benjamini_hochberg(p_values: Sequence[float | None]) -> list[float | None]:
    """Benjamini–Hochberg step-up adjustment: controls the expected share of false positives.

    Sorted ascending, the i-th smallest becomes m / i * p, made monotone by a running minimum
    from the largest down; capped at 1.
    """
    where, values = _defined(p_values)
    m = len(values)
    if m == 0:
        return [None] * len(p_values)
    order = np.argsort(values, kind="stable")
    scaled = m / np.arange(1, m + 1) * values[order]
    stepped = np.minimum(1.0, np.minimum.accumulate(scaled[::-1])[::-1])
    adjusted = np.empty(m)
    adjusted[order] = stepped
    return _placed(p_values, where, adjusted)
