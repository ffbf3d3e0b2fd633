"""What is sent to Claude: the options of a run, passages grouped into chunks (redacted when
asked), the cached system prompt, the request parameters, and what a chunk should cost.

The codebook is the static, cached prefix of every request of a run; its hash is the prompt
version suggestions are stored and reused under.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from workbench.core.codebook import Codebook
from workbench.settings import load_settings
from workbench.suggest.engine import PassageInput
from workbench.suggest.prices import DEFAULT_MODEL, Usage, cost, estimate_tokens
from workbench.suggest.prompt import (
    DEFAULT_LANGUAGE,
    TeamExample,
    prefix_text,
    prompt_key,
    question_context,
    reply_schema,
    system_blocks,
    user_message,
)
from workbench.suggest.redaction import Redacted, redact

if TYPE_CHECKING:  # types only: the local engine never imports anthropic
    from anthropic.types import TextBlockParam
    from anthropic.types.message_create_params import MessageCreateParamsNonStreaming


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


def prefix_blocks(codebook: Codebook, options: ClaudeOptions) -> list[TextBlockParam]:
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


def request_params(
    chunk: Chunk, codebook: Codebook, options: ClaudeOptions
) -> MessageCreateParamsNonStreaming:
    """The Messages API parameters for one chunk (also the body of a batch request); typed as
    the SDK's own parameters, so a key or shape the API does not take fails the type check."""
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


def sub_chunk(chunk: Chunk, passages: Sequence[PassageInput]) -> Chunk:
    """Some of a chunk's passages as a chunk of their own, with the same (redacted) texts."""
    ids = {p.passage_id for p in passages}
    return Chunk(
        list(passages),
        {pid: text for pid, text in chunk.texts.items() if pid in ids},
        {pid: r for pid, r in chunk.redactions.items() if pid in ids},
    )
