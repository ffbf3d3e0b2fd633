"""Write a project as a REFI-QDA project (``.qdpx``) that NVivo, ATLAS.ti, MAXQDA and QualCoder open.

The zip holds ``project.qde`` (QDA-XML in the standard's namespace, checked against
``Project.xsd`` before it is written) and ``sources/`` with each transcript's text as UTF-8.
Every coder is a user, engines included (one per engine and model, as agreement counts them).
Each coder's codes on a passage are one ``PlainTextSelection`` at the passage's exact offsets,
by that coder, with one ``Coding`` per code dated by the decision that applied it. A code the
coder applied to selections inside the passage (spans) is written at each selection's own
offsets instead, one ``PlainTextSelection`` per selection holding every code on those words
(and the memos on them). Offsets are code points of the stored text, which is the source file
the export writes, so they are REFI positions as they stand. An engine's
codes are its latest suggestions there, and what it was (model, confidence) and what coders
did with it (accepted, rejected, edited) is a note on the coding, since the format has no
field for it. Memos are notes; metadata fields are text variables.

GUIDs are derived from the project's identity and each element's id, and the zip's entries
carry a fixed date, so exporting an unchanged project twice gives the same bytes.
"""

from __future__ import annotations

import zipfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from workbench import __version__
from workbench.core.codebook import Code, Codebook
from workbench.core.errors import WorkbenchError
from workbench.core.safe_output import atomic_output, check_output_path
from workbench.core.store.coding import CoderKind, DecisionAction
from workbench.core.store.interchange import (
    CodingRow,
    SuggestionRow,
    all_coders,
    all_memos,
    current_codings,
    latest_engine_suggestions,
    project_created_at,
    reviewed_pairs,
    suggestion_responses,
    suggestions_by_id,
    transcript_sources,
)
from workbench.core.store.project import Project
from workbench.core.store.queries import metadata_fields, metadata_for, passages_of
from workbench.core.store.spans import coded_spans
from workbench.interop.refi_provenance import codebook_label, no_code_line, provenance_text
from workbench.interop.refi_schema import PROJECT_NS, GuidMaker, schema_errors
from workbench.interop.refi_text import fold_description, xml_datetime

ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed, so an unchanged project exports to the same bytes


@dataclass
class RefiExportResult:
    out: str
    users: int = 0
    codes: int = 0
    sources: int = 0
    selections: int = 0
    codings: int = 0
    notes: int = 0
    # "no code applies" reviews REFI-QDA cannot hold: how many, and on how many passages
    no_code_reviews: int = 0
    no_code_passages: int = 0

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def _el(parent: etree._Element, tag: str, **attributes: str | None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{PROJECT_NS}}}{tag}")
    for name, value in attributes.items():
        if value is not None:
            element.set(name, _xml_safe(value))
    return element


def _text(parent: etree._Element, tag: str, value: str) -> etree._Element:
    element = _el(parent, tag)
    element.text = _xml_safe(value)
    return element


def _xml_safe(value: str) -> str:
    """XML 1.0 cannot carry most control characters; a transcript may (a pasted form feed)."""
    return "".join(
        ch if ch in "\t\n\r" or (ord(ch) >= 0x20 and ch not in "\ufffe\uffff") else "\ufffd"
        for ch in value
    )


class _Writer:
    def __init__(self, project: Project, out: str):
        self.project = project
        self.result = RefiExportResult(out=out)
        self.files: dict[str, bytes] = {}
        self.notes: list[etree._Element] = []
        self.provenance_notes: dict[int, str] = {}

    def build(self) -> bytes:
        project = self.project
        with project.reading() as conn:
            self.guid = GuidMaker(project_created_at(conn) or project.location)
            coders = all_coders(conn)
            self.coder_guid = {c.id: self.guid("user", c.name) for c in coders}
            self.coder_name = {c.id: c.name for c in coders}
            self.engine_ids = {c.id for c in coders if c.kind == CoderKind.ENGINE.value}
            root = etree.Element(f"{{{PROJECT_NS}}}Project", nsmap={None: PROJECT_NS})
            root.set("name", _project_name(project.location))
            root.set("origin", f"workbench {__version__}")
            created = xml_datetime(project_created_at(conn))
            if created:
                root.set("creationDateTime", created)
            if coders:
                users = _el(root, "Users")
                for coder in coders:
                    _el(users, "User", guid=self.coder_guid[coder.id], name=coder.name)
                    self.result.users += 1
            codebook = project.codebook
            self.code_guid: dict[str, str] = {}
            if codebook is not None and codebook.codes:
                self._codebook(root, codebook)
            fields = metadata_fields(conn)
            self.variable_guid = {name: self.guid("variable", name) for name in fields}
            if fields:
                variables = _el(root, "Variables")
                for name in fields:
                    _el(
                        variables,
                        "Variable",
                        guid=self.variable_guid[name],
                        name=name,
                        typeOfVariable="Text",
                    )
            memos = all_memos(conn)
            self.memos_by_passage: dict[tuple[int, int], list] = defaultdict(list)
            self.memos_by_transcript: dict[int, list] = defaultdict(list)
            self.memo_coders: dict[int, set[int]] = defaultdict(set)
            self.span_memos: dict[tuple[int, int], list] = defaultdict(list)
            for memo in memos:
                if memo.passage_id is not None and memo.span_start is not None:
                    self.span_memos[(memo.passage_id, memo.coder_id)].append(memo)
                    self.memo_coders[memo.passage_id].add(memo.coder_id)
                elif memo.passage_id is not None:
                    self.memos_by_passage[(memo.passage_id, memo.coder_id)].append(memo)
                    self.memo_coders[memo.passage_id].add(memo.coder_id)
                elif memo.transcript_id is not None:
                    self.memos_by_transcript[memo.transcript_id].append(memo)
            sources = _el(root, "Sources")
            for batch in transcript_sources(conn):
                self._batch(conn, sources, batch, fields)
            if len(sources) == 0:
                root.remove(sources)
            if self.notes:
                notes = _el(root, "Notes")
                for note in self.notes:
                    notes.append(note)
            said = [codebook_label(codebook.name, codebook.version) + "."] if codebook else []
            if self.result.no_code_reviews:
                said.append(no_code_line(self.result.no_code_reviews, self.result.no_code_passages))
            if said:
                _text(root, "Description", "Written by workbench: " + "\n".join(said))
        document = etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)
        problems = schema_errors(document)
        if problems:  # a bug of ours, never the user's data: refuse rather than hand it out
            raise WorkbenchError(
                f"{self.result.out}: the REFI-QDA export does not validate against Project.xsd "
                f"({problems[0]}); nothing was written, please report this"
            )
        return document

    def _codebook(self, root: etree._Element, codebook: Codebook) -> None:
        codes = _el(_el(root, "CodeBook"), "Codes")

        def add(parent: etree._Element, code: Code) -> None:
            guid = self.guid("code", code.id)
            self.code_guid[code.id] = guid
            element = _el(
                parent, "Code", guid=guid, name=code.name, isCodable="true", color=code.color
            )
            _text(
                element,
                "Description",
                fold_description(
                    code.definition, code.include, code.exclude, code.examples, code.id
                ),
            )
            self.result.codes += 1
            for child in code.children:
                add(element, child)

        for code in codebook.codes:
            add(codes, code)

    def _note(self, key: str, name: str, text: str, coder_id: int | None, when: object) -> str:
        guid = self.guid("note", key)
        note = etree.Element(f"{{{PROJECT_NS}}}Note")
        note.set("guid", guid)
        note.set("name", _xml_safe(name))
        if coder_id is not None:
            note.set("creatingUser", self.coder_guid[coder_id])
        when_text = xml_datetime(when)  # type: ignore[arg-type]
        if when_text:
            note.set("creationDateTime", when_text)
        _text(note, "PlainTextContent", text)
        self.notes.append(note)
        self.result.notes += 1
        return guid

    def _batch(self, conn, parent, batch, fields: list[str]) -> None:
        """A batch of transcripts: a few queries for all of them, then one element each."""
        passages = list(passages_of(conn, [source.id for source in batch]))
        ids = [p.id for p in passages]
        codings: dict[tuple[int, int], list[CodingRow]] = defaultdict(list)
        for row in current_codings(conn, ids):
            codings[(row.passage_id, row.coder_id)].append(row)
        engine = latest_engine_suggestions(conn, ids)
        accepted_ids = sorted(
            {
                r.suggestion_id
                for rows in codings.values()
                for r in rows
                if r.suggestion_id is not None
            }
        )
        suggestions = suggestions_by_id(conn, accepted_ids)
        for rows in engine.values():
            suggestions.update({s.id: s for s in rows})
        responses = suggestion_responses(conn, sorted(suggestions))
        metadata = metadata_for(conn, [source.external_id for source in batch])
        by_transcript: dict[str, list] = defaultdict(list)
        for passage in passages:
            by_transcript[passage.transcript_id].append(passage)
        holders: dict[int, set[int]] = defaultdict(set)  # passage -> coders with a selection
        for passage_id, coder_id in [*codings, *engine]:
            holders[passage_id].add(coder_id)
        self.spans: dict[tuple[int, int], dict[str, list[tuple[int, int]]]] = defaultdict(dict)
        for passage_id, found in coded_spans(conn, ids).items():
            for span in found:
                codes = self.spans[(passage_id, span.coder_id)]
                codes.setdefault(span.code_id, []).append((span.start, span.end))
        state = (codings, engine, suggestions, responses, holders)
        self._count_no_code(reviewed_pairs(conn, ids), codings)
        for source in batch:
            values = metadata.get(source.external_id, {})
            self._source(parent, source, by_transcript[source.external_id], state, fields, values)

    def _count_no_code(self, reviewed: set[tuple[int, int]], codings: dict) -> None:
        """Reviews without a code have no element in REFI-QDA: counted, so the export and a
        later import can say what the file leaves out."""
        empty = {(p, c) for p, c in reviewed if not codings.get((p, c))}
        self.result.no_code_reviews += len(empty)
        self.result.no_code_passages += len({p for p, _c in empty})

    def _source(
        self, parent, source, passages, state, fields: list[str], values: dict[str, str]
    ) -> None:
        codings, engine, suggestions, responses, holders = state
        guid = self.guid("source", source.external_id)
        filename = f"{guid}.txt"
        self.files[f"sources/{filename}"] = source.text.encode("utf-8")
        element = _el(
            parent,
            "TextSource",
            guid=guid,
            name=source.external_id,
            plainTextPath=f"internal://{filename}",
            creationDateTime=xml_datetime(source.imported_at),
        )
        self.result.sources += 1
        for passage in passages:
            coder_ids = holders[passage.id] | self.memo_coders.get(passage.id, set())
            for coder_id in sorted(coder_ids, key=lambda c: self.coder_name[c]):
                self._selection(element, passage, coder_id, codings, engine, suggestions, responses)
        for memo in self.memos_by_transcript.get(source.id, []):
            note = self._note(
                f"memo:{memo.id}",
                f"Memo on {source.external_id}",
                memo.text,
                memo.coder_id,
                memo.created_at,
            )
            _el(element, "NoteRef", targetGUID=note)
        for name in fields:
            if name in values:
                value = _el(element, "VariableValue")
                _el(value, "VariableRef", targetGUID=self.variable_guid[name])
                _text(value, "TextValue", values[name])

    def _selection(
        self, parent, passage, coder_id, codings, engine, suggestions, responses
    ) -> None:
        spanned = self.spans.get((passage.id, coder_id), {})
        every = codings.get((passage.id, coder_id), [])
        own = [row for row in every if row.code_id not in spanned]
        suggested = engine.get((passage.id, coder_id), []) if coder_id in self.engine_ids else []
        memos = self.memos_by_passage.get((passage.id, coder_id), [])
        self._span_selections(
            parent, passage, coder_id, every, spanned, codings, suggestions, responses
        )
        if not own and not suggested and not memos:
            return
        coder = self.coder_name[coder_id]
        dates = [row.created_at for row in own] + [s.created_at for s in suggested]
        selection = _el(
            parent,
            "PlainTextSelection",
            guid=self.guid("selection", f"{passage.id}:{coder}"),
            name=passage.key,
            startPosition=str(passage.start),
            endPosition=str(passage.end),
            creatingUser=self.coder_guid[coder_id],
            creationDateTime=xml_datetime(min(dates)) if dates else None,
        )
        self.result.selections += 1
        for row in own:
            if row.code_id not in self.code_guid:
                continue  # a code dropped from the newest codebook version has no element
            coding = _el(
                selection,
                "Coding",
                guid=self.guid("coding", f"{passage.id}:{coder}:{row.code_id}"),
                creatingUser=self.coder_guid[coder_id],
                creationDateTime=xml_datetime(row.created_at),
            )
            _el(coding, "CodeRef", targetGUID=self.code_guid[row.code_id])
            if row.suggestion_id is not None and row.suggestion_id in suggestions:
                note = self._provenance(suggestions[row.suggestion_id], passage, codings, responses)
                _el(coding, "NoteRef", targetGUID=note)
            self.result.codings += 1
        for suggestion in suggested:
            if suggestion.code_id not in self.code_guid:
                continue
            coding = _el(
                selection,
                "Coding",
                guid=self.guid("coding", f"{passage.id}:{coder}:{suggestion.code_id}"),
                creatingUser=self.coder_guid[coder_id],
                creationDateTime=xml_datetime(suggestion.created_at),
            )
            _el(coding, "CodeRef", targetGUID=self.code_guid[suggestion.code_id])
            note = self._provenance(suggestion, passage, codings, responses)
            _el(coding, "NoteRef", targetGUID=note)
            self.result.codings += 1
        for memo in memos:
            note = self._note(
                f"memo:{memo.id}",
                f"Memo on {passage.key}",
                memo.text,
                memo.coder_id,
                memo.created_at,
            )
            _el(selection, "NoteRef", targetGUID=note)

    def _span_selections(
        self, parent, passage, coder_id, rows, spanned, codings, suggestions, responses
    ) -> None:
        """One selection per coded span (and per memo on a selection), at its exact offsets."""
        memos: dict[tuple[int, int], list] = defaultdict(list)
        for memo in self.span_memos.get((passage.id, coder_id), []):
            memos[(memo.span_start, memo.span_end)].append(memo)
        at: dict[tuple[int, int], list[str]] = defaultdict(list)
        for code_id, places in spanned.items():
            for place in places:
                at[place].append(code_id)
        for place in memos:
            at.setdefault(place, [])
        by_code = {row.code_id: row for row in rows}
        coder = self.coder_name[coder_id]
        for (start, end), code_ids in sorted(at.items()):
            place = f"{start}-{end}"
            dates = [by_code[c].created_at for c in code_ids if c in by_code]
            selection = _el(
                parent,
                "PlainTextSelection",
                guid=self.guid("selection", f"{passage.id}:{coder}:{place}"),
                name=f"{passage.key} {place}",
                startPosition=str(start),
                endPosition=str(end),
                creatingUser=self.coder_guid[coder_id],
                creationDateTime=xml_datetime(min(dates)) if dates else None,
            )
            self.result.selections += 1
            for code_id in sorted(code_ids):
                if code_id not in self.code_guid:
                    continue
                row = by_code.get(code_id)
                coding = _el(
                    selection,
                    "Coding",
                    guid=self.guid("coding", f"{passage.id}:{coder}:{code_id}:{place}"),
                    creatingUser=self.coder_guid[coder_id],
                    creationDateTime=xml_datetime(row.created_at) if row else None,
                )
                _el(coding, "CodeRef", targetGUID=self.code_guid[code_id])
                if row is not None and row.suggestion_id in suggestions:
                    note = self._provenance(
                        suggestions[row.suggestion_id], passage, codings, responses
                    )
                    _el(coding, "NoteRef", targetGUID=note)
                self.result.codings += 1
            for memo in memos.get((start, end), []):
                note = self._note(
                    f"memo:{memo.id}",
                    f"Memo on {passage.key} {place}",
                    memo.text,
                    memo.coder_id,
                    memo.created_at,
                )
                _el(selection, "NoteRef", targetGUID=note)

    def _provenance(self, suggestion: SuggestionRow, passage, codings, responses) -> str:
        if suggestion.id in self.provenance_notes:
            return self.provenance_notes[suggestion.id]
        lines: list[str] = []
        for coder_id, action in responses.get(suggestion.id, []):
            name = self.coder_name.get(coder_id, str(coder_id))
            if action == DecisionAction.APPLY.value:
                lines.append(f"Accepted by {name}.")
            elif action == DecisionAction.REJECT.value:
                instead = sorted(r.code_id for r in codings.get((passage.id, coder_id), []))
                if instead:
                    lines.append(f"Edited by {name}: coded {', '.join(instead)} instead.")
                else:
                    lines.append(f"Rejected by {name}.")
        text = provenance_text(
            suggestion.engine,
            suggestion.model,
            suggestion.prompt_version,
            suggestion.confidence,
            suggestion.rationale,
            lines,
        )
        guid = self._note(
            f"suggestion:{suggestion.id}",
            f"Engine suggestion {suggestion.code_id} on {passage.key}",
            text,
            None,
            suggestion.created_at,
        )
        self.provenance_notes[suggestion.id] = guid
        return guid


def _project_name(location: str) -> str:
    if "://" in location:
        return location.rsplit("/", 1)[-1] or "workbench project"
    return Path(location).stem or "workbench project"


def export_qdpx(project: Project, out: str | Path) -> RefiExportResult:
    """Write ``out`` (a ``.qdpx`` zip); returns what went in. Nothing is written on failure."""
    check_output_path(out)
    writer = _Writer(project, str(out))
    document = writer.build()
    with (
        atomic_output(out, "wb") as handle,
        zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive,
    ):
        entries = [("project.qde", document)] + sorted(writer.files.items())
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return writer.result
