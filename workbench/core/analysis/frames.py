"""The project as pandas DataFrames, for analysts who want their own tables and models."""

from __future__ import annotations

import pandas as pd

from workbench.core.store import Project
from workbench.core.store.decision_log import current_codings, decision_log
from workbench.core.store.queries import (
    external_ids,
    metadata_for,
    passage_key,
    passages_of,
    transcript_row_ids,
)


def passages_frame(project: Project) -> pd.DataFrame:
    with project.reading() as conn:
        rows = [p.__dict__ for p in passages_of(conn, transcript_row_ids(conn))]
    return pd.DataFrame(rows).rename(columns={"id": "passage_row", "key": "passage_id"})


def codings_frame(project: Project) -> pd.DataFrame:
    """One row per code a coder has applied to a passage (the current state)."""
    with project.reading() as conn:
        rows = current_codings(conn)
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
    with project.reading() as conn:
        rows = decision_log(conn)
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
        "span_start",  # a decision about selected words: transcript offsets, else empty
        "span_end",
    ]
    return pd.DataFrame(
        [(r[0], passage_key(r[1], r[2]), *r[3:]) for r in rows],
        columns=columns,
    )


def metadata_frame(project: Project) -> pd.DataFrame:
    """One row per transcript, in import order, one column per field (missing values NaN): a
    transcript with no metadata is still a row, so a join on ``transcript_id`` keeps it."""
    with project.reading() as conn:
        ids = external_ids(conn)
        rows = [
            (external_id, field, value)
            for external_id, fields in metadata_for(conn).items()
            for field, value in fields.items()
        ]
    every = pd.DataFrame({"transcript_id": ids})
    frame = pd.DataFrame(rows, columns=["transcript_id", "field", "value"])
    if frame.empty:
        return every
    wide = frame.pivot(index="transcript_id", columns="field", values="value").reset_index()
    wide.columns.name = None
    return every.merge(wide, on="transcript_id", how="left")
