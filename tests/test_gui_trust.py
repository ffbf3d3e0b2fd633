"""Suggestions a coder can trust, in the app: calibrated or "uncalibrated" chips, the
highlighted chip's rationale and evidence in its own colour, and the reliability diagram."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")
from PySide6.QtGui import QColor, QTextCursor  # noqa: E402

from workbench.cli import main  # noqa: E402
from workbench.core.session import CodingSession  # noqa: E402
from workbench.core.store import Project  # noqa: E402
from workbench.demo import create_demo_project  # noqa: E402
from workbench.gui.main_window import MainWindow  # noqa: E402
from workbench.gui.models.passage_model import CardRole  # noqa: E402
from workbench.gui.theme import ACCENT, code_color  # noqa: E402
from workbench.resources import bundled  # noqa: E402
from workbench.suggest.learning import ProjectLocalEngine, evaluate_local  # noqa: E402
from workbench.suggest.local import LocalEngine  # noqa: E402

pytestmark = pytest.mark.gui


def demo(tmp_path, decisions: bool):
    location = create_demo_project(tmp_path / "demo.wb")
    assert main(["suggest", str(location), "--engine", "local"]) == 0
    if decisions:  # the reference coder's decisions: all 88 suggestions reviewed
        reference = bundled("resources", "sample-coding", "reference-decisions.csv")
        assert main(["import", str(location), str(reference), "--decisions"]) == 0
    return Project.open(location)


def window_on(qtbot, project, engine=None):
    window = MainWindow(CodingSession(project, "ana"), engine or ProjectLocalEngine(project))
    window.setProperty("quiet_errors", True)
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    with qtbot.waitSignal(window.controller.suggestions_finished, timeout=30_000):
        window.open_first_transcript("work_0008")
    return window


def suggested_rows(window):
    model = window.passage_model
    return [
        row
        for row in range(model.rowCount())
        if any(chip.kind == "suggested" for chip in model.chips(row))
    ]


def test_without_decisions_chips_say_uncalibrated_not_a_percentage(qtbot, tmp_path):
    project = demo(tmp_path, decisions=False)
    window = window_on(qtbot, project)
    row = suggested_rows(window)[0]
    card = window.passage_model.index(row).data(CardRole)
    labels = window.delegate.layout(card, 900, window.font()).chip_labels
    assert labels and all(label.endswith("uncalibrated") for label in labels)
    assert not any("%" in label for label in labels)
    project.close()


def test_with_decisions_chips_show_calibrated_probabilities(qtbot, tmp_path):
    project = demo(tmp_path, decisions=True)
    # the codebook-start engine whose suggestions the reference coder reviewed (a learned
    # engine's fresh suggestions, never reviewed, would still say "uncalibrated")
    window = window_on(qtbot, project, LocalEngine())
    shown = []
    for row in suggested_rows(window):
        card = window.passage_model.index(row).data(CardRole)
        for chip, label in zip(
            card.chips, window.delegate.layout(card, 900, window.font()).chip_labels, strict=True
        ):
            if chip.kind == "suggested":
                assert chip.probability is not None
                assert label.endswith(f"{round(chip.probability * 100)}%")
                shown.append(chip.probability)
    # few of the 88 reviewed suggestions were applied: the shown figures say so, and none
    # claims certainty the way the raw score did
    assert shown and max(shown) < 0.5
    project.close()


def test_the_highlighted_chip_shows_its_rationale_and_evidence_in_its_colour(qtbot, tmp_path):
    project = demo(tmp_path, decisions=False)
    window = window_on(qtbot, project)
    row = suggested_rows(window)[0]
    model = window.passage_model
    model.set_focus(row, 0)
    card = model.index(row).data(CardRole)
    chip = card.chips[0]
    layout = window.delegate.layout(card, 900, window.font())
    assert chip.rationale and chip.rationale in layout.why_text
    assert layout.why_rect is not None
    code = project.codebook.get(chip.code_id)
    assert code.name in layout.why_text
    hex_color = window.codebook_model.color_of(chip.code_id)  # its own or its parent's
    cursor = QTextCursor(layout.document)
    cursor.setPosition(chip.evidence[0] + 1)
    background = cursor.charFormat().background().color()
    assert background.rgb() == code_color(hex_color).rgb()
    assert background.rgb() != QColor("#ffe9a8").rgb()  # not the old one-yellow-for-all
    unfocused = window.delegate.layout(model.index(row).data(CardRole), 900, window.font())
    model.set_focus(row, None)
    plain = window.delegate.layout(model.index(row).data(CardRole), 900, window.font())
    assert plain.why_rect is None and plain.height < unfocused.height
    window.grab().save(str(tmp_path / "explained.png"))
    project.close()


def test_quality_dialog_draws_a_reliability_diagram(qtbot, tmp_path, capsys):
    from workbench.gui.dialogs.quality_dialog import QualityDialog

    project = demo(tmp_path, decisions=True)
    report = evaluate_local(project)
    dialog = QualityDialog(report)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    [diagram] = dialog.diagrams
    # every local suggestion was made before the reference coder's review: all are judged
    assert diagram.item["method"] == "platt" and diagram.item["reviewed"] == 88
    image = diagram.grab().toImage()
    assert diagram.item["bins"]
    for b in diagram.item["bins"]:  # a dot in the accent colour where each bin lies
        centre = diagram.point(b["predicted"], b["observed"]).toPoint()
        assert image.pixelColor(centre).rgb() == ACCENT.rgb()
    assert image.pixelColor(diagram.point(0.9, 0.1).toPoint()).rgb() != ACCENT.rgb()
    assert main(["evaluate-local", str(project.location)]) == 0
    out = capsys.readouterr().out
    applied = diagram.item["applied"]
    assert 5 <= applied <= 83
    assert f"local (tfidf-stems-codebook): 88 reviewed, {applied} applied, platt" in out
    assert "predicted  observed" in out
    project.close()
