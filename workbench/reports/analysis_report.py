"""The findings report: frequencies, splits, co-occurrence, paired codes, quotes, prevalence."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from workbench.core.analysis.exemplars import exemplars
from workbench.core.analysis.findings import (
    SMALL_GROUP,
    CodedParticipants,
    CoOccurrence,
    Frequency,
    GroupShare,
    co_occurrence,
    coded_participants,
    frequencies,
    opposite_pairs,
)
from workbench.core.analysis.prevalence import project_prevalence
from workbench.core.analysis.splits import (
    AdjustedSplit,
    SplitFamily,
    UnknownFieldError,
    split_family,
)
from workbench.core.codebook import Codebook
from workbench.core.store import Project
from workbench.core.tasks import Progress
from workbench.reports.columns import column_table
from workbench.reports.model import BarChart, Heatmap, Report, Section, Table, Text
from workbench.reports.numbers import P_VALUE


def build_analysis_report(
    project: Project,
    source: str = "auto",
    progress: Progress | None = None,
    split_fields: Sequence[str] | None = None,
    codebook_version: int | None = None,
) -> Report:
    """The findings report. ``split_fields``: the metadata fields to split every code by; None
    or empty chooses every field with a meaningful number of groups (see ``splits``). An
    unknown field raises ``UnknownFieldError`` before anything slow runs."""
    codebook = (
        project.codebook if codebook_version is None else project.codebook_at(codebook_version)
    )
    assert codebook is not None
    names = {code.id: code.name for code in codebook.walk()}
    data = coded_participants(project, source, codebook_version)
    try:
        family = split_family(data, codebook, split_fields)
    except UnknownFieldError as error:
        raise UnknownFieldError(f"{project.shown_location}: {error}") from None
    found = frequencies(data, codebook)
    used = [f for f in found if f.participants]
    leaves_used = [f for f in used if not codebook.get(f.code).children]  # type: ignore[union-attr]
    top = sorted(leaves_used, key=lambda f: -f.participants)[:10]
    top_codes = [f.code for f in top]
    steps, done = 6, 0

    def tick(what: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, steps, what)

    own = source not in ("auto", "humans")
    sections: list[Section] = [
        _counting_rule(data, own),
        _frequency_table(found, names, codebook),
        _frequency_chart(leaves_used, names),
    ]
    tick("frequencies")
    sections += split_sections(family, codebook)
    tick("splits")
    pairs_found = _pairs_that_travel_together(data, top_codes)
    sections += [
        _lift_heatmap(data, top_codes, names),
        _travel_together_text(pairs_found, names),
        _co_occurrence_table(pairs_found),
    ]
    tick("co-occurrence")
    sections.append(_paired_codes_table(data, codebook))
    tick("pairs")
    # Quotes and prevalence read the codings as they are now; for an earlier version they
    # would quote and count codes the codebook may since have renamed, so they are left out.
    # One coder's report (blind coding) leaves them out too: quotes are ranked by how many
    # coders agree and prevalence counts every human's reviews, which would show others' codes.
    current = codebook_version is None
    sections.append(_exemplar_table(project, top if current and not own else [], names))
    tick("quotes")
    sections += _prevalence_tables(project, top if current and not own else [], names)
    tick("prevalence")
    if not current:
        sections.append(_version_note(codebook_version))
    if own:
        sections.append(_own_codings_note(source))
    return Report(
        f"Findings: {codebook.name}",
        f"{len(data.participants)} participants · codebook v{codebook.version}"
        + ("" if current else " · codings made under it")
        + (f" · only {source}'s codings" if own else ""),
        sections,
    )


def _own_codings_note(coder: str) -> Text:
    return Text(
        "Whose codings",
        [
            f"Only {coder}'s own codings: blind coding is on, so a coder's report counts no "
            "other coder's codes. Exemplar quotes (ranked by how many coders agree) and corpus "
            "prevalence (which counts every coder's reviews) are left out of it."
        ],
    )


def _version_note(codebook_version: int | None) -> Text:
    return Text(
        "Codebook version",
        [
            f"Only the codings made under codebook version {codebook_version}: each "
            "coder's state on a passage after their last own decision under it "
            "(decisions a codebook migration appended do not count as theirs). "
            "Exemplar quotes and corpus prevalence read the codings as they are now, "
            "so they are left out of this report."
        ],
    )


def _counting_rule(data: CodedParticipants, own: bool = False) -> Text:
    # a coder's own report does not count the passages only others reviewed: that is theirs
    rule = replace(data.rule, uncounted_passages=0) if own else data.rule
    return Text(
        "How participants were counted",
        [
            rule.paragraph(),
            f"Intervals are 95% Wilson score intervals. Small groups (under {SMALL_GROUP} "
            "participants) are flagged.",
        ],
    )


def _frequency_table(found: list[Frequency], names: dict[str, str], codebook: Codebook) -> Table:
    """Every code, used or not: the table a CSV export of this report holds."""
    return column_table(
        "Code frequencies",
        [
            ("code", lambda f: f.code),
            ("name", lambda f: names[f.code]),
            ("level", lambda f: codebook.get(f.code).depth),  # type: ignore[union-attr]
            ("participants", lambda f: f.participants),
            ("share of participants", lambda f: f.participant_share),
            ("CI low", lambda f: f.participant_ci[0] if f.participant_ci else None),
            ("CI high", lambda f: f.participant_ci[1] if f.participant_ci else None),
            ("passages", lambda f: f.passages),
            ("share of passages", lambda f: f.passage_share),
        ],
        found,
        primary=True,
    )


def _frequency_chart(leaves_used: list[Frequency], names: dict[str, str]) -> BarChart:
    ordered = sorted(leaves_used, key=lambda f: -f.participant_share)
    return BarChart(
        "Share of participants per code (95% intervals)",
        [names[f.code] for f in ordered],
        [f.participant_share for f in ordered],
        [f.participant_ci for f in ordered],
        percent=True,
    )


def _lift_heatmap(data: CodedParticipants, top_codes: list[str], names: dict[str, str]) -> Heatmap:
    lift = [
        [None if a == b else co_occurrence(data, a, b).lift for b in top_codes] for a in top_codes
    ]
    return Heatmap(
        "Co-occurrence within participants: lift",
        [names[c] for c in top_codes],
        [names[c] for c in top_codes],
        lift,
        note="Lift 1 means the two codes co-occur as often as chance would have it; 3 means three times as often.",
    )


def _pairs_that_travel_together(
    data: CodedParticipants, top_codes: list[str]
) -> list[CoOccurrence]:
    """Ordered pairs of the most used codes held together by at least three participants,
    the strongest relative risk first."""
    pairs_found = []
    for a in top_codes:
        for b in top_codes:
            if a != b:
                result = co_occurrence(data, a, b)
                if result.both >= 3 and result.relative_risk is not None:
                    pairs_found.append(result)
    pairs_found.sort(key=lambda r: -(r.relative_risk or 0))
    return pairs_found


def _travel_together_text(pairs_found: list[CoOccurrence], names: dict[str, str]) -> Text:
    return Text(
        "Codes that travel together",
        [r.sentence(names) for r in pairs_found[:8]] or ["Not enough co-coded participants yet."],
    )


def _co_occurrence_table(pairs_found: list[CoOccurrence]) -> Table:
    return column_table(
        "Co-occurrence details",
        [
            ("code", lambda r: r.first),
            ("also", lambda r: r.second),
            ("both", lambda r: r.both),
            ("first only", lambda r: r.first_only),
            ("second only", lambda r: r.second_only),
            ("neither", lambda r: r.neither),
            ("P(also | code)", lambda r: r.p_second_given_first),
            ("P(also | not code)", lambda r: r.p_second_given_not_first),
            ("lift", lambda r: r.lift),
            ("relative risk", lambda r: r.relative_risk),
            ("RR CI low", lambda r: r.relative_risk_ci[0] if r.relative_risk_ci else None),
            ("RR CI high", lambda r: r.relative_risk_ci[1] if r.relative_risk_ci else None),
            ("odds ratio", lambda r: r.odds_ratio),
        ],
        pairs_found,
    )


def _paired_codes_table(data: CodedParticipants, codebook: Codebook) -> Table:
    return column_table(
        "Paired codes (light and shade): how many hold both",
        [
            ("code", lambda p: p.code),
            ("opposite", lambda p: p.opposite),
            ("both", lambda p: p.both),
            ("code only", lambda p: p.only_code),
            ("opposite only", lambda p: p.only_opposite),
            ("neither", lambda p: p.neither),
        ],
        opposite_pairs(data, codebook),
    )


def _exemplar_table(project: Project, top: list[Frequency], names: dict[str, str]) -> Table:
    quotes = [
        (f.code, key, quote) for f in top for key, quote in exemplars(project, f.code, limit=2)
    ]
    return column_table(
        "Exemplar quotes (from human decisions)",
        [
            ("code", lambda q: q[0]),
            ("name", lambda q: names[q[0]]),
            ("passage", lambda q: q[1]),
            ("quote", lambda q: q[2]),
        ],
        quotes,
    )


def _prevalence_tables(
    project: Project, top: list[Frequency], names: dict[str, str]
) -> list[Section]:
    """The corrected prevalence of the most used codes, as far as the project can estimate it
    (the first code it cannot ends the list); no table at all when it can estimate none."""
    estimates = []
    for f in top:
        try:
            estimates.append((f.code, project_prevalence(project, f.code)))
        except ValueError:
            break
    if not estimates:
        return []
    table = column_table(
        "Corpus prevalence corrected for the LLM's errors (prediction-powered inference)",
        [
            ("code", lambda e: e[0]),
            ("name", lambda e: names[e[0]]),
            ("estimate", lambda e: e[1].estimate),
            ("CI low", lambda e: e[1].ci[0]),
            ("CI high", lambda e: e[1].ci[1]),
            ("naive LLM-only", lambda e: e[1].naive),
            ("naive CI low", lambda e: e[1].naive_ci[0]),
            ("naive CI high", lambda e: e[1].naive_ci[1]),
            ("passages coded by the LLM", lambda e: e[1].n_all),
            ("passages reviewed by humans", lambda e: e[1].n_labelled),
        ],
        estimates,
        note="Valid only if the human-reviewed passages are a random sample of those the LLM coded (draw them with 'workbench sample').",
    )
    return [table]


def split_sections(family: SplitFamily, codebook: Codebook) -> list[Section]:
    """The method text, then one table per field: a row per code and group, with the test's
    raw, Holm and Benjamini–Hochberg p-values repeated on each of the code's rows."""
    names = {code.id: code.name for code in codebook.walk()}
    sections: list[Section] = [
        Text("Splits by metadata field", [family.choice.sentence(), family.method()])
    ]
    for field in family.choice.fields:
        rows = [
            (result, group)
            for result in family.splits
            if result.split.field == field
            for group in result.split.groups
        ]
        sections.append(split_table(field, rows, names))
    return sections


def split_table(
    field: str, rows: list[tuple[AdjustedSplit, GroupShare]], names: dict[str, str]
) -> Table:
    """p-values are not rounded, and are shown to three significant digits: a reader checks them
    against a threshold, and a tiny one shown as 0.000 would claim certainty."""
    columns: list[tuple[str, Callable[[tuple[AdjustedSplit, GroupShare]], object]]] = [
        ("code", lambda r: r[0].split.code),
        ("name", lambda r: names[r[0].split.code]),
        ("group", lambda r: r[1].group),
        ("participants", lambda r: r[1].participants),
        ("with code", lambda r: r[1].with_code),
        ("share", lambda r: r[1].share),
        ("CI low", lambda r: r[1].ci[0] if r[1].ci else None),
        ("CI high", lambda r: r[1].ci[1] if r[1].ci else None),
        ("small group", lambda r: "yes" if r[1].small else ""),
        ("p", lambda r: r[0].split.p_value),
        ("p Holm", lambda r: r[0].holm),
        ("p BH", lambda r: r[0].bh),
        ("test", lambda r: r[0].split.test),
        ("test note", lambda r: r[0].split.note),
    ]
    return column_table(
        f"Split by {field}",
        columns,
        rows,
        formats=dict.fromkeys(["p", "p Holm", "p BH"], P_VALUE),
        note="p: raw; p Holm and p BH: adjusted over every test in this report. A blank or "
        "'—' p-value is undefined: no test ran, and the split is not in the family.",
    )
