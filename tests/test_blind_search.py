"""Blind coding holds in search and retrieval: a coder's "Export view…" file and their
``workbench search --as`` carry only their own codes and coded selections; a lead's carry all."""

from __future__ import annotations

import csv
import json

import pytest

from tests.conftest import write
from workbench.cli import main
from workbench.core.blind_search import blind_filters, restricted_to, seen_by
from workbench.core.session import CodingSession
from workbench.core.spreadsheet import import_decisions_csv
from workbench.core.store import Project
from workbench.core.store.search import SearchError, SearchFilters, search_passages
from workbench.core.store.team import change_settings
from workbench.demo import create_demo_project


@pytest.fixture
def study(tmp_path):
    """The demo with a lead (lena) and two coders; ana, ben and lena all coded work_0097#4, ben
    on a selection too."""
    path = create_demo_project(tmp_path / "demo.wb")
    with Project.open(path) as project:
        write(
            tmp_path / "d.csv",
            "passage_id,coder,code\n"
            "work_0097#2,ana,prod.speed\n"
            "work_0097#4,ana,prod.speed\n"
            "work_0097#4,ben,trust.accuracy\n"
            "work_0097#4,lena,prod.speed\n",
        )
        import_decisions_csv(project, tmp_path / "d.csv")
        ben = CodingSession(project, "ben")
        with project.reading() as conn:
            hit = search_passages(conn, "", SearchFilters(code="prod.speed")).hits[1]
        ben.code_span(hit.passage_id, "trust.accuracy", hit.start, hit.start + 12)
        change_settings(project, "lena", blind=True, leads=["lena"], coders=["ana", "ben"])
    return path


def _retrieve(project: Project):
    with project.reading() as conn:
        return search_passages(conn, "", SearchFilters(code="prod.speed"))


def test_a_coder_sees_only_their_own_codes_and_selections(study):
    with Project.open(study) as project:
        result = _retrieve(project)
        extra = project.settings.extra
        assert "ben" in result.hits[1].codes and "ben" in result.hits[1].selections
        assert restricted_to(extra, True, "ana") == "ana"
        assert restricted_to(extra, True, "lena") is None
        assert restricted_to(extra, False, "ana") is None  # blind coding off: everyone sees all
        mine = seen_by(result, "ana")
        assert [h.codes for h in mine.hits] == [{"ana": ["prod.speed"]}] * 2
        assert all(not h.selections for h in mine.hits)
        assert "ben" in result.hits[1].codes  # the original is left whole
        assert seen_by(result, None) is result


def test_blind_filters_refuse_what_would_reveal_others(study):
    assert blind_filters(SearchFilters(code="x"), "ana").coder == "ana"
    assert blind_filters(SearchFilters(code="x", engine=True), "ana").coder is None
    with pytest.raises(SearchError, match="--disagreement"):
        blind_filters(SearchFilters(disagreement=True), "ana")
    with pytest.raises(SearchError, match="--coder.*ben"):
        blind_filters(SearchFilters(code="x", coder="ben"), "ana")


@pytest.mark.gui
def test_export_view_holds_only_the_coders_codes_and_all_for_a_lead(qtbot, study, tmp_path):
    pytest.importorskip("PySide6")
    from docx import Document

    from workbench.gui.widgets.search_panel import SearchPanel

    with Project.open(study) as project:
        files = {}
        for who in ("ana", "lena"):
            panel = SearchPanel(project, who, project.codebook)
            qtbot.addWidget(panel)
            with qtbot.waitSignal(panel.finished, timeout=20_000):
                panel.code.setCurrentIndex(panel.code.findData("prod.speed"))
            files[who] = (
                list(csv.reader(panel.export_to(tmp_path / f"{who}.csv").open(encoding="utf-8"))),
                "\n".join(
                    p.text
                    for p in Document(str(panel.export_to(tmp_path / f"{who}.docx"))).paragraphs
                ),
            )
    ana_rows, ana_doc = files["ana"]
    assert [r[0] for r in ana_rows[1:]] == ["work_0097#2", "work_0097#4"]
    assert ana_rows[2][4] == "ana: prod.speed" and ana_rows[2][5] == ""
    assert "ben" not in "".join(map(str, ana_rows)) and "ben" not in ana_doc
    lena_rows, lena_doc = files["lena"]  # the table lists what lena coded, as blind coding does
    assert [r[0] for r in lena_rows[1:]] == ["work_0097#4"]
    assert "ben: trust.accuracy" in lena_rows[1][4] and lena_rows[1][5].startswith("ben: ")
    assert "ben: trust.accuracy" in lena_doc


def test_cli_search_as_a_coder_shows_only_their_codes(study, capsys):
    assert main(["search", str(study), "", "--code", "prod.speed", "--json", "--as", "ana"]) == 0
    hits = json.loads(capsys.readouterr().out)["hits"]
    assert [h["codes"] for h in hits] == [{"ana": ["prod.speed"]}] * 2
    assert all(h["selections"] == {} for h in hits)
    assert main(["search", str(study), "", "--code", "prod.speed", "--json", "--as", "lena"]) == 0
    hits = json.loads(capsys.readouterr().out)["hits"]
    assert hits[1]["codes"]["ben"] == ["trust.accuracy"] and hits[1]["selections"]["ben"]
    # ben's own code: only the passage ben coded, and none of ana's codes on it
    assert main(["search", str(study), "", "--code", "trust.accuracy", "--as", "ben"]) == 0
    out = capsys.readouterr().out
    assert "work_0097#4" in out and "ana:" not in out


def test_cli_search_as_a_coder_refuses_disagreement_in_one_line(study, capsys):
    assert main(["search", str(study), "", "--disagreement", "--as", "ana"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--disagreement" in err and "Traceback" not in err


@pytest.mark.gui
def test_dashboards_and_reports_are_refused_to_a_blind_coder(qtbot, study, monkeypatch):
    pytest.importorskip("PySide6")
    from PySide6.QtWidgets import QInputDialog

    from tests.test_gui_workspace import make_window

    asked = []
    monkeypatch.setattr(
        QInputDialog, "getItem", staticmethod(lambda *a, **k: asked.append(a) or ("", False))
    )
    with Project.open(study) as project:
        window = make_window(qtbot, project, coder="ana")
        window.lead.show_dashboards()
        window.lead.export_report()
        assert window.lead._dashboard is None and asked == []
        assert "Blind coding is on" in window.statusBar().currentMessage()
        lead = make_window(qtbot, project, coder="lena")
        lead.lead.export_report()
        assert len(asked) == 1  # the lead is asked which report
        lead.lead.show_dashboards()
        assert lead.lead._dashboard is not None
        lead.lead._dashboard.close()
