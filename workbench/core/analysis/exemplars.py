"""Exemplar quotes per code, chosen from decisions humans made (never from raw suggestions)."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from workbench.core.store import Project, schema
from workbench.core.store.coding import CoderKind
from workbench.core.store.queries import passages_of


def exemplars(
    project: Project, code: str, limit: int = 3, max_chars: int = 400
) -> list[tuple[str, str]]:
    """``(passage id, quote)``: passages most coders agreed on, readable length first."""
    c, coders, p = schema.codings, schema.coders, schema.passages
    with project.reading() as conn:
        humans = set(
            conn.execute(
                select(coders.c.id).where(
                    coders.c.kind.in_([CoderKind.HUMAN.value, CoderKind.CONSENSUS.value])
                )
            ).scalars()
        )
        votes: dict[int, int] = defaultdict(int)
        for pid, coder in conn.execute(
            select(c.c.passage_id, c.c.coder_id).where(c.c.code_id == code)
        ):
            if coder in humans:
                votes[pid] += 1
        if not votes:
            return []
        transcripts = set(
            conn.execute(select(p.c.transcript_id).where(p.c.id.in_(list(votes)))).scalars()
        )
        passages = [
            passage for passage in passages_of(conn, sorted(transcripts)) if passage.id in votes
        ]

    def rank(passage):  # type: ignore[no-untyped-def]
        length = len(passage.text)
        return (-votes[passage.id], 0 if 60 <= length <= max_chars else 1, length)

    chosen = sorted(passages, key=rank)[:limit]
    return [
        (
            passage.key,
            passage.text if len(passage.text) <= max_chars else passage.text[: max_chars - 1] + "…",
        )
        for passage in chosen
    ]
