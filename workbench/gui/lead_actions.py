"""What a lead or analyst does from the menus: engines, quality, sampling, dashboards, reports.

Kept apart from the main window, which only builds and wires; each action opens a dialog or
starts background work and reports back through the window's status line and error place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox

if TYPE_CHECKING:  # the actions import what they use when they run; these are for hints only
    from pathlib import Path

    from workbench.core.store import Project
    from workbench.core.tasks import CancelToken, Progress


class LeadActions(QObject):
    def __init__(self, window):  # type: ignore[no-untyped-def]
        super().__init__(window)
        self.window = window
        self._dashboard = None

    def _refused(self, what: str) -> bool:
        """True (and says so) when the app's coder is not a lead of this project."""
        if self.window.is_lead():
            return False
        self.window.show_error(f"Only a lead of this project can {what}.")
        return True

    def _blind(self, what: str) -> bool:
        """True (and says so) when blind coding hides other coders' codes from this coder: the
        dashboards and reports count everyone's codes, so they would show what the cards hide."""
        if self.window.may_see_others():
            return False
        self.window.show_error(
            f"Blind coding is on: {what} counts other coders' codes, so only a lead can open it."
        )
        return True

    def show_settings(self) -> None:
        from workbench.gui.dialogs.settings_dialog import SettingsDialog

        if self._refused("change the project settings"):
            return
        dialog = SettingsDialog(self.window.session.project, self.window.session.coder, self.window)
        dialog.applied.connect(lambda _changed: self.window.settings_changed())
        dialog.exec()

    def show_sampler(self) -> None:
        if self._refused("draw a double-coding sample"):
            return
        from workbench.core.store.raters import coder_kinds
        from workbench.gui.dialogs.sampler_dialog import SamplerDialog

        with self.window.session.project.reading() as conn:  # the raters are the human coders
            coders = sorted(name for name, kind in coder_kinds(conn).items() if kind == "human")
        SamplerDialog(
            self.window.session.project, sorted(self.window._metadata_values), coders, self.window
        ).exec()

    def show_speakers(self) -> None:
        """Which labels are interviewers; applying re-flags passages, so the open view reloads."""
        from workbench.gui.dialogs.speakers_dialog import SpeakersDialog

        if self._refused("set speaker roles"):
            return
        dialog = SpeakersDialog(self.window.session.project, self.window.session.coder, self.window)
        dialog.applied.connect(self._speakers_changed)
        dialog.exec()

    def _speakers_changed(self, _change: object) -> None:
        transcript_id = self.window.controller.passages.transcript_id
        if transcript_id is not None:
            self.window.open_transcript(transcript_id)
            self.window.transcript_model.refresh_progress(transcript_id)
        self.window.engine_label.setText("Speaker roles changed; passages re-flagged")

    def show_codebook_health(self) -> None:
        from workbench.gui.dialogs.health_dialog import CodebookHealthDialog

        if self.window.session.project.codebook is None:
            return
        CodebookHealthDialog(self.window.session.project, self.window).exec()

    def edit_codebook(self) -> None:
        """The codebook editor; a saved version reaches the window through the project poll."""
        from workbench.gui.dialogs.codebook_editor import CodebookEditorDialog

        if self._refused("edit the codebook") or self.window.session.project.codebook is None:
            return
        CodebookEditorDialog(
            self.window.session.project, self.window.session.coder, self.window
        ).exec()

    def use_passage_as_example(self) -> None:
        """The current passage (or the selection inside it) as an example of a code the lead
        picks: a pending edit in the codebook editor, with its diff shown, saved as a new
        version only when the lead presses Save there (never on its own)."""
        from workbench.gui.dialogs.code_picker import CodePickerDialog

        project = self.window.session.project
        if self._refused("add examples to the codebook") or project.codebook is None:
            return
        text = self.window.example_text()
        if not text:
            self.window.show_error("Choose a passage first: its text becomes the example.")
            return
        picker = CodePickerDialog(
            project.codebook,
            title="Use this passage as an example of…",
            parent=self.window,
            allow_parents=True,  # a broad theme can have examples too
        )
        if not picker.exec() or not picker.chosen:
            return
        self.example_editor(picker.chosen, text).exec()

    def example_editor(self, code_id: str, text: str):  # type: ignore[no-untyped-def]
        """The codebook editor opened on ``code_id`` with ``text`` added to its examples."""
        from workbench.gui.dialogs.codebook_editor import CodebookEditorDialog

        editor = CodebookEditorDialog(
            self.window.session.project, self.window.session.coder, self.window
        )
        editor.add_example(code_id, text)
        editor.fields["examples"].setFocus()
        return editor

    def show_dashboards(self) -> None:
        from workbench.gui.dialogs.dashboard import DashboardDialog

        if self._blind("the dashboard"):
            return
        self._dashboard = DashboardDialog(self.window.session.project, self.window)
        self._dashboard.show()

    def export_report(self) -> None:
        from PySide6.QtWidgets import QFileDialog, QInputDialog

        from workbench.gui.workers import start_task
        from workbench.reports.writer import write_report

        if self._blind("a report"):
            return
        kind, ok = QInputDialog.getItem(
            self.window, "Export report", "Report:", ["analysis", "agreement"], 0, False
        )
        if not ok:
            return
        path, _ = QFileDialog.getSaveFileName(
            self.window,
            "Export report",
            f"{kind}-report.html",
            "Reports (*.html *.pdf *.xlsx *.csv)",
        )
        if not path:
            return

        def run(
            project: Project, kind: str, path: str, progress: Progress, cancel: CancelToken
        ) -> Path:
            return write_report(project, kind, path, progress=progress)

        self.window.engine_label.setText(f"Writing the {kind} report…")
        start_task(
            run,
            self.window.session.project,
            kind,
            path,
            owner=self.window,
            on_done=lambda written: self.window.engine_label.setText(
                f"Report written to {written}"
            ),
            on_error=self.window.show_error,
        )

    def toggle_claude(self) -> None:
        """Claude only after the coder says yes to sending; local-only transcripts never go."""
        from workbench.suggest.claude import ClaudeEngine, ClaudeOptions, api_key
        from workbench.suggest.learning import ProjectLocalEngine

        if not self.window.claude_action.isChecked():
            self.window.controller.engine = ProjectLocalEngine(self.window.session.project)
            self.window.engine_label.setText("Using the local engine")
            return
        from workbench.core.roles import engines_allowed

        project = self.window.session.project
        project.forget_cached()  # the lead may have changed it since the window opened
        if "claude" not in engines_allowed(project.settings.extra):
            self.window.sync_engines_allowed()
            self.window.show_error(
                "The lead has not allowed Claude in this project's settings (engines allowed)."
            )
            return
        if not api_key():
            self.window.claude_action.setChecked(False)
            self.window.show_error(
                "No Anthropic API key: set ANTHROPIC_API_KEY and restart, or keep the local engine."
            )
            return
        answer = QMessageBox.question(
            self.window,
            "Send passages to Anthropic?",
            "Claude suggests codes by receiving the passages of the transcripts you open "
            "(never those marked local-only). Continue?",
        )
        if answer != QMessageBox.StandardButton.Yes:
            self.window.claude_action.setChecked(False)
            return
        from workbench.suggest.examples import with_team_examples
        from workbench.suggest.prices import preferred_model

        self.window.controller.engine = ClaudeEngine(
            with_team_examples(self.window.session.project, ClaudeOptions(model=preferred_model()))
        )
        self.window.engine_label.setText(f"Using Claude ({self.window.controller.engine.model})")
        self.window.refetch()

    def choose_claude_model(self) -> None:
        """The Claude model the app (and ``suggest`` without ``--model``) uses, kept per user."""
        from PySide6.QtWidgets import QInputDialog

        from workbench.settings import save_setting
        from workbench.suggest.prices import PRICES, preferred_model

        models = sorted(PRICES)
        current = preferred_model()
        model, ok = QInputDialog.getItem(
            self.window,
            "Claude model",
            "Model for suggestions (priced models only):",
            models,
            models.index(current) if current in models else 0,
            False,
        )
        if ok and model:
            save_setting("claude_model", model)
            self.window.engine_label.setText(f"Claude model: {model}")

    def show_local_quality(self) -> None:
        from workbench.gui.workers import start_task
        from workbench.suggest.learning import evaluate_local

        def run(project: Project, progress: Progress, cancel: CancelToken) -> dict[str, object]:
            return evaluate_local(project)

        def show(report: dict) -> None:  # type: ignore[type-arg]
            from workbench.gui.dialogs.quality_dialog import QualityDialog

            QualityDialog(report, self.window).exec()

        start_task(
            run,
            self.window.session.project,
            owner=self.window,
            on_done=show,
            on_error=self.window.show_error,
        )
