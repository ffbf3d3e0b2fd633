"""Unitizing agreement of a project: the store's passages handed to the pure computation.

Kept apart from ``unitizing`` so that the coefficient stays a function of arrays, testable and
usable without a project, and the rule for which passages enter stays the store's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from workbench.core.agreement.data import AgreementDataError
from workbench.core.agreement.unitizing import (
    Continuum,
    UnitizingDataError,
    UnitizingResult,
    unitizing_alpha,
)
from workbench.core.store.unitizing_data import RULE, has_spans, read_span_passages

if TYPE_CHECKING:
    from workbench.core.store import Project


def project_has_spans(project: Project) -> bool:
    """Whether anyone selected text inside a passage (the report shows the section only then)."""
    with project.reading() as conn:
        return has_spans(conn)


def project_unitizing(
    project: Project,
    coders: Sequence[str],
    codes: Sequence[str] | None = None,
    ci: bool = False,
) -> UnitizingResult:
    """uα among ``coders`` (already chosen by ``raters.choose_raters``); per code for ``codes``,
    or for every code selected, in codebook order."""
    with project.reading() as conn:
        passages = read_span_passages(conn, coders)
    continua = [Continuum(p.length, p.selections, group=p.transcript, name=p.key) for p in passages]
    if codes is None:
        used = {sel[0] for p in passages for spans in p.selections.values() for sel in spans}
        order = [code.id for code in project.codebook.walk()] if project.codebook else []
        codes = [c for c in order if c in used] + sorted(used - set(order))
    try:
        return unitizing_alpha(continua, codes, ci, rule=f"{RULE}")
    except UnitizingDataError as error:
        raise AgreementDataError(f"{project.shown_location}: {error}") from None
