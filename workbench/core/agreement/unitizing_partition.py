"""One coder's selections in one passage as the consecutive pieces unitizing alpha compares:
units valued with the set of codes covering them, and gaps."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from workbench.core.agreement.unitizing_result import Segment


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """One code's selections of one coder, overlapping ones united (touching ones stay two)."""
    out: list[list[int]] = []
    for start, end in sorted(spans):
        if out and start < out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(a, b) for a, b in out]


def merged_by_code(segments: Sequence[Segment]) -> dict[str, list[tuple[int, int]]]:
    """Each code's units of one coder: its selections, overlapping ones united."""
    by_code: dict[str, list[tuple[int, int]]] = {}
    for code, start, end in segments:
        by_code.setdefault(code, []).append((start, end))
    return {code: _merged(spans) for code, spans in by_code.items()}


def pieces_of(
    length: int, merged: Mapping[str, list[tuple[int, int]]]
) -> list[tuple[frozenset[str], int, int]]:
    cuts = {0, length}
    for spans in merged.values():
        for start, end in spans:
            cuts.update((start, end))
    points = sorted(cuts)
    pieces = []
    for start, end in zip(points, points[1:], strict=False):
        value = frozenset(
            code for code, spans in merged.items() if any(a <= start and end <= b for a, b in spans)
        )
        pieces.append((value, start, end))
    return pieces


def partition(length: int, segments: Sequence[Segment]) -> list[tuple[frozenset[str], int, int]]:
    """The coder's continuum as consecutive (value, start, end) pieces; value ``GAP`` is a gap.

    Pieces are cut at every boundary of the coder's (merged) selections and valued with the set
    of codes covering them."""
    return pieces_of(length, merged_by_code(segments))


def overlaps(
    first: Sequence[tuple[int, int, int]], second: Sequence[tuple[int, int, int]]
) -> list[tuple[int, int, int]]:
    """(piece of first, piece of second, characters in common) for two sorted, disjoint lists
    of (value, start, end): a merge in one pass, so two coders are compared by their pieces,
    never character by character."""
    out = []
    i = j = 0
    while i < len(first) and j < len(second):
        _a, a_start, a_end = first[i]
        _b, b_start, b_end = second[j]
        common = min(a_end, b_end) - max(a_start, b_start)
        if common > 0:
            out.append((i, j, common))
        if a_end <= b_end:
            i += 1
        if b_end <= a_end:
            j += 1
    return out
