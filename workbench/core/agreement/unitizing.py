"""Krippendorff's unitizing alphas: do coders select the same characters, with the same codes?

Passage-level agreement asks whether coders applied a code to a passage; once coders select
text inside passages, the question becomes where. The unitizing alphas of Krippendorff,
Mathet, Bouvry and Widlöcher (2016, "On the reliability of unitizing textual continua: Further
developments", Quality & Quantity 50) answer it character by character:

* each coder's continuum is cut into segments: the selections they coded (units, valued with
  their code) and the gaps between them (the value "no code");
* observed coincidences ``l_ck`` count, over ordered pairs of different coders, the characters
  one coder put in a segment of value c and the other in a segment of value k, divided by
  ``m - 1``;
* expected coincidences pair characters at random, except characters of the same unit (a unit
  is one judgement, so it cannot agree with itself): a unit of length l removes ``l²`` pairs,
  a gap only its ``l`` self-pairs, because a gap is no judgement of extent;
* ``uα = 1 - Do / De`` with the nominal distance: the overall agreement on where the units are
  and which code each has; ``|uα`` counts only the distinction between coded and uncoded text.

Per code, ``uα`` of the continuum in which only that code's selections are units (every other
character a gap) says whether coders select the same text for that code; with two values it
equals that continuum's ``|uα``.

The paper's other two members look only at text that two coders both coded, so disagreement on
where units begin and end drops out and what is left is agreement on the codes:

* ``cuα`` keeps the coincidences between coded characters (``l*_ck``, c and k both codes).
  Chance pairs them as ``uα`` does, except that a unit's mass is now only its pairable part:
  ``W``, the characters of the unit other coders also coded, each other coder's share weighted
  ``1 / (m - 1)`` like the coincidences, and a unit cannot pair with itself (``W²`` removed):
  ``e*_ck = (l*_c. l*_.k - [c = k] Σ_c W²) / (l*.. - Σ W² / l*..)``, where ``Σ_c`` runs over
  the units valued c and ``Σ`` over all units. For two coders ``W`` is the length of the unit's
  intersection with the other coder's units.
* ``(k)uα`` is one code's reliability inside that matrix, in its nominal form:
  ``1 - (e*_k. / l*_k.) (l*_k. - l*_kk) / (e*_k. - e*_kk)``.
* Coverage says how much each rests on: ``l*.. / l..`` of the pooled text for ``cuα``,
  ``l*_k. / l_k.`` of the code's text for ``(k)uα``. ``l..`` counts every coder-character; in
  ``l*..`` a coded one counts by the share of the other coders who coded it too (all of it for
  two coders), so with three or more coders coverage is a weighted share, not a head count.

Many continua (passages) are pooled as if laid end to end (no unit crosses a passage), with
each passage's own coders, so a passage two of three coders reviewed is missing for the third,
not disagreement. Two conventions of this implementation, because a code book allows several
codes on the same text while the 2016 paper assumes one partition per coder: a coder's
overlapping selections of one code are one unit (their union), and where selections of
different codes overlap, the overlap is a unit of its own valued with the set of those codes.
Intervals resample groups of continua (transcripts) with replacement, since passages of one
interview are not independent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workbench.core.agreement.compute import BOOTSTRAP_REPS, BOOTSTRAP_SEED, interpret
from workbench.core.agreement.statistics import Value
from workbench.core.agreement.unitizing_partition import (  # noqa: F401  (partition: public)
    merged_by_code,
    overlaps,
    partition,
    pieces_of,
)
from workbench.core.agreement.unitizing_result import (  # noqa: F401  (re-exported)
    GAP,
    REFERENCE,
    Continuum,
    Segment,
    UnitizingDataError,
    UnitizingResult,
    unitizing_statement,
)
from workbench.core.wording import plural  # noqa: F401  (re-exported: the panel and report use it)

# -- sufficient statistics -------------------------------------------------------------------------


@dataclass
class _Tally:
    """Per group: what the alphas need, so a bootstrap only reweights groups.

    Every array is (groups, values): the coincidence matrix itself is never needed whole,
    only its diagonal, its row margins and its valued part's row margins. Per code, the
    continuum in which only that code is a unit needs just three numbers per group (its
    characters, their squares per unit, its agreeing coincidences): the gap's follow from
    ``size`` (the group's coder-characters), so no code re-reads the continua."""

    values: dict[frozenset[str], int] = field(default_factory=lambda: {GAP: 0})
    gap_valued: list[float] = field(default_factory=list)  # per group: sum over c != gap of l_0c
    diagonal: list[dict[int, float]] = field(default_factory=list)  # l_cc
    counts: list[dict[int, float]] = field(default_factory=list)  # n_c = l_c. (row margins)
    squares: list[dict[int, float]] = field(default_factory=list)  # s_c: l² per unit, l per gap
    valued: list[dict[int, float]] = field(default_factory=list)  # l*_c: sum over k != gap of l_ck
    pairable: list[dict[int, float]] = field(default_factory=list)  # t_c: W² per unit (cuα)
    size: list[float] = field(default_factory=list)  # coder-characters: l..
    code_counts: list[dict[str, float]] = field(default_factory=list)  # one code's units: n
    code_squares: list[dict[str, float]] = field(default_factory=list)  # l² per unit
    code_diagonal: list[dict[str, float]] = field(default_factory=list)  # its l_cc

    def index(self, value: frozenset[str]) -> int:
        return self.values.setdefault(value, len(self.values))

    def add_group(self) -> None:
        self.gap_valued.append(0.0)
        self.size.append(0.0)
        for store in (self.diagonal, self.counts, self.squares, self.valued, self.pairable):
            store.append({})
        for by_code in (self.code_counts, self.code_squares, self.code_diagonal):
            by_code.append({})

    def arrays(self) -> _Arrays:
        k, g = len(self.values), len(self.gap_valued)

        def dense(rows: list[dict[int, float]]) -> np.ndarray:
            out = np.zeros((g, k))
            for row, amounts in enumerate(rows):
                for value, amount in amounts.items():
                    out[row, value] += amount
            return out

        return _Arrays(
            np.asarray(self.gap_valued, float),
            dense(self.diagonal),
            dense(self.counts),
            dense(self.squares),
            dense(self.valued),
            dense(self.pairable),
        )

    def code_arrays(self, codes: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(counts, squares, diagonal), each (groups, codes, 2): per code, the gap and the code
        as the continuum with only that code's selections as units has them."""
        g = len(self.size)
        size = np.asarray(self.size, float)[:, None]

        def dense(rows: list[dict[str, float]]) -> np.ndarray:
            return np.array([[row.get(code, 0.0) for code in codes] for row in rows]).reshape(
                g, len(codes)
            )

        n, s, d = (
            dense(rows) for rows in (self.code_counts, self.code_squares, self.code_diagonal)
        )
        # a gap character's only excluded pair is itself; gap-gap agreement is every pair of
        # coders' common gap: sum over i != j of (L - |U_i| - |U_j| + |U_i ∩ U_j|) / (m - 1)
        counts = np.stack([size - n, n], axis=-1)
        squares = np.stack([size - n, s], axis=-1)
        diagonal = np.stack([size - 2 * n + d, d], axis=-1)
        return counts, squares, diagonal


@dataclass(frozen=True)
class _Arrays:
    gap_valued: np.ndarray
    diagonal: np.ndarray
    counts: np.ndarray
    squares: np.ndarray
    valued: np.ndarray
    pairable: np.ndarray

    def weighted(self, weights: np.ndarray) -> _Arrays:
        """The tallies of (re)samples of groups, summed: ``weights`` is (groups,) for one
        sample or (samples, groups) for many at once."""
        return _Arrays(*(weights @ getattr(self, name) for name in _Arrays.__dataclass_fields__))


def _bump(store: dict[Any, float], key: Any, amount: float) -> None:
    store[key] = store.get(key, 0.0) + amount


def _add_continuum(
    tally: _Tally,
    group: int,
    length: int,
    coder_segments: Sequence[Sequence[Segment]],
) -> None:
    m = len(coder_segments)
    weight = 1.0 / (m - 1)
    merged = [merged_by_code(segments) for segments in coder_segments]
    pieces = [
        [(tally.index(value), start, end) for value, start, end in pieces_of(length, by_code)]
        for by_code in merged
    ]
    counts, squares = tally.counts[group], tally.squares[group]
    for coder_pieces in pieces:
        for index, start, end in coder_pieces:
            size = end - start
            _bump(counts, index, float(size))
            _bump(squares, index, float(size if index == 0 else size * size))
    # every ordered pair of coders, from each unordered pair's common stretches: agreement
    # counts twice, a coded stretch against a gap once (l_0c counts only the gap coder's side)
    others = [[0] * len(coder_pieces) for coder_pieces in pieces]  # coded by the other coder
    agree: dict[int, int] = {}
    gap_valued = 0
    for i in range(m):
        for j in range(i + 1, m):
            for a, b, common in overlaps(pieces[i], pieces[j]):
                first, second = pieces[i][a][0], pieces[j][b][0]
                if first == second:
                    agree[first] = agree.get(first, 0) + 2 * common
                if first and second:
                    others[i][a] += common
                    others[j][b] += common
                elif first or second:
                    gap_valued += common
    diagonal = tally.diagonal[group]
    for index, amount in agree.items():
        _bump(diagonal, index, amount * weight)
    tally.gap_valued[group] += gap_valued * weight
    pairable, valued = tally.pairable[group], tally.valued[group]
    for coder_pieces, coded in zip(pieces, others, strict=True):
        for (index, _start, _end), together in zip(coder_pieces, coded, strict=True):
            if index != 0:
                # W: the unit's pairable mass in cuα, the characters other coders also coded,
                # each other coder's share weighted 1 / (m - 1) as the coincidences are
                mass = together * weight
                _bump(valued, index, mass)
                _bump(pairable, index, mass * mass)
    _add_codes(tally, group, merged, weight)
    tally.size[group] += float(m * length)


def _add_codes(
    tally: _Tally, group: int, merged: Sequence[Mapping[str, list[tuple[int, int]]]], weight: float
) -> None:
    """Per code, the continuum in which only its selections are units: their characters,
    squares and agreeing coincidences (everything else of it is gap, see ``code_arrays``)."""
    n, s, d = tally.code_counts[group], tally.code_squares[group], tally.code_diagonal[group]
    for code in {code for by_code in merged for code in by_code}:
        units = [[(1, a, b) for a, b in by_code.get(code, ())] for by_code in merged]
        _bump(n, code, float(sum(b - a for spans in units for _v, a, b in spans)))
        _bump(s, code, float(sum((b - a) ** 2 for spans in units for _v, a, b in spans)))
        common = sum(
            c
            for i in range(len(units))
            for j in range(i + 1, len(units))
            for _a, _b, c in overlaps(units[i], units[j])
        )
        _bump(d, code, 2 * common * weight)


# -- the coefficients, for one sample (1-d tallies) or many at once (one row per sample) ---------


def _u_values(counts: np.ndarray, squares: np.ndarray, diagonal: np.ndarray) -> np.ndarray:
    """uα along the last axis; NaN where undefined (see ``_u_reason`` for why)."""
    total = counts.sum(-1)
    denominator = total * total - squares.sum(-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected_agree = total * (counts * counts - squares).sum(-1) / denominator
        expected = total - expected_agree
        value = 1.0 - (total - diagonal.sum(-1)) / expected
    return np.where((total > 0) & (denominator > 0) & (expected > 1e-12), value, np.nan)


def _u_reason(counts: np.ndarray, squares: np.ndarray) -> str:
    total = float(counts.sum())
    if total == 0 or total * total - float(squares.sum()) <= 0:
        return "no passage was reviewed by two coders"
    if float(counts[0]) == total:
        return "no variation: no coder selected any text"
    return "no variation: every coder coded every character alike"


def _binary_values(sums: _Arrays) -> np.ndarray:
    """|uα along the last axis; NaN where undefined."""
    total = sums.counts.sum(-1)
    denominator = total * total - sums.squares.sum(-1)
    gaps = sums.counts[..., 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = total * gaps * (total - gaps) / denominator
        value = 1.0 - sums.gap_valued / expected
    return np.where((total > 0) & (denominator > 0) & (expected > 1e-12), value, np.nan)


def _value(values: np.ndarray, reason: str) -> Value:
    number = float(values)
    return Value.undefined(reason) if np.isnan(number) else Value(number)


def _alphas(sums: _Arrays) -> tuple[Value, Value]:
    """(uα, |uα) of one sample."""
    u = _value(_u_values(sums.counts, sums.squares, sums.diagonal), "")
    bar = _value(_binary_values(sums), "")
    if u.value is None or bar.value is None:
        why = _u_reason(sums.counts, sums.squares)
        if why.startswith("no passage"):
            return Value.undefined(why), Value.undefined(why)
        if u.value is None:
            u = Value.undefined(why)
        if bar.value is None:
            total, gaps = float(sums.counts.sum()), float(sums.counts[0])
            what = "no character was coded" if gaps == total else "no character was left uncoded"
            bar = Value.undefined(f"no variation: {what}")
    return u, bar


def _cu_parts(sums: _Arrays) -> tuple[np.ndarray, ...]:
    """cuα's matrix margins: valued rows and W² without the gap, and the chance-term scale."""
    rows = sums.valued.copy()
    rows[..., 0] = 0.0
    t = sums.pairable.copy()
    t[..., 0] = 0.0
    diagonal = sums.diagonal.copy()
    diagonal[..., 0] = 0.0
    total = rows.sum(-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = total - t.sum(-1) / total
    return rows, t, diagonal, total, scale


def _cu_values(sums: _Arrays) -> np.ndarray:
    """cuα along the last axis; NaN where undefined."""
    rows, t, diagonal, total, scale = _cu_parts(sums)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected_diagonal = (rows * rows - t) / np.expand_dims(scale, -1)
        observed = total - diagonal.sum(-1)
        expected = total - expected_diagonal.sum(-1)
        value = 1.0 - observed / expected
    return np.where((total > 0) & (scale > 0) & (expected > 1e-12), value, np.nan)


@dataclass(frozen=True)
class _Coding:
    """cuα and each value's (k)uα of one sample: agreement on the codes of the text that
    two coders both coded, whatever each coded elsewhere."""

    cu: Value
    per_value: dict[int, Value]
    coverage: float  # l*.. / l..: the share of the pooled text in coded-coded pairs
    value_coverage: dict[int, float]  # l*_k. / l_k.


def _coding(sums: _Arrays, values: Sequence[int]) -> _Coding:
    rows, t, diagonal, total_array, scale_array = _cu_parts(sums)
    total, scale = float(total_array), float(scale_array)
    everything = float(sums.counts.sum())
    coverage = total / everything if everything else 0.0
    value_coverage = {k: float(rows[k] / sums.counts[k]) if sums.counts[k] else 0.0 for k in values}
    if everything == 0:
        why = Value.undefined("no passage was reviewed by two coders")
        return _Coding(why, {k: why for k in values}, coverage, value_coverage)
    if total <= 0:
        why = Value.undefined("no text was coded by two coders")
        return _Coding(why, {k: why for k in values}, coverage, value_coverage)
    cu = _value(
        _cu_values(sums),
        "no variation: all text two coders both coded got the same code (or set of codes)",
    )
    expected_diagonal = (rows * rows - t) / scale
    expected_rows = (rows * total - t) / scale
    per_value: dict[int, Value] = {}
    for k in values:
        l_k, e_k = float(rows[k]), float(expected_rows[k])
        off_observed = l_k - float(diagonal[k])
        off_expected = e_k - float(expected_diagonal[k])
        if l_k <= 0:
            per_value[k] = Value.undefined("no text coded with it was coded by another coder")
        elif scale <= 0 or off_expected <= 1e-12:
            per_value[k] = Value.undefined(
                "no variation: no text two coders both coded got another code"
            )
        else:
            per_value[k] = Value(1.0 - (e_k / l_k) * off_observed / off_expected)
    return _Coding(cu, per_value, coverage, value_coverage)


# -- resampling transcripts ------------------------------------------------------------------------


def _draws(groups: int) -> np.ndarray | None:
    """The bootstrap's resamples of groups, each row how often each group is drawn: the very
    draws ``statistics.bootstrap_weights_interval`` makes (same seed, same order), made once
    and shared by every coefficient, so each is a matrix product instead of 1,000 calls."""
    if groups < 2:
        return None
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    shares = np.ones(groups) / groups
    return np.array([rng.multinomial(groups, shares) for _ in range(BOOTSTRAP_REPS)], float)


def _interval(values: np.ndarray) -> tuple[float, float] | None:
    """Percentile 95% interval of one coefficient over the resamples; None if most are
    undefined (the rule of ``statistics._percentile_interval``)."""
    found = values[~np.isnan(values)]
    if len(found) < BOOTSTRAP_REPS * 0.5:
        return None
    low, high = np.percentile(found, [2.5, 97.5])
    return float(low), float(high)


@dataclass
class _Pooled:
    tally: _Tally
    groups: list[str]

    def sums(self) -> _Arrays:
        return self.tally.arrays().weighted(np.ones(len(self.groups)))

    def point(self) -> tuple[Value, Value]:
        return _alphas(self.sums())

    def coding(self) -> _Coding:
        return _coding(self.sums(), list(range(1, len(self.tally.values))))

    def per_code(self, codes: Sequence[str]) -> list[Value]:
        ones = np.ones(len(self.groups))
        counts, squares, diagonal = (
            np.tensordot(ones, a, axes=1) for a in self.tally.code_arrays(codes)
        )
        values = _u_values(counts, squares, diagonal)
        return [_value(v, _u_reason(counts[i], squares[i])) for i, v in enumerate(values)]

    def intervals(self, codes: Sequence[str]) -> _Intervals:
        draws = _draws(len(self.groups))
        if draws is None:
            return _Intervals(None, None, None, {code: None for code in codes})
        sums = self.tally.arrays().weighted(draws)
        counts, squares, diagonal = (
            np.tensordot(draws, a, axes=1) for a in self.tally.code_arrays(codes)
        )
        per_code = _u_values(counts, squares, diagonal)  # (resamples, codes)
        return _Intervals(
            _interval(_u_values(sums.counts, sums.squares, sums.diagonal)),
            _interval(_binary_values(sums)),
            _interval(_cu_values(sums)),
            {code: _interval(per_code[:, i]) for i, code in enumerate(codes)},
        )


@dataclass(frozen=True)
class _Intervals:
    u: tuple[float, float] | None
    binary: tuple[float, float] | None
    cu: tuple[float, float] | None
    per_code: dict[str, tuple[float, float] | None]


def _pool(continua: Sequence[Continuum]) -> _Pooled:
    groups: list[str] = []
    at: dict[str, int] = {}
    tally = _Tally()
    for continuum in continua:
        if continuum.group not in at:
            at[continuum.group] = len(groups)
            groups.append(continuum.group)
            tally.add_group()
        _add_continuum(
            tally, at[continuum.group], continuum.length, list(continuum.segments.values())
        )
    return _Pooled(tally, groups)


def _check(continua: Sequence[Continuum]) -> list[Continuum]:
    """The continua with two or more coders; a selection outside its continuum is an error."""
    kept = []
    for continuum in continua:
        for coder, segments in continuum.segments.items():
            for code, start, end in segments:
                if not 0 <= start < end <= continuum.length:
                    where = continuum.name or "a passage"
                    raise UnitizingDataError(
                        f"{where}: {coder}'s selection {start}–{end} for '{code}' is empty or "
                        f"outside the passage (0–{continuum.length})"
                    )
        if len(continuum.segments) >= 2 and continuum.length > 0:
            kept.append(continuum)
    return kept


def unitizing_alpha(
    continua: Sequence[Continuum],
    codes: Sequence[str] | None = None,
    ci: bool = False,
    rule: str = "",
) -> UnitizingResult:
    """uα and |uα over every code, and uα per code (that code's selections against the rest).

    ``codes`` lists the codes to report per code (every code selected, by default); the
    overall figures always count every selection."""
    kept = _check(continua)
    coders = sorted({coder for c in kept for coder in c.segments})
    pooled = _pool(kept)
    # characters each code's units cover, summed over coders: a coder's overlapping selections
    # of one code count once, as the coefficient counts them
    selected: dict[str, int] = {}
    for by_code in pooled.tally.code_counts:
        for code, amount in by_code.items():
            selected[code] = selected.get(code, 0) + int(amount)
    chosen = list(codes) if codes is not None else sorted(selected)
    u, bar = pooled.point()
    coding = pooled.coding()
    code_values = pooled.per_code(chosen)
    intervals = pooled.intervals(chosen) if ci and kept else None
    u_ci = bar_ci = cu_ci = None
    if intervals is not None:
        u_ci, bar_ci = intervals.u, intervals.binary
        cu_ci = intervals.cu if coding.cu.value is not None else None
    ci_reason = None
    if ci and u.value is not None and u_ci is None:
        ci_reason = (
            "fewer than two transcripts to resample"
            if len(pooled.groups) < 2
            else "most resamples left it undefined"
        )
    by_value = {value: index for value, index in pooled.tally.values.items() if value}

    def k_alpha(value: frozenset[str]) -> dict[str, object]:
        index = by_value.get(value)
        if index is None:
            alone = "no coder selected text for it"
            if any(value < other for other in by_value):
                alone = "its text was always coded together with other codes (see those rows)"
            return {"k_alpha": None, "k_reason": alone, "k_coverage": 0.0}
        k = coding.per_value[index]
        return {
            "k_alpha": None if k.value is None else round(k.value, 6) + 0.0,  # no -0.0
            "k_reason": k.reason,
            "k_coverage": round(coding.value_coverage[index], 6),
        }

    combined = {
        " + ".join(sorted(value)): k_alpha(value)
        for value in sorted(by_value, key=lambda v: sorted(v))
        if len(value) > 1
    }
    per_code: dict[str, dict[str, object]] = {}
    for code, value in zip(chosen, code_values, strict=True):
        interval = None
        if intervals is not None and value.value is not None:
            interval = intervals.per_code[code]
        characters = selected.get(code, 0)
        per_code[code] = {
            "value": None if value.value is None else round(value.value, 6) + 0.0,  # no -0.0
            "reason": value.reason if characters else "no coder selected text for this code",
            "ci95": None if interval is None else [round(v, 6) for v in interval],
            "characters_selected": characters,
            "interpretation": interpret("alpha", value.value),
            **k_alpha(frozenset({code})),
        }
    return UnitizingResult(
        value=u.value,
        reason=u.reason,
        binary=bar.value,
        binary_reason=bar.reason,
        continua=len(kept),
        groups=len(pooled.groups),
        length=sum(c.length for c in kept),
        coders=len(coders),
        coder_names=tuple(coders),
        per_code=per_code,
        ci95=u_ci,
        binary_ci95=bar_ci,
        cu=coding.cu.value,
        cu_reason=coding.cu.reason,
        cu_ci95=cu_ci,
        cu_coverage=coding.coverage,
        combined=combined,
        rule=rule,
        ci_reason=ci_reason,
    )
