"""The one place the command line prints a result: JSON for scripts, text for people."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from workbench.cli.output import print_json, render


def test_json_keeps_non_ascii_and_prints_what_json_cannot_hold_as_text(capsys):
    print_json({"name": "Zoë", "when": date(2026, 1, 2), "file": Path("a/b.wb")})
    out = capsys.readouterr().out
    assert "Zoë" in out
    assert json.loads(out) == {"name": "Zoë", "when": "2026-01-02", "file": "a/b.wb"}


def test_render_prints_one_form_only(capsys):
    calls: list[str] = []
    render({"n": 1}, True, lambda: calls.append("text"))
    assert json.loads(capsys.readouterr().out) == {"n": 1} and calls == []

    render({"n": 1}, False, lambda: print("one passage"))
    assert capsys.readouterr().out == "one passage\n"
