"""Run an engine over passages of a project and store what it suggests (skipping cached ones)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from workbench.core.errors import WorkbenchError
from workbench.core.store import Project, schema
from workbench.core.store.llm import record_requests
from workbench.core.store.queries import passages_of
from workbench.core.store.suggestions import (
    carry_forward,
    passages_already_run,
    record_run,
    save_suggestions,
)
from workbench.core.tasks import CancelToken, Progress
from workbench.suggest.engine import PassageInput, Suggestion, SuggestionEngine


@dataclass(frozen=True)
class SuggestionRun:
    passages: int
    skipped_cached: int
    suggestions: int
    not_done: int = 0  # failed or skipped for cost: tried again next run


def passage_inputs(
    project: Project, transcript_ids: Iterable[int], include_local_only: bool = True
) -> list[PassageInput]:
    """Coded passages of the transcripts, each with the interviewer turn before it as context.

    With ``include_local_only=False``, transcripts marked local-only are left out entirely:
    that is how an engine that sends data never sees them.
    """
    inputs = []
    with project.reading() as conn:
        ids = list(transcript_ids)
        if not include_local_only:
            t = schema.transcripts
            local = set(
                conn.execute(
                    select(t.c.id).where(t.c.id.in_(ids), t.c.local_only.is_(True))
                ).scalars()
            )
            ids = [i for i in ids if i not in local]
        transcript_ids = ids
        previous_context = previous_answer = ""
        current_transcript = None
        for passage in passages_of(conn, transcript_ids):
            if passage.transcript_id != current_transcript:
                current_transcript = passage.transcript_id
                previous_context = previous_answer = ""
            if passage.coded:
                inputs.append(
                    PassageInput(
                        passage.id,
                        passage.key,
                        passage.text,
                        previous_context,
                        passage.transcript_id,  # the transcript's own (external) id
                        previous_answer,
                    )
                )
                previous_answer = passage.text
            else:
                previous_context = passage.text
    return inputs


def pending_inputs(
    project: Project,
    transcript_ids: Iterable[int],
    engine: str,
    model: str,
    prompt_version: str,
    include_local_only: bool,
    any_codebook_version: bool = False,
) -> tuple[list[PassageInput], int]:
    """Coded passages this engine/model/prompt has not processed yet, and how many it has.

    ``any_codebook_version`` is for a prompt version that hashes the rendered codebook (the
    Claude engine's): a passage run under any codebook version with the same hash counts as
    done, because the model read exactly the same prompt.
    """
    codebook = project.codebook
    if codebook is None:
        raise WorkbenchError("the project has no codebook; add one before asking for suggestions")
    inputs = passage_inputs(project, transcript_ids, include_local_only=include_local_only)
    version = None if any_codebook_version else codebook.version
    with project.reading() as conn:
        done = passages_already_run(
            conn, [p.passage_id for p in inputs], version, engine, model, prompt_version
        )
    return [p for p in inputs if p.passage_id not in done], len(done)


def carry_forward_runs(
    project: Project,
    transcript_ids: list[int],
    engine: str,
    model: str,
    prompt_version: str,
    rater: str,
) -> int:
    """Copy suggestions made with the very same prompt under an earlier codebook version (a
    colour or shortcut edit) to the current one; nothing is sent for them."""
    codebook = project.codebook
    assert codebook is not None
    ids = [p.passage_id for p in passage_inputs(project, transcript_ids, include_local_only=False)]
    with project.transaction() as conn:
        return carry_forward(conn, ids, codebook.version, engine, model, prompt_version, rater)


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
    sends_data = bool(getattr(engine, "sends_data", False))
    hashed = getattr(engine, "prompt_version_for", None)
    prompt_version = hashed(codebook) if hashed is not None else engine.prompt_version
    transcript_ids = list(transcript_ids)
    todo, cached = pending_inputs(
        project,
        transcript_ids,
        engine.name,
        engine.model,
        prompt_version,
        include_local_only=not sends_data,
        any_codebook_version=hashed is not None,
    )
    if hashed is not None and cached:
        carry_forward_runs(
            project, transcript_ids, engine.name, engine.model, prompt_version, engine.rater
        )
    if hasattr(engine, "on_result"):
        return _run_storing_each(
            project, engine, todo, cached, codebook.version, prompt_version, progress, cancel
        )
    try:
        suggestions = (
            engine.suggest(todo, codebook, progress=progress, cancel=cancel) if todo else []
        )
    finally:
        requests = list(getattr(engine, "requests", []))
        if requests:
            with project.transaction() as conn:
                record_requests(conn, engine.name, requests)
            engine.requests.clear()  # type: ignore[attr-defined]
    completed = getattr(engine, "completed", None)
    done = [p.passage_id for p in todo if completed is None or p.passage_id in completed]
    with project.transaction() as conn:
        save_suggestions(conn, suggestions, codebook.version)
        record_run(
            conn,
            done,
            codebook.version,
            engine.name,
            engine.model,
            prompt_version,
            engine.rater,
        )
    return SuggestionRun(len(todo) + cached, cached, len(suggestions), len(todo) - len(done))


def _run_storing_each(
    project: Project,
    engine: SuggestionEngine,
    todo: list[PassageInput],
    cached: int,
    codebook_version: int,
    prompt_version: str,
    progress: Progress | None,
    cancel: CancelToken | None,
) -> SuggestionRun:
    """Store each request's results in its own short transaction the moment they arrive.

    A paid request is never lost to a crash, SIGKILL or Cancel: its suggestions, the run record
    for exactly the passages it answered and its spend commit together, so the next run (or
    ``--resume``) sends only what is still missing.
    """
    codebook = project.codebook
    assert codebook is not None

    def store(suggestions: list[Suggestion], done: list[int], records: list) -> None:  # type: ignore[type-arg]
        with project.transaction() as conn:
            record_requests(conn, engine.name, records)
            save_suggestions(conn, suggestions, codebook_version)
            record_run(
                conn,
                done,
                codebook_version,
                engine.name,
                engine.model,
                prompt_version,
                engine.rater,
            )

    engine.on_result = store  # type: ignore[attr-defined]
    try:
        if todo:
            engine.suggest(todo, codebook, progress=progress, cancel=cancel)
    finally:
        engine.on_result = None  # type: ignore[attr-defined]
    completed: set[int] = engine.completed  # type: ignore[attr-defined]
    done = sum(1 for p in todo if p.passage_id in completed)
    return SuggestionRun(
        len(todo) + cached,
        cached,
        engine.delivered,  # type: ignore[attr-defined]
        len(todo) - done,
    )
