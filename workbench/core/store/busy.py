"""Who is writing a project, so that a writer that waited in vain can say whom it waited for.

SQLite tells a waiting writer only "database is locked". A long writer (an import) leaves a
small note beside the project file naming its job and its process; a writer that gives up reads
it. The note is a hint, never a lock: a note whose process is gone is ignored, and a project
given as a URL (a server) gets none.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _note_path(location: str) -> Path | None:
    if "://" in location:
        return None
    path = Path(location).expanduser()
    return path.with_name(path.name + ".writing")


@contextmanager
def writing_note(location: str, job: str) -> Iterator[None]:
    """Leave the note naming ``job`` while the block runs (best effort: a read-only folder
    just means a vaguer message for whoever waits)."""
    note = _note_path(location)
    written = False
    if note is not None:
        with contextlib.suppress(OSError):
            note.write_text(json.dumps({"pid": os.getpid(), "job": job}), encoding="utf-8")
            written = True
    try:
        yield
    finally:
        if written and note is not None:
            with contextlib.suppress(OSError):
                if _read(note).get("pid") == os.getpid():  # not another job's newer note
                    note.unlink()


def _read(note: Path) -> dict:
    try:
        data = json.loads(note.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else (or no kill() here): assume alive
        return True
    return True


def current_writer(location: str) -> str | None:
    """The job named by a live writer's note, if there is one."""
    note = _note_path(location)
    if note is None or not note.exists():
        return None
    data = _read(note)
    pid = data.get("pid")
    if pid == os.getpid() or not _alive(pid) or not isinstance(data.get("job"), str):
        return None
    return f"{data['job']}, process {data['pid']}"


def busy_message(location: str) -> str:
    """The one line a writer prints when the write lock stayed taken for its whole wait."""
    writer = current_writer(location)
    who = f" ({writer})" if writer else ""
    return (
        f"{location}: the project is busy: another workbench process is writing to it{who}; "
        "nothing was written - try again when it finishes"
    )
