"""Sections of the agreement report that appear only when the project has their data: the
text selected inside passages (unitizing alpha) and the anchoring experiment.

Each is one small function of the result object the CLI prints from, so the report and the
command line cannot say different things.
"""

from __future__ import annotations

from workbench.core.agreement.anchoring import LABELS, MEASURES, AnchoringResult, Estimate
from workbench.core.agreement.report import coefficient_text
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


# The CLI prints these as shares of text (``covering 42% of its text``) and the anchoring
# figures at two places (``Estimate.text``); every other float is a coefficient (3 places).
COVERAGE = ".0%"
ANCHORING = ".2f"


def _value_text(value: object, ci: object, reason: object) -> str:
    """A figure and its interval as ``agreement --unitizing`` prints them: from ``to_dict``'s
    numbers, by the CLI's own formatting function."""
    if value is None:
        return f"undefined ({reason})"
    interval = (
        f", 95% CI {coefficient_text(ci[0])} to {coefficient_text(ci[1])}"  # type: ignore[index]
        if ci
        else ""
    )
    return f"{coefficient_text(value)}{interval}"


def unitizing_sections(result: UnitizingResult, names: dict[str, str]) -> list[Section]:
    """The headline, the per-code table and the method paragraph for unitizing alpha. Every
    number is the one ``agreement --unitizing`` prints from (``to_dict``), unrounded here."""
    printed = result.to_dict()
    headline = Text(
        "Agreement on the text selected inside passages",
        [
            f"Krippendorff's unitizing alpha among the human coders: uα "
            f"{_value_text(printed['value'], printed['ci95'], result.reason)}"
            + (f"; {result.interpretation}" if result.value is not None else "")
            + f". Coded against uncoded text (|uα): "
            f"{_value_text(printed['binary'], printed['binary_ci95'], result.binary_reason)}. "
            f"Codes of the text two coders both coded (cuα): "
            f"{_value_text(printed['cu'], printed['cu_ci95'], result.cu_reason)}"
            + (
                f", on {printed['cu_coverage']:{COVERAGE}} of the pooled text. "
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
                row["value"],
                ci[0] if ci else None,  # type: ignore[index]
                ci[1] if ci else None,  # type: ignore[index]
                row["characters_selected"],
                row["interpretation"]
                if row["value"] is not None
                else f"undefined: {row['reason']}",
                row["k_alpha"] if row["k_alpha"] is not None else f"undefined: {row['k_reason']}",
                row["k_coverage"],
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
                row["k_alpha"] if row["k_alpha"] is not None else f"undefined: {row['k_reason']}",
                row["k_coverage"],
            ]
        )
    table = Table(
        "Unitizing agreement per code (human coders)",
        UNITIZING_COLUMNS,
        rows,
        formats={"(k)uα coverage": COVERAGE},
        note="uα per code: the text coders selected for the code against every other character "
        "of the passages, by character; (k)uα: the code within the text two coders both coded, "
        "and the share of the code's text that is (Krippendorff et al. 2016).",
    )
    return [headline, table]


def _estimate_cells(estimate: Estimate) -> list[object]:
    return [estimate.value, estimate.low, estimate.high]


def anchoring_sections(result: AnchoringResult) -> list[Section]:
    """The anchoring experiment's verdict, each measure by arm, per code, and the methods."""
    pct = f"{result.level:.0%}"
    measures = Table(
        "Anchoring experiment: suggestions shown before or after the first pass",
        ["measure", "before", "after", "difference (before − after)", f"{pct} interval"],
        [
            [
                LABELS[name],
                getattr(result.overall, name).before.value,
                getattr(result.overall, name).after.value,
                getattr(result.overall, name).difference.value,
                _interval_text(getattr(result.overall, name).difference),
            ]
            for name in MEASURES
        ],
        formats=dict.fromkeys(["before", "after", "difference (before − after)"], ANCHORING),
        note=f"{result.units[BEFORE]} coder-passage units before, {result.units[AFTER]} after; "
        f"{result.answered[BEFORE]} and {result.answered[AFTER]} suggested codes.",
    )
    per_code = Table(
        "Anchoring per code: acceptance rate",
        ANCHORING_COLUMNS,
        [
            [
                code,
                figures.acceptance.before.value,
                figures.acceptance.after.value,
                *_estimate_cells(figures.acceptance.difference),
            ]
            for code, figures in result.per_code.items()
        ],
        formats=dict.fromkeys(ANCHORING_COLUMNS[1:], ANCHORING),
        note="Codes never suggested in an arm have no rate there.",
    )
    paragraphs = [result.verdict] + ([result.methods] if result.methods else [])
    return [Text("Anchoring experiment", paragraphs), measures, per_code]


def _interval_text(estimate: Estimate) -> str:
    if estimate.low is None or estimate.high is None:
        return ""
    return f"{estimate.low:{ANCHORING}} to {estimate.high:{ANCHORING}}"  # as Estimate.text
