"""What changed between two codebook versions: the facts a migration of the codings rests on.

A code that disappears while another appears is read as a rename only on evidence: the new code
says so (``was:``), or it carries exactly the definition the old one had. When the evidence fits
more than one way (two removed codes with the same definition), the diff says so and guesses
nothing; ``codebook migrate`` then refuses until the lead names the mapping.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from workbench.core.codebook import Code, Codebook

# the fields whose change makes a code "redefined": what a coder reads to decide
MEANING_FIELDS = ("name", "definition", "include", "exclude", "examples")


@dataclass(frozen=True)
class Rename:
    old: str
    new: str
    how: str  # "was" (declared in the new codebook) or "definition" (same definition)


@dataclass(frozen=True)
class Merge:
    """Several old codes declared (``was: [a, b]``) to live on as one."""

    sources: tuple[str, ...]
    target: str


@dataclass(frozen=True)
class Move:
    code: str  # the id in the new codebook
    old_parent: str | None
    new_parent: str | None


@dataclass(frozen=True)
class Redefinition:
    code: str  # the id in the new codebook
    fields: tuple[str, ...]


@dataclass(frozen=True)
class Ambiguity:
    """Removed and added codes that the evidence pairs in more than one way."""

    old: tuple[str, ...]
    new: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class CodebookDiff:
    old_label: str
    new_label: str
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    renamed: tuple[Rename, ...] = ()
    merged: tuple[Merge, ...] = ()
    moved: tuple[Move, ...] = ()
    redefined: tuple[Redefinition, ...] = ()
    ambiguous: tuple[Ambiguity, ...] = ()
    unchanged: int = field(default=0)

    @property
    def changed(self) -> bool:
        return any(
            (
                self.added,
                self.removed,
                self.renamed,
                self.merged,
                self.moved,
                self.redefined,
                self.ambiguous,
            )
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "old": self.old_label,
            "new": self.new_label,
            "added": list(self.added),
            "removed": list(self.removed),
            "renamed": [{"old": r.old, "new": r.new, "how": r.how} for r in self.renamed],
            "merged": [{"sources": list(m.sources), "target": m.target} for m in self.merged],
            "moved": [
                {"code": m.code, "old_parent": m.old_parent, "new_parent": m.new_parent}
                for m in self.moved
            ],
            "redefined": [{"code": r.code, "fields": list(r.fields)} for r in self.redefined],
            "ambiguous": [
                {"old": list(a.old), "new": list(a.new), "reason": a.reason} for a in self.ambiguous
            ],
            "unchanged": self.unchanged,
        }

    def lines(self) -> list[str]:
        """One line per change, as ``codebook diff`` prints them."""
        out = [f"+ {code}  (added)" for code in self.added]
        out += [f"- {code}  (removed)" for code in self.removed]
        for r in self.renamed:
            why = "declared with 'was:'" if r.how == "was" else "same definition"
            out.append(f"~ {r.old} -> {r.new}  (renamed: {why})")
        for m in self.merged:
            out.append(f"~ {', '.join(m.sources)} -> {m.target}  (merged: declared with 'was:')")
        for move in self.moved:
            out.append(
                f"> {move.code}  (moved: under {move.old_parent or 'the top'} -> "
                f"under {move.new_parent or 'the top'})"
            )
        out += [f"* {r.code}  (redefined: {', '.join(r.fields)})" for r in self.redefined]
        for a in self.ambiguous:
            out.append(
                f"? {', '.join(a.old)} -> {', '.join(a.new)}  (ambiguous: {a.reason}; "
                "name the mapping with --map, --merge or --split)"
            )
        return out


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def _code(codebook: Codebook, code_id: str) -> Code:
    code = codebook.get(code_id)
    assert code is not None, code_id
    return code


def _meaning(code: Code, field_name: str) -> object:
    value = getattr(code, field_name)
    if isinstance(value, tuple):
        return tuple(_normal(item) for item in value)
    return _normal(value)


def diff_codebooks(
    old: Codebook, new: Codebook, old_label: str = "old", new_label: str = "new"
) -> CodebookDiff:
    """Compare two codebooks: declared renames first, then same-definition pairs, then the rest."""
    old_ids, new_ids = set(old.ids), set(new.ids)
    gone = [code_id for code_id in old.ids if code_id not in new_ids]
    fresh = [code_id for code_id in new.ids if code_id not in old_ids]
    renamed: list[Rename] = []
    merged: list[Merge] = []
    consumed: set[str] = set()
    for code in new.walk():
        sources = [w for w in code.was if w in old_ids and w not in new_ids]
        if not sources:
            continue
        consumed.update(sources)
        if len(sources) == 1 and code.id not in old_ids:
            renamed.append(Rename(sources[0], code.id, "was"))
        else:
            kept = [code.id] if code.id in old_ids else []
            merged.append(Merge(tuple(sources + kept), code.id))
    declared_targets = {r.new for r in renamed} | {m.target for m in merged}
    removed = [c for c in gone if c not in consumed]
    added = [c for c in fresh if c not in declared_targets]
    ambiguous: list[Ambiguity] = []
    by_definition: dict[str, tuple[list[str], list[str]]] = {}
    for code_id in removed:
        key = _normal(_code(old, code_id).definition)
        by_definition.setdefault(key, ([], []))[0].append(code_id)
    for code_id in added:
        key = _normal(_code(new, code_id).definition)
        by_definition.setdefault(key, ([], []))[1].append(code_id)
    for olds, news in by_definition.values():
        if not olds or not news:
            continue
        if len(olds) == 1 and len(news) == 1:
            renamed.append(Rename(olds[0], news[0], "definition"))
        else:
            ambiguous.append(
                Ambiguity(
                    tuple(olds),
                    tuple(news),
                    f"{len(olds)} removed and {len(news)} added codes share one definition",
                )
            )
        for code_id in olds:
            removed.remove(code_id)
        for code_id in news:
            added.remove(code_id)
    # Pairs of the same code across the versions, for moves and redefinitions.
    old_to_new = {r.old: r.new for r in renamed}
    pairs = [(code_id, code_id) for code_id in old.ids if code_id in new_ids]
    pairs += [(r.old, r.new) for r in renamed]
    moved: list[Move] = []
    redefined: list[Redefinition] = []
    unchanged = 0
    for old_id, new_id in pairs:
        before, after = _code(old, old_id), _code(new, new_id)
        old_parent = before.parent_id
        if old_parent is not None:
            old_parent = old_to_new.get(old_parent, old_parent)
        if old_parent != after.parent_id:
            moved.append(Move(new_id, before.parent_id, after.parent_id))
        fields = tuple(f for f in MEANING_FIELDS if _meaning(before, f) != _meaning(after, f))
        if fields:
            redefined.append(Redefinition(new_id, fields))
        if old_parent == after.parent_id and not fields and old_id == new_id:
            unchanged += 1
    return CodebookDiff(
        old_label=old_label,
        new_label=new_label,
        added=tuple(added),
        removed=tuple(removed),
        renamed=tuple(renamed),
        merged=tuple(merged),
        moved=tuple(moved),
        redefined=tuple(redefined),
        ambiguous=tuple(ambiguous),
        unchanged=unchanged,
    )
