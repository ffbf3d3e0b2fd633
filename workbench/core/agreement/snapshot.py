"""Everything the live agreement panel shows, computed in one call (on a worker thread)."""

from __future__ import annotations

from dataclasses import dataclass

from workbench.core.agreement.compute import MetricResult, code_metric, coder_pairs, set_alpha
from workbench.core.agreement.data import CodedData, project_data
from workbench.core.store import Project


@dataclass(frozen=True)
class CodeRow:
    code: str
    human: MetricResult  # among human coders
    llm_vs_humans: MetricResult | None  # the LLM pseudo-coder with the human coders


@dataclass(frozen=True)
class AgreementSnapshot:
    metric: str
    humans: list[str]
    llms: list[str]
    overall: MetricResult
    rows: list[CodeRow]
    pairs: dict[tuple[str, str], MetricResult]
    data: CodedData


def agreement_snapshot(project: Project, metric: str = "alpha") -> AgreementSnapshot:
    return snapshot_of(project_data(project), metric)


def snapshot_of(data: CodedData, metric: str = "alpha") -> AgreementSnapshot:
    """The panel's figures from coded data already in memory (no database work)."""
    humans = [c for c in data.coders if data.coder_kinds.get(c) == "human"]
    llms = [c for c in data.coders if data.coder_kinds.get(c) == "llm"]
    human_data = data.select(coders=humans) if humans else data.select(coders=[])
    rows = []
    with_llm = data.select(coders=humans + llms[:1]) if humans and llms else None
    for index, code in enumerate(data.codes):
        human = (
            code_metric(human_data, index, metric)
            if humans
            else MetricResult(metric, None, "no human coders", 0, 0)
        )
        llm = code_metric(with_llm, index, metric) if with_llm is not None else None
        rows.append(CodeRow(code, human, llm))
    overall = (
        set_alpha(human_data)
        if len(humans) >= 2
        else MetricResult("alpha", None, "needs two human coders", 0, len(humans))
    )
    return AgreementSnapshot(metric, humans, llms, overall, rows, coder_pairs(data), data)
