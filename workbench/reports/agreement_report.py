"""The agreement report a lead hands to a reviewer. Every number is the agreement engine's."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from workbench.core.agreement.adjudication import find_disagreements
from workbench.core.agreement.compute import code_metric, coder_pairs, method_statement, set_alpha
from workbench.core.agreement.data import CodedData, project_data
from workbench.core.agreement.engines import compare_engine, compare_engines
from workbench.core.agreement.raters import choose_raters
from workbench.core.agreement.sampling import sampling_history
from workbench.core.agreement.strata import agreement_by
from workbench.core.agreement.tree import agreement_by_level, tree_depth
from workbench.core.store import Project
from workbench.core.store.decision_log import activity_by_coder, suggestion_counts_by_engine
from workbench.core.store.queries import (
    passage_ids_for_keys,
    passages_of,
    transcript_rows_of_passages,
)
from workbench.reports.model import BarChart, Heatmap, Report, Table, Text

Progress = Callable[[int, int, str], None]


def _fmt(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


PER_CODE_COLUMNS = [
    "code",
    "name",
    "alpha",
    "alpha CI low",
    "alpha CI high",
    "passages",
    "interpretation",
    "Fleiss kappa",
    "Gwet AC1",
    "percent agreement",
]
ENGINE_COLUMNS = [
    "code",
    "name",
    "engine",
    "passages",
    "alpha humans",
    "humans CI",
    "alpha engine–human",
    "engine CI",
    "difference CI",
    "verdict",
]
STRATA_COLUMNS = ["value", "passages", "alpha", "alpha CI low", "alpha CI high", "interpretation"]


def _interval(estimate) -> str:  # type: ignore[no-untyped-def]
    return "" if estimate.ci95 is None else f"{estimate.ci95[0]:.3f} to {estimate.ci95[1]:.3f}"


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
    steps = len(data.codes) * (1 + len(engines)) + 3 + len(by or [])
    done = 0

    def tick(what: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, steps, what)

    headline = set_alpha(human_data, "masi", ci)
    tick("overall")
    rows, bar_labels, bar_values, bar_intervals, used = [], [], [], [], []
    for index, code in enumerate(data.codes):
        tick(code)
        if not (humans and human_data.present[:, :, index].any()):
            continue
        used.append(code)
        alpha = code_metric(human_data, index, "alpha", ci)
        fleiss = code_metric(human_data, index, "fleiss")
        ac1 = code_metric(human_data, index, "ac1")
        percent = code_metric(human_data, index, "percent")
        rows.append(
            [
                code,
                names.get(code, code),
                _fmt(alpha.value),
                _fmt(alpha.ci95[0]) if alpha.ci95 else None,
                _fmt(alpha.ci95[1]) if alpha.ci95 else None,
                alpha.units,
                alpha.interpretation if alpha.value is not None else f"undefined: {alpha.reason}",
                _fmt(fleiss.value),
                _fmt(ac1.value),
                _fmt(percent.value),
            ]
        )
        bar_labels.append(names.get(code, code))
        bar_values.append(alpha.value)
        bar_intervals.append(alpha.ci95)
    engine_overall = compare_engines(data, engines, humans)
    engine_rows = []
    if len(humans) >= 2:
        for engine in engines:
            for code in used:
                tick(f"{engine}: {code}")
                item = compare_engine(data, engine, humans, code)
                engine_rows.append(
                    [
                        code,
                        names.get(code, code),
                        engine,
                        item.units,
                        _fmt(item.human_human.value),
                        _interval(item.human_human),
                        _fmt(item.engine_human.value),
                        _interval(item.engine_human),
                        _interval(item.difference),
                        item.verdict,
                    ]
                )
    matrix_coders = humans + engines
    pairs = coder_pairs(data.select(coders=matrix_coders))
    tick("coder pairs")
    matrix = [
        [
            None if a == b else _fmt((pairs.get((a, b)) or pairs.get((b, a))).value)  # type: ignore[union-attr]
            for b in matrix_coders
        ]
        for a in matrix_coders
    ]
    sections: list = [_study_text(project, codebook, choice, headline, data)]
    value = "undefined" if headline.value is None else f"{headline.value:.3f}"
    interval = f", 95% CI {headline.ci95[0]:.3f} to {headline.ci95[1]:.3f}" if headline.ci95 else ""
    reading = headline.interpretation if headline.value is not None else headline.reason
    sections.append(
        Text(
            "Overall agreement",
            [
                f"{headline.label} among the human coders: {value}{interval}; {reading}; "
                f"{headline.units} passages coded by two or more of {headline.coders} coders "
                f"({', '.join(headline.coder_names) or 'none'})."
            ],
        )
    )
    sections.append(
        Table(
            "Agreement per code (human coders)",
            PER_CODE_COLUMNS,
            rows,
            note="Codes no human coder applied are left out. Alpha: Krippendorff's alpha "
            "(nominal level), each code present or absent per passage.",
            primary=True,
        )
    )
    sections.append(
        BarChart(
            "Krippendorff's alpha per code, with 95% intervals",
            bar_labels,
            bar_values,
            bar_intervals,
            -0.2,
            1.0,
            [0.667, 0.8],
        )
    )
    sections.append(
        Heatmap(
            "Coder by coder: alpha over code sets (MASI), human coders and engines",
            list(matrix_coders),
            list(matrix_coders),
            matrix,
        )
    )
    if tree_depth(codebook) > 1 and len(humans) >= 2:
        sections.append(_levels_table(human_data, codebook, ci))
    for field in by or []:
        sections.append(_strata_table(project, human_data, field))
        tick(f"by {field}")
    if engine_overall:
        sections.append(
            Text(
                "Engines against the human coders",
                [item.sentence for item in engine_overall]
                + [ENGINE_METHOD]
                + [_provenance(data, engines)],
            )
        )
    if engine_rows:
        sections.append(
            Table(
                "Engines against the human coders, per code",
                ENGINE_COLUMNS,
                engine_rows,
                note="Mean pairwise Krippendorff's alpha among the humans and between the engine "
                "and each human, on the passages coded by the engine and two or more humans.",
            )
        )
    sections += _unitizing(project, humans, names, ci)
    sections += _anchoring(project)
    sections.append(_disagreement_examples(project, data, humans, names))
    sections.append(_codebook_health(project, codebook_version, data))
    sections.append(Text("Method", [method_statement(headline)]))
    sections.append(_audit(project))
    tick("audit")
    return Report(
        f"Inter-rater agreement: {codebook.name}",
        f"codebook v{codebook.version}"
        + (" · codings made under it" if codebook_version is not None else "")
        + f" · {len(humans)} human coders",
        sections,
    )


def _unitizing(project: Project, humans: list[str], names: dict[str, str], ci: bool) -> list:
    """Unitizing alpha among the human coders, only when someone selected text in a passage."""
    from workbench.core.agreement.unitizing_source import project_has_spans, project_unitizing
    from workbench.reports.agreement_sections import unitizing_sections

    if not project_has_spans(project):
        return []
    return unitizing_sections(project_unitizing(project, humans, ci=ci), names)


def _anchoring(project: Project) -> list:
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


def _study_text(project, codebook, choice, headline, data) -> Text:  # type: ignore[no-untyped-def]
    consensus = (
        int(data.reviewed[:, data.coders.index("consensus")].sum())
        if ("consensus" in data.coders)
        else 0
    )
    engines = ", ".join(choice.engines) or "none"
    return Text(
        "Study and coders",
        [
            f"Project {project.location}; codebook '{codebook.name}' version {codebook.version} "
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


LEVEL_COLUMNS = [
    "level",
    "codes",
    "passages",
    "alpha",
    "alpha CI low",
    "alpha CI high",
    "interpretation",
]


def _levels_table(human_data, codebook, ci: bool) -> Table:  # type: ignore[no-untyped-def]
    rows = []
    for item in agreement_by_level(human_data, codebook, "alpha", "masi", ci):
        result = item.result
        rows.append(
            [
                item.level,
                len(result.per_code or {}),
                result.units,
                _fmt(result.value),
                _fmt(result.ci95[0]) if result.ci95 else None,
                _fmt(result.ci95[1]) if result.ci95 else None,
                result.interpretation
                if result.value is not None
                else f"undefined: {result.reason}",
            ]
        )
    return Table(
        "Agreement at each level of the code tree (human coders)",
        LEVEL_COLUMNS,
        rows,
        note="At level N every code counts as its ancestor at that level (1 = the top-level "
        "codes): coders who agree on a theme but split its sub-codes differently agree at the "
        "upper level. Krippendorff's alpha over code sets (MASI).",
    )


def _strata_table(project: Project, human_data, field: str) -> Table:  # type: ignore[no-untyped-def]
    rows = [
        [
            stratum.value,
            stratum.result.units,
            _fmt(stratum.result.value),
            _fmt(stratum.result.ci95[0]) if stratum.result.ci95 else None,
            _fmt(stratum.result.ci95[1]) if stratum.result.ci95 else None,
            stratum.result.interpretation
            if stratum.result.value is not None
            else f"undefined: {stratum.result.reason}",
        ]
        for stratum in agreement_by(project, human_data, field)
    ]
    return Table(
        f"Agreement by {field} (human coders)",
        [field, *STRATA_COLUMNS[1:]],
        rows,
        note="Krippendorff's alpha over code sets (MASI) in each stratum, with its own passages "
        "and bootstrap interval. Few passages give wide intervals: compare strata by them.",
    )


def _provenance(data, engines: list[str]) -> str:  # type: ignore[no-untyped-def]
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


def _sampling_sentence(project: Project) -> str:
    history = sampling_history(project)
    if not history:
        return "No double-coding sample was drawn with the workbench: say in the paper how passages were chosen."
    last = history[-1]
    strata = ", ".join(f"{name} {count}" for name, count in last["strata"].items())  # type: ignore[union-attr]
    by = f"stratified by {last['by']} ({strata})" if last["by"] else "simple random"
    return (
        f"Double-coding sample: {last['size']} passages drawn {last['at']}, {by}, seed {last['seed']}"
        f"{', leaving out passages ' + str(last['excluding_reviewed_by']) + ' had reviewed' if last['excluding_reviewed_by'] else ''}"
        f"{f' ({len(history)} samples drawn in all)' if len(history) > 1 else ''}."
    )


def _disagreement_examples(
    project: Project, data, humans: list[str], names: dict[str, str], limit: int = 15
) -> Table:  # type: ignore[no-untyped-def]
    items = find_disagreements(data, coders=humans) if len(humans) >= 2 else []
    rows = []
    with project.reading() as conn:
        ids = passage_ids_for_keys(conn, [item.unit for item in items[:limit]])
        transcripts = {}
        for key, pid in ids.items():
            transcripts[pid] = key
        texts = {}
        if ids:
            tids = transcript_rows_of_passages(conn, ids.values())
            texts = {p.key: p.text for p in passages_of(conn, sorted(tids)) if p.key in ids}
    for item in items[:limit]:
        text = texts.get(item.unit, "")
        rows.append(
            [item.unit, text[:240] + ("…" if len(text) > 240 else "")]
            + [
                "; ".join(names.get(c, c) for c in sorted(item.codes[h]))
                if h in item.codes
                else "(not reviewed)"
                for h in humans
            ]
        )
    return Table(
        f"Disagreement examples ({len(items)} passages differ)", ["passage", "text", *humans], rows
    )


def _audit(project: Project) -> Table:
    """Who coded what, when, and with which suggestions shown."""
    with project.reading() as conn:
        rows = activity_by_coder(conn)
        engines = suggestion_counts_by_engine(conn)
    table_rows = [[*row[:7], str(row.first)[:19], str(row.last)[:19]] for row in rows]
    shown = (
        "; ".join(f"{engine}/{model}: {count} suggestions" for engine, model, count in engines)
        or "no suggestions"
    )
    return Table(
        "Audit summary",
        [
            "coder",
            "kind",
            "decisions",
            "passages",
            "answering a suggestion",
            "rejections",
            "undone",
            "first",
            "last",
        ],
        table_rows,
        note=f"Suggestions stored: {shown}. Blind coding by default; the full log is in the project's decisions table.",
    )
