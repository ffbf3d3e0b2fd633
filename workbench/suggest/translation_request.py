"""One translation request and its reply: the cached instructions, the message, the reply
schema and its checks, and the cost estimate (counted by the API when a key is set)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

import httpx2
from anthropic import Anthropic, APIError
from anthropic.types import TextBlockParam
from anthropic.types.message_create_params import MessageCreateParamsNonStreaming

from workbench.core.store.translations import (
    StoredTranslation,
)
from workbench.core.tasks import CancelToken, Progress
from workbench.suggest.claude import (
    RequestRecord,
    api_key,
)
from workbench.suggest.prices import Usage, cost, estimate_tokens
from workbench.suggest.prompt import escape, unescape
from workbench.suggest.translation_plan import (
    INSTRUCTIONS,
    MalformedTranslation,
    TranslationChunk,
    TranslationOptions,
    TranslationPlan,
)

log = logging.getLogger(__name__)


def system_blocks() -> list[TextBlockParam]:
    """The static instructions, cached: the same for every request of every run."""
    return [{"type": "text", "text": INSTRUCTIONS, "cache_control": {"type": "ephemeral"}}]


def reply_schema() -> dict[str, object]:
    return {
        "type": "object",
        "properties": {
            "translations": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"passage_id": {"type": "string"}, "text": {"type": "string"}},
                    "required": ["passage_id", "text"],
                    "additionalProperties": False,
                },
            }
        },
        "required": ["translations"],
        "additionalProperties": False,
    }


def user_message(chunk: TranslationChunk, target_language: str) -> str:
    first = chunk.passages[0]
    source = f' source_language="{escape(first.source_language)}"' if first.source_language else ""
    lines = [
        f'<transcript_data target_language="{escape(target_language)}">',
        f'<interview id="{escape(first.transcript)}"{source}>',
    ]
    lines += [
        f'<passage id="{p.passage_id}">{escape(chunk.texts[p.passage_id])}</passage>'
        for p in chunk.passages
    ]
    lines += ["</interview>", "</transcript_data>"]
    lines.append(f"Translate each passage into {target_language}.")
    return "\n".join(lines)


def request_params(
    chunk: TranslationChunk, options: TranslationOptions
) -> MessageCreateParamsNonStreaming:
    """Typed as the SDK's own parameters: a key or shape the API does not take fails mypy."""
    return {
        "model": options.model,
        "max_tokens": options.max_tokens,
        "system": system_blocks(),
        "messages": [{"role": "user", "content": user_message(chunk, options.target_language)}],
        "output_config": {"format": {"type": "json_schema", "schema": reply_schema()}},
    }


def parse_reply(text: str, chunk: TranslationChunk) -> dict[int, str]:
    """Passage id -> translated text, only when the reply names every id sent exactly once."""
    try:
        items = json.loads(text)["translations"]
        if not isinstance(items, list):
            raise TypeError("'translations' is not a list")
    except (ValueError, KeyError, TypeError) as exc:
        raise MalformedTranslation(f"not the JSON asked for ({exc})") from exc
    sent = {str(p.passage_id): p.passage_id for p in chunk.passages}
    found: dict[int, str] = {}
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise MalformedTranslation(f"an entry is not {{passage_id, text}}: {item!r:.80}")
        key = str(item.get("passage_id"))
        if key not in sent:
            raise MalformedTranslation(f"passage id {key!r} was not sent")
        if sent[key] in found:
            raise MalformedTranslation(f"passage id {key} translated twice")
        found[sent[key]] = unescape(item["text"])
    missing = [p.key for p in chunk.passages if p.passage_id not in found]
    if missing:
        raise MalformedTranslation(
            f"{len(missing)} passages missing from the reply (first {missing[0]})"
        )
    return found


# -- cost ----------------------------------------------------------------------------------------


def estimate_chunk(chunk: TranslationChunk, options: TranslationOptions, cached: bool) -> Usage:
    """Tokens a chunk should cost: its message in, and about as many tokens out as its texts
    (plus the JSON around them); the instructions are written to the cache once, then read."""
    system = estimate_tokens(INSTRUCTIONS)
    message = estimate_tokens(user_message(chunk, options.target_language))
    output = int(sum(estimate_tokens(t) for t in chunk.texts.values()) * 1.15) + 15 * len(
        chunk.texts
    )
    return Usage(
        input_tokens=message,
        cache_creation_input_tokens=0 if cached else system,
        cache_read_input_tokens=system if cached else 0,
        output_tokens=output,
    )


COUNTED_SAMPLE = 5  # requests counted exactly by the API; the rest are scaled from them
OFFLINE_SOURCE = "offline (about 3.5 characters a token; not counted by the API)"
COUNTED_SOURCE = "count_tokens"


@dataclass(frozen=True)
class TokenCount:
    """What ``count_tokens`` found, kept apart from the pricing so the app can count on a
    worker thread and price on the GUI thread (and price a second plan by the same factor).

    ``scale`` is the counted input over the offline guess for the requests counted; 1.0 and
    ``OFFLINE_SOURCE`` when nothing was counted, with ``error`` naming the API error class
    when counting was tried and failed."""

    scale: float = 1.0
    source: str = OFFLINE_SOURCE
    counted: int = 0  # requests counted by the API
    requests: int = 0  # requests in the plan counted
    error: str | None = None

    @property
    def problem(self) -> str | None:
        if self.error is None:
            return None
        return f"count_tokens failed ({self.error}); using the offline estimate"


def count_input(
    plan: TranslationPlan,
    options: TranslationOptions,
    client: Anthropic | None,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> TokenCount:
    """Count a sample of the plan's requests with the API (this sends their text, so the plan
    must already be redacted as it will be sent and hold no local-only transcript).

    An API error falls back to the offline estimate and says which error; ``cancel`` is
    looked at before each request, so a cancelled count sends nothing more."""
    if client is None or not plan.chunks:
        return TokenCount(requests=len(plan.chunks))
    try:
        found = _count_tokens(client, plan.chunks, options, progress, cancel)
    except APIError as exc:
        count = TokenCount(requests=len(plan.chunks), error=exc.__class__.__name__)
        log.warning(count.problem)
        return count
    if found is None:
        return TokenCount(requests=len(plan.chunks))
    scale, counted = found
    return TokenCount(scale, COUNTED_SOURCE, counted, len(plan.chunks))


def priced(
    plan: TranslationPlan, options: TranslationOptions, count: TokenCount
) -> dict[str, object]:
    """The run's tokens and dollars: every request's offline estimate, its input scaled by
    what ``count_tokens`` found. Output tokens are always the offline guess: the API cannot
    count what has not been written."""
    usage = Usage()
    for index, chunk in enumerate(plan.chunks):
        guess = estimate_chunk(chunk, options, cached=index > 0)
        usage = usage + Usage(
            round(guess.input_tokens * count.scale),
            round(guess.cache_creation_input_tokens * count.scale),
            round(guess.cache_read_input_tokens * count.scale),
            guess.output_tokens,
        )
    figures: dict[str, object] = {
        "model": options.model,
        "requests": len(plan.chunks),
        "passages": plan.passages,
        "input_tokens": usage.input_tokens
        + usage.cache_creation_input_tokens
        + usage.cache_read_input_tokens,
        "output_tokens": usage.output_tokens,
        "cost_usd": round(cost(options.model, usage), 4),
        "estimate_source": count.source,
    }
    if count.problem is not None:
        figures["count_tokens_error"] = count.problem
    return figures


def estimate(
    plan: TranslationPlan, options: TranslationOptions, client: Anthropic | None = None
) -> dict[str, object]:
    """The run's tokens and dollars before anything is sent.

    The suggester's rules: with a client, ``count_tokens`` counts the input of a few requests
    exactly and every request's offline estimate is scaled by what it found (counting each
    request would cost as many calls); without one, or when counting fails, the figure is the
    offline estimate and ``estimate_source`` says so."""
    return priced(plan, options, count_input(plan, options, client))


def _count_tokens(
    client: Anthropic,
    chunks: list[TranslationChunk],
    options: TranslationOptions,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> tuple[float, int] | None:
    """Counted input tokens over the offline estimate, on a spread sample of the requests,
    and how many requests were counted."""
    step = max(1, len(chunks) // COUNTED_SAMPLE)
    sample = chunks[::step][:COUNTED_SAMPLE]
    counted = offline = 0
    for done, chunk in enumerate(sample):
        if cancel is not None:
            cancel.raise_if_cancelled()
        params = request_params(chunk, options)
        counted += client.messages.count_tokens(  # the request as sent, less max_tokens
            model=params["model"],
            system=params["system"],
            messages=params["messages"],
            output_config=params["output_config"],
        ).input_tokens
        guess = estimate_chunk(chunk, options, cached=False)
        offline += guess.input_tokens + guess.cache_creation_input_tokens
        if progress is not None:
            progress(done + 1, len(sample), "count_tokens")
    return (counted / offline, len(sample)) if offline else None


def counting_client(
    options: TranslationOptions,
    key: str | None = None,
    http_client: httpx2.Client | None = None,
) -> Anthropic | None:
    """A client for count_tokens when a key is set; without one the estimate is offline."""
    key = key or api_key()
    if not key:
        return None
    return Anthropic(
        api_key=key,
        max_retries=options.max_retries,
        timeout=httpx2.Timeout(options.timeout_s, connect=10.0),
        http_client=http_client,
    )


# -- running -------------------------------------------------------------------------------------

# What a completed chunk hands over: its translations and the requests paid for; stored at once.
Sink = Callable[[list[StoredTranslation], list[RequestRecord]], None]
