"""The agreement panel's tabs for text selected inside passages and for the anchoring
experiment: each shows one result object, with the sentences the CLI and the report print."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QHeaderView,
    QLabel,
    QScrollArea,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from workbench.core.agreement.anchoring import LABELS, MEASURES, AnchoringResult, Estimate
from workbench.core.agreement.report import coefficient_text
from workbench.core.agreement.unitizing import UnitizingResult, plural, unitizing_statement
from workbench.gui.models.agreement_models import RowsModel

_SELECTABLE = Qt.TextInteractionFlag.TextSelectableByMouse


def _table(model: RowsModel) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.verticalHeader().hide()
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    return view


def _number(value: object) -> str:
    """A coefficient by the CLI's own rule, from the number it prints (``to_dict``'s)."""
    return "—" if value is None else coefficient_text(value)


def _label() -> QLabel:
    label = QLabel("", objectName="subtitle")
    label.setWordWrap(True)
    return label


def _scrolled(label: QLabel) -> QScrollArea:
    """The method paragraph in a few scrollable lines, so the table keeps the panel's height
    (unscrolled, the paragraph left room for one row of the table)."""
    label.setTextInteractionFlags(label.textInteractionFlags() | _SELECTABLE)
    area = QScrollArea()
    area.setWidget(label)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setMaximumHeight(label.fontMetrics().lineSpacing() * 4 + 8)
    return area


class SelectionsTab(QWidget):
    """Krippendorff's unitizing alpha: overall, coded or not, and per code."""

    def __init__(self, code_names: dict[str, str], parent=None):  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self.names = code_names
        self.headline = _label()
        self.method = _label()
        self.model = RowsModel(
            ["Code", "uα", "Characters selected (all coders)", "Reading", "(k)uα", "Coverage"],
            self,
        )
        self.table = _table(self.model)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.headline)
        layout.addWidget(self.table, 1)
        layout.addWidget(_scrolled(self.method))

    def show_result(self, result: UnitizingResult | str) -> None:
        """A result, or the one-line reason it could not be computed."""
        if isinstance(result, str):
            self.headline.setText(f"Unitizing agreement could not be computed: {result}")
            self.model.set_rows([])
            self.method.clear()
            return
        # every figure from the numbers the CLI and the report print (rounded once, in
        # to_dict): formatting the unrounded value here could differ from them in the last digit
        printed = result.to_dict()
        reading = result.interpretation if result.value is not None else result.reason
        self.headline.setText(
            f"Krippendorff's unitizing alpha among the human coders: uα "
            f"{_number(printed['value'])} ({reading}); coded against uncoded text |uα "
            f"{_number(printed['binary'])}; codes of jointly coded text cuα "
            f"{_number(printed['cu'])}{_coverage(printed)}; {plural(result.continua, 'passage')}, "
            f"{plural(result.length, 'character')}, {plural(result.coders, 'coder')} "
            f"({', '.join(result.coder_names) or 'none'})."
        )
        rows, tips = [], []
        for code, row in result.per_code.items():
            value = row["value"]
            rows.append(
                [
                    self.names.get(code, code),
                    _number(value),  # type: ignore[arg-type]
                    f"{row['characters_selected']:,}",
                    str(row["interpretation"] if value is not None else row["reason"]),
                    *_k_cells(row),
                ]
            )
            tips.append(code)
        for combination, row in result.combined.items():
            shown = " + ".join(self.names.get(c, c) for c in combination.split(" + "))
            rows.append([shown, "", "", "text coded with all of these", *_k_cells(row)])
            tips.append(combination)
        self.model.set_rows(rows, tips)
        self.method.setText(unitizing_statement(result))


def _coverage(printed: dict[str, object]) -> str:
    if printed["cu"] is None:
        return ""
    return f" (on {printed['cu_coverage']:.0%} of the text)"


def _k_cells(row: dict[str, object]) -> list[str]:
    """(k)uα and its coverage, or the reason it is undefined."""
    if row["k_alpha"] is None:
        return [f"undefined: {row['k_reason']}", ""]
    return [_number(row["k_alpha"]), f"{row['k_coverage']:.0%}"]  # type: ignore[arg-type]


def _estimate(estimate: Estimate) -> str:
    return estimate.text()


class AnchoringTab(QWidget):
    """The anchoring experiment: the verdict, each measure by arm, acceptance per code."""

    def __init__(self, parent=None):  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self.verdict = _label()
        self.methods = _label()
        self.model = RowsModel(["Measure", "Before", "After", "Difference [95% interval]"], self)
        self.table = _table(self.model)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.verdict)
        layout.addWidget(self.table, 1)
        layout.addWidget(_scrolled(self.methods))

    def show_result(self, result: AnchoringResult, as_of: str) -> None:
        self.verdict.setText(f"{result.verdict} (as of {as_of}; Reload to update)")
        rows = []
        for name in MEASURES:
            m = getattr(result.overall, name)
            rows.append(
                [LABELS[name], _estimate(m.before), _estimate(m.after), _estimate(m.difference)]
            )
        for code, figures in result.per_code.items():
            a = figures.acceptance
            rows.append(
                [
                    f"acceptance: {code}",
                    _estimate(a.before),
                    _estimate(a.after),
                    _estimate(a.difference),
                ]
            )
        self.model.set_rows(rows)
        self.methods.setText(result.methods or "")
