"""What the anchoring analysis reads: the decisions made with the experiment on.

The one SQL the analysis needs, kept here so ``agreement.anchoring`` stays free of it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

from workbench.core.store import schema
from workbench.core.store.coding import CoderKind


@dataclass(frozen=True)
class ArmDecision:
    """One human decision that names its arm."""

    id: int
    passage_id: int
    coder: str
    action: str
    code_id: str | None
    suggestion_id: int | None
    arm: str


def arm_decisions(conn: Connection) -> list[ArmDecision]:
    """Every human decision made while the experiment was on, in the order written."""
    d, c = schema.decisions, schema.coders
    rows = conn.execute(
        select(
            d.c.id, d.c.passage_id, c.c.name, d.c.action, d.c.code_id, d.c.suggestion_id, d.c.arm
        )
        .join(c, c.c.id == d.c.coder_id)
        .where(d.c.arm.is_not(None), c.c.kind == CoderKind.HUMAN.value)
        .order_by(d.c.id)
    )
    return [ArmDecision(*row) for row in rows]


def current_codes(conn: Connection) -> dict[tuple[str, int], set[str]]:
    """``{(human coder, passage): codes}`` as the coders' work stands now."""
    k, c = schema.codings, schema.coders
    found: dict[tuple[str, int], set[str]] = {}
    for name, passage_id, code in conn.execute(
        select(c.c.name, k.c.passage_id, k.c.code_id)
        .join(c, c.c.id == k.c.coder_id)
        .where(c.c.kind == CoderKind.HUMAN.value)
    ):
        found.setdefault((name, passage_id), set()).add(code)
    return found


def decided_outside_arms(conn: Connection) -> set[tuple[str, int]]:
    """``(human coder, passage)`` with a decision made while the experiment was off: such a
    unit was not coded under one arm alone, so the analysis leaves it out."""
    d, c = schema.decisions, schema.coders
    rows = conn.execute(
        select(c.c.name, d.c.passage_id)
        .join(c, c.c.id == d.c.coder_id)
        .where(d.c.arm.is_(None), c.c.kind == CoderKind.HUMAN.value)
        .distinct()
    )
    return {(str(name), int(pid)) for name, pid in rows}


def has_arm_decisions(conn: Connection) -> bool:
    """Whether any decision names an arm: once one does, the seed that drew it is fixed."""
    d = schema.decisions
    return conn.execute(select(d.c.id).where(d.c.arm.is_not(None)).limit(1)).first() is not None
