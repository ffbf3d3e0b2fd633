"""A report table whose every column is a header and the value under it, written side by side.

Keeping the header list and the row list apart lets them drift (a column added to one and not
the other shifts every value after it under the wrong header); here they cannot.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from workbench.reports.model import Table

T = TypeVar("T")


def column_table(
    title: str,
    columns: Sequence[tuple[str, Callable[[T], object]]],
    items: Iterable[T],
    note: str = "",
    primary: bool = False,
    formats: dict[str, str] | None = None,
) -> Table:
    """One row per item, one cell per (header, value of the item) column."""
    return Table(
        title,
        [header for header, _ in columns],
        [[value(item) for _, value in columns] for item in items],
        note=note,
        primary=primary,
        formats=dict(formats or {}),
    )
