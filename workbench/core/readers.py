"""Read transcript files into ``ParsedTranscript`` records, validating everything before storage.

Every importer reads the whole file and raises ``TranscriptError`` naming the file and row or
line on the first bad record, so the store can take a file all or nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from itertools import chain
from pathlib import Path

from workbench.core.call_transcripts import call_turns
from workbench.core.captions import read_captions
from workbench.core.decoding import decode_bytes, decode_bytes_noted, normalize_text
from workbench.core.documents import read_docx, read_odt, read_pdf, read_rtf
from workbench.core.errors import TranscriptError
from workbench.core.fastcsv import CSVSyntaxError, read_rows
from workbench.core.line_numbers import strip_continuation_numbers
from workbench.core.segmenter import Cut, Segmentation, cut, empty_turns
from workbench.core.speakers import (
    LabelMatch,
    detect_corpus_speakers,
    detect_speakers,
    find_label_lines,
    find_separated_turns,
)
from workbench.core.turns import Turn, clean_name, compose

TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown"}
TABLE_SUFFIXES = {".csv", ".tsv"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
CAPTION_SUFFIXES = {".vtt", ".srt"}
DOCUMENT_SUFFIXES = {".docx", ".odt", ".rtf", ".pdf"}
SUPPORTED_SUFFIXES = (
    TEXT_SUFFIXES | TABLE_SUFFIXES | JSONL_SUFFIXES | CAPTION_SUFFIXES | DOCUMENT_SUFFIXES
)
TABLE_LIKE_SUFFIXES = TABLE_SUFFIXES | JSONL_SUFFIXES  # a transcript or a turn per row

ID_COLUMNS = (
    "transcript_id",
    "interview_id",
    "document_id",
    "doc_id",
    "participant_id",
    "conversation_id",  # chat and AI-interviewer exports
    "session_id",
    "id",
)
TEXT_COLUMNS = ("text", "transcript", "content", "body", "utterance")
SPEAKER_COLUMNS = ("speaker", "role", "speaker_label", "author")
ORDER_COLUMNS = ("turn", "position", "order", "turn_index", "seq")


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
    # Passages cut ahead of storage (in the parsing process), without their text, which the
    # offsets give back; None to cut them when stored.
    passages: Cut | None = field(default=None, repr=False, compare=False)
    digest: str | None = field(default=None, repr=False, compare=False)  # content_hash(text)
    # What the import report should say about the file (an encoding that is only a guess);
    # carried by the file's first record, since records are what cross to the writer.
    warning: str | None = field(default=None, compare=False)
    # What the reader left out of the text (empty cues, pictures, pages without text), for the
    # import report: the file's own summary, not an error.
    skipped: tuple[str, ...] = field(default=(), compare=False)

    def prepared(self, mode: Segmentation) -> ParsedTranscript:
        """A copy ready to store: passages cut by ``mode``, content hashed, label lines dropped.

        This is the part of storing that needs no database, so a parsing process can do it.
        """
        passages = cut(self.text, self.speakers, mode, self.label_lines)
        return replace(self, passages=passages, digest=content_hash(self.text), label_lines=None)


def content_hash(text: str) -> str:
    """What identifies a transcript's text: the same text under two ids is a duplicate."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


ROWS_PER_CHUNK = 1000  # transcripts of a table file analysed (and sent, and stored) together


def read_transcripts(path: str | Path) -> list[ParsedTranscript]:
    """Every transcript in one file; raises TranscriptError naming the file and row or line."""
    return [record for chunk in read_transcript_chunks(path) for record in chunk]


def read_transcript_chunks(
    path: str | Path, mode: Segmentation | None = None, rows_per_chunk: int = ROWS_PER_CHUNK
) -> Iterator[list[ParsedTranscript]]:
    """The transcripts of one file, a chunk at a time (see ``_read_chunks``), the file's
    warning, if any, on its first record."""
    warning: list[str] = []
    chunks = _read_chunks(Path(path), mode, rows_per_chunk, warning)
    for chunk in chunks:
        if warning and chunk:
            chunk = [replace(chunk[0], warning=warning.pop())] + chunk[1:]
        yield chunk


def _read_chunks(
    path: Path, mode: Segmentation | None, rows_per_chunk: int, warning: list[str]
) -> Iterator[list[ParsedTranscript]]:
    """The transcripts of one file, a chunk at a time as the file is read; with ``mode``, each
    one prepared for storage.

    A large CSV is not read whole before its first transcripts can be stored. The catch: a bad
    row raises TranscriptError after the chunks before it were yielded, so a caller that takes
    the file all or nothing holds them apart until the file ends (the store uses a savepoint).
    """
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
    if suffix in DOCUMENT_SUFFIXES:
        record = _read_document(path, data, warning)
        yield [record.prepared(mode) if mode is not None else record]
        return
    text, _encoding, note = decode_bytes_noted(data, str(path))
    del data
    if note is not None:
        warning.append(note)
    if suffix in CAPTION_SUFFIXES:
        turns, skipped = read_captions(path, text, suffix.removeprefix("."))
        record = _structured(path, suffix.removeprefix("."), turns, skipped)
        yield [record.prepared(mode) if mode is not None else record]
        return
    if suffix in TEXT_SUFFIXES:
        record = _read_text_transcript(path, text)
        yield [record.prepared(mode) if mode is not None else record]
        return
    if suffix in TABLE_SUFFIXES:
        fmt, rows = "csv", _csv_rows(path, text, table_delimiter(suffix, text))
    else:
        fmt, rows = "jsonl", _jsonl_rows(path, text)
    first = next(rows, None)
    if first is None:
        raise TranscriptError(f"{path}: no transcripts in the file")
    id_column, speaker_column, text_column = _table_layout(path, first)
    rows = chain([first], rows)
    if speaker_column is not None:
        records = _turn_per_row(path, list(rows), fmt, id_column, speaker_column, text_column)
        yield [record.prepared(mode) for record in records] if mode is not None else records
        return
    raws = _transcript_rows(path, rows, id_column, text_column)
    for chunk in _chunked(raws, rows_per_chunk):
        yield analyse_transcripts(chunk, path.name, fmt, mode)


def _chunked(items: Iterable[RawTranscript], size: int) -> Iterator[list[RawTranscript]]:
    """Lists of ``size`` items, the first a quarter of that so that storing starts sooner.

    A tail under a tenth of ``size`` joins the list before it, so that every chunk has enough
    transcripts for the shared-speaker rule; a list is held back only until enough of the next
    one has arrived to know it is not that tail.
    """
    minimum = max(1, size // 10)
    target = max(minimum, size // 4)
    held: list[RawTranscript] | None = None
    current: list[RawTranscript] = []
    for item in items:
        current.append(item)
        if held is not None and len(current) == minimum:
            yield held
            held = None
        if len(current) == target:
            held, current, target = current, [], size
    if held is not None:
        yield held + current
    elif current:
        yield current


_DOCUMENT_READERS = {".docx": read_docx, ".odt": read_odt, ".rtf": read_rtf, ".pdf": read_pdf}


def _read_document(path: Path, data: bytes, warning: list[str]) -> ParsedTranscript:
    """A word-processor or PDF file, read by its library into turns and paragraphs; what the
    PDF library warned about goes to ``warning``, the file's note in the import report."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        notes: list[str] = []
        blocks, skipped = read_pdf(path, data, notes)
        warning.extend(notes[:1])  # one note per file: read_pdf already joins them
    else:
        blocks, skipped = _DOCUMENT_READERS[suffix](path, data)
    blocks = [replace(block, text=normalize_text(block.text)) for block in blocks]
    if not any(block.speaker for block in blocks):
        # a call or Teams transcript saved as a document: its turns are under header lines
        call = call_turns("\n\n".join(block.text.strip() for block in blocks))
        if call is not None:
            blocks, skipped = call[0], skipped + call[1]
    return _structured(path, suffix.removeprefix("."), blocks, skipped)


def _structured(path: Path, fmt: str, turns: list[Turn], skipped: list[str]) -> ParsedTranscript:
    """A transcript composed from turns a reader found, its label lines built, not guessed."""
    if not any(turn.text.strip() for turn in turns):
        raise TranscriptError(f"{path}: no text in the file")
    composed = compose(turn for turn in turns if turn.text.strip())
    return ParsedTranscript(
        external_id=path.stem,
        text=composed.text,
        source_name=path.name,
        source_format=fmt,
        speakers=composed.speakers,
        location=str(path),
        label_lines=composed.label_lines,
        skipped=tuple(skipped),
    )


def _read_text_transcript(path: Path, text: str) -> ParsedTranscript:
    if not text.strip():
        raise TranscriptError(f"{path}: the file is empty")
    call = call_turns(text)
    if call is not None:
        return _structured(path, "call-transcript", *call)
    markdown = path.suffix.lower() in {".md", ".markdown"}
    metadata: dict[str, str] = {}
    above = 0  # lines of the file above ``text`` (a Markdown title), for line numbers
    if markdown:
        whole = text
        text, title = markdown_title(text)
        above = whole.count("\n", 0, len(whole) - len(text))
        if title:
            metadata["title"] = title
        if not text.strip():
            raise TranscriptError(f"{path}: no text after the heading '{title}'")
    label_lines = find_label_lines(text)
    speakers = detect_speakers(text, matches=label_lines)
    if not speakers:
        speakers, label_lines = find_separated_turns(text)
    elif (unnumbered := strip_continuation_numbers(text, speakers, label_lines)) is not None:
        text, label_lines = unnumbered, find_label_lines(unnumbered)
    return ParsedTranscript(
        external_id=path.stem,
        text=text,
        source_name=path.name,
        source_format="markdown" if markdown else "text",
        speakers=tuple(sorted(speakers)),
        metadata=metadata,
        location=str(path),
        label_lines=label_lines,
        skipped=_empty_turns_note(text, speakers, label_lines, above),
    )


def _empty_turns_note(
    text: str, speakers: Iterable[str], label_lines: tuple[LabelMatch, ...], above: int
) -> tuple[str, ...]:
    """The import report's line for labels with nothing after them, each with its line, so
    that a turn lost in transcription is looked for rather than dropped unsaid."""
    empty = empty_turns(text, speakers, label_lines)
    if not empty:
        return ()
    shown = ", ".join(
        f"line {above + text.count(chr(10), 0, start) + 1} '{speaker}'"
        for speaker, start in empty[:5]
    )
    more = f" and {len(empty) - 5} more" if len(empty) > 5 else ""
    many = "s" if len(empty) != 1 else ""
    return (f"{len(empty)} empty turn{many} (a label with nothing after it): {shown}{more}",)


_MARKDOWN_TITLE = re.compile(r"\A\s*#{1,6}[ \t]+(?P<title>[^\n]*?)[ \t#]*(?:\n|\Z)")


def markdown_title(text: str) -> tuple[str, str]:
    """``(text without it, title)`` for a Markdown file that opens with a ``# Title`` heading.

    The heading names the interview; nobody says it, so as text it would be a passage with no
    speaker, first in every transcript and shifting every position by one. It becomes the
    transcript's ``title`` metadata instead. A heading later in the file is left as text.
    """
    found = _MARKDOWN_TITLE.match(text)
    if found is None or not found["title"].strip():
        return text, ""
    return text[found.end() :].lstrip("\n"), found["title"].strip()


@dataclass(frozen=True)
class _Row:
    where: str  # "row 3 (line 4)" or "line 7"
    values: dict[str, str]


def table_delimiter(suffix: str, text: str) -> str:
    """The cell separator of a table file, read from its header line.

    Excel writes ";" in its "CSV" wherever the decimal separator is a comma (most of Europe
    and Latin America), and some exports write tabs; read with ",", such a file had one column
    and was refused for lacking an id column. A header without a comma that has ";" or a tab
    is split on it; a header is names, so a comma in it is the separator.
    """
    if suffix == ".tsv":
        return "\t"
    header = text[: text.find("\n")] if "\n" in text else text
    if "," not in header:
        for candidate in (";", "\t"):
            if candidate in header:
                return candidate
    return ","


def _csv_rows(path: Path, text: str, delimiter: str) -> Iterator[_Row]:
    rows = read_rows(text, delimiter)
    try:
        header = next(rows, None)
        if header is None:
            raise TranscriptError(f"{path}: the file is empty")
        names = [name.strip().lower() for name in header[0]]
        if len(set(names)) != len(names):
            raise TranscriptError(f"{path}: line 1: the header repeats a column name: {header[0]}")
        row_number = 0
        for cells, line in rows:
            row_number += 1
            if not any(cell.strip() for cell in cells):
                continue
            where = f"row {row_number} (line {line})"
            if len(cells) != len(names):
                raise TranscriptError(
                    f"{path}: {where}: has {len(cells)} cells but the header has {len(names)}"
                )
            yield _Row(where, dict(zip(names, cells)))
    except CSVSyntaxError as exc:
        raise TranscriptError(f"{path}: line {exc.line}: not valid CSV: {exc.message}") from exc


# JSON's decoder recurses once per level of nesting: a line of ten thousand '[' would exhaust
# the stack (and take the other files of the import down with it). A row is one flat object,
# so anything much deeper is refused before it is decoded.
MAX_JSON_DEPTH = 100
_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _json_depth(line: str) -> int:
    """The deepest nesting of ``line``, brackets inside strings not counted; linear."""
    depth = deepest = 0
    for match in _JSON_TOKENS.finditer(line):
        token = match.group()
        if token in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif token in "]}":
            depth -= 1
    return deepest


def _json_cell(path: Path, line_number: int, key: str, item: object) -> str:
    """A row value as the text a CSV cell would hold: numbers and booleans as JSON writes them.

    ``str()`` would store Python's spelling (``True``, ``{'a': 1}``), which no one typed; an
    object or a list has no cell to go in, so it is refused rather than flattened.
    """
    if item is None:
        return ""
    if isinstance(item, str):
        return item
    if isinstance(item, (bool, int, float)):
        return json.dumps(item)
    kind = "an object" if isinstance(item, dict) else "a list"
    raise TranscriptError(
        f"{path}: line {line_number}: field '{key}' is {kind}; expected text, a number, "
        "true/false or null"
    )


def _jsonl_rows(path: Path, text: str) -> Iterator[_Row]:
    for line_number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        if line.count("[") + line.count("{") > MAX_JSON_DEPTH and (
            _json_depth(line) > MAX_JSON_DEPTH
        ):
            raise TranscriptError(
                f"{path}: line {line_number}: JSON nested more than {MAX_JSON_DEPTH} levels deep"
            )
        try:
            value = json.loads(line)
        except ValueError as exc:  # a JSONDecodeError, or a number of over 4300 digits
            detail = exc.msg if isinstance(exc, json.JSONDecodeError) else "a number too long"
            raise TranscriptError(f"{path}: line {line_number}: not valid JSON: {detail}") from exc
        if not isinstance(value, dict):
            raise TranscriptError(f"{path}: line {line_number}: expected a JSON object")
        values = {
            str(key).strip().lower(): _json_cell(path, line_number, str(key), item)
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


def _table_layout(path: Path, first: _Row) -> tuple[str, str | None, str]:
    columns = list(first.values)
    id_column = _pick(columns, ID_COLUMNS)
    speaker_column = _pick(columns, SPEAKER_COLUMNS)
    text_column = _pick([c for c in columns if c != id_column], TEXT_COLUMNS)
    if id_column is None or text_column is None:
        raise TranscriptError(
            f"{path}: needs a transcript id column ({', '.join(ID_COLUMNS)}) and a text column "
            f"({', '.join(TEXT_COLUMNS)}); found columns: {', '.join(columns)}"
        )
    return id_column, speaker_column, text_column


def _transcript_rows(
    path: Path, rows: Iterable[_Row], id_column: str, text_column: str
) -> Iterator[RawTranscript]:
    seen: dict[str, str] = {}
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
        yield RawTranscript(external_id, normalize_text(text), metadata, f"{path}: {row.where}")


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
        records.append(record.prepared(mode) if mode is not None else record)
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
        parts: list[Turn] = []
        metadata: dict[str, str] = {}
        for _order, _index, row in turns:
            # The column names the speaker outright: its label lines are built, not re-read by
            # the Name: rule, which merged "Lee, Sam" or "Dr. Kim: PI" into the turn above.
            # A colon typed after the name ("Interviewer:") is the label's own, not the name's.
            speaker = clean_name(row.values[speaker_column]).rstrip(":：").rstrip()
            body = normalize_text(row.values.get(text_column, "")).strip()
            if not body:
                continue
            parts.append(Turn(body, speaker or row.values[speaker_column].strip()))
            for key, value in row.values.items():
                if key not in skip and value.strip():
                    metadata.setdefault(key, value.strip())
        if not parts:
            raise TranscriptError(f"{path}: transcript '{external_id}' has no text in any turn")
        composed = compose(parts)
        records.append(
            ParsedTranscript(
                external_id=external_id,
                text=composed.text,
                source_name=path.name,
                source_format=f"{fmt}-turns",
                speakers=composed.speakers,
                metadata=metadata,
                location=f"{path}: {turns[0][2].where}",
                label_lines=composed.label_lines,
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
    rows = list(_csv_rows(path, text, table_delimiter(path.suffix.lower(), text)))
    if not rows:
        raise TranscriptError(f"{path}: no rows")
    columns = list(rows[0].values)
    id_column = _pick(columns, ID_COLUMNS)
    if id_column is None:  # keying by the first column would file values under the wrong ids
        raise TranscriptError(
            f"{path}: line 1: no transcript id column; name one of {', '.join(ID_COLUMNS)} "
            f"(found columns: {', '.join(columns)})"
        )
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
