"""The app's side of coding across languages: show or hide the machine translation, choose the
languages the coder reads, and translate the open transcript (cost first, then a worker thread
with progress and Cancel).

Nothing is sent before the coder has seen what goes, to whom, and the estimated cost; a
local-only transcript is refused with a message and never sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QCheckBox, QInputDialog, QMessageBox, QProgressDialog

from workbench.core.tasks import Cancelled, CancelToken, Progress
from workbench.gui.workers import Task, start_task
from workbench.settings import coder_languages, save_setting

if TYPE_CHECKING:
    from anthropic import Anthropic

    from workbench.gui.main_window import MainWindow
    from workbench.suggest.translation import TranslationOptions, Translator
    from workbench.suggest.translation_plan import TranslationPlan
    from workbench.suggest.translation_request import TokenCount

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Asked:
    """What the coder is about to be asked to send: planned redacted, as sent by default."""

    transcript: str
    options: TranslationOptions
    plan: TranslationPlan


class TranslationFlow(QObject):
    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.task: Task | None = None
        self.progress: QProgressDialog | None = None
        self.counting: Task | None = None  # the count the coder is waiting for
        self.count_dialog: QProgressDialog | None = None
        self._orphans: list[Task] = []  # cancelled counts still finishing a request
        # Tests hand in a translator and a counting client over a fake API; the app builds
        # the real ones (no key: no counting client, and the estimate is offline).
        self.translator_factory: Callable[[TranslationOptions], Translator] | None = None
        self.counting_client_factory: Callable[[TranslationOptions], Anthropic | None] | None = None

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
        """Plan, count the tokens (on a worker, when a key is set), ask, then translate the open
        transcript on a worker thread. Nothing is translated before the coder says yes."""
        from workbench.core.errors import WorkbenchError
        from workbench.suggest.prices import preferred_model
        from workbench.suggest.translation import TranslationOptions, plan_translation
        from workbench.suggest.translation_request import TokenCount, counting_client

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
        if self.counting is not None:
            window.show_error("The tokens of a translation are being counted")
            return
        transcript = first.transcript_id
        reads = coder_languages()
        target = reads[0] if reads else "en"
        try:
            # Redacted, as it is sent by default: counting sends the text too, so what is
            # counted must be no more than what the coder would send.
            options = TranslationOptions(
                target_language=target, model=preferred_model(), redact=True
            )
            plan = plan_translation(project, target, [transcript], options)
        except WorkbenchError as exc:
            window.show_error(str(exc))
            return
        if plan.local_only:  # before any client is made: nothing is counted or sent
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
        asked = _Asked(transcript, options, plan)
        client = (self.counting_client_factory or counting_client)(options)
        if client is None:
            self._confirm(asked, TokenCount(requests=len(plan.chunks)), "no Claude API key is set")
            return
        self._count(asked, client)

    def _count(self, asked: _Asked, client: Anthropic) -> None:
        """Count the plan's input with the API on a worker; the coder can cancel and go on
        with the offline estimate at once (a request already in flight is left to finish,
        its answer unread)."""
        from workbench.suggest.translation_request import TokenCount, count_input

        requests = len(asked.plan.chunks)

        def work(progress: Progress, cancel: CancelToken) -> TokenCount:
            try:
                return count_input(asked.plan, asked.options, client, progress, cancel)
            except Cancelled:
                raise
            except Exception as exc:  # counting is optional: any failure falls back, logged
                log.exception("counting the translation's tokens failed")
                return TokenCount(requests=requests, error=exc.__class__.__name__)
            finally:
                client.close()

        dialog = QProgressDialog("Counting tokens with the API…", "Cancel", 0, 0, self.window)
        dialog.setWindowTitle("Machine translation")
        dialog.setWindowModality(Qt.WindowModality.NonModal)
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.show()  # a busy bar (range 0..0) is not shown by setValue
        self.count_dialog = dialog

        def counted(count: TokenCount) -> None:
            self._counted(task, asked, count, None)

        def failed(message: str) -> None:
            self._counted(
                task, asked, TokenCount(requests=requests), f"counting failed ({message})"
            )

        def progressed(done: int, total: int, _what: str) -> None:
            if self.counting is task:
                dialog.setLabelText(f"Counting tokens with the API… {done} of {total} counted")

        task = start_task(
            work,
            owner=self,
            on_done=counted,
            on_error=failed,
            on_progress=progressed,
            on_cancelled=lambda: self._counted(task, asked, TokenCount(), "cancelled"),
        )
        self.counting = task
        dialog.canceled.connect(lambda: self._cancel_count(task, asked))

    def _cancel_count(self, task: Task, asked: _Asked) -> None:
        """Stop waiting now: the worker stops before its next request, and its answer, if one
        still comes, is dropped; the coder is asked with the offline estimate."""
        from workbench.suggest.translation_request import TokenCount

        if self.counting is not task:
            return
        task.cancel()
        self._orphans.append(task)  # kept alive until its thread ends
        self._counted(
            task, asked, TokenCount(requests=len(asked.plan.chunks)), "counting was cancelled"
        )

    def _counted(self, task: Task, asked: _Asked, count: TokenCount, why: str | None) -> None:
        if self.counting is not task:  # a cancelled count ending late: nobody waits for it
            if task in self._orphans and task.done:
                self._orphans.remove(task)
            return
        self.counting = None
        self._close_count_dialog()
        if count.error is not None:
            why = f"counting failed ({count.error})"
        self._confirm(asked, count, why)

    def _close_count_dialog(self) -> None:
        dialog, self.count_dialog = self.count_dialog, None
        if dialog is not None:
            dialog.canceled.disconnect()  # closing emits canceled
            dialog.close()
            dialog.deleteLater()

    def _confirm(self, asked: _Asked, count: TokenCount, why: str | None) -> None:
        """Show what goes, to whom, and the cost with where its figure comes from; translate
        only on yes. Unticking redaction re-prices the unredacted plan without counting it
        (that would send the text the coder is still deciding about)."""
        from dataclasses import replace

        from workbench.suggest.translation import plan_translation

        window = self.window
        plans = {True: (asked.options, asked.plan)}

        def chosen(redacting: bool) -> tuple[TranslationOptions, TranslationPlan]:
            if redacting not in plans:
                options = replace(asked.options, redact=redacting)
                project = window.session.project
                plans[redacting] = (
                    options,
                    plan_translation(project, options.target_language, [asked.transcript], options),
                )
            return plans[redacting]

        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Translate this transcript?",
            "",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            window,
        )
        # The buttons say what they do, the price on the one that spends; Cancel is the
        # default, so Enter pressed out of habit sends nothing, and Esc is Cancel too.
        send = box.button(QMessageBox.StandardButton.Yes)
        cancel = box.button(QMessageBox.StandardButton.No)
        cancel.setText("Cancel")
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.setEscapeButton(QMessageBox.StandardButton.No)
        # Parented to the box, so Qt and Python agree on who deletes it; the box goes when asked.
        redact = QCheckBox("Redact emails, phone numbers and URLs before sending", box)
        redact.setChecked(True)
        box.setCheckBox(redact)

        def describe(redacting: bool) -> None:
            options, plan = chosen(redacting)
            box.setText(confirmation(asked.transcript, options, plan, count, why, redacting))
            send.setText(send_label(plan, options, count))

        describe(True)
        redact.toggled.connect(describe)
        answer = box.exec()
        redacting = redact.isChecked()
        box.deleteLater()
        if answer != QMessageBox.StandardButton.Yes:
            return
        options, plan = chosen(redacting)
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
            owner=self,
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


def send_label(plan: TranslationPlan, options: TranslationOptions, count: TokenCount) -> str:
    """The button that sends, with the price the question states: "Yes" did not say that
    saying yes spends money."""
    from workbench.suggest.translation_request import priced

    cost = float(priced(plan, options, count)["cost_usd"])  # type: ignore[arg-type]
    return f"Translate and pay {dollars(cost)}"


def dollars(cost: float) -> str:
    """A price for a button: cents are enough there (the question gives four decimals), and a
    sub-cent cost is not rounded to "$0.00", which would read as free."""
    if cost < 0.01:
        return "less than $0.01"
    return f"about ${cost:.2f}"


def confirmation(
    transcript: str,
    options: TranslationOptions,
    plan: TranslationPlan,
    count: TokenCount,
    why: str | None,
    redacting: bool,
) -> str:
    """The question the coder answers, with the cost and, in words, where its figure comes
    from: counted by the API, or the offline estimate and why (no key, counting failed, the
    coder cancelled it)."""
    from workbench.suggest.translation_request import COUNTED_SOURCE, priced

    figures = priced(plan, options, count)
    counted = count.source == COUNTED_SOURCE
    if counted and redacting:
        sample = (
            ""
            if count.counted >= count.requests
            else f", {count.counted} of {count.requests} requests, the rest scaled from them"
        )
        source = f"Tokens in: counted by the API (count_tokens{sample})."
    elif counted:
        source = (
            "Tokens in: scaled from the API's count of the redacted text (the unredacted text "
            "is not sent, even to be counted, before you say yes)."
        )
    else:
        source = (
            "Tokens in: the offline estimate (about 3.5 characters a token), not counted: "
            f"{why or 'no reason given'}."
        )
    requests = figures["requests"]
    return (
        f"Send {figures['passages']} passages of {transcript} to Anthropic "
        f"({options.model}) for a machine translation into {options.target_language}?\n\n"
        f"Estimated cost: ${figures['cost_usd']:.4f} in {requests} "
        f"request{'' if requests == 1 else 's'}, about {figures['input_tokens']:,} tokens in "
        f"and {figures['output_tokens']:,} out.\n"
        f"{source}\nTokens out: always estimated offline.\n\n"
        "The translation is stored in the project, marked as machine translation; you still "
        "code the original."
    )
