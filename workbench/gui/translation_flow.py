"""The app's side of coding across languages: show or hide the machine translation, choose the
languages the coder reads, and translate the open transcript (cost first, then a worker thread
with progress and Cancel).

Nothing is sent before the coder has seen what goes, to whom, and the estimated cost; a
local-only transcript is refused with a message and never sent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QCheckBox, QInputDialog, QMessageBox, QProgressDialog

from workbench.core.tasks import CancelToken, Progress
from workbench.gui.workers import Task, start_task
from workbench.settings import coder_languages, save_setting

if TYPE_CHECKING:
    from workbench.gui.main_window import MainWindow
    from workbench.suggest.translation import TranslationOptions, Translator


class TranslationFlow(QObject):
    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.task: Task | None = None
        self.progress: QProgressDialog | None = None
        # Tests hand in a translator over a fake API; the app builds the real one.
        self.translator_factory: Callable[[TranslationOptions], Translator] | None = None

    # -- showing ----------------------------------------------------------------------------------

    def toggle(self) -> None:
        model = self.window.passage_model
        if not model.translations.available:
            self.window.show_error(
                "No machine translation is stored for this transcript: "
                "Suggestions ▸ Translate this transcript… makes one"
            )
            return
        model.set_translation_visible(not model.translations.visible)
        state = "shown" if model.translations.visible else "hidden"
        self.window.saved_label.setText(f"Machine translation {state} (Ctrl+T)")

    def choose_languages(self) -> None:
        current = ", ".join(coder_languages())
        text, ok = QInputDialog.getText(
            self.window,
            "Languages I read",
            "Languages you read, comma-separated (e.g. en, de). A transcript in any other "
            "language shows its machine translation, where one is stored:",
            text=current,
        )
        if not ok:
            return
        from workbench.core.language import normalise_language

        try:
            languages = [normalise_language(p) for p in text.split(",") if p.strip()]
        except ValueError as exc:
            self.window.show_error(f"Languages I read: {exc}")
            return
        save_setting("coder_languages", languages)
        self.window.passage_model.reload_translations()

    # -- translating --------------------------------------------------------------------------------

    def translate_open(self) -> None:
        """Estimate, ask, then translate the open transcript on a worker thread."""
        from workbench.core.errors import WorkbenchError
        from workbench.suggest.prices import preferred_model
        from workbench.suggest.translation import (
            TranslationOptions,
            estimate,
            plan_translation,
        )

        window = self.window
        project = window.session.project
        model = window.passage_model
        first = model.passage(0)
        if first is None:
            window.show_error("Open a transcript first")
            return
        if project.read_only:
            window.show_error("This project is open read-only: nothing can be stored")
            return
        if self.task is not None and not self.task.done:
            window.show_error("A translation is already running")
            return
        transcript = first.transcript_id
        reads = coder_languages()
        target = reads[0] if reads else "en"
        try:
            options = TranslationOptions(target_language=target, model=preferred_model())
            plan = plan_translation(project, target, [transcript], options)
            figures = estimate(plan, options)
        except WorkbenchError as exc:
            window.show_error(str(exc))
            return
        if plan.local_only:
            QMessageBox.information(
                window,
                "Local-only transcript",
                f"{transcript} is local-only: it is never sent to Anthropic, so it cannot be "
                "machine-translated.",
            )
            return
        if plan.same_language:
            QMessageBox.information(
                window, "Nothing to translate", f"{transcript} is already in {target}."
            )
            return
        if not plan.chunks:
            QMessageBox.information(
                window, "Already translated", f"{transcript} is already translated into {target}."
            )
            model.reload_translations()
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Translate this transcript?",
            f"Send {figures['passages']} passages of {transcript} to Anthropic "
            f"({options.model}) for a machine translation into {target}?\n\n"
            f"Estimated cost: ${figures['cost_usd']:.4f} in {figures['requests']} requests "
            "(offline estimate). The translation is stored in the project, marked as machine "
            "translation; you still code the original.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            window,
        )
        # Parented to the box, so Qt and Python agree on who deletes it; the box goes when asked.
        redact = QCheckBox("Redact emails, phone numbers and URLs before sending", box)
        redact.setChecked(True)
        box.setCheckBox(redact)
        answer = box.exec()
        redacting = redact.isChecked()
        box.deleteLater()
        if answer != QMessageBox.StandardButton.Yes:
            return
        if redacting:
            from dataclasses import replace

            options = replace(options, redact=True)
            plan = plan_translation(project, target, [transcript], options)
        self._start(plan, options)

    def _start(self, plan, options) -> None:  # type: ignore[no-untyped-def]
        from workbench.suggest.translation import Translator, translate_project

        project = self.window.session.project
        translator = (self.translator_factory or Translator)(options)

        def work(progress: Progress, cancel: CancelToken):  # type: ignore[no-untyped-def]
            return translate_project(project, plan, translator, progress, cancel)

        dialog = QProgressDialog(
            f"Translating into {options.target_language}…", "Cancel", 0, plan.passages, self.window
        )
        dialog.setWindowTitle("Machine translation")
        dialog.setWindowModality(Qt.WindowModality.NonModal)
        dialog.setMinimumDuration(0)
        dialog.setValue(0)
        self.progress = dialog
        self.task = start_task(
            work,
            on_done=self._done,
            on_error=self._failed,
            on_progress=lambda done, _total, _what: dialog.setValue(done),
            on_cancelled=lambda: self._finished("Translation cancelled: what arrived is kept"),
        )
        dialog.canceled.connect(self.task.cancel)

    def _done(self, run) -> None:  # type: ignore[no-untyped-def]
        message = f"Translated {run.translated} passages (${run.cost_usd:.4f})"
        if run.failed:
            message += f"; {len(run.failed)} chunks failed: {run.failed[0]}"
        self._finished(message)
        model = self.window.passage_model
        model.reload_translations()
        if model.translations.available and not model.translations.visible:
            model.set_translation_visible(True)  # the coder asked for it: show it

    def _failed(self, message: str) -> None:
        self._finished("")
        self.window.show_error(f"Translation failed: {message}")

    def _finished(self, message: str) -> None:
        if self.progress is not None:
            # Done with it: closed and deleted now, not left as a hidden child of the window
            # for a later restyle or teardown to trip over.
            self.progress.canceled.disconnect()
            self.progress.close()
            self.progress.deleteLater()
            self.progress = None
        if message:
            self.window.saved_label.setText(message)
