"""The Claude engine: the codebook in a cached system prompt, many passages per request.

Requests run concurrently (``AsyncAnthropic`` under a semaphore); the SDK retries 429, 529 and
5xx with backoff and honours ``retry-after``; every request has an explicit timeout. Replies are
constrained by a JSON schema and still validated: unknown passage or code ids are dropped and
logged, evidence that is not in the passage is flagged, a malformed reply is retried once and
then reported for its chunk only. Nothing is ever applied: suggestions wait for a human.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import httpx2
from anthropic import APIConnectionError, APIError, APITimeoutError, AsyncAnthropic

from workbench.core.codebook import Codebook
from workbench.core.errors import WorkbenchError
from workbench.core.tasks import Cancelled, CancelToken, Progress
from workbench.settings import load_settings
from workbench.suggest.engine import PassageInput, Suggestion, codable, locate_evidence
from workbench.suggest.prices import DEFAULT_MODEL, Usage, cost, estimate_tokens
from workbench.suggest.prompt import (
    DEFAULT_LANGUAGE,
    PROMPT_VERSION,
    TeamExample,
    prefix_text,
    prompt_key,
    question_context,
    reply_schema,
    system_blocks,
    unescape,
    user_message,
)
from workbench.suggest.redaction import Redacted, redact

log = logging.getLogger(__name__)


class SuggestionError(WorkbenchError):
    """The engine could not produce suggestions (no key, every request failed, ...)."""


class MalformedReply(Exception):
    """A reply that is not the JSON the schema asks for."""


@dataclass(frozen=True)
class ClaudeOptions:
    model: str = DEFAULT_MODEL
    concurrency: int = 4
    chunk_chars: int = 12_000
    chunk_passages: int = 40
    max_tokens: int = 8_000
    timeout_s: float = 120.0
    max_retries: int = 4
    redact: bool = False
    redact_names: tuple[str, ...] = ()
    max_cost_usd: float | None = None
    language: str = field(default_factory=lambda: coder_language())  # rationales are in it
    examples: tuple[TeamExample, ...] = ()  # the team's coded passages (suggest/examples.py)


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


@dataclass
class Chunk:
    passages: list[PassageInput]
    texts: dict[int, str]  # what is sent (redacted when asked)
    redactions: dict[int, Redacted] = field(default_factory=dict)


def coder_language() -> str:
    """The language rationales are written in: the ``rationale_language`` setting, else English.

    Quotes are never translated; only the model's own words follow the coder's language.
    """
    value = load_settings().get("rationale_language")
    return value.strip() if isinstance(value, str) and value.strip() else DEFAULT_LANGUAGE


def api_key() -> str | None:
    """The key from ANTHROPIC_API_KEY, else the per-user settings file (never the project)."""
    key = os.environ.get("ANTHROPIC_API_KEY") or load_settings().get("anthropic_api_key")
    return key if isinstance(key, str) and key.strip() else None


def make_chunks(passages: Sequence[PassageInput], options: ClaudeOptions) -> list[Chunk]:
    """Consecutive passages of one interview grouped up to a size, each with the text to send.

    A request never mixes interviews: the model reads each passage inside its own conversation,
    and a long interview is split over several requests instead.
    """
    chunks: list[Chunk] = []
    current: list[PassageInput] = []
    size = 0
    for passage in passages:
        length = len(passage.text) + len(question_context(passage.context))
        if not current:  # inside a request the previous answer is the passage just before
            length += len(question_context(passage.previous_answer))
        if current and (
            size + length > options.chunk_chars
            or len(current) >= options.chunk_passages
            or passage.interview != current[0].interview
        ):
            chunks.append(_chunk(current, options))
            current, size = [], 0
        current.append(passage)
        size += length
    if current:
        chunks.append(_chunk(current, options))
    return chunks


def _chunk(passages: list[PassageInput], options: ClaudeOptions) -> Chunk:
    if not options.redact:
        return Chunk(list(passages), {p.passage_id: p.text for p in passages})
    redactions = {p.passage_id: redact(p.text, options.redact_names) for p in passages}
    safe = [
        PassageInput(
            p.passage_id,
            p.key,
            p.text,
            redact(p.context, options.redact_names).text,
            p.interview,
            redact(p.previous_answer, options.redact_names).text,
        )
        for p in passages
    ]
    return Chunk(safe, {pid: r.text for pid, r in redactions.items()}, redactions)


def prefix_blocks(codebook: Codebook, options: ClaudeOptions) -> list[dict[str, object]]:
    """The static, cached system prompt of every request of a run (examples redacted when the
    passages are: they are participants' words too)."""
    examples = options.examples
    if options.redact:
        examples = tuple(
            TeamExample(e.code_id, redact(e.text, options.redact_names).text, e.applies)
            for e in examples
        )
    return system_blocks(codebook, examples, options.language)


def prompt_version_for(codebook: Codebook, options: ClaudeOptions) -> str:
    """The prompt version suggestions are stored and reused under: a hash of the prefix."""
    return prompt_key(prefix_blocks(codebook, options), reply_schema(codebook))


def request_params(chunk: Chunk, codebook: Codebook, options: ClaudeOptions) -> dict[str, object]:
    """The Messages API parameters for one chunk (also the body of a batch request)."""
    return {
        "model": options.model,
        "max_tokens": options.max_tokens,
        "system": prefix_blocks(codebook, options),
        "messages": [{"role": "user", "content": user_message(chunk.passages, chunk.texts)}],
        "output_config": {"format": {"type": "json_schema", "schema": reply_schema(codebook)}},
    }


def estimate_chunk_cost(
    chunk: Chunk, codebook: Codebook, options: ClaudeOptions, cached: bool
) -> tuple[Usage, float]:
    """Tokens and dollars a chunk should cost, before sending it (output: ~60 tokens a passage)."""
    system = estimate_tokens(prefix_text(prefix_blocks(codebook, options)))
    message = estimate_tokens(user_message(chunk.passages, chunk.texts))
    usage = Usage(
        input_tokens=message,
        cache_creation_input_tokens=0 if cached else system,
        cache_read_input_tokens=system if cached else 0,
        output_tokens=60 * len(chunk.passages),
    )
    return usage, cost(options.model, usage)


def parse_reply(text: str, chunk: Chunk, codebook: Codebook, model: str) -> list[Suggestion]:
    """Validated suggestions from a reply; raises MalformedReply when it is not usable JSON."""
    return parse_reply_ids(text, chunk, codebook, model)[0]


def parse_reply_ids(
    text: str,
    chunk: Chunk,
    codebook: Codebook,
    model: str,
    snapshot: str | None = None,
    prompt_version: str = PROMPT_VERSION,
) -> tuple[list[Suggestion], set[int]]:
    """Validated suggestions and the ids of the chunk's passages the reply answered.

    A passage the reply leaves out is not an answer "no code applies": the caller must see
    which ones are missing, so that they are asked again rather than recorded as done.
    """
    try:
        data = json.loads(text)
        items = data["passages"]
        if not isinstance(items, list):
            raise TypeError("'passages' is not a list")
    except (ValueError, KeyError, TypeError) as exc:
        raise MalformedReply(str(exc)) from exc
    by_id = {str(p.passage_id): p for p in chunk.passages}
    found: list[Suggestion] = []
    answered: set[int] = set()
    for item in items:
        if not isinstance(item, dict) or str(item.get("passage_id")) not in by_id:
            log.warning(
                "reply names an unknown passage id %r; ignored",
                item.get("passage_id") if isinstance(item, dict) else item,
            )
            continue
        passage = by_id[str(item["passage_id"])]
        answered.add(passage.passage_id)
        seen: set[str] = set()
        for code in item.get("codes") or []:
            if not isinstance(code, dict):
                continue
            code_id = code.get("code_id")
            if code_id not in codebook:
                log.warning(
                    "reply suggests unknown code %r for passage %s; dropped", code_id, passage.key
                )
                continue
            if code_id in seen:
                continue
            seen.add(code_id)
            found.append(_suggestion(passage, chunk, code, model, snapshot, prompt_version))
    return found, answered


def sub_chunk(chunk: Chunk, passages: Sequence[PassageInput]) -> Chunk:
    """Some of a chunk's passages as a chunk of their own, with the same (redacted) texts."""
    ids = {p.passage_id for p in passages}
    return Chunk(
        list(passages),
        {pid: text for pid, text in chunk.texts.items() if pid in ids},
        {pid: r for pid, r in chunk.redactions.items() if pid in ids},
    )


def _suggestion(  # type: ignore[type-arg]
    passage: PassageInput,
    chunk: Chunk,
    code: dict,
    model: str,
    snapshot: str | None = None,
    prompt_version: str = PROMPT_VERSION,
) -> Suggestion:
    quote = unescape(str(code.get("evidence") or ""))
    sent = chunk.texts[passage.passage_id]
    start, end, found = locate_evidence(sent, quote)
    redaction = chunk.redactions.get(passage.passage_id)
    if found and redaction is not None and start is not None and end is not None:
        start, end = redaction.to_original(start, end)
    evidence = passage.text[start:end] if found and start is not None else quote
    try:
        confidence = min(1.0, max(0.0, float(code.get("confidence", 0.5))))
    except (TypeError, ValueError):
        confidence = 0.5
    return Suggestion(
        passage_id=passage.passage_id,
        code_id=str(code["code_id"]),
        confidence=confidence,
        evidence=evidence,
        evidence_start=start if found else None,
        evidence_end=end if found else None,
        rationale=str(code.get("rationale") or "")[:500],
        engine="claude",
        model=model,
        prompt_version=prompt_version,
        evidence_found=found,
        model_snapshot=snapshot,
    )


def reply_text(message) -> str:  # type: ignore[no-untyped-def]
    return "".join(
        getattr(block, "text", "")
        for block in message.content
        if getattr(block, "type", "") == "text"
    )


def usage_of(message) -> Usage:  # type: ignore[no-untyped-def]
    usage = message.usage
    return Usage(
        input_tokens=usage.input_tokens or 0,
        cache_creation_input_tokens=getattr(usage, "cache_creation_input_tokens", 0) or 0,
        cache_read_input_tokens=getattr(usage, "cache_read_input_tokens", 0) or 0,
        output_tokens=usage.output_tokens or 0,
    )


def claude_rater(model: str) -> str:
    """The coder Claude's suggestions count as: one per model, across prompt revisions."""
    return f"claude/{model}"


# What a completed request hands over at once: its suggestions, the passages it settled (with
# or without suggestions) and the requests paid for. The runner stores each in one transaction.
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
    sends_data = True

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
        self.spent_usd = 0.0  # what this engine's requests cost, as the API reported them
        self._results: list[Suggestion] = []
        self._reserved = 0.0
        self._semaphore: asyncio.Semaphore | None = None
        self._progress: Callable[[], None] = lambda: None

    @property
    def model(self) -> str:
        return self.options.model

    @property
    def rater(self) -> str:
        return claude_rater(self.model)

    def prompt_version_for(self, codebook: Codebook) -> str:
        """What this engine's suggestions under ``codebook`` are stored and reused as."""
        return prompt_version_for(codebook, self.options)

    def client(self) -> AsyncAnthropic:
        key = self._key or api_key()
        if not key:
            raise SuggestionError(
                "no Anthropic API key: set ANTHROPIC_API_KEY (or anthropic_api_key in the workbench "
                "settings file), or use the local engine"
            )
        return AsyncAnthropic(
            api_key=key,
            max_retries=self.options.max_retries,
            timeout=httpx2.Timeout(self.options.timeout_s, connect=10.0),
            http_client=self._http_client_factory() if self._http_client_factory else None,
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
        self.spent_usd += sum(r.cost_usd for r in records)
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
            watcher = (
                asyncio.create_task(self._watch(cancel, tasks)) if cancel is not None else None
            )
            outcomes = await asyncio.gather(*tasks, return_exceptions=True)
            if watcher is not None:
                watcher.cancel()
        finally:
            await client.close()
        if cancel is not None and cancel.cancelled:
            raise Cancelled()
        for outcome in outcomes:
            if isinstance(outcome, BaseException) and not isinstance(
                outcome, asyncio.CancelledError
            ):
                self.failures.append(str(outcome))
        if self.failures and not self.completed and not self.skipped_for_cost:
            raise SuggestionError(f"every request failed; the first: {self.failures[0]}")
        return self._results

    @staticmethod
    async def _watch(cancel: CancelToken, tasks: list[asyncio.Task]) -> None:  # type: ignore[type-arg]
        while not cancel.cancelled:
            await asyncio.sleep(0.05)
        for task in tasks:
            task.cancel()

    def _within_budget(self, chunk: Chunk, codebook: Codebook) -> float | None:
        """Reserve the chunk's estimated cost under --max-cost; None (and skipped) if it would not fit."""
        _usage, estimate = estimate_chunk_cost(
            chunk, codebook, self.options, cached=self.spent_usd + self._reserved > 0
        )
        cap = self.options.max_cost_usd
        if cap is not None and self.spent_usd + self._reserved + estimate > cap:
            self.skipped_for_cost.extend(p.passage_id for p in chunk.passages)
            return None
        self._reserved += estimate
        return estimate

    async def _send(self, client: AsyncAnthropic, chunk: Chunk, codebook: Codebook):  # type: ignore[no-untyped-def]
        """One request (under the concurrency bound); an API error is recorded and raised."""
        assert self._semaphore is not None
        params = request_params(chunk, codebook, self.options)
        async with self._semaphore:
            try:
                return await client.messages.create(**params)  # type: ignore[arg-type]
            except APIError as exc:
                self._deliver(
                    [],
                    [],
                    [
                        RequestRecord(
                            self.model, len(chunk.passages), Usage(), 0.0, False, _describe(exc)
                        )
                    ],
                )
                raise SuggestionError(
                    f"chunk of {len(chunk.passages)} passages: {_describe(exc)}"
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
                self._reserved -= estimate
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


def _describe(exc: APIError) -> str:
    if isinstance(exc, APIConnectionError):
        return connection_problem(exc)
    status = getattr(exc, "status_code", None)
    name = exc.__class__.__name__
    return f"{name} (HTTP {status})" if status else name


def connection_problem(exc: BaseException) -> str:
    """What failed when the API could not be reached, in words, and what to try.

    The SDK wraps every transport failure in one APIConnectionError; the cause underneath says
    whether it was the proxy, the name lookup, the certificate or the network itself.
    """
    if isinstance(exc, APITimeoutError):
        return (
            "the request to the Anthropic API timed out: the network may be slow or the request "
            "too large; try again, or lower --concurrency"
        )
    causes: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(causes) < 10:
        causes.append(current)
        current = current.__cause__ or current.__context__
    text = " ".join(str(c) for c in causes).lower()
    kinds = tuple(type(c) for c in causes)
    base = os.environ.get("ANTHROPIC_BASE_URL") or "api.anthropic.com"
    if any(issubclass(k, httpx2.ProxyError) for k in kinds) or "proxy" in text:
        return (
            "could not connect through the proxy: check HTTPS_PROXY / HTTP_PROXY (or unset them), "
            "and that the proxy allows api.anthropic.com"
        )
    if any(issubclass(k, ssl.SSLError) for k in kinds) or any(
        word in text for word in ("certificate", "ssl", "tls")
    ):
        return (
            "the TLS connection failed (certificate not trusted or intercepted): a company proxy "
            "may inspect traffic; set SSL_CERT_FILE to its certificate bundle, or check the clock"
        )
    if any(issubclass(k, socket.gaierror) for k in kinds) or any(
        word in text
        for word in (
            "name or service not known",
            "name resolution",
            "nodename nor servname",
            "getaddrinfo",
            "no address associated",
        )
    ):
        return (
            f"the name {base} could not be looked up (DNS): check the network connection and DNS "
            "settings, or ANTHROPIC_BASE_URL if you set it"
        )
    if any(word in text for word in ("refused", "unreachable", "no route", "network is down")):
        return (
            f"no network connection to {base} (connection refused or network unreachable): check "
            "that this computer is online, or use the local engine, which works offline"
        )
    return (
        f"could not connect to {base}: check the network connection, proxy settings "
        "(HTTPS_PROXY) and ANTHROPIC_BASE_URL, or use the local engine"
    )
