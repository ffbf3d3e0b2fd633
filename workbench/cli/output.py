"""How every command prints its result: one JSON object for ``--json``, lines of text otherwise.

Kept in one place so ``--json`` means the same thing for every command (indented, non-ASCII kept,
dates and paths as strings) and a command's text and JSON can never drift apart in form.
"""

from __future__ import annotations

import json
from collections.abc import Callable


def print_json(value: object) -> None:
    """The one JSON shape scripts read: indented, UTF-8 as is, anything else by ``str``."""
    print(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def render(value: object, as_json: bool, text: Callable[[], None]) -> None:
    """Print a command's result as JSON, or call ``text`` to print it for a person.

    ``text`` is called only when wanted, so its formatting may assume the human form.
    """
    if as_json:
        print_json(value)
    else:
        text()
