"""Others' work reaches an open app at once on PostgreSQL: LISTEN/NOTIFY, polling as fallback.

The PostgreSQL half needs a server (``WORKBENCH_TEST_POSTGRES_URL``) and skips without one."""

from __future__ import annotations

import pytest

from tests.conftest import write
from workbench.core.store import Project
from workbench.core.store.coding import DecisionAction, ensure_coder, record_decision
from workbench.core.store.importing import import_transcript_file
from workbench.core.store.notify import Listener
from workbench.core.store.team import change_settings

pytestmark = pytest.mark.backends
INTERVIEW = "Interviewer: What changed?\n\nParticipant: I spend less time on reports now.\n"


def _passage(project: Project, tmp_path) -> int:
    from sqlalchemy import text

    import_transcript_file(project, write(tmp_path / "p1.txt", INTERVIEW))
    with project.reading() as conn:
        return conn.execute(text("select id from passages where coded order by id")).scalar()


def _decide(location: str, passage: int, coder: str = "ana") -> None:
    with Project.open(location) as other, other.transaction() as conn:
        record_decision(conn, passage, ensure_coder(conn, coder), DecisionAction.APPLY, "hope.time")


def test_a_decision_on_one_connection_wakes_the_others_listener(project, backend, tmp_path):
    passage = _passage(project, tmp_path)
    listener = Listener.open(str(project.location))
    if backend == "sqlite":
        assert listener is None  # nothing to listen to: the app polls
        return
    assert listener is not None
    try:
        assert listener.wait(timeout=0.2) == []  # the import announced nothing
        _decide(str(project.location), passage)
        assert listener.wait(timeout=10) == ["decisions"]
        change_settings(project, "kim", engines=["local"])
        assert listener.wait(timeout=10) == ["settings"]
    finally:
        listener.close()


def test_a_rolled_back_decision_is_not_announced(project, backend, tmp_path):
    if backend == "sqlite":
        pytest.skip("no notifications on SQLite")
    passage = _passage(project, tmp_path)
    listener = Listener.open(str(project.location))
    assert listener is not None
    try:
        with (
            Project.open(str(project.location)) as other,
            pytest.raises(RuntimeError),
            other.transaction() as conn,
        ):
            record_decision(
                conn, passage, ensure_coder(conn, "bo"), DecisionAction.APPLY, "hope.time"
            )
            raise RuntimeError("the coder's transaction fails")
        assert listener.wait(timeout=1) == []
    finally:
        listener.close()


def test_a_listener_that_cannot_connect_means_polling():
    assert Listener.open("postgresql+psycopg://nobody:wrong@127.0.0.1:1/none") is None


def test_the_open_app_hears_a_decision_without_polling(qtbot, project, backend, tmp_path):
    pytest.importorskip("PySide6")
    from tests.test_gui_workspace import make_window

    passage = _passage(project, tmp_path)
    window = make_window(qtbot, project, "ana")
    watcher = window.watcher
    try:
        if backend == "sqlite":
            assert not watcher.is_listening and watcher.timer.interval() == 3000
            return
        assert watcher.is_listening and watcher.timer.interval() >= 60_000
        with qtbot.waitSignal(watcher.decisions_changed, timeout=10_000):
            _decide(str(project.location), passage, "bo")  # no poll() called: the notice wakes it
    finally:
        window.close()
    assert not watcher.is_listening  # closing the window stopped the listening thread
