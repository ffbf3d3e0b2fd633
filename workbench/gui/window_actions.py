"""The main window's menus and their keys: every QAction, its keys shown in its menu entry.

Kept apart from the main window, which builds the panels and wires them; the workspace keys
come from core/keys.py, where the codebook check sees them too.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMessageBox

from workbench.core.codebook import Codebook
from workbench.core.keys import WORKSPACE_KEYS, reserved_command
from workbench.gui.restore_flow import ask_and_restore
from workbench.gui.window_read_only import WRITES

if TYPE_CHECKING:
    from workbench.gui.main_window import MainWindow


def code_shortcuts(codebook: Codebook) -> dict[str, str]:
    """Code id -> key: the codebook's own shortcuts, or 1–9 for the first nine leaf codes.

    A shortcut the workspace keeps for a command is left out (``codebook check`` reports it).
    """
    keys = {
        code.id: code.shortcut
        for code in codebook.walk()
        if code.shortcut and reserved_command(code.shortcut) is None
    }
    if not keys:
        leaves = [code.id for code in codebook.walk() if not code.children]
        keys = {code_id: str(number) for number, code_id in enumerate(leaves[:9], start=1)}
    return keys


TRANSCRIPTS_KEY = "Ctrl+Shift+T"
CODEBOOK_KEY = "Ctrl+Shift+B"
EXAMPLE_KEY = "Ctrl+Shift+E"  # use the passage as an example of a code (leads)


def keys_text(action: QAction) -> str:
    """Every key of an action, as the coder's platform writes them ("Right or Tab")."""
    return " or ".join(
        key.toString(QKeySequence.SequenceFormat.NativeText) for key in action.shortcuts()
    )


def set_label(action: QAction, text: str) -> None:
    """Name an action; its menu entry shows all its keys, not only the first (Qt's default)."""
    shown = action.property("keys_text")
    action.setText(f"{text}\t{shown}" if shown else text)


def _action(
    window: MainWindow,
    menu: QMenu,
    text: str,
    keys: Sequence[str],
    slot: Callable[[], None],
    tip: str = "",
    writes: bool = False,
) -> QAction:
    action = QAction(window)
    action.setProperty(WRITES, writes)  # greyed out in a read-only project (window_read_only)
    action.setShortcuts([QKeySequence(key) for key in keys])
    action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    shown = keys_text(action)
    action.setProperty("keys_text", shown)
    set_label(action, text)
    action.setToolTip(f"{tip or text} ({shown})")
    action.setStatusTip(tip or text)
    action.triggered.connect(slot)
    menu.addAction(action)
    window.addAction(action)
    return action


def build_actions(window: MainWindow) -> None:
    """Every menu and key of the workspace, each action added to the window so its keys work
    wherever the focus is."""
    c = window.controller
    keys = WORKSPACE_KEYS  # kept in the core, where the codebook check sees them too
    menus = window.menuBar()
    file_menu = menus.addMenu("&File")
    _action(
        window,
        file_menu,
        "Export report…",
        ["Ctrl+E"],
        window.lead.export_report,
        "HTML, PDF, XLSX or CSV",
    )
    _action(
        window,
        file_menu,
        "Restore from backup…",
        [],
        lambda: ask_and_restore(window),
        "Put one of the project's backups back (the current state is backed up first)",
        writes=True,
    )
    _action(window, file_menu, "Close", ["Ctrl+W"], window.close)
    edit = menus.addMenu("&Edit")
    window.undo_action = _action(
        window, edit, "Undo", ["Ctrl+Z"], c.undo, "Undo the last decision", writes=True
    )
    window.redo_action = _action(
        window, edit, "Redo", ["Ctrl+Shift+Z", "Ctrl+Y"], c.redo, "Redo", writes=True
    )
    _action(window, edit, "Find transcript", ["Ctrl+F"], lambda: window.navigator.search.setFocus())
    _action(
        window,
        edit,
        "Search passages and retrieve coded ones",
        ["Ctrl+Shift+F"],
        window.show_search,
        "Full-text search, or every passage coded with a code",
    )
    go = menus.addMenu("&Go")
    _action(window, go, "Next passage", keys["next passage"], lambda: c.move(1))
    _action(window, go, "Previous passage", keys["previous passage"], lambda: c.move(-1))
    _action(
        window, go, "Next unreviewed passage", keys["next unreviewed passage"], c.next_unreviewed
    )
    _action(window, go, "Next suggestion", keys["next suggestion"], lambda: c.move_chip(1))
    _action(window, go, "Previous suggestion", keys["previous suggestion"], lambda: c.move_chip(-1))
    coding = menus.addMenu("&Code")
    _action(
        window,
        coding,
        "Accept suggestion",
        keys["accept suggestion"],
        c.accept_focused,
        "Accept the highlighted suggestion",
        writes=True,
    )
    _action(
        window,
        coding,
        "Accept all suggestions",
        keys["accept all suggestions"],
        c.accept_all,
        "Accept every open suggestion",
        writes=True,
    )
    _action(
        window,
        coding,
        "Reject / remove",
        keys["reject or remove"],
        c.reject_focused,
        "Reject the highlighted suggestion or remove the code",
        writes=True,
    )
    _action(
        window,
        coding,
        "Replace with…",
        keys["replace with another code"],
        c.replace_focused,
        "Replace the highlighted code with another",
        writes=True,
    )
    _action(
        window,
        coding,
        "Apply a code…",
        keys["pick a code"],
        c.pick_code,
        "Pick any code by name",
        writes=True,
    )
    _action(
        window,
        coding,
        "No code applies",
        keys["no code applies"],
        c.no_code,
        "Mark reviewed: no code applies",
        writes=True,
    )
    _action(
        window,
        coding,
        "Memo…",
        keys["memo"],
        c.edit_memo,
        "Write a memo on this passage, or on the selected words",
        writes=True,
    )
    for command, label, edge, forward in (
        ("select the next word", "Select the next word", "end", True),
        ("unselect the last word", "Unselect the last word", "end", False),
        ("unselect the first word", "Unselect the first word", "start", True),
        ("select the word before", "Select the word before", "start", False),
    ):
        _action(
            window,
            coding,
            label,
            keys[command],
            lambda _checked=False, e=edge, f=forward: c.select_words(e, f),
            "Select words in the passage from the keyboard (the first press takes its "
            "first word); a code's key then codes them",
        )
    _action(
        window,
        coding,
        "Code selection…",
        keys["code the selection"],
        lambda: c.code_selection(),
        "Code the words selected in the passage (a code's key does it too)",
        writes=True,
    )
    _action(
        window,
        coding,
        "Accept evidence as selection",
        keys["accept evidence as a coded selection"],
        c.accept_evidence_as_span,
        "Accept the highlighted suggestion, coding just its evidence quote",
        writes=True,
    )
    _action(
        window,
        coding,
        "Remove coded selection",
        keys["remove a coded selection"],
        lambda: c.remove_focused_span(),
        "Remove the highlighted code from one selection; the passage keeps the code",
        writes=True,
    )
    _action(window, coding, "Cancel suggestions", keys["cancel suggestions"], c.cancel_suggestions)
    codes_menu = menus.addMenu("Code &keys")
    codebook = window.session.project.codebook
    for code_id, key in sorted(window.shortcuts.items(), key=lambda item: item[1]):
        name = codebook.get(code_id).name if codebook and codebook.get(code_id) else code_id
        _action(
            window,
            codes_menu,
            f"{name}",
            [key.upper() if key.isalpha() else key],
            lambda _checked=False, cid=code_id: c.toggle_code(cid),
            f"Toggle {code_id}",
            writes=True,
        )
    view = menus.addMenu("&View")
    _action(window, view, "Transcripts panel: fold or show", [TRANSCRIPTS_KEY], window.left.toggle)
    _action(window, view, "Codebook panel: fold or show", [CODEBOOK_KEY], window.right.toggle)
    _action(
        window,
        view,
        "Agreement and adjudication (shows other coders' codes)",
        ["Ctrl+Shift+G"],
        window.toggle_agreement,
    )
    _action(
        window,
        view,
        "Machine translation: show or hide",
        keys["machine translation"],
        window.translation.toggle,
        "Show or hide the stored machine translation under each passage",
    )
    _action(window, view, "Languages I read…", [], window.translation.choose_languages)
    _action(window, view, "Project settings (leads)…", [], window.lead.show_settings, writes=True)
    _action(window, view, "Double-coding sample…", [], window.lead.show_sampler, writes=True)
    _action(
        window,
        view,
        "Speakers: interviewer or participant…",
        [],
        window.lead.show_speakers,
        writes=True,
    )
    _action(window, view, "Codebook health…", [], window.lead.show_codebook_health)
    codebook_menu = menus.addMenu("Code&book")
    _action(window, codebook_menu, "Edit codebook…", [], window.lead.edit_codebook, writes=True)
    window.example_action = _action(
        window,
        codebook_menu,
        "Use this passage as an example…",
        [EXAMPLE_KEY],
        window.lead.use_passage_as_example,
        "Add the passage (or the selection in it) to a code's examples, in the codebook "
        "editor; saved as a new version only when you save there",
        writes=True,
    )
    _action(
        window,
        view,
        "Dashboards (findings and agreement)…",
        ["Ctrl+Shift+D"],
        window.lead.show_dashboards,
    )
    suggestions = menus.addMenu("&Suggestions")
    _action(
        window,
        suggestions,
        "Fetch suggestions for this transcript",
        ["Ctrl+R"],
        window.refetch,
        writes=True,
    )
    window.claude_action = _action(
        window,
        suggestions,
        "Use Claude (sends passages to Anthropic)…",
        [],
        window.lead.toggle_claude,
        "Switch between the local engine and Claude",
    )
    window.claude_action.setCheckable(True)
    window._claude_tip = window.claude_action.toolTip()
    suggestions.setToolTipsVisible(True)  # the tooltip says why Claude is greyed out
    _action(window, suggestions, "Claude model…", [], window.lead.choose_claude_model)
    _action(
        window,
        suggestions,
        "Translate this transcript… (sends it to Anthropic)",
        [],
        window.translation.translate_open,
        "Machine-translate the open transcript through Claude, cost shown first",
        writes=True,
    )
    _action(window, suggestions, "Local engine quality…", [], window.lead.show_local_quality)
    help_menu = menus.addMenu("&Help")
    _action(
        window,
        help_menu,
        "Keyboard shortcuts",
        keys["keyboard shortcuts"],
        lambda: show_keys(window),
    )


def key_table(window: MainWindow) -> list[tuple[str, str]]:
    """``(every key of the action, the action)`` for each action that has a key."""
    return [(keys_text(a), a.text().split("\t")[0]) for a in window.actions() if a.shortcuts()]


def show_keys(window: MainWindow) -> None:
    lines = [
        f"<tr><td><b>{html.escape(keys)}</b></td><td>{html.escape(text)}</td></tr>"
        for keys, text in key_table(window)
    ]
    QMessageBox.information(
        window, "Keyboard shortcuts", "<table cellpadding=3>" + "".join(lines) + "</table>"
    )
