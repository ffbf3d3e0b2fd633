"""Coded data in and out as CSV: the spreadsheet round trip many teams code in.

Export writes one row per passage with each coder's codes; import reads decisions back as
``passage_id,coder,code`` rows. An import is checked completely before anything is written, and
then written in one transaction, so a bad file changes nothing.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, select

from workbench.core.decoding import decode_bytes
from workbench.core.errors import DecisionError, TranscriptError
from workbench.core.safe_output import (
    atomic_output,
    check_output_path,
    neutralise_row,
    restore_cell,
)
from workbench.core.store import schema
from workbench.core.store.audit import append_audit
from workbench.core.store.backups import take_backup
from workbench.core.store.coding import (
    CoderKind,
    DecisionAction,
    PlannedDecision,
    check_coder_name,
    ensure_coder,
    record_decisions_bulk,
)
from workbench.core.store.project import Project
from workbench.core.store.queries import (
    metadata_fields,
    metadata_for,
    passage_ids_for_keys,
    passages_of,
)
from workbench.core.store.speaker_roles import uncoded_passages
from workbench.core.store.suggestions import StoredSuggestion, suggestions_for

BASE_COLUMNS = ["passage_id", "transcript_id", "speaker", "position", "coded", "text"]
NO_CODE_MARK = "-"  # reviewed, no code applies; never a valid code id
CODE_SEPARATOR = ";"


def export_passages_csv(project: Project, out: str | Path) -> int:
    """Write every passage with metadata and each coder's codes; returns the number of rows.

    Coder columns are ``codes:<coder>``: codes joined by ``;``, ``-`` for "reviewed, no code",
    empty for "not reviewed". Then one ``suggestions:<engine>`` column per engine that
    suggested under the current codebook: one line per suggestion, with its raw score, its
    evidence quote and its rationale, so that an analyst can see why a code was proposed. Written transcript by transcript, so memory stays flat, into a
    temporary file renamed at the end; cells that a spreadsheet would run as formulas are
    neutralised.
    """
    check_output_path(out)
    with project.reading() as conn:
        fields = metadata_fields(conn)
        coder_rows = conn.execute(
            select(schema.coders.c.id, schema.coders.c.name).order_by(schema.coders.c.name)
        ).all()
        codebook = project.codebook
        version = codebook.version if codebook else None
        engines = sorted(
            conn.execute(
                select(schema.suggestions.c.engine)
                .where(schema.suggestions.c.codebook_version == version)
                .distinct()
            ).scalars()
        )
        transcript_ids = list(
            conn.execute(
                select(schema.transcripts.c.id).order_by(schema.transcripts.c.id)
            ).scalars()
        )
        count = 0
        with atomic_output(out, newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(
                neutralise_row(
                    BASE_COLUMNS
                    + fields
                    + [f"codes:{name}" for _, name in coder_rows]
                    + [f"suggestions:{engine}" for engine in engines]
                )
            )
            for start in range(0, len(transcript_ids), 200):
                batch = transcript_ids[start : start + 200]
                passages = list(passages_of(conn, batch))
                codes, reviewed = _coder_state(conn, [p.id for p in passages])
                metadata = metadata_for(conn, {p.transcript_id for p in passages})
                suggested = (
                    suggestions_for(conn, [p.id for p in passages if p.coded], version)
                    if engines
                    else {}
                )
                for passage in passages:
                    meta = metadata.get(passage.transcript_id, {})
                    row = [
                        passage.key,
                        passage.transcript_id,
                        passage.speaker or "",
                        passage.position,
                        "true" if passage.coded else "false",
                        passage.text,
                    ]
                    row += [meta.get(name, "") for name in fields]
                    for coder_id, _name in coder_rows:
                        applied = codes.get((passage.id, coder_id))
                        if applied:
                            row.append(CODE_SEPARATOR.join(sorted(applied)))
                        elif (passage.id, coder_id) in reviewed:
                            row.append(NO_CODE_MARK)
                        else:
                            row.append("")
                    for engine in engines:
                        row.append(
                            "\n".join(
                                _suggestion_cell(item)
                                for item in suggested.get(passage.id, [])
                                if item.engine == engine
                            )
                        )
                    writer.writerow(neutralise_row(row))
                    count += 1
    return count


def _suggestion_cell(item: StoredSuggestion) -> str:
    """One suggestion as a line a person reads in a spreadsheet cell."""
    line = f"{item.code_id} ({item.confidence:.2f})"
    if item.evidence:
        quote = item.evidence.replace("\n", " ")
        line += f' "{quote}"' + ("" if item.evidence_found else " [not in the passage]")
    if item.rationale:
        line += f" - {item.rationale}"
    return line


def _coder_state(
    conn, passage_ids: list[int]
) -> tuple[dict[tuple[int, int], set[str]], set[tuple[int, int]]]:  # type: ignore[no-untyped-def]
    codes: dict[tuple[int, int], set[str]] = defaultdict(set)
    reviewed: set[tuple[int, int]] = set()
    for start in range(0, len(passage_ids), 500):
        batch = passage_ids[start : start + 500]
        for passage_id, coder_id, code_id in conn.execute(
            select(
                schema.codings.c.passage_id, schema.codings.c.coder_id, schema.codings.c.code_id
            ).where(schema.codings.c.passage_id.in_(batch))
        ):
            codes[(passage_id, coder_id)].add(code_id)
        reviewed.update(
            tuple(row)
            for row in conn.execute(
                select(schema.reviews.c.passage_id, schema.reviews.c.coder_id).where(
                    schema.reviews.c.passage_id.in_(batch)
                )
            ).all()
        )
    return codes, reviewed


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
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TranscriptError(f"{path}: cannot read: {exc.strerror}") from exc
    text, _ = decode_bytes(data, str(path))
    reader = csv.reader(io.StringIO(text))
    header = [name.strip().lower() for name in next(reader, [])]
    missing = [name for name in ("passage_id", "coder", "code") if name not in header]
    if missing:
        raise DecisionError(
            f"{path}: line 1: missing column(s) {', '.join(missing)}; "
            "expected the header passage_id,coder,code"
        )
    index = {name: header.index(name) for name in ("passage_id", "coder", "code")}
    rows = []
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            where = f"{path}: line {reader.line_num}"
            if len(cells) < len(header):
                raise DecisionError(
                    f"{where}: has {len(cells)} cells but the header has {len(header)}"
                )
            rows.append(
                (
                    where,
                    restore_cell(cells[index["passage_id"]].strip()),
                    restore_cell(cells[index["coder"]].strip()),
                    restore_cell(cells[index["code"]].strip()),
                )
            )
    except csv.Error as exc:
        raise DecisionError(f"{path}: line {reader.line_num}: not valid CSV: {exc}") from exc
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
        current, reviewed = _coder_state(conn, list(ids.values()))
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
