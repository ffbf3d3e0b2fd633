"""Run an engine over passages of a project and store what it suggests (skipping cached ones)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from workbench.core.errors import WorkbenchError
from workbench.core.store import Project
from workbench.core.store.llm import record_requests
from workbench.core.store.privacy import coded_passage_ids, local_only_transcripts
from workbench.core.store.queries import passages_of
from workbench.core.store.suggestions import (
    carry_forward,
    passages_already_run,
    record_run,
    save_suggestions,
)
from workbench.core.tasks import CancelToken, Progress
from workbench.suggest.engine import (
    DeliversEachResult,
    HashesItsPrompt,
    PassageInput,
    Suggestion,
    SuggestionEngine,
    check_engine,
    codable,
)


@dataclass(frozen=True)
class SuggestionRun:
    passages: int
    skipped_cached: int
    suggestions: int
    not_done: int = 0  # failed or skipped for cost: tried again next run
    abstained: int = 0  # no codable content: recorded as done, never scored or sent


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
            local = local_only_transcripts(conn, ids)
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
    abstain: bool = True,
) -> tuple[list[PassageInput], int]:
    """Coded passages this engine/model/prompt has not processed yet, and how many it has.

    ``any_codebook_version`` is for a prompt version that hashes the rendered codebook (the
    Claude engine's): a passage run under any codebook version with the same hash counts as
    done, because the model read exactly the same prompt. With ``abstain`` (the default),
    passages with no codable content are left out: nothing is estimated, sent or batched for
    them (``workbench.core.abstain``).
    """
    codebook = project.codebook
    if codebook is None:
        raise WorkbenchError("the project has no codebook; add one before asking for suggestions")
    transcript_ids = list(transcript_ids)
    version = None if any_codebook_version else codebook.version
    with project.reading() as conn:
        # Ids first, texts only if something is pending: a run with nothing to do reads no text.
        coded = coded_passage_ids(conn, transcript_ids, include_local_only)
        done = passages_already_run(conn, coded, version, engine, model, prompt_version)
    if done.issuperset(coded):
        return [], len(done)
    inputs = passage_inputs(project, transcript_ids, include_local_only=include_local_only)
    todo = [p for p in inputs if p.passage_id not in done]
    return (codable(todo) if abstain else todo), len(done)


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
    pending: tuple[list[PassageInput], int] | None = None,
) -> SuggestionRun:
    """Suggest codes for the coded passages of the given transcripts that have none yet.

    ``pending`` is what ``pending_inputs(..., abstain=False)`` returned for this engine, when
    the caller already asked (reading every passage twice was a third of a corpus run)."""
    codebook = project.codebook
    if codebook is None:
        raise WorkbenchError("the project has no codebook; add one before asking for suggestions")
    engine = check_engine(engine)
    hashed = isinstance(engine, HashesItsPrompt)
    if isinstance(engine, HashesItsPrompt):
        prompt_version = engine.prompt_version_for(codebook)
    else:
        prompt_version = engine.prompt_version
    transcript_ids = list(transcript_ids)
    todo, cached = pending or pending_inputs(
        project,
        transcript_ids,
        engine.name,
        engine.model,
        prompt_version,
        include_local_only=not engine.sends_text,
        any_codebook_version=hashed,
        abstain=False,
    )
    if hashed and cached:
        carry_forward_runs(
            project, transcript_ids, engine.name, engine.model, prompt_version, engine.rater
        )
    kept = codable(todo)  # the rest is never shown to the engine
    run = _run(project, engine, kept, cached, prompt_version, progress, cancel)
    # Recorded only once the engine has run: a refused run (no API key) leaves no trace, not
    # even the engine's coder, which the first stored result creates.
    _record_abstentions(project, engine, todo, kept, codebook.version, prompt_version)
    abstained = len(todo) - len(kept)
    return replace(run, passages=run.passages + abstained, abstained=abstained)


def _run(
    project: Project,
    engine: SuggestionEngine,
    todo: list[PassageInput],
    cached: int,
    prompt_version: str,
    progress: Progress | None,
    cancel: CancelToken | None,
) -> SuggestionRun:
    codebook = project.codebook
    assert codebook is not None
    if isinstance(engine, DeliversEachResult):
        return _run_storing_each(
            project, engine, todo, cached, codebook.version, prompt_version, progress, cancel
        )
    # An engine that returns everything at the end has settled every passage it was given.
    suggestions = engine.suggest(todo, codebook, progress=progress, cancel=cancel) if todo else []
    done = [p.passage_id for p in todo]
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


def _record_abstentions(
    project: Project,
    engine: SuggestionEngine,
    todo: list[PassageInput],
    keep: list[PassageInput],
    codebook_version: int,
    prompt_version: str,
) -> None:
    """Record the passages of ``todo`` with no codable content (those not in ``keep``) as done
    with no suggestion: an engine that sends data never sends them, and the engine's rater
    reads as "no code" on them, as a coder would."""
    if len(keep) < len(todo):
        kept = {p.passage_id for p in keep}
        with project.transaction() as conn:
            record_run(
                conn,
                [p.passage_id for p in todo if p.passage_id not in kept],
                codebook_version,
                engine.name,
                engine.model,
                prompt_version,
                engine.rater,
            )


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

    assert isinstance(engine, DeliversEachResult)  # how _run chose this way

    def store(suggestions: list[Suggestion], done: list[int], records: list[Any]) -> None:
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

    engine.on_result = store
    try:
        if todo:
            engine.suggest(todo, codebook, progress=progress, cancel=cancel)
    finally:
        engine.on_result = None
    done = sum(1 for p in todo if p.passage_id in engine.completed)
    return SuggestionRun(len(todo) + cached, cached, engine.delivered, len(todo) - done)
