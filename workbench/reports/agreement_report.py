"""The agreement report a lead hands to a reviewer. Every number is the agreement engine's.

``build_agreement_report`` computes the figures once, in the order its progress ticks, and
lists the sections; each section is its own function, and each table names its columns beside
the value each one holds (``columns.column_table``), so a header cannot drift from its cell.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from workbench.core.agreement.adjudication import Disagreement, find_disagreements
from workbench.core.agreement.compute import (
    MetricResult,
    code_metric,
    coder_pairs,
    method_statement,
    set_alpha,
)
from workbench.core.agreement.data import CodedData, project_data
from workbench.core.agreement.engines import (
    EngineComparison,
    Estimate,
    compare_engine,
    compare_engines,
)
from workbench.core.agreement.raters import RaterChoice, choose_raters
from workbench.core.agreement.report import coefficient_text
from workbench.core.agreement.sampling import sampling_history
from workbench.core.agreement.strata import Stratum, agreement_by, strata_note
from workbench.core.agreement.tree import LevelResult, agreement_by_level, tree_depth
from workbench.core.codebook import Codebook
from workbench.core.store import Project
from workbench.core.store.decision_log import activity_by_coder, suggestion_counts_by_engine
from workbench.core.store.queries import (
    passage_ids_for_keys,
    passages_of,
    transcript_rows_of_passages,
)
from workbench.core.tasks import Progress
from workbench.reports.columns import column_table
from workbench.reports.model import BarChart, Heatmap, Report, Section, Table, Text

Tick = Callable[[str], None]


@dataclass(frozen=True)
class _CodeAgreement:
    """The human coders' agreement on one code they applied, by each measure the report shows."""

    code: str
    alpha: MetricResult
    fleiss: MetricResult
    ac1: MetricResult
    percent: MetricResult


def _value(result: MetricResult) -> float | None:
    """The value as ``workbench agreement`` prints it: its text formats this very number (the
    ``--json`` one), and the writer formats it by the same rule, so no digit can differ."""
    return result.to_dict()["value"]  # type: ignore[return-value]


def _ci_low(result: MetricResult) -> float | None:
    ci = result.to_dict(with_ci=True)["ci95"]
    return ci[0] if ci else None  # type: ignore[index]


def _ci_high(result: MetricResult) -> float | None:
    ci = result.to_dict(with_ci=True)["ci95"]
    return ci[1] if ci else None  # type: ignore[index]


def _reading(result: MetricResult) -> str:
    """The interpretation of a value, or why there is none (a blank cell would hide the why)."""
    return result.interpretation if result.value is not None else f"undefined: {result.reason}"


def _interval(estimate: Estimate) -> str:
    """As the engine's sentence words it (``Estimate.words``), from the unrounded bounds."""
    if estimate.ci95 is None:
        return ""
    return f"{coefficient_text(estimate.ci95[0])} to {coefficient_text(estimate.ci95[1])}"


def _ticker(progress: Progress | None, steps: int) -> Tick:
    """Progress counted in the report's own steps: one per code, per engine and code, and so on."""
    done = 0

    def tick(what: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, steps, what)

    return tick


def build_agreement_report(
    project: Project,
    ci: bool = True,
    progress: Progress | None = None,
    by: list[str] | None = None,
    codebook_version: int | None = None,
) -> Report:
    """The human coders' agreement, each engine against them, and strata of ``by`` fields.
    ``codebook_version``: only the codings made under that stored version, over its codes."""
    codebook = (
        project.codebook if codebook_version is None else project.codebook_at(codebook_version)
    )
    assert codebook is not None
    data = project_data(project, codebook_version=codebook_version)
    choice = choose_raters(data)
    humans, engines = choice.humans, choice.engines
    human_data = data.select(coders=humans)
    names = {code.id: code.name for code in codebook.walk()}
    tick = _ticker(progress, len(data.codes) * (1 + len(engines)) + 3 + len(by or []))

    headline = set_alpha(human_data, "masi", ci)
    tick("overall")
    per_code = _per_code_agreement(human_data, data.codes, humans, ci, tick)
    engine_overall = compare_engines(data, engines, humans)
    engine_per_code = _engines_per_code(data, engines, humans, [c.code for c in per_code], tick)
    matrix_coders = humans + engines
    pairs = coder_pairs(data.select(coders=matrix_coders))
    tick("coder pairs")

    sections: list[Section] = [
        _study_text(project, codebook, choice, headline, data),
        _overall_text(headline),
        _per_code_table(per_code, names),
        _per_code_chart(per_code, names),
        _coder_heatmap(pairs, matrix_coders),
    ]
    if tree_depth(codebook) > 1 and len(humans) >= 2:
        sections.append(
            _levels_table(agreement_by_level(human_data, codebook, "alpha", "masi", ci))
        )
    for field in by or []:
        sections.append(_strata_table(field, agreement_by(project, human_data, field)))
        tick(f"by {field}")
    if engine_overall:
        sections.append(_engines_text(engine_overall, data, engines))
    if engine_per_code:
        sections.append(_engines_table(engine_per_code, names))
    sections += _unitizing(project, humans, names, ci)
    sections += _anchoring(project)
    sections += [
        _disagreement_examples(project, data, humans, names),
        _codebook_health(project, codebook_version, data),
        Text("Method", [method_statement(headline)]),
        _audit(project),
    ]
    tick("audit")
    return Report(
        f"Inter-rater agreement: {codebook.name}",
        f"codebook v{codebook.version}"
        + (" · codings made under it" if codebook_version is not None else "")
        + f" · {len(humans)} human coders",
        sections,
    )


def _per_code_agreement(
    human_data: CodedData, codes: list[str], humans: list[str], ci: bool, tick: Tick
) -> list[_CodeAgreement]:
    """Every code a human coder applied; one tick per code, applied or not."""
    found = []
    for index, code in enumerate(codes):
        tick(code)
        if not (humans and human_data.present[:, :, index].any()):
            continue
        found.append(
            _CodeAgreement(
                code,
                code_metric(human_data, index, "alpha", ci),
                code_metric(human_data, index, "fleiss"),
                code_metric(human_data, index, "ac1"),
                code_metric(human_data, index, "percent"),
            )
        )
    return found


def _engines_per_code(
    data: CodedData, engines: list[str], humans: list[str], used: list[str], tick: Tick
) -> list[tuple[str, EngineComparison]]:
    """Each engine against the humans on each code they applied; none with fewer than two
    humans, whose agreement the engine's would be set beside."""
    if len(humans) < 2:
        return []
    found = []
    for engine in engines:
        for code in used:
            tick(f"{engine}: {code}")
            found.append((code, compare_engine(data, engine, humans, code)))
    return found


def _overall_text(headline: MetricResult) -> Text:
    printed = headline.to_dict(with_ci=True)  # what ``workbench agreement`` formats
    value = coefficient_text(printed["value"])
    ci = printed["ci95"]
    interval = (
        f", 95% CI {coefficient_text(ci[0])} to {coefficient_text(ci[1])}"  # type: ignore[index]
        if ci
        else ""
    )
    reading = headline.interpretation if headline.value is not None else headline.reason
    return Text(
        "Overall agreement",
        [
            f"{headline.label} among the human coders: {value}{interval}; {reading}; "
            f"{headline.units} passages coded by two or more of {headline.coders} coders "
            f"({', '.join(headline.coder_names) or 'none'})."
        ],
    )


def _per_code_table(per_code: list[_CodeAgreement], names: dict[str, str]) -> Table:
    """The table a CSV export of this report holds."""
    return column_table(
        "Agreement per code (human coders)",
        [
            ("code", lambda c: c.code),
            ("name", lambda c: names.get(c.code, c.code)),
            ("alpha", lambda c: _value(c.alpha)),
            ("alpha CI low", lambda c: _ci_low(c.alpha)),
            ("alpha CI high", lambda c: _ci_high(c.alpha)),
            ("passages", lambda c: c.alpha.units),
            ("interpretation", lambda c: _reading(c.alpha)),
            ("Fleiss kappa", lambda c: _value(c.fleiss)),
            ("Gwet AC1", lambda c: _value(c.ac1)),
            ("percent agreement", lambda c: _value(c.percent)),
        ],
        per_code,
        note="Codes no human coder applied are left out. Alpha: Krippendorff's alpha "
        "(nominal level), each code present or absent per passage.",
        primary=True,
    )


def _per_code_chart(per_code: list[_CodeAgreement], names: dict[str, str]) -> BarChart:
    return BarChart(
        "Krippendorff's alpha per code, with 95% intervals",
        [names.get(c.code, c.code) for c in per_code],
        [c.alpha.value for c in per_code],
        [c.alpha.ci95 for c in per_code],
        -0.2,
        1.0,
        [0.667, 0.8],
    )


def _coder_heatmap(pairs: dict[tuple[str, str], MetricResult], coders: list[str]) -> Heatmap:
    def pair_alpha(a: str, b: str) -> float | None:
        result = pairs.get((a, b)) or pairs.get((b, a))
        return None if result is None else result.value

    return Heatmap(
        "Coder by coder: alpha over code sets (MASI), human coders and engines",
        list(coders),
        list(coders),
        [[None if a == b else pair_alpha(a, b) for b in coders] for a in coders],
    )


def _levels_table(levels: list[LevelResult]) -> Table:
    return column_table(
        "Agreement at each level of the code tree (human coders)",
        [
            ("level", lambda item: item.level),
            ("codes", lambda item: len(item.result.per_code or {})),
            ("passages", lambda item: item.result.units),
            ("alpha", lambda item: _value(item.result)),
            ("alpha CI low", lambda item: _ci_low(item.result)),
            ("alpha CI high", lambda item: _ci_high(item.result)),
            ("interpretation", lambda item: _reading(item.result)),
        ],
        levels,
        note="At level N every code counts as its ancestor at that level (1 = the top-level "
        "codes): coders who agree on a theme but split its sub-codes differently agree at the "
        "upper level. Krippendorff's alpha over code sets (MASI).",
    )


def _strata_table(field: str, strata: list[Stratum]) -> Table:
    """One row per value of ``field``, headed by the field's own name."""
    return column_table(
        f"Agreement by {field} (human coders)",
        [
            (field, lambda s: s.value),
            ("passages", lambda s: s.result.units),
            ("alpha", lambda s: _value(s.result)),
            ("alpha CI low", lambda s: _ci_low(s.result)),
            ("alpha CI high", lambda s: _ci_high(s.result)),
            ("interpretation", lambda s: _reading(s.result)),
        ],
        strata,
        note="Krippendorff's alpha over code sets (MASI) in each stratum, with its own passages "
        "and bootstrap interval. Few passages give wide intervals: compare strata by them."
        + (f" {note}" if (note := strata_note(field, strata)) else ""),
    )


ENGINE_METHOD = (
    "How engines are judged: an engine is never counted among the raters. On the passages it "
    "coded that two or more human coders also coded, its mean pairwise Krippendorff's alpha "
    "with each human is set beside the humans' mean pairwise alpha with each other, each with a "
    "percentile bootstrap interval (1000 resamples of passages), and so is the difference. "
    "The engine agrees less (or more) than the humans when the interval of the difference lies "
    "below (or above) zero; an interval that includes zero shows no clear difference, which with "
    "few passages may only mean that the data cannot tell. "
    "When the humans agree below .667, no verdict is given: the humans must agree first."
)


def _engines_text(overall: list[EngineComparison], data: CodedData, engines: list[str]) -> Text:
    return Text(
        "Engines against the human coders",
        [item.sentence for item in overall] + [ENGINE_METHOD] + [_provenance(data, engines)],
    )


def _engines_table(per_code: list[tuple[str, EngineComparison]], names: dict[str, str]) -> Table:
    return column_table(
        "Engines against the human coders, per code",
        [
            ("code", lambda e: e[0]),
            ("name", lambda e: names.get(e[0], e[0])),
            ("engine", lambda e: e[1].engine),
            ("passages", lambda e: e[1].units),
            ("alpha humans", lambda e: e[1].human_human.value),
            ("humans CI", lambda e: _interval(e[1].human_human)),
            ("alpha engine–human", lambda e: e[1].engine_human.value),
            ("engine CI", lambda e: _interval(e[1].engine_human)),
            ("difference CI", lambda e: _interval(e[1].difference)),
            ("verdict", lambda e: e[1].verdict),
        ],
        per_code,
        note="Mean pairwise Krippendorff's alpha among the humans and between the engine "
        "and each human, on the passages coded by the engine and two or more humans.",
    )


def _provenance(data: CodedData, engines: list[str]) -> str:
    parts = []
    for engine in engines:
        versions = data.provenance.get(engine, {})
        listed = "; ".join(f"{version}: {n} passages" for version, n in sorted(versions.items()))
        parts.append(f"{engine} ({listed or 'no runs'})")
    return (
        "Each engine codes a passage with its latest suggestions there. Those came from: "
        + ", ".join(parts)
        + "."
    )


def _unitizing(
    project: Project, humans: list[str], names: dict[str, str], ci: bool
) -> list[Section]:
    """Unitizing alpha among the human coders, only when someone selected text in a passage."""
    from workbench.core.agreement.unitizing_source import project_has_spans, project_unitizing
    from workbench.reports.agreement_sections import unitizing_sections

    if not project_has_spans(project):
        return []
    return unitizing_sections(project_unitizing(project, humans, ci=ci), names)


def _anchoring(project: Project) -> list[Section]:
    """The anchoring experiment's figures, only when decisions were made in its arms."""
    from workbench.core.agreement.anchoring import project_anchoring
    from workbench.reports.agreement_sections import anchoring_sections

    result = project_anchoring(project)
    if not sum(result.units.values()):
        return []
    return anchoring_sections(result)


def _codebook_health(
    project: Project, codebook_version: int | None = None, data: CodedData | None = None
) -> Table:
    """Where the codebook, not the coders, may be why agreement is low (codebook_health)."""
    from workbench.core.codebook_health import codebook_health

    health = codebook_health(project, codebook_version=codebook_version, data=data)
    rows: list[list[object]] = [
        ["never used", code, "no human coder applied it"] for code in health.never_used
    ]
    rows += [
        ["low agreement", f.code, f"alpha {f.alpha:.3f}, n = {f.passages} passages"]
        for f in health.low_agreement
    ]
    rows += [
        ["confused", f"{p.first} / {p.second}", f"swapped on {p.count} passages ({p.between})"]
        for p in health.confused
    ]
    rows += [
        ["no examples", code, "the codebook gives no example"] for code in health.without_examples
    ]
    rows += [
        ["close definitions", f"{p.first} / {p.second}", f"TF-IDF cosine {p.similarity:.2f}"]
        for p in health.close_definitions
    ]
    return Table(
        "Codebook health",
        ["Finding", "Codes", "Evidence"],
        rows,
        note="Low agreement: Krippendorff's alpha below .667 among the human coders. Confused: "
        "one coder applied the first code without the second where another applied the second "
        "without the first, counted per pair of coders. Close definitions: TF-IDF cosine of "
        "two definitions at .5 or more.",
    )


def _study_text(
    project: Project,
    codebook: Codebook,
    choice: RaterChoice,
    headline: MetricResult,
    data: CodedData,
) -> Text:
    consensus = (
        int(data.reviewed[:, data.coders.index("consensus")].sum())
        if ("consensus" in data.coders)
        else 0
    )
    engines = ", ".join(choice.engines) or "none"
    return Text(
        "Study and coders",
        [
            f"Project {project.shown_location}; codebook '{codebook.name}' version {codebook.version} "
            f"({len(codebook.ids)} codes). Report written "
            f"{datetime.now().strftime('%Y-%m-%d %H:%M')}."
            + (
                f" Only the codings made under version {data.codebook_version}: each coder's "
                "state on a passage after their last own decision under it (decisions a "
                "codebook migration appended do not count as theirs), and each engine's latest "
                "run with it."
                if data.codebook_version is not None
                else ""
            ),
            f"Raters: the {choice.rule} ({', '.join(choice.raters) or 'none'}). Engines, "
            f"compared with the humans and never counted as raters: {engines}. Consensus "
            f"(the adjudicated result, not a rater): "
            f"{f'{consensus} passages adjudicated' if consensus else 'no adjudication yet'}.",
            f"Units: {headline.units} passages coded by two or more human coders enter "
            f"agreement; {headline.single_rated} passages coded by one human coder only do not. "
            + _sampling_sentence(project),
        ],
    )


def _sampling_sentence(project: Project) -> str:
    history = sampling_history(project)
    if not history:
        return "No double-coding sample was drawn with the workbench: say in the paper how passages were chosen."
    last = history[-1]
    # The audit log's detail is JSON: a stratified draw records {stratum: passages drawn}.
    drawn = last["strata"]
    strata = (
        ", ".join(f"{name} {count}" for name, count in drawn.items())
        if isinstance(drawn, dict)
        else ""
    )
    by = f"stratified by {last['by']} ({strata})" if last["by"] else "simple random"
    return (
        f"Double-coding sample: {last['size']} passages drawn {last['at']}, {by}, seed {last['seed']}"
        f"{', leaving out passages ' + str(last['excluding_reviewed_by']) + ' had reviewed' if last['excluding_reviewed_by'] else ''}"
        f"{f' ({len(history)} samples drawn in all)' if len(history) > 1 else ''}."
    )


def _disagreement_examples(
    project: Project, data: CodedData, humans: list[str], names: dict[str, str], limit: int = 15
) -> Table:
    """The first ``limit`` passages the human coders differ on, each coder's codes side by side."""
    items = find_disagreements(data, coders=humans) if len(humans) >= 2 else []
    shown = items[:limit]
    texts = _passage_texts(project, [item.unit for item in shown])

    def excerpt(key: str) -> str:
        text = texts.get(key, "")
        return text[:240] + ("…" if len(text) > 240 else "")

    def codes_of(human: str) -> Callable[[Disagreement], object]:
        return lambda item: (
            "; ".join(names.get(c, c) for c in sorted(item.codes[human]))
            if human in item.codes
            else "(not reviewed)"
        )

    columns: list[tuple[str, Callable[[Disagreement], object]]] = [
        ("passage", lambda item: item.unit),
        ("text", lambda item: excerpt(item.unit)),
        *((human, codes_of(human)) for human in humans),
    ]
    return column_table(f"Disagreement examples ({len(items)} passages differ)", columns, shown)


def _passage_texts(project: Project, keys: list[str]) -> dict[str, str]:
    """The text of each passage key (a key the project lacks is left out)."""
    with project.reading() as conn:
        ids = passage_ids_for_keys(conn, keys)
        if not ids:
            return {}
        tids = transcript_rows_of_passages(conn, ids.values())
        return {p.key: p.text for p in passages_of(conn, sorted(tids)) if p.key in ids}


def _audit(project: Project) -> Table:
    """Who coded what, when, and with which suggestions shown."""
    with project.reading() as conn:
        activity = activity_by_coder(conn)
        engines = suggestion_counts_by_engine(conn)
    shown = (
        "; ".join(f"{engine}/{model}: {count} suggestions" for engine, model, count in engines)
        or "no suggestions"
    )
    return column_table(
        "Audit summary",
        [
            ("coder", lambda a: a.coder),
            ("kind", lambda a: a.kind),
            ("decisions", lambda a: a.decisions),
            ("passages", lambda a: a.passages),
            ("answering a suggestion", lambda a: a.answering_suggestion),
            ("rejections", lambda a: a.rejections),
            ("undone", lambda a: a.undone),
            ("first", lambda a: str(a.first)[:19]),
            ("last", lambda a: str(a.last)[:19]),
        ],
        activity,
        note=f"Suggestions stored: {shown}. Blind coding by default; the full log is in the project's decisions table.",
    )
