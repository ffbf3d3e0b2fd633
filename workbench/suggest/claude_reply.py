"""Claude's replies read and checked: constrained by a JSON schema and still validated.

Unknown passage or code ids are dropped and logged, evidence that is not in the passage is
flagged, and a reply that is not the JSON asked for raises ``MalformedReply`` (the engine asks
once more). Evidence found in redacted text is mapped back to the original passage.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from workbench.core.codebook import Codebook
from workbench.suggest.claude_request import Chunk
from workbench.suggest.engine import PassageInput, Suggestion, locate_evidence
from workbench.suggest.prices import Usage
from workbench.suggest.prompt import PROMPT_VERSION, unescape

if TYPE_CHECKING:  # the engine's own import of anthropic stays lazy (local use needs none)
    from anthropic.types import Message

log = logging.getLogger(__name__)


class MalformedReply(Exception):
    """A reply that is not the JSON the schema asks for."""


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
            if not isinstance(code_id, str) or code_id not in codebook:
                log.warning(
                    "reply suggests unknown code %r for passage %s; dropped", code_id, passage.key
                )
                continue
            if code_id in seen:
                continue
            seen.add(code_id)
            found.append(_suggestion(passage, chunk, code, model, snapshot, prompt_version))
    return found, answered


def _suggestion(
    passage: PassageInput,
    chunk: Chunk,
    code: dict[str, Any],  # one item of the reply's JSON
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


def reply_text(message: Message) -> str:
    return "".join(
        getattr(block, "text", "")
        for block in message.content
        if getattr(block, "type", "") == "text"
    )


def usage_of(message: Message) -> Usage:
    usage = message.usage
    return Usage(
        input_tokens=usage.input_tokens or 0,
        cache_creation_input_tokens=getattr(usage, "cache_creation_input_tokens", 0) or 0,
        cache_read_input_tokens=getattr(usage, "cache_read_input_tokens", 0) or 0,
        output_tokens=usage.output_tokens or 0,
    )
