"""Human decisions as labels for the local engine, read without loading scikit-learn.

Kept apart from ``learning.py`` so that ``workbench suggest`` can name the local engine it would
use (its model name is the cache key) and find that nothing is left to do without importing
or training anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from workbench.core.store import Project
from workbench.core.store.coding import human_coding
from workbench.core.store.queries import transcript_rows_of_passages
from workbench.suggest.engine import PassageInput

MIN_LABELLED = 10  # reviewed passages before the decisions can choose a threshold
CODEBOOK_MODEL = "tfidf-stems-codebook"


@dataclass(frozen=True)
class Labelled:
    passage: PassageInput
    codes: frozenset[str]  # codes humans applied; everything else is a negative


def local_model_name(labelled: int) -> str:
    """The local engine's model for a project with this many human-reviewed passages."""
    return CODEBOOK_MODEL if labelled < MIN_LABELLED else f"tfidf-prototypes-{labelled}"


def human_labels(project: Project) -> list[Labelled]:
    """Passages reviewed by a human coder, with the codes any human applied."""
    from workbench.suggest.runner import passage_inputs

    with project.reading() as conn:
        reviewed, applied = human_coding(conn)
        transcripts = transcript_rows_of_passages(conn, reviewed)
    inputs = passage_inputs(project, sorted(transcripts))
    return [
        Labelled(p, frozenset(applied.get(p.passage_id, set())))
        for p in inputs
        if p.passage_id in reviewed
    ]
