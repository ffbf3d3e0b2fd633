"""The coding workspace, driven offscreen with pytest-qt as a coder would drive it."""

from __future__ import annotations

import threading
import time

import pytest

pytest.importorskip("PySide6")
from PySide6.QtCore import Qt  # noqa: E402
from sqlalchemy import select  # noqa: E402

from tests.conftest import REPO  # noqa: E402
from workbench.core.session import CodingSession  # noqa: E402
from workbench.core.store import Project, schema  # noqa: E402
from workbench.core.store.coding import CodingState  # noqa: E402
from workbench.demo import create_demo_project  # noqa: E402
from workbench.gui.main_window import MainWindow  # noqa: E402
from workbench.gui.models.codebook_model import CodebookTreeModel  # noqa: E402
from workbench.gui.models.passage_model import PassageListModel  # noqa: E402
from workbench.gui.models.transcript_model import TranscriptTableModel  # noqa: E402
from workbench.suggest.engine import Suggestion  # noqa: E402
from workbench.suggest.local import LocalEngine  # noqa: E402

pytestmark = pytest.mark.gui


class FixedEngine:
    """Suggests the same two codes for every passage, quoting its first words as evidence."""

    name, model, prompt_version, rater = "fixed", "fixed-1", "p1", "fixed"
    sends_text = learns = False

    def __init__(self, delay: float = 0.0):
        self.delay = delay
        self.calls = 0

    def suggest(self, passages, codebook, progress=None, cancel=None):
        self.calls += 1
        self.thread = threading.get_ident()
        found = []
        for done, passage in enumerate(passages, start=1):
            if self.delay:
                time.sleep(self.delay)
            if cancel is not None:
                cancel.raise_if_cancelled()
            quote = passage.text[: min(20, len(passage.text))]
            for code, confidence in (("hope.time", 0.8), ("prod.speed", 0.6)):
                found.append(
                    Suggestion(
                        passage.passage_id,
                        code,
                        confidence,
                        quote,
                        0,
                        len(quote),
                        "test",
                        self.name,
                        self.model,
                        self.prompt_version,
                    )
                )
            if progress is not None:
                progress(done, len(passages), "fixed")
        return found


@pytest.fixture
def project(tmp_path):
    location = create_demo_project(tmp_path / "demo.wb")
    project = Project.open(location)
    yield project
    project.close()


def make_window(qtbot, project, coder="ana", engine=None):
    from PySide6.QtWidgets import QApplication

    from workbench.gui.theme import apply_theme

    apply_theme(QApplication.instance())
    window = MainWindow(CodingSession(project, coder), engine or FixedEngine())
    window.setProperty("quiet_errors", True)
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    return window


# Its first participant passage has something to code: the others open on an acknowledgement
# ("no", "Sounds good!"), on which no engine suggests (workbench/core/abstain.py).
def open_and_wait(qtbot, window, external_id="es_enfermero_sevilla"):
    with qtbot.waitSignal(window.controller.suggestions_finished, timeout=20_000):
        window.open_first_transcript(external_id)
    qtbot.wait(20)


def key(qtbot, window, k, modifier=Qt.KeyboardModifier.NoModifier):
    qtbot.keyClick(window.passage_view.list, k, modifier)


def state(project, coder, passage_id):
    return CodingSession(project, coder).states([passage_id])[passage_id]


def current_passage(window):
    return window.passage_model.passage(window.controller.current_row())


def test_models_pass_qt_model_tester(qtbot, qtmodeltester, project):
    session = CodingSession(project, "ana")
    qtmodeltester.check(TranscriptTableModel(project, session.coder_id))
    passages = PassageListModel(session)
    passages.load(1)
    qtmodeltester.check(passages)
    codebook = project.codebook
    model = CodebookTreeModel(codebook, {"hope.time": "3"})
    model.set_counts({"hope.time": 2})
    qtmodeltester.check(model)


def test_keys_accept_reject_undo_redo_reach_the_store(qtbot, project):
    window = make_window(qtbot, project)
    open_and_wait(qtbot, window)
    passage = current_passage(window)
    assert passage.coded
    key(
        qtbot, window, Qt.Key.Key_A
    )  # accept the focused suggestion (hope.time, the most confident)
    assert state(project, "ana", passage.id) == CodingState(True, frozenset({"hope.time"}))
    key(qtbot, window, Qt.Key.Key_Right)  # focus the next chip: prod.speed, still open
    key(qtbot, window, Qt.Key.Key_R)  # reject it
    assert window.session.rejected_suggestions([passage.id])
    key(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo the rejection
    assert not window.session.rejected_suggestions([passage.id])
    key(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo the accept
    assert state(project, "ana", passage.id) == CodingState(False, frozenset())
    key(
        qtbot,
        window,
        Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert state(project, "ana", passage.id).codes == {"hope.time"}
    key(qtbot, window, Qt.Key.Key_J)
    second = current_passage(window)
    assert second.id != passage.id and second.coded
    key(qtbot, window, Qt.Key.Key_6)  # the codebook's own key for fear.displacement
    key(qtbot, window, Qt.Key.Key_S)  # and for prod.speed
    assert state(project, "ana", second.id).codes == {"fear.displacement", "prod.speed"}
    key(qtbot, window, Qt.Key.Key_6)  # pressing a code's key again removes it
    assert state(project, "ana", second.id).codes == {"prod.speed"}
    key(qtbot, window, Qt.Key.Key_0)  # no code applies, and move on
    assert state(project, "ana", second.id) == CodingState(True, frozenset())
    assert current_passage(window).id != second.id
    assert "Saved" in window.saved_label.text()
    assert window.undo_action.text().startswith("Undo")


def test_accept_all_and_next_unreviewed(qtbot, project):
    window = make_window(qtbot, project)
    open_and_wait(qtbot, window)
    first = current_passage(window)
    key(qtbot, window, Qt.Key.Key_A, Qt.KeyboardModifier.ShiftModifier)
    assert state(project, "ana", first.id).codes == {"hope.time", "prod.speed"}
    key(qtbot, window, Qt.Key.Key_K)
    assert current_passage(window).id == first.id
    key(qtbot, window, Qt.Key.Key_N)
    assert current_passage(window).id != first.id
    reviewed, total = window.passage_model.progress()
    assert reviewed == 1 and "Reviewed 1 of" in window.progress_label.text()


def test_decisions_survive_closing_and_reopening(qtbot, project):
    window = make_window(qtbot, project)
    open_and_wait(qtbot, window)
    passage = current_passage(window)
    key(qtbot, window, Qt.Key.Key_A)
    window.close()
    reopened = Project.open(project.location)
    try:
        again = make_window(qtbot, reopened)
        open_and_wait(qtbot, again)
        chips = again.passage_model.chips(again.passage_model.row_of(passage.id))
        assert [c.code_id for c in chips if c.kind == "applied"] == ["hope.time"]
    finally:
        reopened.close()


def test_blind_mode_hides_other_coders(qtbot, project):
    window = make_window(qtbot, project, coder="ana")
    open_and_wait(qtbot, window)
    passage = current_passage(window)
    key(qtbot, window, Qt.Key.Key_6)
    window.close()
    blind = make_window(qtbot, project, coder="ben")
    open_and_wait(qtbot, blind)
    kinds = {c.kind for c in blind.passage_model.chips(blind.passage_model.row_of(passage.id))}
    assert "other" not in kinds
    blind.close()
    project.update_settings(blind_coding=False)
    open_window = make_window(qtbot, project, coder="ben")
    open_and_wait(qtbot, open_window)
    chips = open_window.passage_model.chips(open_window.passage_model.row_of(passage.id))
    assert any(
        c.kind == "other" and c.label == "ana" and c.code_id == "fear.displacement" for c in chips
    )


def test_suggestions_after_first_pass(qtbot, project):
    project.update_settings(suggestions_after_first_pass=True)
    window = make_window(qtbot, project)
    open_and_wait(qtbot, window)
    row = window.controller.current_row()
    assert window.passage_model.chips(row) == ()
    key(qtbot, window, Qt.Key.Key_6)  # the coder codes first
    kinds = [c.kind for c in window.passage_model.chips(row)]
    assert "applied" in kinds and "suggested" in kinds  # now the suggestions show


def test_a_slow_engine_does_not_block_the_event_loop(qtbot, project):
    engine = FixedEngine(delay=0.05)  # about half a second for one transcript
    window = make_window(qtbot, project, engine=engine)
    ticks = []
    from PySide6.QtCore import QTimer

    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start(10)
    started = time.perf_counter()
    with qtbot.waitSignal(window.controller.suggestions_finished, timeout=20_000):
        window.open_first_transcript("work_0067")
        assert window.controller.suggesting  # returned at once; the engine runs on a worker
    timer.stop()
    elapsed = time.perf_counter() - started
    assert elapsed > 0.3  # the engine really was slow
    assert len(ticks) > elapsed / 0.01 * 0.3  # and the event loop kept ticking meanwhile
    assert engine.thread != threading.get_ident()  # not the GUI thread
    model = window.passage_model
    assert any(model.chips(row) for row in model.coded_rows())


def test_cancel_stops_a_slow_engine(qtbot, project):
    engine = FixedEngine(delay=0.2)
    window = make_window(qtbot, project, engine=engine)
    window.open_first_transcript("work_0067")
    with qtbot.waitSignal(window.controller.suggestions_finished, timeout=10_000) as blocker:
        window.cancel_button.click()
    assert blocker.args == ["Suggestions cancelled"]
    with project.reading() as conn:
        assert conn.execute(select(schema.suggestions.c.id)).first() is None


def test_code_picker_is_fuzzy(qtbot, project):
    from workbench.gui.dialogs.code_picker import CodePickerDialog

    dialog = CodePickerDialog(project.codebook)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.query, "illus prod")
    assert dialog.list.currentIndex().data(Qt.ItemDataRole.UserRole) == "fear.illusory_productivity"
    dialog.query.setText("dspl")
    assert dialog.list.currentIndex().data(Qt.ItemDataRole.UserRole) == "fear.displacement"
    qtbot.keyClick(dialog.query, Qt.Key.Key_Return)
    assert dialog.chosen == "fear.displacement"


def test_end_to_end_coding_a_transcript_with_screenshot(qtbot, project, tmp_path):
    """Code the Spanish workshop interview as a coder would, with the local engine, and look at it."""
    window = make_window(qtbot, project, engine=LocalEngine())
    open_and_wait(qtbot, window, "es_taller_bogota")
    coded = window.passage_model.coded_rows()
    key(qtbot, window, Qt.Key.Key_0)  # "Sí, claro, empecemos": no code applies, moves on
    key(qtbot, window, Qt.Key.Key_2)  # entrepreneurship
    key(qtbot, window, Qt.Key.Key_J)
    key(qtbot, window, Qt.Key.Key_2)
    key(qtbot, window, Qt.Key.Key_9)  # scope
    key(qtbot, window, Qt.Key.Key_J)
    key(qtbot, window, Qt.Key.Key_V)  # verifies output
    key(qtbot, window, Qt.Key.Key_J)
    key(qtbot, window, Qt.Key.Key_2)  # hope: a second clothing line...
    key(qtbot, window, Qt.Key.Key_6)  # ...and fear: pushed out of the market
    key(qtbot, window, Qt.Key.Key_K)
    reviewed, total = window.passage_model.progress()
    assert (reviewed, total) == (len(coded), 5)
    last = window.passage_model.passage(coded[-1])
    assert state(project, "ana", last.id).codes == {"hope.entrepreneurship", "fear.displacement"}
    shot = tmp_path / "workspace.png"
    window.grab().save(str(shot))
    assert shot.stat().st_size > 20_000
    screenshots = REPO / "shots"
    screenshots.mkdir(exist_ok=True)
    window.grab().save(str(screenshots / "end-to-end.png"))


def test_start_screen_creates_a_project_on_a_worker(qtbot, tmp_path):
    from workbench.core.tasks import CancelToken
    from workbench.gui.dialogs.start_dialog import StartDialog, create_and_import

    folder = tmp_path / "interviews"
    folder.mkdir()
    (folder / "p1.txt").write_text("Interviewer: How?\n\nParticipant: Fine.\n", encoding="utf-8")
    seen = []
    location = create_and_import(
        str(tmp_path / "new.wb"),
        str(REPO / "codebooks" / "ai-at-work.yaml"),
        str(folder),
        lambda *a: seen.append(a),
        CancelToken(),
    )
    with Project.open(location) as created:
        assert created.status()["transcripts"] == 1
    assert seen
    dialog = StartDialog()
    qtbot.addWidget(dialog)
    from PySide6.QtWidgets import QPushButton

    labels = [button.text() for button in dialog.findChildren(QPushButton)]
    assert any("Open a project" in label for label in labels) and any(
        "New project" in label for label in labels
    )


def test_claude_needs_a_key_and_a_yes(qtbot, project, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from workbench.suggest.claude import ClaudeEngine
    from workbench.suggest.learning import ProjectLocalEngine

    window = make_window(qtbot, project, engine=ProjectLocalEngine(project))
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setenv("WORKBENCH_SETTINGS", str(project.location) + ".settings.json")
    window.claude_action.setChecked(True)
    window.lead.toggle_claude()
    assert not window.claude_action.isChecked() and isinstance(
        window.controller.engine, ProjectLocalEngine
    )
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test")
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    window.claude_action.setChecked(True)
    window.lead.toggle_claude()
    assert not isinstance(
        window.controller.engine, ClaudeEngine
    )  # the coder said no: nothing is sent
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    monkeypatch.setattr(window, "refetch", lambda: None)
    window.claude_action.setChecked(True)
    window.lead.toggle_claude()
    assert isinstance(window.controller.engine, ClaudeEngine)


def test_the_apps_own_engine_fetches_suggestions(qtbot, project):
    """Through build_window, as `workbench demo` does: the learning local engine on a worker."""
    from workbench.gui.app import build_window

    window = build_window(project, "ana")
    window.setProperty("quiet_errors", True)
    qtbot.addWidget(window)
    errors = []
    window.controller.failed.connect(errors.append)
    window.show()
    with qtbot.waitSignal(window.controller.suggestions_finished, timeout=20_000) as blocker:
        window.open_first_transcript("work_0067")
    assert errors == [] and "local engine" in blocker.args[0]
    assert any(window.passage_model.chips(r) for r in window.passage_model.coded_rows())


def test_long_context_turns_are_shortened_until_selected(qtbot, project):
    window = make_window(qtbot, project)
    open_and_wait(qtbot, window, "work_0067")
    model = window.passage_model
    opening = model.index(0)  # the interviewer's long opening, over 900 characters
    from workbench.gui.models.passage_model import CardRole

    assert not opening.data(CardRole).expanded
    option_height = window.delegate.layout(opening.data(CardRole), 700, window.font()).height
    window.controller.go_to_row(0)
    assert opening.data(CardRole).expanded
    assert window.delegate.layout(opening.data(CardRole), 700, window.font()).height > option_height


def _unmodified(sequence) -> bool:
    return sequence[0].keyboardModifiers() == Qt.KeyboardModifier.NoModifier


def test_the_windows_plain_keys_are_exactly_the_cores_reserved_keys(qtbot, project):
    """The codebook check refuses the core's reserved keys; this keeps them the GUI's keys."""
    from PySide6.QtGui import QKeySequence

    from workbench.core.keys import RESERVED_KEYS, WORKSPACE_KEYS, has_modifier

    window = make_window(qtbot, project)
    code_keys = {QKeySequence(k.upper()).toString() for k in window.shortcuts.values()}
    bound = {
        sequence.toString()
        for action in window.actions()
        for sequence in action.shortcuts()
        if _unmodified(sequence)
    }
    reserved = {
        QKeySequence(k).toString()
        for keys in WORKSPACE_KEYS.values()
        for k in keys
        if not has_modifier(k)
    }
    assert bound - code_keys == reserved
    assert not {k.casefold() for k in window.shortcuts.values()} & set(RESERVED_KEYS)


def test_a_reserved_codebook_shortcut_is_not_bound(qtbot, project):
    from workbench.core.codebook import parse_codebook
    from workbench.gui.window_actions import code_shortcuts

    text = project.codebook.source_text.replace('shortcut: "1"', "shortcut: j", 1)
    codebook = parse_codebook(text)
    assert [c.id for c in codebook.walk() if c.shortcut == "j"]
    assert "j" not in code_shortcuts(codebook).values()


def _dump(location) -> list[str]:
    import sqlite3

    connection = sqlite3.connect(f"file:{location}?mode=ro", uri=True)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


def test_gui_screenshot_leaves_the_project_as_it_was(qtbot, project, tmp_path, monkeypatch):
    from workbench.cli import main
    from workbench.suggest.runner import run_suggestions

    session = CodingSession(project, "ana")
    with project.reading() as conn:
        transcript_id = conn.execute(
            select(schema.transcripts.c.id).where(schema.transcripts.c.external_id == "work_0067")
        ).scalar_one()
        passage_id = conn.execute(
            select(schema.passages.c.id).where(
                schema.passages.c.transcript_id == transcript_id, schema.passages.c.coded.is_(True)
            )
        ).first()[0]
    run_suggestions(project, FixedEngine(), [transcript_id])
    session.apply_code(passage_id, "hope.time")
    session.save_memo(passage_id, "a memo")
    before = _dump(project.location)
    monkeypatch.delenv("WORKBENCH_CODER", raising=False)
    monkeypatch.setenv("WORKBENCH_SETTINGS", str(tmp_path / "settings.json"))
    for coder in (["--coder", "newcomer"], ["--coder", "ana"], []):
        shot = tmp_path / f"shot{len(coder)}{coder[-1:]}.png"
        argv = ["gui", project.location, "--screenshot", str(shot), "--transcript", "work_0067"]
        assert main(argv + coder) == 0
        assert shot.stat().st_size > 0
    assert _dump(project.location) == before  # no coder, run, suggestion, audit row, nothing
    assert not (tmp_path / "settings.json").exists()


@pytest.mark.parametrize(("size", "message"), [("10x10", "needs at least"), ("0x700", "above 0")])
def test_gui_screenshot_size_the_window_cannot_take_is_refused(
    qtbot, project, tmp_path, capsys, size, message
):
    from workbench.cli import main

    shot = tmp_path / "shot.png"
    argv = ["gui", project.location, "--screenshot", str(shot), "--size", size, "--coder", "ana"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert f"--size '{size}'" in err and message in err and err.count("\n") == 1
    assert not shot.exists()


def test_gui_screenshot_has_the_size_asked_for(qtbot, project, tmp_path):
    from PySide6.QtGui import QImage

    from workbench.cli import main

    shot = tmp_path / "shot.png"
    argv = ["gui", project.location, "--screenshot", str(shot), "--size", "1024x700"]
    assert main(argv + ["--coder", "ana"]) == 0
    assert QImage(str(shot)).size().toTuple() == (1024, 700)


@pytest.mark.no_qt_log  # pytest-qt's own capture would take the messages first
def test_qt_noise_is_dropped_and_other_messages_pass(qtbot, capfd):
    from PySide6.QtCore import qInstallMessageHandler, qWarning

    from workbench.gui.qt_messages import quiet_qt_noise

    quiet_qt_noise()
    capfd.readouterr()
    try:
        qWarning("This plugin does not support propagateSizeHints()")
        qWarning("something a user should see")
    finally:
        qInstallMessageHandler(None)  # Qt's default again
    err = capfd.readouterr().err
    assert "propagateSizeHints" not in err and "something a user should see" in err


def test_gui_unknown_transcript_exits_1_naming_it(qtbot, project, tmp_path, capsys):
    from workbench.cli import main

    shot = tmp_path / "shot.png"
    argv = ["gui", project.location, "--screenshot", str(shot), "--transcript", "work_9999"]
    assert main(argv + ["--coder", "ana"]) == 1
    err = capsys.readouterr().err
    assert "--transcript 'work_9999': no such transcript" in err
    assert "work_0008" in err and "Traceback" not in err
    assert not shot.exists()
