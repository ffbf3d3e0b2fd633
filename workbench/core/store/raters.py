"""Who coded which passage how, as agreement reads it: humans, engines and the consensus.

Humans and the consensus code through decisions (``reviews`` and ``codings``). An engine codes
through its suggestion runs: it is one coder per engine and model, and its coding of a passage
is the suggestion set of its latest run there, whichever retrain, prompt revision or codebook
version produced it. Which versions those latest runs came from is kept as provenance, so a
report can say what the engine figures stand on.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Connection, Select, select

from workbench.core.store import schema
from workbench.core.store.chunks import in_chunks


@dataclass
class Ratings:
    """Reviewed (passage, coder) pairs and the codes applied in each, with each coder's kind."""

    reviewed: set[tuple[int, str]] = field(default_factory=set)
    applied: dict[tuple[int, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    kinds: dict[str, str] = field(default_factory=dict)
    # engine coder -> "model · prompt P · codebook vN" -> passages whose latest run it was
    provenance: dict[str, Counter] = field(default_factory=dict)


def _chunks(ids: Sequence[int] | None) -> list[list[int] | None]:
    if ids is None:
        return [None]
    return list(in_chunks(ids))


def _coded_only(query: Select, passage_column: ColumnElement[int]) -> Select:
    """``query`` kept to passages to code: a decision or a run on a passage that became an
    interviewer turn is kept in the log, but context is not a unit any statistic counts (the
    same passages "to code" leaves out)."""
    p = schema.passages
    return query.join(p, p.c.id == passage_column).where(p.c.coded.is_(True))


def uncoded_among(conn: Connection, passage_ids: Iterable[int]) -> set[int]:
    """Those of ``passage_ids`` that are context (interviewer turns, text before the first
    speaker): what a reading that cannot join on passages leaves out afterwards."""
    p = schema.passages
    found: set[int] = set()
    for batch in in_chunks(list(passage_ids)):
        found.update(
            conn.execute(select(p.c.id).where(p.c.id.in_(batch), p.c.coded.is_(False))).scalars()
        )
    return found


def coder_kinds(conn: Connection) -> dict[str, str]:
    """Every coder's name and kind (human, engine, consensus)."""
    c = schema.coders
    return dict(conn.execute(select(c.c.name, c.c.kind)).all())


def read_ratings(
    conn: Connection,
    passage_ids: Sequence[int] | None = None,
    include_engines: bool = True,
    min_confidence: float = 0.0,
    codebook_version: int | None = None,
) -> Ratings:
    """Everything agreement needs, for every passage or only ``passage_ids``; an engine's
    suggestions below ``min_confidence`` are not among its codes.

    With ``codebook_version``, only what was coded under that version: each coder's state
    after their last own decision under it (``version_codings``), and each engine's latest
    run made with it."""
    c = schema.coders
    names = dict(conn.execute(select(c.c.id, c.c.name)).all())
    ratings = Ratings(kinds=coder_kinds(conn))
    if codebook_version is not None:
        from workbench.core.store.version_codings import codings_under_version

        wanted = None if passage_ids is None else set(passage_ids)
        under = codings_under_version(conn, codebook_version)
        context = uncoded_among(conn, {passage_id for passage_id, _ in under.reviewed})
        for passage_id, coder_id in under.reviewed:
            if (wanted is None or passage_id in wanted) and passage_id not in context:
                ratings.reviewed.add((passage_id, names[coder_id]))
                ratings.applied[(passage_id, names[coder_id])].update(
                    under.applied[(passage_id, coder_id)]
                )
        if include_engines:
            _read_engine_codings(
                conn, passage_ids, names, ratings, min_confidence, codebook_version
            )
        return ratings
    r, k = schema.reviews, schema.codings
    for chunk in _chunks(passage_ids):
        reviews = _coded_only(select(r.c.passage_id, r.c.coder_id), r.c.passage_id)
        codings = _coded_only(select(k.c.passage_id, k.c.coder_id, k.c.code_id), k.c.passage_id)
        if chunk is not None:
            reviews = reviews.where(r.c.passage_id.in_(chunk))
            codings = codings.where(k.c.passage_id.in_(chunk))
        for passage_id, coder_id in conn.execute(reviews):
            ratings.reviewed.add((passage_id, names[coder_id]))
        for passage_id, coder_id, code in conn.execute(codings):
            ratings.applied[(passage_id, names[coder_id])].add(code)
    if include_engines:
        _read_engine_codings(conn, passage_ids, names, ratings, min_confidence)
    return ratings


def _read_engine_codings(
    conn: Connection,
    passage_ids: Sequence[int] | None,
    names: dict[int, str],
    ratings: Ratings,
    min_confidence: float,
    codebook_version: int | None = None,
) -> None:
    runs, s = schema.suggestion_runs, schema.suggestions
    latest: dict[tuple[int, int], tuple] = {}
    for chunk in _chunks(passage_ids):
        query = select(
            runs.c.passage_id,
            runs.c.coder_id,
            runs.c.created_at,
            runs.c.codebook_version,
            runs.c.engine,
            runs.c.model,
            runs.c.prompt_version,
        ).where(runs.c.coder_id.is_not(None))
        query = _coded_only(query, runs.c.passage_id)
        if codebook_version is not None:
            query = query.where(runs.c.codebook_version == codebook_version)
        if chunk is not None:
            query = query.where(runs.c.passage_id.in_(chunk))
        for passage_id, coder_id, created, version, engine, model, prompt in conn.execute(query):
            run = (created, version, prompt, engine, model)
            key = (passage_id, coder_id)
            if key not in latest or run > latest[key]:
                latest[key] = run
    wanted: dict[tuple, str] = {}
    for (passage_id, coder_id), (_created, version, prompt, engine, model) in latest.items():
        name = names[coder_id]
        ratings.reviewed.add((passage_id, name))
        wanted[(passage_id, version, engine, model, prompt)] = name
        ratings.provenance.setdefault(name, Counter())[
            f"{model} · prompt {prompt} · codebook v{version}"
        ] += 1
    for chunk in _chunks(passage_ids):
        suggested = select(
            s.c.passage_id,
            s.c.codebook_version,
            s.c.engine,
            s.c.model,
            s.c.prompt_version,
            s.c.code_id,
        ).where(s.c.confidence >= min_confidence)
        if chunk is not None:
            suggested = suggested.where(s.c.passage_id.in_(chunk))
        for passage_id, version, engine, model, prompt, code in conn.execute(suggested):
            coder = wanted.get((passage_id, version, engine, model, prompt))
            if coder is not None:
                ratings.applied[(passage_id, coder)].add(code)


def passage_field_values(
    conn: Connection, passage_ids: Sequence[int], field_name: str
) -> dict[int, str]:
    """Each passage's value of a transcript metadata field (passages without one are left out)."""
    p, t, m = schema.passages, schema.transcripts, schema.transcript_metadata
    values: dict[int, str] = {}
    for chunk in _chunks(passage_ids):
        query = (
            select(p.c.id, m.c.value)
            .join(t, t.c.id == p.c.transcript_id)
            .join(m, (m.c.external_id == t.c.external_id) & (m.c.field == field_name))
        )
        if chunk is not None:
            query = query.where(p.c.id.in_(chunk))
        values.update(conn.execute(query).all())
    return values


def coders_by_id(conn: Connection) -> dict[int, tuple[str, str]]:
    """``{coder row id: (name, kind)}`` for every coder."""
    c = schema.coders
    return {
        row.id: (row.name, row.kind) for row in conn.execute(select(c.c.id, c.c.name, c.c.kind))
    }


def coder_ids_of_kinds(conn: Connection, kinds: Sequence[str]) -> set[int]:
    """Row ids of the coders of these kinds (e.g. humans and the consensus)."""
    c = schema.coders
    return set(conn.execute(select(c.c.id).where(c.c.kind.in_(list(kinds)))).scalars())


def reviewers_by_passage(conn: Connection) -> dict[int, set[int]]:
    """``{passage row id: coder row ids}`` of every coder who reviewed it, engines included,
    for passages to code only."""
    r = schema.reviews
    found: dict[int, set[int]] = defaultdict(set)
    query = _coded_only(select(r.c.passage_id, r.c.coder_id), r.c.passage_id)
    for passage_id, coder_id in conn.execute(query):
        found[passage_id].add(coder_id)
    return dict(found)


def codes_by_passage_and_coder(conn: Connection) -> dict[tuple[int, int], set[str]]:
    """``{(passage row id, coder row id): codes}`` applied now, every coder, on passages to
    code only."""
    k = schema.codings
    found: dict[tuple[int, int], set[str]] = defaultdict(set)
    for passage_id, coder_id, code in conn.execute(
        _coded_only(select(k.c.passage_id, k.c.coder_id, k.c.code_id), k.c.passage_id)
    ):
        found[(passage_id, coder_id)].add(code)
    return dict(found)


def codings_of_code(conn: Connection, code: str) -> list[tuple[int, int]]:
    """``(passage row id, coder row id)`` of every current coding with this code."""
    k = schema.codings
    rows = conn.execute(select(k.c.passage_id, k.c.coder_id).where(k.c.code_id == code))
    return [(passage_id, coder_id) for passage_id, coder_id in rows]


def passages_reviewed_by(conn: Connection, coder_name: str) -> set[int]:
    """Row ids of the passages coder ``coder_name`` reviewed (none for an unknown coder)."""
    c, r = schema.coders, schema.reviews
    return set(
        conn.execute(
            select(r.c.passage_id).join(c, c.c.id == r.c.coder_id).where(c.c.name == coder_name)
        ).scalars()
    )
