"""``workbench evaluate``: an engine's suggestions against held-back human decisions.

The human-reviewed passages are split once, by a seeded shuffle, into the part an engine may
learn from (the local engine's training set, Claude's team examples) and the part held back.
Each engine codes the held-back passages and is scored per code as a binary decision: precision,
recall, F1 and Cohen's kappa (agreement with the humans beyond chance, which precision and
recall do not correct for). Nothing it suggests is stored; what Claude's requests cost is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from workbench.core.errors import WorkbenchError
from workbench.core.store import Project
from workbench.core.store.llm import record_requests
from workbench.core.store.queries import list_transcripts
from workbench.suggest.claude import ClaudeEngine, ClaudeOptions
from workbench.suggest.engine import SuggestionEngine, codable
from workbench.suggest.examples import team_examples
from workbench.suggest.learning import MIN_LABELLED, Labelled, LearnedEngine, human_labels
from workbench.suggest.runner import passage_inputs


@dataclass(frozen=True)
class CodeScore:
    code_id: str
    support: int  # held-back passages a human coded with it
    suggested: int
    precision: float | None
    recall: float | None
    f1: float | None
    kappa: float | None


def code_score(code_id: str, truth: Sequence[bool], guess: Sequence[bool]) -> CodeScore:
    """One code's figures from paired human (truth) and engine (guess) decisions."""
    tp = sum(1 for t, g in zip(truth, guess) if t and g)
    fp = sum(1 for t, g in zip(truth, guess) if g and not t)
    fn = sum(1 for t, g in zip(truth, guess) if t and not g)
    tn = len(truth) - tp - fp - fn
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = (
        2 * precision * recall / (precision + recall)
        if precision is not None and recall is not None and precision + recall
        else (0.0 if precision is not None and recall is not None else None)
    )
    n = len(truth)
    kappa = None
    if n:
        observed = (tp + tn) / n
        chance = ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / (n * n)
        kappa = (observed - chance) / (1 - chance) if chance < 1 else None
    return CodeScore(code_id, tp + fn, tp + fp, precision, recall, f1, kappa)


def split(
    labelled: Sequence[Labelled], holdout: float, seed: int
) -> tuple[list[Labelled], list[Labelled]]:
    """The same seeded shuffle as the local engine's own evaluation: learn from, held back."""
    order = np.random.default_rng(seed).permutation(len(labelled))
    cut = int(len(labelled) * (1 - holdout))
    return [labelled[i] for i in order[:cut]], [labelled[i] for i in order[cut:]]


def evaluate(
    project: Project,
    engine: str = "local",
    holdout: float = 0.3,
    seed: int = 7,
    claude: Callable[[ClaudeOptions], ClaudeEngine] | None = None,
    options: ClaudeOptions | None = None,
) -> dict[str, object]:
    """Score ``engine`` on held-back human decisions; ``claude`` builds the Claude engine (the
    tests pass one over a fake API). Claude never sees a local-only passage, held back or not."""
    if not 0 < holdout < 1:
        raise WorkbenchError(f"--holdout: {holdout} is not between 0 and 1 (e.g. 0.3)")
    codebook = project.codebook
    if codebook is None:
        raise WorkbenchError("the project has no codebook")
    labelled = human_labels(project)
    if engine == "claude":
        with project.reading() as conn:
            transcripts = [t.id for t in list_transcripts(conn)]
        sendable = {
            p.passage_id for p in passage_inputs(project, transcripts, include_local_only=False)
        }
        labelled = [item for item in labelled if item.passage.passage_id in sendable]
    report: dict[str, object] = {"engine": engine, "labelled_passages": len(labelled)}
    if len(labelled) < MIN_LABELLED:
        report["reason"] = f"needs at least {MIN_LABELLED} human-reviewed passages"
        return report
    train, test = split(labelled, holdout, seed)
    report.update(learned_from=len(train), held_back=len(test), seed=seed)
    held = [item.passage for item in test]
    runner: SuggestionEngine
    if engine == "local":
        runner = LearnedEngine(train, codebook)
        report["model"] = runner.model
    elif engine == "claude":
        base = options or ClaudeOptions()
        base = replace(base, examples=team_examples(project, exclude={p.passage_id for p in held}))
        runner = claude(base) if claude is not None else ClaudeEngine(base)
        report.update(model=base.model, team_examples=len(base.examples))
    else:
        raise WorkbenchError(f"--engine: '{engine}' is not local or claude")
    suggestions = runner.suggest(held, codebook)
    if isinstance(runner, ClaudeEngine):
        with project.transaction() as conn:
            record_requests(conn, "claude", runner.requests)
        # a passage with nothing to code is answered by abstaining: "no code", as a coder would
        abstained = {p.passage_id for p in held} - {p.passage_id for p in codable(held)}
        answered = set(runner.completed) | abstained
        report["abstained"] = len(abstained)
        report["unanswered"] = sum(1 for p in held if p.passage_id not in answered)
        report["cost_usd"] = round(sum(r.cost_usd for r in runner.requests), 4)
        test = [item for item in test if item.passage.passage_id in answered]
    suggested: dict[int, set[str]] = {}
    for suggestion in suggestions:
        suggested.setdefault(suggestion.passage_id, set()).add(suggestion.code_id)
    scores = []
    for code in codebook.walk():
        truth = [code.id in item.codes for item in test]
        guess = [code.id in suggested.get(item.passage.passage_id, set()) for item in test]
        if any(truth) or any(guess):
            scores.append(code_score(code.id, truth, guess))
    report["scored_passages"] = len(test)
    report["per_code"] = {
        s.code_id: {k: v for k, v in s.__dict__.items() if k != "code_id"} for s in scores
    }
    report["overall"] = _overall(scores, test, suggested)
    return report


def _overall(
    scores: list[CodeScore], test: Sequence[Labelled], suggested: dict[int, set[str]]
) -> dict[str, float | None]:
    """Micro-averaged precision, recall and F1 over every code, and the mean kappa of the codes
    the humans used (a code nobody used has no agreement to measure)."""
    tp = sum(len(item.codes & suggested.get(item.passage.passage_id, set())) for item in test)
    fp = sum(len(suggested.get(item.passage.passage_id, set()) - item.codes) for item in test)
    fn = sum(len(item.codes - suggested.get(item.passage.passage_id, set())) for item in test)
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = 2 * precision * recall / (precision + recall) if precision and recall else None
    kappas = [s.kappa for s in scores if s.support and s.kappa is not None]
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "mean_kappa": sum(kappas) / len(kappas) if kappas else None,
    }
