"""The plan of a REFI-QDA import, worked out completely before anything is written: the file
read, each text source cut into passages as a ``.txt`` file is, and every coding mapped onto
the passages its selection touches (a selection covering part of a passage codes that passage
and is kept as a coded span). What cannot be mapped is listed in the plan, which the command
line prints before committing, so nothing is dropped silently.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path

from workbench.core.codebook import Codebook
from workbench.core.errors import DecisionError
from workbench.core.readers import ParsedTranscript, content_hash
from workbench.core.speakers import detect_speakers, find_label_lines
from workbench.core.store.coding import (
    CONSENSUS_CODER,
    ENGINE_PREFIX,
    CoderKind,
    check_coder_name,
)
from workbench.core.store.interchange import (
    passage_spans,
    transcripts_by_id_and_hash,
)
from workbench.core.store.project import Project, ProjectSettings
from workbench.core.store.raters import coder_kinds
from workbench.interop.refi_codebook_merge import _codebook, _color, _own_guids
from workbench.interop.refi_memos import MemoPlanner, PlannedMemo
from workbench.interop.refi_offsets import OffsetMap
from workbench.interop.refi_positions import names_its_text, source_offsets
from workbench.interop.refi_provenance import (
    Provenance,
    no_code_counts,
    parse_provenance,
)
from workbench.interop.refi_read import (
    RefiProject,
    RefiTextSource,
    read_refi,
)

TEXT_EXTENSIONS = re.compile(r"\.(txt|text|md|docx?|rtf|odt|pdf)$", re.IGNORECASE)


@dataclass
class RefiImportPlan:
    """What an import will do, worked out without writing: the report printed before it."""

    file: str
    codebook: Codebook | None
    code_names: dict[str, str]  # code id -> name
    code_groups: dict[str, list[str]]  # group name -> code ids
    records: list[ParsedTranscript]
    metadata: dict[str, dict[str, str]]
    coders: dict[str, CoderKind]
    # (external id of the transcript the passage is in, position, coder, code)
    codings: list[tuple[str, int, str, str]]
    selections: int = 0
    # selections narrower than their passage: (transcript, position, coder, code, start, end),
    # start and end in the stored text; each one's passage coding is in ``codings`` too
    spans: list[tuple[str, int, str, str, int, int]] = field(default_factory=list)
    # an engine user's codings, kept as that engine's suggestions (never as reviews):
    # (transcript, position, engine coder, code, provenance from its note or None)
    suggestions: list[tuple[str, int, str, str, Provenance | None]] = field(default_factory=list)
    memos: list[PlannedMemo] = field(default_factory=list)  # the file's notes, as memos
    not_mappable: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    already_in_project: list[str] = field(default_factory=list)  # transcripts coded where they are

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "codes": len(self.code_names),
            "code_groups": self.code_groups,
            "sources": len(self.records),
            "coders": sorted(self.coders),
            "already_in_project": len(self.already_in_project),
            "selections": self.selections,
            "codings": len(self.codings),
            "spans": len(self.spans),
            "suggestions": len(self.suggestions),
            "memos": len(self.memos),
            "not_mappable": self.not_mappable,
        }


def plan_refi_import(
    project: Project, path: str | Path, code_map: dict[str, str] | None = None
) -> RefiImportPlan:
    """Read ``path`` and work out everything the import would write; writes nothing.
    ``code_map`` settles file codes whose match is ambiguous (``--map``, see refi_codes)."""
    refi = read_refi(path)
    existing = project.codebook
    code_ids, codebook = _codebook(refi, existing, _own_guids(project), code_map)
    final = codebook or existing
    plan = RefiImportPlan(
        file=str(path),
        codebook=codebook,
        code_names={code.id: code.name for code in final.walk()} if final else {},
        code_groups={
            name: [code_ids[g] for g in members if g in code_ids]
            for name, members in refi.code_groups
        },
        records=[],
        metadata={},
        coders={},
        codings=[],
        not_mappable=list(refi.not_mappable),
    )
    users = _coders(refi, project)
    memos = MemoPlanner(refi, users)
    settings = project.settings
    codable = {code.guid for code in refi.walk_codes() if code.codable}
    names = {code.guid: code.name for code in refi.walk_codes()}
    taken: set[str] = set()
    prepared = []
    for source in refi.sources:
        if source.text is None or not source.text.strip():
            why = source.missing or "it is empty"
            plan.not_mappable.append(
                f"source '{source.name}' not imported: {why} "
                f"({sum(len(s.codings) for s in source.selections)} codings"
                f"{memos.source_notes(source)})"
            )
            continue
        external_id = _unique(TEXT_EXTENSIONS.sub("", source.name).strip() or source.guid, taken)
        offsets = source_offsets(source.text, source.selections, refi.crlf_counted)
        label_lines = find_label_lines(offsets.text)
        record = ParsedTranscript(
            external_id=external_id,
            text=offsets.text,
            source_name=f"{Path(path).name}: {source.name}",
            source_format="refi-qda",
            speakers=tuple(sorted(detect_speakers(offsets.text, matches=label_lines))),
            metadata=dict(source.variables),
            location=f"{path}: source '{source.name}'",
            label_lines=label_lines,
        ).prepared(settings.segmentation)
        prepared.append((source, record, offsets))
    with project.reading() as conn:
        by_id, by_hash = transcripts_by_id_and_hash(
            conn, [r.external_id for _, r, _ in prepared], [r.digest or "" for _, r, _ in prepared]
        )
        known_kinds = coder_kinds(conn)
    for name, kind in users.values():
        if name in known_kinds and known_kinds[name] != kind.value:
            raise DecisionError(
                f"{path}: user '{name}' is a coder of kind '{known_kinds[name]}' in the project, "
                f"not '{kind.value}'"
            )
    planned: dict[str, ParsedTranscript] = {}  # digest -> the record of this file that has it
    # (source, offsets, transcript id coded, the record to store, or None when already stored)
    targets: list[tuple[RefiTextSource, OffsetMap, str, ParsedTranscript | None]] = []
    for source, record, offsets in prepared:
        digest = record.digest or content_hash(record.text)
        if record.external_id in by_id and by_id[record.external_id] != digest:
            plan.conflicts.append(record.external_id)
            plan.not_mappable.append(
                f"source '{source.name}': the project has another text under the id "
                f"'{record.external_id}'; not imported "
                f"({sum(len(s.codings) for s in source.selections)} codings"
                f"{memos.source_notes(source)})"
            )
            continue
        if record.external_id in by_id or digest in by_hash:
            # already there (same id), or the same text under another id: code it there
            target = record.external_id if record.external_id in by_id else by_hash[digest]
            plan.already_in_project.append(target)
            targets.append((source, offsets, target, None))
        elif digest in planned:  # the same text twice in this file: stored once
            targets.append((source, offsets, planned[digest].external_id, planned[digest]))
        else:
            planned[digest] = record
            plan.records.append(record)
            if record.metadata:
                plan.metadata[record.external_id] = record.metadata
            targets.append((source, offsets, record.external_id, record))
    with project.reading() as conn:
        stored = passage_spans(conn, sorted(set(plan.already_in_project)))
    notes = refi.provenance_notes
    for source, offsets, target, to_store in targets:
        spans = stored.get(target, []) if to_store is None else _spans(to_store, settings)
        memos.on_source(source, target)
        _map_selections(
            plan, source, offsets, target, spans, users, codable, names, code_ids, notes, memos
        )
    plan.memos = memos.planned()
    _code_notes_kept_out(plan, refi, existing, code_ids)
    _colours_kept_out(plan, refi, existing, code_ids)
    kinds = dict(users.values())
    coders = [c for _t, _p, c, _k in plan.codings] + [s[2] for s in plan.suggestions]
    coders += [memo.coder for memo in plan.memos]
    plan.coders = {coder: kinds[coder] for coder in coders}
    left_out = no_code_counts(refi.description)
    if left_out is not None:
        reviews, passages = left_out
        plan.not_mappable.append(
            f"{reviews} 'no code applies' reviews on {passages} passages of the exported "
            "project: REFI-QDA cannot represent a review without a code, so those passages "
            "come in as not reviewed by those coders (agreement counts fewer passages); "
            "import them with 'workbench import PROJECT decisions.csv --decisions'"
        )
    return plan


def _spans(record: ParsedTranscript, settings: ProjectSettings) -> list[tuple[int, int, int, bool]]:
    """``(position, start, end, coded)`` of each passage the record will be stored as."""
    passages = record.passages
    assert passages is not None  # records are prepared (cut) when planned
    has_speakers = bool(record.speakers)
    return [
        (position, start, end, settings.is_coded_speaker(speaker, has_speakers))
        for position, (speaker, start, end) in enumerate(
            zip(passages.speakers, passages.starts, passages.ends), start=1
        )
    ]


def _code_notes_kept_out(
    plan: RefiImportPlan, refi: RefiProject, existing: Codebook | None, code_ids: dict[str, str]
) -> None:
    """Notes on codes the codebook already has: a code keeps its definition on import (see
    ``refi_codebook_merge``), so its notes are listed; a new code's are in its definition."""
    held = {code.id for code in existing.walk()} if existing is not None else set()
    for code in refi.walk_codes():
        count = sum(1 for guid in code.notes if guid in refi.notes)
        if count and code_ids.get(code.guid) in held:
            plan.not_mappable.append(
                f"code '{code.name}': {count} notes not added: the codebook already has this "
                f"code ({code_ids[code.guid]}) and an import keeps its definition"
            )


def _colours_kept_out(
    plan: RefiImportPlan, refi: RefiProject, existing: Codebook | None, code_ids: dict[str, str]
) -> None:
    """A new code's colour that is not ``#RRGGBB`` or ``#RGB`` (the schema's RGBType) cannot
    be kept: it is listed, so the code does not lose it unseen."""
    held = {code.id for code in existing.walk()} if existing is not None else set()
    for code in refi.walk_codes():
        if code.color and _color(code.color) is None and code_ids.get(code.guid) not in held:
            plan.not_mappable.append(
                f"code '{code.name}' ({code.guid}): colour '{code.color}' is not #RRGGBB; "
                "the code is added without it"
            )


def _map_selections(
    plan, source, offsets, target, spans, users, codable, names, code_ids, provenance, memos
) -> None:
    ends = [span[2] for span in spans]
    length = offsets.length  # as the file's tool counts (a CRLF is one in ATLAS.ti)
    seen: set[tuple[int, str, str]] = set()
    seen_spans: set[tuple[str, int, str, str, int, int]] = set()
    for selection in source.selections:
        plan.selections += 1
        where = f"source '{source.name}', selection {selection.start}-{selection.end}"
        guid = f" (selection {selection.guid})"  # the element, for finding it in the file
        if not 0 <= selection.start < selection.end <= length:
            plan.not_mappable.append(
                f"{where}: outside the text (0-{length}) or empty; "
                f"{len(selection.codings)} codings{_and_memos(memos, selection)} not imported"
                + guid
            )
            continue
        if source.rich_text and not names_its_text(offsets, selection):
            plan.not_mappable.append(
                f"{where}: its name does not quote the words at its positions in the text read "
                f"from '{source.rich_text}'; {len(selection.codings)} codings"
                f"{_and_memos(memos, selection)} not imported" + guid
            )
            continue
        start, end = offsets(selection.start), offsets(selection.end)
        touched = []
        index = bisect_right(ends, start)  # passages are in order and do not overlap
        while index < len(spans) and spans[index][1] < end:
            touched.append(spans[index])
            index += 1
        coded = [s for s in touched if s[3]]
        if not coded:
            what = "interviewer turns" if touched else "no passage (blank text)"
            plan.not_mappable.append(
                f"{where}: lies on {what} only; {len(selection.codings)} codings"
                f"{_and_memos(memos, selection)} not imported" + guid
            )
            continue
        memos.on_selection(source, selection, target, coded[0], start, end)
        for coding in selection.codings:
            if coding.code_guid not in code_ids:
                plan.not_mappable.append(
                    f"{where}: coding with unknown code {coding.code_guid}{guid}"
                )
                continue
            if coding.code_guid not in codable:
                plan.not_mappable.append(
                    f"{where}: coding with '{names[coding.code_guid]}', which the file marks "
                    f"not codable (isCodable=false){guid}"
                )
                continue
            coder, kind = users.get(coding.user_guid or "", users[""])
            code = code_ids[coding.code_guid]
            if kind is CoderKind.ENGINE:
                _plan_suggestion(plan, target, coded, coder, code, coding, provenance, seen)
                continue
            for position, low, high, _coded in coded:
                key = (position, coder, code)
                if key not in seen:
                    seen.add(key)
                    plan.codings.append((target, position, coder, code))
                inside = (max(start, low), min(end, high))
                if inside != (low, high) and inside[0] < inside[1]:
                    span = (target, position, coder, code, *inside)
                    if span not in seen_spans:
                        seen_spans.add(span)
                        plan.spans.append(span)


def _and_memos(memos: MemoPlanner, selection) -> str:
    count = memos.selection_notes(selection)
    return f" and {count} memos (notes)" if count else ""


def _plan_suggestion(plan, target, coded, coder, code, coding, notes, seen) -> None:
    """An engine user's coding is what the engine suggested, not a review: it is planned as a
    suggestion, with the confidence and rationale its workbench note gives (if any)."""
    found = [parse_provenance(notes[guid]) for guid in coding.notes if guid in notes]
    provenance = next((p for p in found if p is not None), None)
    for position, _low, _high, _coded in coded:
        key = (position, coder, code)
        if key not in seen:
            seen.add(key)
            plan.suggestions.append((target, position, coder, code, provenance))


def _coders(refi: RefiProject, project: Project) -> dict[str, tuple[str, CoderKind]]:
    """``{user guid: (coder name, kind)}``; ``""`` is who codes when a coding names nobody."""
    users: dict[str, tuple[str, CoderKind]] = {}
    for guid, name in refi.users.items():
        kind = CoderKind.HUMAN
        if name.casefold().startswith(ENGINE_PREFIX):
            kind = CoderKind.ENGINE
        elif name.casefold() == CONSENSUS_CODER:
            kind = CoderKind.CONSENSUS
        try:
            users[guid] = (check_coder_name(name, kind), kind)
        except DecisionError as exc:
            raise DecisionError(f"{refi.path}: user {guid}: {exc}") from None
    fallback = users.get(refi.default_user or "")
    users[""] = fallback or (f"refi:{Path(refi.path).stem}"[:100], CoderKind.HUMAN)
    return users


def _unique(name: str, taken: set[str]) -> str:
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{name} ({number})", number + 1
    taken.add(candidate)
    return candidate
