"""The app for a team: my queue first, blind coding refused to a coder, others' work polled in."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")
from PySide6.QtCore import QModelIndex  # noqa: E402

from tests.test_gui_workspace import make_window  # noqa: E402
from workbench.core.codebook import parse_codebook  # noqa: E402
from workbench.core.session import CodingSession  # noqa: E402
from workbench.core.store import Project  # noqa: E402
from workbench.core.store.queries import list_transcripts, passages_of  # noqa: E402
from workbench.core.store.team import assign_transcripts, change_settings  # noqa: E402
from workbench.demo import create_demo_project  # noqa: E402
from workbench.gui.models.transcript_model import RowRole, TranscriptTableModel  # noqa: E402


@pytest.fixture
def project(tmp_path):
    project = Project.open(create_demo_project(tmp_path / "demo.wb"))
    yield project
    project.close()


def _last_two(project):
    with project.reading() as conn:
        return [t.external_id for t in list_transcripts(conn)][-2:]


def test_queue_comes_first_and_narrows(qtbot, qtmodeltester, project):
    queue = tuple(_last_two(project))
    ana = CodingSession(project, "ana")
    model = TranscriptTableModel(project, ana.coder_id, queue=queue)
    qtmodeltester.check(model)
    first = [model.index(r, 0).data(RowRole).external_id for r in range(2)]
    assert first == list(queue)  # imported last, listed first
    assert model.index(0, 0).data().startswith("▸ ")
    assert model.rowCount() > 2
    assert model.queue_progress() == (0, 2)


def test_navigator_shows_my_queue_and_its_progress(qtbot, project, tmp_path):
    queue = _last_two(project)
    assign_transcripts(project, "kim", "ana", queue)
    window = make_window(qtbot, project, "ana")
    navigator = window.navigator
    assert navigator.queue_only.isVisible()
    assert navigator.queue_label.text() == "My queue: 0 of 2 transcripts done"
    navigator.queue_only.setChecked(True)
    assert window.transcript_model.rowCount() == 2
    assert navigator.count.text() == "2 transcripts"
    window.grab().save(str(tmp_path / "queue.png"))
    navigator.queue_only.setChecked(False)
    assert window.transcript_model.rowCount() > 2


def test_a_coder_without_queue_sees_no_queue_controls(qtbot, project):
    window = make_window(qtbot, project, "bo")
    assert not window.navigator.queue_only.isVisible()


def test_blind_coding_refuses_the_agreement_panel_to_a_coder(qtbot, project):
    change_settings(project, "kim", leads=["kim"], coders=["ana"])
    coder = make_window(qtbot, project, "ana")
    coder.toggle_agreement()
    assert not coder.agreement_dock.isVisible()
    assert "only a lead" in coder.statusBar().currentMessage()
    coder.lead.show_settings()  # refused too, without opening a dialog
    assert "Only a lead" in coder.statusBar().currentMessage()
    lead = make_window(qtbot, project, "kim")
    lead.toggle_agreement()
    assert lead.agreement_dock.isVisible()


def test_poll_picks_up_a_decision_from_another_connection(qtbot, project):
    window = make_window(qtbot, project, "ana")
    window.open_first_transcript()
    transcript_id = window.passage_model.transcript_id
    row = window.transcript_model.row_of(transcript_id)
    assert window.transcript_model.index(row, 0).data(RowRole).reviewed == 0
    with project.reading() as conn:
        passage = next(p.id for p in passages_of(conn, [transcript_id]) if p.coded)
    # ana in a second window: another engine, another connection
    with Project.open(project.location) as other:
        CodingSession(other, "ana").mark_no_code(passage)
    with qtbot.waitSignal(window.watcher.decisions_changed, timeout=10_000):
        window.watcher.poll()
    qtbot.waitUntil(
        lambda: window.transcript_model.index(row, 0).data(RowRole).reviewed == 1, timeout=5_000
    )


def test_poll_picks_up_assignments_and_a_new_codebook_version(qtbot, project):
    window = make_window(qtbot, project, "ana")
    assert not window.navigator.queue_only.isVisible()
    with Project.open(project.location) as other:
        assign_transcripts(other, "kim", "ana", _last_two(other))
        text = other.codebook.source_text + "\n# a lead's edit\n"  # same codes, new version
        version = other.add_codebook_version(parse_codebook(text, "edited.yaml"))
    assert version > project.codebook.version
    window.watcher.poll()
    qtbot.waitUntil(lambda: window.navigator.queue_only.isVisible(), timeout=10_000)
    qtbot.waitUntil(
        lambda: window.codebook_panel.title.text().endswith(f"v{version}"), timeout=10_000
    )
    assert window.transcript_model.index(0, 0, QModelIndex()).data().startswith("▸ ")


def test_the_claude_toggle_follows_engines_allowed(qtbot, project, tmp_path):
    window = make_window(qtbot, project, "ana")
    assert window.claude_action.isEnabled()
    window.claude_action.setChecked(True)  # as if the coder had said yes to Claude earlier
    with Project.open(project.location) as other:  # the lead, elsewhere
        change_settings(other, "kim", engines=["local"])
    window.watcher.poll()
    qtbot.waitUntil(lambda: not window.claude_action.isEnabled(), timeout=10_000)
    assert not window.claude_action.isChecked()
    assert "lead has not allowed Claude" in window.claude_action.toolTip()
    assert window.engine_label.text() == "Using the local engine"
    window.menuBar().actions()[-2].menu().grab().save(str(tmp_path / "suggestions.png"))
    # a second window opened now starts with it greyed out
    assert not make_window(qtbot, project, "bo").claude_action.isEnabled()
    change_settings(project, "kim", engines=["local", "claude"])
    window.settings_changed()
    assert window.claude_action.isEnabled()
    assert "lead has not allowed" not in window.claude_action.toolTip()
