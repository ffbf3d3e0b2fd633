"""Every code split by the metadata fields a researcher names, as one family of tests.

Which fields: the ones named, or else every field whose number of groups among the counted
participants makes a comparison meaningful: ``MIN_GROUPS`` to ``MAX_GROUPS`` groups, with at
least two participants per group on average. One group compares nothing, and a field with a
value per participant (an id, a free-text job title) gives groups of one. Fields left out are
kept with the reason, so a report can say why.

All tests of all fields and codes form one family for the Holm and Benjamini–Hochberg
adjustments: that is the number of comparisons a reader has actually been shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from workbench.core.analysis.adjust import benjamini_hochberg, holm
from workbench.core.analysis.findings import CodedParticipants, Split, split
from workbench.core.codebook import Codebook
from workbench.core.errors import WorkbenchError

MIN_GROUPS, MAX_GROUPS = 2, 20


class UnknownFieldError(WorkbenchError):
    """A split field the project's metadata does not have; the message lists the known ones."""


def known_fields(data: CodedParticipants) -> list[str]:
    """Every metadata field of the project, counted participants or not."""
    return sorted({field for values in data.metadata.values() for field in values})


def field_values(data: CodedParticipants, field: str) -> list[str]:
    """The field's non-empty value of each counted participant that has one."""
    values = (data.metadata.get(p, {}).get(field) for p in data.participants)
    return [value for value in values if value]


@dataclass(frozen=True)
class FieldChoice:
    fields: list[str]
    left_out: dict[str, str]  # field -> why it is not split
    named: bool  # the user named the fields (otherwise the group-count rule chose them)
    with_value: dict[str, int]  # field -> counted participants that have a value
    participants: int

    def sentence(self) -> str:
        listed = ", ".join(
            field
            if self.with_value[field] == self.participants
            else f"{field} ({self.with_value[field]} of {self.participants} participants have a value)"
            for field in self.fields
        )
        if self.named:
            chosen = f"Split fields, as named: {listed}."
        else:
            chosen = (
                f"Split fields: every metadata field with {MIN_GROUPS} to {MAX_GROUPS} groups among "
                "the counted participants and at least two participants per group on average: "
                f"{listed or 'none'}."
            )
        if not self.left_out:
            return chosen
        reasons = "; ".join(f"{field} ({why})" for field, why in self.left_out.items())
        return f"{chosen} Left out: {reasons}."


def choose_split_fields(data: CodedParticipants, named: Sequence[str] | None = None) -> FieldChoice:
    """The named fields (each must exist), or every field the group-count rule accepts."""
    known = known_fields(data)
    if named:
        unknown = [field for field in named if field not in known]
        if unknown:
            listed = ", ".join(known) if known else "none (import a metadata file first)"
            raise UnknownFieldError(
                f"unknown metadata field{'s' if len(unknown) > 1 else ''} "
                f"{', '.join(repr(f) for f in unknown)}; the project's fields are: {listed}"
            )
    values = {field: field_values(data, field) for field in known}
    with_value = {field: len(found) for field, found in values.items()}
    n = len(data.participants)
    if named:
        return FieldChoice(list(dict.fromkeys(named)), {}, True, with_value, n)
    fields, left_out = [], {}
    for field in known:
        groups, people = len(set(values[field])), len(values[field])
        if groups < MIN_GROUPS:
            left_out[field] = f"{groups} group{'' if groups == 1 else 's'}"
        elif groups > MAX_GROUPS:
            left_out[field] = f"{groups} groups, more than {MAX_GROUPS}"
        elif 2 * groups > people:
            left_out[field] = f"{groups} groups for {people} participants"
        else:
            fields.append(field)
    return FieldChoice(fields, left_out, False, with_value, n)


@dataclass(frozen=True)
class AdjustedSplit:
    split: Split
    holm: float | None  # None: no test ran, so it is not in the family
    bh: float | None


@dataclass(frozen=True)
class SplitFamily:
    choice: FieldChoice
    splits: list[AdjustedSplit]  # field-major, codes in codebook order

    @property
    def tests(self) -> int:
        """The family's size: splits whose test ran."""
        return sum(1 for s in self.splits if s.split.p_value is not None)

    def method(self) -> str:
        untested = len(self.splits) - self.tests
        return (
            f"Each split compares a code's share of participants between a field's groups with "
            f"a chi-square test of independence, or Fisher's exact test for two groups with a "
            f"cell under 5. Adjusted p-values treat all {self.tests} tests in this report "
            f"({len(self.choice.fields)} fields × every code of the codebook) as one family: "
            "Holm's step-down method controls the chance of any false positive "
            "(family-wise error), Benjamini–Hochberg the expected share of false positives "
            f"(false discovery rate). {untested} splits had no test (fewer than two groups, or "
            "nobody or everybody with the code); their p-values are undefined and they are not "
            "part of the family."
        )


def split_family(
    data: CodedParticipants, codebook: Codebook, fields: Sequence[str] | None = None
) -> SplitFamily:
    """Every code split by each chosen field, with p-values adjusted over the whole family."""
    choice = choose_split_fields(data, fields)
    raw = [split(data, code.id, field) for field in choice.fields for code in codebook.walk()]
    p_values = [s.p_value for s in raw]
    adjusted = zip(raw, holm(p_values), benjamini_hochberg(p_values), strict=True)
    return SplitFamily(choice, [AdjustedSplit(s, h, b) for s, h, b in adjusted])
