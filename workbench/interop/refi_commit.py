"""A REFI-QDA import plan written: the codebook version, the transcripts, then each user's
codings as logged decisions (and their coded spans), or an engine user's as its suggestions.
An import only adds: a code a coder already holds, or a passage an engine already ran on, is
left as it is.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from workbench.core.ingest import store_transcripts
from workbench.core.store import Connection, DatabaseError
from workbench.core.store.audit import append_audit
from workbench.core.store.backups import take_backup
from workbench.core.store.coding import (
    ENGINE_PREFIX,
    DecisionAction,
    PlannedDecision,
    ensure_coder,
    record_decisions_bulk,
)
from workbench.core.store.interchange import (
    current_codings,
    latest_engine_suggestions,
    reviewed_pairs,
)
from workbench.core.store.project import Project
from workbench.core.store.queries import passage_ids_for_keys, passage_key
from workbench.core.store.spans import coded_spans
from workbench.core.store.suggestions import passages_already_run, record_run, save_suggestions
from workbench.core.suggestion import Suggestion
from workbench.interop.refi_memos import store_memos
from workbench.interop.refi_plan import RefiImportPlan
from workbench.interop.refi_read import (
    RefiError,
)


@dataclass
class RefiImportResult:
    file: str
    transcripts_added: int = 0
    transcripts_unchanged: int = 0
    passages: int = 0
    codebook_version: int | None = None
    applied: int = 0
    unchanged: int = 0
    spans: int = 0  # codes applied to a selection narrower than its passage (also in applied)
    suggestions: int = 0  # an engine user's codings stored as its suggestions
    memos: int = 0  # memos written from the file's notes (new, or a memo added to)
    backup: str | None = None  # the copy taken before the import (None: a server project)

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def commit_refi_import(
    project: Project, plan: RefiImportPlan, actor: str = "workbench", *, backup: bool = True
) -> RefiImportResult:
    """Write a plan: the codebook version, the transcripts, then each user's codings.

    First the same ``import`` backup a transcript import takes (the file is checked by then),
    the way back from an import that went wrong; ``backup=False`` is for a project the import
    itself is making (``new --from``), which holds nothing to lose.
    """
    result = RefiImportResult(
        file=plan.file, transcripts_unchanged=len(set(plan.already_in_project))
    )
    if backup:
        taken = take_backup(project, "import")
        result.backup = str(taken) if taken else None
    if plan.codebook is not None:
        result.codebook_version = project.add_codebook_version(plan.codebook, actor=actor)
    if plan.records:
        with _stopped_at("the transcripts", plan, result):
            stored = store_transcripts(project, plan.records, plan.file, actor=actor)
        result.transcripts_added = len(stored.added)
        result.passages = stored.passages
    if not plan.codings and not plan.suggestions and not plan.memos:
        return result
    with _stopped_at("the codings and memos", plan, result):
        return _commit_codings(project, plan, result, actor)


@contextmanager
def _stopped_at(step: str, plan: RefiImportPlan, result: RefiImportResult) -> Iterator[None]:
    """A database refusal (a full disk) in a later step, said truthfully: the steps before it
    are committed, so "nothing was written" would be untrue, and importing again finishes."""
    try:
        yield
    except DatabaseError as exc:
        kept = _kept(result)
        if not kept:
            raise  # nothing of this import is stored: the plain refusal says it all
        detail = getattr(exc, "orig", None) or exc
        raise RefiError(
            f"{plan.file}: the import stopped at {step}: {detail}; stored before that: {kept}; "
            "import the file again to add the rest (what is stored is not added twice)"
        ) from exc


def _kept(result: RefiImportResult) -> str:
    """What the steps before the codings committed, in words, for a stop after them."""
    parts = []
    if result.codebook_version is not None:
        parts.append(f"codebook version {result.codebook_version}")
    if result.transcripts_added:
        parts.append(f"{result.transcripts_added} transcripts ({result.passages} passages)")
    return " and ".join(parts)


def _commit_codings(
    project: Project, plan: RefiImportPlan, result: RefiImportResult, actor: str
) -> RefiImportResult:
    """The last step, in one transaction: codings, spans, engine suggestions and memos."""
    codebook = project.codebook
    if codebook is None and (plan.codings or plan.suggestions):
        raise RefiError(f"{plan.file}: codings but no code book; nothing to code with")
    with project.transaction() as conn:
        keys = {passage_key(t, p) for t, p, _c, _k in plan.codings}
        keys.update(passage_key(s[0], s[1]) for s in plan.suggestions)
        keys.update(
            passage_key(m.transcript, m.position) for m in plan.memos if m.position is not None
        )
        ids = passage_ids_for_keys(conn, keys)
        missing = sorted(keys - set(ids))
        if missing:  # a segmentation that differs from the one the plan was cut with
            raise RefiError(f"{plan.file}: passage {missing[0]} not found after import")
        coder_ids = {name: ensure_coder(conn, name, kind) for name, kind in plan.coders.items()}
        result.memos = store_memos(conn, plan.memos, ids, coder_ids)
        if codebook is None:  # memos only, on a project without a codebook
            append_audit(conn, actor, "import.refi_qda", result.to_dict() | plan.to_dict())
            return result
        passage_ids = sorted(set(ids.values()))
        held = {(r.passage_id, r.coder_id, r.code_id) for r in current_codings(conn, passage_ids)}
        for (passage_id, coder_id), rows in latest_engine_suggestions(conn, passage_ids).items():
            held.update((passage_id, coder_id, row.code_id) for row in rows)  # an engine's own
        reviewed = reviewed_pairs(conn, passage_ids)
        planned: list[PlannedDecision] = []
        for transcript, position, coder, code in plan.codings:
            passage_id, coder_id = ids[passage_key(transcript, position)], coder_ids[coder]
            if (passage_id, coder_id, code) in held:
                result.unchanged += 1
                continue
            planned.append(PlannedDecision(passage_id, coder_id, DecisionAction.APPLY, code))
            held.add((passage_id, coder_id, code))  # two sources of one text may code alike
        spans = _planned_spans(conn, plan, ids, coder_ids, planned)
        result.applied = record_decisions_bulk(
            conn,
            planned + spans,
            reviewed,
            codebook.version,
            f"imported from {Path(plan.file).name}",
        ) - len(spans)
        result.spans = len(spans)
        result.suggestions = _store_suggestions(conn, plan, ids, codebook.version)
        append_audit(conn, actor, "import.refi_qda", result.to_dict() | plan.to_dict())
    return result


def _store_suggestions(
    conn: Connection, plan: RefiImportPlan, ids: dict[str, int], codebook_version: int
) -> int:
    """An engine user's codings as its suggestions, one run per passage, so agreement reads
    them as that engine's coding and no one has reviewed them. A passage the same engine,
    model and prompt already ran on keeps what it has (an import only adds)."""
    groups: dict[tuple[str, str, str, str], dict[int, list[Suggestion]]] = {}
    for transcript, position, coder, code, provenance in plan.suggestions:
        rater = coder[len(ENGINE_PREFIX) :]
        engine, _, model = rater.partition("/")
        prompt = "refi-qda"
        if provenance is not None:
            engine, model, prompt = provenance.engine, provenance.model, provenance.prompt_version
        passage_id = ids[passage_key(transcript, position)]
        suggestion = Suggestion(
            passage_id=passage_id,
            code_id=code,
            confidence=provenance.confidence if provenance else 1.0,
            evidence="",
            evidence_start=None,
            evidence_end=None,
            rationale=(
                provenance.rationale
                if provenance
                else f"Coded by {coder} in {Path(plan.file).name} (REFI-QDA), no confidence given."
            ),
            engine=engine,
            model=model or "unknown",
            prompt_version=prompt,
        )
        key = (rater, engine, suggestion.model, prompt)
        groups.setdefault(key, {}).setdefault(passage_id, []).append(suggestion)
    stored = 0
    for (rater, engine, model, prompt), by_passage in groups.items():
        done = passages_already_run(conn, by_passage, codebook_version, engine, model, prompt)
        fresh = {pid: found for pid, found in by_passage.items() if pid not in done}
        stored += save_suggestions(
            conn, [s for found in fresh.values() for s in found], codebook_version
        )
        record_run(conn, sorted(fresh), codebook_version, engine, model, prompt, rater)
    return stored


def _planned_spans(
    conn, plan: RefiImportPlan, ids, coder_ids, planned: list[PlannedDecision]
) -> list[PlannedDecision]:
    """The span APPLYs of a plan, after the passage APPLYs they need; spans a coder already
    holds are unchanged, and a span whose code the coder does not hold as a passage coding
    (an engine's suggestion) is left out, as its passage coding was."""
    passage_ids = sorted(set(ids.values()))
    coded: set[tuple[int, int, str | None]] = {
        (r.passage_id, r.coder_id, r.code_id) for r in current_codings(conn, passage_ids)
    }
    coded.update((p.passage_id, p.coder_id, p.code_id) for p in planned)
    held = {
        (s.passage_id, s.coder_id, s.code_id, s.start, s.end)
        for found in coded_spans(conn, passage_ids).values()
        for s in found
    }
    spans: list[PlannedDecision] = []
    for transcript, position, coder, code, start, end in plan.spans:
        passage_id, coder_id = ids[passage_key(transcript, position)], coder_ids[coder]
        if (passage_id, coder_id, code, start, end) in held:
            continue
        if (passage_id, coder_id, code) not in coded:
            continue
        held.add((passage_id, coder_id, code, start, end))
        spans.append(PlannedDecision(passage_id, coder_id, DecisionAction.APPLY, code, start, end))
    return spans
