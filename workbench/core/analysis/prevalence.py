"""Corpus-scale prevalence that corrects for the LLM's errors: prediction-powered inference.

When an LLM has coded all N passages and humans a random sample of n, the naive share of the
LLM's codes is biased by its errors, and its interval (from N) is far too narrow. The
prediction-powered estimate (Angelopoulos et al., Science 2023) adds the average correction
measured on the human sample: theta = mean(LLM over N) - mean(LLM - human over n), with
variance var(LLM)/N + var(LLM - human)/n. It is valid whatever the LLM's quality; a good LLM
just makes it narrower.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from workbench.core.store import Project
from workbench.core.store.coding import human_coding
from workbench.core.store.raters import read_ratings

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Prevalence:
    estimate: float
    ci: tuple[float, float]
    naive: float
    naive_ci: tuple[float, float]
    n_all: int
    n_labelled: int


def ppi_mean(
    predictions_all: np.ndarray, predictions_labelled: np.ndarray, labels: np.ndarray
) -> Prevalence:
    """Prediction-powered estimate of a mean (here: a share) with a 95% interval."""
    f_all = np.asarray(predictions_all, dtype=float)
    f_lab = np.asarray(predictions_labelled, dtype=float)
    y = np.asarray(labels, dtype=float)
    if len(f_lab) != len(y) or len(y) < 2 or len(f_all) < 2:
        raise ValueError("needs at least two labelled units and two predicted units")
    rectifier = f_lab - y
    estimate = f_all.mean() - rectifier.mean()
    se = math.sqrt(f_all.var(ddof=1) / len(f_all) + rectifier.var(ddof=1) / len(y))
    naive = f_all.mean()
    naive_se = math.sqrt(naive * (1 - naive) / len(f_all)) if 0 < naive < 1 else 0.0
    clip = lambda v: min(1.0, max(0.0, v))  # noqa: E731
    return Prevalence(
        estimate=float(clip(estimate)),
        ci=(clip(estimate - Z95 * se), clip(estimate + Z95 * se)),
        naive=float(naive),
        naive_ci=(clip(naive - Z95 * naive_se), clip(naive + Z95 * naive_se)),
        n_all=len(f_all),
        n_labelled=len(y),
    )


def project_prevalence(
    project: Project, code: str, engine: str | None = None, min_confidence: float = 0.5
) -> Prevalence:
    """A code's share of coded passages: an engine's codes on every passage it saw (its latest
    suggestions there, at ``min_confidence`` or more), corrected by the passages humans
    reviewed. The human-reviewed passages must be a random sample (draw them with
    ``workbench sample``), or the interval is not valid."""
    with project.reading() as conn:
        ratings = read_ratings(conn, min_confidence=min_confidence)
        reviewed, applied = human_coding(conn)
    engines = sorted(name for name, kind in ratings.kinds.items() if kind == "engine")
    if not engines:
        raise ValueError("no engine suggestions in the project")
    chosen = engine or engines[0]
    units = sorted(pid for pid, name in ratings.reviewed if name == chosen)
    flagged = {
        pid for (pid, name), codes in ratings.applied.items() if name == chosen and code in codes
    }
    labelled = [pid for pid in units if pid in reviewed]
    predictions_all = np.array([pid in flagged for pid in units])
    predictions_labelled = np.array([pid in flagged for pid in labelled])
    labels = np.array([code in applied.get(pid, set()) for pid in labelled])
    return ppi_mean(predictions_all, predictions_labelled, labels)
