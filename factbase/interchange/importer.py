"""Import claims in the interchange format (``factbase/interchange/``) through the services: the run, in one
transaction, chunk by chunk; each stage is a module of its own, and a base of ``Importer``.

``Importer.run(sources)`` reads every record of the given files and, chunk by chunk:

1. checks each record on its own (``interchange.parse_claim``; ``import_read``, on a thread of its own);
2. gathers what the files say of each related record (actors, outlets, sources, tags), named by its
   natural key; two records that say different things of one related record are refused (``import_gather``);
3. finds the related records already in the database with one query a kind and a chunk; creates the
   missing ones, and updates the existing ones where the file says something different, through the
   services (``*_create_many``, ``*_update``; ``import_resolve``);
4. matches each claim to the one it updates: by ``uid``; else (or when no claim has that uid) by its
   source, speaker and text, when both the source and the speaker were already in the database;
5. creates the new claims with ``services.claim_create_many`` (each validated as ``claim_create``
   validates one: its date and precision, its quote found in the source's text), updates the changed
   ones with ``claim_update`` and ``claim_set_status``, and creates or updates their reviews (4 and 5:
   ``import_write``);
6. once every record is in, creates the relations between claims that the records list and the
   database lacks (``claim_relation_create``), each other claim found by its ``uid`` among the claims of
   the files or of the database (one that is in neither is a problem of the record's line;
   ``import_relations``).

A refusal by the services is reported at the record's field (``import_refusals``).

On PostgreSQL, an import of many records that will at least double the claims table loads it without
its secondary indexes and foreign keys, made again at the end (``_loading_tables``); large batches of
claims get their search vectors computed set-wise (``bulk``). The records are read and checked on a
thread of their own, ahead of the one being written.

Everything happens in one transaction. When a record is refused, the problem is reported with its file,
line and field, and by default nothing at all is written (``skip_invalid`` keeps the rest);
``dry_run`` makes every change and then rolls them all back, so the report says what an import
would do. A record that matches what the database holds changes nothing, so importing a file twice
is the same as importing it once. Every record written has the import's ``reason`` in its history,
those it updates as those it creates (``_history_reason``).

An interrupt (``KeyboardInterrupt``) before the commit rolls everything back; one that comes while
the transaction commits waits until ``Report.written`` says that it did (``interrupts.HeldInterrupts``),
so the caller always knows which of the two happened.

Changing a claim's status (other than to leave a new claim unverified) needs a user with the
``verify_claim`` permission, as in the admin and the API.
"""

from __future__ import annotations

import gc
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, transaction
from simple_history.signals import pre_create_historical_record

from factbase import interchange, services
from factbase.interchange import ClaimRecord, Problem, RecordError, bulk
from factbase.interchange.import_gather import Entry, GatheringStage
from factbase.interchange.import_read import Input, ReadingStage
from factbase.interchange.import_relations import RelationsStage
from factbase.interchange.import_resolve import ResolvingStage
from factbase.interchange.import_write import WritingStage
from factbase.models import Actor, Claim, Outlet, Source, Tag
from factbase.plumbing.interrupts import HeldInterrupts


CHUNK_SIZE = 5000
# An import of at least this many records that will at least double the claims table loads it without
# its secondary indexes (``Importer._loading_tables``).
BULK_MIN_RECORDS = 10_000
SWITCH_INTERVAL = 0.001  # seconds a thread runs before another may take over (sys.setswitchinterval)
KEEP_TEXT_UP_TO = 2000  # a source's text longer than this is not kept from one chunk to the next


@dataclass
class Report:
    stats: Counter = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)
    records: int = 0
    unchanged: int = 0
    seconds: float = 0.0
    dry_run: bool = False
    written: bool = False  # committed: set at once, with interrupts held (see Importer._run)

    @property
    def ok(self) -> bool:
        return not self.problems

    def claims_per_second(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0


@contextmanager
def _history_reason(reason: str):
    """Within: a history record written by this thread without a reason (a record the import updates
    through the services, which give none) gets ``reason``, as the records the import creates have it.
    Reasons the services give (a status set, a span found again) stay."""
    if not reason:
        yield
        return
    thread = threading.get_ident()

    def give_reason(sender, history_instance, **kwargs):
        if threading.get_ident() == thread and not history_instance.history_change_reason:
            history_instance.history_change_reason = reason

    uid = f"factbase.interchange.importer.reason.{id(give_reason)}"
    pre_create_historical_record.connect(give_reason, weak=False, dispatch_uid=uid)
    try:
        yield
    finally:
        pre_create_historical_record.disconnect(dispatch_uid=uid)


class Importer(ReadingStage, GatheringStage, ResolvingStage, WritingStage, RelationsStage):
    """One import: its options, its registry of related records, its report; the stages are its bases."""

    def __init__(self, *, user=None, dry_run: bool = False, skip_invalid: bool = False, reason: str = "",
                 progress=None, chunk_size: int = CHUNK_SIZE, expected: int | None = None,
                 report: Report | None = None):
        self.user = user
        self.expected = expected  # about how many records the files hold (None: unknown)
        self.dry_run = dry_run
        self.skip_invalid = skip_invalid
        self.reason = reason
        self.progress = progress  # called with the number of records done since the last call
        self.chunk_size = chunk_size
        self.may_set_status = services.can_set_claim_status(user)
        # Given by a caller that must know what was done even when the import is interrupted.
        self.report = report if report is not None else Report()
        self.report.dry_run = dry_run
        self.actors_by_name: dict[tuple, Entry] = {}
        self.actors_by_wikidata: dict[str, Entry] = {}
        self.outlets: dict[str, Entry] = {}
        self.sources: dict[tuple, Entry] = {}
        self.tags: dict[str, Entry] = {}
        self.bound: dict[tuple, Entry] = {}  # (model, pk) -> the entry bound to that record
        self.claimed: set[int] = set()  # ids of the claims that a record of the files has matched or made
        # (input, line, claim, [(type, uid)]) of the records that list relations, written after every claim
        self.pending_relations: list[tuple[Input, int, Claim, list]] = []
        self._touched: list[Entry] = []  # the entries that the chunk being imported names

    def run(self, inputs: Iterable[Input]) -> Report:
        started = time.monotonic()
        # An import holds many objects at once (a chunk's records and the registry) and makes many more:
        # Python's cycle collector would walk them all, again and again, for cycles the import does
        # not make. It runs once at the end instead.
        collecting = gc.isenabled()
        gc.disable()
        # The reading thread and this one take turns: when this one comes back from the database, it
        # waits for the other to hand over, at most a switch interval (5 ms by default) each time.
        switching = sys.getswitchinterval()
        sys.setswitchinterval(min(switching, SWITCH_INTERVAL))
        try:
            return self._run(inputs, started)
        finally:
            sys.setswitchinterval(switching)
            if collecting:
                gc.enable()
                gc.collect()

    def _run(self, inputs: Iterable[Input], started: float) -> Report:
        with HeldInterrupts() as interrupts:  # left after the transaction: the commit and what it says
            with transaction.atomic(), _history_reason(self.reason):
                loading = self._loading_tables()
                large = connection.vendor == "postgresql" and (self.expected or 0) >= BULK_MIN_RECORDS
                with bulk.write_behind() if large else nullcontext():
                    for chunk in self._chunks(inputs):
                        self._process(chunk)
                        if self.progress:
                            self.progress(len(chunk))
                    self._write_relations()
                rollback = self.dry_run or (self.report.problems and not self.skip_invalid)
                if rollback:
                    transaction.set_rollback(True)  # and with it, the indexes dropped are back
                elif loading is not None:
                    loading.finish()
                interrupts.hold()
            self.report.written = not rollback
        self.report.seconds = time.monotonic() - started
        self.report.problems.sort(key=lambda p: (p.file, p.line))
        return self.report

    def _loading_tables(self) -> bulk.LoadingTables | None:
        """A load that will at least double the claims table (PostgreSQL, at least ``BULK_MIN_RECORDS``
        records): the claims' and their tags' secondary indexes and foreign keys are dropped while
        the claims go in, and made again at the end (``bulk.LoadingTables``); so are their history
        tables', when those at least double too. The indexes whose first column is the speaker or the
        source stay: the import finds claims by them (an actor's or a source's change does)."""
        if connection.vendor != "postgresql" or (self.expected or 0) < BULK_MIN_RECORDS:
            return None
        claims = [Claim._meta.db_table, Claim.tags.through._meta.db_table]
        history = [Claim.history.model._meta.db_table, Claim.history.model.tags.model._meta.db_table]
        tables = [*(claims if bulk.table_rows_below(claims[0], self.expected) else ()),
                  *(history if bulk.table_rows_below(history[0], self.expected) else ())]
        loading = bulk.LoadingTables(
            tables,
            drop_references_to=[model._meta.db_table for model in (Actor, Outlet, Source, Tag, Claim)],
            keep_leading={Claim._meta.db_table: ("speaker_id", "source_id")},
            analyze=claims,  # what the API reads; the history tables are left to autovacuum
        )
        if not tables or not loading.possible():
            return None
        loading.begin()
        return loading

    def _refuse(self, source: Input, line: int, problems: list[tuple[str, str]]) -> None:
        for path, message in problems:
            self.report.problems.append(Problem(line, path, message, file=source.name))

    def _process(self, chunk) -> None:
        records: list[tuple[Input, ClaimRecord, list]] = []
        for source, line, record in chunk:
            self.report.records += 1
            if isinstance(record, Problem):
                self.report.problems.append(Problem(record.line, record.field, record.message, file=source.name))
                continue
            if isinstance(record, RecordError):
                self._refuse(source, line, record.problems)
                continue
            refs, problems = self._register(record, source, f"{source.name}:{line}")
            if problems:
                self._refuse(source, line, problems)
                continue
            records.append((source, record, refs))

        # Only what this chunk's records name can have changed: the rest of the registry is settled.
        self._touched = list({id(entry): entry for _, _, refs in records for _, entry in refs}.values())
        self._resolve_outlets()
        self._resolve_sources()
        self._resolve_actors()
        self._resolve_tags()

        ready = []
        for source, record, refs in records:
            failed = [(path, entry.error) for path, entry in refs if entry.error]
            if failed:
                self._refuse(source, record.line, failed)
            else:
                ready.append((source, record))
        self._load_source_texts(ready)
        self._write_claims(ready)
        for entry in self._touched:  # long texts are read again when a later chunk needs them
            if entry.model is Source and entry.instance is not None and \
                    len(entry.instance.__dict__.get("text") or "") > KEEP_TEXT_UP_TO:
                del entry.instance.__dict__["text"]


def import_files(paths: list[Path | str], *, fmt: str | None = None, **options) -> Report:
    """Import files (``-`` is standard input, whose format ``fmt`` must give). Files are read as bytes:
    what is not UTF-8 is a problem of the line it is on (``interchange.read_records``)."""
    inputs, opened = [], []
    try:
        for path in paths:
            if str(path) == "-":
                inputs.append(Input("<stdin>", _standard_input(), fmt or "ndjson", None))
                continue
            path = Path(path)
            handle = path.open("rb")
            opened.append(handle)
            inputs.append(Input(str(path), handle, interchange.format_for(str(path), fmt), path.parent))
        expected = None if any(str(path) == "-" for path in paths) else sum(count_lines(path) for path in paths)
        return Importer(expected=expected, **options).run(inputs)
    finally:
        for handle in opened:
            handle.close()


def _standard_input():
    """Standard input as bytes, through a reader of its own: the reading thread may be left waiting on
    it when an import stops early (SIGINT), and Python, when it exits, must not find ``sys.stdin``'s
    own buffer held by that thread ("could not acquire lock ... at interpreter shutdown" aborts it).
    Never closed here: closing would wait for that thread; the descriptor stays sys.stdin's."""
    try:
        return open(sys.stdin.fileno(), "rb", closefd=False)  # noqa: SIM115
    except (AttributeError, OSError, ValueError):  # not a file (tests give a stream)
        return getattr(sys.stdin, "buffer", sys.stdin)


def count_lines(path: Path | str) -> int:
    """The lines of a file: about as many as its records (NDJSON, CSV, and JSON as exported)."""
    count = 0
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            count += block.count(b"\n")
    return count
