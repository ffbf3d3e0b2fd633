"""Edits to a codebook's YAML that keep what the lead wrote around them.

A codebook is a file a lead also edits by hand: its comments explain how to code, its key order
is the order a reader expects. Loading it into dicts and dumping it again would throw both away,
so edits go through ruamel.yaml's round-trip document instead, and the text rendered from it is
checked by the same ``check_codebook_text`` as ``codebook check`` (the same messages, the same
lines).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
)
from ruamel.yaml.util import load_yaml_guess_indent

from workbench.core.codebook import CODE_ID_PATTERN, Codebook, check_codebook_text
from workbench.core.errors import CodebookError, Problem

if TYPE_CHECKING:
    from workbench.core.store import Project

TEXT_FIELDS = ("name", "definition", "color", "shortcut")
LIST_FIELDS = ("include", "exclude", "examples")
EXAMPLE_LIMIT = 300  # an example longer than this is a passage, not an illustration


class EditError(ValueError):
    """An edit that cannot be made (unknown id, id taken, a code moved under itself)."""


def _yaml(sequence_indent: int, block_seq_indent: int) -> YAML:
    """A dumper that indents as the file did (ruamel guesses the list indent and dash offset)."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap the lead's lines
    mapping = sequence_indent - block_seq_indent if block_seq_indent else sequence_indent
    yaml.indent(mapping=mapping, sequence=sequence_indent, offset=block_seq_indent)
    return yaml


class CodebookDocument:
    """A codebook's YAML as an editable tree of codes, rendered back with its comments."""

    def __init__(self, text: str, filename: str = "<codebook>"):
        self.filename = filename
        try:
            _, indent, block_seq_indent = load_yaml_guess_indent(text)
            self._yaml = _yaml(indent or 2, block_seq_indent or 0)
            data = self._yaml.load(text)  # again, keeping the quotes the lead chose
        except Exception as exc:  # ruamel's errors share no useful base with a line
            raise CodebookError([Problem(filename, None, f"YAML syntax error: {exc}")]) from exc
        if not isinstance(data, CommentedMap) or not isinstance(data.get("codes"), CommentedSeq):
            raise CodebookError(
                [Problem(filename, None, "the codebook must be a mapping with a 'codes' list")]
            )
        self.data: CommentedMap = data

    @classmethod
    def from_codebook(cls, codebook: Codebook, filename: str = "<codebook>") -> CodebookDocument:
        return cls(codebook.source_text, filename)

    # -- reading -------------------------------------------------------------------------------

    def text(self) -> str:
        out = io.StringIO()
        self._yaml.dump(self.data, out)
        return out.getvalue()

    def check(self, *, workspace_keys: bool = True) -> tuple[Codebook | None, list[Problem]]:
        """The problems ``codebook check`` would report for the edited text, word for word."""
        return check_codebook_text(self.text(), self.filename, workspace_keys=workspace_keys)

    def code(self, code_id: str) -> CommentedMap:
        return self._locate(code_id)[0][self._locate(code_id)[1]]

    def ids(self) -> list[str]:
        return [str(code.get("id")) for code, _ in self._walk(self.data["codes"], None)]

    def children_of(self, code_id: str | None) -> list[str]:
        """Ids directly under ``code_id`` (None: the top level), in file order."""
        seq = self.data["codes"] if code_id is None else self.code(code_id).get("children") or []
        return [str(code.get("id")) for code in seq if isinstance(code, CommentedMap)]

    def parent_of(self, code_id: str) -> str | None:
        for code, parent in self._walk(self.data["codes"], None):
            if code.get("id") == code_id:
                return parent
        raise EditError(f"no code '{code_id}'")

    # -- editing -------------------------------------------------------------------------------

    def add_code(
        self,
        code_id: str,
        name: str,
        definition: str,
        parent_id: str | None = None,
        index: int | None = None,
    ) -> None:
        self._new_id(code_id)
        code = CommentedMap([("id", code_id), ("name", name), ("definition", definition)])
        seq = self._children_seq(parent_id, create=True)
        seq.insert(len(seq) if index is None else index, code)

    def rename_code(self, old_id: str, new_id: str) -> None:
        """Change a code's id and declare the old one under ``was:``, so a migration carries
        its codings across instead of guessing from the definition."""
        if new_id == old_id:
            return
        self._new_id(new_id)
        code = self.code(old_id)
        code["id"] = new_id
        was = code.get("was")
        earlier = [str(w) for w in was] if isinstance(was, list) else ([str(was)] if was else [])
        if old_id not in earlier:
            earlier.append(old_id)
        # an id that goes back to an earlier one is no rename of itself
        earlier = [w for w in earlier if w != new_id]
        if earlier:
            self._set(code, "was", earlier[0] if len(earlier) == 1 else CommentedSeq(earlier))
        elif "was" in code:
            del code["was"]
        for other, _ in self._walk(self.data["codes"], None):
            if other.get("opposite") == old_id:
                other["opposite"] = new_id

    def delete_code(self, code_id: str) -> None:
        """Remove a code and the codes under it (the project's guard decides about codings);
        an ``opposite`` naming one of them goes too, or the codebook would not check."""
        gone = {code_id, *self._under(code_id)}
        seq, index = self._locate(code_id)
        del seq[index]
        for other, _ in self._walk(self.data["codes"], None):
            if other.get("opposite") in gone:
                del other["opposite"]
        self._drop_empty_children()

    def move_code(self, code_id: str, parent_id: str | None, index: int | None = None) -> None:
        """Put ``code_id`` under ``parent_id`` at ``index`` (the end when None)."""
        if parent_id is not None and (parent_id == code_id or parent_id in self._under(code_id)):
            raise EditError(f"cannot move '{code_id}' under itself")
        if parent_id is not None:
            self.code(parent_id)  # unknown parent: raise before anything changes
        seq, old_index = self._locate(code_id)
        code = seq[old_index]
        target = self._children_seq(parent_id, create=True)
        if target is seq and index is not None and index > old_index:
            index -= 1
        del seq[old_index]
        target.insert(len(target) if index is None else min(index, len(target)), code)
        self._drop_empty_children()

    def move_by(self, code_id: str, direction: str) -> bool:
        """The Alt+arrow moves: up/down among siblings, left out of the parent, right into the
        sibling above. Returns False when there is nowhere to go."""
        parent = self.parent_of(code_id)
        siblings = self.children_of(parent)
        at = siblings.index(code_id)
        if direction == "up" and at > 0:
            self.move_code(code_id, parent, at - 1)
        elif direction == "down" and at < len(siblings) - 1:
            self.move_code(code_id, parent, at + 2)
        elif direction == "left" and parent is not None:
            grandparent = self.parent_of(parent)
            self.move_code(code_id, grandparent, self.children_of(grandparent).index(parent) + 1)
        elif direction == "right" and at > 0:
            self.move_code(code_id, siblings[at - 1])
        else:
            return False
        return True

    def set_field(self, code_id: str, field_name: str, value: str | list[str] | None) -> None:
        """Set a text field or a list field; an empty value removes an optional key."""
        code = self.code(code_id)
        if field_name in LIST_FIELDS:
            items = [v.strip() for v in (value or []) if v.strip()]
            old_items = code.get(field_name) or []
            if [str(v) for v in old_items] == items:
                return  # unchanged: keep its comments and quotes untouched
            # an item kept as it was keeps its quoting; a new one matches its neighbours'
            kept = {str(v): v for v in old_items}
            quoted = bool(old_items) and all(
                isinstance(v, DoubleQuotedScalarString) for v in old_items
            )
            if items:
                self._set(
                    code,
                    field_name,
                    CommentedSeq(
                        kept.get(v, DoubleQuotedScalarString(v) if quoted else v) for v in items
                    ),
                )
            elif field_name in code:
                del code[field_name]
            return
        if field_name not in TEXT_FIELDS:
            raise EditError(f"'{field_name}' is not a field the editor sets")
        text = (value or "").strip()  # type: ignore[union-attr]
        if not text and field_name in ("color", "shortcut"):
            code.pop(field_name, None)
            return
        old = code.get(field_name)
        if isinstance(old, FoldedScalarString):  # keep the block style the lead chose
            new: object = FoldedScalarString(text + "\n")
        elif isinstance(old, LiteralScalarString):
            new = LiteralScalarString(text + "\n")
        else:
            new = text
        self._set(code, field_name, new)

    def add_example(self, code_id: str, passage: str) -> str:
        """Append a passage as an example, shortened at a word to about EXAMPLE_LIMIT chars."""
        text = " ".join(passage.split())
        if len(text) > EXAMPLE_LIMIT:
            text = text[:EXAMPLE_LIMIT].rsplit(" ", 1)[0] + "…"
        examples = self.code(code_id).get("examples")
        if isinstance(examples, CommentedSeq):  # append in place: its comments stay put
            quoted = examples and all(isinstance(v, DoubleQuotedScalarString) for v in examples)
            examples.append(DoubleQuotedScalarString(text) if quoted else text)
        else:
            self.set_field(code_id, "examples", [text])
        return text

    def set_version(self, version: int) -> None:
        self.data["version"] = version

    # -- helpers -------------------------------------------------------------------------------

    def _walk(self, seq: object, parent: str | None):
        if not isinstance(seq, list):
            return
        for code in seq:
            if isinstance(code, CommentedMap):
                yield code, parent
                yield from self._walk(code.get("children"), str(code.get("id")))

    def _locate(self, code_id: str) -> tuple[CommentedSeq, int]:
        def search(seq: object) -> tuple[CommentedSeq, int] | None:
            if not isinstance(seq, list):
                return None
            for i, code in enumerate(seq):
                if isinstance(code, CommentedMap):
                    if code.get("id") == code_id:
                        return seq, i  # type: ignore[return-value]
                    found = search(code.get("children"))
                    if found:
                        return found
            return None

        found = search(self.data["codes"])
        if found is None:
            raise EditError(f"no code '{code_id}'")
        return found

    def _under(self, code_id: str) -> set[str]:
        return {str(c.get("id")) for c, _ in self._walk(self.code(code_id).get("children"), None)}

    def check_new_id(self, code_id: str) -> None:
        """Raise ``EditError`` unless ``code_id`` could be added (a view asks before it shows
        a new row, so a refused id never half-appears)."""
        self._new_id(code_id)

    def _new_id(self, code_id: str) -> None:
        if not CODE_ID_PATTERN.match(code_id):
            raise EditError(
                f"'{code_id}' is not a code id: letters, digits, '.', '_' and '-', "
                "starting with a letter or digit"
            )
        if code_id in self.ids():
            raise EditError(f"a code '{code_id}' already exists")

    def _children_seq(self, parent_id: str | None, *, create: bool) -> CommentedSeq:
        if parent_id is None:
            return self.data["codes"]
        parent = self.code(parent_id)
        seq = parent.get("children")
        if not isinstance(seq, CommentedSeq) and create:
            seq = CommentedSeq()
            parent["children"] = seq
        return seq

    def _drop_empty_children(self) -> None:
        for code, _ in list(self._walk(self.data["codes"], None)):
            if "children" in code and not code["children"]:
                del code["children"]

    @staticmethod
    def _set(code: CommentedMap, key: str, value: object) -> None:
        """Set ``key``, placing a new key before ``children`` so a code reads top-down."""
        if key in code or "children" not in code:
            code[key] = value
            return
        code.insert(list(code.keys()).index("children"), key, value)


def load_document(path: str | Path) -> CodebookDocument:
    from workbench.core.codebook import read_codebook_file

    return CodebookDocument(read_codebook_file(path), str(path))


SOURCE_SETTING = "codebook_source"


def remember_codebook_source(project: Project, path: str | Path, actor: str = "workbench") -> None:
    """Keep the file a codebook was added from, so the app's editor can write its edits back
    to it (and the lead's file and the project do not drift apart)."""
    source = str(Path(path).resolve())
    extra = project.settings.extra
    if extra.get(SOURCE_SETTING) != source:
        project.update_settings(actor, extra={**extra, SOURCE_SETTING: source})


def codebook_source(project: Project) -> Path | None:
    """The YAML file the project's codebook came from, if it was added from one that exists."""
    source = project.settings.extra.get(SOURCE_SETTING)
    return Path(str(source)) if source and Path(str(source)).is_file() else None
