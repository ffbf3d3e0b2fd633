"""Which of the team's decisions go into the prompt as examples, by one stated rule.

Per code, in codebook order: up to ``PER_CODE`` passages humans coded with it and up to
``COUNTER_PER_CODE`` passages where a human rejected it (and no human holds it), each passage at
most ``MAX_CHARS`` characters, the earliest decisions first (ties by passage id). Never from a
local-only transcript.

Earliest first, not most recent: once a code has its examples, further coding does not change
them, so the prompt hash (and with it every stored suggestion and the API's prompt cache) stays
valid while a team keeps coding. The examples change when a decision behind one is taken back
or when a code first gets its examples, and then the prompt hash changes with them.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

from workbench.core.codebook import Codebook
from workbench.core.store import Project
from workbench.core.store.examples import HumanExample, human_examples
from workbench.suggest.claude import ClaudeOptions
from workbench.suggest.prompt import TeamExample

PER_CODE = 3
COUNTER_PER_CODE = 1
MAX_CHARS = 600


def choose_examples(
    found: list[HumanExample], codebook: Codebook, exclude: Collection[int] = ()
) -> tuple[TeamExample, ...]:
    """Apply the module's rule to the team's decisions; ``exclude`` holds passage ids kept out
    (the passages an evaluation holds back, so the model is never shown their answers)."""
    ordered = sorted(found, key=lambda e: (e.decision_id, e.passage_id))
    chosen: list[TeamExample] = []
    for code in codebook.walk():
        for applies, limit in ((True, PER_CODE), (False, COUNTER_PER_CODE)):
            seen: set[int] = set()
            for example in ordered:
                if len(seen) >= limit:
                    break
                if (
                    example.code_id != code.id
                    or example.applies != applies
                    or example.passage_id in exclude
                    or example.passage_id in seen
                    or not example.text.strip()
                    or len(example.text) > MAX_CHARS
                ):
                    continue
                seen.add(example.passage_id)
                chosen.append(TeamExample(code.id, example.text.strip(), applies))
    return tuple(chosen)


def team_examples(project: Project, exclude: Collection[int] = ()) -> tuple[TeamExample, ...]:
    """The project's examples for its current codebook, by the module's rule."""
    codebook = project.codebook
    if codebook is None:
        return ()
    with project.reading() as conn:
        found = human_examples(conn)
    return choose_examples(found, codebook, exclude)


def with_team_examples(project: Project, options: ClaudeOptions) -> ClaudeOptions:
    """``options`` carrying the project's examples: how every Claude run is set up."""
    return replace(options, examples=team_examples(project))
