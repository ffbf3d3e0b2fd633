"""Read transcript files into ``ParsedTranscript`` records, validating everything before storage.

Every importer reads the whole file and raises ``TranscriptError`` naming the file and row or
line on the first bad record, so the store can take a file all or nothing.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from workbench.core.decoding import decode_bytes
from workbench.core.errors import TranscriptError
from workbench.core.segmenter import Segmentation, segment
from workbench.core.speakers import (
    LabelMatch,
    detect_corpus_speakers,
    detect_speakers,
    find_label_lines,
)

TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown"}
TABLE_SUFFIXES = {".csv", ".tsv"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | TABLE_SUFFIXES | JSONL_SUFFIXES

ID_COLUMNS = ("transcript_id", "interview_id", "document_id", "doc_id", "participant_id", "id")
TEXT_COLUMNS = ("text", "transcript", "content", "body", "utterance")
SPEAKER_COLUMNS = ("speaker", "role", "speaker_label", "author")
ORDER_COLUMNS = ("turn", "position", "order", "turn_index", "seq")

csv.field_size_limit(2**31 - 1)


@dataclass(frozen=True)
class ParsedTranscript:
    """A transcript read from a file, ready to be segmented and stored."""

    external_id: str
    text: str
    source_name: str
    source_format: str
    speakers: tuple[str, ...] = ()
    metadata: dict[str, str] = field(default_factory=dict)
    location: str = ""  # "file" or "file:row N", for messages
    label_lines: tuple[LabelMatch, ...] | None = field(default=None, repr=False, compare=False)
    # Passages cut ahead of storage (in the parsing process) as (position, speaker, start, end),
    # without their text, which the offsets give back; None to cut them when stored.
    passages: tuple[tuple[int, str | None, int, int], ...] | None = field(
        default=None, repr=False, compare=False
    )

    def segmented(self, mode: Segmentation) -> ParsedTranscript:
        """A copy with its passages cut by ``mode`` (cheap to send between processes)."""
        spans = segment(self.text, self.speakers, mode, self.label_lines)
        return replace(self, passages=tuple(span[:4] for span in spans), label_lines=None)


def read_transcripts(path: str | Path) -> list[ParsedTranscript]:
    """Every transcript in one file; raises TranscriptError naming the file and row or line."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise TranscriptError(
            f"{path}: unsupported file type '{suffix or '(none)'}'; "
            f"expected one of {', '.join(sorted(SUPPORTED_SUFFIXES))}"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TranscriptError(f"{path}: cannot read: {exc.strerror}") from exc
    text, _encoding = decode_bytes(data, str(path))
    if suffix in TEXT_SUFFIXES:
        return [_read_text_transcript(path, text)]
    if suffix in TABLE_SUFFIXES:
        rows = _csv_rows(path, text, delimiter="\t" if suffix == ".tsv" else ",")
        return _records_from_rows(path, rows, "csv")
    return _records_from_rows(path, _jsonl_rows(path, text), "jsonl")


def _read_text_transcript(path: Path, text: str) -> ParsedTranscript:
    if not text.strip():
        raise TranscriptError(f"{path}: the file is empty")
    label_lines = find_label_lines(text)
    speakers = detect_speakers(text, matches=label_lines)
    return ParsedTranscript(
        external_id=path.stem,
        text=text,
        source_name=path.name,
        source_format="markdown" if path.suffix.lower() in {".md", ".markdown"} else "text",
        speakers=tuple(sorted(speakers)),
        location=str(path),
        label_lines=label_lines,
    )


@dataclass(frozen=True)
class _Row:
    where: str  # "row 3 (line 4)" or "line 7"
    values: dict[str, str]


def _csv_rows(path: Path, text: str, delimiter: str) -> Iterator[_Row]:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise TranscriptError(f"{path}: the file is empty")
        names = [name.strip().lower() for name in header]
        if len(set(names)) != len(names):
            raise TranscriptError(f"{path}: line 1: the header repeats a column name: {header}")
        row_number = 0
        for cells in reader:
            row_number += 1
            if not any(cell.strip() for cell in cells):
                continue
            where = f"row {row_number} (line {reader.line_num})"
            if len(cells) != len(names):
                raise TranscriptError(
                    f"{path}: {where}: has {len(cells)} cells but the header has {len(names)}"
                )
            yield _Row(where, dict(zip(names, cells)))
    except csv.Error as exc:
        raise TranscriptError(f"{path}: line {reader.line_num}: not valid CSV: {exc}") from exc


def _jsonl_rows(path: Path, text: str) -> Iterator[_Row]:
    for line_number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TranscriptError(f"{path}: line {line_number}: not valid JSON: {exc.msg}") from exc
        if not isinstance(value, dict):
            raise TranscriptError(f"{path}: line {line_number}: expected a JSON object")
        values = {
            str(key).strip().lower(): "" if item is None else str(item)
            for key, item in value.items()
        }
        yield _Row(f"line {line_number}", values)


def _pick(columns: Iterable[str], candidates: tuple[str, ...]) -> str | None:
    present = set(columns)
    return next((name for name in candidates if name in present), None)


@dataclass(frozen=True)
class RawTranscript:
    """A validated transcript row, before its speakers are found (that part can run elsewhere)."""

    external_id: str
    text: str
    metadata: dict[str, str]
    location: str


def _table_layout(path: Path, rows: list[_Row]) -> tuple[str, str | None, str]:
    if not rows:
        raise TranscriptError(f"{path}: no transcripts in the file")
    columns = list(rows[0].values)
    id_column = _pick(columns, ID_COLUMNS)
    speaker_column = _pick(columns, SPEAKER_COLUMNS)
    text_column = _pick([c for c in columns if c != id_column], TEXT_COLUMNS)
    if id_column is None or text_column is None:
        raise TranscriptError(
            f"{path}: needs a transcript id column ({', '.join(ID_COLUMNS)}) and a text column "
            f"({', '.join(TEXT_COLUMNS)}); found columns: {', '.join(columns)}"
        )
    return id_column, speaker_column, text_column


def _records_from_rows(path: Path, rows: Iterator[_Row], fmt: str) -> list[ParsedTranscript]:
    materialised = list(rows)
    id_column, speaker_column, text_column = _table_layout(path, materialised)
    if speaker_column is not None:
        return _turn_per_row(path, materialised, fmt, id_column, speaker_column, text_column)
    raws = _transcript_rows(path, materialised, id_column, text_column)
    return analyse_transcripts(raws, path.name, fmt)


def read_table_for_import(
    path: str | Path,
) -> tuple[str, list[RawTranscript] | list[ParsedTranscript]]:
    """A table file read and validated in full: ``("rows", raws)`` for one transcript per row
    (speakers still to find, in chunks, perhaps in another process) or ``("records", records)``
    for one turn per row. Raises TranscriptError naming the file and row, like read_transcripts.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TranscriptError(f"{path}: cannot read: {exc.strerror}") from exc
    text, _encoding = decode_bytes(data, str(path))
    if suffix in TABLE_SUFFIXES:
        rows, fmt = list(_csv_rows(path, text, "\t" if suffix == ".tsv" else ",")), "csv"
    else:
        rows, fmt = list(_jsonl_rows(path, text)), "jsonl"
    id_column, speaker_column, text_column = _table_layout(path, rows)
    if speaker_column is not None:
        return "records", _turn_per_row(path, rows, fmt, id_column, speaker_column, text_column)
    return fmt, _transcript_rows(path, rows, id_column, text_column)


def _transcript_rows(
    path: Path, rows: list[_Row], id_column: str, text_column: str
) -> list[RawTranscript]:
    seen: dict[str, str] = {}
    raws = []
    for row in rows:
        external_id = row.values.get(id_column, "").strip()
        if not external_id:
            raise TranscriptError(f"{path}: {row.where}: empty '{id_column}'")
        if external_id in seen:
            raise TranscriptError(
                f"{path}: {row.where}: transcript id '{external_id}' already used in {seen[external_id]}"
            )
        seen[external_id] = row.where
        text = row.values.get(text_column, "")
        if not text.strip():
            raise TranscriptError(f"{path}: {row.where}: transcript '{external_id}' has no text")
        metadata = {
            key: value.strip()
            for key, value in row.values.items()
            if key not in (id_column, text_column) and value.strip()
        }
        raws.append(
            RawTranscript(external_id, text.replace("\r\n", "\n"), metadata, f"{path}: {row.where}")
        )
    return raws


def analyse_transcripts(
    raws: list[RawTranscript], source_name: str, fmt: str, mode: Segmentation | None = None
) -> list[ParsedTranscript]:
    """Find the speakers of transcripts from one file (labels most of them share count for all),
    and with ``mode``, cut their passages too."""
    label_lines = [find_label_lines(raw.text) for raw in raws]
    own = [detect_speakers(raw.text, matches=lines) for raw, lines in zip(raws, label_lines)]
    corpus = detect_corpus_speakers(own)
    records = []
    for raw, lines, found in zip(raws, label_lines, own):
        speakers = found | {match.label for match in lines if match.label in corpus}
        record = ParsedTranscript(
            external_id=raw.external_id,
            text=raw.text,
            source_name=source_name,
            source_format=fmt,
            speakers=tuple(sorted(speakers)),
            metadata=raw.metadata,
            location=raw.location,
            label_lines=lines,
        )
        records.append(record.segmented(mode) if mode is not None else record)
    return records


def _turn_per_row(
    path: Path, rows: list[_Row], fmt: str, id_column: str, speaker_column: str, text_column: str
) -> list[ParsedTranscript]:
    order_column = _pick(rows[0].values, ORDER_COLUMNS)
    grouped: dict[str, list[tuple[float, int, _Row]]] = {}
    for index, row in enumerate(rows):
        external_id = row.values.get(id_column, "").strip()
        if not external_id:
            raise TranscriptError(f"{path}: {row.where}: empty '{id_column}'")
        if not row.values.get(speaker_column, "").strip():
            raise TranscriptError(f"{path}: {row.where}: empty '{speaker_column}'")
        order = float(index)
        if order_column is not None:
            raw = row.values.get(order_column, "").strip()
            try:
                order = float(raw)
            except ValueError:
                raise TranscriptError(
                    f"{path}: {row.where}: '{order_column}' must be a number, not '{raw}'"
                ) from None
        grouped.setdefault(external_id, []).append((order, index, row))
    skip = {id_column, speaker_column, text_column, order_column}
    records = []
    for external_id, turns in grouped.items():
        turns.sort(key=lambda item: (item[0], item[1]))
        parts = []
        speakers: set[str] = set()
        metadata: dict[str, str] = {}
        for _order, _index, row in turns:
            speaker = " ".join(row.values[speaker_column].split())
            body = row.values.get(text_column, "").replace("\r\n", "\n").strip()
            if not body:
                continue
            speakers.add(speaker)
            parts.append(f"{speaker}: {body}")
            for key, value in row.values.items():
                if key not in skip and value.strip():
                    metadata.setdefault(key, value.strip())
        if not parts:
            raise TranscriptError(f"{path}: transcript '{external_id}' has no text in any turn")
        records.append(
            ParsedTranscript(
                external_id=external_id,
                text="\n\n".join(parts) + "\n",
                source_name=path.name,
                source_format=f"{fmt}-turns",
                speakers=tuple(sorted(speakers)),
                metadata=metadata,
                location=f"{path}: {turns[0][2].where}",
            )
        )
    return records


def read_metadata(path: str | Path) -> dict[str, dict[str, str]]:
    """A metadata CSV keyed by transcript id: ``{transcript_id: {field: value}}``."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TranscriptError(f"{path}: cannot read: {exc.strerror}") from exc
    text, _ = decode_bytes(data, str(path))
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    rows = list(_csv_rows(path, text, delimiter))
    if not rows:
        raise TranscriptError(f"{path}: no rows")
    columns = list(rows[0].values)
    id_column = _pick(columns, ID_COLUMNS) or columns[0]
    result: dict[str, dict[str, str]] = {}
    for row in rows:
        external_id = row.values[id_column].strip()
        if not external_id:
            raise TranscriptError(f"{path}: {row.where}: empty '{id_column}'")
        if external_id in result:
            raise TranscriptError(f"{path}: {row.where}: transcript '{external_id}' appears twice")
        result[external_id] = {
            key: value.strip()
            for key, value in row.values.items()
            if key != id_column and value.strip()
        }
    return result
