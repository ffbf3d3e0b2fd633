"""The notes of a REFI-QDA project, read so that they can come back as memos.

Every tool keeps its memos and annotations as ``<Notes><Note>``, reached by ``<NoteRef>`` from
what they are about: a source, a selection, a coding or a code. The standard lets a note carry
its text inline (``<PlainTextContent>``, what the workbench and QualCoder write) or in a file of
the archive named by ``plainTextPath`` (what NVivo and ATLAS.ti write), so both are read. A note
whose text cannot be read is not an error for the whole file: it is listed with the archive
member and the note's guid, as a source without text is, and the rest is imported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lxml import etree


@dataclass(frozen=True)
class RefiNote:
    guid: str
    name: str
    text: str
    user_guid: str | None
    created: str | None
    modified: str | None


def note_refs(element: etree._Element, guid: Callable[[str | None], str]) -> tuple[str, ...]:
    """Guids of the notes an element points to directly (not those of its children)."""
    return tuple(guid(ref.get("targetGUID")) for ref in element.iterfind("NoteRef"))


def read_notes(
    root: etree._Element,
    read_file: Callable[[str], bytes | None],
    decode: Callable[[bytes, str], str],
    path: Path,
    guid: Callable[[str | None], str],
) -> tuple[dict[str, RefiNote], list[str]]:
    """``({guid: note}, problems)``: each note with its text, and one line for each note whose
    text could not be read, naming the file in the archive (or beside the ``.qde``) and the
    note, so a user can find it in the other tool."""
    notes: dict[str, RefiNote] = {}
    problems: list[str] = []
    for element in root.iterfind("Notes/Note"):
        key = guid(element.get("guid"))
        name = (element.get("name") or "").strip()
        label = f"note {key or '(no guid)'}" + (f" '{name}'" if name else "")
        content = element.find("PlainTextContent")
        reference = element.get("plainTextPath")
        if content is not None and content.text is not None:
            text: str = content.text.lstrip("\ufeff")
        elif reference:
            data = read_file(reference)
            if data is None:
                problems.append(
                    f"{path.name}: {label}: its text file '{reference}' is not in the archive "
                    "nor beside it; not imported"
                )
                continue
            text = decode(data, f"{path}: {reference}")
        elif element.get("richTextPath"):
            problems.append(
                f"{path.name}: {label}: only rich text ('{element.get('richTextPath')}', no "
                "plainTextPath); not imported"
            )
            continue
        else:
            text = ""
        if not key:
            problems.append(
                f"{path.name}: a note without a guid ('{name}'): nothing can refer to it"
            )
            continue
        notes[key] = RefiNote(
            guid=key,
            name=name,
            text=text.replace("\r\n", "\n").replace("\r", "\n"),
            user_guid=guid(element.get("creatingUser") or element.get("modifyingUser")) or None,
            created=element.get("creationDateTime") or element.get("modifiedDateTime"),
            modified=element.get("modifiedDateTime"),
        )
    return notes, problems
