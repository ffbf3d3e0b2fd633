"""The codebook health view for a lead: a tab per kind of finding, computed when opened."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableView,
    QTabWidget,
    QVBoxLayout,
)

from workbench.core.codebook_health import LOW_ALPHA, codebook_health
from workbench.gui.models.health_model import health_models

INTRO = (
    "Where the codebook, not the coders, may be the trouble. Low agreement: Krippendorff's "
    f"alpha below {LOW_ALPHA} among the human coders. Confused pairs: one coder applied one code "
    "without the other where another coder did the reverse. Close definitions: worded so alike "
    "that coders may not tell them apart."
)


class CodebookHealthDialog(QDialog):
    def __init__(self, project, parent=None):  # type: ignore[no-untyped-def]
        super().__init__(parent)
        codebook = project.codebook
        self.setWindowTitle(f"Codebook health: {codebook.name} v{codebook.version}")
        self.resize(760, 420)
        layout = QVBoxLayout(self)
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.tabs = QTabWidget()
        names = {code.id: code.name for code in codebook.walk()}
        self.models = health_models(codebook_health(project), names)
        for title, model in self.models:
            view = QTableView()
            view.setModel(model)
            view.setAlternatingRowColors(True)
            view.verticalHeader().hide()
            view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
            view.horizontalHeader().setStretchLastSection(True)
            self.tabs.addTab(view, title)
        layout.addWidget(self.tabs)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
