"""Who may do what in a team project: leads manage, coders code, blind coding holds.

Roles and assignments live in the project settings' ``extra`` (``roles``, ``assignments``), so
no schema change was needed and a project made before roles existed opens unchanged: with no
role set everyone acts as a lead. Once a lead is named, lead-only actions check the acting
name. On SQLite this is a workflow guard, not security: whoever has the file can edit it.
"""

from __future__ import annotations

from collections.abc import Mapping

from workbench.core.errors import ProjectError

LEAD, CODER = "lead", "coder"
ROLES = (LEAD, CODER)
ENGINES = ("local", "claude")


class RoleError(ProjectError):
    """A coder tried a lead-only action; the message names who may do it instead."""


class NoLeadError(RoleError):
    """A change would leave a project with roles and no lead: nobody could change them back.
    Its own type, so that each front end can say in its own words where a lead is named."""


def no_lead_error(option: str | None = None) -> NoLeadError:
    """The refusal, with the command-line ``option`` that names a lead when there is one; the
    app gives its own hint (its field, not an option a GUI user never sees)."""
    message = "a project with roles needs at least one lead"
    return NoLeadError(f"{message}; name one with {option}" if option else message)


def roles_of(extra: Mapping[str, object]) -> dict[str, str]:
    """Name -> role as stored; a malformed entry is left out rather than trusted."""
    stored = extra.get("roles")
    if not isinstance(stored, dict):
        return {}
    return {str(name): role for name, role in stored.items() if role in ROLES}


def leads_of(extra: Mapping[str, object]) -> list[str]:
    return sorted(name for name, role in roles_of(extra).items() if role == LEAD)


def is_lead(extra: Mapping[str, object], name: str) -> bool:
    """True for a lead, and for everyone while no lead is named (projects from before roles)."""
    leads = leads_of(extra)
    return not leads or name in leads


def require_lead(
    extra: Mapping[str, object],
    name: str,
    action: str,
    option: str | None = None,
    advice: str | None = None,
) -> None:
    """Refuse ``action`` to a coder with one line naming the project's leads, and, from the
    command line, the ``option`` that names who acts (else the login name was taken). A front
    end without options gives its own ``advice`` instead: the app's user never typed one."""
    if is_lead(extra, name):
        return
    leads = ", ".join(leads_of(extra))
    hint = f"give a lead's name with {option} NAME" if option else "run it as a lead"
    how = advice or hint
    raise RoleError(
        f"'{name}' is not a lead of this project: only a lead ({leads}) can {action} "
        f"({how}, or ask one)"
    )


def may_see_others(extra: Mapping[str, object], blind: bool, name: str) -> bool:
    """Other coders' codes and the agreement panel: for everyone when not blind, else leads."""
    return not blind or is_lead(extra, name)


def assignments_of(extra: Mapping[str, object]) -> dict[str, list[str]]:
    """Coder -> transcript ids assigned, in the order the lead gave them."""
    stored = extra.get("assignments")
    if not isinstance(stored, dict):
        return {}
    return {
        str(coder): [str(t) for t in items]
        for coder, items in stored.items()
        if isinstance(items, list)
    }


def queue_of(extra: Mapping[str, object], coder: str) -> list[str]:
    return assignments_of(extra).get(coder, [])


def engines_allowed(extra: Mapping[str, object]) -> list[str]:
    stored = extra.get("engines")
    if not isinstance(stored, list):
        return list(ENGINES)
    return [engine for engine in stored if engine in ENGINES]


def require_engine(extra: Mapping[str, object], engine: str) -> None:
    allowed = engines_allowed(extra)
    if engine not in allowed:
        raise ProjectError(
            f"the project's settings allow only the engines {', '.join(allowed) or '(none)'}; "
            f"a lead can change that with 'workbench settings PROJECT --engines "
            f"{','.join([*allowed, engine])}'"
        )
