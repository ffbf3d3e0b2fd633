"""Who counts as a rater: human coders by default, engines only when asked, never the consensus.

Reliability is a property of the people applying the codebook. An engine is compared with them
in its own section ("engine against humans"), and the consensus is the adjudicated result, not
a rater, so neither may quietly enter the humans' figure.
"""

from __future__ import annotations

from dataclasses import dataclass

from workbench.core.agreement.data import AgreementDataError, CodedData


@dataclass(frozen=True)
class RaterChoice:
    raters: list[str]
    humans: list[str]  # every human coder in the data
    engines: list[str]  # every engine coder in the data, chosen or not
    has_consensus: bool
    rule: str  # how the raters were chosen, in words for the report

    def to_dict(self) -> dict[str, object]:
        return {
            "raters": self.raters,
            "humans": self.humans,
            "engines": self.engines,
            "consensus": self.has_consensus,
            "rule": self.rule,
        }


def choose_raters(
    data: CodedData, coders: list[str] | None = None, include_engines: bool = False
) -> RaterChoice:
    """The coders whose agreement is measured, and the rule that chose them."""
    kinds = data.coder_kinds
    humans = [c for c in data.coders if kinds.get(c, "human") == "human"]
    engines = [c for c in data.coders if kinds.get(c) == "engine"]
    has_consensus = any(kinds.get(c) == "consensus" for c in data.coders)
    if coders:
        for name in coders:
            if name not in data.coders:
                raise AgreementDataError(
                    f"unknown coder '{name}'; known: {', '.join(humans + engines) or 'none'}"
                )
            if kinds.get(name) == "consensus":
                raise AgreementDataError(
                    f"'{name}' is the adjudicated result, not a rater: it cannot enter agreement"
                )
        return RaterChoice(list(coders), humans, engines, has_consensus, "the coders named")
    if include_engines:
        rule = "human coders and engines (engines included on request)"
        return RaterChoice(humans + engines, humans, engines, has_consensus, rule)
    return RaterChoice(humans, humans, engines, has_consensus, "human coders")
