"""What language-model requests cost, as stored in the project (never the API key)."""

from __future__ import annotations

from collections.abc import Iterable

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


def spend(conn: Connection) -> dict[str, object]:
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
