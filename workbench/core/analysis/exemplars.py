"""Exemplar quotes per code, chosen from decisions humans made (never from raw suggestions)."""

from __future__ import annotations

from collections import defaultdict

from workbench.core.store import Project
from workbench.core.store.coding import CoderKind
from workbench.core.store.queries import passages_of, transcript_rows_of_passages
from workbench.core.store.raters import coder_ids_of_kinds, codings_of_code


def exemplars(
    project: Project, code: str, limit: int = 3, max_chars: int = 400
) -> list[tuple[str, str]]:
    """``(passage id, quote)``: passages most coders agreed on, readable length first."""
    with project.reading() as conn:
        humans = coder_ids_of_kinds(conn, [CoderKind.HUMAN.value, CoderKind.CONSENSUS.value])
        votes: dict[int, int] = defaultdict(int)
        for pid, coder in codings_of_code(conn, code):
            if coder in humans:
                votes[pid] += 1
        if not votes:
            return []
        transcripts = transcript_rows_of_passages(conn, votes)
        passages = [
            passage for passage in passages_of(conn, sorted(transcripts)) if passage.id in votes
        ]

    def rank(passage):
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
