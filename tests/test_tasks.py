"""The one Progress and cancel token every long operation shares (workbench.core.tasks)."""

from __future__ import annotations

import io

import pytest

from workbench.core.tasks import Cancelled, CancelToken, terminal_progress


def test_a_token_stops_work_at_its_next_checkpoint():
    token = CancelToken()
    token.raise_if_cancelled()  # not set: work goes on
    token.cancel()
    assert token.cancelled
    with pytest.raises(Cancelled):
        token.raise_if_cancelled()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_terminal_progress_draws_a_bar_and_ends_the_line_when_done(monkeypatch):
    screen = _Terminal()
    monkeypatch.setattr("sys.stderr", screen)
    terminal_progress(1, 4, "import")
    assert screen.getvalue() == "\rimport   [#######.......................] 1/4"
    terminal_progress(4, 4, "import")
    assert screen.getvalue().endswith("[##############################] 4/4\n")


def test_terminal_progress_is_silent_when_stderr_is_not_a_terminal(monkeypatch):
    piped = io.StringIO()
    monkeypatch.setattr("sys.stderr", piped)
    terminal_progress(1, 4, "import")
    assert piped.getvalue() == ""
