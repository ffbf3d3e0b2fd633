"""The live agreement panel: it follows decisions, lists disagreements, records adjudication."""

from __future__ import annotations

import os

import pytest

pytest.importorskip("PySide6")
from PySide6.QtCore import Qt  # noqa: E402

from tests.conftest import REPO, write  # noqa: E402
from tests.test_gui_workspace import FixedEngine, key, make_window, open_and_wait  # noqa: E402
from workbench.core.spreadsheet import import_decisions_csv  # noqa: E402
from workbench.core.store import Project  # noqa: E402
from workbench.demo import create_demo_project  # noqa: E402

pytestmark = pytest.mark.gui


@pytest.fixture
def project(tmp_path):
    project = Project.open(create_demo_project(tmp_path / "demo.wb"))
    rows = []
    for position in range(2, 24, 2):
        rows.append(
            (f"work_0097#{position}", "ana", "prod.speed" if position % 4 else "trust.accuracy")
        )
        rows.append(
            (f"work_0097#{position}", "ben", "prod.speed" if position % 3 else "trust.accuracy")
        )
    write(
        tmp_path / "d.csv",
        "passage_id,coder,code\n" + "".join(f"{p},{c},{k}\n" for p, c, k in rows),
    )
    import_decisions_csv(project, tmp_path / "d.csv")
    yield project
    project.close()


def open_panel(qtbot, window):
    with qtbot.waitSignal(window.agreement.updated, timeout=20_000):
        window.toggle_agreement()


def test_panel_models_pass_the_model_tester(qtbot, qtmodeltester, project):
    window = make_window(qtbot, project)
    open_panel(qtbot, window)
    for model in (
        window.agreement.codes_model,
        window.agreement.matrix_model,
        window.agreement.disagreements_model,
    ):
        qtmodeltester.check(model)


def test_panel_shows_codes_matrix_and_disagreements(qtbot, project):
    window = make_window(qtbot, project)
    open_panel(qtbot, window)
    panel = window.agreement
    assert panel.snapshot.humans == ["ana", "ben"]
    assert "Krippendorff's alpha" in panel.overall.text()
    codes = [panel.codes_model.index(r, 0).data() for r in range(panel.codes_model.rowCount())]
    assert "Speed" in codes and "Distrusts accuracy" in codes
    assert panel.matrix_model.index(0, 1).data() not in ("", None)
    assert panel.disagreements_model.rowCount() > 0


def test_panel_follows_a_decision_live(qtbot, project):
    window = make_window(qtbot, project, coder="ana")
    open_panel(qtbot, window)
    before = window.agreement.snapshot.overall.value
    open_and_wait(qtbot, window, "work_0097")
    with qtbot.waitSignal(window.agreement.updated, timeout=10_000):
        key(qtbot, window, Qt.Key.Key_T)  # ana adds "Distrusts accuracy" to the first passage
    assert window.agreement.snapshot.overall.value != before


def test_adjudication_from_the_panel(qtbot, project, monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    window = make_window(qtbot, project)
    open_panel(qtbot, window)
    panel = window.agreement
    panel.disagreements.selectRow(0)
    unit = panel.disagreements_model.item(0).unit
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("both readings hold", True))
    with qtbot.waitSignal(panel.updated, timeout=10_000):
        panel.merge_button.click()
    assert "consensus" in panel.snapshot.data.coders
    data = panel.snapshot.data
    row, column = data.units.index(unit), data.coders.index("consensus")
    assert data.reviewed[row, column]
    shots = REPO / "shots"
    shots.mkdir(exist_ok=True)
    window.resize(1400, 1000)
    window.grab().save(str(shots / "agreement-panel.png"))


def test_double_click_opens_the_passage(qtbot, project):
    window = make_window(qtbot, project, engine=FixedEngine())
    open_panel(qtbot, window)
    unit = window.agreement.disagreements_model.item(0).unit
    window.show_passage(unit)
    passage = window.passage_model.passage(window.controller.current_row())
    assert passage.key == unit


def test_only_codes_humans_used_are_listed(qtbot, project):
    window = make_window(qtbot, project)
    open_panel(qtbot, window)
    model = window.agreement.codes_model
    listed = {
        model.index(r, 0).data(
            __import__("workbench.gui.models.agreement_models", fromlist=["CodeRole"]).CodeRole
        )
        for r in range(model.rowCount())
    }
    assert listed == {"prod.speed", "trust.accuracy"}
    assert model.hidden == len(project.codebook.ids) - 2
    assert f"{model.hidden} codes no human coder has applied" in window.agreement.overall.text()


def test_sampler_dialog_sizes_draws_and_saves(qtbot, project, tmp_path):
    from workbench.gui.dialogs.sampler_dialog import SamplerDialog

    dialog = SamplerDialog(project, ["group", "language"], ["ana", "ben"])
    qtbot.addWidget(dialog)
    assert dialog.size.value() == 246  # width .10 around .80
    dialog.width.setValue(0.2)
    assert dialog.size.value() == 62
    dialog.size.setValue(20)
    dialog.exclude.setCurrentIndex(1)  # leave out what ana reviewed
    dialog.draw()
    assert sum(len(v) for v in dialog.sample.values()) == 20
    assert not any(key.startswith("work_0097#") for keys in dialog.sample.values() for key in keys)
    out = tmp_path / "sample.csv"
    dialog.save(str(out))
    assert (
        out.read_text().startswith("passage_id,group\n") and len(out.read_text().splitlines()) == 21
    )


def test_disagreements_show_memos(qtbot, project):
    from workbench.core.session import CodingSession

    session = CodingSession(project, "ben")
    with project.reading() as conn:
        from workbench.core.store.queries import passage_ids_for_keys

        pid = passage_ids_for_keys(conn, ["work_0097#4"])["work_0097#4"]
    session.save_memo(pid, "could be either")
    window = make_window(qtbot, project)
    open_panel(qtbot, window)
    model = window.agreement.disagreements_model
    row = next(r for r in range(model.rowCount()) if model.item(r).unit == "work_0097#4")
    assert "✎ could be either" in model.index(row, 2).data()


def test_clicking_a_coder_pair_lists_their_disagreements(qtbot, project):
    window = make_window(qtbot, project)
    open_panel(qtbot, window)
    panel = window.agreement
    coders = panel.snapshot.data.coders
    a, b = coders.index("ana"), coders.index("ben")
    panel._pair_clicked(panel.matrix_model.index(a, b))
    assert "between ana and ben" in panel.disagreement_title.text()
    assert panel.disagreements_model.rowCount() > 0
    assert panel.disagreements_model.headerData(1, Qt.Orientation.Horizontal) == "ana"


def test_dashboards_show_charts_that_export_as_png_and_svg(qtbot, project, tmp_path):
    from workbench.gui.dialogs.dashboard import DashboardDialog

    dialog = DashboardDialog(project)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog._task.signals.finished, timeout=30_000):
        pass
    assert dialog.tabs.count() == 2
    charts = dialog.charts()
    assert charts and any("alpha" in chart.title.lower() for chart in charts)
    assert charts[0].export("svg", str(tmp_path / "c.svg")) and (
        tmp_path / "c.svg"
    ).read_text().startswith("<svg")
    assert (
        charts[0].export("png", str(tmp_path / "c.png"))
        and (tmp_path / "c.png").stat().st_size > 1000
    )
    dialog.resize(1100, 900)
    dialog.show()
    shots = REPO / "shots"
    shots.mkdir(exist_ok=True)
    dialog.grab().save(str(shots / "dashboard.png"))


def test_panel_shows_an_engine_beside_the_humans_and_strata(qtbot, qtmodeltester, tmp_path):
    """A project from the previous schema: two humans, a consensus and a local engine. The
    engine is judged against the humans, never listed among them; strata by language."""
    import shutil

    from tests.test_raters import SCHEMA_1

    shutil.copy(SCHEMA_1, tmp_path / "old.wb")
    project = Project.open(tmp_path / "old.wb")
    try:
        window = make_window(qtbot, project)
        open_panel(qtbot, window)
        panel = window.agreement
        assert panel.snapshot.humans == ["ana", "ben"]
        assert panel.snapshot.engines == ["engine:local"]
        assert "40 passages coded by two or more of 2 (ana, ben)" in panel.overall.text()
        assert "engine:local" in panel.engines.text() and panel.engines.isVisibleTo(panel)
        assert "consensus" not in [
            panel.matrix_model.headerData(i, Qt.Orientation.Horizontal)
            for i in range(panel.matrix_model.columnCount())
        ]
        with qtbot.waitSignal(panel.updated, timeout=20_000):
            panel.by.setCurrentIndex(panel.by.findData("language"))
        qtmodeltester.check(panel.strata_model)
        values = [
            panel.strata_model.index(r, 0).data() for r in range(panel.strata_model.rowCount())
        ]
        assert "en" in values and "ar" in values and panel.strata.isVisibleTo(panel)
        with qtbot.waitSignal(panel.updated, timeout=20_000):
            panel.level.setCurrentIndex(panel.level.findData(1))
        themes = {panel.codes_model.index(r, 0).data() for r in range(panel.codes_model.rowCount())}
        assert "Hopes" in themes and "Professional excellence" not in themes
        window.resize(1400, 900)
        shot = window.grab()
        shot.save(str(tmp_path / "panel.png"))
        if os.environ.get("WORKBENCH_SHOTS"):
            shot.save(os.path.join(os.environ["WORKBENCH_SHOTS"], "agreement-engine-strata.png"))
    finally:
        project.close()


def test_selections_and_anchoring_tabs_appear_with_their_data(qtbot, qtmodeltester, project):
    from tests.test_unitizing_project import code_span
    from workbench.core.agreement.unitizing_source import project_unitizing
    from workbench.core.anchoring_arms import SETTING
    from workbench.core.session import CodingSession
    from workbench.core.store.queries import passages_to_code

    window = make_window(qtbot, project)
    open_panel(qtbot, window)
    panel = window.agreement
    assert not panel.tabs.isTabVisible(1) and not panel.tabs.isTabVisible(2)
    code_span(project, "work_0097#2", "ana", "prod.speed", 0, 12)
    code_span(project, "work_0097#2", "ben", "prod.speed", 4, 16)
    code_span(project, "work_0097#4", "ana", "trust.accuracy", 2, 10)
    code_span(project, "work_0097#4", "ben", "trust.accuracy", 2, 10)
    extra = dict(project.settings.extra) | {SETTING: {"on": True, "seed": 3}}
    project.update_settings("lee", extra=extra)
    with project.reading() as conn:
        pids = [pid for pid, _pos, t in passages_to_code(conn) if t == "creativity_0016"][:6]
    for coder in ("ana", "ben"):
        session = CodingSession(project, coder)
        for pid in pids:
            session.apply_code(pid, "prod.speed")
    with qtbot.waitSignal(panel.updated, timeout=20_000):
        panel.reload()
    assert panel.tabs.isTabVisible(1) and panel.tabs.isTabVisible(2)
    expected = project_unitizing(project, ["ana", "ben"])
    assert f"uα {expected.value:.3f}" in panel.selections.headline.text()
    rows = panel.selections.model.rows
    assert [row[0] for row in rows][:2] == ["Speed", "Distrusts accuracy"]
    # text coded with both codes (a passage-level code over a selection) is a value of its own
    assert list(expected.combined) == ["prod.speed + trust.accuracy"]
    assert [row[0] for row in rows][2:] == ["Speed + Distrusts accuracy"]
    cu = "—" if expected.cu is None else f"{expected.cu:.3f}"
    assert f"cuα {cu}" in panel.selections.headline.text()
    assert panel.selections.method.text().startswith("Agreement on the text coders selected")
    assert panel.anchoring.model.rowCount() >= 3
    assert panel.anchoring.methods.text().startswith("To measure whether engine suggestions")
    qtmodeltester.check(panel.selections.model)
    shots = REPO / "shots"
    shots.mkdir(exist_ok=True)
    window.resize(1400, 1000)
    panel.tabs.setCurrentIndex(1)
    window.grab().save(str(shots / "agreement-selections.png"))
    panel.tabs.setCurrentIndex(2)
    window.grab().save(str(shots / "agreement-anchoring.png"))
