"""A REFI-QDA file's code tree merged into the project's codebook: the codebook version an
import adds, and the code id each of the file's codes maps to.

Apart from the plan because it is the one step that reasons about codes rather than text:
which file code is which codebook code (``refi_codes.match_codes``), what id a new code gets,
and where the file's code groups are written down. A ``.qdc`` import (``refi_codebook``) makes
its new codes the same way (``_new_code``, ids by ``new_code_id``).
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

import yaml

from workbench.core.codebook import CODE_ID_PATTERN, Codebook, check_codebook_text
from workbench.core.errors import CodebookError
from workbench.core.store.interchange import (
    project_created_at,
)
from workbench.core.store.project import Project
from workbench.interop.refi_codes import match_codes, repeated_names
from workbench.interop.refi_provenance import (
    parse_codebook_label,
)
from workbench.interop.refi_read import (
    RefiCode,
    RefiProject,
)
from workbench.interop.refi_schema import GuidMaker
from workbench.interop.refi_text import unfold_description

SHORT_HEX = re.compile(r"^#([0-9A-Fa-f])([0-9A-Fa-f])([0-9A-Fa-f])$")


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_name.strip().lower()).strip("._-")
    return slug or "code"


def _color(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip()
    short = SHORT_HEX.match(value)
    if short:
        value = "#" + "".join(ch * 2 for ch in short.groups())
    return value.lower() if re.fullmatch(r"#[0-9A-Fa-f]{6}", value) else None


def _own_guids(project: Project) -> dict[str, str]:
    """``{guid: code id}`` for the GUIDs the workbench writes for this project's codes, in a
    project export and in a code book export, so its own codes are recognised by id."""
    codebook = project.codebook
    if codebook is None:
        return {}
    with project.reading() as conn:
        identity = project_created_at(conn) or project.location
    makers = (GuidMaker(identity), GuidMaker(f"codebook:{codebook.name}"))
    return {make("code", code.id): code.id for make in makers for code in codebook.walk()}


def _codebook(
    refi: RefiProject,
    existing: Codebook | None,
    own_guids: dict[str, str] | None = None,
    code_map: dict[str, str] | None = None,
) -> tuple[dict[str, str], Codebook | None]:
    """``{code guid: code id}`` and the codebook version to add, or None when the project's
    codebook already has every code.

    The file's tree is merged into the project's current codebook by the rules of
    ``refi_codes.match_codes`` (by id, then by the full path of names, then by a name only
    where it is unambiguous): a code the codebook has keeps its id and definition, a new one
    is added under its parent, so an import into a coded project never drops a code its
    coders use, and "Other" under two themes stays two codes.
    """
    label = parse_codebook_label(refi.description)  # the workbench's own export names it
    data: dict[str, Any] = {  # a codebook's YAML mapping
        "name": label[0] if label else refi.name or "REFI-QDA codebook",
        "version": label[1] if label else 1,
        "description": f"Imported from {Path(refi.path).name} (REFI-QDA).",
        "codes": [],
    }
    if existing is not None:
        data = yaml.safe_load(existing.source_text)
    nodes: dict[str, dict] = {}  # code id -> the YAML mapping of that code

    def index(items: list[dict]) -> None:
        for item in items:
            nodes[str(item["id"])] = item
            index(item.get("children") or [])

    index(data["codes"])
    matched = match_codes(refi.path, refi.codes, data["codes"], own_guids or {}, code_map)
    # a name the tree or codebook has twice: new ids name the parent (fears.other, hopes.other)
    repeated = repeated_names(refi.codes) | {str(node["name"]).strip() for node in nodes.values()}
    taken = set(nodes)
    code_ids: dict[str, str] = {}
    added = 0

    def merge(code: RefiCode, siblings: list[dict], parent_id: str | None) -> None:
        nonlocal added
        known = matched.get(code.guid)
        if known is not None:
            node = nodes[known]
        else:
            node = _new_code(code, refi, taken, parent_id, repeated)
            nodes[str(node["id"])] = node
            siblings.append(node)
            added += 1
        code_ids[code.guid] = str(node["id"])
        for child in code.children:
            merge(child, node.setdefault("children", []), str(node["id"]))
        if not node.get("children"):
            node.pop("children", None)

    for code in refi.codes:
        merge(code, data["codes"], None)
    groups_of: dict[str, list[str]] = {}
    for name, members in refi.code_groups:
        for guid in members:
            if guid in code_ids:
                groups_of.setdefault(code_ids[guid], []).append(name)
    for node in nodes.values():  # on the code itself, where the app shows its definition
        if str(node["id"]) in groups_of:
            line = "Code groups (REFI-QDA): " + ", ".join(groups_of[str(node["id"])])
            if line not in str(node["definition"]):
                node["definition"] = f"{node['definition']}\n\n{line}"
                added += 1
    if refi.code_groups:
        lines = [
            f"- {name}: {', '.join(code_ids[g] for g in members if g in code_ids)}"
            for name, members in refi.code_groups
        ]
        groups = "Code groups (REFI-QDA sets):\n" + "\n".join(lines)
        if groups not in str(data.get("description") or ""):
            data["description"] = f"{data.get('description') or ''}\n{groups}".strip()
            added += 1
    if not added:
        return code_ids, None
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    codebook, problems = check_codebook_text(text, f"{refi.path} (code book)")
    if codebook is None:
        raise CodebookError(problems)
    return code_ids, codebook


def _code_notes(code: RefiCode, refi: RefiProject) -> str:
    """The notes on a code (its memos in the other tool), for its definition: the codebook has
    no other place for them, and the definition is what the app shows with the code."""
    lines = []
    for guid in code.notes:
        note = refi.notes.get(guid)
        if note is None or not note.text.strip():
            continue
        who = refi.users.get(note.user_guid or "", "")
        when = (note.created or "")[:10]
        by = ", ".join(part for part in (who, when) if part)
        lines.append(note.text.strip() + (f" ({by})" if by else ""))
    return "Notes (REFI-QDA):\n" + "\n\n".join(lines) if lines else ""


def new_code_id(code: RefiCode, parent_id: str | None, repeated: set[str], taken: set[str]) -> str:
    """The id a code new to the codebook gets, and takes from ``taken``.

    The one rule for both a project import and a ``.qdc`` import, so that one code tree read
    either way gives the same ids and codings made against one line up with the other. The
    ``Workbench id:`` a workbench export wrote wins (its own codes come back as they were);
    else a slug of the name, with the parent's id first where the name is in ``repeated``
    or the slug is taken (``emotions.other``, ``topics.other``: "Other" under two themes
    are two codes, and their ids say which); ``-2`` if still taken.
    """
    own = str(unfold_description(code.description).get("id", ""))
    if CODE_ID_PATTERN.match(own) and own not in taken:
        wanted = own
    else:
        wanted = _slug(code.name)
        if parent_id and (code.name in repeated or wanted in taken):
            wanted = f"{parent_id}.{wanted}"
    code_id, number = wanted, 2
    while code_id in taken:
        code_id, number = f"{wanted}-{number}", number + 1
    taken.add(code_id)
    return code_id


def _new_code(
    code: RefiCode,
    refi: RefiProject,
    taken: set[str],
    parent_id: str | None = None,
    repeated: set[str] | None = None,
) -> dict[str, Any]:
    code_id = new_code_id(code, parent_id, repeated or set(), taken)
    parts = unfold_description(code.description)
    parts.pop("id", None)
    definition = str(parts.get("definition") or "")
    if not code.codable:
        note = "A grouping in the source project, not codable there (isCodable=false)."
        definition = f"{definition}\n\n{note}".strip()
    notes = _code_notes(code, refi)
    if notes:
        definition = f"{definition}\n\n{notes}".strip()
    item: dict[str, object] = {
        "id": code_id,
        "name": code.name or code_id,
        "definition": definition or f"(no description in {Path(refi.path).name})",
    }
    for key in ("include", "exclude", "examples"):
        if key in parts:
            item[key] = parts[key]
    color = _color(code.color)
    if color:
        item["color"] = color
    return item
