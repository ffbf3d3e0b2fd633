"""Exemplar quotes per code, chosen from decisions humans made (never from raw suggestions)."""

from __future__ import annotations

from collections import defaultdict

from workbench.core.store import Project
from workbench.core.store.coding import CoderKind
from workbench.core.store.queries import passage_lengths, passages_of
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
        # ranked by votes and length, which need no text; only the chosen passages' text is
        # read (a common code is on passages of thousands of transcripts)
        candidates = passage_lengths(conn, votes)

        def rank(item: tuple[int, int, int]) -> tuple[int, int, int]:
            pid, _transcript, length = item
            return (-votes[pid], 0 if 60 <= length <= max_chars else 1, length)

        chosen = sorted(candidates, key=rank)[:limit]
        wanted = {pid for pid, _t, _n in chosen}
        texts = {
            passage.id: passage
            for passage in passages_of(conn, sorted({t for _p, t, _n in chosen}))
            if passage.id in wanted
        }
    return [
        (
            texts[pid].key,
            texts[pid].text
            if len(texts[pid].text) <= max_chars
            else texts[pid].text[: max_chars - 1] + "…",
        )
        for pid, _transcript, _length in chosen
    ]
