"""The findings report: frequencies, splits, co-occurrence, paired codes, quotes, prevalence."""

from __future__ import annotations

from collections.abc import Callable

from workbench.core.analysis.exemplars import exemplars
from workbench.core.analysis.findings import (
    co_occurrence,
    coded_participants,
    frequencies,
    opposite_pairs,
    split,
)
from workbench.core.analysis.prevalence import project_prevalence
from workbench.core.store import Project
from workbench.reports.model import BarChart, Heatmap, Report, Table, Text

SPLIT_FIELDS = ("group", "region", "language", "career_stage")
Progress = Callable[[int, int, str], None]


def _r(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def build_analysis_report(
    project: Project, source: str = "auto", progress: Progress | None = None
) -> Report:
    codebook = project.codebook
    assert codebook is not None
    names = {code.id: code.name for code in codebook.walk()}
    data = coded_participants(project, source)
    found = frequencies(data, codebook)
    used = [f for f in found if f.participants]
    leaves_used = [f for f in used if not codebook.get(f.code).children]  # type: ignore[union-attr]
    top = sorted(leaves_used, key=lambda f: -f.participants)[:10]
    steps, done = 6, 0

    def tick(what: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, steps, what)

    sections: list = [
        Text(
            "What is counted",
            [
                f"{len(data.participants)} participants (transcripts) with at least one reviewed passage; "
                f"{data.passages} reviewed passages. A participant has a code when any of their passages carries it "
                "or a code below it in the codebook. Decisions counted: the consensus where a passage was "
                "adjudicated, otherwise any human coder."
                if source == "auto"
                else f"Decisions counted: {source}.",
                "Intervals are 95% Wilson score intervals. Small groups (under 30 participants) are flagged.",
            ],
        ),
        Table(
            "Code frequencies",
            [
                "code",
                "name",
                "level",
                "participants",
                "share of participants",
                "CI low",
                "CI high",
                "passages",
                "share of passages",
            ],
            [
                [
                    f.code,
                    names[f.code],
                    codebook.get(f.code).depth,  # type: ignore[union-attr]
                    f.participants,
                    _r(f.participant_share),
                    _r(f.participant_ci[0]) if f.participant_ci else None,
                    _r(f.participant_ci[1]) if f.participant_ci else None,
                    f.passages,
                    _r(f.passage_share),
                ]
                for f in found
            ],
            primary=True,
        ),
        BarChart(
            "Share of participants per code (95% intervals)",
            [names[f.code] for f in sorted(leaves_used, key=lambda f: -f.participant_share)],
            [f.participant_share for f in sorted(leaves_used, key=lambda f: -f.participant_share)],
            [f.participant_ci for f in sorted(leaves_used, key=lambda f: -f.participant_share)],
            percent=True,
        ),
    ]
    tick("frequencies")
    split_rows = []
    for field in SPLIT_FIELDS:
        if not any(field in meta for meta in data.metadata.values()):
            continue
        for f in top:
            result = split(data, f.code, field)
            for g in result.groups:
                split_rows.append(
                    [
                        f.code,
                        names[f.code],
                        field,
                        g.group,
                        g.participants,
                        g.with_code,
                        _r(g.share),
                        _r(g.ci[0]) if g.ci else None,
                        _r(g.ci[1]) if g.ci else None,
                        "yes" if g.small else "",
                        result.test,
                        _r(result.p_value),
                    ]
                )
    sections.append(
        Table(
            "Splits by group (the most frequent codes)",
            [
                "code",
                "name",
                "field",
                "group",
                "participants",
                "with code",
                "share",
                "CI low",
                "CI high",
                "small group",
                "test",
                "p",
            ],
            split_rows,
            note="A p-value tests whether the share differs between groups; it is not adjusted for the number of tests.",
        )
    )
    tick("splits")
    top_codes = [f.code for f in top]
    lift = [
        [None if a == b else _r(co_occurrence(data, a, b).lift, 2) for b in top_codes]
        for a in top_codes
    ]
    sections.append(
        Heatmap(
            "Co-occurrence within participants: lift",
            [names[c] for c in top_codes],
            [names[c] for c in top_codes],
            lift,
            note="Lift 1 means the two codes co-occur as often as chance would have it; 3 means three times as often.",
        )
    )
    pairs_found = []
    for a in top_codes:
        for b in top_codes:
            if a != b:
                result = co_occurrence(data, a, b)
                if result.both >= 3 and result.relative_risk is not None:
                    pairs_found.append(result)
    pairs_found.sort(key=lambda r: -(r.relative_risk or 0))
    sections.append(
        Text(
            "Codes that travel together",
            [r.sentence(names) for r in pairs_found[:8]]
            or ["Not enough co-coded participants yet."],
        )
    )
    sections.append(
        Table(
            "Co-occurrence details",
            [
                "code",
                "also",
                "both",
                "first only",
                "second only",
                "neither",
                "P(also | code)",
                "P(also | not code)",
                "lift",
                "relative risk",
                "RR CI low",
                "RR CI high",
                "odds ratio",
            ],
            [
                [
                    r.first,
                    r.second,
                    r.both,
                    r.first_only,
                    r.second_only,
                    r.neither,
                    _r(r.p_second_given_first),
                    _r(r.p_second_given_not_first),
                    _r(r.lift, 3),
                    _r(r.relative_risk, 3),
                    _r(r.relative_risk_ci[0], 3) if r.relative_risk_ci else None,
                    _r(r.relative_risk_ci[1], 3) if r.relative_risk_ci else None,
                    _r(r.odds_ratio, 3),
                ]
                for r in pairs_found
            ],
        )
    )
    tick("co-occurrence")
    sections.append(
        Table(
            "Paired codes (light and shade): how many hold both",
            ["code", "opposite", "both", "code only", "opposite only", "neither"],
            [
                [p.code, p.opposite, p.both, p.only_code, p.only_opposite, p.neither]
                for p in opposite_pairs(data, codebook)
            ],
        )
    )
    tick("pairs")
    quote_rows = [
        [f.code, names[f.code], key, quote]
        for f in top
        for key, quote in exemplars(project, f.code, limit=2)
    ]
    sections.append(
        Table(
            "Exemplar quotes (from human decisions)",
            ["code", "name", "passage", "quote"],
            quote_rows,
        )
    )
    tick("quotes")
    prevalence_rows = []
    for f in top:
        try:
            estimate = project_prevalence(project, f.code)
        except ValueError:
            break
        prevalence_rows.append(
            [
                f.code,
                names[f.code],
                _r(estimate.estimate),
                _r(estimate.ci[0]),
                _r(estimate.ci[1]),
                _r(estimate.naive),
                _r(estimate.naive_ci[0]),
                _r(estimate.naive_ci[1]),
                estimate.n_all,
                estimate.n_labelled,
            ]
        )
    if prevalence_rows:
        sections.append(
            Table(
                "Corpus prevalence corrected for the LLM's errors (prediction-powered inference)",
                [
                    "code",
                    "name",
                    "estimate",
                    "CI low",
                    "CI high",
                    "naive LLM-only",
                    "naive CI low",
                    "naive CI high",
                    "passages coded by the LLM",
                    "passages reviewed by humans",
                ],
                prevalence_rows,
                note="Valid only if the human-reviewed passages are a random sample of those the LLM coded (draw them with 'workbench sample').",
            )
        )
    tick("prevalence")
    return Report(
        f"Findings: {codebook.name}",
        f"{len(data.participants)} participants · codebook v{codebook.version}",
        sections,
    )
