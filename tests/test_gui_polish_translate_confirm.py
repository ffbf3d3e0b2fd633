"""The translate confirmation names its buttons by what they do, the price on the one that
sends; Cancel is the default and Esc closes the box without sending anything."""

from __future__ import annotations

import json
import re

import pytest

pytest.importorskip("PySide6")
from PySide6.QtCore import Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QMessageBox  # noqa: E402

from tests.test_gui_workspace import FixedEngine, make_window  # noqa: E402
from workbench.core.store import Project  # noqa: E402
from workbench.demo import create_demo_project  # noqa: E402
from workbench.gui.translation_flow import dollars  # noqa: E402

pytestmark = pytest.mark.gui

TRANSCRIPT = "de_labor_zuerich"  # German, in the demo study; the coder reads English


@pytest.fixture
def project(tmp_path, monkeypatch):
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"coder_languages": ["en"]}), encoding="utf-8")
    monkeypatch.setenv("WORKBENCH_SETTINGS", str(settings))
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    project = Project.open(create_demo_project(tmp_path / "demo.wb"))
    yield project
    project.close()


def test_the_buttons_say_what_they_do_and_esc_sends_nothing(qtbot, project, tmp_path):
    window = make_window(qtbot, project, engine=FixedEngine())
    translators: list[object] = []
    window.translation.counting_client_factory = lambda options: None  # offline estimate
    window.translation.translator_factory = lambda options: translators.append(options)
    with qtbot.waitSignal(window.controller.suggestions_finished, timeout=20_000):
        window.open_first_transcript(TRANSCRIPT)
    seen: dict[str, object] = {}

    def answer_with_esc() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, answer_with_esc)  # not shown yet
            return
        seen["buttons"] = sorted(button.text() for button in box.buttons())
        seen["default"] = box.defaultButton().text()
        seen["text"] = box.text()
        box.checkBox().setChecked(False)  # re-priced unredacted: the button follows
        seen["unredacted"] = (box.text(), box.button(QMessageBox.StandardButton.Yes).text())
        box.checkBox().setChecked(True)
        box.grab().save(str(tmp_path / "translate-confirm.png"))  # looked at by hand too
        qtbot.keyClick(box, Qt.Key.Key_Escape)

    QTimer.singleShot(0, answer_with_esc)
    window.translation.translate_open()  # returns once the box is answered

    cost = float(re.search(r"Estimated cost: \$([\d.]+)", seen["text"]).group(1))
    send = f"Translate and pay {dollars(cost)}"
    assert seen["buttons"] == sorted(["Cancel", send])
    assert seen["default"] == "Cancel"
    text, label = seen["unredacted"]
    unredacted_cost = float(re.search(r"Estimated cost: \$([\d.]+)", text).group(1))
    assert label == f"Translate and pay {dollars(unredacted_cost)}"
    # Esc answered Cancel: no translator was made, no task started, nothing stored
    assert translators == [] and window.translation.task is None
    assert not window.passage_model.translations.available


def test_a_price_on_a_button_is_cents_and_never_reads_free() -> None:
    assert dollars(1.234) == "about $1.23"
    assert dollars(0.0103) == "about $0.01"
    assert dollars(0.0049) == "less than $0.01"
    assert dollars(0.0) == "less than $0.01"
