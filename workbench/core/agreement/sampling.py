"""Choosing passages for double coding: a stratified random sample, and how many to draw.

Reliability is measured on a sample coded twice. Strata (a metadata field such as group or
language) are sampled in proportion to their size, each with at least one passage, so small
groups are not left out; the draw is seeded so a lead can reproduce it.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from workbench.core.errors import DecisionError
from workbench.core.safe_output import atomic_output, neutralise_row
from workbench.core.store import Project
from workbench.core.store.audit import append_audit, audit_events
from workbench.core.store.queries import (
    metadata_values,
    passage_key,
    passages_to_code,
    split_passage_key,
)
from workbench.core.store.raters import passages_reviewed_by

Z95 = 1.959963984540054


def sample_size_for_width(width: float, expected: float = 0.8) -> int:
    """Passages needed for a 95% interval of total ``width`` around an agreement near ``expected``.

    Uses the normal approximation for a proportion (percent agreement): n = z² p(1-p) / (w/2)².
    Chance-corrected coefficients vary more, so treat it as a floor and check the bootstrap
    interval of the coded sample.
    """
    if not 0 < width < 1 or not 0 < expected < 1:
        raise ValueError("width and expected agreement must be between 0 and 1")
    return math.ceil(Z95**2 * expected * (1 - expected) / (width / 2) ** 2)


Z80 = 0.8416212335729143  # the one-sided z of power 0.8


def anchoring_sample_size(effect: float, expected_acceptance: float = 0.5) -> int:
    """Suggestions (a code suggested on a coder's passage) needed in each arm of the anchoring experiment to detect a
    difference ``effect`` in acceptance rate from ``expected_acceptance`` (two-sided
    significance .05, power .8): the two-proportion formula without continuity correction
    (Fleiss, Levin & Paik 2003, §4.2; R's ``power.prop.test``)
    n = (z_a sqrt(2 p q) + z_b sqrt(p1 q1 + p2 q2))² / effect², p the mean of p1 and p2.

    The report pools answers over coders, so n is a total per arm, shared among the coders;
    with one suggestion a passage that is 2n coder-passages. It treats answers as
    independent, so take it as a floor: answers of one coder, or of several coders on one
    passage, are correlated, and the bootstrap interval is wider for it."""
    p1, p2 = expected_acceptance, expected_acceptance + effect
    if not 0 < expected_acceptance < 1 or effect == 0 or not 0 < p2 < 1:
        raise ValueError(
            "the expected acceptance and the acceptance plus the effect must lie strictly "
            "between 0 and 1, and the effect must not be 0"
        )
    mean = (p1 + p2) / 2
    root = Z95 * math.sqrt(2 * mean * (1 - mean)) + Z80 * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    return math.ceil(root**2 / effect**2)


@dataclass(frozen=True)
class AnchoringSize:
    """The anchoring experiment's size in the units a lead plans with. The report pools answers
    over coders, so the per-arm figure is a total: both arms' worth of coder-passages at one
    suggestion each, shared among the coders. The app's sampler shows it and ``sentence`` is
    the line the CLI prints, so both say the same thing from one computation."""

    effect: float
    expected_acceptance: float
    suggestions_per_arm: int
    coders: int = 1

    @property
    def coder_passages(self) -> int:
        return 2 * self.suggestions_per_arm

    @property
    def passages_per_coder(self) -> int:
        return math.ceil(self.coder_passages / self.coders)

    def sentence(self) -> str:
        share = (
            f"{self.passages_per_coder} passages for each of {self.coders} coders"
            if self.coders > 1
            else "all by one coder"
        )
        return (
            f"{self.suggestions_per_arm} suggestions per arm, pooled over coders, to detect a "
            f"difference of {self.effect:g} in acceptance from {self.expected_acceptance:g} "
            f"(two-sided significance .05, power .8): {self.coder_passages} coder-passages at "
            f"one suggestion a passage, {share}"
        )


def anchoring_size(
    effect: float, expected_acceptance: float = 0.5, coders: int = 1
) -> AnchoringSize:
    """``anchoring_sample_size`` with the totals a lead plans with; raises ValueError as it does,
    and for fewer than one coder."""
    if coders < 1:
        raise ValueError("the coders sharing the experiment must be at least 1")
    per_arm = anchoring_sample_size(effect, expected_acceptance)
    return AnchoringSize(effect, expected_acceptance, per_arm, coders)


def stratified_sample(
    project: Project,
    size: int,
    by: str | None = None,
    seed: int = 1,
    exclude_reviewed_by: str | None = None,
) -> dict[str, list[str]]:
    """Passage keys per stratum (metadata value, or "all"), proportional to stratum size."""
    with project.reading() as conn:
        rows = passages_to_code(conn)
        strata_of = metadata_values(conn, by) if by else {}
        excluded = passages_reviewed_by(conn, exclude_reviewed_by) if exclude_reviewed_by else set()
    strata: dict[str, list[str]] = defaultdict(list)
    for passage_id, position, external_id in rows:
        if passage_id not in excluded:
            strata[strata_of.get(external_id, "(none)") if by else "all"].append(
                passage_key(external_id, position)
            )
    total = sum(len(keys) for keys in strata.values())
    if total == 0:
        return {}
    size = min(size, total)
    rng = np.random.default_rng(seed)
    shares = {name: len(keys) / total * size for name, keys in strata.items()}
    counts = {name: max(1, math.floor(share)) for name, share in shares.items()}
    leftover = size - sum(counts.values())
    for name in sorted(shares, key=lambda n: shares[n] - math.floor(shares[n]), reverse=True)[
        : max(0, leftover)
    ]:
        counts[name] += 1
    sample = {
        name: sorted(rng.choice(keys, size=min(counts[name], len(keys)), replace=False).tolist())
        for name, keys in sorted(strata.items())
    }
    with project.transaction() as conn:  # the report says how the double-coded units were drawn
        append_audit(
            conn,
            "workbench",
            "sample.draw",
            {
                "size": sum(len(v) for v in sample.values()),
                "by": by,
                "seed": seed,
                "strata": {name: len(keys) for name, keys in sample.items()},
                "excluding_reviewed_by": exclude_reviewed_by,
            },
        )
    return sample


def sampling_history(project: Project) -> list[dict[str, object]]:
    """Every sample drawn in this project, oldest first (from the audit log)."""
    with project.reading() as conn:
        events = audit_events(conn, "sample.draw")
    return [{"at": str(at)[:19], **detail} for at, detail in events]


def write_sample_csv(sample: dict[str, list[str]], by: str | None, path: str | Path) -> int:
    """Write the drawn passages as ``passage_id,<field>`` rows; returns the number of rows.

    One writer for the command line and the app, so both files are written whole or not at
    all and a stratum named like a formula stays text in a spreadsheet.
    """
    count = 0
    with atomic_output(path, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(neutralise_row(["passage_id", by or "stratum"]))
        for name, keys in sample.items():
            writer.writerows(neutralise_row((key, name)) for key in keys)
            count += len(keys)
    return count


def transcripts_of_keys(keys: Iterable[str]) -> list[str]:
    """The transcripts a drawn sample touches, in the order it drew them (for assigning)."""
    return list(dict.fromkeys(split_passage_key(key)[0] for key in keys))


def read_sample_csv(path: str | Path) -> list[str]:
    """The transcripts of a sample file (``passage_id`` column), checked row by row.

    A row that is not a passage id is refused naming its line: assigning half a sample would
    leave a coder without the passages the lead meant them to double-code.
    """
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except OSError as exc:
        raise DecisionError(f"{path}: cannot read the sample: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise DecisionError(f"{path}: not a UTF-8 CSV file") from exc
    if not rows or "passage_id" not in [cell.strip() for cell in rows[0]]:
        raise DecisionError(f"{path}:1: expected a header with a passage_id column")
    column = [cell.strip() for cell in rows[0]].index("passage_id")
    keys = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        value = row[column].strip() if column < len(row) else ""
        try:
            split_passage_key(value)
        except DecisionError as exc:
            raise DecisionError(f"{path}:{line}: passage_id: {exc}") from exc
        keys.append(value)
    if not keys:
        raise DecisionError(f"{path}: the sample lists no passages")
    return transcripts_of_keys(keys)
