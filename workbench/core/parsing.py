"""Read and prepare transcript files for storage, here or in parsing processes that stream.

An import is two jobs: reading, decoding, finding speakers, cutting passages and hashing on one
side; writing to the database on the other. Parsing runs in other processes that send prepared
records as they go, a few messages ahead of the writer (bounded queues), so even a single large
CSV is stored while it is still being read. Files are handed out in tasks (a table file, or a
run of small files) round-robin, and the writer takes the tasks back in the same order, so the
stream is in file order however many processes parse. Records cross the process boundary once,
compactly (passages as lists of ints, not objects).
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
import traceback
from collections.abc import Generator
from pathlib import Path

from workbench.core.errors import TranscriptError
from workbench.core.readers import (
    TABLE_LIKE_SUFFIXES,
    ParsedTranscript,
    read_transcript_chunks,
)
from workbench.core.segmenter import Segmentation
from workbench.core.tasks import cycle_collector_paused

# One item per chunk of a file: the file, its records (a file may come in several chunks), or
# the error that stops it (which may follow chunks already sent: the file is then rejected).
Parsed = tuple[Path, list[ParsedTranscript] | None, str | None]

_FILES_PER_TASK = 64  # small files parsed and sent together
_MESSAGE_CHARS = 2_000_000  # transcript text per message between the processes
_QUEUE_MESSAGES = 4  # how far a parsing process may run ahead of the writer
_POLL_SECONDS = 0.5


def parse_files(files: list[Path], mode: Segmentation) -> Generator[Parsed, None, None]:
    """Each file's prepared records, chunk by chunk, in file order; errors as text."""
    for path in files:
        try:
            for records in read_transcript_chunks(path, mode):
                yield path, records, None
        except TranscriptError as exc:
            yield path, None, str(exc)


def _tasks(files: list[Path]) -> list[list[Path]]:
    """Table files alone (they stream in chunks), other files in runs of a few dozen."""
    tasks: list[list[Path]] = []
    run: list[Path] = []
    for path in files:
        if path.suffix.lower() in TABLE_LIKE_SUFFIXES:
            if run:
                tasks.append(run)
                run = []
            tasks.append([path])
            continue
        run.append(path)
        if len(run) == _FILES_PER_TASK:
            tasks.append(run)
            run = []
    if run:
        tasks.append(run)
    return tasks


def _produce(
    tasks: list[list[Path]],
    mode: Segmentation,
    out: multiprocessing.Queue,
    parent: int,
    release: tuple[str, ...] = (),
) -> None:
    """A parsing process: per task, messages ``(items, last)``; a traceback if it fails."""
    _die_with(parent)
    _close_inherited(release)
    _yield_to_the_writer()
    try:
        with cycle_collector_paused():
            _send_tasks(tasks, mode, out)
    except BaseException:  # noqa: BLE001 - the writer must hear of any failure, then re-raise
        out.put(traceback.format_exc())
        raise


def _send_tasks(tasks: list[list[Path]], mode: Segmentation, out: multiprocessing.Queue) -> None:
    for task in tasks:
        # Items name their file by its place in the task: the writer has the paths, and
        # pickling ten thousand Path objects back and forth costs it a noticeable moment.
        index = {path: number for number, path in enumerate(task)}
        batch: list[tuple[int, list[ParsedTranscript] | None, str | None]] = []
        size = 0
        for path, records, error in parse_files(task, mode):
            batch.append((index[path], records, error))
            size += sum(len(record.text) for record in records or ())
            if size >= _MESSAGE_CHARS:
                out.put((batch, False))
                batch, size = [], 0
        out.put((batch, True))


def _yield_to_the_writer() -> None:
    """Run below the writer's priority. With more parsers than spare cores the writer is the
    bottleneck, and an even share of the CPU would slow it for work that can wait."""
    with contextlib.suppress(AttributeError, OSError):  # no nice() on Windows; harmless
        os.nice(5)


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with(parent: int) -> None:
    """End this process when the importing process ends, however it ends (even SIGKILL).

    A parsing process left behind holds hundreds of MB and keeps parsing for no one. On Linux
    the kernel kills it (PR_SET_PDEATHSIG); everywhere, a watcher thread sees the parent gone
    (this process re-parented) and exits. The check after prctl covers a parent that died
    before it.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(_POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="workbench-parent-watch", daemon=True).start()


def _close_inherited(paths: tuple[str, ...]) -> None:
    """Close the descriptors a forked process inherited on the project file (and its WAL).

    The parsing process never touches the database; holding the file open would keep it busy
    for as long as the process lives. Linux shows open descriptors in /proc; elsewhere the
    process is spawned and inherits none.
    """
    if not paths or not os.path.isdir("/proc/self/fd"):
        return
    for name in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError, ValueError):
            target = os.readlink(f"/proc/self/fd/{name}")
            if any(target == p or target.startswith((f"{p}-wal", f"{p}-shm")) for p in paths):
                os.close(int(name))


class ParsingProcessError(RuntimeError):
    """A parsing process failed or died: nothing it had not yet sent was stored."""


def _start_method() -> str:
    """Fork when this process runs one thread: it starts at once and needs no main-module
    guard in the caller's script. With other threads running (the GUI imports on a worker
    thread) a forked child could inherit a lock one of them held, so spawn."""
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return "fork"
    return "spawn"


def parsing_processes() -> int:
    """Two on two cores: the writer waits on the database part of the time, and a second
    parser fills those gaps; one more per further core, up to four."""
    return max(2, min(4, (os.cpu_count() or 2) - 1))


def parse_files_in_background(
    files: list[Path],
    mode: Segmentation,
    processes: int | None = None,
    release: tuple[str | Path, ...] = (),
) -> Generator[Parsed, None, None]:
    """``parse_files`` run in parsing processes; closing the iterator stops them, and so does
    the end of this process. ``release``: files (the project) they must not keep open."""
    tasks = _tasks(files)
    if not tasks:
        return
    count = min(len(tasks), processes or parsing_processes())
    context = multiprocessing.get_context(_start_method())
    released = tuple(os.path.realpath(path) for path in release)
    workers = []
    for index in range(count):
        channel = context.Queue(maxsize=_QUEUE_MESSAGES)
        # typeshed types get_context() of a non-literal method as BaseContext, which lacks the
        # Process that every concrete context has
        process = context.Process(  # type: ignore[attr-defined]
            target=_produce,
            args=(tasks[index::count], mode, channel, os.getpid(), released),
            name=f"workbench-parse-{index + 1}",
            daemon=True,
        )
        process.start()
        workers.append((process, channel))
    try:
        for number, task in enumerate(tasks):
            process, channel = workers[number % count]
            last = False
            while not last:
                items, last = _receive(process, channel)
                for place, records, error in items:
                    yield task[place], records, error
    finally:
        for process, channel in workers:
            if process.is_alive():
                process.terminate()
            process.join()
            channel.cancel_join_thread()
            channel.close()


def _receive(
    process: multiprocessing.process.BaseProcess, channel: multiprocessing.Queue
) -> tuple[list[tuple[int, list[ParsedTranscript] | None, str | None]], bool]:
    while True:
        try:
            message = channel.get(timeout=_POLL_SECONDS)
        except queue.Empty:
            if not process.is_alive():
                raise ParsingProcessError(
                    f"the parsing process stopped unexpectedly (exit code {process.exitcode})"
                ) from None
            continue
        if isinstance(message, str):
            raise ParsingProcessError(f"the parsing process failed:\n{message}")
        return message
