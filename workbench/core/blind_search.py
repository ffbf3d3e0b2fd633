"""Blind coding for search and retrieval: what a view, its export, ``workbench search``,
``export`` and ``report`` may show to the person who runs them.

The app's table hid other coders' codes, but the rows it held still carried them, so "Export
view…" wrote every coder's codes and selections to a file a coder takes to a meeting. The
rule lives here, beside no widget, so the export, the CLI and the table all apply the same one:
``roles.may_see_others`` (leads, or everyone while blind coding is off).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from workbench.core.roles import RoleError, may_see_others
from workbench.core.store import Project
from workbench.core.store.raters import coder_kinds
from workbench.core.store.search import SearchError, SearchFilters, SearchResult


def restricted_to(extra: Mapping[str, object], blind: bool, name: str) -> str | None:
    """The coder whose codes alone ``name`` may see (``name``), or None when they see all."""
    return None if may_see_others(extra, blind, name) else name


def seen_by(result: SearchResult, coder: str | None) -> SearchResult:
    """A copy of ``result`` holding only ``coder``'s codes and coded selections (all of them
    when ``coder`` is None). A copy, so a lead's view kept elsewhere is never thinned."""
    if coder is None:
        return result
    hits = [
        replace(
            hit,
            codes={c: list(v) for c, v in hit.codes.items() if c == coder},
            selections={c: list(v) for c, v in hit.selections.items() if c == coder},
        )
        for hit in result.hits
    ]
    return replace(result, hits=hits)


def blind_filters(filters: SearchFilters, coder: str) -> SearchFilters:
    """The filters a coder may search with under blind coding: what the app offers them.

    "In disagreement" and another coder's codings would reveal others' codes through which
    passages match, so they are refused with the reason; ``--code`` alone means the coder's own
    codings ("coded by me"), as the app's blind scopes do.
    """
    if filters.disagreement:
        raise SearchError(
            f"--disagreement: blind coding is on and '{coder}' is not a lead: "
            "only a lead sees where coders differ"
        )
    if filters.engine:
        return filters
    if filters.coder is not None and filters.coder != coder:
        raise SearchError(
            f"--coder: blind coding is on: '{coder}' cannot search the codings of '{filters.coder}'"
        )
    if filters.code is not None:
        return replace(filters, coder=coder)
    return filters


def refuse_comparison(extra: Mapping[str, object], blind: bool, name: str, what: str) -> None:
    """Refuse ``what`` (a report that compares coders) to a coder under blind coding, in the
    one line the app shows: no thinning can make a comparison of coders blind."""
    if not may_see_others(extra, blind, name):
        raise RoleError(
            f"--as: blind coding is on and '{name}' is not a lead: {what} compares coders' "
            "codes, so only a lead may write it"
        )


def blind_export_coder(
    extra: Mapping[str, object], blind: bool, name: str, coder: str | None, qdpx: bool
) -> str | None:
    """The coder an export by ``name`` must be limited to (None: every coder's codes, as a
    lead's export). Under blind coding a coder's export is their own blind export; a file for
    another coder, or a REFI-QDA project (it carries every coder), is refused with the reason.
    """
    only = restricted_to(extra, blind, name)
    if only is None:
        return coder
    if coder is not None and coder != only:
        raise RoleError(
            f"--coder: blind coding is on: '{only}' cannot export the codes of '{coder}'"
        )
    if qdpx:
        raise RoleError(
            f"--as: blind coding is on and '{only}' is not a lead: a .qdpx carries every "
            "coder's codes; export .csv, .xlsx or .parquet for a file of your own codes"
        )
    return only


def require_known_coder(project: Project, name: str, what: str) -> None:
    """Refuse ``what`` for an ``--as`` name the project has no coder of: a typo ('Ana' for
    'ana') would otherwise give a report of nobody's codings that reads like a coder's own."""
    with project.reading() as conn:
        known = coder_kinds(conn)
    if name not in known:
        raise RoleError(
            f"--as: '{name}' has no decisions or memos in {project.shown_location} yet, so "
            f"{what} would be empty (blind coding is on: a coder sees only their own)"
        )
