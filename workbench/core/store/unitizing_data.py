"""The text coders selected inside passages, as unitizing agreement reads it.

Which stretches of text enter, and why:

* only transcripts in which two or more of the chosen coders selected text (a ``coded_spans``
  row) at least once: elsewhere nobody unitized, and passage-level agreement already says all
  there is to say;
* in those, each passage to code (interviewer turns are context) that two or more of the chosen
  coders reviewed; a coder who did not review it is missing there, not in disagreement;
* a reviewing coder's selections are their ``coded_spans`` rows, and a code they applied to the
  passage without selecting any text for it counts as a selection of the whole passage: they
  said the code applies, and did not narrow it.

Offsets are returned relative to the passage's start, so a passage is one continuum.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, func, select

from workbench.core.store import schema
from workbench.core.store.chunks import in_chunks
from workbench.core.store.queries import passage_key

RULE = (
    "passages to code reviewed by two or more of them, in transcripts where two or more of them "
    "selected text; a code applied to a passage without a selection counts as selecting all of it"
)


@dataclass
class SpanPassage:
    """One passage as a continuum: its length and each reviewing coder's selections."""

    passage_id: int
    key: str  # work_0001#7
    transcript: str
    length: int
    selections: dict[str, list[tuple[str, int, int]]] = field(default_factory=dict)


def has_spans(conn: Connection) -> bool:
    """Whether any coder selected text inside a passage: the report's section depends on it."""
    s = schema.coded_spans
    return conn.execute(select(s.c.id).limit(1)).first() is not None


def _coder_ids(conn: Connection, coders: Sequence[str]) -> dict[int, str]:
    c = schema.coders
    rows = conn.execute(select(c.c.id, c.c.name).where(c.c.name.in_(list(coders))))
    return dict(rows.all())


def _unitized_transcripts(conn: Connection, coder_ids: Sequence[int]) -> set[int]:
    s, p = schema.coded_spans, schema.passages
    per_coder = (
        select(p.c.transcript_id, s.c.coder_id)
        .join(p, p.c.id == s.c.passage_id)
        .where(s.c.coder_id.in_(list(coder_ids)))
        .distinct()
        .subquery()
    )
    rows = conn.execute(
        select(per_coder.c.transcript_id)
        .group_by(per_coder.c.transcript_id)
        .having(func.count() >= 2)
    )
    return set(rows.scalars())


def read_span_passages(conn: Connection, coders: Sequence[str]) -> list[SpanPassage]:
    """Every passage that enters unitizing agreement among ``coders`` (names), in interview
    order, with each reviewing coder's selections (see the module's rules)."""
    names = _coder_ids(conn, coders)
    transcripts = _unitized_transcripts(conn, list(names))
    if not transcripts:
        return []
    p, t, r = schema.passages, schema.transcripts, schema.reviews
    found: dict[int, SpanPassage] = {}
    offsets: dict[int, int] = {}
    reviewers: dict[int, set[int]] = defaultdict(set)
    for batch in in_chunks(sorted(transcripts)):
        rows = conn.execute(
            select(p.c.id, p.c.start, p.c.end, p.c.position, t.c.external_id, r.c.coder_id)
            .join(t, t.c.id == p.c.transcript_id)
            .join(r, r.c.passage_id == p.c.id)
            .where(p.c.transcript_id.in_(batch), p.c.coded.is_(True))
            .where(r.c.coder_id.in_(list(names)))
            .order_by(p.c.transcript_id, p.c.position)
        )
        for pid, start, end, position, external_id, coder_id in rows:
            if pid not in found:
                found[pid] = SpanPassage(
                    pid, passage_key(external_id, position), external_id, end - start
                )
                offsets[pid] = start
            reviewers[pid].add(coder_id)
    kept = [pid for pid in found if len(reviewers[pid]) >= 2]
    for pid in kept:
        found[pid].selections = {
            names[c]: [] for c in sorted(reviewers[pid], key=lambda c: names[c])
        }
    _add_selections(conn, kept, names, found, offsets)
    return [found[pid] for pid in kept]


def _add_selections(
    conn: Connection,
    passage_ids: list[int],
    names: dict[int, str],
    found: dict[int, SpanPassage],
    offsets: dict[int, int],
) -> None:
    s, k = schema.coded_spans, schema.codings
    selected: set[tuple[int, int, str]] = set()
    for batch in in_chunks(passage_ids):
        spans = select(s.c.passage_id, s.c.coder_id, s.c.code_id, s.c.start, s.c.end).where(
            s.c.passage_id.in_(batch), s.c.coder_id.in_(list(names))
        )
        for pid, coder_id, code, start, end in conn.execute(spans.order_by(s.c.start, s.c.id)):
            base = offsets[pid]
            found[pid].selections[names[coder_id]].append((code, start - base, end - base))
            selected.add((pid, coder_id, code))
    for batch in in_chunks(passage_ids):
        codings = select(k.c.passage_id, k.c.coder_id, k.c.code_id).where(
            k.c.passage_id.in_(batch), k.c.coder_id.in_(list(names))
        )
        for pid, coder_id, code in conn.execute(codings.order_by(k.c.code_id)):
            coder = names[coder_id]
            if (pid, coder_id, code) not in selected and coder in found[pid].selections:
                found[pid].selections[coder].append((code, 0, found[pid].length))
