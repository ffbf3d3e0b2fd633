"""The SQL a codebook migration needs: who coded what, and the archive and re-review lists.

Decisions are never edited here; the migration appends them through ``coding``. These tables
hold what the log alone would make a lead dig for: which codings a deleted or split code took
with it, and which passages a coder has to look at again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, exists, func, select

from workbench.core.clock import utc_now
from workbench.core.store import schema
from workbench.core.store.chunks import in_chunks
from workbench.core.store.queries import passage_key


@dataclass(frozen=True)
class ArchivedCoding:
    id: int
    passage_id: int
    passage: str  # TRANSCRIPT#POSITION, as exports name passages
    coder_id: int
    coder: str
    code_id: str
    from_version: int
    to_version: int
    why: str
    restored_by: int | None
    decision_id: int | None = None  # the decision that archived it: its spans are replayed to it


@dataclass(frozen=True)
class ReviewFlag:
    passage_id: int
    passage: str
    coder: str
    code_id: str
    candidates: tuple[str, ...]
    to_version: int


def coding_counts(conn: Connection) -> dict[str, int]:
    """Codings per code, every coder together."""
    c = schema.codings
    rows = conn.execute(select(c.c.code_id, func.count()).group_by(c.c.code_id))
    return {code: int(n) for code, n in rows}


def coded_codes_missing_from(conn: Connection, code_ids: set[str]) -> dict[str, int]:
    """Codes that have codings but are not in ``code_ids`` (a new codebook), with their counts."""
    return {code: n for code, n in sorted(coding_counts(conn).items()) if code not in code_ids}


def codings_of(conn: Connection, code_ids: Iterable[str]) -> dict[str, set[tuple[int, int]]]:
    """(passage, coder) pairs per code, for the codes named."""
    wanted = sorted(set(code_ids))
    found: dict[str, set[tuple[int, int]]] = {code: set() for code in wanted}
    if not wanted:
        return found
    c = schema.codings
    for passage, coder, code in conn.execute(
        select(c.c.passage_id, c.c.coder_id, c.c.code_id).where(c.c.code_id.in_(wanted))
    ):
        found[code].add((int(passage), int(coder)))
    return found


def codes_on(conn: Connection, pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], set[str]]:
    """Every code each (passage, coder) pair has now."""
    wanted = set(pairs)
    found: dict[tuple[int, int], set[str]] = {pair: set() for pair in wanted}
    if not wanted:
        return found
    c = schema.codings
    passages = sorted({p for p, _ in wanted})
    for chunk in in_chunks(passages):
        for passage, coder, code in conn.execute(
            select(c.c.passage_id, c.c.coder_id, c.c.code_id).where(c.c.passage_id.in_(chunk))
        ):
            key = (int(passage), int(coder))
            if key in found:
                found[key].add(code)
    return found


def reviewed_pairs(conn: Connection) -> set[tuple[int, int]]:
    r = schema.reviews
    return {(int(p), int(c)) for p, c in conn.execute(select(r.c.passage_id, r.c.coder_id))}


def suggestion_counts(conn: Connection, code_ids: Iterable[str]) -> dict[str, int]:
    """Stored suggestions per code: they stay as the engine wrote them, under their version."""
    wanted = sorted(set(code_ids))
    if not wanted:
        return {}
    s = schema.suggestions
    rows = conn.execute(
        select(s.c.code_id, func.count()).where(s.c.code_id.in_(wanted)).group_by(s.c.code_id)
    )
    return {code: int(n) for code, n in rows}


def removing_decisions(conn: Connection, reason: str) -> dict[tuple[int, int, str], int]:
    """The REMOVE decisions written with ``reason``: (passage, coder, code) -> decision id."""
    d = schema.decisions
    rows = conn.execute(
        select(d.c.id, d.c.passage_id, d.c.coder_id, d.c.code_id).where(
            d.c.reason == reason, d.c.action == "remove"
        )
    )
    return {(int(r.passage_id), int(r.coder_id), r.code_id): int(r.id) for r in rows}


def archive_codings(
    conn: Connection,
    removed: dict[tuple[int, int, str], int],
    why: str,
    from_version: int,
    to_version: int,
) -> int:
    """List codings a migration took away, each with the decision that removed it."""
    if not removed:
        return 0
    conn.execute(
        schema.archived_codings.insert(),
        [
            {
                "passage_id": passage,
                "coder_id": coder,
                "code_id": code,
                "from_version": from_version,
                "to_version": to_version,
                "why": why,
                "decision_id": decision_id,
            }
            for (passage, coder, code), decision_id in sorted(removed.items())
        ],
    )
    return len(removed)


def flag_for_review(
    conn: Connection,
    pairs: Iterable[tuple[int, int]],
    code_id: str,
    candidates: tuple[str, ...],
    to_version: int,
) -> int:
    rows = [
        {
            "passage_id": passage,
            "coder_id": coder,
            "code_id": code_id,
            "candidates": ",".join(candidates),
            "to_version": to_version,
            "flagged_at": utc_now(),
        }
        for passage, coder in sorted(set(pairs))
    ]
    if rows:
        conn.execute(schema.review_flags.insert(), rows)
    return len(rows)


def _passage_label():
    t, p = schema.transcripts, schema.passages
    return (
        select(p.c.id, t.c.external_id, p.c.position)
        .join(t, t.c.id == p.c.transcript_id)
        .subquery()
    )


def list_archived(conn: Connection, code_id: str | None = None) -> list[ArchivedCoding]:
    a, coders = schema.archived_codings, schema.coders
    labels = _passage_label()
    query = (
        select(a, coders.c.name, labels.c.external_id, labels.c.position)
        .join(coders, coders.c.id == a.c.coder_id)
        .join(labels, labels.c.id == a.c.passage_id)
        .order_by(a.c.id)
    )
    if code_id is not None:
        query = query.where(a.c.code_id == code_id)
    return [
        ArchivedCoding(
            id=r.id,
            passage_id=r.passage_id,
            passage=passage_key(r.external_id, r.position),
            coder_id=r.coder_id,
            coder=r.name,
            code_id=r.code_id,
            from_version=r.from_version,
            to_version=r.to_version,
            why=r.why,
            restored_by=r.restored_by,
            decision_id=r.decision_id,
        )
        for r in conn.execute(query)
    ]


def mark_restored(conn: Connection, archived_id: int, decision_id: int) -> None:
    a = schema.archived_codings
    conn.execute(a.update().where(a.c.id == archived_id).values(restored_by=decision_id))


def list_review_flags(conn: Connection, open_only: bool = True) -> list[ReviewFlag]:
    """Passages flagged by a split; a flag is settled once its coder decides there again."""
    f, coders, d = schema.review_flags, schema.coders, schema.decisions
    labels = _passage_label()
    query = (
        select(f, coders.c.name, labels.c.external_id, labels.c.position)
        .join(coders, coders.c.id == f.c.coder_id)
        .join(labels, labels.c.id == f.c.passage_id)
        .order_by(f.c.passage_id, coders.c.name, f.c.code_id)
    )
    if open_only:
        query = query.where(
            ~exists().where(
                d.c.passage_id == f.c.passage_id,
                d.c.coder_id == f.c.coder_id,
                d.c.created_at > f.c.flagged_at,
            )
        )
    return [
        ReviewFlag(
            passage_id=r.passage_id,
            passage=passage_key(r.external_id, r.position),
            coder=r.name,
            code_id=r.code_id,
            candidates=tuple(r.candidates.split(",")),
            to_version=r.to_version,
        )
        for r in conn.execute(query)
    ]
