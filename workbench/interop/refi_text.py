"""Text conventions shared by REFI-QDA export and import: code descriptions and timestamps.

A REFI-QDA code has one free-text description, while a workbench code has a definition,
inclusion and exclusion rules and examples. Export folds them into the description under
fixed headings; import unfolds a description of that shape, so a round trip keeps the rules,
and any other tool's description becomes the definition as it is.
"""

from __future__ import annotations

from datetime import UTC, datetime

SECTIONS = (("include", "Include:"), ("exclude", "Exclude:"), ("examples", "Examples:"))


ID_HEADING = "Workbench id: "


def fold_description(
    definition: str,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    examples: tuple[str, ...],
    code_id: str | None = None,
) -> str:
    """One description for a code; with ``code_id`` a last line names it, so the code keeps its
    id when the file comes back (a GUID cannot be turned back into an id, and a tool that keeps
    descriptions keeps that line too)."""
    parts = [definition.strip()]
    for (_key, heading), items in zip(SECTIONS, (include, exclude, examples)):
        if items:
            parts.append(heading + "\n" + "\n".join(f"- {item}" for item in items))
    if code_id:
        parts.append(ID_HEADING + code_id)
    return "\n\n".join(parts)


def unfold_description(text: str) -> dict[str, object]:
    """``definition`` and, where the description has those headings, the rule lists (and
    ``id``, where a workbench export named the code)."""
    found: dict[str, object] = {}
    blocks = text.replace("\r\n", "\n").strip().split("\n\n")
    definition: list[str] = []
    for block in blocks:
        lines = block.split("\n")
        if len(lines) == 1 and lines[0].startswith(ID_HEADING) and "id" not in found:
            found["id"] = lines[0][len(ID_HEADING) :].strip()
            continue
        key = next((key for key, heading in SECTIONS if lines[0].strip() == heading), None)
        items = [line[2:].strip() for line in lines[1:] if line.startswith("- ")]
        if key is not None and len(items) == len(lines) - 1 and items and key not in found:
            found[key] = items
        else:
            definition.append(block)
    found["definition"] = "\n\n".join(definition).strip()
    return found


def xml_datetime(value: datetime | str | None) -> str | None:
    """An ``xsd:dateTime`` in UTC, to the second (the store keeps aware or naive UTC times)."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
