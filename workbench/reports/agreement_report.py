"""The agreement report a lead hands to a reviewer. Every number is the agreement engine's."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, select

from workbench.core.agreement.adjudication import find_disagreements
from workbench.core.agreement.compute import code_metric, coder_pairs, method_statement, set_alpha
from workbench.core.agreement.data import project_data
from workbench.core.agreement.sampling import sampling_history
from workbench.core.store import Project, schema
from workbench.core.store.queries import passage_ids_for_keys, passages_of
from workbench.reports.model import BarChart, Heatmap, Report, Table, Text

Progress = Callable[[int, int, str], None]


def _fmt(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def build_agreement_report(
    project: Project, ci: bool = True, progress: Progress | None = None
) -> Report:
    codebook = project.codebook
    assert codebook is not None
    data = project_data(project)
    humans = [c for c in data.coders if data.coder_kinds.get(c) == "human"]
    llms = [c for c in data.coders if data.coder_kinds.get(c) == "llm"]
    human_data = data.select(coders=humans)
    names = {code.id: code.name for code in codebook.walk()}
    steps = len(data.codes) + 3
    done = 0

    def tick(what: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, steps, what)

    overall = set_alpha(human_data, "masi", ci) if len(humans) >= 2 else None
    tick("overall")
    rows, bar_labels, bar_values, bar_intervals, llm_rows = [], [], [], [], []
    for index, code in enumerate(data.codes):
        used = bool(human_data.present[:, :, index].any()) if humans else False
        tick(code)
        if not used:
            continue
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
        for llm in llms:
            with_llm = data.select(coders=humans + [llm])
            both = code_metric(with_llm, with_llm.codes.index(code), "alpha")
            llm_rows.append(
                [
                    code,
                    names.get(code, code),
                    llm,
                    _fmt(alpha.value),
                    _fmt(both.value),
                    both.units,
                    _llm_verdict(alpha.value, both.value),
                ]
            )
    pairs = coder_pairs(data)
    tick("coder pairs")
    matrix = [
        [
            None if a == b else _fmt((pairs.get((a, b)) or pairs.get((b, a))).value)
            for b in data.coders
        ]  # type: ignore[union-attr]
        for a in data.coders
    ]
    sections: list = [
        Text(
            "Study and coders",
            [
                f"Project {project.location}; codebook '{codebook.name}' version {codebook.version} "
                f"({len(codebook.ids)} codes). Report written {datetime.now().strftime('%Y-%m-%d %H:%M')}.",
                f"Human coders: {', '.join(humans) or 'none'}. LLM pseudo-coders (raw suggestions): "
                f"{', '.join(llms) or 'none'}. Consensus: {'yes' if 'consensus' in data.coders else 'no adjudication yet'}.",
                f"Units: {len(human_data.units)} passages reviewed by at least one human coder; agreement uses "
                "the passages reviewed by two or more. " + _sampling_sentence(project),
            ],
        )
    ]
    if overall is not None:
        interval = (
            f", 95% CI {overall.ci95[0]:.3f} to {overall.ci95[1]:.3f}" if overall.ci95 else ""
        )
        value = "undefined" if overall.value is None else f"{overall.value:.3f}"
        sections.append(
            Text(
                "Overall agreement",
                [
                    f"Krippendorff's alpha over the whole set of codes per passage (MASI distance): {value}{interval}; "
                    f"{overall.interpretation if overall.value is not None else overall.reason}; {overall.units} passages."
                ],
            )
        )
    sections.append(
        Table(
            "Agreement per code (human coders)",
            [
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
            ],
            rows,
            note="Codes no human coder applied are left out. Alpha: Krippendorff's nominal alpha, present/absent per passage.",
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
            "Coder by coder: alpha over code sets (MASI)",
            list(data.coders),
            list(data.coders),
            matrix,
        )
    )
    if llm_rows:
        sections.append(
            Table(
                "The LLM against the human coders",
                [
                    "code",
                    "name",
                    "LLM",
                    "alpha humans",
                    "alpha humans + LLM",
                    "passages",
                    "verdict",
                ],
                llm_rows,
                note="If adding the LLM as a coder lowers alpha well below the humans', the LLM is guessing at that code.",
            )
        )
    sections.append(_disagreement_examples(project, data, humans, names))
    sections.append(Text("Method", [method_statement(human_data, "alpha", "masi", ci)]))
    sections.append(_audit(project))
    tick("audit")
    return Report(
        f"Inter-rater agreement: {codebook.name}",
        f"codebook v{codebook.version} · {len(humans)} human coders",
        sections,
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


def _llm_verdict(humans: float | None, with_llm: float | None) -> str:
    if humans is None or with_llm is None:
        return "undefined"
    if with_llm >= humans - 0.05:
        return "as reliable as the humans"
    if with_llm >= 0.667:
        return "usable with review"
    return "guesses: keep humans on this code"


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
            tids = conn.execute(
                select(schema.passages.c.transcript_id)
                .where(schema.passages.c.id.in_(list(ids.values())))
                .distinct()
            ).scalars()
            texts = {p.key: p.text for p in passages_of(conn, list(tids)) if p.key in ids}
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
    d, coders = schema.decisions, schema.coders
    with project.reading() as conn:
        rows = conn.execute(
            select(
                coders.c.name,
                coders.c.kind,
                func.count(d.c.id),
                func.count(func.distinct(d.c.passage_id)),
                func.sum((d.c.suggestion_id.is_not(None)).cast(schema.Integer)),
                func.sum((d.c.action == "reject").cast(schema.Integer)),
                func.sum((d.c.action == "revert").cast(schema.Integer)),
                func.min(d.c.created_at),
                func.max(d.c.created_at),
            )
            .join(d, d.c.coder_id == coders.c.id)
            .group_by(coders.c.name, coders.c.kind)
            .order_by(coders.c.name)
        ).all()
        engines = conn.execute(
            select(schema.suggestions.c.engine, schema.suggestions.c.model, func.count()).group_by(
                schema.suggestions.c.engine, schema.suggestions.c.model
            )
        ).all()
    table_rows = [
        [
            name,
            kind,
            n,
            passages,
            int(answered or 0),
            int(rejected or 0),
            int(undone or 0),
            str(first)[:19],
            str(last)[:19],
        ]
        for name, kind, n, passages, answered, rejected, undone, first, last in rows
    ]
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
