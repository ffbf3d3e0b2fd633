"""The decision log and the current codings read whole, with public passage ids and coder
names: what analysts' tables and the agreement report's audit summary stand on."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Connection, func, select

from workbench.core.store import schema
from workbench.core.store.coding import DecisionAction


class CurrentCoding(NamedTuple):
    transcript_id: str
    position: int
    coder: str
    coder_kind: str
    code: str


class LoggedDecision(NamedTuple):
    decision_id: int
    transcript_id: str
    position: int
    coder: str
    action: str
    code: str | None
    suggestion_id: int | None
    reverts_id: int | None
    reason: str | None
    at: datetime
    span_start: int | None  # a decision about a selection: its transcript offsets
    span_end: int | None


class CoderActivity(NamedTuple):
    """One coder's share of the log: how much, how often answering a suggestion, and when."""

    coder: str
    kind: str
    decisions: int
    passages: int
    answering_suggestion: int
    rejections: int
    undone: int
    first: datetime
    last: datetime


def current_codings(conn: Connection) -> list[CurrentCoding]:
    """Every code every coder has on a passage now."""
    c, coders, p, t = schema.codings, schema.coders, schema.passages, schema.transcripts
    rows = conn.execute(
        select(t.c.external_id, p.c.position, coders.c.name, coders.c.kind, c.c.code_id)
        .join(p, p.c.id == c.c.passage_id)
        .join(t, t.c.id == p.c.transcript_id)
        .join(coders, coders.c.id == c.c.coder_id)
    )
    return [CurrentCoding(*row) for row in rows]


def decision_log(conn: Connection) -> list[LoggedDecision]:
    """The whole decision log in the order it was written."""
    d, coders, p, t = schema.decisions, schema.coders, schema.passages, schema.transcripts
    rows = conn.execute(
        select(
            d.c.id,
            t.c.external_id,
            p.c.position,
            coders.c.name,
            d.c.action,
            d.c.code_id,
            d.c.suggestion_id,
            d.c.reverts_id,
            d.c.reason,
            d.c.created_at,
            d.c.span_start,
            d.c.span_end,
        )
        .join(p, p.c.id == d.c.passage_id)
        .join(t, t.c.id == p.c.transcript_id)
        .join(coders, coders.c.id == d.c.coder_id)
        .order_by(d.c.id)
    )
    return [LoggedDecision._make(row) for row in rows]


def activity_by_coder(conn: Connection) -> list[CoderActivity]:
    """Each coder with at least one decision, by name."""
    d, coders = schema.decisions, schema.coders
    rows = conn.execute(
        select(
            coders.c.name,
            coders.c.kind,
            func.count(d.c.id),
            func.count(func.distinct(d.c.passage_id)),
            func.sum((d.c.suggestion_id.is_not(None)).cast(schema.Integer)),
            func.sum((d.c.action == DecisionAction.REJECT.value).cast(schema.Integer)),
            func.sum((d.c.action == DecisionAction.REVERT.value).cast(schema.Integer)),
            func.min(d.c.created_at),
            func.max(d.c.created_at),
        )
        .join(d, d.c.coder_id == coders.c.id)
        .group_by(coders.c.name, coders.c.kind)
        .order_by(coders.c.name)
    )
    return [
        CoderActivity(
            name,
            kind,
            n,
            passages,
            int(answered or 0),
            int(rejected or 0),
            int(undone or 0),
            first,
            last,
        )
        for name, kind, n, passages, answered, rejected, undone, first, last in rows
    ]


def suggestion_counts_by_engine(conn: Connection) -> list[tuple[str, str, int]]:
    """``(engine, model, suggestions stored)`` for every engine and model that made any: which
    suggestions coders could have been shown. (Here rather than in ``store/suggestions.py``,
    which imports ``workbench.suggest``, so reports reading it stay clear of that layer.)"""
    s = schema.suggestions
    rows = conn.execute(select(s.c.engine, s.c.model, func.count()).group_by(s.c.engine, s.c.model))
    return [(engine, model, count) for engine, model, count in rows]


def latest_decision_id(conn: Connection) -> int:
    """The id of the newest decision (0 for none): changes whenever anyone decides anything, so
    what is learnt from decisions can be cached until it does."""
    d = schema.decisions
    return int(conn.execute(select(d.c.id).order_by(d.c.id.desc()).limit(1)).scalar() or 0)
