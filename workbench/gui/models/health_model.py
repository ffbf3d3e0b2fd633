"""Codebook health findings as tables: one model per kind of finding, each with its evidence."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from workbench.core.codebook_health import CodebookHealth

Index = QModelIndex | QPersistentModelIndex


class FindingsModel(QAbstractTableModel):
    """Read-only rows of one finding kind; the columns say what the evidence is."""

    def __init__(self, columns: list[str], rows: list[list[object]], parent=None):  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self.columns = columns
        self.rows = rows

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or role != Qt.ItemDataRole.DisplayRole:
            return None
        value = self.rows[index.row()][index.column()]
        return f"{value:.3f}" if isinstance(value, float) else str(value)

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.columns[section]
        return None


def health_models(health: CodebookHealth, names: dict[str, str]) -> list[tuple[str, FindingsModel]]:
    """(tab title, model) for each kind, in the order a lead works through them."""

    def named(code: str) -> str:
        return f"{names.get(code, code)} ({code})"

    kinds = [
        (
            "Never used",
            ["Code"],
            [[named(code)] for code in health.never_used],
        ),
        (
            "Low agreement",
            ["Code", "Alpha", "Passages (n)"],
            [[named(f.code), f.alpha, f.passages] for f in health.low_agreement],
        ),
        (
            "Confused pairs",
            ["Code", "Confused with", "Passages swapped", "Between"],
            [[named(p.first), named(p.second), p.count, p.between] for p in health.confused],
        ),
        (
            "No examples",
            ["Code"],
            [[named(code)] for code in health.without_examples],
        ),
        (
            "Close definitions",
            ["Code", "Reads like", "Similarity (TF-IDF cosine)"],
            [[named(p.first), named(p.second), p.similarity] for p in health.close_definitions],
        ),
    ]
    return [(f"{title} ({len(rows)})", FindingsModel(cols, rows)) for title, cols, rows in kinds]
