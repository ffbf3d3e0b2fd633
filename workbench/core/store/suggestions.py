"""Stored suggestions: written once per passage, codebook version, engine, model and prompt."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, select

from workbench.core.clock import utc_now
from workbench.core.store import schema
from workbench.core.store.chunks import CHUNK, in_chunks
from workbench.core.store.coding import CoderKind, engine_coder_name, ensure_coder
from workbench.core.suggestion import Suggestion


@dataclass(frozen=True)
class StoredSuggestion:
    id: int
    passage_id: int
    code_id: str
    confidence: float
    evidence: str | None
    evidence_start: int | None
    evidence_end: int | None
    evidence_found: bool
    rationale: str | None
    engine: str
    model: str
    model_snapshot: str | None = None  # what the API reported running, when it said


def save_suggestions(
    conn: Connection, suggestions: Sequence[Suggestion], codebook_version: int
) -> int:
    """Store suggestions; returns how many rows were written."""
    if not suggestions:
        return 0
    now = utc_now()
    conn.execute(
        schema.suggestions.insert(),
        [
            {
                "passage_id": s.passage_id,
                "code_id": s.code_id,
                "codebook_version": codebook_version,
                "engine": s.engine,
                "model": s.model,
                "prompt_version": s.prompt_version,
                "confidence": s.confidence,
                "evidence": s.evidence,
                "evidence_start": s.evidence_start,
                "evidence_end": s.evidence_end,
                "evidence_found": s.evidence_found,
                "rationale": s.rationale,
                "created_at": now,
                "model_snapshot": getattr(s, "model_snapshot", None),
            }
            for s in suggestions
        ],
    )
    return len(suggestions)


def record_run(
    conn: Connection,
    passage_ids: Iterable[int],
    codebook_version: int,
    engine: str,
    model: str,
    prompt_version: str,
    rater: str,
) -> None:
    """Remember that these passages were processed, so they are never sent again, and as which
    engine coder (``rater``: one per engine and model) the run codes them."""
    now = utc_now()
    rows = [
        {
            "passage_id": passage_id,
            "codebook_version": codebook_version,
            "engine": engine,
            "model": model,
            "prompt_version": prompt_version,
            "created_at": now,
        }
        for passage_id in passage_ids
    ]
    if rows:
        coder_id = ensure_coder(conn, engine_coder_name(rater), CoderKind.ENGINE)
        for row in rows:
            row["coder_id"] = coder_id
        conn.execute(schema.suggestion_runs.insert(), rows)


def passages_already_run(
    conn: Connection,
    passage_ids: Iterable[int],
    codebook_version: int | None,
    engine: str,
    model: str,
    prompt_version: str,
) -> set[int]:
    """Which of ``passage_ids`` this engine/model/prompt has already processed (the cache key).

    ``codebook_version=None`` matches any version: for a prompt version that hashes the
    rendered codebook, the hash already says whether the model would read the same text.
    """
    r = schema.suggestion_runs
    done: set[int] = set()
    for batch in in_chunks(passage_ids):
        query = select(r.c.passage_id).where(
            r.c.passage_id.in_(batch),
            r.c.engine == engine,
            r.c.model == model,
            r.c.prompt_version == prompt_version,
        )
        if codebook_version is not None:
            query = query.where(r.c.codebook_version == codebook_version)
        done.update(conn.execute(query).scalars())
    return done


def carry_forward(
    conn: Connection,
    passage_ids: Iterable[int],
    codebook_version: int,
    engine: str,
    model: str,
    prompt_version: str,
    rater: str,
) -> int:
    """Copy suggestions made under an earlier codebook version with the very same prompt to
    ``codebook_version``, without asking the engine again; returns the passages carried.

    A cosmetic codebook edit (colour, shortcut) makes a new version but the same prompt: the
    model's answer would be the same, so it is reused rather than paid for again.
    """
    r, s = schema.suggestion_runs, schema.suggestions
    latest: dict[int, int] = {}
    current: set[int] = set()
    for batch in in_chunks(passage_ids):
        for passage_id, version in conn.execute(
            select(r.c.passage_id, r.c.codebook_version).where(
                r.c.passage_id.in_(batch),
                r.c.engine == engine,
                r.c.model == model,
                r.c.prompt_version == prompt_version,
            )
        ):
            if version == codebook_version:
                current.add(passage_id)
            else:
                latest[passage_id] = max(version, latest.get(passage_id, version))
    carried = [pid for pid in latest if pid not in current]
    now = utc_now()
    copied = []
    for passage_id in carried:
        for row in conn.execute(
            select(s).where(
                s.c.passage_id == passage_id,
                s.c.codebook_version == latest[passage_id],
                s.c.engine == engine,
                s.c.model == model,
                s.c.prompt_version == prompt_version,
            )
        ).mappings():
            values = {k: v for k, v in row.items() if k != "id"}
            values.update(codebook_version=codebook_version, created_at=now)
            copied.append(values)
    if copied:
        conn.execute(s.insert(), copied)
    record_run(conn, carried, codebook_version, engine, model, prompt_version, rater)
    return len(carried)


def suggestions_for(
    conn: Connection, passage_ids: Iterable[int], codebook_version: int | None = None
) -> dict[int, list[StoredSuggestion]]:
    """Suggestions per passage, most confident first (all engines, optionally one codebook version)."""
    s = schema.suggestions
    found: dict[int, list[StoredSuggestion]] = defaultdict(list)
    for batch in in_chunks(passage_ids):
        query = select(s).where(s.c.passage_id.in_(batch))
        if codebook_version is not None:
            query = query.where(s.c.codebook_version == codebook_version)
        for row in conn.execute(query.order_by(s.c.confidence.desc())):
            found[row.passage_id].append(
                StoredSuggestion(
                    id=row.id,
                    passage_id=row.passage_id,
                    code_id=row.code_id,
                    confidence=row.confidence,
                    evidence=row.evidence,
                    evidence_start=row.evidence_start,
                    evidence_end=row.evidence_end,
                    evidence_found=bool(row.evidence_found),
                    rationale=row.rationale,
                    engine=row.engine,
                    model=row.model,
                    model_snapshot=row.model_snapshot,
                )
            )
    return dict(found)


@dataclass(frozen=True)
class ScoredOutcome:
    """One stored suggestion on a passage a human reviewed, and what the humans decided."""

    engine: str
    model: str
    confidence: float
    applied: bool  # a human applied the code to the passage


def reviewed_outcomes(conn: Connection) -> list[ScoredOutcome]:
    """Every suggestion a human reviewed, once per passage, code, engine and model (the
    latest), with whether a human applied its code: what calibration learns from.

    Only suggestions made before the passage's last human review count: one made afterwards
    (say, by an engine retrained on that very decision) was never judged, and would teach the
    calibration that its own training data is always right."""
    # Only passages with a suggestion matter: the humans' work elsewhere (most of a large
    # study) is not read, so opening a transcript costs what the engines suggested, not what
    # the coders did.
    r, d, s, k = schema.reviews, schema.decisions, schema.suggestions, schema.codings
    suggested = select(s.c.passage_id).distinct().scalar_subquery()
    reviewed_at: dict[int, object] = {}
    c = schema.coders
    human = c.c.kind == CoderKind.HUMAN.value
    for passage_id, when in conn.execute(
        select(r.c.passage_id, d.c.created_at)
        .join(d, d.c.id == r.c.decision_id)
        .join(c, c.c.id == r.c.coder_id)
        .where(human, r.c.passage_id.in_(suggested))
    ):
        if passage_id not in reviewed_at or when > reviewed_at[passage_id]:
            reviewed_at[passage_id] = when
    applied: dict[int, set[str]] = {}
    for pid, code in conn.execute(
        select(k.c.passage_id, k.c.code_id)
        .join(c, c.c.id == k.c.coder_id)
        .where(human, k.c.passage_id.in_(suggested))
    ):
        applied.setdefault(pid, set()).add(code)
    # one query, not one per chunk of ids (long IN lists cost more to send than to run on a
    # server); rows then in the order the chunked reads gave them, chunk by chunk
    chunk_of = {pid: index // CHUNK for index, pid in enumerate(sorted(reviewed_at))}
    by_humans = select(r.c.passage_id).join(c, c.c.id == r.c.coder_id).where(human)
    rows = [
        row
        for row in conn.execute(
            select(
                s.c.passage_id, s.c.code_id, s.c.engine, s.c.model, s.c.confidence, s.c.created_at
            )
            .where(s.c.passage_id.in_(by_humans.scalar_subquery()))
            .order_by(s.c.id)
        )
        if row[0] in chunk_of
    ]
    rows.sort(key=lambda row: chunk_of[row[0]])
    latest: dict[tuple[int, str, str, str], ScoredOutcome] = {}
    for passage_id, code_id, engine, model, confidence, created in rows:
        if created > reviewed_at[passage_id]:
            continue
        latest[(passage_id, code_id, engine, model)] = ScoredOutcome(
            engine, model, float(confidence), code_id in applied.get(passage_id, set())
        )
    return list(latest.values())
