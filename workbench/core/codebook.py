"""The codebook: a YAML file a lead edits by hand, validated with line numbers.

The YAML is composed into nodes (not loaded into plain dicts) so that every problem can point at
the line the lead has to fix. Validation collects every problem before failing: a lead fixing a
40-code codebook should see all of them at once, not one per run.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from workbench.core.errors import CodebookError, Problem
from workbench.core.keys import reserved_command

CODE_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
COLOR_PATTERN = re.compile(r"^#[0-9A-Fa-f]{6}$")
DECIMAL_PATTERN = re.compile(r"^\+?[0-9]+$")
MAX_VERSION = 1_000_000
# Deeper than any codebook needs (each level of codes is two: a list and a mapping), shallow
# enough that the composer and the checker, which recurse, never near Python's stack limit.
MAX_DEPTH = 50

TOP_KEYS = {"name": True, "version": True, "description": False, "codes": True}
CODE_KEYS = {
    "id": True,
    "name": True,
    "definition": True,
    "include": False,
    "exclude": False,
    "examples": False,
    "children": False,
    "color": False,
    "shortcut": False,
    "opposite": False,
    "was": False,
}


@dataclass(frozen=True)
class Code:
    """One code of the codebook. ``parent_id`` is None for top-level codes."""

    id: str
    name: str
    definition: str
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    parent_id: str | None = None
    color: str | None = None
    shortcut: str | None = None
    opposite: str | None = None
    # Earlier ids of this code (``was:``): a declared rename, which ``codebook diff`` and
    # ``codebook migrate`` take at its word instead of guessing from the definition.
    was: tuple[str, ...] = ()
    depth: int = 0
    children: tuple[Code, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class Codebook:
    """A validated codebook: a tree of codes, with fast lookup by id."""

    name: str
    version: int
    codes: tuple[Code, ...]
    description: str = ""
    source_text: str = field(default="", repr=False, compare=False)

    def walk(self) -> Iterator[Code]:
        """Every code, depth first, parents before their children (display order)."""

        def visit(codes: tuple[Code, ...]) -> Iterator[Code]:
            for code in codes:
                yield code
                yield from visit(code.children)

        return visit(self.codes)

    @property
    def ids(self) -> list[str]:
        return [code.id for code in self.walk()]

    def get(self, code_id: str) -> Code | None:
        return self._index().get(code_id)

    def __contains__(self, code_id: object) -> bool:
        return code_id in self._index()

    def _index(self) -> dict[str, Code]:
        cached = self.__dict__.get("_by_id")
        if cached is None:
            cached = {code.id: code for code in self.walk()}
            object.__setattr__(self, "_by_id", cached)
        return cached

    def descendants(self, code_id: str) -> list[str]:
        """The ids under ``code_id`` (not including it): used to count codes at any level."""
        code = self.get(code_id)
        if code is None:
            return []
        found: list[str] = []
        stack = list(code.children)
        while stack:
            child = stack.pop()
            found.append(child.id)
            stack.extend(child.children)
        return found

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.source_text.encode("utf-8")).hexdigest()


class _Checker:
    """Walks the composed YAML nodes, collecting problems and building the codes."""

    def __init__(self, filename: str, workspace_keys: bool = False):
        self.filename = filename
        self.workspace_keys = workspace_keys
        self.problems: list[Problem] = []
        self.seen_ids: dict[str, int] = {}
        self.shortcuts: dict[str, tuple[str, int]] = {}
        self.opposites: list[tuple[str, str, int]] = []
        self.formerly: list[tuple[str, str, int]] = []  # (code id, earlier id, line)

    def error(self, node: yaml.Node | None, message: str) -> None:
        self.problems.append(Problem(self.filename, _line(node), message, "error"))

    def warn(self, node: yaml.Node | None, message: str) -> None:
        self.problems.append(Problem(self.filename, _line(node), message, "warning"))

    def mapping_items(self, node: yaml.MappingNode, what: str) -> dict[str, yaml.Node]:
        items: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.error(key_node, f"{what}: keys must be plain words")
                continue
            key = key_node.value
            if key in items:
                self.error(key_node, f"{what}: key '{key}' appears twice")
                continue
            items[key] = value_node
        return items

    def string(self, node: yaml.Node, field_name: str, *, required: bool = True) -> str | None:
        if not isinstance(node, yaml.ScalarNode) or node.tag == "tag:yaml.org,2002:null":
            self.error(node, f"'{field_name}' must be text")
            return None
        value = node.value.strip()
        if required and not value:
            self.error(node, f"'{field_name}' must not be empty")
            return None
        return value

    def string_list(self, node: yaml.Node, field_name: str) -> tuple[str, ...]:
        if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null":
            return ()
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, f"'{field_name}' must be a list of texts")
            return ()
        values = []
        for item in node.value:
            if isinstance(item, yaml.ScalarNode) and item.tag != "tag:yaml.org,2002:null":
                values.append(item.value.strip())
            else:
                self.error(item, f"each item of '{field_name}' must be text")
        return tuple(values)

    def check_top(self, root: yaml.Node | None) -> Codebook | None:
        if root is None:
            self.error(None, "the codebook is empty")
            return None
        if not isinstance(root, yaml.MappingNode):
            self.error(root, "the codebook must be a mapping with 'name', 'version' and 'codes'")
            return None
        items = self.mapping_items(root, "codebook")
        for key, required in TOP_KEYS.items():
            if required and key not in items:
                self.error(root, f"missing required key '{key}'")
        for key, node in items.items():
            if key not in TOP_KEYS:
                self.warn(node, f"unknown key '{key}' (ignored)")
        name = self.string(items["name"], "name") if "name" in items else None
        version = self.version(items["version"]) if "version" in items else None
        description = ""
        if "description" in items:
            description = self.string(items["description"], "description", required=False) or ""
        codes: tuple[Code, ...] = ()
        if "codes" in items:
            codes_node = items["codes"]
            if isinstance(codes_node, yaml.SequenceNode) and not codes_node.value:
                self.error(codes_node, "'codes' is empty: a codebook needs at least one code")
            codes = self.code_list(codes_node, parent=None, depth=0)
        self.check_references()
        if name is None or version is None or self.has_errors:
            return None
        return Codebook(name=name, version=version, codes=codes, description=description)

    def version(self, node: yaml.Node) -> int | None:
        # YAML 1.1 reads 0x10, 0o7, 1:20 and 1_000 as integers too; only the plain decimal
        # digits a lead means are taken, and a bound keeps the number storable.
        if not (isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:int"):
            self.error(node, "'version' must be a whole number, 1 or more")
            return None
        if not DECIMAL_PATTERN.match(node.value):
            self.error(node, f"'version' must be written in decimal digits, not '{node.value}'")
            return None
        if len(node.value) > len(str(MAX_VERSION)) or not 1 <= int(node.value) <= MAX_VERSION:
            self.error(node, f"'version' must be a whole number from 1 to {MAX_VERSION}")
            return None
        return int(node.value)

    def code_list(
        self, node: yaml.Node, parent: str | None, depth: int, owner: str | None = None
    ) -> tuple[Code, ...]:
        if not isinstance(node, yaml.SequenceNode):
            if owner is None:
                where = "'codes'"
            elif owner.startswith("on line "):
                where = f"children of the code {owner}"
            else:
                where = f"children of '{owner}'"
            self.error(node, f"{where} must be a list of codes")
            return ()
        codes = []
        for item in node.value:
            code = self.code(item, parent, depth)
            if code is not None:
                codes.append(code)
        return tuple(codes)

    def code(self, node: yaml.Node, parent: str | None, depth: int) -> Code | None:
        if not isinstance(node, yaml.MappingNode):
            self.error(node, "each code must be a mapping with 'id', 'name' and 'definition'")
            return None
        items = self.mapping_items(node, "code")
        code_id = self.code_id(items.get("id"), node)
        raw_id = items.get("id")
        named = code_id or (
            raw_id.value if isinstance(raw_id, yaml.ScalarNode) and raw_id.value else None
        )
        label = f"code '{named}'" if named else "code"
        for key, required in CODE_KEYS.items():
            if required and key not in items and key != "id":
                self.error(node, f"{label}: missing required key '{key}'")
        for key, value_node in items.items():
            if key not in CODE_KEYS:
                self.warn(value_node, f"{label}: unknown key '{key}' (ignored)")
        name = self.string(items["name"], "name") if "name" in items else None
        definition = (
            self.string(items["definition"], "definition") if "definition" in items else None
        )
        lists = {
            key: self.string_list(items[key], key) if key in items else ()
            for key in ("include", "exclude", "examples")
        }
        color = self.color(items.get("color"))
        shortcut = self.shortcut(items.get("shortcut"), code_id)
        opposite = None
        if "opposite" in items:
            opposite = self.string(items["opposite"], "opposite")
            if opposite and code_id:
                self.opposites.append((code_id, opposite, _line(items["opposite"]) or 0))
        was = self.was(items.get("was"), code_id)
        children: tuple[Code, ...] = ()
        if "children" in items and not _is_null(items["children"]):
            # a code whose id is missing or bad still owns its children: named by its line,
            # else a bad 'children' would be reported as the top-level 'codes'
            children = self.code_list(
                items["children"], code_id, depth + 1, owner=named or f"on line {_line(node)}"
            )
        if not (code_id and name and definition):
            return None
        return Code(
            id=code_id,
            name=name,
            definition=definition,
            include=lists["include"],
            exclude=lists["exclude"],
            examples=lists["examples"],
            parent_id=parent,
            color=color,
            shortcut=shortcut,
            opposite=opposite,
            was=was,
            depth=depth,
            children=children,
        )

    def code_id(self, node: yaml.Node | None, code_node: yaml.Node) -> str | None:
        if node is None:
            self.error(code_node, "code: missing required key 'id'")
            return None
        if not isinstance(node, yaml.ScalarNode) or _is_null(node):
            self.error(node, "'id' must be text")
            return None
        code_id = node.value
        if not CODE_ID_PATTERN.match(code_id):
            self.error(
                node,
                f"id '{code_id}' has characters other than letters, digits, '.', '_' and '-'"
                " (or does not start with a letter or digit)",
            )
            return None
        line = _line(node) or 0
        if code_id in self.seen_ids:
            self.error(
                node, f"duplicate id '{code_id}' (first defined on line {self.seen_ids[code_id]})"
            )
            return None
        self.seen_ids[code_id] = line
        return code_id

    def color(self, node: yaml.Node | None) -> str | None:
        if node is None:
            return None
        value = node.value if isinstance(node, yaml.ScalarNode) else None
        if not value or not COLOR_PATTERN.match(value):
            self.error(node, "'color' must be a hex colour like '#3a7bd5'")
            return None
        return value

    def shortcut(self, node: yaml.Node | None, code_id: str | None) -> str | None:
        if node is None:
            return None
        if not isinstance(node, yaml.ScalarNode) or len(node.value.strip()) != 1:
            self.error(node, "'shortcut' must be a single key (a letter or digit)")
            return None
        key = node.value.strip().lower()
        if not key.isalnum():
            self.error(node, "'shortcut' must be a letter or digit")
            return None
        command = reserved_command(key) if self.workspace_keys else None
        if command is not None:
            self.error(
                node,
                f"shortcut '{node.value.strip()}' is the workspace's '{command}' key; "
                "the app would ignore it",
            )
            return None
        if key in self.shortcuts:
            other, other_line = self.shortcuts[key]
            self.error(node, f"shortcut '{key}' is already used by '{other}' (line {other_line})")
            return None
        self.shortcuts[key] = (code_id or "?", _line(node) or 0)
        return key

    def was(self, node: yaml.Node | None, code_id: str | None) -> tuple[str, ...]:
        """Earlier ids: one id or a list of them, each a valid id (checked against the others
        in ``check_references``, once every id of this version is known)."""
        if node is None or _is_null(node):
            return ()
        if isinstance(node, yaml.ScalarNode):
            entries = [node]
        elif isinstance(node, yaml.SequenceNode):
            entries = list(node.value)
        else:
            self.error(node, "'was' must be an earlier code id or a list of them")
            return ()
        found: list[str] = []
        for entry in entries:
            value = entry.value.strip() if isinstance(entry, yaml.ScalarNode) else ""
            if not value or _is_null(entry) or not CODE_ID_PATTERN.match(value):
                shown = f" '{value}'" if value else ""
                self.error(entry, f"'was'{shown} must be an earlier code id")
                continue
            if value in found:
                self.error(entry, f"'was' names '{value}' twice")
                continue
            found.append(value)
            self.formerly.append((code_id or "?", value, _line(entry) or 0))
        return tuple(found)

    def check_references(self) -> None:
        claimed: dict[str, tuple[str, int]] = {}
        for code_id, earlier, line in self.formerly:
            if earlier == code_id:
                message = f"code '{code_id}': 'was' names the code itself"
            elif earlier in self.seen_ids:
                message = (
                    f"code '{code_id}': was '{earlier}', but '{earlier}' is still a code "
                    f"(line {self.seen_ids[earlier]}); a renamed code keeps one id"
                )
            elif earlier in claimed:
                other, other_line = claimed[earlier]
                message = (
                    f"code '{code_id}': was '{earlier}', which code '{other}' (line "
                    f"{other_line}) also claims; to split a code, use 'codebook migrate --split'"
                )
            else:
                claimed[earlier] = (code_id, line)
                continue
            self.problems.append(Problem(self.filename, line, message))
        for code_id, opposite, line in self.opposites:
            if opposite not in self.seen_ids:
                self.problems.append(
                    Problem(
                        self.filename,
                        line,
                        f"code '{code_id}': opposite '{opposite}' is not a code id",
                    )
                )
            elif opposite == code_id:
                self.problems.append(
                    Problem(self.filename, line, f"code '{code_id}' cannot be its own opposite")
                )

    @property
    def has_errors(self) -> bool:
        return any(p.severity == "error" for p in self.problems)


def _line(node: yaml.Node | None) -> int | None:
    return node.start_mark.line + 1 if node is not None else None


# libyaml's loader gives the same nodes and line marks ten times faster (opening a project parses
# its codebook); the pure-Python one serves where PyYAML was built without it.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def _check_shape(text: str, filename: str) -> Problem | None:
    """Refuse aliases and deep nesting from the event stream, before anything recurses.

    An alias makes one node appear many times: nine lines of them expand to a billion codes
    (an "alias bomb"), and one pointing at its own parent is a cycle. A codebook never needs
    them, so they are refused outright. The composer recurses once per level, so nesting is
    bounded here, where events arrive one at a time and the work is linear in the text.
    """
    depth = 0
    for event in yaml.parse(text, Loader=_LOADER):
        if isinstance(event, yaml.AliasEvent):
            return Problem(
                filename,
                event.start_mark.line + 1,
                f"YAML alias '*{event.anchor}' is not allowed in a codebook; write the text out",
            )
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                return Problem(
                    filename,
                    event.start_mark.line + 1,
                    f"nested more than {MAX_DEPTH} levels deep; a codebook needs far fewer",
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return None


def check_codebook_text(
    text: str, filename: str = "<codebook>", *, workspace_keys: bool = False
) -> tuple[Codebook | None, list[Problem]]:
    """Validate codebook YAML; return the codebook (None if any error) and every problem found.

    ``workspace_keys`` also refuses a shortcut the workspace keeps for itself. Files are checked
    with it; a codebook already stored in a project is not, so an older project still opens.
    """
    checker = _Checker(filename, workspace_keys)
    try:
        shape_problem = _check_shape(text, filename)
        if shape_problem is not None:
            return None, [shape_problem]
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        detail = exc.problem or str(exc)
        return None, [Problem(filename, line, f"YAML syntax error: {detail}")]
    except yaml.YAMLError as exc:
        return None, [Problem(filename, None, f"YAML syntax error: {exc}")]
    codebook = checker.check_top(root)
    if codebook is not None:
        codebook = Codebook(
            name=codebook.name,
            version=codebook.version,
            codes=codebook.codes,
            description=codebook.description,
            source_text=text,
        )
    return codebook, checker.problems


def read_codebook_file(path: str | Path) -> str:
    """Read a codebook file as UTF-8 text, turning I/O and encoding failures into CodebookError."""
    path = Path(path)
    try:
        return path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise CodebookError([Problem(str(path), None, f"cannot read: {exc.strerror}")]) from exc
    except UnicodeDecodeError as exc:
        raise CodebookError(
            [
                Problem(
                    str(path),
                    None,
                    f"not UTF-8 text (byte {exc.start}): save the codebook as UTF-8",
                )
            ]
        ) from exc


def check_codebook(path: str | Path) -> tuple[Codebook | None, list[Problem]]:
    """Validate a codebook file; never raises for bad content, only returns problems."""
    try:
        text = read_codebook_file(path)
    except CodebookError as exc:
        return None, exc.problems
    return check_codebook_text(text, str(path), workspace_keys=True)


def load_codebook(path: str | Path) -> Codebook:
    """Load a codebook file or raise CodebookError listing every problem."""
    codebook, problems = check_codebook(path)
    if codebook is None:
        raise CodebookError(problems)
    return codebook


def parse_codebook(text: str, filename: str = "<codebook>") -> Codebook:
    """Parse codebook YAML text (as stored in a project) or raise CodebookError."""
    codebook, problems = check_codebook_text(text, filename)
    if codebook is None:
        raise CodebookError(problems)
    return codebook
