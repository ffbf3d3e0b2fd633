"""Bring a REFI-QDA project into a workbench project: transcripts, codebook, coders, codings.

The import is planned completely before anything is written: the file is read, each text
source cut into passages by the same rules as a ``.txt`` file (speaker turns found by the same
reader), the code tree turned into a codebook version (checked like any codebook), and every
coding mapped onto the passages its selection touches (a selection covering part of a passage
codes that passage, and is kept as a coded span: the part of the selection inside it). What cannot be mapped (pictures, audio, PDF regions, links, codings on
interviewer turns or on codes marked not codable) is listed in the plan, which the command
line prints before committing, so nothing is dropped silently.

Codings become logged decisions of each user, as a decisions CSV import does; an import only
adds codes, it never removes ones a coder already holds. An engine user's codings are what it
suggested, not reviews: they become its suggestions (``refi_provenance`` reads back the
confidence and rationale a workbench export wrote beside them).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from workbench.core.codebook import CODE_ID_PATTERN, Codebook, check_codebook_text
from workbench.core.errors import CodebookError, DecisionError
from workbench.core.ingest import store_transcripts
from workbench.core.readers import ParsedTranscript, content_hash
from workbench.core.speakers import detect_speakers, find_label_lines
from workbench.core.store import Connection
from workbench.core.store.audit import append_audit
from workbench.core.store.coding import (
    CONSENSUS_CODER,
    ENGINE_PREFIX,
    CoderKind,
    DecisionAction,
    PlannedDecision,
    check_coder_name,
    ensure_coder,
    record_decisions_bulk,
)
from workbench.core.store.interchange import (
    current_codings,
    latest_engine_suggestions,
    passage_spans,
    project_created_at,
    reviewed_pairs,
    transcripts_by_id_and_hash,
)
from workbench.core.store.project import Project, ProjectSettings
from workbench.core.store.queries import passage_ids_for_keys, passage_key
from workbench.core.store.raters import coder_kinds
from workbench.core.store.spans import coded_spans
from workbench.core.store.suggestions import passages_already_run, record_run, save_suggestions
from workbench.core.suggestion import Suggestion
from workbench.interop.refi_codes import match_codes, repeated_names
from workbench.interop.refi_offsets import OffsetMap
from workbench.interop.refi_positions import source_offsets
from workbench.interop.refi_provenance import (
    Provenance,
    no_code_counts,
    parse_codebook_label,
    parse_provenance,
)
from workbench.interop.refi_read import (
    RefiCode,
    RefiError,
    RefiProject,
    RefiTextSource,
    read_refi,
)
from workbench.interop.refi_schema import GuidMaker
from workbench.interop.refi_text import unfold_description

REFI_SUFFIXES = {".qdpx", ".qde"}
TEXT_EXTENSIONS = re.compile(r"\.(txt|text|md|docx?|rtf|odt|pdf)$", re.IGNORECASE)
SHORT_HEX = re.compile(r"^#([0-9A-Fa-f])([0-9A-Fa-f])([0-9A-Fa-f])$")


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
            "not_mappable": self.not_mappable,
        }


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

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def is_refi_file(path: str | Path) -> bool:
    return Path(path).suffix.lower() in REFI_SUFFIXES


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
                f"({sum(len(s.codings) for s in source.selections)} codings)"
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
                f"({sum(len(s.codings) for s in source.selections)} codings)"
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
        _map_selections(
            plan, source, offsets, target, spans, users, codable, names, code_ids, notes
        )
    kinds = dict(users.values())
    coders = [c for _t, _p, c, _k in plan.codings] + [s[2] for s in plan.suggestions]
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


def _map_selections(
    plan, source, offsets, target, spans, users, codable, names, code_ids, provenance
) -> None:
    ends = [span[2] for span in spans]
    length = offsets.length  # as the file's tool counts (a CRLF is one in ATLAS.ti)
    seen: set[tuple[int, str, str]] = set()
    seen_spans: set[tuple[str, int, str, str, int, int]] = set()
    for selection in source.selections:
        plan.selections += 1
        where = f"source '{source.name}', selection {selection.start}-{selection.end}"
        if not 0 <= selection.start < selection.end <= length:
            plan.not_mappable.append(
                f"{where}: outside the text (0-{length}) or empty; "
                f"{len(selection.codings)} codings not imported"
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
                f"{where}: lies on {what} only; {len(selection.codings)} codings not imported"
            )
            continue
        for coding in selection.codings:
            if coding.code_guid not in code_ids:
                plan.not_mappable.append(f"{where}: coding with unknown code {coding.code_guid}")
                continue
            if coding.code_guid not in codable:
                plan.not_mappable.append(
                    f"{where}: coding with '{names[coding.code_guid]}', which the file marks "
                    "not codable (isCodable=false)"
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
            wanted = _slug(code.name)
            if parent_id and (code.name in repeated or wanted in taken):
                wanted = f"{parent_id}.{wanted}"
            node = _new_code(code, refi, taken, wanted)
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


def _new_code(
    code: RefiCode, refi: RefiProject, taken: set[str], wanted: str | None = None
) -> dict[str, Any]:
    parts = unfold_description(code.description)
    own = str(parts.pop("id", ""))
    if CODE_ID_PATTERN.match(own) and own not in taken:
        wanted = own  # the id a workbench export wrote: the code comes back as it was
    wanted = wanted or _slug(code.name)
    code_id, number = wanted, 2
    while code_id in taken:
        code_id, number = f"{wanted}-{number}", number + 1
    taken.add(code_id)
    definition = str(parts.get("definition") or "")
    if not code.codable:
        note = "A grouping in the source project, not codable there (isCodable=false)."
        definition = f"{definition}\n\n{note}".strip()
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


def commit_refi_import(
    project: Project, plan: RefiImportPlan, actor: str = "workbench"
) -> RefiImportResult:
    """Write a plan: the codebook version, the transcripts, then each user's codings."""
    result = RefiImportResult(
        file=plan.file, transcripts_unchanged=len(set(plan.already_in_project))
    )
    if plan.codebook is not None:
        result.codebook_version = project.add_codebook_version(plan.codebook, actor=actor)
    if plan.records:
        stored = store_transcripts(project, plan.records, plan.file, actor=actor)
        result.transcripts_added = len(stored.added)
        result.passages = stored.passages
    if not plan.codings and not plan.suggestions:
        return result
    codebook = project.codebook
    if codebook is None:
        raise RefiError(f"{plan.file}: codings but no code book; nothing to code with")
    with project.transaction() as conn:
        keys = {passage_key(t, p) for t, p, _c, _k in plan.codings}
        keys.update(passage_key(s[0], s[1]) for s in plan.suggestions)
        ids = passage_ids_for_keys(conn, keys)
        missing = sorted(keys - set(ids))
        if missing:  # a segmentation that differs from the one the plan was cut with
            raise RefiError(f"{plan.file}: passage {missing[0]} not found after import")
        coder_ids = {name: ensure_coder(conn, name, kind) for name, kind in plan.coders.items()}
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


def import_refi(
    project: Project,
    path: str | Path,
    actor: str = "workbench",
    code_map: dict[str, str] | None = None,
) -> RefiImportResult:
    """Plan and commit in one call (for scripts and tests; the CLI prints the plan between)."""
    return commit_refi_import(project, plan_refi_import(project, path, code_map), actor)
