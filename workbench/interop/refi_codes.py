"""Which code of the project's codebook each code of a REFI-QDA file is, if any.

Codings point at codes by GUID, so within the file a code is its GUID, never its name: NVivo,
MAXQDA and ATLAS.ti all allow one name in several places of the tree ("Other" under each
theme), and matching by name would pour every "Other" into one code. Against the project's
codebook a file code is matched, in this order:

1. by ``--map`` (its full path of names, ``Fears/Other``, or its GUID), which always wins;
2. by id: the GUID the workbench itself wrote for that code when it exported the project or
   the code book (GUIDs are derived from the project's identity and the code id), so a code
   renamed or moved in another tool still comes home;
3. by the full path of names from the root (``Fears/Other`` is not ``Hopes/Other``);
4. by its bare name, only where that is unambiguous: one code of the file left with that name
   and one code of the codebook not yet matched. Anything else is an error that lists the
   ambiguous names and the ``--map`` that settles each, never a guess.

A file code matched by none of these is a new code (see ``refi_codebook_merge.new_code_id`` for its id).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from workbench.interop.refi_read import RefiCode, RefiError

PATH_SEPARATOR = "/"


@dataclass(frozen=True)
class PlacedCode:
    """A code of the file with where it sits: its path of names and its parent."""

    code: RefiCode
    path: tuple[str, ...]
    parent: RefiCode | None

    @property
    def label(self) -> str:
        return PATH_SEPARATOR.join(self.path)


def placed_codes(codes: list[RefiCode]) -> list[PlacedCode]:
    """Every code of the tree, parents before their children."""

    def walk(
        items: list[RefiCode], prefix: tuple[str, ...], parent: RefiCode | None
    ) -> Iterator[PlacedCode]:
        for code in items:
            path = (*prefix, code.name)
            yield PlacedCode(code, path, parent)
            yield from walk(code.children, path, code)

    return list(walk(codes, (), None))


def _codebook_entries(
    items: list[dict], prefix: tuple[str, ...] = ()
) -> Iterator[tuple[str, tuple[str, ...]]]:
    """``(id, path of names)`` of each code of a codebook's YAML tree."""
    for item in items:
        path = (*prefix, str(item["name"]).strip())
        yield str(item["id"]), path
        yield from _codebook_entries(item.get("children") or [], path)


def match_codes(
    file: str,
    codes: list[RefiCode],
    codebook: list[dict],
    own_guids: dict[str, str],
    code_map: dict[str, str] | None = None,
) -> dict[str, str | None]:
    """``{file code guid: id of the codebook's code it is, or None for a new code}``.

    ``codebook`` is the project's code tree as YAML mappings (empty for a new project),
    ``own_guids`` the GUIDs the workbench writes for its codes (guid -> code id), and
    ``code_map`` the ``--map`` choices (file code path or GUID -> code id, ``""`` for new).
    """
    placed = placed_codes(codes)
    entries = list(_codebook_entries(codebook))
    ids = {code_id for code_id, _path in entries}
    by_path: dict[tuple[str, ...], str] = {}
    by_name: dict[str, list[str]] = {}
    paths = {}
    for code_id, path in entries:
        by_path.setdefault(path, code_id)
        by_name.setdefault(path[-1], []).append(code_id)
        paths[code_id] = path
    chosen = _mapped(file, placed, ids, code_map or {})
    found: dict[str, str | None] = {}
    claimed: set[str] = set()
    for item in placed:
        guid = item.code.guid
        if guid in chosen:
            found[guid] = chosen[guid]
        elif own_guids.get(guid) in ids:
            found[guid] = own_guids[guid]
        elif item.path in by_path:
            found[guid] = by_path[item.path]
        else:
            continue
        if found[guid] is not None:
            claimed.add(str(found[guid]))
    left: dict[str, list[PlacedCode]] = {}
    for item in placed:
        if item.code.guid not in found:
            left.setdefault(item.code.name, []).append(item)
    ambiguous: list[str] = []
    for name, items in left.items():
        candidates = [code_id for code_id in by_name.get(name, []) if code_id not in claimed]
        if not candidates:
            found.update((item.code.guid, None) for item in items)
        elif len(items) == 1 and len(candidates) == 1:
            found[items[0].code.guid] = candidates[0]
            claimed.add(candidates[0])
        else:
            ambiguous.append(_ambiguity(name, items, candidates, paths))
    if ambiguous:
        raise RefiError(
            f"{file}: code names that match more than one code, which a name alone cannot "
            f"settle: {'; '.join(ambiguous)}. Say which with --map 'PATH=CODE_ID' for each "
            "(PATH as listed, or the code's GUID; 'PATH=' adds it as a new code)"
        )
    return found


def _ambiguity(
    name: str, items: list[PlacedCode], candidates: list[str], paths: dict[str, tuple[str, ...]]
) -> str:
    in_file = ", ".join(f"'{item.label}'" for item in items)
    in_codebook = ", ".join(
        f"{code_id} ({PATH_SEPARATOR.join(paths[code_id])})" for code_id in candidates
    )
    return f"'{name}': in the file {in_file}; in the codebook {in_codebook}"


def _mapped(
    file: str, placed: list[PlacedCode], ids: set[str], code_map: dict[str, str]
) -> dict[str, str | None]:
    """The ``--map`` choices by file code GUID; a key naming no code of the file, or a value
    naming no code of the codebook, is an error (a typo must not import silently)."""
    chosen: dict[str, str | None] = {}
    for key, value in code_map.items():
        wanted = key.strip().strip(PATH_SEPARATOR)
        hits = [
            item
            for item in placed
            if item.label == wanted or item.code.guid == wanted.strip("{}").lower()
        ]
        if not hits:
            raise RefiError(f"{file}: --map '{key}': no code of the file has that path or GUID")
        target = value.strip()
        if target and target not in ids:
            raise RefiError(
                f"{file}: --map '{key}={value}': the project's codebook has no code '{target}'"
            )
        for item in hits:
            chosen[item.code.guid] = target or None
    return chosen


def parse_code_map(values: list[str] | None) -> dict[str, str]:
    """``--map PATH=CODE_ID`` options as a dict; one without ``=`` is a usage error."""
    found: dict[str, str] = {}
    for value in values or []:
        key, sep, target = value.rpartition("=")
        if not sep or not key.strip():
            raise RefiError(f"--map '{value}': expected PATH=CODE_ID (or PATH= for a new code)")
        found[key.strip()] = target.strip()
    return found


def repeated_names(codes: list[RefiCode]) -> set[str]:
    """Names that more than one code of the file has: their new ids name the parent too."""
    seen: set[str] = set()
    repeated: set[str] = set()
    for item in placed_codes(codes):
        (repeated if item.code.name in seen else seen).add(item.code.name)
    return repeated
