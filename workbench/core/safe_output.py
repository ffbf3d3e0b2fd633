"""Files a user opens elsewhere: written whole or not at all, checked early, safe in a spreadsheet.

Every export, report, sample and chart goes through :func:`atomic_path` or
:func:`atomic_output`, so Ctrl-C, a full disk or a kill leaves the previous file (or none), never
a truncated one that looks complete. :func:`check_output_path` refuses a bad ``--out`` before a
slow report is built. :func:`neutralise_cell` keeps transcript text, code and coder names and
metadata values from being run as formulas when a CSV or XLSX file is opened (the OWASP rule).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import IO, Any

from workbench.core.errors import WorkbenchError

PARTIAL_MARK = ".wb-partial-"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# A cell that is nothing but a decimal number cannot hold a formula; spreadsheets read it as
# the number it is, which is what a negative statistic in a report needs.
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
# The export's "reviewed, no code applies" mark (exchange.NO_CODE_MARK): one character with
# nothing after it to evaluate, and prefixing it would change a documented value.
_LONE_MARKS = frozenset({"-"})


# The files of one output set written so far, each (temporary file, final path), while an
# :func:`output_set` block runs; None outside one.
_SET: ContextVar[list[tuple[Path, Path]] | None] = ContextVar("output_set", default=None)


class OutputError(WorkbenchError):
    """An output file that cannot be (or was not) written; the message names the path."""


def neutralise_cell(value: Any) -> Any:
    """Prefix an apostrophe to text a spreadsheet would read as a formula.

    Typed values (numbers, booleans, None) pass unchanged: a writer emits them as numbers, which
    cannot carry a formula. Text that is exactly a plain decimal number such as ``-0.25`` or
    ``1e-05`` also passes, because spreadsheets parse it as that number and nothing else, and
    prefixing it would turn every negative statistic into text.
    """
    if not isinstance(value, str) or not value.startswith(FORMULA_TRIGGERS):
        return value
    if value in _LONE_MARKS or _PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


def restore_cell(value: str) -> str:
    """Undo :func:`neutralise_cell`, so an exported id pasted into a decisions file still matches."""
    if value.startswith("'") and value[1:].startswith(FORMULA_TRIGGERS):
        return value[1:]
    return value


def neutralise_row(row: Iterable[Any]) -> list[Any]:
    """Every cell of a CSV or XLSX row through :func:`neutralise_cell`, headers included."""
    return [neutralise_cell(value) for value in row]


def check_output_path(path: str | Path) -> Path:
    """Refuse an output path that cannot work, before any slow work starts.

    The file is written as a temporary file next to it and renamed, so the folder itself must
    exist and be writable, not just the file.
    """
    out = Path(path)
    if str(path).strip() == "":
        raise OutputError("the output path is empty; give a file name")
    if out.is_dir():
        raise OutputError(f"{out}: is a folder; give a file name inside it")
    if out.exists() and not out.is_file():
        raise OutputError(f"{out}: exists and is not a regular file; choose another name")
    folder = out.parent
    if not folder.exists():
        raise OutputError(f"{out}: the folder {folder} does not exist")
    if not folder.is_dir():
        raise OutputError(f"{out}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{out}: cannot write in the folder {folder} (permission denied)")
    if out.exists() and not os.access(out, os.W_OK):
        raise OutputError(f"{out}: the file is read-only; not overwriting it")
    return out


def _partial_prefix(out: Path) -> str:
    return f".{out.name[:120]}{PARTIAL_MARK}"


def _pid_alive(pid: int) -> bool:
    if os.name != "posix":
        return True  # no cheap check: keep the file rather than risk a running writer's
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_partials(out: Path) -> list[Path]:
    """Delete temporary files left by a killed writer of ``out``; returns what was removed.

    A temp file's name carries its writer's process id, and only files whose process no longer
    runs are removed, so a second process writing the same path at the same time keeps its own.
    """
    prefix = _partial_prefix(out)
    removed = []
    for candidate in out.parent.glob(f"{_glob_escape(prefix)}*"):
        pid_text = candidate.name[len(prefix) :].split("-", 1)[0]
        if not pid_text.isdigit() or int(pid_text) == os.getpid() or _pid_alive(int(pid_text)):
            continue
        with contextlib.suppress(OSError):
            candidate.unlink()
            removed.append(candidate)
    return removed


def _glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def _fsync_folder(folder: Path) -> None:
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; it becomes ``path`` only if the block completes.

    The temporary file sits in the same folder so that the final ``os.replace`` is one atomic
    rename on one filesystem, and is flushed to disk first so a power cut cannot leave an empty
    file under the real name. On any exception (KeyboardInterrupt included) the temporary file
    is removed and ``path`` keeps its old content. An ``OSError`` becomes an :class:`OutputError`
    that says truthfully what is left. For writers that need a file name (openpyxl, reportlab,
    QImage); the temporary name keeps the suffix, which some of them read the format from.
    """
    out = check_output_path(path)
    remove_stale_partials(out)
    existed = out.exists()
    temp = out.with_name(f"{_partial_prefix(out)}{os.getpid()}-{secrets.token_hex(4)}{out.suffix}")
    try:
        # O_EXCL: never write through someone's link; mode 0o666 lets the umask decide, as a
        # plain open() would, rather than mkstemp's private 0o600.
        os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        if existed:
            os.chmod(temp, stat.S_IMODE(out.stat().st_mode))
        yield temp
        with open(temp, "rb+") as handle:
            os.fsync(handle.fileno())
        held = _SET.get()
        if held is not None:  # renamed with the rest of its set, by output_set
            held.append((temp, out))
            return
        os.replace(temp, out)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        if isinstance(exc, OSError):
            left = "the previous file is unchanged" if existed else "no file was left behind"
            raise OutputError(f"{out}: not written: {exc.strerror or exc}; {left}") from exc
        raise
    _fsync_folder(out.parent)


@contextlib.contextmanager
def output_set() -> Iterator[None]:
    """Files that are read together (a table, its memos, its about file) replace the previous
    ones together: each is written whole to its temporary file, and none is renamed until all
    are, so a full disk on the last leaves the previous set, never a new table beside old memos.
    """
    held: list[tuple[Path, Path]] = []
    token = _SET.set(held)
    try:
        yield
    except BaseException:
        for temp, _out in held:
            with contextlib.suppress(OSError):
                temp.unlink()
        raise
    finally:
        _SET.reset(token)
    for temp, out in held:
        os.replace(temp, out)
    for folder in {out.parent for _temp, out in held}:
        _fsync_folder(folder)


@contextlib.contextmanager
def atomic_output(
    path: str | Path, mode: str = "w", encoding: str | None = "utf-8", newline: str | None = None
) -> Iterator[IO[Any]]:
    """Like :func:`atomic_path`, for writers that take an open file (csv, text, bytes)."""
    if "b" in mode:
        encoding = None
    with atomic_path(path) as temp, open(temp, mode, encoding=encoding, newline=newline) as handle:
        yield handle
