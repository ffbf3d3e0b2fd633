"""Before the first window on Linux: is there a display, and can Qt's X11 plugin load?

Qt 6.5 and later need ``libxcb-cursor0`` and a few other xcb libraries for a real window; when
one is missing Qt does not raise, it aborts the process with "could not load the Qt platform
plugin", which names no package. This looks for the libraries first (``ctypes.util``, no Qt) and
says which packages to install, for Debian/Ubuntu and Fedora, in one line.
"""

from __future__ import annotations

import ctypes.util
import os
import sys
from collections.abc import Callable, Mapping

# The library Qt's xcb plugin loads -> (Debian/Ubuntu package, Fedora package).
XCB_LIBRARIES: dict[str, tuple[str, str]] = {
    "xcb-cursor": ("libxcb-cursor0", "xcb-util-cursor"),
    "xcb-icccm": ("libxcb-icccm4", "xcb-util-wm"),
    "xcb-keysyms": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "xcb-image": ("libxcb-image0", "xcb-util-image"),
    "xcb-render-util": ("libxcb-render-util0", "xcb-util-renderutil"),
    "xcb-randr": ("libxcb-randr0", "libxcb"),
    "xcb-shape": ("libxcb-shape0", "libxcb"),
    "xcb-xkb": ("libxcb-xkb1", "libxcb"),
    "xkbcommon-x11": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "EGL": ("libegl1", "mesa-libEGL"),
}


def uses_xcb(platform: str, env: Mapping[str, str]) -> bool:
    """Whether Qt will try its X11 plugin: on Linux, asked for it or left to choose outside a
    Wayland session (there Qt picks its Wayland plugin and the xcb libraries do not matter)."""
    if not platform.startswith("linux"):
        return False
    asked = env.get("QT_QPA_PLATFORM", "")
    if asked:
        return asked.split(";")[0].split(":")[0] == "xcb"
    return not (env.get("WAYLAND_DISPLAY") and env.get("XDG_SESSION_TYPE") == "wayland")


def display_problem(
    platform: str | None = None,
    env: Mapping[str, str] | None = None,
    find: Callable[[str], str | None] | None = None,
) -> str | None:
    """What stops a real window from opening, said so the user can fix it, or None."""
    env = os.environ if env is None else env
    platform = platform or sys.platform
    find = find or ctypes.util.find_library
    if not uses_xcb(platform, env):
        return None
    missing = [name for name in XCB_LIBRARIES if find(name) is None]
    if missing:
        debian = " ".join(dict.fromkeys(XCB_LIBRARIES[name][0] for name in missing))
        fedora = " ".join(dict.fromkeys(XCB_LIBRARIES[name][1] for name in missing))
        libraries = ", ".join(f"lib{name}" for name in missing)
        return (
            f"cannot open a window: Qt's X11 plugin needs {libraries} (not installed); "
            f"on Debian/Ubuntu: sudo apt-get install {debian}; "
            f"on Fedora: sudo dnf install {fedora} "
            "(--screenshot renders offscreen and needs none of them)"
        )
    if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        return (
            "cannot open a window: no display (DISPLAY is not set). Run it in a desktop "
            "session, under xvfb-run, or with --screenshot FILE.png to render offscreen"
        )
    return None
