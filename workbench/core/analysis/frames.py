"""The project as pandas DataFrames, for analysts who want their own tables and models."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select

from workbench.core.store import Project, schema
from workbench.core.store.queries import passage_key, passages_of


def passages_frame(project: Project) -> pd.DataFrame:
    with project.reading() as conn:
        ids = list(
            conn.execute(
                select(schema.transcripts.c.id).order_by(schema.transcripts.c.id)
            ).scalars()
        )
        rows = [p.__dict__ for p in passages_of(conn, ids)]
    return pd.DataFrame(rows).rename(columns={"id": "passage_row", "key": "passage_id"})


def codings_frame(project: Project) -> pd.DataFrame:
    """One row per code a coder has applied to a passage (the current state)."""
    c, coders, p, t = schema.codings, schema.coders, schema.passages, schema.transcripts
    with project.reading() as conn:
        rows = conn.execute(
            select(t.c.external_id, p.c.position, coders.c.name, coders.c.kind, c.c.code_id)
            .join(p, p.c.id == c.c.passage_id)
            .join(t, t.c.id == p.c.transcript_id)
            .join(coders, coders.c.id == c.c.coder_id)
        ).all()
    return pd.DataFrame(
        [
            {
                "passage_id": passage_key(e, pos),
                "transcript_id": e,
                "coder": name,
                "coder_kind": kind,
                "code": code,
            }
            for e, pos, name, kind, code in rows
        ],
        columns=["passage_id", "transcript_id", "coder", "coder_kind", "code"],
    )


def decisions_frame(project: Project) -> pd.DataFrame:
    """The whole decision log: who did what, when, answering which suggestion."""
    d, coders, p, t = schema.decisions, schema.coders, schema.passages, schema.transcripts
    with project.reading() as conn:
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
            )
            .join(p, p.c.id == d.c.passage_id)
            .join(t, t.c.id == p.c.transcript_id)
            .join(coders, coders.c.id == d.c.coder_id)
            .order_by(d.c.id)
        ).all()
    columns = [
        "decision_id",
        "passage_id",
        "coder",
        "action",
        "code",
        "suggestion_id",
        "reverts_id",
        "reason",
        "at",
    ]
    return pd.DataFrame(
        [(r[0], passage_key(r[1], r[2]), *r[3:]) for r in rows],
        columns=columns,
    )


def metadata_frame(project: Project) -> pd.DataFrame:
    m = schema.transcript_metadata
    with project.reading() as conn:
        rows = conn.execute(select(m.c.external_id, m.c.field, m.c.value)).all()
    frame = pd.DataFrame(rows, columns=["transcript_id", "field", "value"])
    if frame.empty:
        return pd.DataFrame(columns=["transcript_id"])
    return frame.pivot(index="transcript_id", columns="field", values="value").reset_index()
