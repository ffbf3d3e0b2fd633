"""Agreement data: who coded which unit how, from a project or a ``unit,coder,value`` CSV.

Two shapes. ``CodedData`` is set-valued: each coder gives each unit a set of codes, and a unit a
coder never reviewed is missing (not "no code"). It is held as arrays (units × coders ×
codes of booleans, plus a reviewed mask) so per-code statistics over a million passages stay
vectorised. ``RatingData`` holds one category per unit and coder, over a declared ordered list.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from workbench.core.agreement.columns import Column, split_columns
from workbench.core.agreement.statistics import compress
from workbench.core.decoding import decode_bytes
from workbench.core.errors import WorkbenchError

if TYPE_CHECKING:
    from workbench.core.store import Project

# The store and SQLAlchemy are imported where a project is read, not here: agreement over a
# ratings CSV is a short command whose start-up time is most of its run time.

MISSING = -1


class AgreementDataError(WorkbenchError):
    """Ratings that cannot be analysed as asked; the message says which row or option."""


@dataclass
class CodedData:
    units: list[str]
    coders: list[str]
    codes: list[str]
    reviewed: np.ndarray  # bool, units × coders
    present: np.ndarray  # bool, units × coders × codes
    coder_kinds: dict[str, str]
    # From a project: each unit's passage row id, so one passage can be re-read after a decision
    passage_ids: list[int] | None = None
    include_engines: bool = True
    # engine coder -> the model, prompt and codebook version of its latest runs -> passages
    provenance: dict[str, dict[str, int]] = field(default_factory=dict)
    # From a project: the codebook version these codings were made under (None: as they are now)
    codebook_version: int | None = None
    _counts: dict = field(default_factory=dict, repr=False, compare=False)  # code index -> counts

    def code_counts(self, code_index: int) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
        """A code's values and its compressed (absent, present) count rows, computed once."""
        cache = self._counts
        if code_index not in cache:
            values = self.code_values(code_index)
            rated = np.zeros(len(values), dtype=np.int64)
            present = np.zeros(len(values), dtype=np.int64)
            for column in range(values.shape[1]):
                rated += values[:, column] >= 0
                present += values[:, column] == 1
            counts = np.stack([rated - present, present], axis=1)
            cache[code_index] = (values, compress(counts))
        return cache[code_index]

    def code_values(self, code_index: int) -> np.ndarray:
        """Units × coders of 1 (applied), 0 (reviewed, not applied), -1 (not reviewed)."""
        return np.where(
            self.reviewed, self.present[:, :, code_index].astype(np.int8), np.int8(MISSING)
        )

    def select(self, coders: list[str] | None = None, codes: list[str] | None = None) -> CodedData:
        coder_index = (
            [self._index(self.coders, name, "coder") for name in coders]
            if coders is not None
            else list(range(len(self.coders)))
        )
        code_index = (
            [self._index(self.codes, code, "code") for code in codes]
            if codes is not None
            else list(range(len(self.codes)))
        )
        return self._subset(self.reviewed[:, coder_index].any(axis=1), coder_index, code_index)

    def units_where(self, keep: np.ndarray) -> CodedData:
        """The same coders and codes on the units where ``keep`` is true (a stratum)."""
        return self._subset(
            np.asarray(keep, dtype=bool),
            list(range(len(self.coders))),
            list(range(len(self.codes))),
        )

    def _subset(self, keep: np.ndarray, coder_index: list[int], code_index: list[int]) -> CodedData:
        reviewed = self.reviewed[:, coder_index]
        keep = keep & reviewed.any(axis=1)
        names = [self.coders[i] for i in coder_index]
        return CodedData(
            units=[unit for unit, k in zip(self.units, keep, strict=True) if k],
            coders=names,
            codes=[self.codes[i] for i in code_index],
            reviewed=reviewed[keep],
            present=self.present[keep][:, coder_index][:, :, code_index],
            coder_kinds={name: self.coder_kinds.get(name, "human") for name in names},
            passage_ids=(
                None
                if self.passage_ids is None
                else [pid for pid, k in zip(self.passage_ids, keep, strict=True) if k]
            ),
            include_engines=self.include_engines,
            provenance={n: v for n, v in self.provenance.items() if n in names},
            codebook_version=self.codebook_version,
        )

    @staticmethod
    def _index(items: list[str], name: str, what: str) -> int:
        try:
            return items.index(name)
        except ValueError:
            raise AgreementDataError(
                f"unknown {what} '{name}'; known: {', '.join(items)}"
            ) from None


@dataclass
class RatingData:
    units: list[str]
    coders: list[str]
    categories: list[str]
    values: np.ndarray  # int, units × coders, category index or -1

    def numeric_categories(self) -> np.ndarray | None:
        try:
            return np.array([float(c) for c in self.categories])
        except ValueError:
            return None


def _coder_order(names: set[str], kinds: dict[str, str]) -> list[str]:
    """Humans first, then engines, then the consensus; by name within a kind."""
    rank = {"human": 0, "engine": 1, "consensus": 2}
    return sorted(names, key=lambda n: (rank.get(kinds.get(n, ""), 3), n))


def project_data(
    project: Project, include_engines: bool = True, codebook_version: int | None = None
) -> CodedData:
    """Every coded passage reviewed by some coder: humans, the consensus, and each engine (one
    coder per engine and model, coding a passage with its latest suggestion set there).

    Which of them count as raters is the caller's choice (see ``raters.choose_raters``). With
    ``codebook_version``, only what was coded under that version, over that version's codes
    (``store.version_codings`` says how a coder's state under a version is read)."""
    codebook = (
        project.codebook if codebook_version is None else project.codebook_at(codebook_version)
    )
    if codebook is None:
        raise AgreementDataError(f"{project.shown_location}: the project has no codebook")
    codes = [code.id for code in codebook.walk()]
    code_at = {code: i for i, code in enumerate(codes)}
    from workbench.core.store.queries import passage_keys_for_ids
    from workbench.core.store.raters import read_ratings

    with project.reading() as conn:
        ratings = read_ratings(
            conn, include_engines=include_engines, codebook_version=codebook_version
        )
        passage_ids = sorted({pid for pid, _ in ratings.reviewed})
        keys = passage_keys_for_ids(conn, passage_ids)
    coders = _coder_order({name for _, name in ratings.reviewed}, ratings.kinds)
    unit_at = {pid: i for i, pid in enumerate(passage_ids)}
    coder_at = {name: i for i, name in enumerate(coders)}
    review = np.zeros((len(passage_ids), len(coders)), dtype=bool)
    present = np.zeros((len(passage_ids), len(coders), len(codes)), dtype=bool)
    for pid, name in ratings.reviewed:
        review[unit_at[pid], coder_at[name]] = True
    for (pid, name), found in ratings.applied.items():
        if (pid, name) not in ratings.reviewed:
            continue
        for code in found:
            if code in code_at:
                present[unit_at[pid], coder_at[name], code_at[code]] = True
    return CodedData(
        [keys[pid] for pid in passage_ids],
        coders,
        codes,
        review,
        present,
        ratings.kinds,
        passage_ids,
        include_engines,
        provenance={name: dict(counts) for name, counts in ratings.provenance.items()},
        codebook_version=codebook_version,
    )


def refresh_passages(data: CodedData, project: Project, passage_ids: list[int]) -> CodedData:
    """``data`` with the given passages re-read from the project: the live panel's update after
    a decision, which touches a few rows instead of reloading a whole study."""
    if data.passage_ids is None:
        return project_data(project)
    from workbench.core.store.queries import passage_keys_for_ids
    from workbench.core.store.raters import read_ratings

    include_engines = data.include_engines
    with project.reading() as conn:
        ratings = read_ratings(conn, passage_ids, include_engines)
        known, touched = set(data.passage_ids), {pid for pid, _ in ratings.reviewed}
        new_ids = [pid for pid in passage_ids if pid not in known and pid in touched]
        keys = passage_keys_for_ids(conn, new_ids)
    reviewed, applied, kinds = ratings.reviewed, ratings.applied, ratings.kinds
    coders = list(data.coders)
    for name in _coder_order({name for _, name in reviewed} - set(coders), kinds):
        coders.append(name)
    review = np.zeros((len(data.units) + len(new_ids), len(coders)), dtype=bool)
    present = np.zeros((len(data.units) + len(new_ids), len(coders), len(data.codes)), dtype=bool)
    review[: len(data.units), : len(data.coders)] = data.reviewed
    present[: len(data.units), : len(data.coders)] = data.present
    all_ids = list(data.passage_ids) + new_ids
    unit_at = {pid: i for i, pid in enumerate(all_ids)}
    coder_at = {name: i for i, name in enumerate(coders)}
    code_at = {code: i for i, code in enumerate(data.codes)}
    for pid in passage_ids:
        if pid in unit_at:
            review[unit_at[pid]] = False
            present[unit_at[pid]] = False
    for pid, name in reviewed:
        review[unit_at[pid], coder_at[name]] = True
        for code in applied.get((pid, name), ()):
            if code in code_at:
                present[unit_at[pid], coder_at[name], code_at[code]] = True
    return CodedData(
        data.units + [keys[pid] for pid in new_ids],
        coders,
        data.codes,
        review,
        present,
        {**data.coder_kinds, **kinds},
        all_ids,
        include_engines,
        provenance=data.provenance,
    )


def read_ratings_csv(
    path: str | Path, categories: list[str] | None = None
) -> CodedData | RatingData:
    """Read ``unit,coder,value`` rows: set-valued if a unit and coder repeat or a value is empty.

    A header with no rows is a study with no ratings yet, not an error: every statistic is then
    undefined with its reason. Only a file without the header is refused.
    """
    path = Path(path)
    try:
        text, _ = decode_bytes(path.read_bytes(), str(path))
    except OSError as exc:
        raise AgreementDataError(f"{path}: cannot read: {exc.strerror}") from exc
    if '"' not in text:  # no quoting: the header is the first line, the rows may split fast
        head, _, body = text.partition("\n")
        _check_header(path, head.split(","))
        columns = split_columns(body.encode("utf-8"))
        if columns is not None:
            ratings = _single_ratings(path, *columns, categories)
            if ratings is not None:
                return ratings
    return _read_rows(path, text, categories)


def _check_header(path: Path, cells: list[str]) -> None:
    header = [cell.strip().lower() for cell in cells]
    if header[:3] != ["unit", "coder", "value"]:
        found = f"found {','.join(header)}" if any(header) else "the file is empty"
        raise AgreementDataError(f"{path}: line 1: expected the header unit,coder,value, {found}")


def _single_ratings(
    path: Path, units: Column, coders: Column, values: Column, categories: list[str] | None
) -> RatingData | None:
    """The rating matrix from factorised columns; None if a unit and coder repeat (set-valued)."""
    cell = units.codes * len(coders.names) + coders.codes
    if np.bincount(cell).max() > 1:
        return None
    declared = categories or _sorted_categories(values.names)
    _check_known(path, values.names, declared)
    position = {name: i for i, name in enumerate(declared)}
    category_of_value = np.array([position[name] for name in values.names], dtype=np.int64)
    matrix = np.full((len(units.names), len(coders.names)), MISSING, dtype=np.int64)
    matrix[units.codes, coders.codes] = category_of_value[values.codes]
    return RatingData(units.names, coders.names, list(declared), matrix)


def _check_known(path: Path, values: list[str], declared: list[str]) -> None:
    unknown = sorted(set(values) - set(declared))
    if unknown:
        raise AgreementDataError(f"{path}: values not in --categories: {', '.join(unknown)}")


def _read_rows(path: Path, text: str, categories: list[str] | None) -> CodedData | RatingData:
    """Row by row with the csv module: quoting, blank lines, padded cells, sets of codes, and
    the line number of a row that cannot be used."""
    reader = csv.reader(io.StringIO(text))
    _check_header(path, next(reader, []))
    rows: list[tuple[str, str, str]] = []
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) < 3 or not cells[0].strip() or not cells[1].strip():
            raise AgreementDataError(f"{path}: line {reader.line_num}: needs a unit and a coder")
        rows.append((cells[0].strip(), cells[1].strip(), cells[2].strip()))
    if not rows:
        declared = list(categories or [])
        return RatingData([], [], declared, np.full((0, 0), MISSING, dtype=np.int64))
    seen: defaultdict[tuple[str, str], int] = defaultdict(int)
    for unit, coder, _value in rows:
        seen[(unit, coder)] += 1
    units = list(dict.fromkeys(unit for unit, _, _ in rows))
    coders = list(dict.fromkeys(coder for _, coder, _ in rows))
    unit_at = {u: i for i, u in enumerate(units)}
    coder_at = {c: i for i, c in enumerate(coders)}
    values = [value for _, _, value in rows if value]
    declared = categories or _sorted_categories(values)
    _check_known(path, values, declared)
    if max(seen.values()) > 1 or any(not value for _, _, value in rows):
        code_at = {c: i for i, c in enumerate(declared)}
        reviewed = np.zeros((len(units), len(coders)), dtype=bool)
        present = np.zeros((len(units), len(coders), len(declared)), dtype=bool)
        for unit, coder, value in rows:
            reviewed[unit_at[unit], coder_at[coder]] = True
            if value:
                present[unit_at[unit], coder_at[coder], code_at[value]] = True
        return CodedData(
            units, coders, list(declared), reviewed, present, {c: "human" for c in coders}
        )
    category_at = {c: i for i, c in enumerate(declared)}
    matrix = np.full((len(units), len(coders)), MISSING, dtype=np.int64)
    for unit, coder, value in rows:
        matrix[unit_at[unit], coder_at[coder]] = category_at[value]
    return RatingData(units, coders, list(declared), matrix)


def _sorted_categories(values: list[str]) -> list[str]:
    distinct = list(dict.fromkeys(values))
    try:
        return sorted(distinct, key=float)
    except ValueError:
        return sorted(distinct)
