"""Read word-processor and PDF transcripts (DOCX, ODT, RTF, PDF) as paragraphs and turns.

Each format is read by a well-kept library (python-docx, odfpy, striprtf, pypdf); this module
only walks what they give back, in reading order. Paragraphs stay free text for the ordinary
``Name:`` rule; a table whose rows are turns (speaker and text, perhaps a time column) gives
turns with their speakers named outright. Pictures cannot be coded as text: they are counted
and reported, never silently dropped.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from workbench.core.errors import TranscriptError
from workbench.core.turns import Turn, clean_name

_TIME_CELL = re.compile(r"^\[?\(?(\d{1,2}:\d{2}(?::\d{2})?)(?:[.,]\d+)?\)?\]?$")
_HEADER_WORDS = {"speaker", "name", "who", "role", "text", "transcript", "utterance", "turn",
                 "time", "timestamp", "start", "content", "#", "nr", "nr.", "no", "no.", "line",
                 "number"}  # fmt: skip
_ROW_NUMBER = re.compile(r"^\d{1,5}[.)]?$")
_MAX_NAME = 60


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def table_turns(rows: list[list[str]]) -> list[Turn] | None:
    """Turns from a table whose rows are ``speaker | text`` or ``time | speaker | text`` (time
    in either of the first two columns), perhaps after a column of row numbers; None when the
    table is not a table of turns."""
    rows = [[" ".join(cell.split()) for cell in row] for row in rows]
    rows = [row for row in rows if any(row)]
    if not rows or len({len(row) for row in rows}) != 1 or len(rows[0]) not in (2, 3):
        return None
    header = all(cell.lower().strip(" :") in _HEADER_WORDS for cell in rows[0])
    if header:
        rows = rows[1:]
    if not rows:
        return None
    if len(rows[0]) in (3, 4) and all(not row[0] or _ROW_NUMBER.match(row[0]) for row in rows):
        # A first column that numbers the rows (transcription services, f4 and MAXQDA
        # exports) is the table's layout, not words anyone said. Without a header saying so,
        # the names must recur as speakers' do: a numbered list of tools is no interview.
        distinct = {row[-2] for row in rows}
        if not header and len(distinct) > len(rows) / 2:
            return None
        rows = [row[1:] for row in rows]
    time_column = None
    if len(rows[0]) == 3:
        time_column = next(
            (c for c in (0, 1) if all(not r[c] or _TIME_CELL.match(r[c]) for r in rows)), None
        )
        if time_column is None:
            return None
    name_column = 1 - time_column if time_column is not None else 0
    names = [row[name_column] for row in rows]
    if not any(names) or any(len(name) > _MAX_NAME for name in names):
        return None
    turns = []
    for row in rows:
        match = _TIME_CELL.match(row[time_column]) if time_column is not None else None
        speaker = clean_name(row[name_column]) or None
        turns.append(Turn(row[-1], speaker, match.group(1) if match else None))
    return turns


def _table_blocks(rows: list[list[str]]) -> list[Turn]:
    """A table's turns, or else its rows as paragraphs, so that no cell's text is lost."""
    turns = table_turns(rows)
    if turns is not None:
        return turns
    return [Turn(" ".join(cell for cell in row if cell.strip())) for row in rows if any(row)]


def read_docx(path: Path, data: bytes) -> tuple[list[Turn], list[str]]:
    """Body paragraphs and tables in order; pictures counted (headers and footers are page
    furniture, not the interview)."""
    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - python-docx raises many kinds for a bad file
        raise TranscriptError(f"{path}: not a readable DOCX file: {_reason(exc)}") from exc
    blocks: list[Turn] = []
    leads: list[str | None] = []  # per block, the bold name it opens with, if any
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            rows = [[cell.text for cell in row.cells] for row in item.rows]
            found = _table_blocks(rows)
            blocks.extend(found)
            leads.extend([None] * len(found))
        elif item.text.strip():
            blocks.append(Turn(item.text))
            leads.append(_bold_lead(item))
    pictures = len(document.inline_shapes)
    return bold_turns(blocks, leads), [_plural(pictures, "picture")] if pictures else []


_MAX_LEAD_WORDS = 5


def _bold_lead(paragraph: Any) -> str | None:  # python-docx ships no types
    """The bold run(s) a paragraph opens with, when they look like a name set apart by space
    ("**Interviewer** Thanks", "**Dr. Kim**<tab>Well"), else None. A bold name that ends in a
    colon needs nothing: the ordinary ``Name:`` rule reads it."""
    lead = ""
    for run in paragraph.runs:
        if not run.text:
            continue
        if not (run.bold or (run.style is not None and run.style.font.bold)):
            break
        lead += run.text
    return _lead_name(lead, paragraph.text)


def _lead_name(lead: str, text: str) -> str | None:
    """``lead``, the bold opening of paragraph ``text``, as a speaker's name, if it is one."""
    name = lead.strip()
    rest = text[len(lead) :] if text.startswith(lead) else ""
    if (
        not name
        or not rest.strip()
        or not (lead[-1].isspace() or rest[0].isspace())
        or name[-1] in ":：?!,;"
        or rest.lstrip()[:1] in (":", "：")
        or len(name) > _MAX_NAME
        or len(name.split()) > _MAX_LEAD_WORDS
    ):
        return None
    return name


def bold_turns(blocks: list[Turn], leads: list[str | None]) -> list[Turn]:
    """Paragraphs that open with a bold name, as turns of that speaker, when the same name
    opens two paragraphs or more: transcribers often set the speaker apart by bold type and
    a space or tab alone, with no colon for the ``Name:`` rule to see. A bold phrase that opens
    a single paragraph is emphasis, and stays text."""
    counts: dict[str, int] = {}
    for name in leads:
        if name is not None:
            counts[name] = counts.get(name, 0) + 1
    result = []
    for block, name in zip(blocks, leads):
        if name is not None and counts[name] >= 2:
            rest = block.text.lstrip()[len(name) :]
            block = Turn(rest.strip(), clean_name(name))
        result.append(block)
    return result


def read_odt(path: Path, data: bytes) -> tuple[list[Turn], list[str]]:
    """Paragraphs, headings, lists and tables of the body in order; pictures counted."""
    from odf import draw, table
    from odf.namespaces import TABLENS, TEXTNS
    from odf.opendocument import load
    from odf.teletype import extractText

    try:
        document = load(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - odfpy raises many kinds for a bad file
        raise TranscriptError(f"{path}: not a readable ODT file: {_reason(exc)}") from exc
    paragraph_kinds = {(TEXTNS, "p"), (TEXTNS, "h")}
    table_kind, cell_kind = (TABLENS, "table"), (TABLENS, "table-cell")
    blocks: list[Turn] = []
    leads: list[str | None] = []
    bold = _odt_bold_styles(document)

    def walk(node: Any) -> Iterator[Any]:  # odfpy ships no types
        for child in node.childNodes:
            if child.qname in paragraph_kinds or child.qname == table_kind:
                yield child
            elif child.nodeType == child.ELEMENT_NODE:
                yield from walk(child)

    for node in walk(document.text):
        if node.qname == table_kind:
            rows = [
                [extractText(cell) for cell in row.childNodes if cell.qname == cell_kind]
                for row in node.getElementsByType(table.TableRow)
            ]
            found = _table_blocks(rows)
            blocks.extend(found)
            leads.extend([None] * len(found))
        else:
            line = extractText(node)
            if line.strip():
                blocks.append(Turn(line))
                leads.append(_odt_bold_lead(node, line, bold, extractText))
    pictures = len(document.text.getElementsByType(draw.Image))
    return bold_turns(blocks, leads), [_plural(pictures, "picture")] if pictures else []


def _odt_bold_styles(document: Any) -> frozenset[str]:
    """The names of the ODT text styles that set bold type (``fo:font-weight``)."""
    from odf import style

    names = set()
    for styles in (document.automaticstyles, document.styles):
        for item in styles.getElementsByType(style.Style):
            for properties in item.getElementsByType(style.TextProperties):
                weight = str(properties.getAttribute("fontweight") or "")
                if weight == "bold" or (weight.isdigit() and int(weight) >= 600):
                    names.add(str(item.getAttribute("name")))
    return frozenset(names)


def _odt_bold_lead(
    paragraph: Any, text: str, bold: frozenset[str], extract: Any
) -> str | None:  # odfpy ships no types
    """The bold spans an ODT paragraph opens with, as a speaker's name (see ``_bold_lead``)."""
    from odf.namespaces import TEXTNS

    lead = ""
    for child in paragraph.childNodes:
        if child.nodeType != child.ELEMENT_NODE:
            if str(child).strip():
                break
            lead += str(child)
            continue
        if child.qname != (TEXTNS, "span") or child.getAttrNS(TEXTNS, "style-name") not in bold:
            break
        lead += extract(child)
    return _lead_name(lead, text) if lead.strip() else None


_RTF_PICTURE = re.compile(rb"\\pict\b")
_RTF_CODEPAGE = re.compile(rb"\\ansicpg(\d+)")


def read_rtf(path: Path, data: bytes) -> tuple[list[Turn], list[str]]:
    """The text of an RTF file by striprtf, in the file's declared code page; pictures counted."""
    from striprtf.striprtf import rtf_to_text

    if not data.lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"{\\rtf"):
        raise TranscriptError(f"{path}: not an RTF file (it does not start with '{{\\rtf')")
    codepage = _RTF_CODEPAGE.search(data[:2000])
    encoding = f"cp{int(codepage.group(1))}" if codepage else "cp1252"
    try:
        "".encode(encoding)
    except LookupError:
        encoding = "cp1252"
    try:
        text = rtf_to_text(data.decode("latin-1"), encoding=encoding, errors="replace")
    except Exception as exc:  # noqa: BLE001 - striprtf raises plain errors on broken groups
        raise TranscriptError(f"{path}: not a readable RTF file: {_reason(exc)}") from exc
    blocks = [Turn(part) for part in re.split(r"\n[ \t]*\n|\n", text) if part.strip()]
    pictures = len(_RTF_PICTURE.findall(data))
    return blocks, [_plural(pictures, "picture")] if pictures else []


def read_pdf(
    path: Path, data: bytes, warnings: list[str] | None = None
) -> tuple[list[Turn], list[str]]:
    """The text layer of a PDF by pypdf, page by page; a PDF without one is refused, since it
    is a scan that needs OCR first, and pages without text are reported. What pypdf logs while
    reading (a broken cross-reference table it worked around) goes to ``warnings``, the
    import's own report, rather than onto the terminal between its lines."""
    warnings = [] if warnings is None else warnings
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        with library_warnings("pypdf") as notes:
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted:
                raise TranscriptError(
                    f"{path}: the PDF is encrypted; save a copy without a password"
                )
            pages = [page.extract_text() or "" for page in reader.pages]
        if notes:
            warnings.append(
                f"{path.name}: the PDF reader repaired or skipped something: "
                + "; ".join(notes[:3])
                + (f" (and {len(notes) - 3} more)" if len(notes) > 3 else "")
            )
    except TranscriptError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as exc:
        raise TranscriptError(f"{path}: not a readable PDF: {_reason(exc)}") from exc
    if not any(page.strip() for page in pages):
        raise TranscriptError(f"{path}: no text layer (a scanned PDF?): run OCR first")
    blank = [str(number) for number, page in enumerate(pages, start=1) if not page.strip()]
    pages, furniture = strip_page_furniture(pages)
    # A page is one block: a PDF's lines are where the layout broke them, not paragraphs.
    blocks = [Turn(page) for page in pages if page.strip()]
    skipped = [f"{_plural(len(blank), 'page')} without text (page {', '.join(blank)})"]
    skipped = skipped if blank else []
    if furniture:
        shown = ", ".join(f"'{line}'" for line in furniture[:2])
        more = f" and {len(furniture) - 2} more" if len(furniture) > 2 else ""
        skipped.append(f"{_plural(len(furniture), 'page header or footer line')} ({shown}{more})")
    return blocks, skipped


# A page number as a header or footer writes it: "12", "- 12 -", "Page 3 of 9", "Seite 3",
# "Página 3 de 9", "3/9", "p. 3".
_PAGE_NUMBER = re.compile(
    r"^[-–—\s]*(?:(?:page|seite|página|pagina|pág\.?|p\.|s\.)\s*)?\d{1,4}"
    r"(?:\s*(?:of|von|de|di|/|sur)\s*\d{1,4})?[-–—\s]*$",
    re.IGNORECASE,
)
_DIGITS = re.compile(r"\d+")


def strip_page_furniture(pages: list[str]) -> tuple[list[str], list[str]]:
    """Pages without their running headers and footers, and the lines taken out.

    A PDF's text layer has each page's header and footer in reading order, so "Page 1 of 2"
    ended up at the end of a participant's turn, coded as if said. The usual rule of PDF text
    extraction is applied to each page's first and last line only: a page number, or a line
    that recurs (digits aside) at the top or bottom of at least half the pages, two or more,
    is page furniture. A recurring line without digits must be on every page of three or more,
    so that a short answer that happens to end two pages stays.
    """
    edges: list[list[tuple[int, str]]] = []  # per page: (line index, line) of its first and last
    for page in pages:
        lines = page.split("\n")
        filled = [index for index, line in enumerate(lines) if line.strip()]
        edges.append([(i, lines[i].strip()) for i in dict.fromkeys(filled[:1] + filled[-1:])])
    shapes = [
        {_DIGITS.sub("#", line) for _, line in page_edges} for page_edges in edges if page_edges
    ]
    seen: dict[str, int] = {}
    for page_shapes in shapes:
        for shape in page_shapes:
            seen[shape] = seen.get(shape, 0) + 1

    def furniture(line: str) -> bool:
        if _PAGE_NUMBER.match(line):
            return True
        shape = _DIGITS.sub("#", line)
        count = seen.get(shape, 0)
        if "#" in shape:
            return count >= 2 and 2 * count >= len(shapes)
        return len(shapes) >= 3 and count == len(shapes)

    taken: list[str] = []
    result = []
    for page, page_edges in zip(pages, edges):
        drop = {index for index, line in page_edges if furniture(line)}
        if drop:
            taken += [line for index, line in page_edges if index in drop]
            lines = page.split("\n")
            page = "\n".join(line for index, line in enumerate(lines) if index not in drop)
        result.append(page)
    return result, taken


@contextlib.contextmanager
def library_warnings(name: str) -> Iterator[list[str]]:
    """The warnings logger ``name`` (and its children) emits inside the block, collected
    instead of printed: one line each, repeats once, in the order they came."""
    notes: list[str] = []

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            line = " ".join(record.getMessage().split())[:200]
            if line and line not in notes:
                notes.append(line)

    logger = logging.getLogger(name)
    handler = _Collect(logging.WARNING)
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield notes
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def _reason(exc: Exception) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__
