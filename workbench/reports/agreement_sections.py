"""Sections of the agreement report that appear only when the project has their data: the
text selected inside passages (unitizing alpha) and the anchoring experiment.

Each is one small function of the result object the CLI prints from, so the report and the
command line cannot say different things.
"""

from __future__ import annotations

from workbench.core.agreement.anchoring import LABELS, MEASURES, AnchoringResult, Estimate
from workbench.core.agreement.unitizing import UnitizingResult, plural, unitizing_statement
from workbench.core.anchoring_arms import AFTER, BEFORE
from workbench.reports.model import Section, Table, Text

UNITIZING_COLUMNS = [
    "code",
    "name",
    "uα",
    "uα CI low",
    "uα CI high",
    "characters selected (all coders)",
    "interpretation",
    "(k)uα",
    "(k)uα coverage",
]
ANCHORING_COLUMNS = [
    "code",
    "acceptance before",
    "acceptance after",
    "difference",
    "difference CI low",
    "difference CI high",
]


def _round(value: object) -> float | None:
    return None if value is None else round(float(value), 4)  # type: ignore[arg-type]


def _value_text(value: float | None, ci: tuple[float, float] | None, reason: str | None) -> str:
    if value is None:
        return f"undefined ({reason})"
    interval = f", 95% CI {ci[0]:.3f} to {ci[1]:.3f}" if ci else ""
    return f"{value:.3f}{interval}"


def unitizing_sections(result: UnitizingResult, names: dict[str, str]) -> list[Section]:
    """The headline, the per-code table and the method paragraph for unitizing alpha."""
    headline = Text(
        "Agreement on the text selected inside passages",
        [
            f"Krippendorff's unitizing alpha among the human coders: uα "
            f"{_value_text(result.value, result.ci95, result.reason)}"
            + (f"; {result.interpretation}" if result.value is not None else "")
            + f". Coded against uncoded text (|uα): "
            f"{_value_text(result.binary, result.binary_ci95, result.binary_reason)}. "
            f"Codes of the text two coders both coded (cuα): "
            f"{_value_text(result.cu, result.cu_ci95, result.cu_reason)}"
            + (
                f", on {result.cu_coverage:.0%} of the pooled text. "
                if result.cu is not None
                else ". "
            )
            + f"{plural(result.continua, 'passage')} ({result.length:,} characters) from "
            f"{plural(result.groups, 'transcript')}, {plural(result.coders, 'coder')} "
            f"({', '.join(result.coder_names) or 'none'}).",
            unitizing_statement(result),
        ],
    )
    rows: list[list[object]] = []
    for code, row in result.per_code.items():
        ci = row["ci95"]
        rows.append(
            [
                code,
                names.get(code, code),
                _round(row["value"]),
                _round(ci[0]) if ci else None,  # type: ignore[index]
                _round(ci[1]) if ci else None,  # type: ignore[index]
                row["characters_selected"],
                row["interpretation"]
                if row["value"] is not None
                else f"undefined: {row['reason']}",
                _round(row["k_alpha"])
                if row["k_alpha"] is not None
                else f"undefined: {row['k_reason']}",
                _round(row["k_coverage"]),
            ]
        )
    for combination, row in result.combined.items():
        rows.append(
            [
                combination,
                "text coded with all of these",
                None,
                None,
                None,
                None,
                "",
                _round(row["k_alpha"])
                if row["k_alpha"] is not None
                else f"undefined: {row['k_reason']}",
                _round(row["k_coverage"]),
            ]
        )
    table = Table(
        "Unitizing agreement per code (human coders)",
        UNITIZING_COLUMNS,
        rows,
        note="uα per code: the text coders selected for the code against every other character "
        "of the passages, by character; (k)uα: the code within the text two coders both coded, "
        "and the share of the code's text that is (Krippendorff et al. 2016).",
    )
    return [headline, table]


def _estimate_cells(estimate: Estimate) -> list[object]:
    return [_round(estimate.value), _round(estimate.low), _round(estimate.high)]


def anchoring_sections(result: AnchoringResult) -> list[Section]:
    """The anchoring experiment's verdict, each measure by arm, per code, and the methods."""
    pct = f"{result.level:.0%}"
    measures = Table(
        "Anchoring experiment: suggestions shown before or after the first pass",
        ["measure", "before", "after", "difference (before − after)", f"{pct} interval"],
        [
            [
                LABELS[name],
                _round(getattr(result.overall, name).before.value),
                _round(getattr(result.overall, name).after.value),
                _round(getattr(result.overall, name).difference.value),
                _interval_text(getattr(result.overall, name).difference),
            ]
            for name in MEASURES
        ],
        note=f"{result.units[BEFORE]} coder-passage units before, {result.units[AFTER]} after; "
        f"{result.answered[BEFORE]} and {result.answered[AFTER]} suggested codes.",
    )
    per_code = Table(
        "Anchoring per code: acceptance rate",
        ANCHORING_COLUMNS,
        [
            [
                code,
                _round(figures.acceptance.before.value),
                _round(figures.acceptance.after.value),
                *_estimate_cells(figures.acceptance.difference),
            ]
            for code, figures in result.per_code.items()
        ],
        note="Codes never suggested in an arm have no rate there.",
    )
    paragraphs = [result.verdict] + ([result.methods] if result.methods else [])
    return [Text("Anchoring experiment", paragraphs), measures, per_code]


def _interval_text(estimate: Estimate) -> str:
    if estimate.low is None or estimate.high is None:
        return ""
    return f"{estimate.low:.3f} to {estimate.high:.3f}"
