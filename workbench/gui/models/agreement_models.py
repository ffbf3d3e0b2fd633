"""Item models for the agreement panel: per-code figures, the coder matrix, disagreements."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from workbench.core.agreement.adjudication import Disagreement
from workbench.core.agreement.compute import MetricResult
from workbench.core.agreement.engines import EngineComparison
from workbench.core.agreement.snapshot import AgreementSnapshot
from workbench.core.agreement.strata import Stratum

ValueRole = Qt.ItemDataRole.UserRole + 1
CodeRole = Qt.ItemDataRole.UserRole + 2

_Index = QModelIndex | QPersistentModelIndex


def _number(result: MetricResult | None) -> str:
    if result is None:
        return ""
    return "—" if result.value is None else f"{result.value:.3f}"


def _tooltip(result: MetricResult) -> str:
    if result.value is None:
        return f"undefined: {result.reason}"
    return f"{result.value:.3f}: {result.interpretation} (n = {result.units} passages)"


def _engine_number(comparison: EngineComparison | None) -> str:
    """The engine's mean pairwise alpha with the humans, marked when it falls short of theirs."""
    if comparison is None or comparison.engine_human.value is None:
        return "" if comparison is None else "—"
    mark = " ▼" if comparison.verdict.startswith("agrees with the humans less") else ""
    return f"{comparison.engine_human.value:.3f}{mark}"


class CodeAgreementModel(QAbstractTableModel):
    COLUMNS = ("Code", "Humans", "n", "", "Engine")
    TOOLTIPS = (
        "",
        "Agreement among the human coders on this code",
        "Passages coded by two or more human coders",
        "",
        "The first engine's mean pairwise alpha with each human; ▼ when it agrees with them "
        "less than they agree with each other",
    )

    def __init__(self, code_names: dict[str, str], parent=None):  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self._names = code_names
        self._snapshot: AgreementSnapshot | None = None
        self._rows: list = []
        self.hidden = 0  # codes no human coder has applied yet

    def set_snapshot(self, snapshot: AgreementSnapshot) -> None:
        self.beginResetModel()
        self._snapshot = snapshot
        data = snapshot.data
        humans = [data.coders.index(name) for name in snapshot.humans]
        used = {
            code
            for index, code in enumerate(data.codes)
            if humans and data.present[:, humans, index].any()
        }
        self._rows = [row for row in snapshot.rows if row.code in used]
        self.hidden = len(snapshot.rows) - len(self._rows)
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ):  # type: ignore[no-untyped-def]
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.COLUMNS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.TOOLTIPS[section] or None
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):  # type: ignore[no-untyped-def]
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return [
                self._names.get(row.code, row.code),
                _number(row.human),
                str(row.human.units),
                "",
                _engine_number(row.engine),
            ][column]
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 4:
                return row.engine.sentence if row.engine else "no engine has coded yet"
            return _tooltip(row.human)
        if role == ValueRole:
            return row.human.value
        if role == CodeRole:
            return row.code
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (1, 2, 4):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class CoderMatrixModel(QAbstractTableModel):
    """Alpha over code sets for every pair of human coders and engines (not the consensus)."""

    def __init__(self, parent=None):  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self._coders: list[str] = []
        self._pairs: dict[tuple[str, str], MetricResult] = {}

    def set_snapshot(self, snapshot: AgreementSnapshot) -> None:
        self.beginResetModel()
        self._coders = snapshot.humans + snapshot.engines
        self._pairs = dict(snapshot.pairs)
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._coders)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._coders)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ):  # type: ignore[no-untyped-def]
        if role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(self._coders):
            return self._coders[section]
        return None

    def _pair(self, row: int, column: int) -> MetricResult | None:
        a, b = self._coders[row], self._coders[column]
        return self._pairs.get((a, b)) or self._pairs.get((b, a))

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):  # type: ignore[no-untyped-def]
        if not index.isValid() or index.row() == index.column():
            return "·" if role == Qt.ItemDataRole.DisplayRole and index.isValid() else None
        result = self._pair(index.row(), index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return _number(result)
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(result) if result else None
        if role == ValueRole:
            return result.value if result else None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignCenter)
        return None


class StrataModel(QAbstractTableModel):
    """The overall figure per value of a metadata field, with passages and interval."""

    COLUMNS = ("", "Passages", "Alpha", "95% interval", "Reading")

    def __init__(self, parent=None):  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self._field = ""
        self._strata: list[Stratum] = []

    def set_strata(self, field: str | None, strata: list[Stratum]) -> None:
        self.beginResetModel()
        self._field, self._strata = field or "", list(strata)
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._strata)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ):  # type: ignore[no-untyped-def]
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self._field if section == 0 else self.COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):  # type: ignore[no-untyped-def]
        if not index.isValid() or not 0 <= index.row() < len(self._strata):
            return None
        stratum = self._strata[index.row()]
        result = stratum.result
        if role == Qt.ItemDataRole.DisplayRole:
            interval = f"{result.ci95[0]:.3f} to {result.ci95[1]:.3f}" if result.ci95 else "—"
            reading = result.interpretation if result.value is not None else result.reason
            return [stratum.value, str(result.units), _number(result), interval, reading][
                index.column()
            ]
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(result)
        if role == ValueRole:
            return result.value
        return None


class DisagreementModel(QAbstractTableModel):
    """Passages where coders differ: one column per coder with their codes."""

    def __init__(self, code_names: dict[str, str], parent=None):  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self._names = code_names
        self._items: list[Disagreement] = []
        self._coders: list[str] = []
        self._memos: dict[str, dict[str, str]] = {}

    def set_items(
        self,
        items: list[Disagreement],
        coders: list[str],
        memos: dict[str, dict[str, str]] | None = None,
    ) -> None:
        self.beginResetModel()
        self._items, self._coders, self._memos = items, coders, memos or {}
        self.endResetModel()

    def item(self, row: int) -> Disagreement | None:
        return self._items[row] if 0 <= row < len(self._items) else None

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 1 + len(self._coders)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ):  # type: ignore[no-untyped-def]
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return "Passage" if section == 0 else self._coders[section - 1]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):  # type: ignore[no-untyped-def]
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        item = self._items[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if index.column() == 0:
                return item.unit
            coder = self._coders[index.column() - 1]
            if coder not in item.codes:
                return "(not reviewed)"
            codes = (
                ", ".join(self._names.get(c, c) for c in sorted(item.codes[coder])) or "(no code)"
            )
            memo = self._memos.get(item.unit, {}).get(coder)
            return f"{codes}  ✎ {memo}" if memo else codes
        return None


class RowsModel(QAbstractTableModel):
    """Ready-made rows of text, read only: the tabs for selections and for the anchoring
    experiment, whose cells are formatted from their result objects by the panel."""

    def __init__(self, columns: list[str], parent=None):  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self.columns = columns
        self.rows: list[list[str]] = []
        self.tips: list[str] = []

    def set_rows(self, rows: list[list[str]], tips: list[str] | None = None) -> None:
        self.beginResetModel()
        self.rows = rows
        self.tips = tips or [""] * len(rows)
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ):  # type: ignore[no-untyped-def]
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.columns[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):  # type: ignore[no-untyped-def]
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tips[index.row()] or None
        return None
