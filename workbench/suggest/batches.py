"""Large runs through the Message Batches API: submit, remember in the project, resume, collect.

A batch can take hours. Its id and which passages each request carries are stored in the
project when it is submitted, so ``workbench suggest --resume`` picks it up after a restart,
a crash or on another machine, and collects it once the API says it has ended.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

import httpx2
from anthropic import Anthropic
from sqlalchemy import select

from workbench.core.clock import utc_now
from workbench.core.store import Project, schema
from workbench.core.store.llm import record_requests
from workbench.core.store.suggestions import record_run, save_suggestions
from workbench.suggest.claude import (
    ClaudeOptions,
    MalformedReply,
    RequestRecord,
    SuggestionError,
    api_key,
    claude_rater,
    make_chunks,
    parse_reply,
    reply_text,
    request_params,
    usage_of,
)
from workbench.suggest.engine import PassageInput
from workbench.suggest.prices import Usage, cost
from workbench.suggest.prompt import PROMPT_VERSION
from workbench.suggest.runner import passage_inputs, pending_inputs


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


def submit_batch(
    project: Project, client: Anthropic, options: ClaudeOptions, transcript_ids: Iterable[int]
) -> BatchStatus | None:
    """Submit the uncached coded passages (never local-only ones) as one batch; None if none."""
    codebook = project.codebook
    if codebook is None:
        raise SuggestionError("the project has no codebook")
    unsent, _done = pending_inputs(
        project, transcript_ids, "claude", options.model, PROMPT_VERSION, include_local_only=False
    )
    with project.reading() as conn:
        pending = set()
        for row in conn.execute(
            select(schema.llm_batches.c.requests).where(schema.llm_batches.c.collected_at.is_(None))
        ):
            for ids in json.loads(row.requests).values():
                pending.update(ids)
    todo = [p for p in unsent if p.passage_id not in pending]
    chunks = make_chunks(todo, options)
    if not chunks:
        return None
    requests = [
        {"custom_id": f"chunk-{index}", "params": request_params(chunk, codebook, options)}
        for index, chunk in enumerate(chunks)
    ]
    batch = client.messages.batches.create(requests=requests)  # type: ignore[arg-type]
    mapping = {
        f"chunk-{index}": [p.passage_id for p in chunk.passages]
        for index, chunk in enumerate(chunks)
    }
    with project.transaction() as conn:
        conn.execute(
            schema.llm_batches.insert().values(
                batch_id=batch.id,
                created_at=utc_now(),
                model=options.model,
                codebook_version=codebook.version,
                prompt_version=PROMPT_VERSION,
                options=json.dumps(
                    {"redact": options.redact, "redact_names": list(options.redact_names)}
                ),
                requests=json.dumps(mapping),
                status=batch.processing_status,
            )
        )
    return BatchStatus(batch.id, batch.processing_status, len(requests))


def resume_batches(project: Project, client: Anthropic) -> list[BatchStatus]:
    """Check every batch not yet collected; collect the ones that have ended."""
    with project.reading() as conn:
        rows = (
            conn.execute(
                select(schema.llm_batches).where(schema.llm_batches.c.collected_at.is_(None))
            )
            .mappings()
            .all()
        )
    statuses = []
    for row in rows:
        batch = client.messages.batches.retrieve(row["batch_id"])
        if batch.processing_status != "ended":
            with project.transaction() as conn:
                conn.execute(
                    schema.llm_batches.update()
                    .where(schema.llm_batches.c.batch_id == row["batch_id"])
                    .values(status=batch.processing_status)
                )
            statuses.append(
                BatchStatus(
                    row["batch_id"], batch.processing_status, len(json.loads(row["requests"]))
                )
            )
            continue
        statuses.append(_collect(project, client, dict(row)))
    return statuses


def _collect(project: Project, client: Anthropic, row: dict) -> BatchStatus:  # type: ignore[type-arg]
    codebook = project.codebook
    assert codebook is not None
    mapping: dict[str, list[int]] = json.loads(row["requests"])
    saved = json.loads(row["options"])
    options = ClaudeOptions(
        model=row["model"], redact=saved["redact"], redact_names=tuple(saved["redact_names"])
    )
    by_id = _inputs_by_id(project, [pid for ids in mapping.values() for pid in ids])
    suggestions, records, completed, failed = [], [], [], 0
    for result in client.messages.batches.results(row["batch_id"]):
        ids = mapping.get(result.custom_id)
        if ids is None:
            continue
        if result.result.type != "succeeded":
            failed += 1
            records.append(
                RequestRecord(
                    row["model"], len(ids), Usage(), 0.0, False, result.result.type, row["batch_id"]
                )
            )
            continue
        message = result.result.message
        usage = usage_of(message)
        chunk = make_chunks([by_id[pid] for pid in ids if pid in by_id], options)[0]
        try:
            found, error = parse_reply(reply_text(message), chunk, codebook, row["model"]), None
        except MalformedReply as exc:
            found, error = [], f"malformed reply: {exc}"
        records.append(
            RequestRecord(
                row["model"],
                len(ids),
                usage,
                cost(row["model"], usage, batch=True),
                error is None,
                error,
                row["batch_id"],
            )
        )
        if error is not None:
            failed += 1
            continue
        suggestions.extend(found)
        completed.extend(ids)
    with project.transaction() as conn:
        save_suggestions(conn, suggestions, int(row["codebook_version"]))
        record_run(
            conn,
            completed,
            int(row["codebook_version"]),
            "claude",
            row["model"],
            row["prompt_version"],
            claude_rater(row["model"]),
        )
        record_requests(conn, "claude", records)
        conn.execute(
            schema.llm_batches.update()
            .where(schema.llm_batches.c.batch_id == row["batch_id"])
            .values(status="collected", collected_at=utc_now())
        )
    return BatchStatus(row["batch_id"], "collected", len(mapping), len(suggestions), failed)


def _inputs_by_id(project: Project, passage_ids: list[int]) -> dict[int, PassageInput]:
    p = schema.passages
    with project.reading() as conn:
        transcripts = set()
        for start in range(0, len(passage_ids), 500):
            transcripts.update(
                conn.execute(
                    select(p.c.transcript_id)
                    .where(p.c.id.in_(passage_ids[start : start + 500]))
                    .distinct()
                ).scalars()
            )
    wanted = set(passage_ids)
    return {
        item.passage_id: item
        for item in passage_inputs(project, sorted(transcripts))
        if item.passage_id in wanted
    }
