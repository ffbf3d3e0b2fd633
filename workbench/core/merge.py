"""Bringing copies coded offline back into the project: decisions, memos and suggestions.

A copy is a project file made from the same project. Its transcripts are matched by external
id and content hash, its passages by (transcript, position); a transcript that differs is
listed and skipped, never merged.

The identity of a decision across files is (original time, coder name, transcript external id,
passage position, action, code). The original time is ``created_at``, except for a decision
that a merge appended: the log is append-only, so its ``created_at`` is the merge time and the
time the coder decided is kept in its reason ("merged from COPY, decided TIME"). A copy's
decisions whose identity the project already holds are not new; that is why merging the same
copy twice changes nothing.

A conflict: a coder's state on a passage differs between the project and the copy, and both
sides have decisions on it the other lacks. Without a rule nothing is merged for that passage
and coder (the rest is), and the conflict is listed; ``prefer`` picks a side for all of them:
``project`` keeps the project's state, ``copy`` makes it the copy's, ``latest`` takes the side
whose last decision is later.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.core.errors import ProjectError
from workbench.core.store.audit import append_audit
from workbench.core.store.coding import (
    CoderKind,
    CodingState,
    DecisionAction,
    coding_state,
    ensure_coder,
    find_coder,
    record_decision,
)
from workbench.core.store.merging import (
    DecisionRow,
    PassageIds,
    PassageKey,
    TranscriptShape,
    append_memo_row,
    decision_rows,
    insert_run,
    insert_suggestion,
    instant,
    memo_rows,
    run_rows,
    suggestion_rows,
    transcript_ids,
    transcript_shapes,
)

if TYPE_CHECKING:
    from workbench.core.store import Connection
    from workbench.core.store.project import Project

PREFER_RULES = ("project", "copy", "latest")
_MERGED = re.compile(r"^merged from .*?, decided (\d{4}-\d\d-\d\dT[0-9:.]+Z)")

Identity = tuple[str, str, PassageKey, str, str | None, int | None, int | None]


@dataclass(frozen=True)
class Conflict:
    """One coder's passage decided differently in the project and in a copy."""

    copy: str
    coder: str
    transcript: str
    position: int
    project_codes: list[str]
    copy_codes: list[str]
    project_reviewed: bool
    copy_reviewed: bool
    resolved: str | None  # "project" or "copy" when a rule picked, None when left alone


@dataclass
class MergeReport:
    copies: list[str]
    dry_run: bool
    prefer: str | None
    decisions: int = 0
    memos: int = 0
    suggestions: int = 0
    suggestion_runs: int = 0
    skipped_transcripts: list[dict[str, str]] = field(default_factory=list)
    # copies none of whose transcripts the project holds alike: most likely not copies of it
    unmatched: list[str] = field(default_factory=list)
    # copy -> transcripts it holds alike with the project; 0 says it is no copy of this project
    matched_transcripts: dict[str, int] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    backup: str | None = None

    @property
    def unresolved(self) -> list[Conflict]:
        return [c for c in self.conflicts if c.resolved is None]

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["unresolved"] = len(self.unresolved)
        return data


class _DryRun(Exception):
    """Raised inside the merge transaction to roll a dry run back after counting everything."""


def original_time(row: DecisionRow) -> str:
    """When the coder decided: the time a merge kept in the reason, else ``created_at``."""
    found = _MERGED.match(row.reason or "")
    return found.group(1) if found else instant(row.created_at)


def identity(row: DecisionRow) -> Identity:
    return (
        original_time(row),
        row.coder,
        row.passage,
        row.action,
        row.code_id,
        row.span_start,
        row.span_end,
    )


def merge_copies(
    project: Project,
    copies: Sequence[str | Path],
    *,
    prefer: str | None = None,
    dry_run: bool = False,
    actor: str = "workbench",
) -> MergeReport:
    """Merge each copy in turn, all in one transaction (a dry run rolls it back at the end).

    The copies are merged one after another against the project as the earlier ones left it,
    so the same coder deciding differently in two copies shows as a conflict on the second.
    """
    if prefer is not None and prefer not in PREFER_RULES:
        raise ProjectError(f"--prefer '{prefer}': expected one of {', '.join(PREFER_RULES)}")
    report = MergeReport([str(c) for c in copies], dry_run, prefer)
    for copy in copies:
        if Path(copy).resolve() == Path(project.location).resolve():
            raise ProjectError(f"{copy}: is the project itself; name a copy to merge")
    if not dry_run:
        from workbench.core.store.backups import take_backup

        backup = take_backup(project, "merge")
        report.backup = str(backup) if backup else None
    try:
        with project.transaction() as conn:
            for copy in copies:
                _merge_one(conn, str(copy), prefer, report)
            append_audit(conn, actor, "merge", _summary(report))
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return report


def _summary(report: MergeReport) -> dict[str, object]:
    return {
        "copies": report.copies,
        "prefer": report.prefer,
        "decisions": report.decisions,
        "memos": report.memos,
        "suggestions": report.suggestions,
        "suggestion_runs": report.suggestion_runs,
        "skipped_transcripts": report.skipped_transcripts,
        "conflicts": len(report.conflicts),
        "unresolved": len(report.unresolved),
    }


def _merge_one(conn: Connection, copy: str, prefer: str | None, report: MergeReport) -> None:
    from workbench.core.store.project import Project

    name = Path(copy).name
    with Project.open(copy, read_only=True) as source, source.reading() as theirs:
        matched = _match_transcripts(
            copy, transcript_shapes(conn), transcript_shapes(theirs), report
        )
        our_passage, their_passage = PassageIds(conn), PassageIds(theirs)

        def their_state(coder: str, key: PassageKey) -> CodingState:
            coder_id = find_coder(theirs, coder)
            assert coder_id is not None
            return coding_state(theirs, their_passage(key), coder_id)

        suggestion_ids = _merge_suggestions(conn, theirs, matched, our_passage, report)
        _merge_decisions(
            conn, name, theirs, matched, our_passage, their_state, suggestion_ids, prefer, report
        )
        _merge_memos(conn, theirs, matched, our_passage, report)


def _match_transcripts(
    copy: str,
    ours: dict[str, TranscriptShape],
    theirs: dict[str, TranscriptShape],
    report: MergeReport,
) -> set[str]:
    """The transcripts both files hold alike; the others are listed with why."""
    matched: set[str] = set()
    for external_id, shape in sorted(theirs.items()):
        mine = ours.get(external_id)
        why = None
        if mine is None:
            why = "not in the project"
        elif mine.content_hash != shape.content_hash:
            why = "its text differs from the project's (content hash)"
        elif mine.passages != shape.passages:
            why = "its passages differ from the project's (segmented differently)"
        if why is None:
            matched.add(external_id)
        else:
            report.skipped_transcripts.append({"copy": copy, "transcript": external_id, "why": why})
    if theirs and not matched:
        report.unmatched.append(copy)
    report.matched_transcripts[copy] = len(matched)
    return matched


def _merge_decisions(
    conn: Connection,
    copy_name: str,
    their_conn: Connection,
    matched: set[str],
    our_passage,
    their_state,
    suggestion_ids: dict[int, int],
    prefer: str | None,
    report: MergeReport,
) -> None:
    """Both logs are read in chunks, the project's twice; what is held is identities and the
    copy's new rows, not either log whole."""
    our_ids: dict[Identity, int] = {}
    for row in decision_rows(conn):
        our_ids.setdefault(identity(row), row.id)
    their_identities: dict[int, Identity] = {}
    new: dict[tuple[str, PassageKey], list[DecisionRow]] = defaultdict(list)
    for row in decision_rows(their_conn):
        if row.passage[0] not in matched:
            continue
        their_identities[row.id] = identity(row)
        if identity(row) not in our_ids:
            new[(row.coder, row.passage)].append(row)
    their_set = set(their_identities.values())
    ours_only: dict[tuple[str, PassageKey], list[DecisionRow]] = defaultdict(list)
    for row in decision_rows(conn):
        if (row.coder, row.passage) in new and identity(row) not in their_set:
            ours_only[(row.coder, row.passage)].append(row)
    for (coder, key), rows in sorted(new.items(), key=lambda item: item[1][0].id):
        coder_id = ensure_coder(conn, coder, CoderKind(rows[0].coder_kind))
        passage_id = our_passage(key)
        wanted = their_state(coder, key)
        side: str | None = "copy"
        if ours_only[(coder, key)]:
            current = coding_state(conn, passage_id, coder_id)
            if current != wanted:
                side = _pick(prefer, ours_only[(coder, key)], rows)
                report.conflicts.append(
                    Conflict(
                        copy_name,
                        coder,
                        key[0],
                        key[1],
                        sorted(current.codes),
                        sorted(wanted.codes),
                        current.reviewed,
                        wanted.reviewed,
                        side,
                    )
                )
        if side != "copy":
            continue
        for row in rows:
            reverts = their_identities.get(row.reverts_id) if row.reverts_id is not None else None
            note = f"merged from {copy_name}, decided {original_time(row)}"
            new_id = record_decision(
                conn,
                passage_id,
                coder_id,
                DecisionAction(row.action),
                row.code_id,
                suggestion_id=suggestion_ids.get(row.suggestion_id)
                if row.suggestion_id is not None
                else None,
                codebook_version=row.codebook_version,
                reverts_id=our_ids.get(reverts) if reverts is not None else None,
                reason=f"{note}; {row.reason}" if row.reason else note,
                carried=dict(row.carried),
            )
            our_ids.setdefault(identity(row), new_id)
            report.decisions += 1
        report.decisions += _settle(conn, passage_id, coder_id, wanted, copy_name)


def _pick(prefer: str | None, ours: list[DecisionRow], theirs: list[DecisionRow]) -> str | None:
    if prefer == "latest":
        return "copy" if original_time(theirs[-1]) > max(map(original_time, ours)) else "project"
    return prefer


def _settle(
    conn: Connection, passage_id: int, coder_id: int, wanted: CodingState, copy_name: str
) -> int:
    """Decisions that bring the project to the copy's state where replaying did not (a
    conflict resolved for the copy, whose decisions started from another state)."""
    current = coding_state(conn, passage_id, coder_id)
    if current == wanted:
        return 0
    reason = f"merged from {copy_name}: the copy's state, chosen by --prefer"
    count = 0
    for code in sorted(current.codes - wanted.codes):
        record_decision(conn, passage_id, coder_id, DecisionAction.REMOVE, code, reason=reason)
        count += 1
    for code in sorted(wanted.codes - current.codes):
        record_decision(conn, passage_id, coder_id, DecisionAction.APPLY, code, reason=reason)
        count += 1
    now = coding_state(conn, passage_id, coder_id).spans
    for code, start, end in sorted(now - wanted.spans):
        record_decision(
            conn,
            passage_id,
            coder_id,
            DecisionAction.REMOVE,
            code,
            reason=reason,
            span_start=start,
            span_end=end,
        )
        count += 1
    for code, start, end in sorted(wanted.spans - now):
        record_decision(
            conn,
            passage_id,
            coder_id,
            DecisionAction.APPLY,
            code,
            reason=reason,
            span_start=start,
            span_end=end,
        )
        count += 1
    reviewed = coding_state(conn, passage_id, coder_id).reviewed
    if wanted.reviewed and not reviewed:
        record_decision(conn, passage_id, coder_id, DecisionAction.NO_CODE, reason=reason)
        count += 1
    elif reviewed and not wanted.reviewed:
        record_decision(conn, passage_id, coder_id, DecisionAction.UNREVIEW, reason=reason)
        count += 1
    return count


def _merge_suggestions(
    conn: Connection,
    theirs: Connection,
    matched: set[str],
    our_passage,
    report: MergeReport,
) -> dict[int, int]:
    """Copy suggestions and runs the project lacks; returns copy suggestion id -> project id."""

    def key(passage: PassageKey, values: dict[str, object]) -> tuple[object, ...]:
        return (
            passage,
            values["code_id"],
            values["codebook_version"],
            values["engine"],
            values["model"],
            values["prompt_version"],
        )

    ours = {key(s.passage, s.values): s.id for s in suggestion_rows(conn)}
    ids: dict[int, int] = {}
    for row in suggestion_rows(theirs):
        if row.passage[0] not in matched:
            continue
        found = ours.get(key(row.passage, row.values))
        if found is None:
            found = insert_suggestion(conn, our_passage(row.passage), row.values)
            ours[key(row.passage, row.values)] = found
            report.suggestions += 1
        ids[row.id] = found
    run_key = lambda r: (r.passage, r.codebook_version, r.engine, r.model, r.prompt_version)  # noqa: E731
    our_runs = {run_key(r) for r in run_rows(conn)}
    for run in run_rows(theirs):
        if run.passage[0] not in matched or run_key(run) in our_runs:
            continue
        coder_id = ensure_coder(conn, run.coder, CoderKind.ENGINE) if run.coder else None
        insert_run(conn, our_passage(run.passage), run, coder_id)
        our_runs.add(run_key(run))
        report.suggestion_runs += 1
    return ids


def _merge_memos(
    conn: Connection,
    theirs: Connection,
    matched: set[str],
    our_passage,
    report: MergeReport,
) -> None:
    """Append the copy's memo rows the project lacks (same place, coder, text and time)."""

    def key(m) -> tuple[object, ...]:
        return (m.passage, m.transcript, m.coder, m.text, instant(m.updated_at), m.carried)

    ours = {key(m) for m in memo_rows(conn)}
    transcripts = transcript_ids(conn)
    for memo in memo_rows(theirs):
        place = memo.passage[0] if memo.passage is not None else memo.transcript
        if place not in matched or key(memo) in ours:
            continue
        coder_id = ensure_coder(conn, memo.coder, CoderKind(memo.coder_kind))
        append_memo_row(
            conn,
            our_passage(memo.passage) if memo.passage is not None else None,
            transcripts[memo.transcript] if memo.transcript is not None else None,
            coder_id,
            memo.text,
            memo.created_at,
            memo.updated_at,
            memo.carried,
        )
        ours.add(key(memo))
        report.memos += 1


__all__ = ["Conflict", "MergeReport", "PREFER_RULES", "merge_copies", "original_time"]
