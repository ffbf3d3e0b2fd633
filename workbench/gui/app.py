"""Start the desktop app (``workbench gui`` / ``workbench demo``), or render it to a PNG and exit."""

from __future__ import annotations

import os
import sys

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from workbench.core.errors import WorkbenchError
from workbench.core.safe_output import atomic_path, check_output_path
from workbench.core.session import CodingSession
from workbench.core.store import Project
from workbench.core.store.queries import first_external_ids, transcript_row_id
from workbench.gui.dialogs.start_dialog import StartDialog
from workbench.gui.dialogs.text_dialogs import ask_coder_name
from workbench.gui.display_check import display_problem
from workbench.gui.main_window import MainWindow
from workbench.gui.qt_messages import quiet_qt_noise
from workbench.gui.theme import apply_theme
from workbench.settings import load_settings, save_setting
from workbench.suggest.learning import ProjectLocalEngine


def application() -> QApplication:
    quiet_qt_noise()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("workbench")
    scale = float(os.environ.get("WORKBENCH_FONT_SCALE", "1.0"))
    apply_theme(app, scale)  # type: ignore[arg-type]
    return app  # type: ignore[return-value]


def resolve_coder(explicit: str | None, interactive: bool) -> str | None:
    """The coder's name: given, remembered, or asked once (and remembered)."""
    if explicit:
        return explicit
    remembered = os.environ.get("WORKBENCH_CODER") or load_settings().get("coder")
    if isinstance(remembered, str) and remembered.strip():
        return remembered.strip()
    if not interactive:
        return "coder"
    name = ask_coder_name()
    if name:
        save_setting("coder", name)
    return name


def choose_project() -> str | None:
    """The start screen: open, create, or try the demo."""
    dialog = StartDialog()
    return dialog.chosen if dialog.exec() else None


def build_window(project: Project, coder: str) -> MainWindow:
    session = CodingSession(project, coder)
    return MainWindow(session, ProjectLocalEngine(project))


def wait_for_suggestions(window: MainWindow, timeout_ms: int = 20_000) -> None:
    if not window.controller.suggesting:
        return
    loop = QEventLoop()
    window.controller.suggestions_finished.connect(loop.quit)
    QTimer.singleShot(timeout_ms, loop.quit)
    if window.controller.suggesting:
        loop.exec()


def save_screenshot(window: MainWindow, path: str) -> None:
    app = QApplication.instance()
    wait_for_suggestions(window)
    for _ in range(5):
        app.processEvents()  # type: ignore[union-attr]
    with atomic_path(path) as temp:
        if not window.grab().save(str(temp)):
            raise WorkbenchError(f"{path}: could not write the screenshot")


def check_transcript(project: Project, external_id: str) -> None:
    """Refuse an unknown ``--transcript`` up front, naming a few real ids, rather than open
    another transcript (or render one to a screenshot) as if it were the one asked for."""
    with project.reading() as conn:
        if transcript_row_id(conn, external_id) is not None:
            return
        known = first_external_ids(conn)
    hint = f"; ids look like: {', '.join(known)}" if known else "; the project has no transcripts"
    raise WorkbenchError(
        f"--transcript '{external_id}': no such transcript in {project.shown_location}{hint}"
    )


def parse_size(size: str) -> tuple[int, int]:
    """``--size WIDTHxHEIGHT`` as two positive numbers, refused before anything is opened."""
    try:
        width, height = (int(part) for part in size.lower().split("x"))
    except ValueError:
        raise WorkbenchError(f"--size '{size}': expected WIDTHxHEIGHT, e.g. 1400x900") from None
    if width <= 0 or height <= 0:
        raise WorkbenchError(f"--size '{size}': width and height must be above 0, e.g. 1400x900")
    return width, height


def run_gui(
    location: str | None,
    screenshot: str | None = None,
    size: str = "1400x900",
    transcript: str | None = None,
    coder: str | None = None,
    read_only: bool = False,
) -> int:
    """Open the workspace, or with ``screenshot`` render it to a PNG and exit.

    ``read_only`` opens the project so that nothing can be written: no coder is created and no
    suggestions are fetched (``gui --screenshot`` looks at a real study and must leave no trace).
    """
    width, height = parse_size(size)
    if screenshot:
        check_output_path(screenshot)  # before the window is built, not after
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    problem = display_problem()
    if problem:  # Qt would abort the process with a message that names no package
        raise WorkbenchError(problem)
    app = application()
    if location is None:
        location = choose_project()
        if location is None:
            return 0
    project = Project.open(location, read_only=read_only)
    try:
        if project.codebook is None:
            raise WorkbenchError(
                f"{location}: the project has no codebook; add one with 'workbench codebook add'"
            )
        if transcript:
            check_transcript(project, transcript)
        name = resolve_coder(coder, interactive=screenshot is None)
        if name is None:
            return 0
        window = build_window(project, name)
        window.resize(width, height)
        if screenshot:
            window.setProperty("quiet_errors", True)
            if window.read_only_banner is not None:  # read-only by the screenshot's own choice
                window.read_only_banner.hide()
        window.show()
        if screenshot and (window.width(), window.height()) != (width, height):
            smallest = window.minimumSizeHint().expandedTo(window.minimumSize())
            window.close()
            raise WorkbenchError(
                f"--size '{size}': the window cannot be that small; it needs at least "
                f"{smallest.width()}x{smallest.height()}"
            )
        window.open_first_transcript(transcript)
        if project.integrity_warning:
            window.show_error(project.integrity_warning)
        if screenshot:
            save_screenshot(window, screenshot)
            window.close()
            return 0
        try:
            return app.exec()
        except (
            Exception
        ) as exc:  # last resort: tell the user, nothing unsaved is lost (all writes are immediate)
            QMessageBox.critical(window, "workbench", str(exc))
            return 1
    finally:
        project.close()
