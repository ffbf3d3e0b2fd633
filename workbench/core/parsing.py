"""Read and prepare transcript files for storage, here or in a second process that streams.

An import is two jobs of about the same size: reading, decoding, finding speakers, cutting
passages and hashing on one side; writing to the database on the other. On two cores the first
runs in a parsing process that sends prepared records as it goes, a few batches ahead of the
writer (a bounded queue), so even a single large CSV is stored while it is still being read.
Records cross the process boundary once, compactly (passages as lists of ints, not objects).
"""

from __future__ import annotations

import gc
import multiprocessing
import queue
import traceback
from collections.abc import Iterator
from pathlib import Path

from workbench.core.errors import TranscriptError
from workbench.core.importers import ParsedTranscript, read_transcript_chunks
from workbench.core.segmenter import Segmentation

# One item per chunk of a file: the file, its records (a file may come in several chunks), or
# the error that stops it (which may follow chunks already sent: the file is then rejected).
Parsed = tuple[Path, list[ParsedTranscript] | None, str | None]

_MESSAGE_CHARS = 2_000_000  # transcript text per message between the processes
_QUEUE_MESSAGES = 4  # how far the parsing process may run ahead of the writer
_POLL_SECONDS = 0.5


def parse_files(files: list[Path], mode: Segmentation) -> Iterator[Parsed]:
    """Each file's prepared records, chunk by chunk, in file order; errors as text."""
    for path in files:
        try:
            for records in read_transcript_chunks(path, mode):
                yield path, records, None
        except TranscriptError as exc:
            yield path, None, str(exc)


def _produce(files: list[Path], mode: Segmentation, out: multiprocessing.Queue) -> None:
    """The parsing process: batches of parsed items, then None, or a traceback if it fails."""
    gc.disable()  # this process only makes acyclic records: see cycle_collector_paused
    try:
        batch: list[Parsed] = []
        size = 0
        for item in parse_files(files, mode):
            batch.append(item)
            size += sum(len(record.text) for record in item[1] or ())
            if size >= _MESSAGE_CHARS:
                out.put(batch)
                batch, size = [], 0
        if batch:
            out.put(batch)
        out.put(None)
    except BaseException:  # noqa: BLE001 - the writer must hear of any failure, then re-raise
        out.put(traceback.format_exc())
        raise


class ParsingProcessError(RuntimeError):
    """The parsing process failed or died: nothing it had not yet sent was stored."""


def parse_files_in_background(files: list[Path], mode: Segmentation) -> Iterator[Parsed]:
    """``parse_files`` run in a second process; closing the iterator stops that process.

    The process is spawned, not forked: the caller may be a GUI with threads, and a forked
    child could inherit a lock some other thread held.
    """
    context = multiprocessing.get_context("spawn")
    channel = context.Queue(maxsize=_QUEUE_MESSAGES)
    worker = context.Process(
        target=_produce, args=(files, mode, channel), name="workbench-parse", daemon=True
    )
    worker.start()
    try:
        while True:
            try:
                message = channel.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                if not worker.is_alive():
                    raise ParsingProcessError(
                        f"the parsing process stopped unexpectedly (exit code {worker.exitcode})"
                    ) from None
                continue
            if message is None:
                break
            if isinstance(message, str):
                raise ParsingProcessError(f"the parsing process failed:\n{message}")
            yield from message
    finally:
        if worker.is_alive():
            worker.terminate()
        worker.join()
        channel.cancel_join_thread()
        channel.close()
