"""Large runs through the Message Batches API: submit, remember in the project, resume, collect.

A batch can take hours. Its id and which passages each request carries are stored in the
project when it is submitted, so ``workbench suggest --resume`` picks it up after a restart,
a crash or on another machine, and collects it once the API says it has ended.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import httpx2
from anthropic import Anthropic
from anthropic.types.messages import MessageBatchIndividualResponse
from anthropic.types.messages.batch_create_params import Request

from workbench.core.codebook import Codebook
from workbench.core.store import Project
from workbench.core.store.llm import (
    add_batch,
    all_batches,
    cancellable_batches,
    mark_batch_collected,
    passages_in_open_batches,
    record_requests,
    set_batch_status,
    uncollected_batches,
)
from workbench.core.store.queries import transcript_rows_of_passages
from workbench.core.store.suggestions import passages_already_run, record_run, save_suggestions
from workbench.suggest.claude import (
    Chunk,
    ClaudeOptions,
    MalformedReply,
    RequestRecord,
    SuggestionError,
    api_key,
    claude_rater,
    make_chunks,
    parse_reply_ids,
    prompt_version_for,
    reply_text,
    request_params,
    usage_of,
)
from workbench.suggest.engine import PassageInput, Suggestion
from workbench.suggest.prices import Usage, cost
from workbench.suggest.runner import carry_forward_runs, passage_inputs, pending_inputs


@dataclass(frozen=True)
class BatchStatus:
    batch_id: str
    status: str  # in_progress, canceling, ended, collected
    requests: int
    suggestions: int = 0
    failed_requests: int = 0


def sync_client(
    options: ClaudeOptions, http_client: httpx2.Client | None = None, key: str | None = None
) -> Anthropic:
    key = key or api_key()
    if not key:
        raise SuggestionError(
            "no Anthropic API key: set ANTHROPIC_API_KEY, or use the local engine"
        )
    return Anthropic(
        api_key=key,
        max_retries=options.max_retries,
        timeout=httpx2.Timeout(options.timeout_s, connect=10.0),
        http_client=http_client,
    )


# The Message Batches API's limits on one batch. A larger run goes out as several batches.
MAX_BATCH_REQUESTS = 100_000
MAX_BATCH_BYTES = 256_000_000  # "256 MB"; read as decimal megabytes, the stricter reading
_ENVELOPE_BYTES = 64  # '{"requests": [' ... ']}' and the comma after each request, with room


def request_bytes(request: Mapping[str, object]) -> int:
    """What one request adds to a batch's body, as the SDK sends it (compact JSON, UTF-8)."""
    return len(json.dumps(request, ensure_ascii=False, separators=(",", ":")).encode()) + 2


def split_batches(
    sizes: Sequence[int], max_requests: int | None = None, max_bytes: int | None = None
) -> list[range]:
    """Consecutive runs of requests that each fit one batch (request count and body size).

    The limits default to the module constants read at call time, so a test can lower them.
    """
    max_requests = max_requests or MAX_BATCH_REQUESTS
    max_bytes = max_bytes or MAX_BATCH_BYTES
    groups: list[range] = []
    start, size = 0, _ENVELOPE_BYTES
    for index, request_size in enumerate(sizes):
        if request_size + _ENVELOPE_BYTES > max_bytes:
            raise SuggestionError(
                f"request {index} alone is {request_size:,} bytes, over the batch limit of "
                f"{max_bytes:,} bytes: lower the chunk size"
            )
        if index > start and (index - start >= max_requests or size + request_size > max_bytes):
            groups.append(range(start, index))
            start, size = index, _ENVELOPE_BYTES
        size += request_size
    if start < len(sizes):
        groups.append(range(start, len(sizes)))
    return groups


@dataclass(frozen=True)
class BatchPlan:
    """The requests a submission would send, grouped into batches, before anything is sent."""

    chunks: list[Chunk]
    requests: list[Request]  # the SDK's own request type: a wrong key fails the type check
    groups: list[range]


def plan_batches(
    project: Project, options: ClaudeOptions, transcript_ids: Iterable[int]
) -> BatchPlan:
    """The uncached coded passages (never local-only ones, nor those in an open batch) as batches."""
    codebook = project.codebook
    if codebook is None:
        raise SuggestionError("the project has no codebook")
    transcript_ids = list(transcript_ids)
    prompt_version = prompt_version_for(codebook, options)
    unsent, done = pending_inputs(
        project,
        transcript_ids,
        "claude",
        options.model,
        prompt_version,
        include_local_only=False,
        any_codebook_version=True,
    )
    if done:  # same prompt under an earlier codebook version: copied forward, not re-sent
        carry_forward_runs(
            project,
            transcript_ids,
            "claude",
            options.model,
            prompt_version,
            claude_rater(options.model),
        )
    with project.reading() as conn:
        pending = passages_in_open_batches(conn)
    chunks = make_chunks([p for p in unsent if p.passage_id not in pending], options)
    requests: list[Request] = [
        {"custom_id": f"chunk-{index}", "params": request_params(chunk, codebook, options)}
        for index, chunk in enumerate(chunks)
    ]
    return BatchPlan(chunks, requests, split_batches([request_bytes(r) for r in requests]))


def submit_batches(
    project: Project,
    client: Anthropic,
    options: ClaudeOptions,
    transcript_ids: Iterable[int],
    plan: BatchPlan | None = None,
) -> list[BatchStatus]:
    """Submit the pending passages as batches within the API's limits, each stored on submission.

    Each batch is written to the project the moment the API accepts it, so a crash between two
    submissions loses nothing: the next call submits only the passages in no batch yet.
    """
    codebook = project.codebook
    if codebook is None:
        raise SuggestionError("the project has no codebook")
    plan = plan or plan_batches(project, options, transcript_ids)
    statuses = []
    for group in plan.groups:
        batch = client.messages.batches.create(requests=[plan.requests[i] for i in group])
        mapping = {
            plan.requests[i]["custom_id"]: [p.passage_id for p in plan.chunks[i].passages]
            for i in group
        }
        with project.transaction() as conn:
            add_batch(
                conn,
                batch.id,
                options.model,
                codebook.version,
                prompt_version_for(codebook, options),
                {"redact": options.redact, "redact_names": list(options.redact_names)},
                mapping,
                batch.processing_status,
            )
        statuses.append(BatchStatus(batch.id, batch.processing_status, len(group)))
    return statuses


def batch_list(project: Project, client: Anthropic | None = None) -> list[dict[str, object]]:
    """Every batch of the project with its state; open ones refreshed from the API when a client
    is given (their per-request counts), stored state otherwise."""
    with project.reading() as conn:
        rows = all_batches(conn)
    listed = []
    for row in rows:
        entry: dict[str, object] = {
            "batch_id": row["batch_id"],
            "model": row["model"],
            "requests": len(json.loads(row["requests"])),
            "status": row["status"],
            "created_at": str(row["created_at"]),
            "collected": row["collected_at"] is not None,
        }
        if client is not None and row["collected_at"] is None:
            batch = client.messages.batches.retrieve(row["batch_id"])
            entry["status"] = batch.processing_status
            entry["counts"] = batch.request_counts.model_dump()
            _set_status(project, row["batch_id"], batch.processing_status)
        listed.append(entry)
    return listed


def cancel_batches(project: Project, client: Anthropic) -> list[BatchStatus]:
    """Ask the API to cancel every open batch; what already succeeded is still collected later."""
    with project.reading() as conn:
        rows = cancellable_batches(conn)
    statuses = []
    for batch_id, requests in rows:
        batch = client.messages.batches.cancel(batch_id)
        _set_status(project, batch_id, batch.processing_status)
        statuses.append(BatchStatus(batch_id, batch.processing_status, len(json.loads(requests))))
    return statuses


def _set_status(project: Project, batch_id: str, status: str) -> None:
    with project.transaction() as conn:
        set_batch_status(conn, batch_id, status)


def resume_batches(project: Project, client: Anthropic) -> list[BatchStatus]:
    """Check every batch not yet collected; collect the ones that have ended."""
    with project.reading() as conn:
        rows = uncollected_batches(conn)
    statuses = []
    for row in rows:
        batch = client.messages.batches.retrieve(row["batch_id"])
        if batch.processing_status != "ended":
            _set_status(project, row["batch_id"], batch.processing_status)
            statuses.append(
                BatchStatus(
                    row["batch_id"], batch.processing_status, len(json.loads(row["requests"]))
                )
            )
            continue
        statuses.append(_collect(project, client, row))
    return statuses


def _collect(project: Project, client: Anthropic, row: dict[str, Any]) -> BatchStatus:
    """Store each result the moment it is read: a collection stopped halfway resumes where it was
    (results already stored are recognised by their passages' run records and skipped)."""
    codebook = project.codebook
    assert codebook is not None
    version = int(row["codebook_version"])
    mapping: dict[str, list[int]] = json.loads(row["requests"])
    saved = json.loads(row["options"])
    options = ClaudeOptions(
        model=row["model"], redact=saved["redact"], redact_names=tuple(saved["redact_names"])
    )
    every = [pid for ids in mapping.values() for pid in ids]
    by_id = _inputs_by_id(project, every)
    with project.reading() as conn:
        already = passages_already_run(
            conn, every, version, "claude", row["model"], row["prompt_version"]
        )
    stored, failed = 0, 0
    for result in client.messages.batches.results(row["batch_id"]):
        ids = mapping.get(result.custom_id)
        if ids is None or (ids and all(pid in already for pid in ids)):
            continue
        found, done, record = _read_result(result, ids, by_id, options, codebook, row)
        if not record.ok or len(done) < len(ids):
            failed += 1
        with project.transaction() as conn:
            record_requests(conn, "claude", [record])
            save_suggestions(conn, found, version)
            record_run(
                conn,
                done,
                version,
                "claude",
                row["model"],
                row["prompt_version"],
                claude_rater(row["model"]),
            )
        stored += len(found)
    with project.transaction() as conn:
        mark_batch_collected(conn, row["batch_id"])
    return BatchStatus(row["batch_id"], "collected", len(mapping), stored, failed)


def _read_result(
    result: MessageBatchIndividualResponse,
    ids: list[int],
    by_id: dict[int, PassageInput],
    options: ClaudeOptions,
    codebook: Codebook,
    row: dict[str, Any],  # the stored batch (store/llm)
) -> tuple[list[Suggestion], list[int], RequestRecord]:
    """One batch result as suggestions, the passages it answered, and its spend record."""
    model, batch_id = row["model"], row["batch_id"]
    if result.result.type != "succeeded":
        return (
            [],
            [],
            RequestRecord(model, len(ids), Usage(), 0.0, False, result.result.type, batch_id),
        )
    message = result.result.message
    usage = usage_of(message)
    price = cost(model, usage, batch=True)
    if getattr(message, "stop_reason", None) == "max_tokens":
        error = "reply cut off at max_tokens"
        return [], [], RequestRecord(model, len(ids), usage, price, False, error, batch_id)
    inputs = [by_id[pid] for pid in ids if pid in by_id]
    whole = replace(options, chunk_chars=10**12, chunk_passages=10**9)  # the request as sent
    chunk = make_chunks(inputs, whole)[0] if inputs else None
    if chunk is None:
        return [], [], RequestRecord(model, len(ids), usage, price, True, "passages gone", batch_id)
    try:
        found, answered = parse_reply_ids(
            reply_text(message),
            chunk,
            codebook,
            model,
            getattr(message, "model", None),
            row["prompt_version"],
        )
    except MalformedReply as exc:
        error = f"malformed reply: {exc}"
        return [], [], RequestRecord(model, len(ids), usage, price, False, error, batch_id)
    missing = len(ids) - len(answered)
    note = f"{missing} of {len(ids)} passages left out of the reply" if missing else None
    done = [pid for pid in ids if pid in answered]
    return found, done, RequestRecord(model, len(ids), usage, price, True, note, batch_id)


def _inputs_by_id(project: Project, passage_ids: list[int]) -> dict[int, PassageInput]:
    with project.reading() as conn:
        transcripts = transcript_rows_of_passages(conn, passage_ids)
    wanted = set(passage_ids)
    return {
        item.passage_id: item
        for item in passage_inputs(project, sorted(transcripts))
        if item.passage_id in wanted
    }
