"""Which passages the human reviewers disagree on, worked out once per state of the decision
log and kept: a search, its count and the next words typed in the same view reuse it, and a
new decision is caught up by re-reading only the passages decided on since.
"""

from __future__ import annotations

from sqlalchemy import Connection, select, text

from workbench.core.store import schema
from workbench.core.store.search_filters import _HUMAN

# (database, code) -> (head of the decision log: id and chained hash, the passages in
# disagreement then). Codings and reviews change only with a decision (``coding.record_decision``),
# and the last decision's chained hash names the whole log before it, so an entry for the head
# now is never stale; an entry for an older head is brought up to date by re-reading only the
# passages decided on since (``_moved_on``), which is what makes the first search after a
# decision cheap: one passage re-read instead of every coding in the project.
_DISAGREEING: dict[tuple[str, str | None], tuple[int, str | None, list[int]]] = {}
_DISAGREEING_KEPT = 16
# Passages decided on since the kept answer beyond which it is worked out again from scratch
# (an import of decisions): re-reading them one batch at a time would cost more.
_CATCH_UP_LIMIT = 500


def disagreeing_passages(
    conn: Connection, code: str | None = None, passage_ids: tuple[int, ...] = ()
) -> list[int]:
    """The passages in disagreement, worked out once per state of the decision log (a search,
    its count, the next words typed in the same view all reuse it) and caught up after new
    decisions; ``passage_ids`` looks at those passages only (a view re-reading the rows a coder
    just recoded), uncached."""
    if passage_ids:
        return _disagreeing(conn, code, passage_ids)
    head = conn.execute(
        select(schema.decisions.c.id, schema.decisions.c.row_hash)
        .order_by(schema.decisions.c.id.desc())
        .limit(1)
    ).first()
    head_id, head_hash = (int(head[0]), head[1]) if head else (0, None)
    key = (conn.engine.url.render_as_string(hide_password=True), code)
    kept = _DISAGREEING.pop(key, None)
    caught_up: list[int] | None = None
    if kept is not None and kept[:2] == (head_id, head_hash):
        caught_up = kept[2]
    elif kept is not None:
        caught_up = _moved_on(conn, code, kept, head_id)
    found = caught_up if caught_up is not None else _disagreeing(conn, code)
    while len(_DISAGREEING) >= _DISAGREEING_KEPT:
        _DISAGREEING.pop(next(iter(_DISAGREEING)))
    _DISAGREEING[key] = (head_id, head_hash, found)  # last: the least recently used goes first
    return found


def _moved_on(
    conn: Connection,
    code: str | None,
    kept: tuple[int, str | None, list[int]],
    head_id: int,
) -> list[int] | None:
    """The kept answer brought up to the log's head by re-reading the passages decided on since.

    None (work it out again) unless the log is the kept one with decisions appended: its row at
    the kept head still has the kept hash (a restored backup or another file at the same path
    does not), and no more than ``_CATCH_UP_LIMIT`` passages were decided on since.
    """
    kept_id, kept_hash, found = kept
    d = schema.decisions
    if head_id < kept_id:
        return None
    if kept_id:
        then = conn.execute(select(d.c.row_hash).where(d.c.id == kept_id)).first()
        if then is None or then[0] != kept_hash:
            return None
    touched = [
        int(pid)
        for (pid,) in conn.execute(
            select(d.c.passage_id).where(d.c.id > kept_id).distinct().limit(_CATCH_UP_LIMIT + 1)
        )
    ]
    if len(touched) > _CATCH_UP_LIMIT:
        return None
    if not touched:
        return found
    now = _disagreeing(conn, code, tuple(touched))
    return sorted(set(found).difference(touched).union(now))


def _disagreeing(
    conn: Connection, code: str | None = None, passage_ids: tuple[int, ...] = ()
) -> list[int]:
    """Passages where some human reviewers applied a code (``code``, or any) and others did
    not: the same test as ``adjudication.find_disagreements`` over the human coders.

    Per passage: a code held by fewer of its human reviewers than there are reviewers. Each
    code's count is at most the reviewers', so that is: fewer codings than codes times
    reviewers. Read once per search (the list and its count both use it), in one pass over
    the codings in passage order: ``+`` keeps SQLite off the (coder, code) index, which would
    need a temporary B-tree to group 40,000 codings by passage; with a code that index is
    the selective one and is used.
    """
    reviewers = (
        "(SELECT count(*) FROM reviews r WHERE r.passage_id = k.passage_id "
        f"AND r.coder_id IN {_HUMAN})"
    )
    coder = "k.coder_id" if code is not None or conn.dialect.name != "sqlite" else "+k.coder_id"
    params: dict[str, object] = {}
    code_clause = ""
    if code is not None:
        params["code"] = code
        code_clause = " AND k.code_id = :code"
    if passage_ids:
        names = [f"passage{n}" for n in range(len(passage_ids))]
        params.update(zip(names, passage_ids, strict=True))
        code_clause += f" AND k.passage_id IN ({', '.join(':' + name for name in names)})"
    rows = conn.execute(
        text(
            "SELECT k.passage_id FROM codings k JOIN reviews v "
            "ON v.passage_id = k.passage_id AND v.coder_id = k.coder_id "
            f"WHERE {coder} IN {_HUMAN}{code_clause} GROUP BY k.passage_id "
            f"HAVING count(*) < count(DISTINCT k.code_id) * {reviewers} AND {reviewers} >= 2"
        ),
        params,
    )
    return sorted(pid for (pid,) in rows)
