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

import numpy as np

from workbench.core.agreement.compute import BOOTSTRAP_REPS, BOOTSTRAP_SEED, interpret
from workbench.core.agreement.statistics import Value, bootstrap_weights_interval

REFERENCE = (
    "Krippendorff, Mathet, Bouvry and Widlöcher (2016), On the reliability of unitizing "
    "textual continua: Further developments, Quality & Quantity 50"
)
GAP: frozenset[str] = frozenset()

Segment = tuple[str, int, int]  # (code, start, end): offsets into the continuum, end exclusive


@dataclass(frozen=True)
class Continuum:
    """One stretch of text the coders unitized: a passage, with each reviewing coder's
    selections (a coder with no selection reviewed it and selected nothing)."""

    length: int
    segments: Mapping[str, Sequence[Segment]]
    group: str = ""  # the transcript: the unit of resampling
    name: str = ""  # for error messages: which passage


@dataclass
class UnitizingResult:
    """Unitizing alphas and everything a sentence about them may state; the CLI, the report,
    the panel and the method paragraph are all rendered from this object."""

    value: float | None  # uα over every code
    reason: str | None
    binary: float | None  # |uα: coded versus uncoded text
    binary_reason: str | None
    continua: int  # passages with two or more coders
    groups: int  # transcripts they belong to
    length: int  # characters in those passages
    coders: int
    coder_names: tuple[str, ...]
    per_code: dict[str, dict[str, object]] = field(default_factory=dict)
    ci95: tuple[float, float] | None = None
    binary_ci95: tuple[float, float] | None = None
    rule: str = ""  # which passages and coders enter, in words
    interpretation: str = ""
    ci_reason: str | None = None  # why an interval asked for is missing

    def __post_init__(self) -> None:
        if not self.interpretation:
            self.interpretation = interpret("alpha", self.value)

    def to_dict(self) -> dict[str, object]:
        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 6)

        def interval(ci: tuple[float, float] | None) -> list[float] | None:
            return None if ci is None else [round(v, 6) for v in ci]

        return {
            "metric": "unitizing_alpha",
            "label": "Krippendorff's unitizing alpha (uα)",
            "value": rounded(self.value),
            "reason": self.reason,
            "ci95": interval(self.ci95),
            "interpretation": self.interpretation,
            "binary": rounded(self.binary),
            "binary_reason": self.binary_reason,
            "binary_ci95": interval(self.binary_ci95),
            "passages": self.continua,
            "transcripts": self.groups,
            "characters": self.length,
            "coders": self.coders,
            "coder_names": list(self.coder_names),
            "per_code": self.per_code,
            "rule": self.rule,
            "ci_reason": self.ci_reason,
        }


class UnitizingDataError(ValueError):
    """A selection outside its passage, or empty: named, so the caller can say which."""


# -- one coder's partition of one continuum ----------------------------------------------------------


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """One code's selections of one coder, overlapping ones united (touching ones stay two)."""
    out: list[list[int]] = []
    for start, end in sorted(spans):
        if out and start < out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(a, b) for a, b in out]


def partition(length: int, segments: Sequence[Segment]) -> list[tuple[frozenset[str], int, int]]:
    """The coder's continuum as consecutive (value, start, end) pieces; value ``GAP`` is a gap.

    Pieces are cut at every boundary of the coder's (merged) selections and valued with the set
    of codes covering them."""
    by_code: dict[str, list[tuple[int, int]]] = {}
    for code, start, end in segments:
        by_code.setdefault(code, []).append((start, end))
    merged = {code: _merged(spans) for code, spans in by_code.items()}
    cuts = {0, length}
    for spans in merged.values():
        for start, end in spans:
            cuts.update((start, end))
    points = sorted(cuts)
    pieces = []
    for start, end in zip(points, points[1:], strict=False):
        value = frozenset(
            code for code, spans in merged.items() if any(a <= start and end <= b for a, b in spans)
        )
        pieces.append((value, start, end))
    return pieces


# -- sufficient statistics -------------------------------------------------------------------------


@dataclass
class _Tally:
    """Per group: what alpha needs, so a bootstrap only reweights groups."""

    values: dict[frozenset[str], int] = field(default_factory=lambda: {GAP: 0})
    agree: list[float] = field(default_factory=list)  # per group: sum of l_cc
    gap_valued: list[float] = field(default_factory=list)  # per group: sum over c != gap of l_0c
    counts: list[dict[int, float]] = field(default_factory=list)  # per group: n_c
    squares: list[dict[int, float]] = field(default_factory=list)  # per group: s_c

    def index(self, value: frozenset[str]) -> int:
        return self.values.setdefault(value, len(self.values))

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        k, g = len(self.values), len(self.agree)
        n, s = np.zeros((g, k)), np.zeros((g, k))
        for row, (counts, squares) in enumerate(zip(self.counts, self.squares, strict=True)):
            for value, amount in counts.items():
                n[row, value] += amount
            for value, amount in squares.items():
                s[row, value] += amount
        return np.asarray(self.agree, float), np.asarray(self.gap_valued, float), n, s


def _add_continuum(
    tally: _Tally,
    group: int,
    length: int,
    coder_segments: Sequence[Sequence[Segment]],
) -> None:
    m = len(coder_segments)
    labels = np.empty((m, length), dtype=np.int64)
    counts, squares = tally.counts[group], tally.squares[group]
    for row, segments in enumerate(coder_segments):
        for value, start, end in partition(length, segments):
            index = tally.index(value)
            labels[row, start:end] = index
            size = end - start
            counts[index] = counts.get(index, 0.0) + size
            squares[index] = squares.get(index, 0.0) + (size if value == GAP else size * size)
    agree = gap_valued = 0.0
    for i in range(m):
        for j in range(m):
            if i == j:
                continue
            agree += float(np.count_nonzero(labels[i] == labels[j]))
            gap_valued += float(np.count_nonzero((labels[i] == 0) & (labels[j] != 0)))
    tally.agree[group] += agree / (m - 1)
    tally.gap_valued[group] += gap_valued / (m - 1)


def _alphas(
    agree: np.ndarray, gap_valued: np.ndarray, n: np.ndarray, s: np.ndarray, weights: np.ndarray
) -> tuple[Value, Value]:
    """(uα, |uα) of the groups weighted by ``weights`` (ones for the data itself)."""
    counts = weights @ n
    squares = weights @ s
    total = float(counts.sum())
    denominator = total * total - float(squares.sum())
    if total == 0 or denominator <= 0:
        nothing = Value.undefined("no passage was reviewed by two coders")
        return nothing, nothing
    expected_agree = total * float((counts * counts - squares).sum()) / denominator
    observed = total - float(weights @ agree)
    expected = total - expected_agree
    if expected <= 1e-12:
        u = Value.undefined("no variation: every coder coded every character alike")
    else:
        u = Value(1.0 - observed / expected)
    gaps = float(counts[0])
    expected_binary = total * gaps * (total - gaps) / denominator
    if expected_binary <= 1e-12:
        what = "no character was coded" if gaps == total else "no character was left uncoded"
        bar = Value.undefined(f"no variation: {what}")
    else:
        bar = Value(1.0 - float(weights @ gap_valued) / expected_binary)
    return u, bar


@dataclass
class _Pooled:
    tally: _Tally
    groups: list[str]

    def point(self) -> tuple[Value, Value]:
        arrays = self.tally.arrays()
        return _alphas(*arrays, np.ones(len(self.groups)))

    def intervals(self) -> tuple[tuple[float, float] | None, tuple[float, float] | None]:
        arrays = self.tally.arrays()
        ones = np.ones(len(self.groups))
        u = bootstrap_weights_interval(
            ones, lambda w: _alphas(*arrays, w)[0], BOOTSTRAP_REPS, BOOTSTRAP_SEED
        )
        bar = bootstrap_weights_interval(
            ones, lambda w: _alphas(*arrays, w)[1], BOOTSTRAP_REPS, BOOTSTRAP_SEED
        )
        return u, bar


def _pool(continua: Sequence[Continuum], only_code: str | None = None) -> _Pooled:
    groups: list[str] = []
    at: dict[str, int] = {}
    tally = _Tally()
    for continuum in continua:
        if continuum.group not in at:
            at[continuum.group] = len(groups)
            groups.append(continuum.group)
            for store in (tally.agree, tally.gap_valued):
                store.append(0.0)
            tally.counts.append({})
            tally.squares.append({})
        segments = [
            [seg for seg in coded if only_code is None or seg[0] == only_code]
            for coded in continuum.segments.values()
        ]
        _add_continuum(tally, at[continuum.group], continuum.length, segments)
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
    u, bar = pooled.point()
    u_ci, bar_ci = pooled.intervals() if ci and kept else (None, None)
    ci_reason = None
    if ci and u.value is not None and u_ci is None:
        ci_reason = (
            "fewer than two transcripts to resample"
            if len(pooled.groups) < 2
            else "most resamples left it undefined"
        )
    chosen = (
        list(codes)
        if codes is not None
        else sorted({seg[0] for c in kept for coded in c.segments.values() for seg in coded})
    )
    per_code: dict[str, dict[str, object]] = {}
    for code in chosen:
        one = _pool(kept, only_code=code)
        value = one.point()[0]
        interval = one.intervals()[0] if ci and value.value is not None else None
        selected = sum(
            end - start
            for c in kept
            for coded in c.segments.values()
            for seg_code, start, end in coded
            if seg_code == code
        )
        reason = value.reason
        if selected == 0:
            reason = "no coder selected text for this code"
        per_code[code] = {
            "value": None if value.value is None else round(value.value, 6),
            "reason": reason,
            "ci95": None if interval is None else [round(v, 6) for v in interval],
            "characters_selected": selected,
            "interpretation": interpret("alpha", value.value),
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
        rule=rule,
        ci_reason=ci_reason,
    )


def plural(count: int, word: str) -> str:
    """``1 transcript``, ``2 transcripts``: the sentences are pasted into papers."""
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def unitizing_statement(result: UnitizingResult) -> str:
    """The method paragraph, from the result alone: every number in it is one it holds."""
    if result.continua == 0:
        return (
            "Krippendorff's unitizing alpha could not be computed: no passage was reviewed by two "
            f"or more coders who selected text{' (' + result.rule + ')' if result.rule else ''}."
        )
    names = ", ".join(result.coder_names)
    text = (
        f"Agreement on the text coders selected inside passages was assessed on "
        f"{plural(result.continua, 'passage')} ({result.length:,} characters, "
        f"{plural(result.groups, 'transcript')}) reviewed by two or more of "
        f"{plural(result.coders, 'coder')} ({names})"
    )
    text += f"; {result.rule}." if result.rule else "."
    text += (
        " The statistic is Krippendorff's unitizing alpha (uα; "
        f"{REFERENCE}): every character a coder selected belongs to a unit valued with its "
        "code, every other character to a gap, and two coders disagree on a character where "
        "its values differ; chance agreement pairs characters at random, never two of the "
        "same unit. |uα counts only coded against uncoded text; per code, uα compares the "
        "text selected for that code with everything else."
    )
    text += (
        " Overlapping selections of one code by one coder count as one unit, and text a coder "
        "selected for several codes as a unit valued with that set of codes."
    )
    if result.value is None:
        text += f" uα is undefined: {result.reason}."
    if result.ci95 is not None:
        text += (
            f" 95% confidence intervals are percentile bootstrap intervals from {BOOTSTRAP_REPS} "
            f"resamples of transcripts (seed {BOOTSTRAP_SEED})."
        )
    if result.ci_reason:
        text += f" No confidence interval: {result.ci_reason}."
    text += (
        " Following Krippendorff (2004), alpha ≥ .800 is taken as reliable and ≥ .667 as "
        "sufficient for tentative conclusions."
    )
    return text
