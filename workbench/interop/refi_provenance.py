"""The workbench's own wording in a .qdpx or .qdc, written by the export and read back by the import.

REFI-QDA has no field for an engine's confidence or rationale, nor for a review that found that
no code applies. The export writes them as text: a note on each engine coding, and a line in
the project's description counting the reviews it could not write. Both use one fixed wording,
kept here beside its parser, so that a project the workbench exports and imports again keeps
its engines' codings as suggestions (not as reviews), and the import can say what the file
could not carry. The codebook's name and version are kept the same way. A file from another
tool has none of them, and is imported as it stands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FIRST = re.compile(
    r"^Suggested by engine '(?P<engine>[^'\n]*)', model '(?P<model>[^'\n]*)', "
    r"prompt (?P<prompt>[^\n]*?), confidence (?P<confidence>[0-9]*\.?[0-9]+)\.$"
)
_RESPONSE = re.compile(
    r"^(Accepted by .*|Rejected by .*|Edited by .*|Not yet answered by a coder)\.$"
)
_RATIONALE = "Rationale: "
_CODEBOOK = re.compile(r"codebook '(?P<name>[^\n]+)' v(?P<version>\d+)")
_NO_CODE = re.compile(
    r"Not in this file: (?P<reviews>\d+) 'no code applies' reviews? on (?P<passages>\d+) passages?"
)


@dataclass(frozen=True)
class Provenance:
    """What an engine coding's note says about the suggestion it was."""

    engine: str
    model: str
    prompt_version: str
    confidence: float
    rationale: str


def provenance_text(
    engine: str,
    model: str,
    prompt_version: str,
    confidence: float,
    rationale: str | None,
    responses: list[str],
) -> str:
    """The note on a coding that an engine suggested; ``responses`` are what coders did."""
    lines = [
        f"Suggested by engine '{engine}', model '{model}', prompt {prompt_version}, "
        f"confidence {confidence:.2f}."
    ]
    if rationale:
        lines.append(f"{_RATIONALE}{rationale}")
    lines.extend(responses or ["Not yet answered by a coder."])
    return "\n".join(lines)


def parse_provenance(text: str) -> Provenance | None:
    """The suggestion a note describes, or None for a note the workbench did not write so."""
    lines = text.replace("\r\n", "\n").split("\n")
    first = _FIRST.match(lines[0].strip())
    if first is None:
        return None
    rest = lines[1:]
    while rest and _RESPONSE.match(rest[-1].strip()):
        rest.pop()
    rationale = "\n".join(rest)
    rationale = rationale[len(_RATIONALE) :] if rationale.startswith(_RATIONALE) else rationale
    return Provenance(
        engine=first["engine"],
        model=first["model"],
        prompt_version=first["prompt"],
        confidence=min(1.0, float(first["confidence"])),
        rationale=rationale.strip(),
    )


def no_code_line(reviews: int, passages: int) -> str:
    """The description line of an export that left out 'no code applies' reviews."""
    return (
        f"Not in this file: {reviews} 'no code applies' review{'s' * (reviews != 1)} on "
        f"{passages} passage{'s' * (passages != 1)} (REFI-QDA cannot represent a review "
        "without a code)."
    )


def no_code_counts(description: str) -> tuple[int, int] | None:
    """``(reviews, passages)`` an export by the workbench said it left out, if it said so."""
    found = _NO_CODE.search(description or "")
    return (int(found["reviews"]), int(found["passages"])) if found else None


def codebook_label(name: str, version: int) -> str:
    """How an export names the codebook version it wrote (in a ``.qdc``'s ``origin``, a
    ``.qdpx``'s description): REFI-QDA has no field for either."""
    return f"codebook '{name}' v{version}"


def parse_codebook_label(text: str) -> tuple[str, int] | None:
    """``(name, version)`` from :func:`codebook_label`'s words, if ``text`` has them."""
    found = _CODEBOOK.search(text or "")
    return (found["name"], int(found["version"])) if found else None
