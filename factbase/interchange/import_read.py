"""Import, stage 1: the files read, and each record checked on its own (``interchange.parse_claim``), in
chunks, on a thread of their own that reads ahead of the chunk being written. No database."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from factbase import interchange
from factbase.interchange import Problem, RecordError


READ_AHEAD = 4  # chunks read and checked ahead of the one being imported
READER_STOP_WAIT = 1.0  # seconds an import that stops early waits for its reading thread to stop


@dataclass
class Input:
    """A file (or stream) to import: its name for messages, its stream (binary, or text), its format,
    and the directory that a source's ``text_file`` is read from (None: not allowed)."""

    name: str
    stream: Any
    format: str
    base_dir: Path | None = None


class ReadingStage:
    """The ``Importer``'s reading: ``_chunks(inputs)`` yields lists of ``(input, line, ClaimRecord | Problem |
    RecordError)``."""

    def _read(self, inputs: Iterable[Input]) -> Iterator[list[tuple[Input, int, Any]]]:
        """The records in chunks, each read and checked on its own: ``(input, line, ClaimRecord)``, or a
        ``Problem``, or a ``RecordError``. Pure Python, no database."""
        chunk = []
        cache: dict = {}  # the related records read, for the records that describe them again
        for source in inputs:
            for line, raw in interchange.read_records(source.stream, source.format):
                if not isinstance(raw, Problem):
                    try:
                        raw = interchange.parse_claim(raw, cache)
                    except RecordError as exc:
                        raw = exc
                    else:
                        raw.line = line
                chunk.append((source, line, raw))
                if len(chunk) >= self.chunk_size:
                    yield chunk
                    chunk = []
        if chunk:
            yield chunk

    def _chunks(self, inputs: Iterable[Input]) -> Iterator[list[tuple[Input, int, Any]]]:
        """``_read``'s chunks, read ahead in a thread: the next chunk is parsed while this one waits on
        the database (the thread needs no connection; psycopg lets go of the GIL while it waits)."""
        ahead: queue.Queue = queue.Queue(maxsize=READ_AHEAD)
        done = object()
        stop = threading.Event()

        def put(item) -> bool:
            while not stop.is_set():
                try:
                    ahead.put(item, timeout=0.1)
                    return True
                except queue.Full:
                    continue
            return False  # the reading side stopped: nobody will take it

        def produce():
            try:
                for chunk in self._read(inputs):
                    if not put(chunk):
                        return
                put(done)
            except BaseException as exc:  # noqa: BLE001 - handed to the reading side, raised there
                put(exc)

        reader = threading.Thread(target=produce, name="import-reader", daemon=True)
        reader.start()
        finished = False
        try:
            while True:
                item = ahead.get()
                if item is done or isinstance(item, BaseException):
                    finished = True
                if item is done:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()
            # Stopped early (an interrupt, an error): the reader may be waiting on its input (a pipe
            # that stays open after Ctrl-C). It holds no connection and is a daemon: it is not waited
            # for longer than a moment.
            reader.join(timeout=None if finished else READER_STOP_WAIT)
