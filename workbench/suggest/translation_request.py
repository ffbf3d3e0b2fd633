"""One translation request and its reply: the cached instructions, the message, the reply
schema and its checks, and the cost estimate (counted by the API when a key is set)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import httpx2
from anthropic import Anthropic, APIError
from anthropic.types import TextBlockParam
from anthropic.types.message_create_params import MessageCreateParamsNonStreaming

from workbench.core.store.translations import (
    StoredTranslation,
)
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


def estimate(
    plan: TranslationPlan, options: TranslationOptions, client: Anthropic | None = None
) -> dict[str, object]:
    """The run's tokens and dollars before anything is sent.

    The suggester's rules: with a client, ``count_tokens`` counts the input of a few requests
    exactly and every request's offline estimate is scaled by what it found (counting each
    request would cost as many calls); without one, or when counting fails, the figure is the
    offline estimate and ``estimate_source`` says so. Output tokens are always the offline
    guess: the API cannot count what has not been written."""
    scale, source, problem = 1.0, OFFLINE_SOURCE, None
    if client is not None and plan.chunks:
        try:
            counted = _count_tokens(client, plan.chunks, options)
        except APIError as exc:
            counted = None
            problem = f"count_tokens failed ({exc.__class__.__name__}); using the offline estimate"
            log.warning(problem)
        if counted is not None:
            scale, source = counted, "count_tokens"
    usage = Usage()
    for index, chunk in enumerate(plan.chunks):
        guess = estimate_chunk(chunk, options, cached=index > 0)
        usage = usage + Usage(
            round(guess.input_tokens * scale),
            round(guess.cache_creation_input_tokens * scale),
            round(guess.cache_read_input_tokens * scale),
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
        "estimate_source": source,
    }
    if problem is not None:
        figures["count_tokens_error"] = problem
    return figures


def _count_tokens(
    client: Anthropic, chunks: list[TranslationChunk], options: TranslationOptions
) -> float | None:
    """Counted input tokens over the offline estimate, on a spread sample of the requests."""
    step = max(1, len(chunks) // COUNTED_SAMPLE)
    counted = offline = 0
    for chunk in chunks[::step][:COUNTED_SAMPLE]:
        params = request_params(chunk, options)
        counted += client.messages.count_tokens(  # the request as sent, less max_tokens
            model=params["model"],
            system=params["system"],
            messages=params["messages"],
            output_config=params["output_config"],
        ).input_tokens
        guess = estimate_chunk(chunk, options, cached=False)
        offline += guess.input_tokens + guess.cache_creation_input_tokens
    return counted / offline if offline else None


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
