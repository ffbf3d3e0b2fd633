"""Read CSV rows exactly as ``csv.reader(strict=True)`` does, several times faster on the
long quoted cells that published transcript datasets are made of.

The csv module reads character by character, which made it the slowest step of importing a
dataset. Transcript cells are long and rarely contain quotes, so finding each closing quote
with ``str.find`` does the same work at memory speed. The fast reader handles the shapes it is
sure of; where it is not (an unterminated quote, text after a closing quote, a carriage return,
a NUL) it hands over to the csv module at the start of that row, and the csv module reads the
rest and names the line at fault.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from functools import cache

csv.field_size_limit(2**31 - 1)  # a transcript is one cell: no size is too large

Row = tuple[list[str], int]  # the cells, and the line the row ends on (csv.reader.line_num)


class CSVSyntaxError(ValueError):
    """The text is not valid CSV; ``line`` is where the csv module stopped."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


class _Unsure(Exception):
    def __init__(self, position: int, lines: int) -> None:
        self.position = position  # where the row the fast reader could not read starts
        self.lines = lines  # line breaks before it


def read_rows(text: str, delimiter: str = ",") -> Iterator[Row]:
    """Every row of ``text``: its cells and the line it ends on; raises CSVSyntaxError."""
    try:
        yield from _fast_rows(text, delimiter)
        return
    except _Unsure as stop:
        position, lines = stop.position, stop.lines
    reader = csv.reader(io.StringIO(text[position:]), delimiter=delimiter, strict=True)
    row_start = lines + 1
    try:
        for cells in reader:
            yield cells, lines + reader.line_num
            row_start = lines + reader.line_num + 1
    except csv.Error as exc:
        line = lines + reader.line_num
        message = str(exc)
        if row_start < line:
            # A stray quote runs on over the lines below it, so the csv module stops far from
            # it (at the end of the file, for one never closed): name the row that holds it.
            message += f" (in the row that starts on line {row_start}; a '\"' may be missing there)"
        raise CSVSyntaxError(line, message) from exc


@cache
def _unquoted(delimiter: str) -> re.Pattern[str]:
    return re.compile(f"[^{re.escape(delimiter)}\\n]*")


def _fast_rows(text: str, delimiter: str) -> Iterator[Row]:
    """csv.reader's rows for the default dialect; raises _Unsure where it stops."""
    if "\r" in text or "\0" in text or len(delimiter) != 1 or delimiter in '"\n':
        raise _Unsure(0, 0)
    unquoted = _unquoted(delimiter).match
    newlines = 0  # line breaks consumed so far
    pos = 0
    while pos < len(text):
        row_start = pos
        if text[pos] == "\n":
            cells: list[str] | None = []  # a blank line is a row with no cells
            pos += 1
        else:
            cells, pos = _row(text, pos, delimiter, unquoted)
        if cells is None:
            raise _Unsure(row_start, newlines)
        newlines += text.count("\n", row_start, pos)
        yield cells, newlines if text[pos - 1] == "\n" else newlines + 1


def _row(
    text: str, pos: int, delimiter: str, unquoted: Callable[[str, int], re.Match[str] | None]
) -> tuple[list[str] | None, int]:
    """The cells of the row at ``pos`` and where the next row starts; no cells when unsure.

    A cell that starts with a quote runs to the next lone quote (a doubled quote is a quote);
    other cells run to the next delimiter or line break.
    """
    cells: list[str] = []
    while True:
        if text[pos] == '"':
            close = text.find('"', pos + 1)
            while close >= 0 and text.startswith('"', close + 1):
                close = text.find('"', close + 2)
            if close < 0:
                return None, pos  # an unterminated quote
            cell = text[pos + 1 : close]
            cells.append(cell.replace('""', '"') if '""' in cell else cell)
            pos = close + 1
        else:
            end = unquoted(text, pos).end()  # type: ignore[union-attr]  # [^...]* always matches
            cells.append(text[pos:end])
            pos = end
        if pos >= len(text):
            return cells, pos
        separator = text[pos]
        pos += 1
        if separator == "\n":
            return cells, pos
        if separator != delimiter:
            return None, pos  # text after a closing quote: csv.reader(strict=True) refuses
        if pos >= len(text) or text[pos] == "\n":
            cells.append("")  # a trailing delimiter ends with an empty cell
            return cells, min(pos + 1, len(text))
