"""Blind coding for search and retrieval: what a view, its export and ``workbench search``
may show to the person who runs them.

The app's table hid other coders' codes, but the rows it held still carried them, so "Export
view…" wrote every coder's codes and selections to a file a coder takes to a meeting. The
rule lives here, beside no widget, so the export, the CLI and the table all apply the same one:
``roles.may_see_others`` (leads, or everyone while blind coding is off).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from workbench.core.roles import may_see_others
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
            f"--coder: blind coding is on: '{coder}' cannot search '{filters.coder}''s codings"
        )
    if filters.code is not None:
        return replace(filters, coder=coder)
    return filters
