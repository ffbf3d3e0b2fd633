"""Room on screen in the main window: how the side panels share the width, when the transcript
list folds, and how tall the bottom docks open, so that the transcript being coded keeps
priority at every window size."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt

if TYPE_CHECKING:
    from workbench.gui.main_window import MainWindow

# Below this window width the transcript list folds to a strip on its own (its key brings it
# back): the transcript being coded, not the list of transcripts, needs the room.
FOLD_BELOW = 1200
SEARCH_DOCK_MIN = 220  # px: the filters, four result rows and the status line
AGREEMENT_DOCK_MIN = 200  # px: the controls, a line of headline, a few rows (the rest scrolls)
# Below this window height the key hint under the transcript gives its lines to the passages
# while the retrieval dock is open (F1 and the menus still list every key).
HINT_MIN_HEIGHT = 800


class WindowLayout(QObject):
    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self._auto_folded = False

    def balance(self) -> None:
        """Share the width: the transcript at least half, the codebook enough for whole code
        names where that fits, the transcript list what is left (folded lists take a strip)."""
        window = self.window
        total = max(window.splitter.width(), window.width(), 400)
        half = total // 2
        strip = window.left.strip_width
        room = total - half  # for both side panels
        if window.right.collapsed:
            right = window.right.strip_width
        else:
            floor = strip if window.left.collapsed else 220  # what the list needs beside it
            right = max(240, min(window.codebook_panel.wanted_width(), room - floor))
        left = strip if window.left.collapsed else max(180, min(360, room - right))
        window.splitter.setSizes([left, total - left - right, right])

    def resized(self, width: int) -> None:
        """The window took a new size: fold or unfold the transcript list, share the width."""
        narrow = width < FOLD_BELOW
        if narrow and not self._auto_folded:
            self._auto_folded = True
            self.window.left.set_collapsed(True)
        elif not narrow and self._auto_folded:
            self._auto_folded = False
            self.window.left.set_collapsed(False)
        self.balance()
        self.fit_hint()

    def fit_hint(self) -> None:
        """The transcript keeps priority when a bottom dock shares a small window: the
        three lines of key hints under it (at 1024 px wide) go to the passages instead."""
        window = self.window
        docked = window.search_dock.isVisible() or window.agreement_dock.isVisible()
        crowded = docked and window.height() < HINT_MIN_HEIGHT
        window.passage_view.hint.setVisible(not crowded)

    def show_search(self) -> None:
        """Open the retrieval dock at a third of the window's height (at least SEARCH_DOCK_MIN):
        the transcript keeps priority. Half the height, as it was, left a 1024x700 window a
        transcript 150 px tall, one card, while a list of passages reads fine in five rows;
        the dock's edge can still be dragged taller."""
        window = self.window
        if not window.search_dock.isVisible():
            window.search_dock.show()
            window.resizeDocks(
                [window.search_dock],
                [max(SEARCH_DOCK_MIN, window.height() // 3)],
                Qt.Orientation.Vertical,
            )
        window.search_dock.raise_()
        window.search.focus_query()

    def toggle_agreement(self) -> None:
        """Open or close the agreement dock; it shows other coders' codes, so blind coding keeps
        it to leads."""
        window = self.window
        if window.agreement_dock.isVisible():
            window.agreement_dock.hide()
            return
        if not window.may_see_others():
            window.show_error(
                "Blind coding is on: the agreement panel shows other coders' codes, so only "
                "a lead can open it."
            )
            return
        window.agreement_dock.show()
        # A third of the height, like the retrieval dock: 260 px at least, as it was, plus a
        # panel that could not shrink under 338 px, left a 1024x700 transcript 130 px.
        window.resizeDocks(
            [window.agreement_dock],
            [max(AGREEMENT_DOCK_MIN, window.height() // 3)],
            Qt.Orientation.Vertical,
        )
        window.agreement.reload()
