"""Start-up on a Linux desktop: missing xcb libraries are named with their packages before Qt
can abort, and the app opens a real X window under Xvfb (as CI can), not only offscreen."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import REPO
from workbench.gui.display_check import XCB_LIBRARIES, display_problem, uses_xcb

X11 = {"DISPLAY": ":0"}


def only_missing(*names: str):
    return lambda name: None if name in names else f"lib{name}.so"


def test_a_missing_xcb_cursor_names_the_packages_for_debian_and_fedora():
    problem = display_problem("linux", X11, only_missing("xcb-cursor"))
    assert problem is not None and "\n" not in problem  # one line, as every user error
    assert "libxcb-cursor" in problem
    assert "sudo apt-get install libxcb-cursor0" in problem
    assert "sudo dnf install xcb-util-cursor" in problem
    assert "libxcb-icccm" not in problem  # only what is missing


def test_several_missing_libraries_share_one_fedora_package_once():
    problem = display_problem("linux", X11, only_missing("xcb-shape", "xcb-xkb", "xcb-icccm"))
    assert "apt-get install libxcb-icccm4 libxcb-shape0 libxcb-xkb1;" in problem
    assert "dnf install xcb-util-wm libxcb " in problem


def test_nothing_to_say_when_all_is_there_or_qt_will_not_use_x11():
    assert display_problem("linux", X11, only_missing()) is None
    everything_missing = only_missing(*XCB_LIBRARIES)
    assert display_problem("darwin", X11, everything_missing) is None
    assert display_problem("win32", {}, everything_missing) is None
    offscreen = {"QT_QPA_PLATFORM": "offscreen"}
    assert display_problem("linux", offscreen, everything_missing) is None
    wayland = {"WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland"}
    assert display_problem("linux", wayland, everything_missing) is None
    assert uses_xcb("linux", {"QT_QPA_PLATFORM": "xcb", **wayland})
    assert uses_xcb("linux", {"QT_QPA_PLATFORM": "xcb:nograb"})


def test_no_display_is_said_plainly():
    problem = display_problem("linux", {}, only_missing())
    assert problem is not None and "no display" in problem and "xvfb-run" in problem


def test_the_cli_says_it_in_one_line_instead_of_aborting(tmp_path, monkeypatch, capsys):
    from workbench.cli import main
    from workbench.demo import create_demo_project
    from workbench.gui import display_check

    location = create_demo_project(tmp_path / "demo.wb")
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(display_check.sys, "platform", "linux")
    monkeypatch.setattr(display_check.ctypes.util, "find_library", only_missing("xcb-cursor"))
    assert main(["gui", str(location), "--coder", "ana"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "libxcb-cursor0" in err and "Traceback" not in err


@pytest.mark.gui
@pytest.mark.skipif(not shutil.which("xvfb-run"), reason="xvfb-run is not installed (.ci/run does)")
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 is tested on Linux")
def test_the_app_draws_in_a_real_x_window_under_xvfb(tmp_path):
    from workbench.demo import create_demo_project

    problem = display_problem("linux", {"DISPLAY": ":99"})
    if problem:
        pytest.skip(problem)
    location = create_demo_project(tmp_path / "demo.wb")
    shot = tmp_path / "x11.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb"}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    args = [sys.executable, "-m", "workbench", "gui", str(location), "--coder", "ana"]
    args += ["--screenshot", str(shot), "--size", "1024x700"]
    done = subprocess.run(
        ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    assert "could not load the Qt platform plugin" not in done.stderr
    from PySide6.QtGui import QImage

    image = QImage(str(shot))
    assert (image.width(), image.height()) == (1024, 700)
