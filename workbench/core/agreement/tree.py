"""Agreement along the code tree: do coders agree on a theme even when they split its sub-codes
differently?

At level N of the tree (1 = the top-level themes) every code is replaced by its ancestor at that
level, so a passage coded with any child of a parent counts as coded with the parent. A code
shallower than N (a parent applied directly, or a leaf near the top) stays itself. The statistic
is then computed exactly as at the leaves, from the rolled-up data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from workbench.core.agreement.compute import MetricResult, coded_metric
from workbench.core.agreement.data import AgreementDataError, CodedData
from workbench.core.codebook import Codebook


@dataclass(frozen=True)
class LevelResult:
    level: int
    result: MetricResult  # the overall figure, with the level's codes in ``per_code``

    def to_dict(self, with_ci: bool = True) -> dict[str, object]:
        return {"tree_level": self.level, **self.result.to_dict(with_ci=with_ci)}


def tree_depth(codebook: Codebook) -> int:
    """How many levels the code tree has (1: a flat list)."""
    return 1 + max((code.depth for code in codebook.walk()), default=0)


def _ancestor_at(codebook: Codebook, code_id: str, level: int) -> str:
    code = codebook.get(code_id)
    while code is not None and code.depth > level - 1 and code.parent_id is not None:
        code = codebook.get(code.parent_id)
    return code.id if code is not None else code_id


def roll_up(data: CodedData, codebook: Codebook, level: int) -> CodedData:
    """``data`` with every code replaced by its ancestor at ``level`` (1 = top level)."""
    depth = tree_depth(codebook)
    if depth == 1 and level != 1:
        raise AgreementDataError(
            f"--tree-level {level}: the code tree has one level (a flat list of codes)"
        )
    if not 1 <= level <= depth:
        raise AgreementDataError(f"--tree-level {level}: the code tree has levels 1 to {depth}")
    target = [_ancestor_at(codebook, code, level) for code in data.codes]
    codes = list(dict.fromkeys(target))
    present = np.zeros((len(data.units), len(data.coders), len(codes)), dtype=bool)
    for old, new in enumerate(target):
        present[:, :, codes.index(new)] |= data.present[:, :, old]
    return CodedData(
        list(data.units),
        list(data.coders),
        codes,
        data.reviewed.copy(),
        present,
        dict(data.coder_kinds),
        None if data.passage_ids is None else list(data.passage_ids),
        data.include_engines,
        provenance=dict(data.provenance),
    )


def agreement_by_level(
    data: CodedData,
    codebook: Codebook,
    metric: str = "alpha",
    distance: str = "masi",
    ci: bool = False,
    levels: list[int] | None = None,
) -> list[LevelResult]:
    """The metric at each level of the tree (all levels unless ``levels`` names some)."""
    chosen = levels or list(range(1, tree_depth(codebook) + 1))
    return [
        LevelResult(level, coded_metric(roll_up(data, codebook, level), metric, distance, ci))
        for level in chosen
    ]
