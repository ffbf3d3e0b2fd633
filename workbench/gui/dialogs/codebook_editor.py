"""The lead's codebook editor: the tree, a form for the chosen code, live problems, a diff, save.

Every edit goes through ``CodebookDocument`` (the same layer a script would use), so what is
saved is the lead's YAML with its comments kept, and every problem shown is the one
``codebook check`` would print. Saving goes through the project's guard: a version that drops
codes with codings shows the migration plan and applies it only when the lead says yes.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from workbench.core.codebook import Codebook
from workbench.core.codebook_diff import diff_codebooks
from workbench.core.codebook_edit import CodebookDocument, EditError, codebook_source
from workbench.core.errors import CodebookError, ProjectError
from workbench.gui.models.codebook_edit_model import CodebookEditModel
from workbench.gui.theme import fit_to_screen

LIST_FIELDS = ("include", "exclude", "examples")
LINE_FIELDS = ("name", "color", "shortcut")
HINT = (
    "Drag a code onto another to put it under it, or between two to reorder; "
    "Alt+arrows move the chosen code (up, down, out, in)."
)
MOVE_KEYS = {
    Qt.Key.Key_Up: "up",
    Qt.Key.Key_Down: "down",
    Qt.Key.Key_Left: "left",
    Qt.Key.Key_Right: "right",
}


def _two_lines_high(box: QWidget) -> None:
    """Let a text box shrink to two lines: at Qt's own minimum (70 px) for its six boxes the
    editor needed 702 px, taller than a 1024x700 screen, and its Save button fell off it."""
    box.setMinimumHeight(box.fontMetrics().lineSpacing() * 2 + 14)


class CodebookEditorDialog(QDialog):
    def __init__(self, project, actor: str, parent=None):  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self.project = project
        self.actor = actor
        self.stored: Codebook = project.codebook
        self.source = codebook_source(project)
        label = str(self.source) if self.source else f"{project.shown_location} (codebook)"
        self.document = CodebookDocument.from_codebook(self.stored, label)
        self.saved_version: int | None = None
        self._filling = False
        self.setWindowTitle(f"Edit codebook · {self.stored.name} v{self.stored.version}")
        fit_to_screen(self, 1000, 680)

        self.model = CodebookEditModel(self.document, self)
        self.tree = QTreeView()
        self.tree.setModel(self.model)
        self.tree.setColumnWidth(0, 220)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # as the workspace's tree
        self.tree.setUniformRowHeights(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setDragEnabled(True)
        self.tree.setAcceptDrops(True)
        self.tree.setDropIndicatorShown(True)
        # DragDrop, not InternalMove: Qt drops an InternalMove whose QDrag it did not start,
        # and the model takes only its own code ids anyway
        self.tree.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.tree.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.tree.selectionModel().currentChanged.connect(lambda *_: self._fill_form())
        self.tree.installEventFilter(self)  # Alt+arrows, before the tree takes the arrows
        self.model.changed.connect(self._validate)
        self.model.refused.connect(self._say_refused)
        self.model.rowsMoved.connect(lambda *_: self._moved())
        buttons = QHBoxLayout()
        for text, slot in (
            ("Add", lambda: self._ask_add(child=False)),
            ("Add child", lambda: self._ask_add(child=True)),
            ("Rename id…", self._ask_rename),
            ("Delete", self.delete_current),
        ):
            button = QPushButton(text)
            button.setAutoDefault(False)  # Enter in the Name field must not add a code
            button.clicked.connect(slot)
            buttons.addWidget(button)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.tree)
        left_layout.addLayout(buttons)
        self.hint = QLabel(HINT)
        self.hint.setObjectName("move_hint")
        self.hint.setWordWrap(True)
        left_layout.addWidget(self.hint)

        self.fields: dict[str, QLineEdit | QPlainTextEdit] = {}
        form_widget = QWidget()
        form = QFormLayout(form_widget)
        for name in ("name", "definition", *LIST_FIELDS, "color", "shortcut"):
            editor: QLineEdit | QPlainTextEdit
            if name in LINE_FIELDS:
                editor = QLineEdit()
                editor.textEdited.connect(lambda _t, n=name: self._field_changed(n))
            else:
                editor = QPlainTextEdit()
                editor.setTabChangesFocus(True)
                _two_lines_high(editor)
                if name in LIST_FIELDS:
                    editor.setPlaceholderText("one per line")
                editor.textChanged.connect(lambda n=name: self._field_changed(n))
            self.fields[name] = editor
            form.addRow(name.capitalize(), editor)

        self.problems = QListWidget()
        self.problems.setObjectName("problems")
        _two_lines_high(self.problems)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        # The form scrolls where the screen is short (1024x700 with WORKBENCH_FONT_SCALE=1.3
        # made the editor 681 px tall at least, its Save button off the screen).
        form_area = QScrollArea()
        form_area.setWidget(form_widget)
        form_area.setWidgetResizable(True)
        form_area.setFrameShape(QFrame.Shape.NoFrame)
        right_layout.addWidget(form_area, 5)
        right_layout.addWidget(QLabel("Problems (as 'codebook check' reports them)"))
        right_layout.addWidget(self.problems, 1)
        self.changes_label = QLabel(f"Changes from v{self.stored.version} (as 'codebook diff')")
        right_layout.addWidget(self.changes_label)
        self.changes = QPlainTextEdit()
        self.changes.setObjectName("changes")
        self.changes.setReadOnly(True)
        _two_lines_high(self.changes)
        right_layout.addWidget(self.changes, 1)

        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setSizes([420, 580])
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.preview_button = box.addButton(
            "Preview changes", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.save_button = box.addButton("Save new version", QDialogButtonBox.ButtonRole.ApplyRole)
        self.preview_button.clicked.connect(self._show_preview)
        self.save_button.clicked.connect(self._save_clicked)
        # No default button: Enter in a one-line field (or on the tree, which passes it on)
        # neither adds a code nor stores a new codebook version; saving is a deliberate click.
        for button in box.buttons():
            button.setAutoDefault(False)
        box.rejected.connect(self.reject)
        where = f"Saving also writes {self.source}" if self.source else "No source file known"
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        layout.addWidget(QLabel(where + "; comments and key order are kept."))
        layout.addWidget(box)
        self.tree.expandAll()
        self.select(None)

    # -- the tree ------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if (
            watched is self.tree
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.modifiers() == Qt.KeyboardModifier.AltModifier
            and event.key() in MOVE_KEYS
        ):
            self.move_current(MOVE_KEYS[Qt.Key(event.key())])
            return True
        return super().eventFilter(watched, event)

    def current_id(self) -> str | None:
        return self.model.code_id(self.tree.currentIndex())

    def select(self, code_id: str | None) -> None:
        """Make ``code_id`` the current code (the first code when None or unknown)."""
        index = self.model.index_of(code_id)
        if not index.isValid():
            index = self.model.index(0, 0)
        if index.isValid():
            self.tree.setCurrentIndex(index)
            self.tree.scrollTo(index)
        self._fill_form()
        self._validate()

    def _moved(self) -> None:
        """A moved code stays current and in sight; its new parent opens to show it."""
        index = self.tree.currentIndex()
        if index.isValid():
            self.tree.expand(index.parent())
            self.tree.scrollTo(index)
        self.hint.setText(HINT)
        self.hint.setStyleSheet("")

    def _say_refused(self, reason: str) -> None:
        self.hint.setText(reason)
        self.hint.setStyleSheet("color: #cf222e;")

    def _fill_form(self) -> None:
        code_id = self.current_id()
        self._filling = True
        try:
            code = self.document.code(code_id) if code_id else {}
            for name, editor in self.fields.items():
                value = code.get(name)
                if name in LIST_FIELDS:
                    text = "\n".join(str(v) for v in value or [])
                else:
                    text = str(value).strip() if value is not None else ""
                if isinstance(editor, QLineEdit):
                    editor.setText(text)
                else:
                    editor.setPlainText(text)
                editor.setEnabled(bool(code_id))
        finally:
            self._filling = False

    def _field_changed(self, name: str) -> None:
        code_id = self.current_id()
        if self._filling or code_id is None:
            return
        editor = self.fields[name]
        if isinstance(editor, QLineEdit):
            self.model.set_field(code_id, name, editor.text())
        elif name in LIST_FIELDS:
            self.model.set_field(code_id, name, editor.toPlainText().splitlines())
        else:
            self.model.set_field(code_id, name, editor.toPlainText())

    def _validate(self) -> None:
        _, problems = self.document.check()
        self.problems.clear()
        for problem in problems:
            self.problems.addItem(str(problem))
        self.save_button.setEnabled(not any(p.severity == "error" for p in problems))
        self.changes.setPlainText("\n".join(self.preview_lines()))

    # -- edits ---------------------------------------------------------------------------------

    def _edit(self, change, select: str | None = None) -> bool:  # type: ignore[no-untyped-def]
        try:
            change()
        except EditError as exc:
            QMessageBox.warning(self, "Codebook", str(exc))
            return False
        self.select(select or self.current_id())
        return True

    def add_code(self, code_id: str, name: str, parent_id: str | None = None) -> bool:
        definition = f"What '{name}' means: say when to apply it."
        added = self._edit(
            lambda: self.model.add_code(code_id, name, definition, parent_id), code_id
        )
        if added and parent_id is not None:
            self.tree.expand(self.model.index_of(parent_id))
        return added

    def rename_current(self, new_id: str) -> bool:
        old = self.current_id()
        return old is not None and self._edit(lambda: self.model.rename_code(old, new_id), new_id)

    def delete_current(self) -> None:
        code_id = self.current_id()
        if code_id is None:
            return
        parent = self.model.index_of(code_id).parent()
        row = self.model.index_of(code_id).row()
        if self._edit(lambda: self.model.delete_code(code_id)):
            # the code that took its place, else the one above, else its parent
            siblings = self.model.rowCount(parent)
            near = self.model.index(min(row, siblings - 1), 0, parent) if siblings else parent
            self.select(self.model.code_id(near))

    def move_current(self, direction: str) -> bool:
        code_id = self.current_id()
        return code_id is not None and self.model.move_by(code_id, direction)

    def add_example(self, code_id: str, passage: str) -> None:
        """A passage as an example of ``code_id``: a pending edit, shown in the changes pane,
        saved only with the rest (never on its own)."""
        self._edit(lambda: self.model.add_example(code_id, passage), code_id)

    def _ask_add(self, *, child: bool) -> None:
        code_id, ok = QInputDialog.getText(self, "Add code", "New code id:")
        if not ok or not code_id.strip():
            return
        name, ok = QInputDialog.getText(self, "Add code", "Name:", text=code_id.strip())
        if ok:
            self.add_code(
                code_id.strip(),
                name.strip() or code_id.strip(),
                self.current_id() if child else None,
            )

    def _ask_rename(self) -> None:
        old = self.current_id()
        if old is None:
            return
        new_id, ok = QInputDialog.getText(self, "Rename code", f"New id for {old}:", text=old)
        if ok and new_id.strip():
            self.rename_current(new_id.strip())

    # -- preview and save ----------------------------------------------------------------------

    def preview_lines(self) -> list[str]:
        """``codebook diff`` between the stored version and the edited text."""
        codebook, problems = self.document.check(workspace_keys=False)
        if codebook is None:
            return [str(p) for p in problems if p.severity == "error"]
        lines = diff_codebooks(self.stored, codebook, f"v{self.stored.version}", "edited").lines()
        return lines or ["No changes to the codes (only text outside them, if anything)."]

    def _show_preview(self) -> None:
        QMessageBox.information(self, "Changes to save", "\n".join(self.preview_lines()))

    def _save_clicked(self) -> None:
        try:
            self.save(confirm=self._confirm_migration)
        except (ProjectError, CodebookError, OSError) as exc:
            QMessageBox.warning(self, "Not saved", str(exc))
            return
        if self.saved_version is not None:
            self.accept()

    def _confirm_migration(self, lines: list[str]) -> bool:
        answer = QMessageBox.question(
            self,
            "Migrate codings?",
            "This version removes or renames codes that have codings. A backup is taken, then:"
            "\n\n" + "\n".join(lines) + "\n\nApply?",
        )
        return answer == QMessageBox.StandardButton.Yes

    def save(self, confirm=lambda lines: False) -> int | None:  # type: ignore[no-untyped-def]
        """Store the edited codebook as the next version (migrating codings when the guard
        asks for it and ``confirm`` agrees), then write the source file. None: not saved."""
        from workbench.core.codebook import parse_codebook
        from workbench.core.codebook_migration import apply_migration, plan_migration

        self.document.set_version(self.project.codebook.version + 1)
        text = self.document.text()
        codebook = parse_codebook(text, self.document.filename)
        try:
            version = self.project.add_codebook_version(codebook, actor=self.actor)
        except ProjectError as stranded:
            plan = plan_migration(self.project, codebook)
            refusal = plan.refusal()
            if refusal is not None:
                raise ProjectError(f"{stranded} ({refusal})") from stranded
            if not confirm([change.line() for change in plan.changes]):
                return None
            version = apply_migration(self.project, plan, self.actor).plan.to_version
        if self.source is not None:
            self.source.write_text(text, encoding="utf-8")
        self.saved_version = version
        return version
