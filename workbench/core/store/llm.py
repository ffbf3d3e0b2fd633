"""What language-model requests cost, as stored in the project (never the API key)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, func, select

from workbench.core.clock import utc_now
from workbench.core.store import schema


def record_requests(conn: Connection, engine: str, records: Iterable) -> int:
    rows = [
        {
            "created_at": utc_now(),
            "engine": engine,
            "model": r.model,
            "passages": r.passages,
            "input_tokens": r.usage.input_tokens,
            "cache_creation_input_tokens": r.usage.cache_creation_input_tokens,
            "cache_read_input_tokens": r.usage.cache_read_input_tokens,
            "output_tokens": r.usage.output_tokens,
            "cost_usd": r.cost_usd,
            "ok": r.ok,
            "error": r.error,
            "batch_id": r.batch_id,
        }
        for r in records
    ]
    if rows:
        conn.execute(schema.llm_requests.insert(), rows)
    return len(rows)


def spend(conn: Connection) -> dict[str, dict[str, int | float]]:
    """Total tokens and dollars per model, for the status line and reports."""
    r = schema.llm_requests
    rows = conn.execute(
        select(
            r.c.model,
            func.count(),
            func.sum(r.c.input_tokens),
            func.sum(r.c.cache_creation_input_tokens),
            func.sum(r.c.cache_read_input_tokens),
            func.sum(r.c.output_tokens),
            func.sum(r.c.cost_usd),
        ).group_by(r.c.model)
    ).all()
    return {
        model: {
            "requests": n,
            "input_tokens": int(i or 0),
            "cache_write_tokens": int(cw or 0),
            "cache_read_tokens": int(cr or 0),
            "output_tokens": int(o or 0),
            "cost_usd": round(float(c or 0), 4),
        }
        for model, n, i, cw, cr, o, c in rows
    }


# Message batches (``llm_batches``): one row per batch the API accepted, written on submission,
# so a crash between two submissions loses nothing.


def add_batch(
    conn: Connection,
    batch_id: str,
    model: str,
    codebook_version: int,
    prompt_version: str,
    options: dict[str, object],
    requests: dict[str, list[int]],
    status: str,
) -> None:
    """Store a batch the API has just accepted: which passages each of its requests carries."""
    conn.execute(
        schema.llm_batches.insert().values(
            batch_id=batch_id,
            created_at=utc_now(),
            model=model,
            codebook_version=codebook_version,
            prompt_version=prompt_version,
            options=json.dumps(options),
            requests=json.dumps(requests),
            status=status,
        )
    )


def passages_in_open_batches(conn: Connection) -> set[int]:
    """Passages some batch not yet collected already carries: not to be sent again."""
    b = schema.llm_batches
    pending: set[int] = set()
    for (requests,) in conn.execute(select(b.c.requests).where(b.c.collected_at.is_(None))):
        for ids in json.loads(requests).values():
            pending.update(ids)
    return pending


def has_open_batches(conn: Connection) -> bool:
    b = schema.llm_batches
    return conn.execute(select(b.c.batch_id).where(b.c.collected_at.is_(None))).first() is not None


def all_batches(conn: Connection) -> list[dict[str, Any]]:
    """Every batch row (as a dict of its columns), oldest first."""
    b = schema.llm_batches
    return [dict(r) for r in conn.execute(select(b).order_by(b.c.created_at)).mappings()]


def uncollected_batches(conn: Connection) -> list[dict[str, Any]]:
    """The rows of the batches whose results are not stored yet."""
    b = schema.llm_batches
    return [dict(r) for r in conn.execute(select(b).where(b.c.collected_at.is_(None))).mappings()]


def cancellable_batches(conn: Connection) -> list[tuple[str, str]]:
    """``(batch id, requests as JSON)`` of the open batches the API may still cancel."""
    b = schema.llm_batches
    rows = conn.execute(
        select(b.c.batch_id, b.c.requests).where(
            b.c.collected_at.is_(None), b.c.status.notin_(("ended", "canceling"))
        )
    )
    return [(batch_id, requests) for batch_id, requests in rows]


def set_batch_status(conn: Connection, batch_id: str, status: str) -> None:
    b = schema.llm_batches
    conn.execute(b.update().where(b.c.batch_id == batch_id).values(status=status))


def mark_batch_collected(conn: Connection, batch_id: str) -> None:
    b = schema.llm_batches
    conn.execute(
        b.update()
        .where(b.c.batch_id == batch_id)
        .values(status="collected", collected_at=utc_now())
    )
