"""The fast CSV reader gives exactly csv.reader(strict=True)'s rows, line numbers and errors."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from workbench.core.fastcsv import CSVSyntaxError, _fast_rows, read_rows


def reference(text: str, delimiter: str = ",") -> tuple[list, int | None]:
    """csv.reader's rows with line numbers, and the line of its error (None if it read all)."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    rows = []
    try:
        for cells in reader:
            rows.append((cells, reader.line_num))
    except csv.Error:
        return rows, reader.line_num
    return rows, None


def ours(text: str, delimiter: str = ",") -> tuple[list, int | None]:
    rows = []
    try:
        for row in read_rows(text, delimiter):
            rows.append(row)
    except CSVSyntaxError as exc:
        return rows, exc.line
    return rows, None


pieces = st.lists(st.sampled_from(['"', '""', ",", "\t", "\n", " ", "a", "bc", "é", "\n\n", "\r"]))


@settings(max_examples=800, deadline=None)
@given(pieces, st.sampled_from([",", "\t"]))
@example(['"', "a", '"', '"', "bc", '"', ",", "\n"], ",")
@example(["a", ",", "\n", "\n", "bc", ","], ",")
@example(["a", "\n", '"', "bc", "\n", "a"], ",")  # unterminated quote after good rows
def test_rows_line_numbers_and_errors_match_the_csv_module(parts, delimiter):
    text = "".join(parts)
    assert ours(text, delimiter) == reference(text, delimiter)


def test_published_style_rows_take_the_fast_path():
    text = 'id,text,group\np1,"AI: Hello?\n\nUser: I said ""fine"", then left.",workforce\np2,x,\n'
    rows = list(_fast_rows(text, ","))  # raises if the fast reader gave up
    assert rows == reference(text)[0]
    assert rows[1][0][1] == 'AI: Hello?\n\nUser: I said "fine", then left.'
    assert [line for _cells, line in rows] == [1, 4, 5]


def test_a_bad_row_after_good_ones_is_reported_at_its_line():
    text = 'id,text\na,"fine"\nb,"x"y\n'
    with pytest.raises(CSVSyntaxError) as caught:
        list(read_rows(text))
    assert caught.value.line == 3
