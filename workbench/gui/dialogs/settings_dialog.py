"""A lead's project settings: blind coding, suggestions after first pass, engines, roles.

Applying goes through ``change_settings``, the function behind ``workbench settings``, so the
app and the command line check the same rules (only a lead changes, one lead always remains)
and leave the same audit record.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from workbench.core.errors import WorkbenchError
from workbench.core.roles import (
    CODER,
    LEAD,
    NoLeadError,
    assignments_of,
    engines_allowed,
    roles_of,
)
from workbench.core.store import Project
from workbench.core.store.team import change_settings


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


class SettingsDialog(QDialog):
    applied = Signal(dict)  # what changed

    def __init__(self, project: Project, lead: str, parent=None):  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self.setWindowTitle("Project settings")
        self.project = project
        self.lead = lead
        settings = project.settings
        roles = roles_of(settings.extra)
        self.blind = QCheckBox("Blind coding: coders see only their own codes")
        self.blind.setChecked(settings.blind_coding)
        self.after_first_pass = QCheckBox("Show engine suggestions only after a coder's first pass")
        self.after_first_pass.setChecked(settings.suggestions_after_first_pass)
        allowed = engines_allowed(settings.extra)
        self.local = QCheckBox("local")
        self.local.setChecked("local" in allowed)
        self.claude = QCheckBox("Claude (sends passages to Anthropic)")
        self.claude.setChecked("claude" in allowed)
        engines = QWidget()
        engines_row = QHBoxLayout(engines)
        engines_row.setContentsMargins(0, 0, 0, 0)
        engines_row.addWidget(self.local)
        engines_row.addWidget(self.claude)
        engines_row.addStretch(1)
        self.leads = QLineEdit(", ".join(n for n, r in sorted(roles.items()) if r == LEAD))
        self.leads.setPlaceholderText("none: everyone acts as a lead")
        self.coders = QLineEdit(", ".join(n for n, r in sorted(roles.items()) if r == CODER))
        self.coders.setPlaceholderText("names, comma-separated")
        queues = assignments_of(settings.extra)
        queue_text = (
            ", ".join(f"{coder}: {len(items)}" for coder, items in sorted(queues.items()))
            or "no transcripts assigned (workbench assign)"
        )
        form = QFormLayout()
        form.addRow(self.blind)
        form.addRow(self.after_first_pass)
        form.addRow("Engines allowed:", engines)
        form.addRow("Leads:", self.leads)
        form.addRow("Coders:", self.coders)
        form.addRow("Queues:", QLabel(queue_text))
        self.error = QLabel(objectName="error")
        self.error.setWordWrap(True)
        note = QLabel(
            "On a project file these roles guide the workflow; they are not security: "
            "anyone who has the file can edit it."
        )
        note.setWordWrap(True)
        note.setObjectName("subtitle")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Apply | QDialogButtonBox.StandardButton.Close
        )
        buttons.button(QDialogButtonBox.StandardButton.Apply).clicked.connect(self.apply)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        # Enter in the Leads or Coders field applies what was typed (with Close the default it
        # closed the dialog and dropped it). Set once the box is in the dialog, so that Qt
        # makes it the dialog's own default, given back after another button had the focus.
        buttons.button(QDialogButtonBox.StandardButton.Apply).setDefault(True)

    def apply(self) -> bool:
        """Write the changes; a refusal is shown in the dialog and nothing is written."""
        engines = [
            name
            for name, box in (("local", self.local), ("claude", self.claude))
            if box.isChecked()
        ]
        try:
            changed = change_settings(
                self.project,
                self.lead,
                blind=self.blind.isChecked(),
                suggestions_after_first_pass=self.after_first_pass.isChecked(),
                engines=engines,
                leads=_names(self.leads.text()),
                coders=_names(self.coders.text()),
                # the core's refusals name these fields, not options no one types here
                actor_advice="open the project under a lead's name",
                leads_field="Leads",
                coders_field="Coders",
                engines_field="Engines allowed",
            )
        except NoLeadError as exc:
            # The app's own hint: the command line's says "--lead", an option no one sees here.
            self._say(f"{exc}: keep at least one name under Leads.")
            return False
        except WorkbenchError as exc:
            self._say(str(exc))
            return False
        self._say("Saved." if changed else "Nothing changed.")
        if changed:
            self.applied.emit(changed)
        return True

    def _say(self, text: str) -> None:
        """Show a message under the form, the dialog grown to its wrapped lines: a dialog
        shown before the text came kept its height, and two lines overlapped the note."""
        self.error.setText(text)
        wanted = self.layout().totalHeightForWidth(self.width())
        if wanted > self.height():
            self.resize(self.width(), wanted)
