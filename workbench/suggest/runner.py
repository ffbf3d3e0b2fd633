"""Run an engine over passages of a project and store what it suggests (skipping cached ones)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from workbench.core.errors import WorkbenchError
from workbench.core.store import Project
from workbench.core.store.queries import passages_of
from workbench.core.store.suggestions import passages_already_run, record_run, save_suggestions
from workbench.core.tasks import CancelToken, Progress
from workbench.suggest.engine import PassageInput, SuggestionEngine


@dataclass(frozen=True)
class SuggestionRun:
    passages: int
    skipped_cached: int
    suggestions: int


def passage_inputs(project: Project, transcript_ids: Iterable[int]) -> list[PassageInput]:
    """Coded passages of the transcripts, each with the interviewer turn before it as context."""
    inputs = []
    with project.reading() as conn:
        previous_context = ""
        current_transcript = None
        for passage in passages_of(conn, transcript_ids):
            if passage.transcript_id != current_transcript:
                current_transcript, previous_context = passage.transcript_id, ""
            if passage.coded:
                inputs.append(PassageInput(passage.id, passage.key, passage.text, previous_context))
            else:
                previous_context = passage.text
    return inputs


def run_suggestions(
    project: Project,
    engine: SuggestionEngine,
    transcript_ids: Iterable[int],
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> SuggestionRun:
    """Suggest codes for the coded passages of the given transcripts that have none yet."""
    codebook = project.codebook
    if codebook is None:
        raise WorkbenchError("the project has no codebook; add one before asking for suggestions")
    inputs = passage_inputs(project, transcript_ids)
    with project.reading() as conn:
        cached = passages_already_run(
            conn,
            [p.passage_id for p in inputs],
            codebook.version,
            engine.name,
            engine.model,
            engine.prompt_version,
        )
    todo = [p for p in inputs if p.passage_id not in cached]
    suggestions = engine.suggest(todo, codebook, progress=progress, cancel=cancel) if todo else []
    with project.transaction() as conn:
        save_suggestions(conn, suggestions, codebook.version)
        record_run(
            conn,
            [p.passage_id for p in todo],
            codebook.version,
            engine.name,
            engine.model,
            engine.prompt_version,
        )
    return SuggestionRun(len(inputs), len(cached), len(suggestions))
