"""Encoding detection and normalisation of transcript bytes."""

from __future__ import annotations

import codecs

import pytest

from workbench.core.decoding import decode_bytes
from workbench.core.errors import TranscriptError

TEXT = "Interviewer: ¿Qué opinas?\r\nParticipant: Ça va, naïve café — 日本語\r\n"
NORMALISED = TEXT.replace("\r\n", "\n")


@pytest.mark.parametrize(
    "data, encoding",
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("utf-16"), "utf-16"),  # with BOM
        (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "utf-16"),
        (TEXT.encode("utf-16-le"), "utf-16-le"),  # no BOM
        (TEXT.encode("utf-16-be"), "utf-16-be"),
    ],
)
def test_unicode_encodings_are_detected(data, encoding):
    text, found = decode_bytes(data, "t.txt")
    assert text == NORMALISED
    assert found == encoding


def test_legacy_single_byte_is_decoded():
    legacy = (
        "Interviewer: Où êtes-vous né ?\nParticipant: À Montréal, près du fleuve. Été très chaud.\n"
        * 5
    )
    text, encoding = decode_bytes(legacy.encode("cp1252"), "t.txt")
    assert text == legacy
    assert encoding != "utf-8"


def test_old_mac_line_endings_and_nfc():
    decomposed = "Cafe\u0301\rNai\u0308ve\r"
    text, _ = decode_bytes(decomposed.encode("utf-8"), "t.txt")
    assert text == "Café\nNaïve\n"


def test_binary_is_refused_with_the_file_name():
    with pytest.raises(TranscriptError, match=r"scan\.pdf: looks like a binary file"):
        decode_bytes(b"%PDF-1.4\x00\x01\x02\x03" * 50, "scan.pdf")


def test_control_characters_are_refused():
    with pytest.raises(TranscriptError, match="binary"):
        decode_bytes(bytes(range(1, 9)) * 200, "blob.txt")


def test_cyrillic_legacy_code_page():
    russian = "Интервьюер: Как вы используете ИИ?\nУчастник: Пишу письма коллегам.\n" * 3
    text, encoding = decode_bytes(russian.encode("cp1251"), "ru.txt")
    assert text == russian and encoding == "cp1251"
