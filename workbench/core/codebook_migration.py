"""Move a project's codings to a new codebook version without losing one.

The plan is computed first and shown whole (``--dry-run`` stops there): what each change does to
the codings and suggestions of the codes involved. Applying it appends decisions (the log is
never edited): a rename or merge removes the old code and applies the new one, once per
(passage, coder); a delete removes the code and lists the coding as archived, restorable; a split
archives the codings of the code that is gone and flags each passage for its coder to decide,
since which part applies is the coder's judgement, not the workbench's. Moves and redefinitions
keep every coding as it is. A backup is taken before anything is written, and the audit log
records who migrated, when, and the whole mapping.

Coded selections (spans) follow their code: a rename carries them to the new code, a merge
unites the spans of every merged code under the target (the same words coded by two merged
codes become one span), and a delete or split takes them with the archived passage coding;
restoring that coding replays them from the log, so they come back with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from workbench.core.codebook import Codebook
from workbench.core.codebook_diff import Ambiguity, CodebookDiff, diff_codebooks
from workbench.core.errors import ProjectError
from workbench.core.store import Project
from workbench.core.store.audit import append_audit
from workbench.core.store.backups import take_backup
from workbench.core.store.codebook_changes import (
    archive_codings,
    coded_codes_missing_from,
    codes_on,
    codings_of,
    flag_for_review,
    list_archived,
    mark_restored,
    removing_decisions,
    reviewed_pairs,
    suggestion_counts,
)
from workbench.core.store.coding import (
    DecisionAction,
    PlannedDecision,
    record_decision,
    record_decisions_bulk,
)
from workbench.core.store.spans import all_coded_spans, spans_before
from workbench.core.store.version_codings import MIGRATION_REASON_MARK

CARRIES = ("rename", "merge")


@dataclass(frozen=True)
class Change:
    """One change of the mapping and what it does to the codings of its codes."""

    kind: str  # rename, merge, split, delete, move, redefine, add
    sources: tuple[str, ...]  # old ids
    targets: tuple[str, ...]  # new ids
    how: str  # what says so: "was", "definition", "--map", "--merge", "--split", "removed", ...
    codings: int = 0  # codings of the sources now
    passages: int = 0  # passages those codings are on
    after: int = 0  # codings of the target(s) once applied
    joined: int = 0  # codings the target already had, when an old code is merged into it
    suggestions: int = 0  # stored suggestions naming the sources (kept as written)
    note: str = ""

    def line(self) -> str:
        old, new = ", ".join(self.sources), ", ".join(self.targets)
        suggested = (
            f"; {self.suggestions} suggestions keep the old id (the engine's record)"
            if self.suggestions
            else ""
        )
        on = f"{_n(self.codings, 'coding')} on {_n(self.passages, 'passage')}"
        if self.kind == "rename":
            return f"rename   {old} -> {new} ({self.how}): {on} carried across{suggested}"
        if self.kind == "merge":
            moved = ", ".join(s for s in self.sources if s not in self.targets)
            # counted are the codings that change code; the target's own are said apart
            become = (
                f"of {moved} {'is' if self.codings == 1 else 'are'} added to {new}'s "
                f"{self.joined}, making"
                if new in self.sources
                else "become"
            )
            return (
                f"merge    {old} -> {new} ({self.how}): {on} {become} "
                f"{_n(self.after, 'coding')} of {new} (a passage coded with several counts once)"
                f"{suggested}"
            )
        if self.kind == "split":
            return (
                f"split    {old} -> {new} ({self.how}): {on} flagged for re-review by their "
                f"coders; nothing is guessed{suggested}"
            )
        if self.kind == "delete":
            return (
                f"delete   {old}: {on} archived (listed and restorable with 'codebook "
                f"archived'){suggested}"
            )
        if self.kind == "orphan":
            return (
                f"orphan   {old}: {on} of a code no version has; kept as they are (carry them "
                f"with --map {old}=NEW)"
            )
        if self.kind == "add":
            return f"add      {new}"
        return f"{self.kind:<8} {new} ({self.note}): {on} kept"


@dataclass(frozen=True)
class MigrationPlan:
    from_version: int
    to_version: int
    codebook: Codebook = field(repr=False)
    diff: CodebookDiff = field(repr=False)
    changes: tuple[Change, ...]
    unresolved: tuple[Ambiguity, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "from_version": self.from_version,
            "to_version": self.to_version,
            "changes": [
                {
                    "kind": c.kind,
                    "sources": list(c.sources),
                    "targets": list(c.targets),
                    "how": c.how,
                    "codings": c.codings,
                    "passages": c.passages,
                    "codings_after": c.after,
                    "target_codings_before": c.joined,
                    "suggestions": c.suggestions,
                    "note": c.note,
                }
                for c in self.changes
            ],
            "unresolved": [
                {"old": list(a.old), "new": list(a.new), "reason": a.reason}
                for a in self.unresolved
            ],
        }

    def refusal(self) -> str | None:
        """Why the plan cannot be applied yet (one line), or None."""
        if not self.unresolved:
            return None
        cases = "; ".join(
            f"{', '.join(a.old)} -> {', '.join(a.new)} ({a.reason})" for a in self.unresolved
        )
        return (
            f"ambiguous change: {cases}; say what each old code becomes with --map OLD=NEW "
            "(--map OLD= archives it), --merge A,B=C or --split A=B,C"
        )


@dataclass(frozen=True)
class MigrationResult:
    plan: MigrationPlan
    decisions: int
    archived: int
    flagged: int
    backup: Path | None


@dataclass
class Mapping:
    """What the lead said on the command line: old id -> (kind, new ids)."""

    explicit: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)

    def add(self, kind: str, sources: list[str], targets: tuple[str, ...], option: str) -> None:
        for source in sources:
            if source in self.explicit:
                raise ProjectError(f"{option}: '{source}' is named twice in the mapping")
            self.explicit[source] = (kind, targets)


def parse_mapping(
    maps: list[str] | None = None,
    merges: list[str] | None = None,
    splits: list[str] | None = None,
) -> Mapping:
    """Read ``--map OLD=NEW``, ``--merge A,B=C`` and ``--split A=B,C``; each misread names itself."""
    mapping = Mapping()
    for raw in maps or ():
        old, new = _halves(raw, "--map", "OLD=NEW")
        if "," in old or "," in new:
            raise ProjectError(f"--map {raw}: one code on each side (use --merge or --split)")
        mapping.add("rename" if new else "delete", [old], (new,) if new else (), f"--map {raw}")
    for raw in merges or ():
        old, new = _halves(raw, "--merge", "A,B=C")
        sources = _ids(old)
        if len(sources) < 2 or not new or "," in new:
            raise ProjectError(f"--merge {raw}: expected two or more codes and one target, A,B=C")
        mapping.add("merge", sources, (new,), f"--merge {raw}")
    for raw in splits or ():
        old, new = _halves(raw, "--split", "A=B,C")
        targets = _ids(new)
        if not old or "," in old or len(targets) < 2:
            raise ProjectError(f"--split {raw}: expected one code and two or more parts, A=B,C")
        mapping.add("split", [old], tuple(targets), f"--split {raw}")
    return mapping


def _halves(raw: str, option: str, shape: str) -> tuple[str, str]:
    old, sep, new = raw.partition("=")
    if not sep or not old.strip():
        raise ProjectError(f"{option} {raw}: expected {shape}")
    return old.strip(), new.strip()


def _ids(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def plan_migration(
    project: Project, new: Codebook, mapping: Mapping | None = None
) -> MigrationPlan:
    """Every change from the project's codebook to ``new``, with the codings each touches."""
    old = project.codebook
    if old is None:
        raise ProjectError(
            f"{project.shown_location}: has no codebook yet; add one with 'codebook add'"
        )
    row = project.codebook_version_row()
    if row is not None and row["content_hash"] == new.content_hash:
        raise ProjectError(
            f"{project.shown_location}: this codebook is already version {old.version}"
        )
    mapping = mapping or Mapping()
    to_version = project.next_codebook_version(new)
    diff = diff_codebooks(old, new, f"v{old.version}", f"v{to_version}")
    with project.reading() as conn:
        orphans = set(coded_codes_missing_from(conn, set(old.ids)))
    _check_mapping(mapping, old, new, orphans)
    kinds: dict[str, tuple[str, tuple[str, ...], str]] = {}  # old id -> (kind, targets, how)
    for source, (kind, targets) in mapping.explicit.items():
        option = {"rename": "--map", "delete": "--map", "merge": "--merge", "split": "--split"}
        kinds[source] = (kind, targets, option[kind])
    for rename in diff.renamed:
        kinds.setdefault(rename.old, ("rename", (rename.new,), _how(rename.how)))
    for merge in diff.merged:
        for source in merge.sources:
            if source != merge.target:
                kinds.setdefault(source, ("merge", (merge.target,), "declared with 'was:'"))
    for code_id in diff.removed:
        kinds.setdefault(code_id, ("delete", (), "removed"))
    unresolved = tuple(
        a for a in diff.ambiguous if not all(code in mapping.explicit for code in a.old)
    )
    # Old codes with one target are grouped by it, so that A->C and B->C make one merge.
    grouped: dict[tuple[str, tuple[str, ...], str], list[str]] = {}
    for source, (kind, targets, _said) in kinds.items():
        key = ("carry", targets, "") if kind in CARRIES else (kind, targets, source)
        grouped.setdefault(key, []).append(source)
    with project.reading() as conn:
        involved = set(kinds) | {t for _, targets, _ in kinds.values() for t in targets}
        pairs = codings_of(conn, involved)
        suggested = suggestion_counts(conn, kinds)
        # a moved or redefined code that was also renamed has its codings under the old id
        was = {r.new: r.old for r in diff.renamed}
        kept = [m.code for m in diff.moved] + [r.code for r in diff.redefined]
        kept_pairs = codings_of(conn, [was.get(code, code) for code in kept])
        kept_pairs = {code: kept_pairs[was.get(code, code)] for code in kept}
    changes: list[Change] = []
    for (kind, targets, _), sources in grouped.items():
        how = ", ".join(sorted({kinds[s][2] for s in sources}))
        source_pairs = set().union(*(pairs[s] for s in sources))
        target = targets[0] if targets else None
        after = len(source_pairs | pairs.get(target, set())) if target else 0
        moved = list(sources)  # counted: the codes whose codings change code
        joined = 0
        if kind == "carry":
            target_is_old = target in old and target not in sources
            kind = "merge" if len(sources) > 1 or target_is_old else "rename"
            if target is not None and target_is_old and kind == "merge":
                sources = [*sources, target]
                joined = len(pairs.get(target, set()))
        changes.append(
            Change(
                kind=kind,
                sources=tuple(sources),
                targets=targets,
                how=how,
                joined=joined,
                codings=sum(len(pairs[s]) for s in moved),
                passages=len({p for p, _ in source_pairs}),
                after=after,
                suggestions=sum(suggested.get(s, 0) for s in sources),
            )
        )
    order = {"rename": 0, "merge": 1, "split": 2, "delete": 3}
    changes.sort(key=lambda c: (order[c.kind], c.sources))
    for move in diff.moved:
        n = len(kept_pairs[move.code])
        where = f"under {move.old_parent or 'the top'} -> under {move.new_parent or 'the top'}"
        changes.append(
            Change(
                "move",
                (),
                (move.code,),
                "tree",
                codings=n,
                passages=_passages(kept_pairs[move.code]),
                after=n,
                note=where,
            )
        )
    for redefinition in diff.redefined:
        n = len(kept_pairs[redefinition.code])
        changes.append(
            Change(
                "redefine",
                (),
                (redefinition.code,),
                "text",
                codings=n,
                passages=_passages(kept_pairs[redefinition.code]),
                after=n,
                note=", ".join(redefinition.fields) + " changed",
            )
        )
    with project.reading() as conn:
        left = codings_of(conn, sorted(orphans - set(kinds)))
    changes += [
        Change("orphan", (code,), (), "no version", len(pairs_), _passages(pairs_), len(pairs_))
        for code, pairs_ in left.items()
    ]
    targets_named = {t for _, targets, _ in kinds.values() for t in targets}
    resolved_new = [c for a in diff.ambiguous for c in a.new if c not in targets_named]
    changes += [Change("add", (), (code,), "new") for code in (*diff.added, *resolved_new)]
    return MigrationPlan(old.version, to_version, new, diff, tuple(changes), unresolved)


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _passages(pairs: set[tuple[int, int]]) -> int:
    return len({p for p, _ in pairs})


def _how(how: str) -> str:
    return "declared with 'was:'" if how == "was" else "same definition"


def _check_mapping(mapping: Mapping, old: Codebook, new: Codebook, orphans: set[str]) -> None:
    """Refuse a mapping that names unknown codes; codings of a code no version has any more
    (left by an older ``codebook add``) may be mapped too, so that they are not lost."""
    for source, (_kind, targets) in mapping.explicit.items():
        if source not in old and source not in orphans:
            raise ProjectError(f"'{source}' is not a code of the project's codebook v{old.version}")
        for target in targets:
            if target not in new:
                raise ProjectError(f"'{target}' is not a code of the new codebook")
        stays = source in new and source not in targets
        if stays:
            raise ProjectError(
                f"'{source}' is still a code of the new codebook; only codes that go can be "
                "renamed, merged, split or archived"
            )


def apply_migration(project: Project, plan: MigrationPlan, actor: str) -> MigrationResult:
    """Take a backup, then append the decisions, archive, flag and store the version together."""
    refusal = plan.refusal()
    if refusal is not None:
        raise ProjectError(f"{project.shown_location}: {refusal}")
    backup = take_backup(project, f"before-codebook-v{plan.to_version}")
    to = plan.to_version
    reasons = {
        "carry": f"{MIGRATION_REASON_MARK}{to}: carried to the new code",
        "delete": f"archived by {MIGRATION_REASON_MARK}{to} (code deleted)",
        "split": f"archived by {MIGRATION_REASON_MARK}{to} (code split; flagged for re-review)",
    }
    with project.transaction() as conn:
        active = [c for c in plan.changes if c.kind in ("rename", "merge", "split", "delete")]
        sources = {s for c in active for s in c.sources}
        pairs = codings_of(conn, sources)
        state = codes_on(conn, set().union(*pairs.values()) if pairs else set())
        carried = {c.targets[0] for c in active if c.kind in CARRIES and c.targets}
        spans = all_coded_spans(conn, sources | carried)
        reviewed = reviewed_pairs(conn)
        planned: dict[str, list[PlannedDecision]] = {"carry": [], "delete": [], "split": []}
        splits = [c for c in active if c.kind == "split"]
        for change in active:
            target = change.targets[0] if change.targets else None
            if change.kind in CARRIES:
                for source in change.sources:
                    if source == target:
                        continue
                    for passage, coder in sorted(pairs[source]):
                        have = state[(passage, coder)]
                        planned["carry"].append(
                            PlannedDecision(passage, coder, DecisionAction.REMOVE, source)
                        )
                        have.discard(source)
                        if target not in have:
                            planned["carry"].append(
                                PlannedDecision(passage, coder, DecisionAction.APPLY, target)
                            )
                            have.add(target)  # type: ignore[arg-type]
                        assert target is not None  # a rename or merge names its target
                        kept = spans.setdefault((passage, coder, target), [])
                        for start, end in spans.get((passage, coder, source), []):
                            if (start, end) not in kept:  # merged codes on the same words
                                planned["carry"].append(
                                    PlannedDecision(
                                        passage, coder, DecisionAction.APPLY, target, start, end
                                    )
                                )
                                kept.append((start, end))
            elif change.kind == "delete" or change.sources[0] not in change.targets:
                bucket = "delete" if change.kind == "delete" else "split"
                for passage, coder in sorted(pairs[change.sources[0]]):
                    planned[bucket].append(
                        PlannedDecision(passage, coder, DecisionAction.REMOVE, change.sources[0])
                    )
        written = 0
        archived = 0
        for bucket, decisions in planned.items():
            written += record_decisions_bulk(conn, decisions, reviewed, to, reasons[bucket])
            if bucket != "carry":
                removed = removing_decisions(conn, reasons[bucket])
                archived += archive_codings(
                    conn,
                    removed,
                    "deleted" if bucket == "delete" else "split",
                    plan.from_version,
                    to,
                )
        # flagged after the decisions above, which would otherwise count as the coder's answer
        flags = sum(
            flag_for_review(conn, pairs[c.sources[0]], c.sources[0], c.targets, to) for c in splits
        )
        version = project.store_codebook_version(conn, plan.codebook, actor)
        if version != to:
            raise ProjectError(
                f"{project.shown_location}: another codebook version was added meanwhile; run again"
            )
        append_audit(
            conn,
            actor,
            "codebook.migrate",
            {
                "from": plan.from_version,
                "to": to,
                "name": plan.codebook.name,
                "mapping": [
                    {"kind": c.kind, "from": list(c.sources), "to": list(c.targets), "how": c.how}
                    for c in plan.changes
                    if c.kind != "add"
                ],
                "decisions": written,
                "archived": archived,
                "flagged": flags,
                "backup": backup.name if backup else None,
            },
        )
    return MigrationResult(plan, written, archived, flags, backup)


def restore_archived(project: Project, code_id: str, actor: str, as_code: str | None = None) -> int:
    """Put archived codings of ``code_id`` back, as ``as_code`` when the code was renamed since.

    Each comes back as a new decision (the log keeps the archive and the restore), and the
    archive row names that decision, so a coding is restored once. Returns how many.
    """
    codebook = project.codebook
    target = as_code or code_id
    if codebook is None or target not in codebook:
        raise ProjectError(
            f"'{target}' is not a code of the project's codebook; restore as a current code "
            "with --as CODE"
        )
    reason = f"restored from the archive of '{code_id}' as '{target}'"
    with project.transaction() as conn:
        rows = [r for r in list_archived(conn, code_id) if r.restored_by is None]
        if not rows:
            raise ProjectError(
                f"{project.shown_location}: no archived codings of '{code_id}' to restore"
            )
        for row in rows:
            decision = record_decision(
                conn,
                row.passage_id,
                row.coder_id,
                DecisionAction.APPLY,
                target,
                codebook_version=codebook.version,
                reason=reason,
            )
            mark_restored(conn, row.id, decision)
            if row.decision_id is not None:  # the selections it had, replayed from the log
                for start, end in spans_before(
                    conn, row.passage_id, row.coder_id, code_id, row.decision_id
                ):
                    record_decision(
                        conn,
                        row.passage_id,
                        row.coder_id,
                        DecisionAction.APPLY,
                        target,
                        codebook_version=codebook.version,
                        reason=reason,
                        span_start=start,
                        span_end=end,
                    )
        append_audit(
            conn, actor, "codebook.restore", {"code": code_id, "as": target, "codings": len(rows)}
        )
    return len(rows)
