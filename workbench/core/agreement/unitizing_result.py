"""What unitizing alpha is computed from and what it gives: the passages as continua, the result
object every output is rendered from, and the method paragraph written from that result alone.

Apart from the computation (``unitizing``) so that the CLI, the report and the panel depend on a
small module of plain data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from workbench.core.agreement.compute import BOOTSTRAP_REPS, BOOTSTRAP_SEED, interpret
from workbench.core.wording import plural

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
    cu: float | None = None  # cuα: the codes of the text two coders both coded
    cu_reason: str | None = None
    cu_ci95: tuple[float, float] | None = None
    cu_coverage: float = 0.0  # the share of the pooled text cuα rests on
    combined: dict[str, dict[str, object]] = field(default_factory=dict)  # (k)uα of code sets
    rule: str = ""  # which passages and coders enter, in words
    interpretation: str = ""
    ci_reason: str | None = None  # why an interval asked for is missing

    def __post_init__(self) -> None:
        if not self.interpretation:
            self.interpretation = interpret("alpha", self.value)

    def to_dict(self) -> dict[str, object]:
        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 6) + 0.0  # + 0.0: never -0.0

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
            "cu": rounded(self.cu),
            "cu_reason": self.cu_reason,
            "cu_ci95": interval(self.cu_ci95),
            "cu_coverage": round(self.cu_coverage, 6),
            "combined": self.combined,
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
        f"{plural(result.groups, 'transcript')}) and {plural(result.coders, 'coder')} ({names})."
    )
    text += f" Which passages enter: {result.rule}." if result.rule else ""
    text += (
        " The statistic is Krippendorff's unitizing alpha (uα; "
        f"{REFERENCE}): every character a coder selected belongs to a unit valued with its "
        "code, every other character to a gap, and two coders disagree on a character where "
        "its values differ; chance agreement pairs characters at random, never two of the "
        "same unit. |uα counts only coded against uncoded text; per code, uα compares the "
        "text selected for that code with everything else. cuα and, per code, (k)uα count "
        "only text that two coders both coded, so they measure agreement on the codes given "
        "to the same text, leaving aside where selections begin and end; a unit's weight in "
        "their chance term is the part of it other coders also coded."
    )
    if result.cu is not None:
        text += (
            f" cuα rests on {result.cu_coverage:.0%} of the pooled coder-characters: those a "
            "coder coded where another coder coded too"
            + (
                ", each counted by the share of the other coders who did."
                if result.coders > 2
                else "."
            )
        )
    else:
        text += f" cuα is undefined ({result.cu_reason})."
    text += (
        " Overlapping selections of one code by one coder count as one unit, and text a coder "
        "selected for several codes as a unit valued with that set of codes."
    )
    if result.value is None:
        text += f" uα is undefined ({result.reason})."
    if result.ci95 is not None or result.cu_ci95 is not None:
        text += (
            f" 95% confidence intervals are percentile bootstrap intervals from {BOOTSTRAP_REPS:,} "
            f"resamples of transcripts (seed {BOOTSTRAP_SEED})."
        )
    if result.ci_reason:
        text += f" No confidence interval: {result.ci_reason}."
    text += (
        " Following Krippendorff (2004), alpha ≥ .800 is taken as reliable and ≥ .667 as "
        "sufficient for tentative conclusions."
    )
    return text
