"""The workspace with a machine translation: a German transcript opened by a coder who reads
English shows the stored translation under each passage, Ctrl+T hides it, and every decision
records whether it was on screen. The translations here are written by hand for the test (no
API is called), stored the way the translator stores them."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("PySide6")
import httpx2  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QMessageBox  # noqa: E402
from sqlalchemy import select  # noqa: E402

from tests.test_gui_workspace import FixedEngine, make_window  # noqa: E402
from tests.test_translation import FakeAnthropic  # noqa: E402
from workbench.core.store import Project, schema  # noqa: E402
from workbench.core.store.queries import list_transcripts, passages_of  # noqa: E402
from workbench.core.store.translations import StoredTranslation, save_translations  # noqa: E402
from workbench.demo import create_demo_project  # noqa: E402
from workbench.suggest.translation import TranslationOptions, Translator  # noqa: E402

pytestmark = pytest.mark.gui

TRANSCRIPT = "de_labor_zuerich"
MODEL = "claude-opus-5-5"
# Hand translations of resources/sample-study/de_labor_zuerich.md, passage by passage.
ENGLISH = [  # the '# Interview de_labor_zuerich' heading is the title, not a passage
    "Good afternoon, and thank you for taking the time. I would like to understand how you use "
    "AI in your research. Shall we begin?",
    "Yes, gladly.",
    "What are you working on at the moment, and where does AI come into it?",
    "I am a postdoc in structural biology. I use AI mainly to write scripts for data analysis "
    "and to summarise literature. An analysis script in Python used to take me two days; "
    "today it takes two hours. I never thought that I, as a biologist, would build my own "
    "analysis pipelines.",
    "Do you trust the results?",
    "No, not blindly. With the literature, the model twice gave me sources that do not exist. "
    "Since then I check every reference in PubMed. I test code on known data sets before I let "
    "it loose on real measurements.",
    "How do your colleagues react to it?",
    "Mixed. My group leader thinks it is fine as long as everything is documented. But in "
    "reviews I would not mention that a script was written with AI. Some consider that "
    "unprofessional.",
    "Is there anything that worries you?",
    "The doctoral students. I see that they no longer really learn statistics, because the model "
    "explains and calculates everything for them. When something goes wrong, they do not notice.",
    "Thank you very much for the conversation.",
]


@pytest.fixture
def project(tmp_path, monkeypatch):
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"coder_languages": ["en"]}), encoding="utf-8")
    monkeypatch.setenv("WORKBENCH_SETTINGS", str(settings))
    project = Project.open(create_demo_project(tmp_path / "demo.wb"))
    yield project
    project.close()


def german_passages(project):
    with project.reading() as conn:
        tid = next(t.id for t in list_transcripts(conn) if t.external_id == TRANSCRIPT)
        return list(passages_of(conn, [tid]))


def store_translations(project):
    passages = german_passages(project)
    assert len(passages) == len(ENGLISH)
    with project.transaction() as conn:
        save_translations(
            conn,
            [
                StoredTranslation(p.id, "en", "de", text, "claude", MODEL)
                for p, text in zip(passages, ENGLISH, strict=True)
            ],
        )


def open_german(qtbot, window):
    with qtbot.waitSignal(window.controller.suggestions_finished, timeout=20_000):
        window.open_first_transcript(TRANSCRIPT)
    qtbot.wait(20)


def current_card(window):
    from workbench.gui.models.passage_model import CardRole

    return window.passage_view.list.currentIndex().data(CardRole)


def last_decision(project):
    d = schema.decisions
    with project.reading() as conn:
        return conn.execute(
            select(d.c.passage_id, d.c.translation_shown).order_by(d.c.id.desc())
        ).first()


def test_a_german_transcript_shows_its_translation_to_an_english_reader(qtbot, project):
    store_translations(project)
    window = make_window(qtbot, project, engine=FixedEngine())
    open_german(qtbot, window)
    model = window.passage_model
    assert model.translations.language == "de" and model.translations.visible
    card = current_card(window)
    assert card.passage.coded and card.translation is not None
    assert card.translation.text in ENGLISH and card.translation.model == MODEL
    qtbot.keyClick(window.passage_view.list, Qt.Key.Key_J)  # to the first long answer
    assert current_card(window).translation.text == ENGLISH[3]
    window.grab().save("/tmp/translated.png")  # the screenshot for the notes (1400x900)

    # Coding the original with the translation on screen records that it was shown.
    qtbot.keyClick(window.passage_view.list, Qt.Key.Key_0)
    first = last_decision(project)
    assert first.translation_shown is True

    # Ctrl+T hides it; the next decision records that it was not shown.
    qtbot.keyClick(window.passage_view.list, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    assert not model.translations.visible
    assert current_card(window).translation is None
    qtbot.keyClick(window.passage_view.list, Qt.Key.Key_0)
    second = last_decision(project)
    assert second.passage_id != first.passage_id and second.translation_shown is False


def test_the_key_hint_names_ctrl_t_only_for_a_transcript_with_a_translation(qtbot, project):
    from workbench.gui.window_actions import key_table

    store_translations(project)
    window = make_window(qtbot, project, engine=FixedEngine())
    hint = window.passage_view.hint
    with qtbot.waitSignal(window.controller.suggestions_finished, timeout=20_000):
        window.open_first_transcript("fr_illustratrice_lyon")  # no translation stored
    assert not window.passage_model.translations.available
    assert "Ctrl+T" not in hint.text() and "J/K next/previous" in hint.text()
    open_german(qtbot, window)
    assert hint.text().endswith(" · Ctrl+T machine translation")
    window.passage_view.grab().save("/tmp/translation_hint.png")
    # hiding the translation keeps the hint: Ctrl+T is how it comes back
    qtbot.keyClick(window.passage_view.list, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    assert "Ctrl+T machine translation" in hint.text()
    # F1 lists it with the action's name
    assert ("Ctrl+T", "Machine translation: show or hide") in key_table(window)


def test_a_reader_of_german_is_not_shown_the_translation(qtbot, project, tmp_path, monkeypatch):
    settings = tmp_path / "reads-german.json"
    settings.write_text(json.dumps({"coder_languages": ["en", "de"]}), encoding="utf-8")
    monkeypatch.setenv("WORKBENCH_SETTINGS", str(settings))
    store_translations(project)
    window = make_window(qtbot, project, engine=FixedEngine())
    open_german(qtbot, window)
    assert window.passage_model.translations.available
    assert not window.passage_model.translations.visible
    assert current_card(window).translation is None
    qtbot.keyClick(window.passage_view.list, Qt.Key.Key_0)
    assert last_decision(project).translation_shown is False  # one existed, hidden


def test_translate_this_transcript_asks_then_translates_on_a_worker(qtbot, project, monkeypatch):
    asked: list[str] = []

    def answer_yes(box):
        asked.append(box.text())
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "exec", answer_yes)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)  # no key: nothing counted online
    api = FakeAnthropic()
    window = make_window(qtbot, project, engine=FixedEngine())
    window.translation.translator_factory = lambda options: Translator(
        TranslationOptions(**{**options.__dict__, "model": MODEL}),
        http_client_factory=lambda: httpx2.AsyncClient(transport=httpx2.MockTransport(api)),
        key="sk-test-not-a-real-key",
    )
    open_german(qtbot, window)
    assert not window.passage_model.translations.available
    assert "Ctrl+T" not in window.passage_view.hint.text()
    window.translation.translate_open()
    assert asked and "Estimated cost: $" in asked[0] and "into en" in asked[0]
    qtbot.waitUntil(lambda: window.passage_model.translations.visible, timeout=20_000)
    assert "Ctrl+T machine translation" in window.passage_view.hint.text()
    assert len(api.bodies) == 1
    sent = api.bodies[0]["messages"][0]["content"]
    assert "Strukturbiologie" in sent
    card = current_card(window)
    assert card.translation is not None and card.translation.text.startswith("EN: ")
