"""The double-coding sample dialog sizes the anchoring experiment with the same core computation
as ``workbench sample --anchoring-effect``, and says it in the sentence the CLI prints."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("PySide6")

from workbench.cli import main  # noqa: E402
from workbench.core.agreement.sampling import anchoring_sample_size, anchoring_size  # noqa: E402
from workbench.core.store import Project  # noqa: E402
from workbench.demo import create_demo_project  # noqa: E402
from workbench.gui.dialogs.sampler_dialog import SamplerDialog  # noqa: E402

pytestmark = pytest.mark.gui


@pytest.fixture
def project(tmp_path):
    project = Project.open(create_demo_project(tmp_path / "demo.wb"))
    yield project
    project.close()


@pytest.fixture
def dialog(qtbot, project):
    dialog = SamplerDialog(project, ["group"], ["ana", "bo", "cy"])
    qtbot.addWidget(dialog)
    return dialog


def figures(dialog: SamplerDialog) -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]
        int(label.text().replace(",", ""))
        for label in (dialog.per_arm, dialog.coder_passages, dialog.per_coder)
    )


def cli(capsys, effect: str, acceptance: str, coders: str) -> tuple[dict, str]:
    argv = ["sample", "--anchoring-effect", effect, "--expected-acceptance", acceptance]
    assert main([*argv, "--coders", coders, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert main([*argv, "--coders", coders]) == 0
    return result, capsys.readouterr().out.strip()


def test_the_dialog_gives_the_cli_figures_and_sentence(qtbot, dialog, capsys):
    assert dialog.anchoring_coders.value() == 3  # the project's human coders share it
    dialog.effect.setValue(0.1)
    dialog.acceptance.setValue(0.5)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.grab().save("/tmp/sampler_anchoring.png")

    result, sentence = cli(capsys, "0.1", "0.5", "3")
    assert figures(dialog) == (
        result["suggestions_per_arm"],
        result["coder_passages"],
        result["passages_per_coder"],
    )
    assert figures(dialog)[0] == anchoring_sample_size(0.1, 0.5)
    assert sentence in dialog.anchoring_sentence.text()


def test_the_figures_follow_the_inputs(dialog, capsys):
    dialog.effect.setValue(-0.15)
    dialog.acceptance.setValue(0.7)
    dialog.anchoring_coders.setValue(4)
    size = anchoring_size(-0.15, 0.7, 4)
    assert dialog.anchoring == size
    assert figures(dialog) == (
        size.suggestions_per_arm,
        size.coder_passages,
        size.passages_per_coder,
    )
    result, sentence = cli(capsys, "-0.15", "0.7", "4")
    assert result["passages_per_coder"] == size.passages_per_coder
    assert sentence in dialog.anchoring_sentence.text()

    dialog.anchoring_coders.setValue(1)
    _, sentence = cli(capsys, "-0.15", "0.7", "1")
    assert sentence.endswith("all by one coder") and sentence in dialog.anchoring_sentence.text()


def test_an_effect_the_formula_cannot_size_says_why(dialog):
    dialog.effect.setValue(0.0)
    assert dialog.anchoring is None
    assert [label.text() for label in (dialog.per_arm, dialog.coder_passages)] == ["–", "–"]
    assert dialog.anchoring_sentence.text().startswith("Cannot size it: the expected acceptance")
    dialog.effect.setValue(0.6)  # .5 + .6 leaves the 0..1 range
    assert dialog.anchoring is None and dialog.per_coder.text() == "–"
    dialog.effect.setValue(0.2)  # and a valid one sizes it again
    assert figures(dialog)[0] == anchoring_sample_size(0.2, 0.5)
