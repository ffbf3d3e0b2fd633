"""Small dialogs: the memo editor and the coder's name, asked once."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QInputDialog,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from workbench.gui.theme import fit_to_screen


class MemoDialog(QDialog):
    def __init__(self, passage_key: str, text: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"Memo on {passage_key}")
        fit_to_screen(self, 480, 260)
        self.editor = QPlainTextEdit(text)
        # Tab moves on to Save (it typed a tab, leaving only Esc to leave the box), and
        # Ctrl+Enter saves from the text, since Enter starts a new line.
        self.editor.setTabChangesFocus(True)
        self.editor.installEventFilter(self)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Your memo (empty to delete it; Ctrl+Enter saves):"))
        layout.addWidget(self.editor)
        layout.addWidget(buttons)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if (
            watched is self.editor
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            self.accept()
            return True
        return super().eventFilter(watched, event)

    @property
    def text(self) -> str:
        return self.editor.toPlainText()


def ask_coder_name(parent: QWidget | None = None) -> str | None:
    name, ok = QInputDialog.getText(
        parent,
        "Who is coding?",
        "Your name as a coder (recorded with every decision you make):",
    )
    return name.strip() if ok and name.strip() else None
