"""Machine translation of passages through Claude, aligned passage by passage, for coders who
do not read a transcript's language.

Why aligned batches: a coder reads the translation beside the original passage, so each
translated text must belong to exactly one passage. Many passages of one interview go in one
request (the model sees the conversation, and the cached instructions are paid once), and the
reply is a JSON list of passage ids and texts that is checked to name every id sent exactly
once; a reply that does not is asked again once and then reported for its chunk, with nothing
stored for it. A reply cut off at max_tokens has its chunk split in halves and asked again, down
to one passage. The privacy rules are the suggester's: local-only transcripts are never sent,
redaction applies, and the cost is estimated before anything is sent (counted by the API's
count_tokens when a key is set, as the suggester's estimate is; offline otherwise).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import httpx2
from anthropic import APIConnectionError, APIError, AsyncAnthropic

from workbench.core.store import Project
from workbench.core.store.llm import record_requests
from workbench.core.store.translations import (
    StoredTranslation,
    save_translations,
)
from workbench.core.tasks import Cancelled, CancelToken, Progress
from workbench.suggest.cancel_watch import gather_cancellable
from workbench.suggest.claude import (
    RequestRecord,
    api_key,
    connection_problem,
    reply_text,
    usage_of,
)
from workbench.suggest.prices import Usage, cost
from workbench.suggest.translation_plan import (
    ENGINE,
    INSTRUCTIONS,
    REQUEST_ENGINE,
    MalformedTranslation,
    PassageToTranslate,
    TranslationChunk,
    TranslationError,
    TranslationOptions,
    TranslationPlan,
    TranslationRun,
    plan_translation,
)
from workbench.suggest.translation_request import (
    OFFLINE_SOURCE,
    Sink,
    TokenCount,
    count_input,
    counting_client,
    estimate,
    estimate_chunk,
    parse_reply,
    priced,
    request_params,
)

# what callers import from here: the planning and request halves live in their own modules
__all__ = [
    "INSTRUCTIONS",
    "OFFLINE_SOURCE",
    "TokenCount",
    "TranslationError",
    "TranslationOptions",
    "Translator",
    "count_input",
    "counting_client",
    "estimate",
    "estimate_chunk",
    "plan_translation",
    "priced",
    "translate_project",
]

log = logging.getLogger(__name__)


class Translator:
    """Sends a plan's chunks to Claude, a few at a time, and hands each result over as it comes."""

    def __init__(
        self,
        options: TranslationOptions,
        http_client_factory: Callable[[], httpx2.AsyncClient] | None = None,
        key: str | None = None,
    ):
        self.options = options
        self._http_client_factory = http_client_factory
        self._key = key

    def client(self) -> AsyncAnthropic:
        key = self._key or api_key()
        if not key:
            raise TranslationError(
                "no Anthropic API key: set ANTHROPIC_API_KEY (or anthropic_api_key in the "
                "workbench settings file); there is no local translator"
            )
        return AsyncAnthropic(
            api_key=key,
            max_retries=self.options.max_retries,
            timeout=httpx2.Timeout(self.options.timeout_s, connect=10.0),
            http_client=self._http_client_factory() if self._http_client_factory else None,
        )

    def run(
        self,
        plan: TranslationPlan,
        sink: Sink,
        progress: Progress | None = None,
        cancel: CancelToken | None = None,
    ) -> TranslationRun:
        if not plan.chunks:
            return TranslationRun()
        client = self.client()  # no key: refused before anything else happens
        return asyncio.run(self._run(client, plan, sink, progress, cancel))

    async def _run(
        self,
        client: AsyncAnthropic,
        plan: TranslationPlan,
        sink: Sink,
        progress: Progress | None,
        cancel: CancelToken | None,
    ) -> TranslationRun:
        run = TranslationRun()
        semaphore = asyncio.Semaphore(self.options.concurrency)
        total = plan.passages

        def deliver(
            chunk: TranslationChunk, texts: dict[int, str], records: list[RequestRecord]
        ) -> None:
            """Store what a reply gave (maybe nothing) with the requests paid for, at once."""
            rows = [
                StoredTranslation(
                    p.passage_id,
                    plan.target_language,
                    p.source_language,
                    texts[p.passage_id],
                    ENGINE,
                    self.options.model,
                )
                for p in chunk.passages
                if p.passage_id in texts
            ]
            sink(rows, records)
            run.requests.extend(records)
            run.translated += len(rows)
            if rows and progress is not None:
                progress(run.translated, total, "Claude")

        async def one(chunk: TranslationChunk) -> None:
            async with semaphore:
                if cancel is not None and cancel.cancelled:
                    raise Cancelled()
                run.failed.extend(await self._settle(client, chunk, deliver))

        tasks = [asyncio.create_task(one(chunk)) for chunk in plan.chunks]
        try:
            failed = await gather_cancellable(tasks, cancel)
        finally:
            await client.close()
        run.failed.extend(str(outcome) for outcome in failed)
        return run

    async def _settle(
        self, client: AsyncAnthropic, chunk: TranslationChunk, deliver: _Deliver
    ) -> list[str]:
        """Translate a chunk, handing each reply to ``deliver``; what failed, one line a piece.

        A reply cut off at ``max_tokens`` is paid for and recorded, then the chunk is split in
        halves and each half settled the same way (sent whole again it would be cut off again),
        one half after the other so ``concurrency`` still holds; a single passage whose
        translation is still cut off is reported failed, with nothing stored for it."""
        try:
            texts, records = await self._ask(client, chunk)
        except _CutOff as exc:
            deliver(chunk, {}, exc.records)
            size = len(chunk.passages)
            if size == 1:
                return [
                    f"passage {chunk.passages[0].key}: its translation was cut off at max_tokens "
                    f"({self.options.max_tokens}) even on its own; nothing stored for it"
                ]
            log.warning(
                "translation of %d passages at %s cut off at max_tokens; splitting in halves",
                size,
                chunk.passages[0].key,
            )
            failed: list[str] = []
            for part in (chunk.passages[: size // 2], chunk.passages[size // 2 :]):
                failed += await self._settle(client, _part(chunk, part), deliver)
            return failed
        except _ChunkFailed as exc:  # nothing stored for the chunk, its spend kept
            deliver(chunk, {}, exc.records)
            return [str(exc)]
        deliver(chunk, texts, records)
        return []

    async def _ask(
        self, client: AsyncAnthropic, chunk: TranslationChunk
    ) -> tuple[dict[int, str], list[RequestRecord]]:
        """One chunk: a malformed reply is asked again once, then the chunk fails, unstored.

        Every request paid for is handed back (through the error's ``records`` on failure),
        so the spend log holds what failed too."""
        records: list[RequestRecord] = []
        model = self.options.model
        size = len(chunk.passages)
        for attempt in (1, 2):
            try:
                message = await client.messages.create(**request_params(chunk, self.options))
            except APIError as exc:
                records.append(RequestRecord(model, size, Usage(), 0.0, False, _describe(exc)))
                raise _ChunkFailed(
                    f"chunk starting at {chunk.passages[0].key}: {_describe(exc)}", records
                ) from exc
            usage = usage_of(message)
            price = cost(model, usage)
            if getattr(message, "stop_reason", None) == "max_tokens":
                records.append(
                    RequestRecord(model, size, usage, price, False, "reply cut off at max_tokens")
                )
                raise _CutOff(f"cut off at {chunk.passages[0].key}", records)
            try:
                texts = parse_reply(reply_text(message), chunk)
            except MalformedTranslation as exc:
                records.append(RequestRecord(model, size, usage, price, False, str(exc)))
                if attempt == 2:
                    raise _ChunkFailed(
                        f"chunk starting at {chunk.passages[0].key}: malformed reply twice "
                        f"({exc}); nothing stored for it",
                        records,
                    ) from exc
                log.warning(
                    "malformed translation at %s (%s); asking again", chunk.passages[0].key, exc
                )
                continue
            records.append(RequestRecord(model, size, usage, price, True))
            return texts, records
        raise AssertionError("unreachable")


class _ChunkFailed(TranslationError):
    def __init__(self, message: str, records: list[RequestRecord]):
        super().__init__(message)
        self.records = records


class _CutOff(_ChunkFailed):
    """The reply stopped at max_tokens: the chunk is split, not asked again whole."""


# Hands over one reply's translations (maybe none) and the requests paid for to get it.
_Deliver = Callable[[TranslationChunk, dict[int, str], list[RequestRecord]], None]


def _part(chunk: TranslationChunk, passages: list[PassageToTranslate]) -> TranslationChunk:
    """Some of a chunk's passages as a chunk of their own, with the same (redacted) texts."""
    return TranslationChunk(
        list(passages), {p.passage_id: chunk.texts[p.passage_id] for p in passages}
    )


def _describe(exc: APIError) -> str:
    if isinstance(exc, APIConnectionError):
        return connection_problem(exc)
    status = getattr(exc, "status_code", None)
    return f"{exc.__class__.__name__} (HTTP {status})" if status else exc.__class__.__name__


def translate_project(
    project: Project,
    plan: TranslationPlan,
    translator: Translator,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> TranslationRun:
    """Run a plan and store each chunk's translations and spend the moment its reply is read,
    so a run stopped halfway keeps what it paid for (and the next run sends only the rest)."""

    def store(rows: list[StoredTranslation], records: list[RequestRecord]) -> None:
        with project.transaction() as conn:
            save_translations(conn, rows)
            record_requests(conn, REQUEST_ENGINE, records)

    return translator.run(plan, store, progress, cancel)
