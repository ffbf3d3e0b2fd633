"""Turn the bytes of a transcript file into clean text, or say clearly why not.

Transcripts arrive from Word exports, Windows Notepad, survey tools and old archives: UTF-8 with
or without a BOM, UTF-16 from Excel, and legacy single-byte code pages. The stored text is what
passage offsets point into, so it is normalised once, here: NFC and ``\\n`` line endings.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from charset_normalizer import from_bytes

from workbench.core.errors import TranscriptError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Legacy encodings in the order interview archives most often use them.
_COMMON = (
    "cp1252",
    "cp1251",
    "cp1250",
    "iso8859_15",
    "latin_1",
    "cp1253",
    "cp1254",
    "cp1256",
    "cp1255",
    "cp1257",
    "koi8_r",
    "shift_jis",
    "cp932",
    "gb18030",
    "big5",
    "euc_kr",
    "mac_roman",
)
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0e-\x1f]")  # not tab, newlines, \v, \f
# Every byte but those control characters: deleting these from the raw bytes leaves the control
# characters to count, in C. Valid for every ASCII-compatible encoding (not UTF-16/32).
_NOT_CONTROL = bytes(b for b in range(256) if not (b <= 0x08 or 0x0E <= b <= 0x1F))
_SAMPLE = 65536


# Line breaks other than \n and \r: form feed (a page break, as pdftotext writes it), vertical
# tab (Word's manual line break), NEL, and Unicode's line and paragraph separators. Each is one
# "\n", so offsets keep their place; a label after one starts a line like any other.
_BREAK_CHARS = "\f\v\x85\u2028\u2029"
_TO_NEWLINE = {ord(char): "\n" for char in _BREAK_CHARS}


def normalize_text(text: str) -> str:
    """NFC and ``\\n`` line endings: the form every offset in the project refers to."""
    if "\r" in text:  # a search is ten times cheaper than a replace that finds nothing
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if any(char in text for char in _BREAK_CHARS):  # five searches in C beat one regex scan
        text = text.translate(_TO_NEWLINE)
    return unicodedata.normalize("NFC", text)


def _utf16_without_bom(data: bytes) -> str | None:
    sample = data[:4096]
    if len(sample) < 4 or 0 not in sample:  # no zero byte: not UTF-16, and found in C
        return None
    even_zeros = sample[0::2].count(0) / max(1, len(sample[0::2]))
    odd_zeros = sample[1::2].count(0) / max(1, len(sample[1::2]))
    if odd_zeros > 0.3 and even_zeros < 0.05:
        return "utf-16-le"
    if even_zeros > 0.3 and odd_zeros < 0.05:
        return "utf-16-be"
    return None


def detect_encoding(data: bytes, name: str = "<data>") -> str:
    """The encoding of ``data``; raises TranscriptError for binary or undecodable input."""
    return _detect(data, name)[0]


def _detect(data: bytes, name: str) -> tuple[str, str | None, str | None]:
    """The encoding, the text when finding the encoding meant decoding it (UTF-8), and a
    warning when the encoding is a weak guess."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding, None, None
    utf16 = _utf16_without_bom(data)
    if utf16:
        return utf16, None, None
    if b"\x00" in data[:65536]:
        raise TranscriptError(f"{name}: looks like a binary file, not text (it contains NUL bytes)")
    try:
        return "utf-8", data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        mended = _utf8_with_strays(data, name, exc.start)
        if mended is not None:
            return "utf-8", *mended
    encoding, warning = legacy_guess(data, name)
    return encoding, None, warning


_ESCAPED = re.compile("[\udc80-\udcff]")  # a byte that is not UTF-8, as surrogateescape keeps it
_NON_ASCII = re.compile("[^\x00-\x7f]")


def _utf8_with_strays(data: bytes, name: str, first: int) -> tuple[str, str] | None:
    """UTF-8 text with a few bytes of a legacy code page pasted in (a Word smart quote in a
    UTF-8 file): the text, with the bytes that are not UTF-8 read as cp1252, and a warning
    naming the line of the first. Read whole as a code page, every accented letter of such a
    file became mojibake ("CafÃ©"). None when there is more of the code page than of UTF-8."""
    text = data.decode("utf-8", "surrogateescape")
    strays = len(_ESCAPED.findall(text))
    if len(_NON_ASCII.findall(text)) - strays < strays:
        return None
    line = data.count(b"\n", 0, first) + 1
    mended = _ESCAPED.sub(
        lambda found: bytes([ord(found.group()) - 0xDC00]).decode("cp1252", "replace"), text
    )
    return mended, (
        f"{name}: line {line}: {strays} byte{'s' if strays != 1 else ''} not valid UTF-8 (text "
        "pasted from another program?) read as cp1252; check them"
    )


# Below this, charset_normalizer recognised no language in the text, so the code page was
# picked by the absence of mojibake alone; above this much of it, the text reads badly anyway.
_COHERENT = 0.1
_CHAOTIC = 0.2


def legacy_guess(data: bytes, name: str) -> tuple[str, str | None]:
    """The code page of ``data`` (not UTF-8), and a warning when the guess is a weak one.

    A weak guess is still imported (most of the text is ASCII and reads the same in every code
    page), but the person importing hears which file and which encoding to check. Weak means:
    no language recognised and another equally clean code page reads the bytes differently,
    or the best reading is itself garbled.
    """
    matches = list(from_bytes(data[:200_000]))
    if not matches:
        raise TranscriptError(
            f"{name}: cannot tell the text encoding; save it as UTF-8 and import again"
        )
    # Short texts often fit several code pages equally well (French in cp1250 reads as
    # Croatian); among the cleanest candidates, take the one transcripts most often use.
    cleanest = min(match.chaos for match in matches)
    tied = [match for match in matches if match.chaos <= cleanest + 0.01]
    chosen = min(
        tied,
        key=lambda m: _COMMON.index(m.encoding) if m.encoding in _COMMON else len(_COMMON),
    )
    sample = data[:4096]
    rivals = [
        m.encoding
        for m in tied
        if m is not chosen
        and sample.decode(m.encoding, "replace") != sample.decode(chosen.encoding, "replace")
    ]
    if chosen.chaos < _CHAOTIC and (chosen.coherence >= _COHERENT or not rivals):
        return chosen.encoding, None
    also = f" (it also fits {', '.join(rivals[:3])})" if rivals else ""
    return chosen.encoding, (
        f"{name}: not UTF-8; read as {chosen.encoding}, a low-confidence guess{also}; "
        "check its accented letters, or save it as UTF-8 and import again"
    )


def decode_bytes(data: bytes, name: str = "<data>") -> tuple[str, str]:
    """Decode and normalise ``data``; return ``(text, encoding)``."""
    text, encoding, _warning = decode_bytes_noted(data, name)
    return text, encoding


def decode_bytes_noted(data: bytes, name: str = "<data>") -> tuple[str, str, str | None]:
    """``decode_bytes`` with the warning an import report shows when the encoding is a guess."""
    encoding, text, warning = _detect(data, name)
    if text is None:
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise TranscriptError(f"{name}: cannot be read as {encoding}: {exc}") from exc
    if text.startswith("\ufeff"):
        text = text[1:]
    if encoding.startswith(("utf-16", "utf-32")):
        size, controls = len(text[:_SAMPLE]), len(_CONTROL_CHARS.findall(text[:_SAMPLE]))
    else:
        sample = data[:_SAMPLE]
        size, controls = len(sample), len(sample.translate(None, _NOT_CONTROL))
    if controls > max(8, size // 200):
        raise TranscriptError(f"{name}: looks like a binary file, not text (control characters)")
    return normalize_text(text), encoding, warning
