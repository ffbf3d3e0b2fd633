"""Make text safe to print on a terminal: control characters and escapes shown, not obeyed.

File names come from the disk and cells from other people's files; echoed raw, an ESC sequence
in a name can recolour, retitle or clear the user's terminal, a newline can forge a second
message line, and a right-to-left override can make ``evil.exe.txt`` read as something else.
"""

from __future__ import annotations

import re

# C0 and C1 controls (ESC among them), DEL, and the bidirectional overrides and isolates.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _shown(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


# The password of a database URL (``postgresql+psycopg://kim:secret@host/db``): a message that
# names the project must not put it on the screen, in a log or in a pasted error report.
_URL_PASSWORD = re.compile(r"(://[^:/@\s]+:)[^@\s]+@")


def printable(text: str) -> str:
    """``text`` with every control character written as an escape (``\\x1b``, ``\\n``) and any
    database password masked."""
    return _UNSAFE.sub(_shown, _URL_PASSWORD.sub(r"\1***@", text))
