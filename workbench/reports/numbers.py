"""How a report shows a number: once, by the writer, with the rule the CLI prints by.

A builder puts each figure in the report model as the number the CLI formats its own text from
(never pre-rounded), and names a display format only for a column the CLI shows otherwise (a
share as a percentage, the anchoring figures at two places). Rounding in the builder and again
in the writer once turned .58349 into .5835 and then .584 beside the CLI's .583.
"""

from __future__ import annotations

import re

from workbench.core.agreement.report import COEFFICIENT_FORMAT
from workbench.reports.model import Table

_SPEC = re.compile(r"\.(\d+)([f%g])")
# p-values: significant digits, so a tiny one reads 1.23e-08 and never 0.000, which would claim
# certainty; a spreadsheet shows it whole ("General")
P_VALUE = ".3g"


def column_formats(table: Table) -> list[str]:
    """Each column's format spec: the table's own, else the coefficient rule (3 places)."""
    return [table.formats.get(column, COEFFICIENT_FORMAT) for column in table.columns]


def shown(value: float, spec: str = COEFFICIENT_FORMAT) -> str:
    """The number as HTML and PDF print it."""
    return format(value, spec)


def excel_format(spec: str = COEFFICIENT_FORMAT) -> str:
    """The spreadsheet number format that displays like ``spec`` while the cell keeps the full
    value, so a reviewer sees the report's digits and can still recompute from the cell."""
    match = _SPEC.fullmatch(spec)
    if match is None:
        raise ValueError(f"no spreadsheet format for '{spec}': use .Nf, .N% or .Ng")
    if match[2] == "g":
        return "General"
    digits = int(match[1])
    places = "0." + "0" * digits if digits else "0"
    return places + ("%" if match[2] == "%" else "")
