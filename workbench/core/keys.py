"""The coding workspace's own keys, defined once for the GUI and for the codebook check.

The GUI binds these keys to its commands, and a codebook ``shortcut`` equal to one of them is
never bound (the command wins). Keeping the table here, with no Qt, lets ``codebook check``
refuse such a shortcut with its line instead of the app silently dropping it. Keys are written
as Qt's portable key text ("J", "Return", "Shift+Tab").
"""

from __future__ import annotations

WORKSPACE_KEYS: dict[str, tuple[str, ...]] = {
    "next passage": ("J",),
    "previous passage": ("K",),
    "next unreviewed passage": ("N",),
    "next suggestion": ("Right", "Tab"),
    "previous suggestion": ("Left", "Shift+Tab"),
    "accept suggestion": ("A", "Return"),
    "accept all suggestions": ("Shift+A",),
    "reject or remove": ("R", "Delete"),
    "replace with another code": ("E",),
    "pick a code": ("/", "Ctrl+K"),
    "no code applies": ("0",),
    "memo": ("M",),
    "select the next word": ("Shift+Right",),
    "unselect the last word": ("Shift+Left",),
    "unselect the first word": ("Ctrl+Shift+Right",),
    "select the word before": ("Ctrl+Shift+Left",),
    "code the selection": ("Ctrl+Shift+C",),
    "accept evidence as a coded selection": ("Ctrl+Shift+A",),
    "remove a coded selection": ("Shift+Delete", "Shift+R"),
    "cancel suggestions": ("Esc",),
    "keyboard shortcuts": ("F1",),
    "machine translation": ("Ctrl+T",),
}


def has_modifier(key: str) -> bool:
    """Whether a key text needs Ctrl, Shift, Alt or Meta ("+" alone is a plain key)."""
    return len(key) > 1 and "+" in key


# Folded key -> the command it belongs to: the keys a single-key codebook shortcut could collide
# with. Letters are folded because the app binds a letter shortcut without Shift.
RESERVED_KEYS: dict[str, str] = {
    key.casefold(): command
    for command, keys in WORKSPACE_KEYS.items()
    for key in keys
    if not has_modifier(key)
}


def reserved_command(key: str) -> str | None:
    """The workspace command that owns ``key`` (any case), or None if a code may use it."""
    return RESERVED_KEYS.get(key.strip().casefold())
