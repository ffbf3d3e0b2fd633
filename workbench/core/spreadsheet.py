"""Coded data in and out as CSV: the spreadsheet round trip many teams code in.

Export writes one row per passage with each coder's codes; import reads decisions back as
``passage_id,coder,code`` rows. An import is checked completely before anything is written, and
then written in one transaction, so a bad file changes nothing.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from workbench.core.data_export import passages_csv_only
from workbench.core.decoding import decode_bytes
from workbench.core.errors import DecisionError, TranscriptError
from workbench.core.safe_output import (
    restore_cell,
)
from workbench.core.store import Connection
from workbench.core.store.audit import append_audit
from workbench.core.store.backups import take_backup
from workbench.core.store.coder_state import codes_by_passage_and_coder
from workbench.core.store.coding import (
    CoderKind,
    DecisionAction,
    PlannedDecision,
    check_coder_name,
    ensure_coder,
    record_decisions_bulk,
)
from workbench.core.store.interchange import reviewed_pairs
from workbench.core.store.project import Project
from workbench.core.store.queries import (
    passage_ids_for_keys,
    split_passage_key,
)
from workbench.core.store.speaker_roles import uncoded_passages

BASE_COLUMNS = ["passage_id", "transcript_id", "speaker", "position", "coded", "text"]
NO_CODE_MARK = "-"  # reviewed, no code applies; never a valid code id
CODE_SEPARATOR = ";"


def export_passages_csv(project: Project, out: str | Path) -> int:
    """Write every passage with metadata and each coder's codes; returns the number of rows.

    Coder columns are ``codes:<coder>``: codes joined by ``;``, ``-`` for "reviewed, no code",
    empty for "not reviewed". The table alone, streamed row by row into a temporary file
    renamed at the end; ``export_data`` adds the memos and the about file.
    """
    return passages_csv_only(project, out)


@dataclass
class DecisionImportResult:
    file: str
    rows: int
    coders: list[str]
    passages: int
    applied: int
    removed: int
    no_code: int
    unchanged: int
    backup: str | None = None  # the copy taken before the import (None: a server project)

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def _read_decision_rows(path: Path) -> list[tuple[str, str, str, str]]:
    """``(where, passage key, coder, code)`` per row; raises naming the file and line."""
    if path.suffix.lower() == ".xlsx":
        return _decision_rows(path, _xlsx_lines(path))
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TranscriptError(f"{path}: cannot read: {exc.strerror}") from exc
    text, _ = decode_bytes(data, str(path))
    reader = csv.reader(io.StringIO(text))

    def lines() -> Iterator[tuple[int, list[str]]]:
        try:
            for cells in reader:
                yield reader.line_num, cells
        except csv.Error as exc:
            raise DecisionError(f"{path}: line {reader.line_num}: not valid CSV: {exc}") from exc

    return _decision_rows(path, lines())


def _xlsx_lines(path: Path) -> Iterator[tuple[int, list[str]]]:
    """The first sheet's rows as text cells, numbered as the sheet numbers them.

    A number a spreadsheet stored for an id or code (``7`` typed in a cell) is read as the
    text it shows, so the rows are the ones the same sheet saved as CSV would give.
    """
    from zipfile import BadZipFile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except OSError as exc:
        raise TranscriptError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except (BadZipFile, InvalidFileException, KeyError, ValueError) as exc:
        raise DecisionError(f"{path}: not a readable XLSX workbook: {exc}") from exc
    try:
        sheet = book.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_cell_text(value) for value in values]
            while cells and cells[-1] == "":
                cells.pop()  # a sheet pads rows to its widest one; CSV would not
            yield number, cells
    finally:
        book.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _decision_rows(
    path: Path, lines: Iterator[tuple[int, list[str]]]
) -> list[tuple[str, str, str, str]]:
    first = next(lines, (1, []))[1]
    header = [name.strip().lower() for name in first]
    missing = [name for name in ("passage_id", "coder", "code") if name not in header]
    if missing:
        raise DecisionError(
            f"{path}: line 1: missing column(s) {', '.join(missing)}; "
            "expected the header passage_id,coder,code"
        )
    index = {name: header.index(name) for name in ("passage_id", "coder", "code")}
    needed = max(index.values()) + 1
    rows = []
    for line, cells in lines:
        if not any(cell.strip() for cell in cells):
            continue
        where = f"{path}: line {line}"
        if len(cells) < len(header) and path.suffix.lower() != ".xlsx":  # a sheet's are empty
            raise DecisionError(f"{where}: has {len(cells)} cells but the header has {len(header)}")
        cells = cells + [""] * (needed - len(cells))
        rows.append(
            (
                where,
                restore_cell(cells[index["passage_id"]].strip()),
                restore_cell(cells[index["coder"]].strip()),
                restore_cell(cells[index["code"]].strip()),
            )
        )
    return rows


def _refuse_uncoded_passages(
    conn: Connection, rows: list[tuple[str, str, str, str]], ids: dict[str, int], location: str
) -> None:
    """Interviewer turns are context: a decision there would count in no statistic, only mislead."""
    uncoded = uncoded_passages(conn, ids.values())
    for where, key, _coder, code in rows:
        if ids[key] not in uncoded:
            continue
        speaker = uncoded[ids[key]]
        what = f"code '{code}'" if code else "'no code applies' review"
        if speaker is None:
            raise DecisionError(
                f"{where}: passage '{key}' is text before the first speaker turn and is not "
                f"coded; remove the {what}"
            )
        raise DecisionError(
            f"{where}: passage '{key}' is an interviewer turn ('{speaker}') and is not coded; "
            f"remove the {what}, or make the label a participant first: "
            f'workbench speakers {location} --set "{speaker}=participant"'
        )


def import_decisions_csv(
    project: Project, path: str | Path, actor: str = "workbench"
) -> DecisionImportResult:
    """Set each listed coder's codes on each listed passage to exactly the codes in the file.

    An empty code means "reviewed, no code applies". Codes the coder had on a listed passage
    but that the file leaves out are removed (as logged, undoable decisions).
    """
    path = Path(path)
    rows = _read_decision_rows(path)
    codebook = project.codebook
    if codebook is None:
        raise DecisionError(
            f"{path}: the project has no codebook yet; add one before importing decisions"
        )
    wanted: dict[tuple[str, str], set[str]] = defaultdict(set)
    empty_rows: dict[tuple[str, str], str] = {}
    checked: set[str] = set()
    for where, key, coder, code in rows:
        if not key:
            raise DecisionError(f"{where}: empty passage_id")
        if not coder:
            raise DecisionError(f"{where}: empty coder")
        if coder not in checked:  # refused here, the message can name the line
            try:
                check_coder_name(coder, CoderKind.HUMAN)
            except DecisionError as exc:
                raise DecisionError(f"{where}: {exc}") from None
            checked.add(coder)
        if code and code not in codebook:
            raise DecisionError(
                f"{where}: unknown code '{code}' (not in codebook version {codebook.version})"
            )
        try:  # checked here, where the message can name the file and line
            split_passage_key(key)
        except DecisionError as exc:
            raise DecisionError(f"{where}: {exc}") from None
        if code:
            wanted[(key, coder)].add(code)
        else:
            empty_rows[(key, coder)] = where
            wanted.setdefault((key, coder), set())
    for pair, where in empty_rows.items():
        if wanted[pair]:
            raise DecisionError(
                f"{where}: passage '{pair[0]}' for coder '{pair[1]}' has both codes and an empty "
                'code ("no code applies")'
            )
    backup = take_backup(project, "import-decisions")  # checked rows only: the file is sound
    with project.transaction() as conn:
        ids = passage_ids_for_keys(conn, [key for key, _ in wanted])
        for where, key, _coder, _code in rows:
            if key not in ids:
                raise DecisionError(f"{where}: unknown passage id '{key}'")
        _refuse_uncoded_passages(conn, rows, ids, project.location)
        result = DecisionImportResult(
            str(path), len(rows), sorted({c for _, c in wanted}), len(ids), 0, 0, 0, 0
        )
        result.backup = str(backup) if backup else None
        coder_ids = {name: ensure_coder(conn, name, CoderKind.HUMAN) for name in result.coders}
        passage_ids = list(ids.values())
        current = codes_by_passage_and_coder(conn, passage_ids)
        reviewed = reviewed_pairs(conn, passage_ids)
        planned: list[PlannedDecision] = []
        for (key, coder), codes in wanted.items():
            passage_id, coder_id = ids[key], coder_ids[coder]
            have = current.get((passage_id, coder_id), set())
            if not codes:
                if have or (passage_id, coder_id) not in reviewed:
                    planned.append(PlannedDecision(passage_id, coder_id, DecisionAction.NO_CODE))
                    result.no_code += 1
                else:
                    result.unchanged += 1
                continue
            for code in sorted(codes - have):
                planned.append(PlannedDecision(passage_id, coder_id, DecisionAction.APPLY, code))
                result.applied += 1
            for code in sorted(have - codes):
                planned.append(PlannedDecision(passage_id, coder_id, DecisionAction.REMOVE, code))
                result.removed += 1
            if codes == have:
                result.unchanged += 1
        record_decisions_bulk(
            conn, planned, reviewed, codebook.version, f"imported from {path.name}"
        )
        append_audit(conn, actor, "import.decisions", result.to_dict())
    return result
