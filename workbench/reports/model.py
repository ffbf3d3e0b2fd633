"""What a report is made of, independent of the file format it is written to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass
class Text:
    title: str | None
    paragraphs: list[str]


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: Sequence[Sequence[object]]  # read only: a row of str is a row of objects too
    note: str = ""
    primary: bool = False  # the table a CSV export holds
    # column -> format spec (".2f", ".0%") where the CLI shows that figure otherwise than a
    # coefficient; rows keep full values and only the writer formats (reports.numbers)
    formats: dict[str, str] = field(default_factory=dict)


@dataclass
class BarChart:
    """Horizontal bars with optional 95% intervals and reference lines (e.g. .667 and .800)."""

    title: str
    labels: list[str]
    values: list[float | None]
    intervals: list[tuple[float, float] | None] = field(default_factory=list)
    minimum: float = 0.0
    maximum: float = 1.0
    references: list[float] = field(default_factory=list)
    percent: bool = False


@dataclass
class Heatmap:
    title: str
    row_labels: list[str]
    column_labels: list[str]
    values: list[list[float | None]]
    note: str = ""


Section = Text | Table | BarChart | Heatmap


@dataclass
class Report:
    title: str
    subtitle: str
    sections: list[Section]

    def tables(self) -> list[Table]:
        return [s for s in self.sections if isinstance(s, Table)]
