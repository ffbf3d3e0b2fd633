"""Split a regular three-field CSV body into factorised columns, without a Python object per row.

A ratings file of 300,000 units × 3 coders has 900,000 rows; the csv module plus a tuple and
dictionary lookups per row spend seconds on it, longer than pandas and the ``krippendorff``
package together. A body that is plainly regular (no quotes, exactly two commas on every line,
no empty field, no field padded with whitespace) is instead split on its separator bytes with
numpy and each column factorised in bulk. Anything else returns None, so the caller's row
reader, which knows line numbers and set-valued rows, decides what the file means: this module
only ever answers for files where both readers must agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

COMMA, NEWLINE = ord(","), ord("\n")
_ROW_PATTERN = np.array([COMMA, COMMA, NEWLINE], dtype=np.uint8)

# Every character ``str.strip`` removes (``str.isspace``), as UTF-8. A field that starts or ends
# with one is left to the row reader, which strips it.
SPACES = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000"
)
_ENCODED = [c.encode("utf-8") for c in SPACES]
_ASCII_SPACE = np.zeros(256, dtype=bool)
_ASCII_SPACE[[e[0] for e in _ENCODED if len(e) == 1]] = True
_OPENS = np.zeros(256, dtype=bool)  # first bytes of the multi-byte spaces
_OPENS[[e[0] for e in _ENCODED if len(e) > 1]] = True
_CLOSES = np.zeros(256, dtype=bool)  # their last bytes
_CLOSES[[e[-1] for e in _ENCODED if len(e) > 1]] = True
_WIDE = {
    size: np.array([int.from_bytes(e, "big") for e in _ENCODED if len(e) == size])
    for size in (2, 3)
}


def _padded_edges(data: np.ndarray, first: np.ndarray, last: np.ndarray) -> bool:
    """Whether any field (offsets of its first and last byte) starts or ends with a space.

    ``data`` is padded past its end, so reading a few bytes on from any field is safe.
    """
    if _ASCII_SPACE[data[first]].any() or _ASCII_SPACE[data[last]].any():
        return True
    head = first[_OPENS[data[first]]].astype(np.int64)  # few or none: only these are decoded
    tail = last[_CLOSES[data[last]]].astype(np.int64)
    for size in (2, 3):
        opening = sum(data[head + i].astype(np.int64) << (8 * (size - 1 - i)) for i in range(size))
        closing = sum(data[tail - i].astype(np.int64) << (8 * i) for i in range(size))
        if np.isin(opening, _WIDE[size]).any() or np.isin(closing, _WIDE[size]).any():
            return True
    return False


@dataclass(frozen=True)
class Column:
    names: list[str]  # distinct values, in order of first appearance
    codes: np.ndarray  # int64, one per row: the index of the row's value in ``names``


def split_columns(body: bytes) -> tuple[Column, Column, Column] | None:
    """The three columns of ``body`` (UTF-8 rows after the header), or None if it is not regular."""
    if not body or b'"' in body or b"\0" in body or b"\r" in body:
        return None  # quoting, a NUL (it would pad a key), a line end the csv module also knows
    if not body.endswith(b"\n"):
        body += b"\n"
    data = np.frombuffer(body, dtype=np.uint8)
    separators = np.flatnonzero((data == COMMA) | (data == NEWLINE))
    if len(separators) % 3 or not (data[separators].reshape(-1, 3) == _ROW_PATTERN).all():
        return None  # a blank line, or a line with fewer or more than three fields
    starts = np.empty_like(separators)
    starts[0], starts[1:] = 0, separators[:-1] + 1
    lengths = separators - starts
    if not lengths.all():
        return None  # an empty field: a missing unit or coder, or "reviewed, no code"
    reach = int(lengths.max()) + 8  # no word of a field may start past the padding
    padded = np.concatenate([data, np.zeros(reach, dtype=np.uint8)])
    if _padded_edges(padded, starts, separators - 1):
        return None
    # every byte offset as the start of an unaligned big-endian 8-byte word: a field's bytes
    # are then one gather per eight, whatever its length
    words: np.ndarray = np.ndarray(
        (len(data) + reach - 7,), dtype=">u8", buffer=padded, strides=(1,)
    )
    return tuple(  # type: ignore[return-value]
        _factorise(words, starts[k::3], lengths[k::3]) for k in range(3)
    )


# _KEEP[n]: the top n bytes of a 64-bit word
_KEEP = np.array([(2 ** (8 * n) - 1) << (8 * (8 - n)) for n in range(9)], dtype=np.uint64)


def _factorise(words: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> Column:
    """Distinct fields in order of first appearance, and each row's index among them.

    Each field becomes its bytes left-aligned in 8-byte words and padded with zero bytes (no
    field holds one, so padding cannot merge two values): one integer when it fits in eight
    bytes, which numpy sorts fastest, else a fixed-width byte string.
    """
    count = -(-int(lengths.max()) // 8)
    parts = [
        words[starts + 8 * w].astype(np.uint64) & _KEEP[np.clip(lengths - 8 * w, 0, 8)]
        for w in range(count)
    ]
    if count == 1:
        keys = parts[0]
    else:
        keys = np.stack(parts, axis=1).astype(">u8").view(f"S{8 * count}").ravel()
    # np.unique(return_index=True) needs a stable sort; a quick sort and the smallest row index
    # per group (reduceat) give the same first appearances faster
    perm = keys.argsort()
    ordered = keys[perm]
    new_group = np.empty(len(keys), dtype=bool)
    new_group[0], new_group[1:] = True, ordered[1:] != ordered[:-1]
    group_starts = np.flatnonzero(new_group)
    first = np.minimum.reduceat(perm, group_starts)
    order = np.argsort(first)  # groups by first appearance
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    codes = np.empty(len(keys), dtype=np.int64)
    codes[perm] = rank[np.cumsum(new_group) - 1]
    distinct = ordered[group_starts[order]]
    as_bytes = distinct.astype(">u8").view("S8") if count == 1 else distinct
    # one decode for all names (no field holds a newline)
    names = b"\n".join(as_bytes.tolist()).decode("utf-8").split("\n")
    return Column(names, codes)
