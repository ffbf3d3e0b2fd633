"""Codebook health: where a codebook, not its coders, is the likely cause of trouble.

After an agreement round a lead asks which codes to split, merge, redefine or drop. The signs
are in the data already: codes nobody applies, codes the coders disagree on, pairs of codes one
coder applies where another applies the other (a swap, not an extra code), codes without an
example to anchor them, and definitions worded so alike that coders cannot tell them apart.
Each finding names its evidence (counts, alpha with n) so a lead can judge it, not obey it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np

from workbench.core.codebook import Codebook
from workbench.core.tasks import CancelToken, Progress

if TYPE_CHECKING:
    from workbench.core.agreement.data import CodedData
    from workbench.core.store.project import Project

LOW_ALPHA = 0.667  # Krippendorff's lowest level for tentative conclusions
NEAR_DUPLICATE = 0.5  # TF-IDF cosine between two definitions above which they read alike
MIN_CONFUSIONS = 2  # one swap is noise; two on different passages is a pattern


@dataclass(frozen=True)
class LowAgreement:
    code: str
    alpha: float
    passages: int  # n: passages coded by two or more human coders


@dataclass(frozen=True)
class ConfusedPair:
    first: str
    second: str
    count: int  # passages (per pair of coders) where one applied first and the other second
    between: str  # "human coders", or "<engine> and human coders"


@dataclass(frozen=True)
class CloseDefinitions:
    first: str
    second: str
    similarity: float


@dataclass
class CodebookHealth:
    never_used: list[str] = field(default_factory=list)
    low_agreement: list[LowAgreement] = field(default_factory=list)
    confused: list[ConfusedPair] = field(default_factory=list)
    without_examples: list[str] = field(default_factory=list)
    close_definitions: list[CloseDefinitions] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @property
    def findings(self) -> int:
        return sum(len(items) for items in asdict(self).values())


def codes_without_examples(codebook: Codebook) -> list[str]:
    return [code.id for code in codebook.walk() if not code.examples]


def close_definitions(
    codebook: Codebook, threshold: float = NEAR_DUPLICATE
) -> list[CloseDefinitions]:
    """Pairs of definitions whose TF-IDF cosine is at least ``threshold``, closest first.

    Words common to every definition weigh little under TF-IDF, so two definitions score high
    only when they share the words that set them apart from the rest of the codebook.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    codes = list(codebook.walk())
    if len(codes) < 2:
        return []
    try:
        matrix = TfidfVectorizer(stop_words="english").fit_transform(
            [code.definition for code in codes]
        )
    except ValueError:  # every definition is stop words only: nothing to compare
        return []
    similarity = cosine_similarity(matrix)
    found = [
        CloseDefinitions(codes[i].id, codes[j].id, round(float(similarity[i, j]), 3))
        for i, j in combinations(range(len(codes)), 2)
        if similarity[i, j] >= threshold
    ]
    return sorted(found, key=lambda pair: (-pair.similarity, pair.first, pair.second))


def swap_counts(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """codes × codes: passages where one coder applied A without B and the other B without A.

    ``first`` and ``second`` are passages × codes (bool) of two coders on the passages both
    reviewed. Only a swap counts: a coder who adds B beside A has not confused them. The result
    is symmetric (either coder may hold either code); the diagonal is zero.
    """
    # float matrices go through BLAS (integer products do not); every count is a whole number
    # far below 2**53, so it comes back exact
    x, y = first.astype(np.float64), second.astype(np.float64)
    xy = x * y

    def one_way(a: np.ndarray, b: np.ndarray, ab: np.ndarray) -> np.ndarray:
        # sum over passages of a_A (1 - a_B) b_B (1 - b_A), expanded into matrix products
        return a.T @ b - a.T @ ab - ab.T @ b + ab.T @ ab

    counts = np.rint(one_way(x, y, xy)).astype(np.int64)
    counts = counts + counts.T
    np.fill_diagonal(counts, 0)
    return counts


def _related(codebook: Codebook, first: str, second: str) -> bool:
    """A parent and its descendant are not a confusion: coding the parent is coarser, not wrong."""
    return second in codebook.descendants(first) or first in codebook.descendants(second)


def confused_pairs(
    data: CodedData,
    codebook: Codebook,
    humans: list[str],
    engines: list[str],
    minimum: int = MIN_CONFUSIONS,
) -> list[ConfusedPair]:
    """Swapped pairs among the human coders, then between each engine and the humans."""
    coder_at = {name: i for i, name in enumerate(data.coders)}

    def total(pairs: list[tuple[str, str]]) -> np.ndarray:
        counts = np.zeros((len(data.codes), len(data.codes)), dtype=np.int64)
        for a, b in pairs:
            i, j = coder_at[a], coder_at[b]
            both = data.reviewed[:, i] & data.reviewed[:, j]
            counts += swap_counts(data.present[both, i, :], data.present[both, j, :])
        return counts

    groups = [("human coders", list(combinations(humans, 2)))]
    groups += [(f"{engine} and human coders", [(engine, h) for h in humans]) for engine in engines]
    found: list[ConfusedPair] = []
    for between, pairs in groups:
        if not pairs:
            continue
        counts = total(pairs)
        for i, j in zip(*np.nonzero(np.triu(counts >= minimum)), strict=True):
            first, second = data.codes[i], data.codes[j]
            if not _related(codebook, first, second):
                found.append(ConfusedPair(first, second, int(counts[i, j]), between))
    return sorted(found, key=lambda p: (p.between != "human coders", -p.count, p.first, p.second))


def codebook_health(
    project: Project,
    low_alpha: float = LOW_ALPHA,
    close_threshold: float = NEAR_DUPLICATE,
    min_confusions: int = MIN_CONFUSIONS,
    codebook_version: int | None = None,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
    data: CodedData | None = None,
) -> CodebookHealth:
    """Every finding for the project's current codebook and its coders' decisions (or for
    stored version ``codebook_version`` and the codings made under it). ``progress`` and
    ``cancel`` let the app run it on a worker thread with a Cancel button. ``data`` is the
    project's coded data when the caller has read it already (the agreement report): reading
    it again costs seconds on a large project."""
    from workbench.core.agreement.compute import code_metric
    from workbench.core.agreement.data import project_data
    from workbench.core.agreement.raters import choose_raters

    def step(done: int, total: int, what: str) -> None:
        if cancel is not None:
            cancel.raise_if_cancelled()
        if progress is not None:
            progress(done, total, what)

    codebook = (
        project.codebook if codebook_version is None else project.codebook_at(codebook_version)
    )
    assert codebook is not None
    step(0, 4, "reading the codings")
    if data is None:
        data = project_data(project, codebook_version=codebook_version)
    step(1, 4, "comparing definitions")
    choice = choose_raters(data)
    humans, engines = choice.humans, choice.engines
    health = CodebookHealth(
        without_examples=codes_without_examples(codebook),
        close_definitions=close_definitions(codebook, close_threshold),
    )
    human_data = data.select(coders=humans) if humans else None
    applied = (
        set()
        if human_data is None
        else {c for i, c in enumerate(human_data.codes) if human_data.present[:, :, i].any()}
    )
    for code in codebook.walk():
        if code.id not in applied and not applied.intersection(codebook.descendants(code.id)):
            health.never_used.append(code.id)
    step(2, 4, "agreement per code")
    if human_data is not None and len(humans) >= 2:
        for index, code_id in enumerate(human_data.codes):
            if cancel is not None:
                cancel.raise_if_cancelled()
            if code_id not in applied:
                continue
            result = code_metric(human_data, index, "alpha")
            if result.value is not None and result.value < low_alpha:
                health.low_agreement.append(
                    LowAgreement(code_id, round(result.value, 3), result.units)
                )
    step(3, 4, "confused pairs")
    health.confused = confused_pairs(data, codebook, humans, engines, min_confusions)
    step(4, 4, "done")
    return health


def health_lines(health: CodebookHealth) -> list[str]:
    """The findings as plain lines, for the terminal."""
    lines = [f"codes never used by a human coder: {', '.join(health.never_used) or 'none'}"]
    lines.append(
        "codes with low agreement (alpha < .667):" + ("" if health.low_agreement else " none")
    )
    lines += [
        f"  {f.code}: alpha {f.alpha:.3f}, n = {f.passages} passages" for f in health.low_agreement
    ]
    lines.append("codes confused with each other:" + ("" if health.confused else " none"))
    lines += [
        f"  {p.first} / {p.second}: swapped on {p.count} passages ({p.between})"
        for p in health.confused
    ]
    lines.append(f"codes without examples: {', '.join(health.without_examples) or 'none'}")
    lines.append("definitions that read alike:" + ("" if health.close_definitions else " none"))
    lines += [
        f"  {p.first} / {p.second}: TF-IDF cosine {p.similarity:.2f}"
        for p in health.close_definitions
    ]
    return lines
