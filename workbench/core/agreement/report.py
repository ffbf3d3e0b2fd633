"""The ``workbench agreement`` command's result: one metric as an object, or a table of all.

Every number printed and every sentence around it come from the ``MetricResult`` objects made
here; the text rendering below only formats them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.core.agreement.compute import (
    METRICS,
    coded_metric,
    interpret,
    method_statement,
    rating_metric,
)
from workbench.core.agreement.data import (
    AgreementDataError,
    CodedData,
    RatingData,
    project_data,
    read_ratings_csv,
)
from workbench.core.agreement.engines import compare_engines
from workbench.core.agreement.raters import choose_raters

if TYPE_CHECKING:
    from workbench.core.codebook import Codebook
    from workbench.core.store import Project


def is_ratings_file(source: str) -> bool:
    return source.lower().endswith((".csv", ".tsv")) and Path(source).exists()


def agreement_command(
    source: str,
    metric: str | None = None,
    level: str | None = None,
    distance: str = "masi",
    weights: str = "identity",
    categories: list[str] | None = None,
    coders: list[str] | None = None,
    codes: list[str] | None = None,
    ci: bool = False,
    include_engines: bool = False,
    by: str | None = None,
    tree_level: str | None = None,
    codebook_version: int | None = None,
) -> dict[str, object]:
    """Compute what the CLI asked for, as one JSON-ready object. ``codebook_version``: only the
    codings made under that stored version (a project only)."""

    def coded(project: Project | None, data: CodedData) -> dict[str, object]:
        return _coded_report(
            source, project, data, metric, level, distance, weights, coders, codes, ci,
            include_engines, by if project is not None else None,
        )  # fmt: skip

    if is_ratings_file(source):
        if by is not None:
            raise AgreementDataError("--by needs a project: a ratings file has no metadata")
        if tree_level is not None:
            raise AgreementDataError("--tree-level needs a project: a ratings file has no tree")
        if codebook_version is not None:
            raise AgreementDataError(
                "--codebook-version needs a project: a ratings file has no codebook"
            )
        data = read_ratings_csv(source, categories)
        if isinstance(data, RatingData):
            return _rating_report(source, data, metric, level, weights, coders, codes, ci)
        return coded(None, data)
    from workbench.core.store import Project  # not needed, and slow to import, for a CSV

    with Project.open(source) as project:
        codebook = (
            project.codebook if codebook_version is None else project.codebook_at(codebook_version)
        )
        if codebook is None:
            raise AgreementDataError(f"{source}: the project has no codebook")
        data = project_data(project, codebook_version=codebook_version)
        if tree_level is not None:
            _check_coded_options(level, weights)
            report = _tree_report(
                source, codebook, data, tree_level, metric, distance, coders, ci, include_engines
            )
        else:
            report = coded(project, data)
        report["codebook"] = codebook_statement(codebook, codebook_version)
        return report


def codebook_statement(codebook: Codebook, chosen: int | None) -> dict[str, object]:
    """Which codebook a project's figures stand on, and which codings (for the report)."""
    return {
        "name": codebook.name,
        "version": codebook.version,
        "codings": (
            "as they are now"
            if chosen is None
            else f"made under version {chosen} (each coder's state after their last decision "
            "under it)"
        ),
    }


def _tree_report(
    source: str,
    codebook: Codebook,
    data: CodedData,
    tree_level: str,
    metric: str | None,
    distance: str,
    coders: list[str] | None,
    ci: bool,
    include_engines: bool,
) -> dict[str, object]:
    """The metric at one level of the code tree, or at every level (``all``)."""
    from workbench.core.agreement.tree import agreement_by_level, tree_depth

    if tree_level == "all":
        levels = list(range(1, tree_depth(codebook) + 1))
    elif tree_level.isdigit():
        levels = [int(tree_level)]
    else:
        raise AgreementDataError(f"--tree-level {tree_level}: a level number (1 = top) or 'all'")
    choice = choose_raters(data, coders, include_engines)
    rated = data.select(coders=choice.raters)
    found = agreement_by_level(rated, codebook, metric or "alpha", distance, ci, levels)
    report: dict[str, object] = {
        "source": source,
        "raters": choice.to_dict(),
        "levels": [item.to_dict(with_ci=ci) for item in found],
        "method": method_statement(found[0].result) + TREE_RULE,
    }
    if tree_depth(codebook) == 1:
        report["note"] = (
            "the code tree has one level (a flat list), so level 1 is the codes as coded"
        )
    return report


TREE_RULE = (
    " At level N of the code tree every code counts as its ancestor at that level (1 = the "
    "top-level codes), so a passage coded with any child of a parent counts as coded with the "
    "parent; a code shallower than N counts as itself."
)


def _check_coded_options(level: str | None, weights: str) -> None:
    """Refuse what coded data cannot honour, at the leaves or rolled up the tree alike."""
    if level not in (None, "set", "nominal"):
        raise AgreementDataError(
            f"--level {level}: coded (set-valued) data is nominal per code; use --level set"
        )
    if weights != "identity":
        raise AgreementDataError("--weights needs ordered single ratings, not sets of codes")


def _coded_report(
    source: str,
    project: Project | None,
    data: CodedData,
    metric: str | None,
    level: str | None,
    distance: str,
    weights: str,
    coders: list[str] | None,
    codes: list[str] | None,
    ci: bool,
    include_engines: bool,
    by: str | None,
) -> dict[str, object]:
    _check_coded_options(level, weights)
    choice = choose_raters(data, coders, include_engines)
    rated = data.select(coders=choice.raters, codes=codes)
    if metric is not None:
        headline = coded_metric(rated, metric, distance, ci)
        report: dict[str, object] = headline.to_dict(with_ci=ci)
    else:
        table = [coded_metric(rated, name, distance, ci) for name in METRICS]
        headline = table[METRICS.index("alpha")]
        report = {
            "source": source,
            "units": headline.units,
            "coders": list(headline.coder_names),
            "metrics": [result.to_dict(with_ci=ci) for result in table],
        }
    report["method"] = method_statement(headline)
    report["raters"] = choice.to_dict()
    engines_left_out = [e for e in choice.engines if e not in choice.raters]
    if engines_left_out and not coders:
        comparisons = compare_engines(data.select(codes=codes), engines_left_out, choice.humans)
        report["engines"] = [c.to_dict() for c in comparisons]
    if by is not None:
        from workbench.core.agreement.strata import agreement_by, strata_note

        assert project is not None
        strata = agreement_by(project, rated, by, metric or "alpha", distance)
        report["by"] = {"field": by, "strata": [s.to_dict() for s in strata]}
        note = strata_note(by, strata)
        if note is not None:
            report["by"]["note"] = note  # type: ignore[index]
    return report


def _rating_report(
    source: str,
    data: RatingData,
    metric: str | None,
    level: str | None,
    weights: str,
    coders: list[str] | None,
    codes: list[str] | None,
    ci: bool,
) -> dict[str, object]:
    if codes:
        raise AgreementDataError("--codes applies to coded (set-valued) data")
    if coders:
        keep = [
            data.coders.index(c) if c in data.coders else _unknown(c, data.coders) for c in coders
        ]
        data = RatingData(data.units, list(coders), data.categories, data.values[:, keep])
    if level == "set":
        raise AgreementDataError(
            "--level set needs set-valued data (several rows per unit and coder)"
        )
    chosen_level = level or "nominal"
    if metric is not None:
        headline = rating_metric(data, metric, chosen_level, weights, ci)
        report: dict[str, object] = headline.to_dict(with_ci=ci)
    else:
        table = [rating_metric(data, name, chosen_level, weights, ci) for name in METRICS]
        headline = table[METRICS.index("alpha")]
        report = {
            "source": source,
            "units": headline.units,
            "coders": list(headline.coder_names),
            "metrics": [result.to_dict(with_ci=ci) for result in table],
        }
    report["method"] = method_statement(headline)
    return report


def _unknown(name: str, known: list[str]) -> int:
    raise AgreementDataError(f"unknown coder '{name}'; known: {', '.join(known)}")


COEFFICIENT_FORMAT = ".3f"


def coefficient_text(value: object) -> str:
    """A coefficient as a person reads it. The reports' writers format with this too, once and
    from the same unrounded number, so a report and this command never differ in a digit."""
    return "undefined" if value is None else format(value, COEFFICIENT_FORMAT)


def _number(value: object) -> str:
    return coefficient_text(value)


def _interval(row: dict) -> str:
    ci = row.get("ci95")
    return f"  [{coefficient_text(ci[0])}, {coefficient_text(ci[1])}]" if ci else ""


def _metric_line(row: dict) -> str:
    why = f"  ({row['reason']})" if row["reason"] else f"  {row['interpretation']}"
    return f"{row['label']:<44} {_number(row['value']):>9}{_interval(row)}  n={row['units']}{why}"


def format_report(report: dict[str, Any]) -> str:
    """The report as text for people; the same numbers as ``--json``."""
    lines = []
    rows = report.get("metrics", [] if "levels" in report else [report])
    book = report.get("codebook")
    if isinstance(book, dict):
        lines.append(f"codebook '{book['name']}' v{book['version']}; codings {book['codings']}")
    if "metrics" in report:
        coders = ", ".join(report["coders"]) or "none"
        lines.append(
            f"{report['source']}: {report['units']} units coded by two or more coders; "
            f"coders: {coders}"
        )
    raters = report.get("raters")
    if isinstance(raters, dict):
        lines.append(f"raters: {raters['rule']} ({', '.join(raters['raters']) or 'none'})")
    for row in rows:
        lines.append(_metric_line(row))
        for code, item in (row.get("per_code") or {}).items():
            reason = f" ({item['reason']})" if item["reason"] else ""
            lines.append(
                f"    {code:<30} {_number(item['value']):>9}{_interval(item)}  "
                f"n={item['units']}{reason}"
            )
    if report.get("note"):
        lines.append(str(report["note"]))
    for item in report.get("levels", []):
        lines.append(f"level {item['tree_level']}: {_metric_line(item)}")
        for code, row in (item.get("per_code") or {}).items():
            reason = f" ({row['reason']})" if row["reason"] else ""
            lines.append(
                f"    {code:<30} {_number(row['value']):>9}{_interval(row)}  "
                f"n={row['units']}{reason}"
            )
    by = report.get("by")
    if isinstance(by, dict):
        lines.append("")
        lines.append(f"by {by['field']}:")
        for stratum in by["strata"]:
            lines.append(f"    {stratum['stratum']:<20} {_metric_line(stratum)}")
        if by.get("note"):
            lines.append(f"    {by['note']}")
    engines = report.get("engines")
    if engines:
        lines.append("")
        lines.append("engines against the human coders (not counted as raters above):")
        for item in engines:
            lines.append(f"  {item['engine']}: {item['verdict']}")
            lines.append(f"    {item['sentence']}")
    lines.append("")
    lines.append(str(report.get("method", "")))
    return "\n".join(lines)


def unitizing_command(
    source: str,
    coders: list[str] | None = None,
    codes: list[str] | None = None,
    ci: bool = False,
    include_engines: bool = False,
) -> dict[str, object]:
    """``agreement --unitizing``: uα among the chosen raters, as one JSON-ready object."""
    if is_ratings_file(source):
        raise AgreementDataError("--unitizing needs a project: a ratings file has no selections")
    from workbench.core.agreement.unitizing import unitizing_statement
    from workbench.core.agreement.unitizing_source import project_unitizing
    from workbench.core.store import Project

    with Project.open(source) as project:
        choice = choose_raters(project_data(project), coders, include_engines)
        if codes:
            known = {code.id for code in project.codebook.walk()} if project.codebook else set()
            for code in codes:
                if code not in known:
                    raise AgreementDataError(f"--codes: '{code}' is not a code of the codebook")
        result = project_unitizing(project, choice.raters, codes, ci)
    report: dict[str, object] = {"source": source, **result.to_dict()}
    report["raters"] = choice.to_dict()
    report["method"] = unitizing_statement(result)
    return report


def _k_alpha(row: dict[str, Any]) -> str:
    if row["k_alpha"] is None:
        return f"(k)uα   undefined ({row['k_reason']})"
    return f"(k)uα {_number(row['k_alpha']):>9}  covering {row['k_coverage']:.0%} of its text"


def format_unitizing(report: dict[str, Any]) -> str:
    """The unitizing report as text for people; the same numbers as ``--json``."""
    from workbench.core.agreement.unitizing import plural

    names = ", ".join(report["coder_names"]) or "none"
    lines = [
        f"{report['source']}: {plural(report['passages'], 'passage')} "
        f"({plural(report['characters'], 'character')}, "
        f"{plural(report['transcripts'], 'transcript')}) reviewed by two or more coders; "
        f"coders: {names}",
        f"raters: {report['raters']['rule']} ({', '.join(report['raters']['raters']) or 'none'})",
    ]
    overall = {"value": report["value"], "reason": report["reason"], "ci95": report["ci95"]}
    binary = {
        "value": report["binary"],
        "reason": report["binary_reason"],
        "ci95": report["binary_ci95"],
    }
    coding = {"value": report["cu"], "reason": report["cu_reason"], "ci95": report["cu_ci95"]}
    for label, row in (
        ("uα (every code)", overall),
        ("|uα (coded or not)", binary),
        ("cuα (codes of jointly coded text)", coding),
    ):
        why = f"  ({row['reason']})" if row["reason"] else ""
        reading = f"  {interpret('alpha', row['value'])}" if row["value"] is not None else ""
        lines.append(f"{label:<34} {_number(row['value']):>9}{_interval(row)}{reading}{why}")
    if report["cu"] is not None:
        lines.append(f"{'':<34} covering {report['cu_coverage']:.0%} of the pooled text")
    if report["per_code"]:
        lines.append("per code: uα (its text against the rest); (k)uα (within jointly coded text)")
    for code, row in report["per_code"].items():
        why = f"  ({row['reason']})" if row["reason"] else ""
        reading = f"  {row['interpretation']}" if row["value"] is not None else ""
        lines.append(
            f"    {code:<30} {_number(row['value']):>9}{_interval(row)}{reading}  "
            f"{row['characters_selected']:,} characters selected (all coders){why}"
        )
        lines.append(f"    {'':<30} {_k_alpha(row)}")
    for name, row in report.get("combined", {}).items():
        lines.append(f"    {name:<30} {_k_alpha(row)} (text coded with all of these)")
    lines.append("")
    lines.append(str(report["method"]))
    return "\n".join(lines)
