"""Writing roles, assignments and team settings: read fresh, checked, changed, audit-logged.

Each change re-reads the settings inside its own write transaction, so two leads changing
different settings at once both keep their change (the cached settings of a long-open app
would otherwise write back a stale copy). Assignments are kept in the settings JSON rather
than rebuilt from audit records: one row read gives every coder's queue, the audit log still
records who assigned what, and replacing a queue is one atomic write.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import Connection, select

from workbench.core.errors import DecisionError, ProjectError
from workbench.core.roles import (
    CODER,
    ENGINES,
    LEAD,
    assignments_of,
    no_lead_error,
    require_lead,
    roles_of,
)
from workbench.core.store import schema
from workbench.core.store.audit import append_audit
from workbench.core.store.coding import CoderKind, check_coder_name
from workbench.core.store.project import Project, ProjectSettings


def _fresh(conn: Connection) -> ProjectSettings:
    raw = conn.execute(
        select(schema.meta.c.value).where(schema.meta.c.key == "settings")
    ).scalar_one()
    return ProjectSettings.from_json(raw)


def change_settings(
    project: Project,
    actor: str,
    *,
    blind: bool | None = None,
    suggestions_after_first_pass: bool | None = None,
    engines: Sequence[str] | None = None,
    leads: Sequence[str] = (),
    coders: Sequence[str] = (),
    actor_option: str | None = None,
    lead_option: str | None = None,
    actor_advice: str | None = None,
    leads_field: str = "leads",
    coders_field: str = "coders",
    engines_field: str = "engines",
) -> dict[str, object]:
    """Apply the lead's changes; returns what changed (empty when nothing did).

    ``actor_option`` is the command-line option that names ``actor`` (``--as``), for the hint
    when ``actor`` is not a lead; the app, which has no options, gives its own ``actor_advice``
    instead. ``lead_option`` is the one that names a lead (``--lead``), for the hint when no
    lead would remain (``NoLeadError``). The ``*_field`` names say where the refused value was
    given (the command line's options, the dialog's field labels), so that each front end's
    messages name what its user typed into."""
    leads = [_role_name(name, leads_field) for name in leads]
    coders = [_role_name(name, coders_field) for name in coders]
    unknown = [e for e in engines or () if e not in ENGINES]
    if unknown:
        raise ProjectError(
            f"{engines_field}: unknown engine {', '.join(unknown)} "
            f"(choose from {', '.join(ENGINES)})"
        )
    both = sorted(set(leads) & set(coders))
    if both:
        raise ProjectError(f"{', '.join(both)}: named both {leads_field} and {coders_field}")
    with project.transaction() as conn:
        current = _fresh(conn)
        require_lead(
            current.extra, actor, "change the project settings", actor_option, actor_advice
        )
        changed: dict[str, object] = {}
        new = current
        if blind is not None and blind != current.blind_coding:
            new = replace(new, blind_coding=blind)
            changed["blind_coding"] = blind
        if (
            suggestions_after_first_pass is not None
            and suggestions_after_first_pass != current.suggestions_after_first_pass
        ):
            new = replace(new, suggestions_after_first_pass=suggestions_after_first_pass)
            changed["suggestions_after_first_pass"] = suggestions_after_first_pass
        extra = dict(current.extra)
        if engines is not None and list(engines) != extra.get("engines"):
            extra["engines"] = list(engines)
            changed["engines"] = list(engines)
        roles = roles_of(extra)
        for names, role in ((leads, LEAD), (coders, CODER)):
            for name in names:
                if roles.get(name) != role:
                    roles[name] = role
                    changed.setdefault("roles", {})[name] = role  # type: ignore[index]
        if roles and LEAD not in roles.values():
            raise no_lead_error(lead_option)
        extra["roles"] = roles
        if not changed:
            return {}
        project.store_settings(conn, replace(new, extra=extra))
        append_audit(conn, actor, "settings.update", changed)
    project.forget_cached()
    return changed


def _role_name(name: str, option: str) -> str:
    """A role's name as a decisions file would accept the coder (stripped, no control
    characters, not a reserved name): an empty lead would be listed as ' (lead)' and match no
    one, an escape character would reach every terminal that lists the roles."""
    try:
        return check_coder_name(name, CoderKind.HUMAN)
    except DecisionError as exc:
        raise ProjectError(f"{option}: {exc}") from None


def assign_transcripts(
    project: Project,
    lead: str,
    coder: str,
    transcripts: Sequence[str],
    source: str = "",
    lead_option: str | None = None,
) -> list[str]:
    """Add transcripts to ``coder``'s queue (kept in order, none twice); returns the queue.

    Every id is checked first: an unknown one refuses the whole assignment, naming it. Once
    roles are set, ``coder`` must hold one: a mistyped name would get a queue nobody sees.
    """
    if not coder.strip():
        raise ProjectError("--coder: a coder name is needed")
    coder = _role_name(coder, "--coder")
    wanted = list(dict.fromkeys(t.strip() for t in transcripts if t.strip()))
    if not wanted:
        raise ProjectError(f"{source or '--transcripts'}: no transcript ids to assign")
    t = schema.transcripts
    with project.transaction() as conn:
        current = _fresh(conn)
        require_lead(current.extra, lead, "assign transcripts", lead_option)
        roles = roles_of(current.extra)
        if roles and coder not in roles:
            raise ProjectError(
                f"--coder {coder}: not in this project's roles ({', '.join(sorted(roles))}); "
                f"a lead adds them first: workbench settings PROJECT --coder {coder}"
            )
        known: set[str] = set()
        for start in range(0, len(wanted), 500):  # under SQLite's limit on bound parameters
            chunk = wanted[start : start + 500]
            known.update(
                conn.execute(select(t.c.external_id).where(t.c.external_id.in_(chunk))).scalars()
            )
        missing = [w for w in wanted if w not in known]
        if missing:
            shown = ", ".join(missing[:5]) + (
                f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            )
            raise ProjectError(
                f"{source or '--transcripts'}: no such transcript in the project: {shown}"
            )
        assignments = assignments_of(current.extra)
        queue = assignments.get(coder, [])
        added = [w for w in wanted if w not in queue]
        assignments[coder] = queue + added
        extra = {**current.extra, "assignments": assignments}
        project.store_settings(conn, replace(current, extra=extra))
        append_audit(
            conn,
            lead,
            "assign",
            {"coder": coder, "transcripts": added, "source": source or "--transcripts"},
        )
    project.forget_cached()
    return assignments[coder]
