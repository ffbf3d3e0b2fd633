"""What a REFI-QDA file holds, as plain data: users, the code tree, text sources with their
selections and codings, variables, notes, and what the workbench cannot map. ``refi_read``
fills it from the XML; the planner and the importer read only this."""

from __future__ import annotations

from dataclasses import dataclass, field

from workbench.core.errors import WorkbenchError
from workbench.interop.refi_notes import RefiNote


class RefiError(WorkbenchError):
    """A REFI-QDA file that cannot be read; the message names the file (and line)."""


@dataclass
class RefiCode:
    guid: str
    name: str
    codable: bool
    color: str | None
    description: str
    children: list[RefiCode] = field(default_factory=list)
    notes: tuple[str, ...] = ()  # guids of the notes on the code


@dataclass(frozen=True)
class RefiCoding:
    code_guid: str
    user_guid: str | None
    created: str | None
    notes: tuple[str, ...] = ()  # guids of the notes the coding refers to


@dataclass
class RefiSelection:
    guid: str
    start: int
    end: int
    codings: list[RefiCoding]
    name: str = ""  # tools put the selected text's beginning here: evidence of how they count
    notes: tuple[str, ...] = ()  # guids of the notes on the selection (memos on those words)
    description: str = ""  # a memo kept inline (MAXQDA's comment on text)
    user_guid: str | None = None
    created: str | None = None


@dataclass
class RefiTextSource:
    guid: str
    name: str
    text: str | None  # decoded, BOM removed, line endings as in the file (offsets count them)
    selections: list[RefiSelection] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)
    missing: str | None = None  # why the text could not be read
    notes: tuple[str, ...] = ()  # guids of the notes on the whole source
    description: str = ""
    user_guid: str | None = None
    created: str | None = None
    # the rich-text file the text was read from, where the file gives no plain text: the
    # positions then belong to a plain text the tool did not export, so each is checked
    rich_text: str | None = None


@dataclass
class RefiProject:
    path: str
    name: str
    users: dict[str, str]  # guid -> name
    codes: list[RefiCode]
    code_groups: list[tuple[str, list[str]]]  # (set name, member code guids)
    sources: list[RefiTextSource]
    not_mappable: list[str]
    default_user: str | None = None
    origin: str = ""  # the tool that wrote it, as its Project element says
    crlf_counted: bool = True  # False: positions count a CRLF as one character (ATLAS.ti)
    # the workbench's own provenance notes on codings (guid -> text), read back on import
    provenance_notes: dict[str, str] = field(default_factory=dict)
    description: str = ""  # the project's Description, where an export says what it left out
    notes: dict[str, RefiNote] = field(default_factory=dict)  # guid -> note (memos)

    def walk_codes(self) -> list[RefiCode]:
        found: list[RefiCode] = []
        stack = list(reversed(self.codes))
        while stack:
            code = stack.pop()
            found.append(code)
            stack.extend(reversed(code.children))
        return found
