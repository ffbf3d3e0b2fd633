"""The Claude engine: the codebook in a cached system prompt, many passages per request.

Requests run concurrently (``AsyncAnthropic`` under a semaphore); retries, timeouts and what a
failure means live in ``claude_client``, what is sent in ``claude_request``, how replies are
read in ``claude_reply``. A malformed reply is retried once and then reported for its chunk
only. Nothing is ever applied: suggestions wait for a human.

The names of those modules are re-exported here: ``workbench.suggest.claude`` is where the rest
of the code (and the translation engine) imports them from.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx2
from anthropic import APIError, AsyncAnthropic
from anthropic.types import Message

from workbench.core.codebook import Codebook
from workbench.core.tasks import Cancelled, CancelToken, Progress
from workbench.suggest.cancel_watch import gather_cancellable
from workbench.suggest.claude_budget import Budget
from workbench.suggest.claude_client import (
    SuggestionError,
    api_key,
    connection_problem,
    describe_api_error,
    make_client,
)
from workbench.suggest.claude_reply import (
    MalformedReply,
    parse_reply,
    parse_reply_ids,
    reply_text,
    usage_of,
)
from workbench.suggest.claude_request import (
    Chunk,
    ClaudeOptions,
    coder_language,
    estimate_chunk_cost,
    make_chunks,
    prefix_blocks,
    prompt_version_for,
    request_params,
    sub_chunk,
)
from workbench.suggest.engine import PassageInput, Suggestion, codable
from workbench.suggest.prices import Usage, cost
from workbench.suggest.prompt import PROMPT_VERSION
from workbench.suggest.redaction import Redacted, redact

__all__ = [
    "MAX_SPLIT_DEPTH",
    "Chunk",
    "ClaudeEngine",
    "ClaudeOptions",
    "MalformedReply",
    "Redacted",
    "RequestRecord",
    "ResultSink",
    "SuggestionError",
    "api_key",
    "claude_rater",
    "coder_language",
    "connection_problem",
    "estimate_chunk_cost",
    "make_chunks",
    "make_client",
    "parse_reply",
    "parse_reply_ids",
    "prefix_blocks",
    "prompt_version_for",
    "redact",
    "reply_text",
    "request_params",
    "sub_chunk",
    "usage_of",
]

log = logging.getLogger(__name__)


@dataclass
class RequestRecord:
    """One API request: what it cost, and whether its chunk got suggestions."""

    model: str
    passages: int
    usage: Usage
    cost_usd: float
    ok: bool
    error: str | None = None
    batch_id: str | None = None


def claude_rater(model: str) -> str:
    """The coder Claude's suggestions count as: one per model, across prompt revisions."""
    return f"claude/{model}"


# What a completed request hands over at once (``engine.ResultSink``, with Claude's request
# records): the runner stores each in one transaction.
ResultSink = Callable[[list[Suggestion], list[int], list[RequestRecord]], None]

MAX_SPLIT_DEPTH = 6  # a chunk cut off at max_tokens is halved at most this often (1/64 of it)


class ClaudeEngine:
    """Suggestions from Claude through the anthropic SDK.

    With ``on_result`` set, every completed request is handed over the moment its reply is read,
    so a run killed or cancelled halfway keeps everything already paid for; without it the
    results are collected and returned by ``suggest``.
    """

    name = "claude"
    prompt_version = PROMPT_VERSION
    sends_text = True  # passages go to the Anthropic API
    learns = False  # the team's examples are in the prompt, chosen when a run starts

    def __init__(
        self,
        options: ClaudeOptions | None = None,
        http_client_factory: Callable[[], httpx2.AsyncClient] | None = None,
        key: str | None = None,
        on_result: ResultSink | None = None,
    ):
        self.options = options or ClaudeOptions()
        self._http_client_factory = http_client_factory
        self._key = key
        self.on_result = on_result
        self.requests: list[RequestRecord] = []
        self.failures: list[str] = []
        self.skipped_for_cost: list[int] = []
        self.left_out: list[int] = []  # passages missing from the reply twice: failed, not done
        self.completed: set[int] = set()  # passages a valid reply answered
        self.delivered = 0  # suggestions handed to on_result
        self.budget = Budget()  # --max-cost across the requests in flight
        self._results: list[Suggestion] = []
        self._semaphore: asyncio.Semaphore | None = None
        self._progress: Callable[[], None] = lambda: None

    @property
    def model(self) -> str:
        return self.options.model

    @property
    def spent_usd(self) -> float:
        """What this engine's requests cost, as the API reported them."""
        return self.budget.spent_usd

    @property
    def rater(self) -> str:
        return claude_rater(self.model)

    def prompt_version_for(self, codebook: Codebook) -> str:
        """What this engine's suggestions under ``codebook`` are stored and reused as."""
        return prompt_version_for(codebook, self.options)

    def client(self) -> AsyncAnthropic:
        return make_client(
            self._key,
            self.options.max_retries,
            self.options.timeout_s,
            self._http_client_factory,
        )

    def suggest(
        self,
        passages: Sequence[PassageInput],
        codebook: Codebook,
        progress: Progress | None = None,
        cancel: CancelToken | None = None,
    ) -> list[Suggestion]:
        # Passages with nothing to code are never sent (one shared rule, workbench.core.abstain).
        return asyncio.run(self._run(codable(passages), codebook, progress, cancel))

    def _deliver(
        self, suggestions: list[Suggestion], done: list[int], records: list[RequestRecord]
    ) -> None:
        self.budget.spend(sum(r.cost_usd for r in records))
        self.completed.update(done)
        if self.on_result is not None:
            self.on_result(suggestions, done, records)
            self.delivered += len(suggestions)
        else:
            self._results.extend(suggestions)
            self.requests.extend(records)
        if done:
            self._progress()

    async def _run(
        self,
        passages: list[PassageInput],
        codebook: Codebook,
        progress: Progress | None,
        cancel: CancelToken | None,
    ) -> list[Suggestion]:
        chunks = make_chunks(passages, self.options)
        if not chunks:
            return []
        client = self.client()
        self._semaphore = asyncio.Semaphore(self.options.concurrency)
        if progress is not None:
            self._progress = lambda: progress(len(self.completed), len(passages), "Claude")

        async def one(chunk: Chunk) -> None:
            if cancel is not None and cancel.cancelled:
                raise Cancelled()
            await self._settle(client, chunk, codebook)

        tasks = [asyncio.create_task(one(chunk)) for chunk in chunks]
        try:
            failed = await gather_cancellable(tasks, cancel)
        finally:
            await client.close()
        self.failures.extend(str(outcome) for outcome in failed)
        if self.failures and not self.completed and not self.skipped_for_cost:
            raise SuggestionError(f"every request failed; the first: {self.failures[0]}")
        return self._results

    def _within_budget(self, chunk: Chunk, codebook: Codebook) -> float | None:
        """Reserve the chunk's estimated cost under --max-cost; None (and skipped) if it would not fit."""
        _usage, estimate = estimate_chunk_cost(
            chunk, codebook, self.options, cached=self.budget.warm
        )
        if not self.budget.reserve(estimate, self.options.max_cost_usd):
            self.skipped_for_cost.extend(p.passage_id for p in chunk.passages)
            return None
        return estimate

    async def _send(self, client: AsyncAnthropic, chunk: Chunk, codebook: Codebook) -> Message:
        """One request (under the concurrency bound); an API error is recorded and raised."""
        assert self._semaphore is not None
        params = request_params(chunk, codebook, self.options)
        async with self._semaphore:
            try:
                return await client.messages.create(**params)
            except APIError as exc:
                self._deliver(
                    [],
                    [],
                    [
                        RequestRecord(
                            self.model,
                            len(chunk.passages),
                            Usage(),
                            0.0,
                            False,
                            describe_api_error(exc),
                        )
                    ],
                )
                raise SuggestionError(
                    f"chunk of {len(chunk.passages)} passages: {describe_api_error(exc)}"
                ) from exc

    async def _settle(
        self,
        client: AsyncAnthropic,
        chunk: Chunk,
        codebook: Codebook,
        depth: int = 0,
        ask_missing: bool = True,
    ) -> None:
        """Send a chunk and hand over what came back.

        A malformed reply is asked again once. A reply cut off at ``max_tokens`` is paid for
        and recorded, and the chunk is split in halves and asked again (a resend would be cut
        off the same way). Passages the reply leaves out are asked again once, on their own,
        and are then reported as failed, never recorded as done.
        """
        for attempt in (1, 2):
            estimate = self._within_budget(chunk, codebook)
            if estimate is None:
                return
            try:
                message = await self._send(client, chunk, codebook)
            finally:
                self.budget.release(estimate)
            usage = usage_of(message)
            price = cost(self.model, usage)
            size = len(chunk.passages)
            if getattr(message, "stop_reason", None) == "max_tokens":
                self._deliver(
                    [],
                    [],
                    [
                        RequestRecord(
                            self.model, size, usage, price, False, "reply cut off at max_tokens"
                        )
                    ],
                )
                await self._split(client, chunk, codebook, depth)
                return
            snapshot = getattr(message, "model", None) or None
            try:
                found, answered = parse_reply_ids(
                    reply_text(message),
                    chunk,
                    codebook,
                    self.model,
                    snapshot,
                    self.prompt_version_for(codebook),
                )
            except MalformedReply as exc:
                self._deliver(
                    [],
                    [],
                    [
                        RequestRecord(
                            self.model, size, usage, price, False, f"malformed reply: {exc}"
                        )
                    ],
                )
                if attempt == 2:
                    raise SuggestionError(
                        f"chunk starting at {chunk.passages[0].key}: malformed reply twice ({exc})"
                    ) from exc
                log.warning("malformed reply for chunk at %s; retrying once", chunk.passages[0].key)
                continue
            missing = [p for p in chunk.passages if p.passage_id not in answered]
            note = f"{len(missing)} of {size} passages left out of the reply" if missing else None
            self._deliver(
                found,
                [p.passage_id for p in chunk.passages if p.passage_id in answered],
                [RequestRecord(self.model, size, usage, price, True, note)],
            )
            if not missing:
                return
            if ask_missing:
                log.warning("%s; asking for them again", note)
                await self._settle(client, sub_chunk(chunk, missing), codebook, depth, False)
                return
            self.left_out.extend(p.passage_id for p in missing)
            raise SuggestionError(
                f"{len(missing)} passages left out of the reply twice (first {missing[0].key}); "
                "they are tried again next run"
            )

    async def _split(
        self, client: AsyncAnthropic, chunk: Chunk, codebook: Codebook, depth: int
    ) -> None:
        if len(chunk.passages) == 1 or depth >= MAX_SPLIT_DEPTH:
            raise SuggestionError(
                f"the reply for {len(chunk.passages)} passages starting at {chunk.passages[0].key} "
                f"was cut off at max_tokens ({self.options.max_tokens}) even after splitting"
            )
        half = len(chunk.passages) // 2
        outcomes = await asyncio.gather(
            self._settle(client, sub_chunk(chunk, chunk.passages[:half]), codebook, depth + 1),
            self._settle(client, sub_chunk(chunk, chunk.passages[half:]), codebook, depth + 1),
            return_exceptions=True,
        )
        errors = [o for o in outcomes if isinstance(o, BaseException)]
        for error in errors[1:]:
            self.failures.append(str(error))
        if errors:
            raise errors[0]
