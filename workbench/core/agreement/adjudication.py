"""Where coders differ, and how a lead settles it (recorded as the consensus coder).

Adjudication never edits a coder's decisions: it writes the settled codes as decisions of a
separate coder named ``consensus`` (kind ``consensus``), with the lead's name and reason. The
consensus is the settled result, not a rater: agreement never counts it among the coders.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from workbench.core.agreement.data import CodedData
from workbench.core.errors import DecisionError
from workbench.core.store import Connection, Project
from workbench.core.store.audit import append_audit
from workbench.core.store.coding import (
    CoderKind,
    DecisionAction,
    coding_state,
    ensure_coder,
    record_decision,
)
from workbench.core.store.memos import memos_by_coder_name
from workbench.core.store.queries import passage_ids_for_keys
from workbench.core.store.speaker_roles import uncoded_passages

CONSENSUS = "consensus"


@dataclass(frozen=True)
class Disagreement:
    unit: str  # passage key
    codes: dict[str, frozenset[str]]  # coder -> codes (only coders who reviewed the passage)


def find_disagreements(
    data: CodedData, code: str | None = None, coders: list[str] | None = None
) -> list[Disagreement]:
    """Passages where the chosen coders (who reviewed them) do not all agree.

    With ``code``, only disagreement about that code counts; otherwise any difference in the
    set of codes. By default only human coders are compared (engines and the consensus are
    left out unless named).
    """
    chosen = coders or [c for c in data.coders if data.coder_kinds.get(c) == "human"]
    subset = data.select(coders=chosen)
    if code is not None:
        index = subset.codes.index(code)
        present = subset.present[:, :, index]
        rated = subset.reviewed
        both = rated.sum(axis=1) >= 2
        has = (present & rated).sum(axis=1)
        differing = both & (has > 0) & (has < rated.sum(axis=1))
    else:
        differing = np.zeros(len(subset.units), dtype=bool)
        for u in range(len(subset.units)):
            sets = {
                subset.present[u, c].tobytes()
                for c in range(len(subset.coders))
                if subset.reviewed[u, c]
            }
            differing[u] = subset.reviewed[u].sum() >= 2 and len(sets) > 1
    found = []
    codes = np.array(subset.codes)
    for u in np.nonzero(differing)[0]:
        found.append(
            Disagreement(
                unit=subset.units[u],
                codes={
                    coder: frozenset(codes[subset.present[u, c]].tolist())
                    for c, coder in enumerate(subset.coders)
                    if subset.reviewed[u, c]
                },
            )
        )
    return found


def memos_for(project: Project, passage_keys: list[str]) -> dict[str, dict[str, str]]:
    """Every coder's memo on these passages: ``{passage key: {coder: memo}}``."""
    with project.reading() as conn:
        ids = passage_ids_for_keys(conn, passage_keys)
        key_of = {pid: key for key, pid in ids.items()}
        memos = memos_by_coder_name(conn, key_of)
    return {key_of[passage_id]: by_coder for passage_id, by_coder in memos.items()}


def adjudicate(project: Project, passage_key: str, codes: set[str], lead: str, reason: str) -> None:
    """Set the consensus codes of a passage (empty set: "no code applies"), with a reason."""
    codebook = project.codebook
    unknown = sorted(code for code in codes if codebook is None or code not in codebook)
    if unknown:
        raise DecisionError(f"not codes of the codebook: {', '.join(unknown)}")
    if not reason.strip():
        raise DecisionError("an adjudication needs a reason")
    with project.transaction() as conn:
        ids = passage_ids_for_keys(conn, [passage_key])
        if passage_key not in ids:
            raise DecisionError(f"unknown passage id '{passage_key}'")
        passage_id = ids[passage_key]
        _refuse_context(conn, passage_id, passage_key)
        coder_id = ensure_coder(conn, CONSENSUS, CoderKind.CONSENSUS)
        version = codebook.version if codebook else None
        note = f"{lead}: {reason.strip()}"
        current = coding_state(conn, passage_id, coder_id).codes
        if not codes:
            record_decision(
                conn,
                passage_id,
                coder_id,
                DecisionAction.NO_CODE,
                codebook_version=version,
                reason=note,
            )
        for code in sorted(set(codes) - current):
            record_decision(
                conn,
                passage_id,
                coder_id,
                DecisionAction.APPLY,
                code,
                codebook_version=version,
                reason=note,
            )
        for code in sorted(current - set(codes)):
            record_decision(
                conn,
                passage_id,
                coder_id,
                DecisionAction.REMOVE,
                code,
                codebook_version=version,
                reason=note,
            )
        append_audit(
            conn,
            lead,
            "adjudicate",
            {"passage": passage_key, "codes": sorted(codes), "reason": reason},
        )


def _refuse_context(conn: Connection, passage_id: int, passage_key: str) -> None:
    """A consensus on an interviewer turn would count nowhere and contradict what decisions
    import accepts, so it is refused with the way to make the label coded."""
    uncoded = uncoded_passages(conn, [passage_id])
    if passage_id not in uncoded:
        return
    speaker = uncoded[passage_id]
    if speaker is None:
        raise DecisionError(
            f"passage '{passage_key}' is text before the first speaker turn and is not coded; "
            "there is nothing to adjudicate"
        )
    raise DecisionError(
        f"passage '{passage_key}' is an interviewer turn ('{speaker}') and is not coded; "
        f'make the label a participant first: workbench speakers PROJECT --set "{speaker}=participant"'
    )
