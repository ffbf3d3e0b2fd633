"""The translate dialog counts the plan's tokens with the API on a worker thread before it asks.

The real anthropic SDK talks to a fake API over httpx2.MockTransport that answers
``/v1/messages/count_tokens`` as the API does (or with a 429/500, or holds the request until the
test lets it go) and ``/v1/messages`` with a translation; every request is recorded, so a test
can say what was sent, in which order, and that nothing was sent at all."""

from __future__ import annotations

import json
import re
import threading

import pytest

pytest.importorskip("PySide6")
import httpx2  # noqa: E402
from PySide6.QtCore import QCoreApplication, QThread  # noqa: E402
from PySide6.QtWidgets import QMessageBox, QPushButton  # noqa: E402

from tests.conftest import write  # noqa: E402
from tests.test_gui_translation import (  # noqa: E402
    MODEL,
    TRANSCRIPT,
    current_card,
    open_german,
)
from tests.test_gui_workspace import FixedEngine, make_window  # noqa: E402
from tests.test_translation import GERMAN, FakeAnthropic  # noqa: E402
from workbench.core.store import Project  # noqa: E402
from workbench.core.store.importing import import_transcript_file  # noqa: E402
from workbench.core.store.privacy import set_local_only  # noqa: E402
from workbench.core.tasks import Cancelled, CancelToken  # noqa: E402
from workbench.demo import create_demo_project  # noqa: E402
from workbench.suggest.translation import (  # noqa: E402
    TranslationOptions,
    Translator,
    count_input,
    counting_client,
    estimate,
    plan_translation,
)

pytestmark = pytest.mark.gui

COUNT = "/v1/messages/count_tokens"
SEND = "/v1/messages"
KEY = "sk-test-not-a-real-key"


class FakeAPI:
    """count_tokens and messages as the API answers them; ``status`` makes count_tokens fail,
    ``gate`` holds each count_tokens request until the test sets it."""

    def __init__(self, tokens: int = 50_000, status: int | None = None):
        self.tokens, self.status = tokens, status
        self.gate: threading.Event | None = None
        self.arrived = threading.Event()
        self.calls: list[tuple[str, dict]] = []
        self.translations = FakeAnthropic()

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        self.calls.append((request.url.path, body))
        if request.url.path == COUNT:
            self.arrived.set()
            if self.gate is not None:
                self.gate.wait(timeout=20)
            if self.status is not None:
                kind = "rate_limit_error" if self.status == 429 else "api_error"
                return httpx2.Response(
                    self.status,
                    json={"type": "error", "error": {"type": kind, "message": "no"}},
                    headers={"retry-after-ms": "1"},  # the SDK's retry, without the wait
                )
            return httpx2.Response(200, json={"input_tokens": self.tokens})
        return self.translations(request)

    def paths(self) -> list[str]:
        return [path for path, _ in self.calls]


def wire(window, api: FakeAPI, retries: int = 0) -> None:
    """The app's real clients, built over the fake API instead of the network."""
    flow = window.translation
    flow.counting_client_factory = lambda options: counting_client(
        TranslationOptions(**{**options.__dict__, "max_retries": retries}),
        key=KEY,
        http_client=httpx2.Client(transport=httpx2.MockTransport(api)),
    )
    flow.translator_factory = lambda options: Translator(
        TranslationOptions(**{**options.__dict__, "model": MODEL}),
        http_client_factory=lambda: httpx2.AsyncClient(transport=httpx2.MockTransport(api)),
        key=KEY,
    )


class Coder:
    """Answers the confirmation (QMessageBox.exec, patched) and keeps what it was shown."""

    def __init__(self, answer=QMessageBox.StandardButton.No, png: str | None = None):
        self.answer, self.png = answer, png
        self.texts: list[str] = []
        self.unredacted: str | None = None
        self.on_gui_thread: list[bool] = []

    def __call__(self, box: QMessageBox):
        app_thread = QCoreApplication.instance().thread()
        self.on_gui_thread.append(QThread.currentThread() is app_thread)
        self.texts.append(box.text())
        redact = box.checkBox()
        redact.setChecked(False)  # what the coder sees on unticking redaction
        self.unredacted = box.text()
        redact.setChecked(True)
        if self.png:
            box.show()
            box.grab().save(self.png)
        return self.answer


def tokens_in(text: str) -> int:
    return int(re.search(r"about ([\d,]+) tokens in", text).group(1).replace(",", ""))


def cost_of(text: str) -> float:
    return float(re.search(r"Estimated cost: \$([\d.]+)", text).group(1))


def offline_figures(project, transcript: str) -> dict[str, object]:
    options = TranslationOptions(target_language="en", model=MODEL, redact=True)
    return estimate(plan_translation(project, "en", [transcript], options), options)


@pytest.fixture
def project(tmp_path, monkeypatch):
    """The demo study, opened by a coder who reads English, the model fixed."""
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"coder_languages": ["en"]}), encoding="utf-8")
    monkeypatch.setenv("WORKBENCH_SETTINGS", str(settings))
    project = Project.open(create_demo_project(tmp_path / "demo.wb"))
    yield project
    project.close()


@pytest.fixture
def with_email(project, tmp_path):
    """The demo project plus a German interview that gives an email address."""
    import_transcript_file(project, write(tmp_path / "de_mail.txt", GERMAN))
    return project


def test_with_a_key_the_tokens_are_counted_on_a_worker_then_the_coder_is_asked(
    qtbot, with_email, monkeypatch
):
    coder = Coder(QMessageBox.StandardButton.Yes, png="/tmp/translate_counted.png")
    monkeypatch.setattr(QMessageBox, "exec", lambda box: coder(box))
    api = FakeAPI(tokens=50_000)
    window = make_window(qtbot, with_email, engine=FixedEngine())
    wire(window, api)
    with qtbot.waitSignal(window.controller.suggestions_finished, timeout=20_000):
        window.open_first_transcript("de_mail")
    flow = window.translation

    flow.translate_open()
    # The GUI thread is back before the count: a progress dialog with Cancel, nothing asked yet.
    assert coder.texts == [] and flow.counting is not None
    assert flow.count_dialog.isVisible() and "Counting tokens" in flow.count_dialog.labelText()
    qtbot.waitUntil(lambda: bool(coder.texts), timeout=20_000)
    assert coder.on_gui_thread == [True] and flow.count_dialog is None

    text = coder.texts[0]
    assert "Tokens in: counted by the API (count_tokens)." in text
    assert tokens_in(text) == pytest.approx(50_000, abs=2)  # one request: its count
    assert cost_of(text) > 10 * float(offline_figures(with_email, "de_mail")["cost_usd"])
    # What was counted is what is sent: redacted, local rules applied.
    assert api.paths()[0] == COUNT
    counted = api.calls[0][1]["messages"][0]["content"]
    assert "[EMAIL]" in counted and "lena@example.org" not in counted
    # Unticking redaction re-prices without sending the unredacted text to be counted.
    assert "scaled from the API's count of the redacted text" in coder.unredacted
    assert api.paths().count(COUNT) == 1

    # Only after the yes is anything translated, and it is the redacted text.
    qtbot.waitUntil(lambda: window.passage_model.translations.visible, timeout=20_000)
    assert api.paths() == [COUNT, SEND]
    assert "lena@example.org" not in api.calls[1][1]["messages"][0]["content"]
    assert current_card(window).translation.text.startswith("EN: ")


@pytest.mark.parametrize(
    ("status", "error"), [(429, "RateLimitError"), (500, "InternalServerError")]
)
def test_a_count_tokens_error_falls_back_to_the_offline_estimate_and_says_so(
    qtbot, project, monkeypatch, status, error
):
    coder = Coder(QMessageBox.StandardButton.No, png=f"/tmp/translate_offline_{status}.png")
    monkeypatch.setattr(QMessageBox, "exec", lambda box: coder(box))
    api = FakeAPI(status=status)
    window = make_window(qtbot, project, engine=FixedEngine())
    wire(window, api, retries=1)
    open_german(qtbot, window)

    window.translation.translate_open()
    qtbot.waitUntil(lambda: bool(coder.texts), timeout=20_000)
    text = coder.texts[0]
    assert (
        f"the offline estimate (about 3.5 characters a token), not counted: counting failed ({error})."
        in text
    )
    assert "counted by the API" not in text
    offline = offline_figures(project, TRANSCRIPT)
    assert cost_of(text) == pytest.approx(float(offline["cost_usd"]), abs=1e-4)
    assert tokens_in(text) == offline["input_tokens"]
    assert api.paths() == [COUNT, COUNT]  # the SDK retried once, then the estimate is offline
    assert window.translation.counting is None and window.translation.count_dialog is None


def test_a_local_only_transcript_is_neither_counted_nor_sent(qtbot, project, monkeypatch):
    told: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _p, title, text: told.append(text))
    monkeypatch.setattr(QMessageBox, "exec", lambda box: Coder(QMessageBox.StandardButton.Yes)(box))
    api = FakeAPI()
    window = make_window(qtbot, project, engine=FixedEngine())
    wire(window, api)
    set_local_only(project, [TRANSCRIPT])
    open_german(qtbot, window)

    window.translation.translate_open()
    qtbot.wait(200)  # a worker, had one started, would have reached the transport by now
    assert told and "local-only" in told[0]
    assert api.calls == []  # not even count_tokens: counting sends the text too
    assert window.translation.counting is None and window.translation.task is None


def test_without_a_key_the_estimate_is_offline_and_says_why(qtbot, project, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    coder = Coder(QMessageBox.StandardButton.No)
    monkeypatch.setattr(QMessageBox, "exec", lambda box: coder(box))
    window = make_window(qtbot, project, engine=FixedEngine())
    open_german(qtbot, window)  # the app's own counting client: none without a key

    window.translation.translate_open()
    assert coder.texts and "Tokens in: the offline estimate" in coder.texts[0]
    assert "no Claude API key is set" in coder.texts[0]
    assert window.translation.counting is None


def test_cancel_asks_at_once_with_the_offline_estimate_and_drops_the_late_count(
    qtbot, project, monkeypatch, request
):
    coder = Coder(QMessageBox.StandardButton.No)
    monkeypatch.setattr(QMessageBox, "exec", lambda box: coder(box))
    api = FakeAPI(tokens=50_000)
    api.gate = threading.Event()  # count_tokens is held until the test lets it go
    request.addfinalizer(api.gate.set)  # a failing test leaves no worker waiting behind it
    window = make_window(qtbot, project, engine=FixedEngine())
    wire(window, api)
    open_german(qtbot, window)
    flow = window.translation

    flow.translate_open()
    assert api.arrived.wait(timeout=20)  # the count is in flight
    flow.count_dialog.grab().save("/tmp/translate_counting.png")
    cancel = flow.count_dialog.findChild(QPushButton)
    assert cancel.text() == "Cancel"
    cancel.click()
    # Asked at once, while the request is still held, with the offline figure and why.
    assert len(coder.texts) == 1 and not api.gate.is_set()
    assert (
        "Tokens in: the offline estimate (about 3.5 characters a token), not counted: "
        "counting was cancelled." in coder.texts[0]
    )
    assert cost_of(coder.texts[0]) == pytest.approx(
        float(offline_figures(project, TRANSCRIPT)["cost_usd"]), abs=1e-4
    )
    assert flow.counting is None and flow.count_dialog is None

    api.gate.set()  # the API answers after all: nobody is waiting for it
    qtbot.waitUntil(lambda: not flow._orphans, timeout=20_000)
    qtbot.wait(50)
    assert len(coder.texts) == 1  # no second question
    assert api.paths() == [COUNT]  # and, the coder having said no, nothing translated


def test_count_input_stops_before_its_next_request_when_cancelled(project, tmp_path):
    """Cancel is looked at between requests: the one in flight ends, no other is sent."""
    import_transcript_file(project, write(tmp_path / "de_mail.txt", GERMAN))
    options = TranslationOptions(target_language="en", model=MODEL, chunk_passages=1, redact=True)
    plan = plan_translation(project, "en", ["de_mail"], options)
    assert len(plan.chunks) == 4
    token = CancelToken()
    api = FakeAPI()
    client = counting_client(
        options,
        key=KEY,
        http_client=httpx2.Client(
            transport=httpx2.MockTransport(lambda request: (token.cancel(), api(request))[1])
        ),
    )
    seen: list[tuple[int, int]] = []
    with pytest.raises(Cancelled):
        count_input(
            plan, options, client, lambda done, total, _w: seen.append((done, total)), token
        )
    assert api.paths() == [COUNT] and seen == [(1, 4)]
    # not cancelled, it counts them all (4 requests, under the sample of 5)
    again = count_input(plan, options, client)
    assert again.source == "count_tokens" and (again.counted, again.requests) == (4, 4)


def test_cancelling_a_translation_run_stops_the_request_in_flight_and_sends_no_other(
    project, tmp_path
):
    """After the yes, Cancel stops the run: the request in flight is cancelled (not waited
    for) and the chunks after it are never sent; nothing is stored for them."""
    import asyncio

    import_transcript_file(project, write(tmp_path / "de_mail.txt", GERMAN))
    options = TranslationOptions(
        target_language="en", model=MODEL, chunk_passages=1, concurrency=1, max_retries=0
    )
    plan = plan_translation(project, "en", ["de_mail"], options)
    assert len(plan.chunks) == 4
    token = CancelToken()
    sent: list[str] = []

    async def api(request: httpx2.Request) -> httpx2.Response:
        sent.append(request.url.path)
        token.cancel()  # the coder presses Cancel while this request is out
        try:
            await asyncio.sleep(5)  # an answer that would come far too late
        except asyncio.CancelledError:
            sent.append("cancelled in flight")
            raise
        return httpx2.Response(500)

    translator = Translator(
        options,
        http_client_factory=lambda: httpx2.AsyncClient(transport=httpx2.MockTransport(api)),
        key=KEY,
    )
    stored: list[object] = []
    with pytest.raises(Cancelled):
        translator.run(plan, lambda rows, records: stored.extend(rows), cancel=token)
    assert sent == [SEND, "cancelled in flight"] and stored == []
