"""Review of the anchoring size calculator: the figure it gives is the total of
suggestions per arm, pooled over coders (as the report pools them), so the passages it asks
of each coder depend on how many coders share the work."""

from __future__ import annotations

import json
import math

from workbench.cli import main
from workbench.core.agreement.sampling import anchoring_sample_size

Z_HALF_ALPHA, Z_BETA = 1.959964, 0.841621  # two-sided .05, power .8


def test_one_figure_checked_by_hand():
    # .5 against .6: mean .55; (1.959964 * sqrt(2 * .55 * .45) + 0.841621 * sqrt(.25 + .24))^2
    # / .1^2 = (1.378946 + 0.589135)^2 / .01 = 387.33, rounded up: 388 (R's power.prop.test
    # gives n = 387.3 for the same question).
    by_hand = (Z_HALF_ALPHA * math.sqrt(2 * 0.55 * 0.45) + Z_BETA * math.sqrt(0.49)) ** 2 / 0.01
    assert math.ceil(by_hand) == anchoring_sample_size(0.1, 0.5) == 388
    # .5 against .7: mean .6; (1.357936 + 0.570811)^2 / .04 = 92.99 -> 93
    assert anchoring_sample_size(0.2, 0.5) == 93
    # symmetric: a fall of .1 from .6 is the rise of .1 from .5
    assert anchoring_sample_size(-0.1, 0.6) == 388


def test_passages_are_split_among_the_coders(capsys):
    argv = ["sample", "--anchoring-effect", "0.1", "--expected-acceptance", "0.5"]
    assert main([*argv, "--coders", "3", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["suggestions_per_arm"] == 388
    assert result["coder_passages"] == 776  # both arms, one suggestion each
    assert result["passages_per_coder"] == 259  # ceil(776 / 3)
    assert main([*argv, "--coders", "3"]) == 0
    text = capsys.readouterr().out
    assert "776 coder-passages" in text and "259 passages for each of 3 coders" in text
    assert main([*argv, "--json"]) == 0  # without --coders: one coder does all of it
    assert json.loads(capsys.readouterr().out)["passages_per_coder"] == 776


def test_coders_goes_with_the_anchoring_effect(capsys):
    assert main(["sample", "--coders", "3"]) == 2
    assert "--coders" in capsys.readouterr().err
