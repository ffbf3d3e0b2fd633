"""Map character offsets in a source file onto offsets in the text the project stores.

REFI-QDA positions count Unicode code points of the source file as it is (after any BOM),
CRLF line endings included. The project stores the text with ``\\n`` line endings and in NFC
(``decoding.normalize_text``), so a selection's offsets must be moved by the characters that
normalisation removed before them, or every coding after the first Windows line ending would
land a few characters early.
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_left

from workbench.core.decoding import normalize_text


class OffsetMap:
    """``source offset -> stored offset`` for one source text.

    ``crlf_counted=False`` is for tools that count a CRLF as one character although their
    source file has both (ATLAS.ti): their offsets are already those of ``\\n`` line endings.
    """

    def __init__(self, raw: str, crlf_counted: bool = True, utf16: bool = False):
        self.raw = raw
        self.text = normalize_text(raw)
        unix = raw.replace("\r\n", "\n").replace("\r", "\n") if "\r" in raw else raw
        self._nfc_stable = unicodedata.is_normalized("NFC", unix)
        # each CR of a CRLF pair disappears: offsets after it move back by one
        self._removed = [i for i in range(len(raw) - 1) if raw[i] == "\r" and raw[i + 1] == "\n"]
        self._crlf_counted = crlf_counted or not self._removed
        self._unix = raw.replace("\r\n", "\n")
        self.counted = raw if self._crlf_counted else self._unix  # the text the positions count
        # UTF-16 counts a character beyond U+FFFF twice: where each such one starts, in units
        self._wide = (
            [index + n for n, index in enumerate(_beyond_bmp(self.counted))] if utf16 else []
        )
        self.length = len(self.counted) + len(self._wide)  # the positions' range

    def code_point(self, offset: int) -> int:
        """A source position as a code point of ``counted`` (UTF-16 units moved back)."""
        return offset - bisect_left(self._wide, offset) if self._wide else offset

    def __call__(self, offset: int) -> int:
        offset = self.code_point(offset)
        if not self._crlf_counted:
            if self._nfc_stable:
                return offset
            return len(normalize_text(self._unix[:offset]))
        if self._nfc_stable:
            return offset - bisect_left(self._removed, offset)
        # rare (decomposed accents in the file): measure the normalised prefix itself
        return len(normalize_text(self.raw[:offset]))


def _beyond_bmp(text: str) -> list[int]:
    return [index for index, char in enumerate(text) if ord(char) > 0xFFFF]
