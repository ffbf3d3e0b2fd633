"""A SQLite project built under a temporary name and renamed into place only when it is whole.

``new copy.wb --from x.qdpx`` imports in several transactions; killed between them, a project
under the final name would hold transcripts but no codings, and the next ``new`` would refuse
the name as if the project were complete. Built as ``.copy.wb.partial-<pid>`` beside it
instead, a killed run leaves only that hidden file: the next run deletes it when its process is
gone, or names it when that process still runs (two runs building one name).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from workbench.core.errors import ProjectError

# What SQLite (and the busy note) may leave beside a database file.
_COMPANIONS = ("", "-wal", "-shm", "-journal", ".writing")
_PREFIX = ".{name}.partial-"


def partial_path(final: Path, pid: int | None = None) -> Path:
    """The temporary name of this process's build of ``final``, in the same folder (so the
    rename is one atomic step on one file system)."""
    return final.with_name(f"{_PREFIX.format(name=final.name)}{pid or os.getpid()}")


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():  # an earlier, failed build in this very process
        return False
    if os.name != "posix":  # os.kill there ends the process: name the file, never delete it
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    except OSError:
        return False
    return True


def _partials(final: Path) -> list[tuple[Path, int]]:
    prefix = _PREFIX.format(name=final.name)
    found = []
    with contextlib.suppress(OSError):
        for path in final.parent.iterdir():
            rest = path.name[len(prefix) :] if path.name.startswith(prefix) else ""
            if rest.isdigit():
                found.append((path, int(rest)))
    return found


def remove_partial(path: Path) -> None:
    """Delete a build and the files SQLite left beside it."""
    for suffix in _COMPANIONS:
        with contextlib.suppress(FileNotFoundError):
            path.with_name(path.name + suffix).unlink()


def clear_stale_partials(final: Path, refuse_live: bool = True) -> list[Path]:
    """Delete the builds of ``final`` whose process is gone; refuse while one still runs
    (``refuse_live=False``: leave it, for a caller that refuses for another reason).

    Returns the deleted files, so the caller can say that an earlier run had been cut short.
    """
    removed = []
    for path, pid in _partials(final):
        if _pid_alive(pid):
            if not refuse_live:
                continue
            raise ProjectError(
                f"{final}: process {pid} is creating it now (its unfinished copy is {path.name}); "
                f"wait for it to finish, or, if no such run is going on, delete {path}"
            )
        remove_partial(path)
        removed.append(path)
    return removed


def publish(partial: Path, final: Path) -> None:
    """Give the finished build its final name; never over a project made meanwhile.

    The build must be closed: its WAL checkpointed into the file, or the rename would leave
    committed pages behind under the temporary name.
    """
    wal = partial.with_name(partial.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise ProjectError(f"{partial}: still open (its write-ahead log is not checkpointed)")
    try:
        os.link(partial, final)  # fails, rather than replaces, when the name is taken
    except FileExistsError:
        if final.stat().st_size > 0:
            raise ProjectError(
                f"{final}: already exists; open it instead, or choose a new name"
            ) from None
        os.replace(partial, final)  # an empty file: what `new` itself would overwrite
    except OSError:  # a file system without hard links
        if final.exists() and final.stat().st_size > 0:
            raise ProjectError(
                f"{final}: already exists; open it instead, or choose a new name"
            ) from None
        os.replace(partial, final)
    else:
        partial.unlink()
    remove_partial(partial)  # an empty -shm SQLite may keep
    _sync_folder(final.parent)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself survive a power cut (POSIX; elsewhere the rename is enough)."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
