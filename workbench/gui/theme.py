"""Colours, fonts and the style sheet: one calm, readable look for long coding sessions."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication, QWidget

INK = QColor("#1f2328")
# Muted and faint text keep WCAG AA contrast (4.5:1) on the canvas (#f6f8fa) and on white:
# #8c959f was 2.9:1, too light for the small passage numbers and interviewer labels.
MUTED = QColor("#5f6872")  # 5.3:1 on the canvas
FAINT = QColor("#68717b")  # 4.7:1 on the canvas
PAPER = QColor("#ffffff")
CANVAS = QColor("#f6f8fa")
LINE = QColor("#d0d7de")
ACCENT = QColor("#0969da")
FOCUS = QColor("#fff8c5")  # the passage being coded
EVIDENCE = QColor("#ffe9a8")  # highlighted evidence quotes
SELECTION = QColor("#0969da")  # text the coder is selecting in a passage
SELECTION_INK = QColor("#ffffff")
ACCEPTED_INK = QColor("#ffffff")
DEFAULT_CODE = QColor("#57606a")

# Fusion's own combo box arrow sat in a sunken box whose dark edges showed under the rounded
# border the style sheet draws; a style-sheet arrow needs an image, kept here.
ICONS = Path(__file__).resolve().parent / "icons"

STYLE = """
QMainWindow, QWidget#panel { background: #f6f8fa; }
QListView#passages { background: #f6f8fa; border: none; }
QTableView, QTreeView { background: #ffffff; border: 1px solid #d0d7de; border-radius: 6px;
    selection-background-color: #ddf4ff; selection-color: #1f2328; alternate-background-color: #f9fafb; }
QHeaderView::section { background: #f6f8fa; border: none; border-bottom: 1px solid #d0d7de;
    padding: 4px 6px; color: #57606a; font-weight: 600; }
QLineEdit, QComboBox { background: #ffffff; border: 1px solid #d0d7de; border-radius: 6px; padding: 4px 8px; }
QLineEdit:focus, QComboBox:focus { border: 1px solid #0969da; }
QComboBox::drop-down { border: none; width: 22px; }
QComboBox::down-arrow { image: url(@ICONS@/chevron-down.svg); width: 10px; height: 6px; }
QLabel#title { font-size: 15pt; font-weight: 600; color: #1f2328; }
QLabel#subtitle { color: #57606a; }
QLabel#section { color: #57606a; font-weight: 600; text-transform: uppercase; letter-spacing: 1px; }
QTextBrowser#details { background: #ffffff; border: 1px solid #d0d7de; border-radius: 6px; padding: 6px; }
QStatusBar { background: #ffffff; border-top: 1px solid #d0d7de; color: #57606a; }
QToolBar { background: #ffffff; border-bottom: 1px solid #d0d7de; spacing: 6px; padding: 4px; }
QProgressBar { border: 1px solid #d0d7de; border-radius: 4px; background: #ffffff; height: 10px; text-align: center; }
QProgressBar::chunk { background: #2da44e; border-radius: 3px; }
QSplitter::handle { background: #d0d7de; }
"""


def code_color(hex_color: str | None) -> QColor:
    return QColor(hex_color) if hex_color else DEFAULT_CODE


def apply_theme(app: QApplication, font_scale: float = 1.0) -> None:
    """Light palette and style sheet; ``font_scale`` enlarges every font (accessibility)."""
    app.setStyle("Fusion")
    palette = QPalette()
    palette.setColor(QPalette.ColorRole.Window, CANVAS)
    palette.setColor(QPalette.ColorRole.Base, PAPER)
    palette.setColor(QPalette.ColorRole.Text, INK)
    palette.setColor(QPalette.ColorRole.WindowText, INK)
    palette.setColor(QPalette.ColorRole.Highlight, ACCENT)
    app.setPalette(palette)
    font = QFont(app.font())
    font.setPointSizeF(max(8.0, 10.0 * font_scale))
    app.setFont(font)
    app.setStyleSheet(STYLE.replace("@ICONS@", ICONS.as_posix()))


# What a window manager takes around a dialog: its title bar and borders.
FRAME_MARGIN = (24, 48)


def fit_to_screen(widget: QWidget, width: int, height: int) -> None:
    """Resize a dialog to ``width`` x ``height``, or less where its screen is smaller: a fixed
    1100x800 dashboard on a 1024x700 laptop put its lower edge, and the buttons there, out of
    reach. The dialog's own minimum size still wins (Qt never resizes below it)."""
    screen = widget.screen() if widget.parentWidget() is None else widget.parentWidget().screen()
    if screen is None:
        widget.resize(width, height)
        return
    area = screen.availableGeometry()
    widget.resize(
        min(width, area.width() - FRAME_MARGIN[0]), min(height, area.height() - FRAME_MARGIN[1])
    )
