"""The study's findings from coded interviews, each with an honest interval.

Findings count participants (transcripts): a participant "has" a code when any of their
passages carries it, or any code below it in the hierarchy. Which decisions count is the
``source``: the consensus coder where a passage was adjudicated, otherwise any human coder
(the default), or one named coder. The rule actually applied, with how many passages each part
of it decided, travels with the result as a ``CountingRule``, so the report states exactly what
the engine did.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from scipy import stats

from workbench.core.codebook import Codebook
from workbench.core.store import Project
from workbench.core.store.coding import CoderKind
from workbench.core.store.queries import metadata_for, transcripts_of_passages
from workbench.core.store.raters import (
    coders_by_id,
    codes_by_passage_and_coder,
    reviewers_by_passage,
    uncoded_among,
)
from workbench.core.store.version_codings import codings_under_version

Z95 = 1.959963984540054
SMALL_GROUP = 30


def wilson(successes: int, n: int) -> tuple[float, float] | None:
    """Wilson score 95% interval for a proportion; None when n is 0."""
    if n == 0:
        return None
    p = successes / n
    denominator = 1 + Z95**2 / n
    centre = (p + Z95**2 / (2 * n)) / denominator
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class CountingRule:
    """Which decisions made a participant "have" a code, as applied: a report prints this and
    nothing else, so its sentence cannot drift from the engine's counting."""

    source: str  # "auto", "humans" or one coder's name
    consensus_passages: int  # passages decided by the adjudicated consensus
    rule_passages: int  # passages decided by the stated rule (no consensus used)
    uncounted_passages: int  # reviewed, but by none of the coders the rule counts
    participants: int  # participants with at least one counted passage

    @property
    def rule(self) -> str:
        """The rule for a passage without a consensus that counts, in words."""
        if self.source in ("auto", "humans"):
            return "a code counts when any human coder who reviewed the passage applied it"
        return f"a code counts when coder '{self.source}' applied it"

    def paragraph(self) -> str:
        """The report's "How participants were counted" text."""
        counted = self.consensus_passages + self.rule_passages
        if self.source == "auto":
            how = (
                "On each passage the adjudicated consensus counts where there is one "
                f"({self.consensus_passages} passages); otherwise {self.rule} "
                f"({self.rule_passages} passages)."
            )
        elif self.source == "humans":
            how = f"Adjudicated consensus is not used: {self.rule} ({self.rule_passages} passages)."
        else:
            how = f"Only one coder counts: {self.rule} ({self.rule_passages} passages)."
        left = (
            f" {self.uncounted_passages} reviewed passages had no decision by a coder this rule "
            "counts and were left out."
            if self.uncounted_passages
            else ""
        )
        return (
            f"{self.participants} participants (transcripts) with {counted} counted passages. A "
            "participant has a code when any of their counted passages carries it or a code "
            f"below it in the codebook. {how}{left} Suggestions from an engine (Claude or the "
            "local engine) never count; only codes a person applied or accepted do."
        )


@dataclass(frozen=True)
class CodedParticipants:
    """Who has which code: participant ids, and per code the set of participants."""

    participants: list[str]
    codes: dict[str, set[str]]  # code id -> participant ids (hierarchy rolled up)
    passages: int
    passage_codes: dict[str, int]  # code id -> passages with it (rolled up)
    metadata: dict[str, dict[str, str]]
    rule: CountingRule


def coded_participants(
    project: Project, source: str = "auto", codebook_version: int | None = None
) -> CodedParticipants:
    """Participants and their codes from the chosen decisions (see the module docstring).

    With ``codebook_version``: the codings made under that version (``store.version_codings``),
    rolled up in that version's tree."""
    codebook = (
        project.codebook if codebook_version is None else project.codebook_at(codebook_version)
    )
    assert codebook is not None
    with project.reading() as conn:
        kinds = coders_by_id(conn)
        if codebook_version is None:
            reviewed = reviewers_by_passage(conn)
            applied = codes_by_passage_and_coder(conn)
        else:
            under = codings_under_version(conn, codebook_version)
            by_passage = under.reviewers_by_passage()
            context = uncoded_among(conn, by_passage)
            reviewed = {pid: who for pid, who in by_passage.items() if pid not in context}
            applied = under.applied
        passage_sets: dict[int, set[str]] = {}
        decided_by = {"consensus": 0, "rule": 0, "none": 0}
        for pid, who in reviewed.items():
            chosen, by = _chosen_coders(who, kinds, source)
            decided_by[by] += 1
            if chosen:
                passage_sets[pid] = set().union(
                    *(applied.get((pid, coder), set()) for coder in chosen)
                )
        # only the coded passages' owners and metadata: a large study codes a sample of its
        # corpus, and a map of every passage costs seconds and hundreds of megabytes
        owner = transcripts_of_passages(conn, passage_sets)
        participants = sorted({owner[pid] for pid in passage_sets})
        meta = metadata_for(conn, participants)
    rule = CountingRule(
        source,
        decided_by["consensus"],
        decided_by["rule"],
        decided_by["none"],
        len(participants),
    )
    codes: dict[str, set[str]] = defaultdict(set)
    passage_codes: dict[str, int] = defaultdict(int)
    for pid, found in passage_sets.items():
        rolled = rolled_up(found, codebook)
        for code in rolled:
            codes[code].add(owner[pid])
            passage_codes[code] += 1
    return CodedParticipants(
        participants, dict(codes), len(passage_sets), dict(passage_codes), dict(meta), rule
    )


def _chosen_coders(
    who: set[int], kinds: dict[int, tuple[str, str]], source: str
) -> tuple[set[int], str]:
    """The coders whose codes count on one passage, and which part of the rule chose them
    ("consensus", "rule", or "none" when no counted coder reviewed it)."""
    if source == "auto":
        consensus = {c for c in who if kinds[c][1] == CoderKind.CONSENSUS.value}
        if consensus:
            return consensus, "consensus"
        chosen = {c for c in who if kinds[c][1] == CoderKind.HUMAN.value}
    elif source == "humans":
        chosen = {c for c in who if kinds[c][1] == CoderKind.HUMAN.value}
    else:
        chosen = {c for c in who if kinds[c][0] == source}
    return chosen, "rule" if chosen else "none"


def rolled_up(codes: set[str], codebook: Codebook) -> set[str]:
    """The codes and every ancestor of each (a child's presence counts for its parents)."""
    found = set(codes)
    for code in codes:
        current = codebook.get(code)
        while current is not None and current.parent_id:
            found.add(current.parent_id)
            current = codebook.get(current.parent_id)
    return found


@dataclass(frozen=True)
class Frequency:
    code: str
    participants: int
    participant_share: float
    participant_ci: tuple[float, float] | None
    passages: int
    passage_share: float
    passage_ci: tuple[float, float] | None


def frequencies(data: CodedParticipants, codebook: Codebook) -> list[Frequency]:
    n, passages = len(data.participants), data.passages
    result = []
    for code in codebook.walk():
        k = len(data.codes.get(code.id, ()))
        kp = data.passage_codes.get(code.id, 0)
        result.append(
            Frequency(
                code.id,
                k,
                k / n if n else 0.0,
                wilson(k, n),
                kp,
                kp / passages if passages else 0.0,
                wilson(kp, passages),
            )
        )
    return result


@dataclass(frozen=True)
class GroupShare:
    group: str
    participants: int
    with_code: int
    share: float
    ci: tuple[float, float] | None
    small: bool


@dataclass(frozen=True)
class Split:
    code: str
    field: str
    groups: list[GroupShare]
    test: str
    statistic: float | None
    p_value: float | None
    note: str


def split(data: CodedParticipants, code: str, field: str) -> Split:
    """A code's share per metadata group, with a test that the groups differ."""
    members: dict[str, list[str]] = defaultdict(list)
    for participant in data.participants:
        value = data.metadata.get(participant, {}).get(field)
        if value:
            members[value].append(participant)
    having = data.codes.get(code, set())
    groups = []
    for name in sorted(members):
        n = len(members[name])
        k = sum(1 for p in members[name] if p in having)
        groups.append(GroupShare(name, n, k, k / n if n else 0.0, wilson(k, n), n < SMALL_GROUP))
    table = np.array([[g.with_code, g.participants - g.with_code] for g in groups])
    if len(groups) < 2 or table.sum() == 0 or (table.sum(axis=0) == 0).any():
        return Split(
            code,
            field,
            groups,
            "none",
            None,
            None,
            "no test: fewer than two groups or no variation",
        )
    if len(groups) == 2 and (table < 5).any():
        _odds, p_value = stats.fisher_exact(table)
        return Split(
            code, field, groups, "Fisher's exact test", None, float(p_value), _small_note(groups)
        )
    chi2, p_value, _dof, expected = stats.chi2_contingency(table, correction=len(groups) == 2)
    note = _small_note(groups)
    if (expected < 5).any():
        note += " Some expected counts are below 5: the chi-square p-value is approximate."
    return Split(
        code,
        field,
        groups,
        "chi-square test of independence",
        float(chi2),
        float(p_value),
        note.strip(),
    )


def _small_note(groups: list[GroupShare]) -> str:
    small = [g.group for g in groups if g.small]
    return f"Small groups (under {SMALL_GROUP} participants): {', '.join(small)}." if small else ""


@dataclass(frozen=True)
class CoOccurrence:
    first: str
    second: str
    both: int
    first_only: int
    second_only: int
    neither: int
    p_second_given_first: float | None
    p_second_given_not_first: float | None
    lift: float | None
    relative_risk: float | None
    relative_risk_ci: tuple[float, float] | None
    odds_ratio: float | None
    odds_ratio_ci: tuple[float, float] | None

    def sentence(self, names: dict[str, str]) -> str:
        a, b = names.get(self.first, self.first), names.get(self.second, self.second)
        if (
            self.relative_risk is None
            or self.p_second_given_first is None
            or self.p_second_given_not_first is None
        ):
            return f"Too few participants to compare '{b}' with and without '{a}'."
        interval = ""
        if self.relative_risk_ci:
            interval = (
                f"; 95% CI {self.relative_risk_ci[0]:.1f}x to {self.relative_risk_ci[1]:.1f}x"
            )
        return (
            f"Participants coded '{a}' were {self.relative_risk:.1f}x as likely to also be coded '{b}' "
            f"({self.p_second_given_first:.0%} vs {self.p_second_given_not_first:.0%}{interval})."
        )


def co_occurrence(data: CodedParticipants, first: str, second: str) -> CoOccurrence:
    """Within participants: counts, conditional shares, lift, relative risk and odds ratio.

    Intervals: Katz log method for the relative risk, Woolf for the odds ratio, with 0.5 added
    to every cell when one is zero (Haldane–Anscombe).
    """
    a_set, b_set = data.codes.get(first, set()), data.codes.get(second, set())
    everyone = set(data.participants)
    both = len(a_set & b_set)
    first_only = len(a_set - b_set)
    second_only = len(b_set - a_set)
    neither = len(everyone - a_set - b_set)
    n = len(everyone)
    with_first, without_first = both + first_only, second_only + neither
    p_b_a = both / with_first if with_first else None
    p_b_not_a = second_only / without_first if without_first else None
    p_a, p_b = with_first / n if n else 0, (both + second_only) / n if n else 0
    lift = (both / n) / (p_a * p_b) if n and p_a and p_b else None
    a: float
    b: float
    c: float
    d: float
    a, b, c, d = both, first_only, second_only, neither
    if 0 in (a, b, c, d):
        a, b, c, d = a + 0.5, b + 0.5, c + 0.5, d + 0.5
    rr = rr_ci = odds = odds_ci = None
    if with_first and without_first and p_b_not_a:
        rr = p_b_a / p_b_not_a  # type: ignore[operator]
        se = math.sqrt(1 / a - 1 / (a + b) + 1 / c - 1 / (c + d))
        log_rr = math.log((a / (a + b)) / (c / (c + d)))
        rr_ci = (math.exp(log_rr - Z95 * se), math.exp(log_rr + Z95 * se))
    if n:
        odds = (a * d) / (b * c)
        se = math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
        odds_ci = (math.exp(math.log(odds) - Z95 * se), math.exp(math.log(odds) + Z95 * se))
    return CoOccurrence(
        first,
        second,
        both,
        first_only,
        second_only,
        neither,
        p_b_a,
        p_b_not_a,
        lift,
        rr,
        rr_ci,
        odds,
        odds_ci,
    )


@dataclass(frozen=True)
class Pair:
    code: str
    opposite: str
    both: int
    only_code: int
    only_opposite: int
    neither: int


def opposite_pairs(data: CodedParticipants, codebook: Codebook) -> list[Pair]:
    """The codebook's paired codes (a hope and its fear): how many people hold both."""
    seen, pairs = set(), []
    everyone = set(data.participants)
    for code in codebook.walk():
        if not code.opposite or frozenset({code.id, code.opposite}) in seen:
            continue
        seen.add(frozenset({code.id, code.opposite}))
        a, b = data.codes.get(code.id, set()), data.codes.get(code.opposite, set())
        pairs.append(
            Pair(code.id, code.opposite, len(a & b), len(a - b), len(b - a), len(everyone - a - b))
        )
    return pairs
