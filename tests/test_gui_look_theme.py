"""Text colours stay readable: muted and faint text keep WCAG AA contrast (4.5:1) on the
backgrounds they are painted on."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")
from PySide6.QtGui import QColor  # noqa: E402

from workbench.gui import theme  # noqa: E402


def luminance(color: QColor) -> float:
    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(color.redF())
        + 0.7152 * channel(color.greenF())
        + 0.0722 * channel(color.blueF())
    )


def contrast(a: QColor, b: QColor) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_formula_matches_the_known_extremes():
    assert contrast(QColor("#000000"), QColor("#ffffff")) == pytest.approx(21.0)
    assert contrast(QColor("#777777"), QColor("#ffffff")) == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize("name", ["INK", "MUTED", "FAINT"])
@pytest.mark.parametrize("background", ["PAPER", "CANVAS", "FOCUS"])
def test_text_colours_keep_aa_contrast(name, background):
    assert contrast(getattr(theme, name), getattr(theme, background)) >= 4.5


def test_the_combo_box_arrow_the_style_sheet_names_loads(qtbot):
    """Styling the drop-down removes Fusion's arrow: the image that replaces it must load, or
    every combo box would look like a text field. Read from the sheet apply_theme sets, without
    re-applying it under other tests' widgets."""
    import re

    from PySide6.QtGui import QImage

    sheet = theme.STYLE.replace("@ICONS@", theme.ICONS.as_posix())
    paths = re.findall(r"QComboBox::down-arrow \{ image: url\(([^)]+)\)", sheet)
    assert len(paths) == 1
    assert not QImage(paths[0]).isNull()
