"""The team's human decisions that can teach an engine: codes standing on passages, and
suggestions rejected, never from a local-only transcript (those never leave the machine)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, and_, select

from workbench.core.store import schema
from workbench.core.store.coding import CoderKind, DecisionAction
from workbench.core.store.queries import passages_of


@dataclass(frozen=True)
class HumanExample:
    """One human decision on one passage and code; ``decision_id`` orders them in time."""

    passage_id: int
    code_id: str
    text: str
    applies: bool  # False: a human rejected this code here
    decision_id: int


def human_examples(conn: Connection) -> list[HumanExample]:
    """Codes humans hold on passages, and codes they rejected and nobody holds there.

    Local-only transcripts are left out in the query itself, so no caller can forget to.
    """
    c, d, p, t, k = (
        schema.codings,
        schema.decisions,
        schema.passages,
        schema.transcripts,
        schema.coders,
    )
    human = and_(k.c.kind == CoderKind.HUMAN.value, t.c.local_only.is_(False))
    held = conn.execute(
        select(c.c.passage_id, c.c.code_id, c.c.decision_id, p.c.transcript_id)
        .join(k, k.c.id == c.c.coder_id)
        .join(p, p.c.id == c.c.passage_id)
        .join(t, t.c.id == p.c.transcript_id)
        .where(human)
    ).all()
    rejected = conn.execute(
        select(d.c.passage_id, d.c.code_id, d.c.id, p.c.transcript_id)
        .join(k, k.c.id == d.c.coder_id)
        .join(p, p.c.id == d.c.passage_id)
        .join(t, t.c.id == p.c.transcript_id)
        .where(human, d.c.action == DecisionAction.REJECT.value, d.c.code_id.is_not(None))
    ).all()
    holding = {(row.passage_id, row.code_id) for row in held}
    rows = [(row, True) for row in held] + [
        (row, False) for row in rejected if (row.passage_id, row.code_id) not in holding
    ]
    transcripts = sorted({row[0][3] for row in rows})
    texts = {passage.id: passage.text for passage in passages_of(conn, transcripts)}
    return [
        HumanExample(row[0], row[1], texts[row[0]], applies, row[2])
        for row, applies in rows
        if row[0] in texts
    ]
