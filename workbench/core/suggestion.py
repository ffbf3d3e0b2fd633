"""A suggestion as the store keeps it: a value the engines produce and the core records.

It lives in the core so that the store can write suggestions without depending on the engines
above it; ``workbench.suggest.engine`` re-exports it for engine code.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Suggestion:
    """A suggested code for one passage. Never applied until a human accepts it.

    ``evidence_start``/``evidence_end`` are offsets into the passage text; ``evidence_found`` is
    False when an engine quoted text that is not in the passage (flagged, not trusted).
    """

    passage_id: int
    code_id: str
    confidence: float
    evidence: str
    evidence_start: int | None
    evidence_end: int | None
    rationale: str
    engine: str
    model: str
    prompt_version: str
    evidence_found: bool = True
    # The exact model the API says answered (``message.model``), when it differs from or
    # refines the alias asked for: what a reader of old suggestions needs to reproduce them.
    model_snapshot: str | None = None
