"""A worker's result, error or progress that arrives after its window or dialog was deleted is
dropped, not delivered to a deleted C++ object.

Each test holds the worker until its owner is gone, then lets it finish. A callback that still
ran would touch the deleted widget and raise "Internal C++ object already deleted" inside the Qt
event loop, which pytest-qt reports as a failure of the test by itself."""

from __future__ import annotations

import json
import threading

import pytest

pytest.importorskip("PySide6")
import httpx2  # noqa: E402
import shiboken6  # noqa: E402
from PySide6.QtCore import QObject  # noqa: E402
from PySide6.QtWidgets import QLabel, QMessageBox  # noqa: E402

from tests.test_gui_translate_count import FakeAPI, wire  # noqa: E402
from tests.test_gui_translation import open_german  # noqa: E402
from tests.test_gui_workspace import FixedEngine  # noqa: E402
from tests.test_translation import FakeAnthropic  # noqa: E402
from workbench.core.session import CodingSession  # noqa: E402
from workbench.core.store import Project  # noqa: E402
from workbench.core.tasks import CancelToken  # noqa: E402
from workbench.demo import create_demo_project  # noqa: E402
from workbench.gui.main_window import MainWindow  # noqa: E402
from workbench.gui.workers import start_task  # noqa: E402

pytestmark = pytest.mark.gui

DESTROYED = "2destroyed(QObject*)"  # what SIGNAL("destroyed(QObject*)") spells


def slow(gate: threading.Event, progress, cancel: CancelToken) -> str:  # type: ignore[no-untyped-def]
    """A task that reports progress, then waits for the test before it answers."""
    progress(1, 2, "started")
    assert gate.wait(timeout=20)
    progress(2, 2, "done")
    return "result"


def failing(gate: threading.Event, progress, cancel: CancelToken) -> str:  # type: ignore[no-untyped-def]
    assert gate.wait(timeout=20)
    raise ValueError("the disk is full")


def touching(label: QLabel, seen: list[str]):  # type: ignore[no-untyped-def]
    """A callback as the app writes them: it updates the owner's widget."""

    def callback(*args: object) -> None:
        label.setText(repr(args))
        seen.append(label.text())

    return callback


@pytest.fixture
def gate(request) -> threading.Event:
    event = threading.Event()
    request.addfinalizer(event.set)  # a failing test leaves no worker waiting behind it
    return event


@pytest.mark.parametrize("function", [slow, failing])
def test_callbacks_are_dropped_once_the_owner_is_deleted(qtbot, gate, function):
    owner = QLabel("waiting")
    seen: list[str] = []
    callback = touching(owner, seen)
    task = start_task(
        function,
        gate,
        owner=owner,
        on_done=callback,
        on_error=callback,
        on_progress=callback,
        on_cancelled=callback,
    )
    shiboken6.delete(owner)
    assert task.token.cancelled  # nothing is left to show its result: the task is asked to stop
    gate.set()
    qtbot.waitUntil(lambda: task.done, timeout=20_000)
    qtbot.wait(50)  # the queued result reaches the GUI thread, and is dropped there
    assert seen == []


def test_with_the_owner_alive_every_callback_runs_and_the_owner_is_let_go(qtbot, gate):
    owner = QLabel("waiting")
    seen: list[str] = []
    callback = touching(owner, seen)
    task = start_task(slow, gate, owner=owner, on_done=callback, on_progress=callback)
    watching = owner.receivers(DESTROYED)  # PySide adds one of its own on the first connect
    gate.set()
    qtbot.waitUntil(lambda: len(seen) == 3, timeout=20_000)
    assert seen == ["(1, 2, 'started')", "(2, 2, 'done')", "('result',)"]
    assert owner.text() == "('result',)" and not task.token.cancelled
    # The finished task holds nothing on its owner: a long-lived owner (the project watcher
    # polls every few seconds) gathers no connections.
    assert owner.receivers(DESTROYED) == watching - 1


def test_a_deleted_plain_qobject_owner_drops_its_callbacks_too(qtbot, gate):
    owner = QObject()
    seen: list[object] = []
    task = start_task(slow, gate, owner=owner, on_done=seen.append)
    owner.deleteLater()
    qtbot.waitUntil(lambda: not shiboken6.isValid(owner))  # an event loop runs deleteLater
    gate.set()
    qtbot.waitUntil(lambda: task.done, timeout=20_000)
    qtbot.wait(50)
    assert seen == []


@pytest.fixture
def project(tmp_path, monkeypatch):
    """The demo study, opened by a coder who reads English (the German transcript is foreign)."""
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"coder_languages": ["en"]}), encoding="utf-8")
    monkeypatch.setenv("WORKBENCH_SETTINGS", str(settings))
    project = Project.open(create_demo_project(tmp_path / "demo.wb"))
    yield project
    project.close()


def window_on(qtbot, project: Project) -> MainWindow:
    """A window this test deletes itself (not qtbot's: it would close the deleted window)."""
    window = MainWindow(CodingSession(project, "ana"), FixedEngine())
    window.setProperty("quiet_errors", True)
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    open_german(qtbot, window)
    return window


def delete(window: MainWindow) -> None:
    window.close()
    shiboken6.delete(window)


def test_a_translation_finishing_after_its_window_was_deleted_is_dropped(
    qtbot, project, monkeypatch, gate
):
    monkeypatch.setattr(QMessageBox, "exec", lambda box: QMessageBox.StandardButton.Yes)
    translations, arrived = FakeAnthropic(), threading.Event()

    def held(request: httpx2.Request) -> httpx2.Response:
        arrived.set()
        assert gate.wait(timeout=20)
        return translations(request)

    api = FakeAPI()
    api.translations = held  # type: ignore[assignment]
    window = window_on(qtbot, project)
    wire(window, api)
    flow = window.translation
    flow.counting_client_factory = lambda options: None  # no count: straight to the question
    flow.translate_open()
    assert arrived.wait(timeout=20)  # the first chunk is out
    task = flow.task
    assert task is not None and flow.progress is not None

    delete(window)  # with its progress dialog
    assert task.token.cancelled
    gate.set()
    qtbot.waitUntil(lambda: task.done, timeout=20_000)
    qtbot.wait(50)  # the late progress and result reach the GUI thread and are dropped


def test_a_token_count_ending_after_its_window_was_deleted_is_dropped(
    qtbot, project, monkeypatch, gate
):
    asked: list[str] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: asked.append(box.text()))
    api = FakeAPI(tokens=50_000)
    api.gate = gate  # count_tokens is held until the window is gone
    window = window_on(qtbot, project)
    wire(window, api)
    flow = window.translation
    flow.translate_open()
    assert api.arrived.wait(timeout=20)
    task = flow.counting
    assert task is not None and flow.count_dialog is not None

    delete(window)  # with its "Counting tokens" dialog
    gate.set()
    qtbot.waitUntil(lambda: task.done, timeout=20_000)
    qtbot.wait(50)
    assert asked == []  # nobody is asked to send a transcript from a window that is gone
    assert "/v1/messages" not in api.paths()
