"""Which speaker labels are interviewers: the label listing, re-flagging, and the lead's changes.

A label's role decides whether its passages are coded (``passages.coded``). When a lead turns a
label into an interviewer, passages that coders already worked on become context. Their
decisions are never deleted: they stay in the append-only log, the change is written to the
audit log with the passages it touched, and ``decisions_on_interviewer_passages`` lists them
whenever asked, so the question "what was coded on turns that are not coded any more?" always
has an answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from sqlalchemy import Connection, func, select

from workbench.core.errors import ProjectError
from workbench.core.speaker_labels import Role
from workbench.core.store import schema
from workbench.core.store.audit import append_audit
from workbench.core.store.chunks import in_chunks
from workbench.core.store.queries import passage_key

if TYPE_CHECKING:
    from workbench.core.store.project import Project, ProjectSettings


@dataclass(frozen=True)
class LabelSummary:
    """One speaker label of the project, as the ``speakers`` command and the lead dialog show it."""

    label: str
    role: Role
    default_role: Role
    set_by_lead: bool
    passages: int
    decisions: int

    def to_dict(self) -> dict[str, object]:
        return {
            "label": self.label,
            "role": self.role.value,
            "default_role": self.default_role.value,
            "set_by_lead": self.set_by_lead,
            "passages": self.passages,
            "decisions": self.decisions,
        }


@dataclass
class StandingDecisions:
    """Decisions kept on passages that are not coded: per coder, how many and on which passages."""

    # coder -> the passage key of each of their decisions
    by_coder: dict[str, list[str]] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return sum(len(keys) for keys in self.by_coder.values())

    def to_dict(self) -> dict[str, object]:
        return {
            "count": self.count,
            "by_coder": {
                coder: {"decisions": len(keys), "passages": sorted(set(keys))}
                for coder, keys in sorted(self.by_coder.items())
            },
        }


@dataclass
class RoleChange:
    """What ``set_speaker_roles`` did: the roles set, the passages re-flagged, decisions kept."""

    roles: dict[str, str]
    to_interviewer: list[str]
    to_participant: list[str]
    kept: StandingDecisions

    def to_dict(self) -> dict[str, object]:
        return {
            "roles": self.roles,
            "to_interviewer": self.to_interviewer,
            "to_participant": self.to_participant,
            "decisions_kept": self.kept.to_dict(),
        }


def reflag_coded_passages(conn: Connection, settings: ProjectSettings) -> list[int]:
    """Set ``passages.coded`` by the rule used at import; returns the ids of passages changed."""
    passages, transcripts = schema.passages, schema.transcripts
    pairs = conn.execute(
        select(passages.c.speaker, transcripts.c.has_speakers)
        .join(transcripts, transcripts.c.id == passages.c.transcript_id)
        .distinct()
    ).all()
    changed: list[int] = []
    for speaker, has_speakers in pairs:
        coded = settings.is_coded_speaker(speaker, bool(has_speakers))
        in_transcripts = select(transcripts.c.id).where(transcripts.c.has_speakers == has_speakers)
        wrong = (
            passages.c.speaker.is_(None) if speaker is None else passages.c.speaker == speaker,
            passages.c.transcript_id.in_(in_transcripts),
            passages.c.coded != coded,
        )
        ids = list(conn.execute(select(passages.c.id).where(*wrong)).scalars())
        for batch in in_chunks(ids):
            conn.execute(passages.update().where(passages.c.id.in_(batch)).values(coded=coded))
        changed += ids
    return changed


def label_summaries(conn: Connection, settings: ProjectSettings) -> list[LabelSummary]:
    """Every speaker label with its role, passage count and decisions, most passages first."""
    passages, decisions = schema.passages, schema.decisions
    counts = conn.execute(
        select(passages.c.speaker, func.count())
        .where(passages.c.speaker.is_not(None))
        .group_by(passages.c.speaker)
    ).all()
    decided: dict[str, int] = dict(
        conn.execute(
            select(passages.c.speaker, func.count())
            .select_from(passages)
            .join(decisions, decisions.c.passage_id == passages.c.id)
            .where(passages.c.speaker.is_not(None))
            .group_by(passages.c.speaker)
        ).all()
    )
    rows = [
        LabelSummary(
            label,
            settings.speaker_role(label),
            settings.default_speaker_role(label),
            label in settings.speaker_roles,
            count,
            decided.get(label, 0),
        )
        for label, count in counts
    ]
    return sorted(rows, key=lambda row: (-row.passages, row.label))


def decisions_on_interviewer_passages(
    conn: Connection, passage_ids: Iterable[int] | None = None
) -> StandingDecisions:
    """Decisions standing on passages that are not coded (all of them, or among ``passage_ids``)."""
    passages, decisions, coders, transcripts = (
        schema.passages,
        schema.decisions,
        schema.coders,
        schema.transcripts,
    )
    query = (
        select(coders.c.name, transcripts.c.external_id, passages.c.position)
        .select_from(decisions)
        .join(passages, passages.c.id == decisions.c.passage_id)
        .join(transcripts, transcripts.c.id == passages.c.transcript_id)
        .join(coders, coders.c.id == decisions.c.coder_id)
        .where(passages.c.coded.is_(False))
        .order_by(coders.c.name, decisions.c.id)
    )
    rows: list = []
    if passage_ids is None:
        rows = list(conn.execute(query))
    else:
        for batch in in_chunks(passage_ids):
            rows += conn.execute(query.where(passages.c.id.in_(batch)))
    standing = StandingDecisions()
    for coder, external_id, position in rows:
        standing.by_coder.setdefault(coder, []).append(passage_key(external_id, position))
    return standing


def uncoded_passages(conn: Connection, passage_ids: Iterable[int]) -> dict[int, str | None]:
    """Among ``passage_ids``, those that are not coded, with their speaker label."""
    passages = schema.passages
    found: dict[int, str | None] = {}
    for batch in in_chunks(passage_ids):
        found.update(
            conn.execute(
                select(passages.c.id, passages.c.speaker).where(
                    passages.c.id.in_(batch), passages.c.coded.is_(False)
                )
            ).all()
        )
    return found


def set_speaker_roles(project: Project, roles: Mapping[str, Role], actor: str) -> RoleChange:
    """Record the lead's roles for these labels and re-flag their passages, in one transaction.

    Refuses a label that no passage has (a typo would otherwise be stored silently). Decisions
    on passages that became interviewer turns are kept and reported, never deleted.
    """
    settings = project.settings
    with project.transaction() as conn:
        known = set(
            conn.execute(
                select(schema.passages.c.speaker)
                .where(schema.passages.c.speaker.is_not(None))
                .distinct()
            ).scalars()
        )
        unknown = sorted(label for label in roles if label not in known)
        if unknown:
            raise ProjectError(
                f"{project.shown_location}: no passage has the speaker label '{unknown[0]}' "
                f"(labels: {', '.join(sorted(known)) or 'none'}; labels are case-sensitive)"
            )
        chosen = {label: Role(role).value for label, role in roles.items()}
        new = replace(settings, speaker_roles={**settings.speaker_roles, **chosen})
        changed = project.store_settings(conn, new)
        keys = _passage_keys(conn, changed)
        uncoded = uncoded_passages(conn, changed)
        change = RoleChange(
            chosen,
            sorted(keys[i] for i in changed if i in uncoded),
            sorted(keys[i] for i in changed if i not in uncoded),
            decisions_on_interviewer_passages(conn, uncoded),
        )
        append_audit(conn, actor, "speakers.set", change.to_dict())
    return change


def _passage_keys(conn: Connection, passage_ids: list[int]) -> dict[int, str]:
    passages, transcripts = schema.passages, schema.transcripts
    keys: dict[int, str] = {}
    for batch in in_chunks(passage_ids):
        rows = conn.execute(
            select(passages.c.id, transcripts.c.external_id, passages.c.position)
            .join(transcripts, transcripts.c.id == passages.c.transcript_id)
            .where(passages.c.id.in_(batch))
        )
        keys.update(
            (pid, passage_key(external_id, position)) for pid, external_id, position in rows
        )
    return keys
