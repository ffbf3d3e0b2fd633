"""Coded selections inside passages: the ``coded_spans`` current state and its checks.

A span is a pair of offsets into the transcript's text (start inclusive, end exclusive), the
same offsets ``passages.start/end`` use, so a span survives re-reading the passage and needs no
text of its own. ``coding.record_decision`` is the only writer: it calls these helpers in the
same transaction as the decision that changes them. A span also codes its passage (a
``codings`` row), which is why passage-level agreement needs no change for spans.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, delete, select

from workbench.core.errors import DecisionError
from workbench.core.store import schema
from workbench.core.store.chunks import in_chunks

Span = tuple[str, int, int]  # (code id, start, end)
QUOTE_CHARS = 60  # a quoted selection in a label or status line keeps its two ends


@dataclass(frozen=True)
class CodedSpan:
    passage_id: int
    coder_id: int
    code_id: str
    start: int
    end: int


def passage_bounds(conn: Connection, passage_id: int) -> tuple[int, int]:
    p = schema.passages
    found = conn.execute(select(p.c.start, p.c.end).where(p.c.id == passage_id)).first()
    if found is None:
        raise DecisionError(f"passage {passage_id} does not exist")
    return int(found.start), int(found.end)


def check_span(conn: Connection, passage_id: int, start: int | None, end: int | None) -> None:
    """Refuse a span that is half given, empty, or reaches outside its passage: the offsets are
    the only way back to the coded words, so a wrong one would code words nobody chose."""
    if start is None and end is None:
        return
    if start is None or end is None:
        raise DecisionError(f"a span needs both a start and an end (got {start}..{end})")
    low, high = passage_bounds(conn, passage_id)
    if start >= end:
        raise DecisionError(f"span {start}..{end} is empty; select at least one character")
    if start < low or end > high:
        raise DecisionError(f"span {start}..{end} is outside its passage, which runs {low}..{high}")


def add_span(
    conn: Connection,
    passage_id: int,
    coder_id: int,
    code_id: str,
    start: int,
    end: int,
    decision_id: int,
) -> None:
    s = schema.coded_spans
    found = conn.execute(
        select(s.c.id).where(
            *_same(passage_id, coder_id, code_id), s.c.start == start, s.c.end == end
        )
    ).first()
    if found is None:
        conn.execute(
            s.insert().values(
                passage_id=passage_id,
                coder_id=coder_id,
                code_id=code_id,
                start=start,
                end=end,
                decision_id=decision_id,
            )
        )


def drop_spans(
    conn: Connection,
    passage_id: int,
    coder_id: int,
    code_id: str | None = None,
    start: int | None = None,
    end: int | None = None,
) -> None:
    """Remove one span, every span of a code, or (no code) every span of the coder there."""
    s = schema.coded_spans
    where = [s.c.passage_id == passage_id, s.c.coder_id == coder_id]
    if code_id is not None:
        where.append(s.c.code_id == code_id)
    if start is not None:
        where += [s.c.start == start, s.c.end == end]
    conn.execute(delete(s).where(*where))


def _same(passage_id: int, coder_id: int, code_id: str) -> list:
    s = schema.coded_spans
    return [s.c.passage_id == passage_id, s.c.coder_id == coder_id, s.c.code_id == code_id]


def spans_of_coder(conn: Connection, passage_id: int, coder_id: int) -> frozenset[Span]:
    s = schema.coded_spans
    rows = conn.execute(
        select(s.c.code_id, s.c.start, s.c.end).where(
            s.c.passage_id == passage_id, s.c.coder_id == coder_id
        )
    )
    return frozenset((code, int(start), int(end)) for code, start, end in rows)


def coded_spans(
    conn: Connection, passage_ids: Iterable[int], coder_id: int | None = None
) -> dict[int, list[CodedSpan]]:
    """The spans on these passages (one coder's, or everyone's), in text order."""
    s = schema.coded_spans
    found: dict[int, list[CodedSpan]] = {}
    for batch in in_chunks(passage_ids):
        query = select(s.c.passage_id, s.c.coder_id, s.c.code_id, s.c.start, s.c.end).where(
            s.c.passage_id.in_(batch)
        )
        if coder_id is not None:
            query = query.where(s.c.coder_id == coder_id)
        for row in conn.execute(query):
            found.setdefault(row.passage_id, []).append(
                CodedSpan(row.passage_id, row.coder_id, row.code_id, row.start, row.end)
            )
    for spans in found.values():
        spans.sort(key=lambda span: (span.start, span.end, span.code_id, span.coder_id))
    return found


def all_coded_spans(
    conn: Connection, code_ids: Iterable[str] | None = None
) -> dict[tuple[int, int, str], list[tuple[int, int]]]:
    """``{(passage, coder, code): [(start, end), ...]}`` of the whole project (or of the codes
    named), in text order: for exports and codebook migrations."""
    s = schema.coded_spans
    found: dict[tuple[int, int, str], list[tuple[int, int]]] = {}
    query = select(s.c.passage_id, s.c.coder_id, s.c.code_id, s.c.start, s.c.end).order_by(
        s.c.passage_id, s.c.start, s.c.end
    )
    if code_ids is not None:
        query = query.where(s.c.code_id.in_(sorted(set(code_ids))))
    rows = conn.execute(query)
    for passage, coder, code, start, end in rows:
        found.setdefault((passage, coder, code), []).append((int(start), int(end)))
    return found


def span_text(conn: Connection, passage_id: int, start: int, end: int) -> str:
    """The words a span selects, read from the transcript (the only copy of them)."""
    p, t = schema.passages, schema.transcripts
    text = conn.execute(
        select(t.c.text).join(p, p.c.transcript_id == t.c.id).where(p.c.id == passage_id)
    ).scalar_one()
    return str(text)[start:end]


def quote(text: str, limit: int = QUOTE_CHARS) -> str:
    """The selection as a short quotation for a label: both ends kept, the middle elided."""
    flat = " ".join(text.split())
    if len(flat) > limit:
        half = (limit - 1) // 2
        flat = f"{flat[:half]}…{flat[-half:]}"
    return f"“{flat}”"


def spans_before(
    conn: Connection, passage_id: int, coder_id: int, code_id: str, before_id: int
) -> list[tuple[int, int]]:
    """The spans a coder had of a code on a passage just before decision ``before_id``,
    replayed from the log: how an archived coding gets its spans back when it is restored."""
    d = schema.decisions
    rows = conn.execute(
        select(d.c.id, d.c.action, d.c.code_id, d.c.span_start, d.c.span_end)
        .where(d.c.passage_id == passage_id, d.c.coder_id == coder_id, d.c.id < before_id)
        .order_by(d.c.id)
    )
    spans: set[tuple[int, int]] = set()
    for row in rows:
        if row.action == "no_code":
            spans.clear()
        elif row.code_id != code_id:
            continue
        elif row.action == "apply" and row.span_start is not None:
            spans.add((int(row.span_start), int(row.span_end)))
        elif row.action == "remove":
            if row.span_start is None:
                spans.clear()
            else:
                spans.discard((int(row.span_start), int(row.span_end)))
    return sorted(spans)
