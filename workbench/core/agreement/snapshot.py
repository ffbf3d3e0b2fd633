"""Everything the live agreement panel shows, computed in one call (on a worker thread).

The raters are the human coders; each engine is shown against them, never among them, and the
consensus appears in neither.
"""

from __future__ import annotations

from dataclasses import dataclass

from workbench.core.agreement.compute import MetricResult, code_metric, coder_pairs, set_alpha
from workbench.core.agreement.data import CodedData, project_data
from workbench.core.agreement.engines import EngineComparison, compare_engine, compare_engines
from workbench.core.agreement.raters import choose_raters
from workbench.core.agreement.strata import Stratum, agreement_by
from workbench.core.agreement.tree import roll_up
from workbench.core.store import Project


@dataclass(frozen=True)
class CodeRow:
    code: str
    human: MetricResult  # among human coders
    engine: EngineComparison | None  # the first engine against the human coders


@dataclass(frozen=True)
class AgreementSnapshot:
    metric: str
    humans: list[str]
    engines: list[str]
    overall: MetricResult
    rows: list[CodeRow]
    pairs: dict[tuple[str, str], MetricResult]  # humans and engines, pair by pair
    data: CodedData
    engine_overall: list[EngineComparison]
    by: str | None = None
    strata: list[Stratum] | None = None


def agreement_snapshot(
    project: Project, metric: str = "alpha", by: str | None = None
) -> AgreementSnapshot:
    return snapshot_of(project_data(project), metric, project if by else None, by)


def snapshot_of(
    data: CodedData,
    metric: str = "alpha",
    project: Project | None = None,
    by: str | None = None,
    engine_overall: list[EngineComparison] | None = None,
    tree_level: int | None = None,
) -> AgreementSnapshot:
    """The panel's figures from coded data already in memory (the strata read metadata).

    ``engine_overall`` reuses engine verdicts over whole code sets computed earlier: their
    bootstrap over thousands of distinct code sets takes seconds on a large study, and one
    decision barely moves them, so the live panel recomputes them only on a full reload.
    ``tree_level`` rolls every code up to its ancestor at that level of the code tree.
    """
    if tree_level is not None and project is not None and project.codebook is not None:
        data = roll_up(data, project.codebook, tree_level)
    choice = choose_raters(data)
    humans, engines = choice.humans, choice.engines
    human_data = data.select(coders=humans)
    rows = []
    for index, code in enumerate(data.codes):
        human = (
            code_metric(human_data, index, metric)
            if humans
            else MetricResult(metric, None, "no human coders", 0, 0)
        )
        engine = (
            compare_engine(data, engines[0], humans, code) if engines and len(humans) >= 2 else None
        )
        rows.append(CodeRow(code, human, engine))
    overall = (
        set_alpha(human_data)
        if len(humans) >= 2
        else MetricResult("alpha", None, "needs two human coders", 0, len(humans))
    )
    strata = (
        agreement_by(project, human_data, by, metric)
        if project is not None and by and len(humans) >= 2
        else None
    )
    return AgreementSnapshot(
        metric,
        humans,
        engines,
        overall,
        rows,
        coder_pairs(data.select(coders=humans + engines)),
        data,
        compare_engines(data, engines, humans) if engine_overall is None else engine_overall,
        by,
        strata,
    )
