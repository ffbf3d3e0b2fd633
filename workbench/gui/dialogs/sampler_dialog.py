"""Draw a stratified sample of passages for a second coder, sized for a target interval width,
and size the anchoring experiment (the same core computation and sentence as
``workbench sample --anchoring-effect``)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from workbench.core.agreement.sampling import (
    AnchoringSize,
    anchoring_size,
    sample_size_for_width,
    stratified_sample,
    write_sample_csv,
)
from workbench.core.errors import WorkbenchError
from workbench.core.store import Project
from workbench.gui.theme import fit_to_screen


class SamplerDialog(QDialog):
    def __init__(
        self, project: Project, fields: list[str], coders: list[str], parent: QWidget | None = None
    ):
        super().__init__(parent)
        self.setWindowTitle("Double-coding sample")
        # Taller than Qt's own pick, which misjudges the wrapped sentences and squeezed the
        # anchoring spin boxes to 16 px, their figures cut in half.
        fit_to_screen(self, 720, 640)
        self.project = project
        self.sample: dict[str, list[str]] = {}
        self.width = QDoubleSpinBox(minimum=0.02, maximum=0.6, singleStep=0.01, value=0.10)
        self.expected = QDoubleSpinBox(minimum=0.5, maximum=0.99, singleStep=0.01, value=0.80)
        self.needed = QLabel()
        self.size = QSpinBox(minimum=1, maximum=1_000_000)
        self.by = QComboBox()
        self.by.addItem("(no strata)", None)
        for field in fields:
            self.by.addItem(field, field)
        if "group" in fields:
            self.by.setCurrentIndex(fields.index("group") + 1)
        self.exclude = QComboBox()
        self.exclude.addItem("(nobody)", None)
        for coder in coders:
            self.exclude.addItem(coder, coder)
        self.seed = QSpinBox(minimum=0, maximum=10**6, value=1)
        self.result = QLabel("", objectName="subtitle")
        self.result.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Target 95% interval width", self.width)
        form.addRow("Expected agreement", self.expected)
        form.addRow("Passages needed", self.needed)
        form.addRow("Passages to draw", self.size)
        form.addRow("Stratify by", self.by)
        form.addRow("Leave out passages reviewed by", self.exclude)
        form.addRow("Random seed", self.seed)
        self.draw_button = QPushButton("Draw")
        self.save_button = QPushButton("Save as CSV…")
        self.save_button.setEnabled(False)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.draw_button)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.result)
        layout.addLayout(buttons)
        layout.addWidget(self._anchoring_group(len(coders)))
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)  # as every other dialog has, not only Esc
        layout.addWidget(close)
        self.width.valueChanged.connect(self._size_from_width)
        self.expected.valueChanged.connect(self._size_from_width)
        self.draw_button.clicked.connect(self.draw)
        self.save_button.clicked.connect(self.save)
        self._size_from_width()

    def _anchoring_group(self, coders: int) -> QGroupBox:
        """How many passages the anchoring experiment needs: worked out here, while the lead is
        planning who codes what, rather than only on the command line."""
        self.effect = QDoubleSpinBox(minimum=-0.9, maximum=0.9, singleStep=0.01, value=0.10)
        self.effect.setDecimals(3)
        self.acceptance = QDoubleSpinBox(minimum=0.01, maximum=0.99, singleStep=0.01, value=0.50)
        self.acceptance.setDecimals(3)
        self.anchoring_coders = QSpinBox(minimum=1, maximum=10_000, value=max(1, coders))
        self.per_arm = QLabel()
        self.coder_passages = QLabel()
        self.per_coder = QLabel()
        self.anchoring_sentence = QLabel("", objectName="subtitle")
        self.anchoring_sentence.setWordWrap(True)
        self.anchoring: AnchoringSize | None = None
        group = QGroupBox("Anchoring experiment: how many passages")
        form = QFormLayout()
        form.addRow("Difference in acceptance to detect", self.effect)
        form.addRow("Expected acceptance (without the effect)", self.acceptance)
        form.addRow("Coders sharing it", self.anchoring_coders)
        form.addRow("Suggestions per arm", self.per_arm)
        form.addRow("Coder-passages, both arms", self.coder_passages)
        form.addRow("Passages per coder", self.per_coder)
        column = QVBoxLayout(group)
        column.addLayout(form)
        column.addWidget(self.anchoring_sentence)
        for box in (self.effect, self.acceptance, self.anchoring_coders):
            box.valueChanged.connect(self._size_anchoring)
        self._size_anchoring()
        return group

    def _size_anchoring(self) -> None:
        try:
            size = anchoring_size(
                self.effect.value(), self.acceptance.value(), self.anchoring_coders.value()
            )
        except ValueError as exc:  # an effect of 0, or one that leaves the 0..1 range
            self.anchoring = None
            for label in (self.per_arm, self.coder_passages, self.per_coder):
                label.setText("–")
            self.anchoring_sentence.setText(f"Cannot size it: {exc}.")
            return
        self.anchoring = size
        self.per_arm.setText(f"{size.suggestions_per_arm:,}")
        self.coder_passages.setText(f"{size.coder_passages:,}")
        self.per_coder.setText(f"{size.passages_per_coder:,}")
        self.anchoring_sentence.setText(
            size.sentence() + ". A floor: answers of one coder, or on one passage, are correlated."
        )

    def _size_from_width(self) -> None:
        needed = sample_size_for_width(self.width.value(), self.expected.value())
        self.needed.setText(
            f"{needed} (normal approximation for percent agreement; a floor for kappa and alpha)"
        )
        self.size.setValue(needed)

    def draw(self) -> None:
        self.sample = stratified_sample(
            self.project,
            self.size.value(),
            self.by.currentData(),
            self.seed.value(),
            self.exclude.currentData(),
        )
        total = sum(len(keys) for keys in self.sample.values())
        parts = ", ".join(f"{name}: {len(keys)}" for name, keys in self.sample.items())
        self.result.setText(f"Drew {total} passages ({parts}).")
        self.save_button.setEnabled(total > 0)

    def save(self, path: str | None = None) -> None:
        if not path:
            path, _ = QFileDialog.getSaveFileName(
                self, "Save the sample", "double-coding-sample.csv", "CSV (*.csv)"
            )
        if not path:
            return
        try:
            write_sample_csv(self.sample, self.by.currentData(), path)
        except WorkbenchError as exc:
            self.result.setText(self.result.text() + f" Not saved: {exc}")
            return
        self.result.setText(self.result.text() + f" Saved to {path}.")
