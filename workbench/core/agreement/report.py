"""The ``workbench agreement`` command's report: one metric as an object, or a table of all."""

from __future__ import annotations

from pathlib import Path

from workbench.core.agreement.compute import (
    METRICS,
    NAMES,
    coded_metric,
    method_statement,
    rating_metric,
)
from workbench.core.agreement.data import (
    AgreementDataError,
    CodedData,
    project_data,
    read_ratings_csv,
)


def load_source(source: str, categories: list[str] | None) -> CodedData:
    if source.lower().endswith((".csv", ".tsv")) and Path(source).exists():
        return read_ratings_csv(source, categories)  # type: ignore[return-value]
    from workbench.core.store import Project  # not needed, and slow to import, for a CSV

    with Project.open(source) as project:
        return project_data(project)


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
) -> tuple[dict[str, object], bool]:
    """Compute what the CLI asked for; returns the JSON-ready report and whether it failed."""
    data = load_source(source, categories)
    if isinstance(data, CodedData):
        if level not in (None, "set", "nominal"):
            raise AgreementDataError(
                f"--level {level}: coded (set-valued) data is nominal per code; use --level set"
            )
        data = data.select(coders=coders, codes=codes)
        if weights != "identity":
            raise AgreementDataError("--weights needs ordered single ratings, not sets of codes")
        compute = lambda name: coded_metric(data, name, distance, ci)  # noqa: E731
    else:
        if codes:
            raise AgreementDataError("--codes applies to coded (set-valued) data")
        if coders:
            keep = [
                data.coders.index(c) if c in data.coders else _unknown(c, data.coders)
                for c in coders
            ]
            data.values, data.coders = data.values[:, keep], coders
        if level == "set":
            raise AgreementDataError(
                "--level set needs set-valued data (several rows per unit and coder)"
            )
        chosen_level = level or "nominal"
        compute = lambda name: rating_metric(data, name, chosen_level, weights, ci)  # noqa: E731
    if metric is not None:
        result = compute(metric).to_dict(with_ci=ci)
        result["method"] = method_statement(data, metric, distance, ci, level or "nominal")
        return result, False
    table = [compute(name).to_dict(with_ci=ci) for name in METRICS]
    return {
        "source": source,
        "units": len(data.units),
        "coders": data.coders,
        "metrics": table,
        "method": method_statement(data, "alpha", distance, ci, level or "nominal"),
    }, False


def _unknown(name: str, known: list[str]) -> int:
    raise AgreementDataError(f"unknown coder '{name}'; known: {', '.join(known)}")


def _number(value: object) -> str:
    return "undefined" if value is None else f"{value:.3f}"


def format_report(report: dict[str, object]) -> str:
    lines = []
    rows = report.get("metrics", [report])
    if "metrics" in report:
        lines.append(
            f"{report['source']}: {report['units']} units, coders: {', '.join(report['coders'])}"
        )  # type: ignore[arg-type]
    for row in rows:  # type: ignore[union-attr]
        ci = f"  [{row['ci95'][0]:.3f}, {row['ci95'][1]:.3f}]" if row.get("ci95") else ""
        why = f"  ({row['reason']})" if row["reason"] else f"  {row['interpretation']}"
        lines.append(
            f"{NAMES[row['metric']]:<24} {_number(row['value']):>9}{ci}  n={row['units']}{why}"
        )
        for code, item in (row.get("per_code") or {}).items():
            reason = f" ({item['reason']})" if item["reason"] else ""
            lines.append(f"    {code:<30} {_number(item['value']):>9}  n={item['units']}{reason}")
    lines.append("")
    lines.append(str(report.get("method", "")))
    return "\n".join(lines)
