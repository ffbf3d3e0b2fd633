"""One coder's view of a set of passages: their own codes and reviews, the suggestions they
rejected, and (when blind coding is off) what other human coders applied.

These are the reads a coding session makes on every transcript it opens; each takes a list of
passage ids of any length and queries it in chunks.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, func, select

from workbench.core.store import schema
from workbench.core.store.chunks import in_chunks
from workbench.core.store.coding import CoderKind, CodingState, DecisionAction


def coder_states(
    conn: Connection, coder_id: int, passage_ids: Iterable[int]
) -> dict[int, CodingState]:
    """This coder's state (reviewed, codes) on each of ``passage_ids``, untouched ones included."""
    ids = list(passage_ids)
    codes: dict[int, set[str]] = {pid: set() for pid in ids}
    reviewed: set[int] = set()
    c, r = schema.codings, schema.reviews
    for batch in in_chunks(ids):
        for pid, code in conn.execute(
            select(c.c.passage_id, c.c.code_id).where(
                c.c.coder_id == coder_id, c.c.passage_id.in_(batch)
            )
        ):
            codes[pid].add(code)
        reviewed.update(
            conn.execute(
                select(r.c.passage_id).where(r.c.coder_id == coder_id, r.c.passage_id.in_(batch))
            ).scalars()
        )
    return {pid: CodingState(pid in reviewed, frozenset(codes[pid])) for pid in ids}


def rejected_suggestion_ids(
    conn: Connection, coder_id: int, passage_ids: Iterable[int]
) -> set[int]:
    """Suggestion ids this coder rejected on these passages and has not undone."""
    d = schema.decisions
    rejected: set[int] = set()
    for batch in in_chunks(passage_ids):
        rows = conn.execute(
            select(d.c.id, d.c.suggestion_id).where(
                d.c.coder_id == coder_id,
                d.c.passage_id.in_(batch),
                d.c.action == DecisionAction.REJECT.value,
            )
        ).all()
        if not rows:
            continue
        reverted: set[int] = set()
        for decisions in in_chunks(row.id for row in rows):
            reverted.update(
                conn.execute(select(d.c.reverts_id).where(d.c.reverts_id.in_(decisions))).scalars()
            )
        rejected.update(row.suggestion_id for row in rows if row.id not in reverted)
    return rejected


def other_humans_codes(
    conn: Connection, coder_id: int, passage_ids: Iterable[int]
) -> dict[int, dict[str, set[str]]]:
    """``{passage id: {coder name: codes}}`` of every other human coder on these passages."""
    c, coders = schema.codings, schema.coders
    found: dict[int, dict[str, set[str]]] = {}
    for batch in in_chunks(passage_ids):
        rows = conn.execute(
            select(c.c.passage_id, coders.c.name, c.c.code_id)
            .join(coders, coders.c.id == c.c.coder_id)
            .where(
                c.c.passage_id.in_(batch),
                c.c.coder_id != coder_id,
                coders.c.kind == CoderKind.HUMAN.value,
            )
        )
        for pid, name, code in rows:
            found.setdefault(pid, {}).setdefault(name, set()).add(code)
    return found


def code_counts_of_coder(conn: Connection, coder_id: int) -> dict[str, int]:
    """``{code id: passages}`` this coder has the code on now (the codebook panel's counts)."""
    c = schema.codings
    return dict(
        conn.execute(
            select(c.c.code_id, func.count()).where(c.c.coder_id == coder_id).group_by(c.c.code_id)
        ).all()
    )


def codes_by_passage_and_coder(
    conn: Connection, passage_ids: Iterable[int]
) -> dict[tuple[int, int], set[str]]:
    """Every coder's current codes on these passages, keyed ``(passage, coder)``."""
    c = schema.codings
    codes: dict[tuple[int, int], set[str]] = {}
    for batch in in_chunks(passage_ids):
        for passage_id, coder_id, code_id in conn.execute(
            select(c.c.passage_id, c.c.coder_id, c.c.code_id).where(c.c.passage_id.in_(batch))
        ):
            codes.setdefault((passage_id, coder_id), set()).add(code_id)
    return codes
