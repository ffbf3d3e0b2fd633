"""Command paths that typing the CLI touched and no other test ran: ``evaluate``'s text table
and ``translate --max-cost`` on both sides of the estimate. Each text is checked against the
same run's ``--json`` (or the store), so a narrowing that misread a report's shape fails here."""

from __future__ import annotations

import json

import pytest

from tests.test_local_learning import coded, simulated_codes  # noqa: F401  (fixture)
from tests.test_translation import FakeAnthropic, german, stored, translator  # noqa: F401
from workbench.cli.app import main
from workbench.core.store import Project


def test_evaluate_prints_the_figures_its_json_holds(coded, capsys):  # noqa: F811
    location = str(coded.location)
    coded.close()
    assert main(["evaluate", location, "--engine", "local", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert main(["evaluate", location, "--engine", "local"]) == 0
    lines = capsys.readouterr().out.splitlines()

    assert f"passages, scored on {report['scored_passages']} of {report['held_back']}" in lines[0]
    overall = next(line for line in lines if line.startswith("overall: "))
    assert f"f1 {report['overall']['f1']:.2f}" in overall
    assert report["per_code"]
    for code, figures in report["per_code"].items():
        row = next(line for line in lines if line.split()[:1] == [code])
        assert row.split()[1] == str(figures["support"])


@pytest.fixture
def fake_api(monkeypatch) -> FakeAnthropic:
    """The offline estimate (nothing counted over the network, whatever key the machine has)
    and a translator that answers through the fake API, which keeps every request it got."""
    api = FakeAnthropic()
    monkeypatch.setattr("workbench.suggest.translation.counting_client", lambda options: None)
    monkeypatch.setattr("workbench.suggest.translation.Translator", lambda options: translator(api))
    return api


def test_translate_over_max_cost_sends_and_stores_nothing(german, fake_api, capsys):  # noqa: F811
    location = str(german.location)
    german.close()

    assert main(["translate", location, "--to", "en", "--max-cost", "0"]) == 1
    err = capsys.readouterr().err
    assert "is over --max-cost 0.0; nothing was sent" in err
    assert fake_api.bodies == []
    with Project.open(location, read_only=True) as project:
        assert stored(project) == {}


def test_translate_under_max_cost_runs(german, fake_api, capsys):  # noqa: F811
    location = str(german.location)
    german.close()

    assert main(["translate", location, "--to", "en", "--max-cost", "100", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["estimate"]["cost_usd"] <= 100 and report["translated"] > 0
    assert fake_api.bodies
    with Project.open(location, read_only=True) as project:
        assert len(stored(project)) == report["translated"]
