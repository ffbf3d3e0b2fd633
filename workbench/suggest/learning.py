"""The local engine learns from the team's decisions, and says how well it does.

Human decisions label passages: a code a human applied is a positive; a passage a human
reviewed without that code (including a rejected suggestion) is a negative. Each code with
enough of both gets a logistic regression on the same stem features the codebook start uses;
the others keep the codebook similarity. Passages are in any language: features come from the
passages themselves, so a team coding Spanish interviews teaches the engine Spanish.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sqlalchemy import select

from workbench.core.codebook import Codebook
from workbench.core.store import Project, schema
from workbench.core.store.coding import human_coding
from workbench.core.tasks import CancelToken, Progress
from workbench.suggest.engine import PassageInput, Suggestion
from workbench.suggest.local import LocalEngine, code_prototype, sentences, stems

MIN_EXAMPLES = 3  # positives and negatives a code needs before it gets its own model


@dataclass(frozen=True)
class Labelled:
    passage: PassageInput
    codes: frozenset[str]  # codes humans applied; everything else is a negative


def human_labels(project: Project) -> list[Labelled]:
    """Passages reviewed by a human coder, with the codes any human applied."""
    from workbench.suggest.runner import passage_inputs

    with project.reading() as conn:
        reviewed, applied = human_coding(conn)
        transcripts = set(
            conn.execute(
                select(schema.passages.c.transcript_id)
                .where(schema.passages.c.id.in_(list(reviewed) or [-1]))
                .distinct()
            ).scalars()
        )
    inputs = passage_inputs(project, sorted(transcripts))
    return [
        Labelled(p, frozenset(applied.get(p.passage_id, set())))
        for p in inputs
        if p.passage_id in reviewed
    ]


class LearnedEngine(LocalEngine):
    """The local engine plus one linear model per code that has enough human examples."""

    def __init__(
        self, labelled: Sequence[Labelled], codebook: Codebook, threshold: float = 0.5, **kwargs
    ):  # type: ignore[no-untyped-def]
        super().__init__(**kwargs)
        self.threshold = threshold
        self.trained_on = len(labelled)
        self.model = f"tfidf-logreg-{len(labelled)}"
        leaves = [code for code in codebook.walk() if not code.children]
        self._vectorizer = TfidfVectorizer(analyzer=stems, sublinear_tf=True)
        texts = [code_prototype(code) for code in leaves] + [item.passage.text for item in labelled]
        self._vectorizer.fit(texts or [""])
        self._models: dict[str, LogisticRegression] = {}
        if labelled:
            features = self._vectorizer.transform([item.passage.text for item in labelled])
            for code in leaves:
                target = np.array([code.id in item.codes for item in labelled])
                if target.sum() >= MIN_EXAMPLES and (~target).sum() >= MIN_EXAMPLES:
                    model = LogisticRegression(class_weight="balanced", max_iter=1000, C=4.0)
                    model.fit(features, target)
                    self._models[code.id] = model

    @property
    def learned_codes(self) -> list[str]:
        return sorted(self._models)

    def suggest(
        self,
        passages: Sequence[PassageInput],
        codebook: Codebook,
        progress: Progress | None = None,
        cancel: CancelToken | None = None,
    ) -> list[Suggestion]:
        start = [
            s
            for s in super().suggest(passages, codebook, progress, cancel)
            if s.code_id not in self._models
        ]
        if not self._models or not passages:
            return start
        features = self._vectorizer.transform([p.text for p in passages])
        learned: list[Suggestion] = []
        for code_id, model in self._models.items():
            if cancel is not None:
                cancel.raise_if_cancelled()
            probabilities = model.predict_proba(features)[:, 1]
            code = codebook.get(code_id)
            for passage, probability in zip(passages, probabilities, strict=True):
                if probability >= self.threshold and code is not None:
                    learned.append(self._learned(passage, code, float(probability), model))
        combined = start + learned
        by_passage: dict[int, list[Suggestion]] = defaultdict(list)
        for suggestion in combined:
            by_passage[suggestion.passage_id].append(suggestion)
        return [
            s
            for items in by_passage.values()
            for s in sorted(items, key=lambda s: -s.confidence)[: self.max_per_passage]
        ]

    def _learned(
        self, passage: PassageInput, code, probability: float, model: LogisticRegression
    ) -> Suggestion:  # type: ignore[no-untyped-def]
        spans = sentences(passage.text)
        scores = model.predict_proba(
            self._vectorizer.transform([passage.text[s:e] for s, e in spans])
        )[:, 1]
        best = int(np.argmax(scores))
        start, end = spans[best]
        return Suggestion(
            passage_id=passage.passage_id,
            code_id=code.id,
            confidence=round(probability, 3),
            evidence=passage.text[start:end],
            evidence_start=start,
            evidence_end=end,
            rationale=f"Like passages your team coded '{code.name}' ({self.trained_on} decisions learned from).",
            engine=self.name,
            model=self.model,
            prompt_version=self.prompt_version,
        )


def local_engine_for(project: Project) -> LocalEngine:
    """The best local engine the project's decisions allow: learned if there are any."""
    codebook = project.codebook
    labelled = human_labels(project) if codebook is not None else []
    if codebook is None or not labelled:
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
    if codebook is None or len(labelled) < 10:
        return {
            "labelled_passages": len(labelled),
            "reason": "needs at least 10 human-reviewed passages",
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

    ``resolve()`` runs on the worker thread (training can take a moment on a big project) and
    returns the engine to use now; it is cached until the number of decisions changes.
    """

    name = "local"

    def __init__(self, project: Project):
        self.project = project
        self._cached: tuple[int, LocalEngine] | None = None

    def resolve(self) -> LocalEngine:
        with self.project.reading() as conn:
            decisions = conn.execute(
                select(schema.decisions.c.id).order_by(schema.decisions.c.id.desc()).limit(1)
            ).scalar()
        stamp = int(decisions or 0)
        if self._cached is None or self._cached[0] != stamp:
            self._cached = (stamp, local_engine_for(self.project))
        return self._cached[1]
