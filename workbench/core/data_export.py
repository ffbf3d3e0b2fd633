"""Coded data out as tables: the passages table or the long coding table, with memos beside it.

``export_data`` picks the format from the file name (``.csv``, ``.xlsx``, ``.parquet``) and
always says what left: an XLSX workbook opens on a README sheet, a CSV or Parquet file gets a
``<name>.about.txt`` beside it. Memos go to their own table (a ``memos`` sheet, or
``<name>.memos.csv`` / ``<name>.memos.parquet``). A blind export for one coder carries that
coder's codes and memos only, plus the engines' suggestions where the project shows them to
coders, so a coder's file can be shared without leaking how the others coded.

Everything is read a batch of transcripts at a time and written row by row.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.core.clock import utc_now
from workbench.core.errors import DecisionError
from workbench.core.safe_output import OutputError, check_output_path, output_set
from workbench.core.store import coded_data
from workbench.core.store.coded_data import ExportCoder
from workbench.core.store.coding import CoderKind
from workbench.core.store.memos import latest_memo_ids
from workbench.core.store.project import Project
from workbench.core.store.queries import metadata_fields, metadata_for, passage_key
from workbench.core.table_writers import (
    XLSX_MAX_ROWS,
    Table,
    csv_cell,
    write_csv,
    write_parquet,
    write_text,
    write_xlsx,
)

TABLE_FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".parquet": "parquet"}
PASSAGE_COLUMNS = ["passage_id", "transcript_id", "speaker", "position", "coded", "text"]
PASSAGE_TYPES = ["str", "str", "str", "int", "bool", "str"]
LONG_COLUMNS = [
    "passage_id",
    "transcript_id",
    "position",
    "speaker",
    "coder",
    "coder_kind",
    "code",
    "decided_at",
    "codebook_version",
    "engine",
    "model",
    "confidence",
    "rationale",
    "evidence",
    "model_snapshot",
    # A code coded on selections inside the passage: one row per selection, its transcript
    # offsets (start inclusive, end exclusive) and its words; empty for a whole-passage coding.
    "span_start",
    "span_end",
    "span_text",
]
LONG_TYPES = ["str", "str", "int", "str", "str", "str", "str", "time", "int"]
LONG_TYPES += ["str", "str", "float", "str", "str", "str", "int", "int", "str"]
MEMO_COLUMNS = ["passage_id", "transcript_id", "position", "coder", "created_at", "updated_at"]
MEMO_COLUMNS += ["memo", "current", "span_start", "span_end", "span_text"]
# Every saved text of a memo is a row (its history); ``current`` is "yes" on the text the memo
# has now, "no" on earlier ones. A cleared memo's last row has an empty ``memo``. A memo on a
# selection has its offsets and words in the span columns.
MEMO_TYPES = ["str", "str", "int", "str", "time", "time", "str", "str", "int", "int", "str"]
NO_CODE_MARK = "-"  # as exchange.NO_CODE_MARK: reviewed, no code applies
CODE_SEPARATOR = ";"


@dataclass
class Audience:
    """Whose codes leave in an export, and the sentence that says so."""

    coders: list[ExportCoder]  # humans and consensus whose codes are exported (wide: columns)
    engines: str  # "all", "reviewed" (only where the blind coder has reviewed) or "none"
    blind_for: ExportCoder | None = None
    statement: str = ""


@dataclass
class DataExportResult:
    out: str
    format: str
    layout: str  # "passages" or "long"
    rows: int
    memos: int
    files: list[str] = field(default_factory=list)
    contents: str = ""

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def table_format(path: str | Path) -> str | None:
    """``csv``, ``xlsx`` or ``parquet`` by the file's extension; None for anything else."""
    return TABLE_FORMATS.get(Path(path).suffix.lower())


def companion_paths(out: str | Path) -> dict[str, Path]:
    """The files written beside ``out``: memos (CSV, Parquet) and the about text."""
    out = Path(out)
    fmt = table_format(out)
    if fmt == "xlsx":
        return {}
    return {
        "memos": out.with_name(f"{out.stem}.memos{out.suffix}"),
        "about": out.with_name(f"{out.stem}.about.txt"),
    }


def _audience(project: Project, conn: Any, coder: str | None) -> Audience:
    coders = coded_data.export_coders(conn)
    if coder is None:
        names = ", ".join(c.name for c in coders) or "none yet"
        return Audience(
            coders,
            "all",
            statement=f"full export: every coder's codes and memos (coders: {names})",
        )
    found = next((c for c in coders if c.name == coder), None)
    if found is None:
        humans = [c.name for c in coders if c.kind == CoderKind.HUMAN.value]
        raise DecisionError(
            f"--coder: no coder '{coder}' in {project.shown_location}; its coders are "
            f"{', '.join(humans[:10]) or 'none yet'}"
        )
    if found.kind != CoderKind.HUMAN.value:
        raise DecisionError(
            f"--coder: '{coder}' is a {found.kind} coder; a blind export is for a human coder"
        )
    if project.settings.suggestions_after_first_pass:
        engines = "reviewed"
        about_engines = (
            f"engines' suggestions only on passages {coder} has reviewed (the project shows "
            "suggestions after a first pass)"
        )
    else:
        engines = "all"
        about_engines = "engines' suggestions included (the project shows them to coders)"
    return Audience(
        [found],
        engines,
        blind_for=found,
        statement=(
            f"export for coder {coder}: other coders' codes left out; {about_engines}; "
            f"only {coder}'s memos"
        ),
    )


def _passages_table(conn: Any, audience: Audience, fields: list[str]) -> Table:
    """Today's passages table: one row per passage, a ``codes:<coder>`` column per coder.

    Rows for XLSX and Parquet, and CSV text for CSV: a transcript's id and metadata are the
    same on each of its rows, so their CSV cells are encoded once per transcript, not per row.
    """
    coders = audience.coders
    Walked = tuple[str, dict[str, str], list[coded_data.PassageTuple], dict[int, list[str]]]

    def transcripts() -> Iterator[Walked]:
        """Each transcript's id, metadata, passages and its passages' code cells by passage."""
        # three streams in the same order (transcript, position), advanced together
        states = coded_data.stream_codes(conn)
        state = next(states, None)
        metadata = coded_data.stream_metadata(conn)
        meta_row, meta = next(metadata, (None, {}))
        for row_id, external_id, passages in coded_data.stream_transcripts(conn):
            while meta_row is not None and meta_row < row_id:
                meta_row, meta = next(metadata, (None, {}))
            cells: dict[int, list[str]] = {}
            if state is not None:
                for passage in passages:
                    if state is None or state[0] != passage[0]:
                        continue
                    codes, reviewed = state[1], state[2]
                    state = next(states, None)
                    cells[passage[0]] = [
                        CODE_SEPARATOR.join(sorted(codes[c.id]))
                        if codes.get(c.id)
                        else NO_CODE_MARK
                        if c.id in reviewed
                        else ""
                        for c in coders
                    ]
            yield external_id, meta if meta_row == row_id else {}, passages, cells

    def rows() -> Iterator[list[Any]]:
        blank = [""] * len(coders)
        for external_id, meta, passages, cells in transcripts():
            values = [meta.get(name, "") for name in fields]
            for pid, position, speaker, coded, text in passages:
                yield [
                    passage_key(external_id, position),
                    external_id,
                    speaker or "",
                    position,
                    coded,
                    text,
                    *values,
                    *cells.get(pid, blank),
                ]

    def csv_blocks() -> Iterator[tuple[str, int]]:
        blank = "," * len(coders)
        speakers: dict[str | None, str] = {}
        for external_id, meta, passages, cells in transcripts():
            # the passage id is the transcript id, '#' and digits: the digits change neither the
            # quoting nor the formula check, so the cell is its transcript's cell with the
            # position put in before the closing quote, if any
            key = csv_cell(external_id + "#")
            head, tail = (key[:-1], '"') if key[0] == '"' else (key, "")
            middle = f",{csv_cell(external_id)},"
            after = "".join("," + csv_cell(meta.get(name, "")) for name in fields)
            lines = []
            for pid, position, speaker, coded, text in passages:
                said = speakers.get(speaker)
                if said is None:
                    said = speakers[speaker] = csv_cell(speaker or "")
                found = cells.get(pid)
                codes = "," + ",".join([csv_cell(c) for c in found]) if found else blank
                lines.append(
                    f"{head}{position}{tail}{middle}{said},{position},"
                    f"{'true' if coded else 'false'},{csv_cell(text)}{after}{codes}\r\n"
                )
            yield "".join(lines), len(lines)

    return Table(
        "passages",
        PASSAGE_COLUMNS + fields + [f"codes:{c.name}" for c in coders],
        PASSAGE_TYPES + ["str"] * (len(fields) + len(coders)),
        rows(),
        csv_blocks=csv_blocks,
    )


def _long_table(conn: Any, audience: Audience, fields: list[str]) -> Table:
    """One row per passage, coder and code: humans' and the consensus's current codes, and each
    engine's latest suggestions (its coding), with when, under which codebook and why."""
    exported = {c.id: c for c in audience.coders}
    names = {c.id: c for c in coded_data.export_coders(conn)}
    blind = audience.blind_for

    def rows() -> Iterator[list[Any]]:
        for batch in coded_data.transcript_batches(conn):
            passages = list(coded_data.passage_rows(conn, batch))
            ids = [p.id for p in passages]
            order = {p.id: index for index, p in enumerate(passages)}
            by_id = {p.id: p for p in passages}
            found = [r for r in coded_data.human_coded_rows(conn, ids) if r.coder_id in exported]
            if audience.engines != "none":
                engine_rows = coded_data.engine_coded_rows(conn, ids)
                if audience.engines == "reviewed" and blind is not None:
                    seen = coded_data.reviewed_pairs(conn, ids)
                    engine_rows = [r for r in engine_rows if (r.passage_id, blind.id) in seen]
                found += engine_rows
            found.sort(key=lambda r: (order[r.passage_id], names[r.coder_id].name, r.code))
            metadata = metadata_for(conn, {p.transcript_id for p in passages})
            spans = coded_data.span_rows(conn, ids)
            for r in found:
                p = by_id[r.passage_id]
                coder = names[r.coder_id]
                meta = metadata.get(p.transcript_id, {})
                for span in spans.get((r.passage_id, r.coder_id, r.code), [(None, None, None)]):
                    yield [
                        passage_key(p.transcript_id, p.position),
                        p.transcript_id,
                        p.position,
                        p.speaker or "",
                        coder.name,
                        coder.kind,
                        r.code,
                        r.decided_at,
                        r.codebook_version,
                        r.engine,
                        r.model,
                        r.confidence,
                        r.rationale,
                        r.evidence,
                        r.model_snapshot,
                        *span,
                    ] + [meta.get(name, "") for name in fields]

    return Table("codings", LONG_COLUMNS + fields, LONG_TYPES + ["str"] * len(fields), rows())


def _memo_table(conn: Any, audience: Audience) -> Table:
    names = {c.id: c.name for c in coded_data.export_coders(conn)}
    only = audience.blind_for.id if audience.blind_for else None
    current = latest_memo_ids(conn)

    def rows() -> Iterator[list[Any]]:
        for memo in coded_data.memo_rows(conn, only):
            key = (
                passage_key(memo.transcript_id, memo.position)
                if memo.transcript_id is not None and memo.position is not None
                else ""
            )
            yield [
                key,
                memo.transcript_id or "",
                memo.position,
                names[memo.coder_id],
                memo.created_at,
                memo.updated_at,
                memo.text,
                "yes" if memo.id in current else "no",
                memo.span_start,
                memo.span_end,
                memo.span_text or "",
            ]

    return Table("memos", MEMO_COLUMNS, MEMO_TYPES, rows())


def _about_lines(
    project: Project, audience: Audience, layout: str, main: Table, memos: Table, files: list[str]
) -> list[tuple[str, str]]:
    what = (
        "one row per passage; codes:<coder> columns hold codes joined by ';', '-' for "
        "'reviewed, no code applies', empty for not reviewed"
        if layout == "passages"
        else "one row per passage, coder and code (humans' and the consensus's current codes, "
        "each engine's latest suggestions), or per selection where a code was coded on "
        "selections inside the passage (span_start, span_end: transcript offsets; span_text: "
        "the words); 'reviewed, no code applies' is not a row"
    )
    return [
        ("exported by", "workbench"),
        ("project", Path(project.location).name),
        ("exported at", utc_now().isoformat()),
        ("contents", audience.statement),
        ("table", f"{main.name}: {main.written} rows, {what}"),
        ("memos", f"{memos.name}: {memos.written} rows"),
        ("files", ", ".join(files)),
    ]


def export_data(
    project: Project, out: str | Path, long: bool = False, coder: str | None = None
) -> DataExportResult:
    """Write the passages table (or, ``long``, the coding table) and the memos to ``out``.

    ``coder`` makes it a blind export for that coder. Every output path is checked before
    anything is read, and each file is written whole or not at all.
    """
    fmt = table_format(out)
    if fmt is None:
        raise OutputError(f"{out}: unknown export format; use .csv, .xlsx, .parquet or .qdpx")
    check_output_path(out)
    companions = companion_paths(out)
    for path in companions.values():
        check_output_path(path)
    layout = "long" if long else "passages"
    with project.reading() as conn, output_set():  # the table and companions, or none
        audience = _audience(project, conn, coder)
        fields = metadata_fields(conn)
        builder = _long_table if long else _passages_table
        main = builder(conn, audience, fields)
        memos = _memo_table(conn, audience)
        files = [Path(out).name] + [p.name for p in companions.values()]
        if fmt == "xlsx":
            if not long and coded_data.passage_count(conn) >= XLSX_MAX_ROWS:
                raise OutputError(
                    f"{out}: the passages table has more rows than an XLSX sheet holds "
                    f"({XLSX_MAX_ROWS - 1:,}); export to .csv or .parquet instead"
                )
            readme = Table("README", ["item", "value"], ["str", "str"], [])
            readme.rows = _lazy_about(project, audience, layout, main, memos, files)
            write_xlsx(out, [main, memos], readme)
        elif fmt == "csv":
            write_csv(out, main)
            write_csv(companions["memos"], memos)
        else:
            write_parquet(out, main, audience.statement)
            write_parquet(companions["memos"], memos, audience.statement)
        if "about" in companions:
            lines = _about_lines(project, audience, layout, main, memos, files)
            write_text(companions["about"], "".join(f"{k}: {v}\n" for k, v in lines))
    return DataExportResult(
        str(out), fmt, layout, main.written, memos.written, files, audience.statement
    )


def passages_csv_only(project: Project, out: str | Path) -> int:
    """The full passages table as one CSV file, nothing beside it; returns its rows."""
    check_output_path(out)
    with project.reading() as conn:
        audience = _audience(project, conn, None)
        return write_csv(out, _passages_table(conn, audience, metadata_fields(conn)))


def _lazy_about(
    project: Project, audience: Audience, layout: str, main: Table, memos: Table, files: list[str]
) -> Iterator[tuple[str, str]]:
    """The README rows, built only when the writer reaches them: after the tables are counted."""
    yield from _about_lines(project, audience, layout, main, memos, files)
