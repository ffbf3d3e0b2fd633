"""Who coded what under one codebook version, replayed from the decision log.

``codings`` and ``reviews`` hold the state now; a study that changed its codebook also needs the
state each coder left under an earlier version, so agreement and findings can be reported per
version. Each decision carries the version it was made under (``decisions.codebook_version``), so
the log is replayed in order and a (passage, coder) pair is taken as it stood after that coder's
last own decision under the version. Decisions a codebook migration appended (carried, archived)
are the tool's, not the coder's: they change the replayed state but do not make a pair count as
coded under the new version.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, select

from workbench.core.store import schema

# Every decision ``apply_migration`` writes has this in its reason (see codebook_migration).
MIGRATION_REASON_MARK = "codebook migration to v"


@dataclass
class VersionCodings:
    """(passage row id, coder row id) pairs reviewed under the version, and their codes then."""

    version: int
    reviewed: set[tuple[int, int]] = field(default_factory=set)
    applied: dict[tuple[int, int], set[str]] = field(default_factory=dict)

    def reviewers_by_passage(self) -> dict[int, set[int]]:
        found: dict[int, set[int]] = {}
        for passage_id, coder_id in self.reviewed:
            found.setdefault(passage_id, set()).add(coder_id)
        return found


def is_migration_reason(reason: str | None) -> bool:
    return bool(reason) and MIGRATION_REASON_MARK in str(reason)


def codings_under_version(conn: Connection, version: int) -> VersionCodings:
    """Replay every decision in log order; keep each pair's state after its coder's last own
    decision under ``version`` (only pairs that were reviewed then)."""
    d = schema.decisions
    state: dict[tuple[int, int], tuple[bool, set[str]]] = {}
    kept: dict[tuple[int, int], tuple[bool, frozenset[str]]] = {}
    rows = conn.execute(
        select(
            d.c.passage_id,
            d.c.coder_id,
            d.c.action,
            d.c.code_id,
            d.c.codebook_version,
            d.c.reason,
        ).order_by(d.c.id)
    )
    for passage_id, coder_id, action, code_id, made_under, reason in rows:
        key = (passage_id, coder_id)
        reviewed, codes = state.get(key, (False, set()))
        # the same state changes as ``coding.record_decision`` makes
        if action == "apply":
            codes.add(code_id)
            reviewed = True
        elif action == "remove":
            codes.discard(code_id)
        elif action == "no_code":
            codes.clear()
            reviewed = True
        elif action == "reject":
            reviewed = True
        elif action == "unreview":
            reviewed = False
        state[key] = (reviewed, codes)
        if made_under == version and action != "revert" and not is_migration_reason(reason):
            kept[key] = (reviewed, frozenset(codes))
    found = VersionCodings(version)
    for key, (was_reviewed, held) in kept.items():
        if was_reviewed:
            found.reviewed.add(key)
            found.applied[key] = set(held)
    return found


def codebook_versions(conn: Connection) -> list[int]:
    """The version numbers the project has stored, oldest first."""
    v = schema.codebook_versions
    return sorted(set(conn.execute(select(v.c.version)).scalars()))
