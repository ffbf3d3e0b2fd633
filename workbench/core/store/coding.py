"""Human coding decisions: appended to the log and applied to the current state together.

Every decision is one row in the append-only ``decisions`` table (who, what, when, which
suggestion it answered) plus the change it makes to ``codings`` and ``reviews``, in the same
transaction. Undo is not a deletion: it is a new decision that restores the earlier state and
points at the one it reverts, so the log keeps the whole history.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, select
from sqlalchemy.exc import IntegrityError

from workbench.core.clock import utc_now
from workbench.core.errors import DecisionError
from workbench.core.printable import printable
from workbench.core.store import schema
from workbench.core.store.chain import append_chained
from workbench.core.store.spans import Span, add_span, check_span, drop_spans, spans_of_coder


class CoderKind(str, Enum):
    """Who a coder is. Only humans are raters by default; an engine is compared with them, and
    the consensus is the adjudicated result, never a rater."""

    HUMAN = "human"
    ENGINE = "engine"
    CONSENSUS = "consensus"


CONSENSUS_CODER = "consensus"
ENGINE_PREFIX = "engine:"  # engine coders are named engine:<rater>, e.g. engine:local
MAX_CODER_NAME = 100


class DecisionAction(str, Enum):
    """What a coder did to a passage."""

    APPLY = "apply"  # applied a code (accepting a suggestion or adding one)
    REMOVE = "remove"  # removed a code they had applied
    REJECT = "reject"  # rejected a suggestion (the passage counts as reviewed)
    NO_CODE = "no_code"  # reviewed: no code applies (clears their codes)
    UNREVIEW = "unreview"  # took back "reviewed" (used by undo)
    REVERT = "revert"  # undo: takes back the decision named by reverts_id (no state change)


@dataclass(frozen=True)
class CodingState:
    """One coder's state on one passage: reviewed or not, the codes applied, and the selections
    coded inside it (``(code, start, end)``; each one's code is in ``codes`` too)."""

    reviewed: bool
    codes: frozenset[str]
    spans: frozenset[Span] = frozenset()


def engine_coder_name(rater: str) -> str:
    """The coder an engine codes as: one per engine and model (``engine:claude/<model>``)."""
    return ENGINE_PREFIX + rater


def check_coder_name(name: str, kind: CoderKind) -> str:
    """``name`` stripped, or why it cannot be a coder of ``kind``.

    The reserved names keep kinds apart: a person typing ``consensus`` into a decisions file
    must not write over adjudicated codes, nor pose as an engine.
    """
    name = name.strip()
    if not name:
        raise DecisionError("a coder needs a name")
    # A name is a column header, a table cell and a PDF label: an unbounded one breaks every
    # layout, and control characters would reach terminals and exported files unseen.
    if len(name) > MAX_CODER_NAME:
        raise DecisionError(
            f"coder name '{printable(name[:40])}...' is {len(name)} characters; "
            f"at most {MAX_CODER_NAME} are allowed"
        )
    if any(unicodedata.category(char) == "Cc" for char in name):
        raise DecisionError(f"coder name '{printable(name)}' has control characters")
    if kind is not CoderKind.CONSENSUS and name.casefold() == CONSENSUS_CODER:
        raise DecisionError(
            f"'{name}' is the consensus coder (adjudicated codes, written with "
            "'workbench adjudicate'); choose another coder name"
        )
    if kind is not CoderKind.ENGINE and name.casefold().startswith(ENGINE_PREFIX):
        raise DecisionError(
            f"'{name}': names starting with '{ENGINE_PREFIX}' belong to suggestion engines"
        )
    return name


def find_coder(conn: Connection, name: str) -> int | None:
    """The id of coder ``name``, or None: looking must not create a coder (read-only views)."""
    found = conn.execute(
        select(schema.coders.c.id).where(schema.coders.c.name == name.strip())
    ).scalar_one_or_none()
    return None if found is None else int(found)


def ensure_coder(conn: Connection, name: str, kind: CoderKind = CoderKind.HUMAN) -> int:
    """The id of coder ``name`` of ``kind``, created on first use; a name taken by a coder of
    another kind is refused rather than shared."""
    name = check_coder_name(name, kind)
    found = _find_coder(conn, name)
    if found is None:
        # Another process may create the same coder between that read and this insert (two
        # decision imports at once on a server database); its row then wins and is used.
        try:
            with conn.begin_nested():
                return int(
                    conn.execute(
                        schema.coders.insert().values(
                            name=name, kind=kind.value, created_at=utc_now()
                        )
                    ).inserted_primary_key[0]  # type: ignore[index]  # stub: Optional; never for an INSERT
                )
        except IntegrityError:
            found = _find_coder(conn, name)
            if found is None:
                raise
    if found.kind != kind.value:
        raise DecisionError(f"'{name}' is a coder of kind '{found.kind}', not '{kind.value}'")
    return int(found.id)


def _find_coder(conn: Connection, name: str) -> Row | None:
    return conn.execute(
        select(schema.coders.c.id, schema.coders.c.kind).where(schema.coders.c.name == name)
    ).first()


def coding_state(conn: Connection, passage_id: int, coder_id: int) -> CodingState:
    reviewed = conn.execute(
        select(schema.reviews.c.passage_id).where(
            schema.reviews.c.passage_id == passage_id, schema.reviews.c.coder_id == coder_id
        )
    ).first()
    codes = conn.execute(
        select(schema.codings.c.code_id).where(
            schema.codings.c.passage_id == passage_id, schema.codings.c.coder_id == coder_id
        )
    ).scalars()
    return CodingState(
        reviewed is not None, frozenset(codes), spans_of_coder(conn, passage_id, coder_id)
    )


def record_decision(
    conn: Connection,
    passage_id: int,
    coder_id: int,
    action: DecisionAction,
    code_id: str | None = None,
    *,
    suggestion_id: int | None = None,
    codebook_version: int | None = None,
    reverts_id: int | None = None,
    reason: str | None = None,
    arm: str | None = None,
    translation_shown: bool | None = None,
    span_start: int | None = None,
    span_end: int | None = None,
    carried: Mapping[str, object] | None = None,
) -> int:
    """Append one decision and apply it to the current state; returns the decision id.

    ``arm`` is the anchoring experiment's arm the decision was made in (None when it is off).
    ``translation_shown`` says whether the passage's machine translation was on screen (None
    when it had none), so agreement can be split by "read in translation".
    ``span_start``/``span_end`` make an APPLY or REMOVE about a selection inside the passage
    (transcript offsets): applying one also codes the passage, removing one leaves the passage
    coded, and a REMOVE or NO_CODE without a span takes the code's spans with it.

    ``carried`` sets further decision columns as another file recorded them (a merge), so that
    columns added later come across without a parameter each."""
    # The columns this function applies (a span to ``coded_spans``) are taken out of a merge's
    # carried ones and applied like any other decision's.
    extra: dict[str, Any] = dict(carried or {})
    arm = extra.pop("arm", arm)
    translation_shown = extra.pop("translation_shown", translation_shown)
    span_start = extra.pop("span_start", span_start)
    span_end = extra.pop("span_end", span_end)
    if action in (DecisionAction.APPLY, DecisionAction.REMOVE) and not code_id:
        raise DecisionError(f"'{action.value}' needs a code")
    spanned = span_start is not None or span_end is not None
    if spanned and action not in (DecisionAction.APPLY, DecisionAction.REMOVE):
        raise DecisionError(f"'{action.value}' is about a whole passage; it takes no span")
    check_span(conn, passage_id, span_start, span_end)
    [decision_id] = append_chained(
        conn,
        schema.decisions,
        [
            {
                "passage_id": passage_id,
                "coder_id": coder_id,
                "action": action.value,
                "code_id": code_id,
                "suggestion_id": suggestion_id,
                "codebook_version": codebook_version,
                "reverts_id": reverts_id,
                "reason": reason,
                "created_at": utc_now(),
                "arm": arm,
                "translation_shown": translation_shown,
                "span_start": span_start,
                "span_end": span_end,
                **extra,
            }
        ],
    )
    codings, reviews = schema.codings, schema.reviews
    mine = (codings.c.passage_id == passage_id) & (codings.c.coder_id == coder_id)
    if action is DecisionAction.APPLY:
        exists = conn.execute(
            select(codings.c.code_id).where(mine, codings.c.code_id == code_id)
        ).first()
        if exists is None:
            conn.execute(
                codings.insert().values(
                    passage_id=passage_id,
                    coder_id=coder_id,
                    code_id=code_id,
                    decision_id=decision_id,
                )
            )
        if span_start is not None and span_end is not None:
            add_span(conn, passage_id, coder_id, str(code_id), span_start, span_end, decision_id)
    elif action is DecisionAction.REMOVE and spanned:
        drop_spans(conn, passage_id, coder_id, code_id, span_start, span_end)
    elif action is DecisionAction.REMOVE:
        conn.execute(delete(codings).where(mine, codings.c.code_id == code_id))
        drop_spans(conn, passage_id, coder_id, code_id)
    elif action is DecisionAction.NO_CODE:
        conn.execute(delete(codings).where(mine))
        drop_spans(conn, passage_id, coder_id)
    if action is DecisionAction.REVERT:
        return decision_id
    if action is DecisionAction.UNREVIEW:
        conn.execute(
            delete(reviews).where(
                reviews.c.passage_id == passage_id, reviews.c.coder_id == coder_id
            )
        )
    elif action is not DecisionAction.REMOVE:
        _mark_reviewed(conn, passage_id, coder_id, decision_id)
    return decision_id


def _mark_reviewed(conn: Connection, passage_id: int, coder_id: int, decision_id: int) -> None:
    reviews = schema.reviews
    found = conn.execute(
        select(reviews.c.decision_id).where(
            reviews.c.passage_id == passage_id, reviews.c.coder_id == coder_id
        )
    ).first()
    if found is None:
        conn.execute(
            reviews.insert().values(
                passage_id=passage_id, coder_id=coder_id, decision_id=decision_id
            )
        )


@dataclass(frozen=True)
class PlannedDecision:
    passage_id: int
    coder_id: int
    action: DecisionAction
    code_id: str | None = None
    span_start: int | None = None  # an APPLY or REMOVE of a selection (transcript offsets)
    span_end: int | None = None


def record_decisions_bulk(
    conn: Connection,
    planned: list[PlannedDecision],
    reviewed_before: set[tuple[int, int]],
    codebook_version: int | None,
    reason: str,
) -> int:
    """Append many decisions and apply them, with a few statements instead of a few per row.

    ``planned`` must already be consistent with the current state (no APPLY of a code the
    coder has, no REMOVE of one they lack), as a spreadsheet import computes it, and give each
    coder and passage either one NO_CODE or only APPLYs and REMOVEs: all deletes run before all
    inserts, so an APPLY followed by a NO_CODE on the same passage would keep the code. Under
    that condition the result is the same as calling ``record_decision`` for each, in order
    (``tests/test_decisions_property.py``). An APPLY with a span adds only the span: its code
    must be on the passage already or applied by an earlier APPLY in ``planned`` (a codebook
    migration carrying a code's spans to the new code plans them that way).
    """
    if not planned:
        return 0
    for p in planned:
        if p.span_start is not None or p.span_end is not None:
            check_span(conn, p.passage_id, p.span_start, p.span_end)
    now = utc_now()
    append_chained(
        conn,
        schema.decisions,
        [
            {
                "passage_id": p.passage_id,
                "coder_id": p.coder_id,
                "action": p.action.value,
                "code_id": p.code_id,
                "suggestion_id": None,
                "codebook_version": codebook_version,
                "reverts_id": None,
                "reason": reason,
                "created_at": now,
                "span_start": p.span_start,
                "span_end": p.span_end,
            }
            for p in planned
        ],
    )
    d = schema.decisions
    coder_ids = sorted({p.coder_id for p in planned})
    written = conn.execute(
        select(
            d.c.id,
            d.c.passage_id,
            d.c.coder_id,
            d.c.action,
            d.c.code_id,
            d.c.span_start,
            d.c.span_end,
        )
        .where(d.c.created_at == now, d.c.reason == reason, d.c.coder_id.in_(coder_ids))
        .order_by(d.c.id)
    ).all()
    clear = [
        {"p": r.passage_id, "c": r.coder_id}
        for r in written
        if r.action == DecisionAction.NO_CODE.value
    ]
    remove = [
        {"p": r.passage_id, "c": r.coder_id, "k": r.code_id}
        for r in written
        if r.action == DecisionAction.REMOVE.value and r.span_start is None
    ]
    unspan = [
        {"p": r.passage_id, "c": r.coder_id, "k": r.code_id, "s": r.span_start, "e": r.span_end}
        for r in written
        if r.action == DecisionAction.REMOVE.value and r.span_start is not None
    ]
    codings, spans = schema.codings, schema.coded_spans
    for table in (codings, spans):
        if clear:
            conn.execute(
                delete(table).where(
                    table.c.passage_id == bindparam("p"), table.c.coder_id == bindparam("c")
                ),
                clear,
            )
        if remove:
            conn.execute(
                delete(table).where(
                    table.c.passage_id == bindparam("p"),
                    table.c.coder_id == bindparam("c"),
                    table.c.code_id == bindparam("k"),
                ),
                remove,
            )
    if unspan:
        conn.execute(
            delete(spans).where(
                spans.c.passage_id == bindparam("p"),
                spans.c.coder_id == bindparam("c"),
                spans.c.code_id == bindparam("k"),
                spans.c.start == bindparam("s"),
                spans.c.end == bindparam("e"),
            ),
            unspan,
        )
    applied = [
        {
            "passage_id": r.passage_id,
            "coder_id": r.coder_id,
            "code_id": r.code_id,
            "decision_id": r.id,
        }
        for r in written
        if r.action == DecisionAction.APPLY.value and r.span_start is None
    ]
    if applied:
        conn.execute(codings.insert(), applied)
    spans_applied = [
        {
            "passage_id": r.passage_id,
            "coder_id": r.coder_id,
            "code_id": r.code_id,
            "start": r.span_start,
            "end": r.span_end,
            "decision_id": r.id,
        }
        for r in written
        if r.action == DecisionAction.APPLY.value and r.span_start is not None
    ]
    if spans_applied:
        conn.execute(spans.insert(), spans_applied)
    reviews: dict[tuple[int, int], int] = {}
    for r in written:
        key = (r.passage_id, r.coder_id)
        if (
            r.action != DecisionAction.REMOVE.value
            and key not in reviewed_before
            and key not in reviews
        ):
            reviews[key] = r.id
    if reviews:
        conn.execute(
            schema.reviews.insert(),
            [{"passage_id": p, "coder_id": c, "decision_id": i} for (p, c), i in reviews.items()],
        )
    return len(written)


def human_coding(conn: Connection) -> tuple[set[int], dict[int, set[str]]]:
    """Passages any human coder reviewed, and the codes humans applied to each.

    Only passages to code: a label switched to interviewer takes its passages out of what the
    local engine learns from, as it takes them out of agreement (their decisions stay logged)."""
    humans = set(
        conn.execute(
            select(schema.coders.c.id).where(schema.coders.c.kind == CoderKind.HUMAN.value)
        ).scalars()
    )
    p, v, c = schema.passages, schema.reviews, schema.codings
    reviewed = {
        pid
        for pid, coder in conn.execute(
            select(v.c.passage_id, v.c.coder_id)
            .join(p, p.c.id == v.c.passage_id)
            .where(p.c.coded.is_(True))
        )
        if coder in humans
    }
    applied: dict[int, set[str]] = {}
    for pid, coder, code in conn.execute(
        select(c.c.passage_id, c.c.coder_id, c.c.code_id)
        .join(p, p.c.id == c.c.passage_id)
        .where(p.c.coded.is_(True))
    ):
        if coder in humans:
            applied.setdefault(pid, set()).add(code)
    return reviewed, applied
