"""The local engine learns from the team's decisions, and says how well it does.

Human decisions label passages: a code a human applied is a positive; a passage a human
reviewed without that code (including a rejected suggestion) is a negative. A team has a few
dozen decisions long before it has hundreds, and 30-odd codes share them, so most codes have
one to five examples: too few for a classifier per code (one was tried: on the sample study's
reference coding it did worse than the codebook alone). What works with that little is a
prototype per code (Rocchio): the codebook's description, counting as two examples, plus every
passage coded with it, in the same TF-IDF stem space the codebook start uses. Passages reviewed
with no code make a "nothing applies" prototype of their own, which silences greetings and
small talk. The similarity a code needs is chosen from the decisions themselves, by scoring
each reviewed passage against prototypes built without it (leave-one-out) and taking the
threshold with the best F1. Features come from the passages themselves, so a team coding
Spanish interviews teaches the engine Spanish.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from workbench.core.codebook import Code, Codebook
from workbench.core.store import Project
from workbench.core.store.decision_log import latest_decision_id
from workbench.core.tasks import CancelToken, Progress
from workbench.suggest.calibration import calibration_report
from workbench.suggest.engine import PassageInput, Suggestion, SuggestionEngine
from workbench.suggest.labels import MIN_LABELLED, Labelled, human_labels, local_model_name
from workbench.suggest.local import (
    LocalEngine,
    code_prototype,
    evidence_spans,
    in_batches,
    stems,
)

CODEBOOK_WEIGHT = 2.0  # the codebook's description counts as this many coded passages


class LearnedEngine(LocalEngine):
    """Prototype-per-code suggestions learned from human decisions; see the module docstring."""

    learns = True

    def __init__(self, labelled: Sequence[Labelled], codebook: Codebook, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.trained_on = len(labelled)
        self.model = local_model_name(len(labelled))
        self.leaves = [code for code in codebook.walk() if not code.children]
        texts = [item.passage.text for item in labelled]
        prototypes = [code_prototype(code) for code in self.leaves]
        self._vectorizer = TfidfVectorizer(analyzer=stems, sublinear_tf=True)
        self._vectorizer.fit(prototypes + texts)
        examples = self._vectorizer.transform(texts)  # rows have unit length
        positives = np.array(
            [[code.id in item.codes for code in self.leaves] for item in labelled], dtype=float
        ).reshape(len(labelled), len(self.leaves))
        nothing = np.array([not item.codes for item in labelled], dtype=float)
        sums = CODEBOOK_WEIGHT * self._vectorizer.transform(prototypes).toarray()
        sums += (sparse.csr_matrix(positives.T) @ examples).toarray()
        nothing_sum = (sparse.csr_matrix(nothing[None, :]) @ examples).toarray().ravel()
        self._centroids = _unit_rows(sums)
        self.learned_codes = sorted(
            code.id for code, count in zip(self.leaves, positives.sum(axis=0)) if count
        )
        self.threshold, uses_nothing = _choose_threshold(
            examples, positives, sums, nothing, nothing_sum
        )
        # The "nothing applies" prototype, when the decisions showed that it helps.
        self._nothing = _unit_rows(nothing_sum[None, :]) if uses_nothing else None

    def suggest(
        self,
        passages: Sequence[PassageInput],
        codebook: Codebook,
        progress: Progress | None = None,
        cancel: CancelToken | None = None,
    ) -> list[Suggestion]:
        results: list[Suggestion] = []
        for chunk in in_batches(self.codable(passages), progress, cancel):
            features = self._vectorizer.transform([p.text for p in chunk])
            scores = np.asarray(features @ self._centroids.T)
            nothing = (
                np.asarray(features @ self._nothing.T).ravel()
                if self._nothing is not None
                else np.full(len(chunk), -1.0)
            )
            pairs: list[tuple[int, int]] = []
            for i, (row, none_score) in enumerate(zip(scores, nothing, strict=True)):
                if row.max() <= none_score:
                    continue  # closer to what the team marked "no code applies"
                pairs.extend(
                    (i, int(j))
                    for j in np.argsort(-row)[: self.max_per_passage]
                    if row[j] >= self.threshold
                )
            spans = evidence_spans(
                [p.text for p in chunk], pairs, self._vectorizer, self._centroids
            )
            results.extend(
                self._suggestion(chunk[i], self.leaves[j], float(scores[i, j]), span)
                for (i, j), span in zip(pairs, spans, strict=True)
            )
        return results

    def _suggestion(
        self, passage: PassageInput, code: Code, similarity: float, span: tuple[int, int]
    ) -> Suggestion:
        start, end = span
        # 0.5 at the threshold the decisions chose, 1.0 at twice that similarity: a score to
        # rank by, not a probability (the app shows it calibrated, see calibration.py).
        confidence = 0.5 + 0.5 * min(1.0, (similarity - self.threshold) / max(self.threshold, 1e-9))
        return Suggestion(
            passage_id=passage.passage_id,
            code_id=code.id,
            confidence=round(confidence, 3),
            evidence=passage.text[start:end],
            evidence_start=start,
            evidence_end=end,
            rationale=(
                f"Close to the passages your team coded '{code.name}' and to its definition "
                f"({self.trained_on} decisions learned from)."
                if code.id in self.learned_codes
                else f"Close to the codebook's description of '{code.name}'; no coded examples yet."
            ),
            engine=self.name,
            model=self.model,
            prompt_version=self.prompt_version,
        )


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=float)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)


def _choose_threshold(
    examples: sparse.csr_matrix,
    positives: np.ndarray,
    sums: np.ndarray,
    nothing: np.ndarray,
    nothing_sum: np.ndarray,
) -> tuple[float, bool]:
    """The similarity a code needs, and whether the "nothing applies" prototype helps: the
    choice with the best F1 when each reviewed passage is scored against prototypes built
    without it. Leaving a passage x out of a sum S is S - x, so its score is
    (x·S - x·x) / |S - x|, with |S - x|² = |S|² - 2 x·S + x·x: exact, no prototype rebuilt."""
    dots = np.asarray(examples @ sums.T)  # x·S for every passage and code
    own = positives * np.asarray(examples.multiply(examples).sum(axis=1))  # x·x where x ∈ S
    squared = (sums**2).sum(axis=1)[None, :]
    scores = (dots - own) / np.sqrt(np.maximum(squared - 2 * positives * dots + own, 1e-12))
    none_dots = np.asarray(examples @ nothing_sum).ravel()
    none_own = nothing * np.asarray(examples.multiply(examples).sum(axis=1)).ravel()
    none_squared = (nothing_sum**2).sum()
    none_scores = (none_dots - none_own) / np.sqrt(
        np.maximum(none_squared - 2 * nothing * none_dots + none_own, 1e-12)
    )
    truth = positives > 0
    best = (-1.0, 0.05, False)
    for threshold in np.unique(np.quantile(scores, np.linspace(0.5, 0.995, 60))):
        for use_nothing in (False, True) if nothing.any() else (False,):
            predicted = scores >= threshold
            if use_nothing:
                predicted &= (scores.max(axis=1) > none_scores)[:, None]
            hits = int((predicted & truth).sum())
            wrong = int((predicted & ~truth).sum()) + int((~predicted & truth).sum())
            f1 = 2 * hits / (2 * hits + wrong) if hits else 0.0
            if f1 > best[0]:
                best = (f1, float(threshold), use_nothing)
    return best[1], best[2]


def local_engine_for(project: Project, labelled: Sequence[Labelled] | None = None) -> LocalEngine:
    """The best local engine the project's decisions allow: learned if there are any."""
    codebook = project.codebook
    if labelled is None:
        labelled = human_labels(project) if codebook is not None else []
    if codebook is None or len(labelled) < MIN_LABELLED:
        return LocalEngine()
    return LearnedEngine(labelled, codebook)


@dataclass(frozen=True)
class CodeQuality:
    code_id: str
    support: int  # held-back positives
    precision: float | None
    recall: float | None


def score(
    suggested: dict[int, set[str]], truth: Sequence[Labelled], codes: list[str]
) -> tuple[list[CodeQuality], dict[str, float | None]]:
    """Precision and recall per code and micro-averaged, suggestions against human codes."""
    per_code = []
    tp_all = fp_all = fn_all = 0
    for code in codes:
        tp = sum(
            1
            for item in truth
            if code in item.codes and code in suggested.get(item.passage.passage_id, set())
        )
        fp = sum(
            1
            for item in truth
            if code not in item.codes and code in suggested.get(item.passage.passage_id, set())
        )
        fn = sum(
            1
            for item in truth
            if code in item.codes and code not in suggested.get(item.passage.passage_id, set())
        )
        tp_all, fp_all, fn_all = tp_all + tp, fp_all + fp, fn_all + fn
        per_code.append(
            CodeQuality(
                code,
                tp + fn,
                tp / (tp + fp) if tp + fp else None,
                tp / (tp + fn) if tp + fn else None,
            )
        )
    precision = tp_all / (tp_all + fp_all) if tp_all + fp_all else None
    recall = tp_all / (tp_all + fn_all) if tp_all + fn_all else None
    f1 = 2 * precision * recall / (precision + recall) if precision and recall else None
    return per_code, {"precision": precision, "recall": recall, "f1": f1}


def evaluate_local(project: Project, holdout: float = 0.3, seed: int = 7) -> dict[str, object]:
    """Train on part of the human decisions, test on the rest: codebook start versus learned."""
    codebook = project.codebook
    labelled = human_labels(project)
    calibration = calibration_report(project)
    if codebook is None or len(labelled) < MIN_LABELLED:
        return {
            "labelled_passages": len(labelled),
            "reason": f"needs at least {MIN_LABELLED} human-reviewed passages",
            "calibration": calibration,
        }
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(labelled))
    cut = int(len(labelled) * (1 - holdout))
    train = [labelled[i] for i in order[:cut]]
    test = [labelled[i] for i in order[cut:]]
    codes = [code.id for code in codebook.walk() if not code.children]
    report: dict[str, object] = {
        "labelled_passages": len(labelled),
        "trained_on": len(train),
        "held_back": len(test),
        "calibration": calibration,
    }
    for name, engine in (
        ("codebook_start", LocalEngine()),
        ("learned", LearnedEngine(train, codebook)),
    ):
        suggested: dict[int, set[str]] = defaultdict(set)
        for suggestion in engine.suggest([item.passage for item in test], codebook):
            suggested[suggestion.passage_id].add(suggestion.code_id)
        per_code, overall = score(suggested, test, codes)
        report[name] = {
            "overall": overall,
            "per_code": {
                q.code_id: {"support": q.support, "precision": q.precision, "recall": q.recall}
                for q in per_code
                if q.support
            },
        }
    return report


class ProjectLocalEngine:
    """The app's local engine: retrained from the project's decisions when they change.

    Not an engine itself but an ``engine.EngineSource``: ``resolve()`` runs on the worker thread
    (training can take a moment on a big project) and returns the engine to use now; it is
    cached until the number of decisions changes.
    """

    name = "local"

    def __init__(self, project: Project):
        self.project = project
        self._cached: tuple[int, LocalEngine] | None = None

    def resolve(self) -> SuggestionEngine:
        with self.project.reading() as conn:
            stamp = latest_decision_id(conn)
        if self._cached is None or self._cached[0] != stamp:
            self._cached = (stamp, local_engine_for(self.project))
        return self._cached[1]
