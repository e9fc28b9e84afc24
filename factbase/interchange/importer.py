"""Import claims in the interchange format (``factbase/interchange/``) through the services.

``Importer.run(sources)`` reads every record of the given files and, chunk by chunk:

1. checks each record on its own (``interchange.parse_claim``);
2. gathers what the files say of each related record (actors, outlets, sources, tags), named by its
   natural key; two records that say different things of one related record are refused;
3. finds the related records already in the database with one query a kind and a chunk; creates the
   missing ones, and updates the existing ones where the file says something different, through the
   services (``*_create_many``, ``*_update``);
4. matches each claim to the one it updates: by ``uid``; else (or when no claim has that uid) by its
   source, speaker and text, when both the source and the speaker were already in the database;
5. creates the new claims with ``services.claim_create_many`` (each validated as ``claim_create``
   validates one: its date and precision, its quote found in the source's text), updates the changed
   ones with ``claim_update`` and ``claim_set_status``, and creates or updates their reviews;
6. once every record is in, creates the relations between claims that the records list and the
   database lacks (``claim_relation_create``), each other claim found by its ``uid`` among the claims of
   the files or of the database (one that is in neither is a problem of the record's line).

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
import queue
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models.expressions import RawSQL
from simple_history.signals import pre_create_historical_record

from factbase import interchange, provenance, services
from factbase.interchange import bulk
from factbase.interchange import ActorRef, ClaimRecord, OutletRef, Problem, RecordError, SourceRef, TagRef
from factbase.models import Actor, Claim, ClaimRelation, Outlet, Review, Source, Tag
from factbase.models.limits import SOURCE_TEXT_MAX_LENGTH
from factbase.models.relation import INVERSE, SYMMETRIC_TYPES
from factbase.plumbing.interrupts import HeldInterrupts

CHUNK_SIZE = 5000
# An import of at least this many records that will at least double the claims table loads it without
# its secondary indexes (``Importer._loading_tables``).
BULK_MIN_RECORDS = 10_000
IN_BATCH = 500  # values in one SQL IN (...) list
READ_AHEAD = 4  # chunks read and checked ahead of the one being imported
READER_STOP_WAIT = 1.0  # seconds an import that stops early waits for its reading thread to stop
SWITCH_INTERVAL = 0.001  # seconds a thread runs before another may take over (sys.setswitchinterval)
KEEP_TEXT_UP_TO = 2000  # a source's text longer than this is not kept from one chunk to the next

# Where a model's field is found in a record, for reporting a refusal by the services.
CLAIM_FIELDS = {"span_exact": "passage", "span_start": "span", "span_end": "span", NON_FIELD_ERRORS: ""}
REVIEW_FIELDS = {NON_FIELD_ERRORS: ""}  # also for actors, outlets, sources and tags


@dataclass
class Input:
    """A file (or stream) to import: its name for messages, its stream (binary, or text), its format,
    and the directory that a source's ``text_file`` is read from (None: not allowed)."""

    name: str
    stream: Any
    format: str
    base_dir: Path | None = None


@dataclass(slots=True)
class Entry:
    """A related record the files name: what they say of it, and which record of the database it is."""

    model: type
    label: str
    stated: dict[str, Any] = field(default_factory=dict)
    first_said: str = ""  # "file:line" of the record that first described it
    said_at: dict[str, str] = field(default_factory=dict)  # field -> "file:line" that first said it, if not that one
    instance: Any = None
    looked_up: bool = False
    existed: bool = False  # found in the database (not created by this import)
    settled: frozenset[str] = frozenset()  # fields brought in line with the database (see _settled)
    error: str | None = None

    def pending(self) -> bool:
        return self.error is None and (self.instance is None or not self.settled.issuperset(self.stated))


_SETTLED: dict[frozenset, frozenset] = {}


def _settled(names: frozenset[str]) -> frozenset[str]:
    """One set of field names for all the entries settled in the same fields (an import holds many)."""
    return _SETTLED.setdefault(names, names)


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


class _Undo:
    """Changes to the registry made while reading one record, undone if the record is refused."""

    _MISSING = object()

    def __init__(self):
        self.steps = []

    def put(self, mapping: dict, key, value) -> None:
        self.steps.append((mapping, key, mapping.get(key, self._MISSING)))
        mapping[key] = value

    def undo(self) -> None:
        for mapping, key, old in reversed(self.steps):
            if old is self._MISSING:
                mapping.pop(key, None)
            else:
                mapping[key] = old
        self.steps.clear()


def _plural(model) -> str:
    return str(model._meta.verbose_name_plural)


def _messages(exc: ValidationError, field_names: dict[str, str], prefix: str = "") -> list[tuple[str, str]]:
    if hasattr(exc, "error_dict"):
        out = []
        for name, messages in exc.message_dict.items():
            path = field_names.get(name, name)
            path = f"{prefix}.{path}" if prefix and path else (prefix or path)
            out += [(path, message) for message in messages]
        return out
    return [(prefix, message) for message in exc.messages]


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


class Importer:
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

    # --- the whole run ---------------------------------------------------------------------------

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

    def _refuse(self, source: Input, line: int, problems: list[tuple[str, str]]) -> None:
        for path, message in problems:
            self.report.problems.append(Problem(line, path, message, file=source.name))

    # --- one chunk -------------------------------------------------------------------------------

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

    # --- what the files say of related records ---------------------------------------------------

    def _register(self, record: ClaimRecord, source: Input, where: str):
        """Bind the record's related records to entries; returns ([(path, entry)], problems)."""
        undo, refs, problems = _Undo(), [], []

        def merge(entry: Entry, stated: dict, path: str, what: str, new: bool = False):
            if new:  # made for this record: undoing the record forgets the entry itself
                entry.stated.update(stated)
                entry.first_said = where
                return
            if stated == entry.stated or stated.items() <= entry.stated.items():
                return  # nothing new (the usual case: every claim of a speaker describes it alike)
            for name, value in stated.items():
                if name in entry.stated:
                    if entry.stated[name] != value:
                        said = entry.said_at.get(name, entry.first_said)
                        problems.append((f"{path}.{name}", f"Differs from what {said} says of the same {what} "
                                                           f"({entry.label})."))
                else:
                    undo.put(entry.stated, name, value)
                    undo.put(entry.said_at, name, where)

        def actor(ref: ActorRef, path: str) -> Entry | None:
            wikidata = ref.stated.get("wikidata_id") or None
            by_wikidata = self.actors_by_wikidata.get(wikidata) if wikidata else None
            by_name = self.actors_by_name.get((ref.name, ref.kind)) if ref.name and ref.kind else None
            if by_wikidata and by_name and by_wikidata is not by_name:
                problems.append((path, f"The Wikidata id {wikidata} and the name “{ref.name}” ({ref.kind}) name two "
                                       f"different actors of the file."))
                return None
            entry = by_wikidata or by_name
            new = entry is None
            if new:
                label = f"“{ref.name}” ({ref.kind})" if ref.name else wikidata
                entry = Entry(Actor, label)
            # Index the entry by what this record names it by, unless it already has another name or
            # Wikidata id (then the merge below reports the difference).
            if wikidata and by_wikidata is None and not entry.stated.get("wikidata_id"):
                undo.put(self.actors_by_wikidata, wikidata, entry)
            if ref.name and ref.kind and by_name is None and not entry.stated.get("name"):
                undo.put(self.actors_by_name, (ref.name, ref.kind), entry)
            merge(entry, ref.stated, path, "actor", new)
            refs.append((path, entry))
            return entry

        def outlet(ref: OutletRef, path: str) -> Entry:
            entry = self.outlets.get(ref.name)
            new = entry is None
            if new:
                entry = Entry(Outlet, f"“{ref.name}”")
                undo.put(self.outlets, ref.name, entry)
            merge(entry, ref.stated, path, "outlet", new)
            refs.append((path, entry))
            return entry

        def source_(ref: SourceRef, path: str) -> Entry:
            stated = dict(ref.stated)
            if stated.get("outlet") is not None:  # the source's outlet, by its name
                outlet(stated["outlet"], f"{path}.outlet")
                stated["outlet"] = stated["outlet"].name
            if "text_file" in stated:
                text = self._read_text_file(source, stated.pop("text_file"), f"{path}.text_file", problems)
                if text is not None:
                    stated["text"] = text
            key = ref.key
            entry = self.sources.get(key)
            new = entry is None
            if new:
                entry = Entry(Source, ref.describe())
                entry.stated.update({"url": ref.url, "title": ref.title, "published_on": ref.published_on})
                undo.put(self.sources, key, entry)
            merge(entry, stated, path, "source", new)
            refs.append((path, entry))
            return entry

        def tag(ref: TagRef, path: str) -> Entry:
            entry = self.tags.get(ref.slug)
            new = entry is None
            if new:
                entry = Entry(Tag, f"“{ref.slug}”")
                undo.put(self.tags, ref.slug, entry)
            merge(entry, ref.stated, path, "tag", new)
            refs.append((path, entry))
            return entry

        record.speaker_entry = actor(record.speaker, "speaker")
        record.source_entry = source_(record.source, "source")
        record.outlet_entry = outlet(record.outlet, "outlet") if record.outlet else None
        record.tag_entries = None if record.tags is None else [tag(t, f"tags[{i}]") for i, t in enumerate(record.tags)]
        record.review_entries = []
        for i, review in enumerate(record.reviews or []):
            reviewer = actor(review.reviewer, f"reviews[{i}].reviewer") if review.reviewer else None
            published = source_(review.source, f"reviews[{i}].source") if review.source else None
            record.review_entries.append((reviewer, published))
        if problems:
            undo.undo()
        return refs, problems

    def _read_text_file(self, source: Input, name: str, path: str, problems) -> str | None:
        """A source's text from a file beside the imported one: UTF-8 text without NUL, at most
        ``SOURCE_TEXT_MAX_LENGTH`` characters (no more is read)."""
        if source.base_dir is None:
            problems.append((path, "A text_file is read beside the imported file: import from a file, not a stream."))
            return None
        shown = interchange.shown_text(name, 200)
        try:
            base = source.base_dir.resolve()
            target = (base / name).resolve()
            if not target.is_relative_to(base) or not target.is_file():
                problems.append((path, f"No such file beside {source.name}: {shown}."))
                return None
            with target.open(encoding="utf-8") as handle:
                text = handle.read(SOURCE_TEXT_MAX_LENGTH + 1)
        except UnicodeDecodeError as exc:
            problems.append((path, f"{shown} is not UTF-8 text ({exc.reason})."))
            return None
        except (OSError, ValueError) as exc:
            problems.append((path, f"Cannot read {shown}: {getattr(exc, 'strerror', None) or exc}."))
            return None
        if len(text) > SOURCE_TEXT_MAX_LENGTH:
            problems.append((path, f"At most {SOURCE_TEXT_MAX_LENGTH} characters (this file has more)."))
            return None
        if "\x00" in text:
            problems.append((path, f"{shown} contains the NUL character: a text may not."))
            return None
        return text

    # --- finding and making related records ------------------------------------------------------

    def _pending(self, model) -> list[Entry]:
        """The entries of ``model`` that this chunk named and that are not settled yet."""
        return [entry for entry in self._touched if entry.model is model and entry.pending()]

    @staticmethod
    def _in_batches(values: list) -> Iterator[list]:
        for i in range(0, len(values), IN_BATCH):
            yield values[i:i + IN_BATCH]

    def _bind(self, entry: Entry, instance) -> None:
        if instance is None:
            return
        other = self.bound.get((entry.model, instance.pk))
        if other is not None and other is not entry:
            entry.error = (f"This names the same {entry.model._meta.verbose_name} as {other.label} elsewhere in the "
                           f"file, with other details.")
            return
        self.bound[(entry.model, instance.pk)] = entry
        entry.instance, entry.existed = instance, True

    def _reconcile(self, entries: list[Entry], update, field_values) -> None:
        """Bring existing records in line with what the files say; create the missing ones."""
        model = entries[0].model if entries else None
        for entry in entries:
            if entry.error or entry.instance is None:
                continue
            values = field_values(entry)
            changes = {name: value for name, value in values.items()
                       if name not in entry.settled and getattr(entry.instance, name) != value}
            entry.settled = _settled(entry.settled.union(values))
            if changes:
                try:
                    entry.instance = update(entry.instance, changes)
                except ValidationError as exc:
                    entry.error = "; ".join(f"{f}: {m}" if f else m for f, m in _messages(exc, REVIEW_FIELDS))
                    continue
                if entry.existed:
                    self.report.stats[f"{_plural(model)} updated"] += 1

    def _create(self, entries: list[Entry], create_many, field_values) -> None:
        new = [entry for entry in entries if entry.instance is None and entry.error is None]
        if not new:
            return
        items = []
        for entry in new:
            items.append(field_values(entry))
        created, errors = create_many(user=self.user, items=items, reason=self.reason)
        for i, (entry, instance) in enumerate(zip(new, created)):
            if instance is None:
                entry.error = "; ".join(f"{f}: {m}" if f else m for f, m in _messages(errors[i], REVIEW_FIELDS))
            else:
                entry.instance = instance
                entry.settled = _settled(entry.settled.union(entry.stated))
                self.report.stats[f"{_plural(entry.model)} created"] += 1

    def _resolve_outlets(self) -> None:
        entries = self._pending(Outlet)
        names = [e.stated["name"] for e in entries if not e.looked_up]
        found = {}
        for batch in self._in_batches(names):
            found.update({o.name: o for o in Outlet.objects.filter(name__in=batch)})
        for entry in entries:
            if not entry.looked_up:
                entry.looked_up = True
                self._bind(entry, found.get(entry.stated["name"]))
        stated = lambda e: dict(e.stated)  # noqa: E731
        self._reconcile(entries, lambda o, d: services.outlet_update(outlet=o, user=self.user, data=d), stated)
        self._create(entries, services.outlet_create_many, stated)

    def _source_values(self, entry: Entry) -> dict[str, Any]:
        values = dict(entry.stated)
        if "outlet" in values:
            name = values["outlet"]
            if name is None:
                values["outlet"] = None
            else:
                outlet = self.outlets[name]
                if outlet.error or outlet.instance is None:
                    raise ValidationError({"outlet": f"The source's outlet {outlet.label} could not be recorded."})
                values["outlet"] = outlet.instance
        return values

    def _resolve_sources(self) -> None:
        entries = self._pending(Source)
        lookup = [e for e in entries if not e.looked_up]
        urls = [e.stated["url"] for e in lookup if e.stated["url"]]
        titled = [e for e in lookup if not e.stated["url"]]
        by_url, by_title = {}, defaultdict(list)
        # Each existing source is locked (its row, until the import commits), as the services lock a source
        # before writing its claims: the claims' spans are found in the text as read here, and no one may
        # change that text before they are written (factbase/services.py, "Locks").
        sources = Source.objects.select_related("outlet").select_for_update(of=("self",)).order_by("id")
        for batch in self._in_batches(urls):
            # "url <> ''" lets PostgreSQL use the partial unique index on url (not proven from a long IN list).
            by_url.update({s.url: s for s in sources.filter(url__in=batch).exclude(url="")})
        titles = sorted({e.stated["title"] for e in titled})
        for batch in self._in_batches(titles):
            for s in sources.filter(url="", title__in=batch):
                by_title[(s.title, s.published_on)].append(s)
        for entry in lookup:
            entry.looked_up = True
            if entry.stated["url"]:
                self._bind(entry, by_url.get(entry.stated["url"]))
            else:
                matches = by_title.get((entry.stated["title"], entry.stated["published_on"]), [])
                if len(matches) > 1:
                    entry.error = (f"{len(matches)} sources without a URL have this title and date; name the source "
                                   f"by its URL instead.")
                else:
                    self._bind(entry, matches[0] if matches else None)

        for entry in entries:  # a source whose outlet could not be recorded cannot be either
            try:
                self._source_values(entry)
            except ValidationError as exc:
                entry.error = exc.messages[0]

        def update(source, data):
            return services.source_update(source=source, user=self.user, data=data)

        live = [e for e in entries if e.error is None]
        self._reconcile(live, update, self._source_values)
        self._create(live, services.source_create_many, self._source_values)

    def _resolve_actors(self) -> None:
        entries = self._pending(Actor)
        lookup = [e for e in entries if not e.looked_up]
        wikidata = [e.stated["wikidata_id"] for e in lookup if e.stated.get("wikidata_id")]
        names = sorted({e.stated["name"] for e in lookup if e.stated.get("name")})
        by_wikidata, by_name = {}, {}
        for batch in self._in_batches(wikidata):
            by_wikidata.update({a.wikidata_id: a for a in Actor.objects.filter(wikidata_id__in=batch)
                                .exclude(wikidata_id="")})  # the partial unique index, as for urls
        for batch in self._in_batches(names):
            by_name.update({(a.name, a.kind): a for a in Actor.objects.filter(name__in=batch)})
        for entry in lookup:
            entry.looked_up = True
            found_wd = by_wikidata.get(entry.stated.get("wikidata_id")) if entry.stated.get("wikidata_id") else None
            found_name = by_name.get((entry.stated.get("name"), entry.stated.get("kind")))
            if found_wd and found_name and found_wd.pk != found_name.pk:
                entry.error = (f"The Wikidata id {entry.stated['wikidata_id']} is {found_wd.name}'s, not "
                               f"{found_name.name}'s.")
                continue
            self._bind(entry, found_wd or found_name)
        for entry in entries:
            if entry.instance is None and entry.error is None and not (entry.stated.get("name") and
                                                                       entry.stated.get("kind")):
                entry.error = (f"No actor has the Wikidata id {entry.stated.get('wikidata_id')}: give its name and kind "
                               f"to create it.")
        stated = lambda e: dict(e.stated)  # noqa: E731
        self._reconcile(entries, lambda a, d: services.actor_update(actor=a, user=self.user, data=d), stated)
        self._create(entries, services.actor_create_many, stated)

    def _resolve_tags(self) -> None:
        entries = self._pending(Tag)
        slugs = [e.stated["slug"] for e in entries if not e.looked_up]
        found = {}
        for batch in self._in_batches(slugs):
            found.update({t.slug: t for t in Tag.objects.filter(slug__in=batch)})
        for entry in entries:
            if not entry.looked_up:
                entry.looked_up = True
                self._bind(entry, found.get(entry.stated["slug"]))

        def values(entry):  # a tag named only by its slug is created with the slug as its name
            data = dict(entry.stated)
            if entry.instance is None:
                data.setdefault("name", data["slug"])
            return data

        self._reconcile(entries, lambda t, d: services.tag_update(tag=t, user=self.user, data=d), values)
        self._create(entries, services.tag_create_many, values)

    def _load_source_texts(self, ready) -> None:
        """The texts of the sources this chunk's claims quote (each claim's span is found in them)."""
        missing = {}
        for _, record in ready:
            instance = record.source_entry.instance
            if "text" not in instance.__dict__:
                missing[instance.pk] = instance
        for batch in self._in_batches(list(missing)):
            for pk, text in Source.objects.filter(pk__in=batch).values_list("pk", "text"):
                missing[pk].text = text

    # --- claims and their reviews ----------------------------------------------------------------

    def _claim_values(self, record: ClaimRecord) -> dict[str, Any]:
        source = record.source_entry.instance
        stated_on, precision = record.stated_on, record.stated_on_precision
        if record.stated is not None:
            if source.published_on is None:
                raise ValidationError({"stated": f"The source has no publication date to resolve "
                                                 f"“{record.stated}” against: give stated_on."})
            try:
                stated_on, precision = provenance.resolve_date(record.stated, source.published_on)
            except provenance.DateExpressionError:
                raise ValidationError({"stated": f"Cannot tell the date from “{record.stated}”: give stated_on "
                                                 f"(YYYY-MM-DD) and its precision."}) from None
        return {
            "text": record.text, "kind": record.kind, "speaker": record.speaker_entry.instance,
            "speaker_role": record.speaker_role, "stated_on": stated_on, "stated_on_precision": precision,
            "outlet": record.outlet_entry.instance if record.outlet_entry else None, "source": source,
            "span_exact": record.passage,
        }

    def _match(self, ready) -> dict[int, Claim]:
        """For each record (by index in ``ready``), the claim of the database it updates."""
        matched: dict[int, Claim] = {}
        uids = [record.uid for _, record in ready if record.uid is not None]
        by_uid = {c.uid: c for c in selectors_claims_by_uid(uids)}
        natural, taken = [], set()
        for i, (_, record) in enumerate(ready):
            claim = by_uid.get(record.uid) if record.uid is not None else None
            if claim is not None:
                matched[i] = claim
                taken.add(claim.pk)
            elif record.speaker_entry.existed and record.source_entry.existed:
                natural.append(i)
        if natural:
            candidates = defaultdict(list)
            texts = sorted({ready[i][1].text for i in natural})
            speakers = sorted({ready[i][1].speaker_entry.instance.pk for i in natural})
            sources = sorted({ready[i][1].source_entry.instance.pk for i in natural})
            for batch in self._in_batches(texts):
                for claim in (Claim.objects.filter(text__in=batch, speaker_id__in=speakers, source_id__in=sources)
                              .order_by("id")):
                    candidates[(claim.source_id, claim.speaker_id, claim.text)].append(claim)
            for i in natural:
                record = ready[i][1]
                key = (record.source_entry.instance.pk, record.speaker_entry.instance.pk, record.text)
                for claim in candidates.get(key, []):
                    if claim.pk not in self.claimed and claim.pk not in taken:
                        matched[i] = claim
                        taken.add(claim.pk)
                        break
        return matched

    def _status_problem(self, status: str) -> tuple[str, str] | None:
        if self.may_set_status:
            return None
        return ("status", f"Setting the status to “{status}” needs a user with the verify_claim permission (an "
                          f"Editor): give one with --user.")

    def _write_claims(self, ready) -> None:
        matched = self._match(ready)
        new_items, new_records = [], []
        updates = []
        seen_uids: dict = {}
        for i, (source, record) in enumerate(ready):
            if record.uid is not None:
                if record.uid in seen_uids:
                    self._refuse(source, record.line, [("uid", f"Line {seen_uids[record.uid]} has the same uid.")])
                    continue
                seen_uids[record.uid] = record.line
            claim = matched.get(i)
            if claim is not None and claim.pk in self.claimed:
                self._refuse(source, record.line, [("uid", "An earlier record of the files is the same claim.")])
                continue
            try:
                values = self._claim_values(record)
            except ValidationError as exc:
                self._refuse(source, record.line, _messages(exc, CLAIM_FIELDS))
                continue
            if claim is None:
                if record.status not in (None, Claim.Status.UNVERIFIED) and (problem := self._status_problem(record.status)):
                    self._refuse(source, record.line, [problem])
                    continue
                item = {**values, "span_hint": record.span_hint, "tags": self._tags(record) or [],
                        "status": record.status, "status_note": record.status_note or ""}
                if record.uid is not None:
                    item["uid"] = record.uid
                new_items.append(item)
                new_records.append((source, record))
            else:
                self.claimed.add(claim.pk)
                updates.append((source, record, claim, values))

        created, errors = services.claim_create_many(user=self.user, items=new_items, reason=self.reason) \
            if new_items else ([], {})
        reviews_for = []
        for i, ((source, record), claim) in enumerate(zip(new_records, created)):
            if claim is None:
                self._refuse(source, record.line, _messages(errors[i], CLAIM_FIELDS))
                continue
            self.claimed.add(claim.pk)
            self.report.stats["claims created"] += 1
            reviews_for.append((source, record, claim, []))
            if record.relations:
                self.pending_relations.append((source, record.line, claim, record.relations))

        existing_reviews = defaultdict(list)
        ids = [claim.pk for _, record, claim, _ in updates if record.reviews is not None]
        for batch in self._in_batches(ids):
            for review in Review.objects.filter(claim_id__in=batch).order_by("id"):
                existing_reviews[review.claim_id].append(review)
        tags_now = defaultdict(set)
        ids = [claim.pk for _, record, claim, _ in updates if record.tags is not None]
        through = Claim.tags.through
        for batch in self._in_batches(ids):
            for claim_id, tag_id in through.objects.filter(claim_id__in=batch).values_list("claim_id", "tag_id"):
                tags_now[claim_id].add(tag_id)
        for source, record, claim, values in updates:
            claim = self._update_claim(source, record, claim, values, tags_now[claim.pk])
            if claim is not None:
                reviews_for.append((source, record, claim, existing_reviews.get(claim.pk, [])))
                if record.relations:
                    self.pending_relations.append((source, record.line, claim, record.relations))
        self._write_reviews(reviews_for)

    def _tags(self, record: ClaimRecord):
        return None if record.tag_entries is None else [entry.instance for entry in record.tag_entries]

    def _update_claim(self, source, record, claim, values, current_tags) -> Claim | None:
        changes = {}
        for name, value in values.items():
            if name in ("speaker", "outlet", "source"):  # compared by id: no query for the related row
                if getattr(claim, f"{name}_id") != (value.pk if value is not None else None):
                    changes[name] = value
                continue
            current = getattr(claim, name)
            if name == "span_exact":
                if record.kind == Claim.Kind.PARAPHRASE and provenance.normalize(current) == provenance.normalize(value):
                    continue
                if record.kind == Claim.Kind.DIRECT_QUOTE:
                    continue  # found from the text itself
            if current != value:
                changes[name] = value
        if record.span_hint is not None and record.span_hint != claim.span_start and not changes:
            # Another occurrence of a repeated phrase: only a change if it is found elsewhere.
            wanted = record.text if record.kind == Claim.Kind.DIRECT_QUOTE else record.passage
            found = provenance.find_quote(values["source"].text, wanted, near=record.span_hint) if wanted else None
            if found is not None and found.start != claim.span_start:
                changes["span_hint"] = record.span_hint
                if record.kind == Claim.Kind.PARAPHRASE:
                    changes["span_exact"] = record.passage
        tags = self._tags(record)
        if tags is not None and {t.pk for t in tags} != current_tags:
            changes["tags"] = tags
        status_change = None
        if record.status is not None:
            note = record.status_note if record.status_note is not None else ""
            will_be = claim.status
            if changes.keys() & set(Claim.ATTRIBUTION_FIELDS) and claim.status == Claim.Status.VERIFIED:
                will_be = Claim.Status.UNVERIFIED
            if record.status != will_be or (note and note != claim.status_note):
                status_change = (record.status, note)
        if not changes and status_change is None:
            self.report.unchanged += 1
            return claim
        if status_change is not None and (problem := self._status_problem(status_change[0])):
            self._refuse(source, record.line, [problem])
            return None
        try:
            with transaction.atomic():
                if changes:
                    claim = services.claim_update(claim=claim, user=self.user, data=changes)
                if status_change is not None:
                    claim = services.claim_set_status(claim=claim, user=self.user, status=status_change[0],
                                                      note=status_change[1])
        except ValidationError as exc:
            self._refuse(source, record.line, _messages(exc, CLAIM_FIELDS))
            return None
        except PermissionDenied as exc:
            self._refuse(source, record.line, [("status", str(exc))])
            return None
        self.report.stats["claims updated"] += 1
        return claim

    def _write_reviews(self, reviews_for) -> None:
        items, owners = [], []
        for source, record, claim, existing in reviews_for:
            if not record.reviews:
                continue
            unmatched = list(existing)
            keys_seen = {}
            for i, (review, (reviewer, published)) in enumerate(zip(record.reviews, record.review_entries)):
                path = f"reviews[{i}]"
                key = (reviewer.instance.pk if reviewer else None, published.instance.pk if published else None)
                if key in keys_seen:
                    self._refuse(source, record.line, [(path, f"reviews[{keys_seen[key]}] has the same reviewer and "
                                                              f"source: one review each.")])
                    continue
                keys_seen[key] = i
                data = {"reviewer": reviewer.instance if reviewer else None,
                        "source": published.instance if published else None,
                        "rating": review.rating, "rating_text": review.rating_text, "summary": review.summary,
                        "reviewed_on": review.reviewed_on}
                match = next((r for r in unmatched if (r.reviewer_id, r.source_id) == key), None)
                if match is None:
                    items.append({"claim": claim, **data})
                    owners.append((source, record.line, path))
                    continue
                unmatched.remove(match)
                changes = {name: value for name, value in data.items()
                           if (getattr(match, f"{name}_id") != (value.pk if value is not None else None)
                               if name in ("reviewer", "source") else getattr(match, name) != value)}
                if not changes:
                    continue
                try:
                    services.review_update(review=match, user=self.user, data=changes)
                except ValidationError as exc:
                    self._refuse(source, record.line, _messages(exc, REVIEW_FIELDS, prefix=path))
                    continue
                self.report.stats["reviews updated"] += 1
        if not items:
            return
        created, errors = services.review_create_many(user=self.user, items=items, reason=self.reason)
        for i, ((source, line, path), review) in enumerate(zip(owners, created)):
            if review is None:
                self._refuse(source, line, _messages(errors[i], REVIEW_FIELDS, prefix=path))
            else:
                self.report.stats["reviews created"] += 1

    def _write_relations(self) -> None:
        """The relations the records list (``pending_relations``), each made unless the database has it: the
        other claim found by its uid, a directed type read from the claim it points at turned around."""
        pending, self.pending_relations = self.pending_relations, []
        if not pending:
            return
        stored_type = {inverse: relation_type for relation_type, inverse in INVERSE.items()}
        uids = sorted({uid for *_, relations in pending for _, uid in relations}, key=str)
        by_uid = {claim.uid: claim for claim in selectors_claims_by_uid(uids)}
        involved = sorted({claim.pk for _, _, claim, _ in pending} | {claim.pk for claim in by_uid.values()})
        existing = set()
        for batch in self._in_batches(involved):
            rows = ClaimRelation.objects.filter(claim_id__in=batch).values_list("claim_id", "related_claim_id", "type")
            existing.update(_relation_key(*row) for row in rows)
        for source, line, claim, relations in pending:
            for i, (shown, uid) in enumerate(relations):
                other = by_uid.get(uid)
                if other is None:
                    self._refuse(source, line, [(f"relations[{i}].claim", f"No claim has the uid {uid}: neither in the "
                                                                           f"files nor in the database.")])
                    continue
                if shown in stored_type:
                    first, second, relation_type = other, claim, stored_type[shown]
                else:
                    first, second, relation_type = claim, other, shown
                key = _relation_key(first.pk, second.pk, relation_type)
                if key in existing:
                    continue
                try:
                    services.claim_relation_create(claim=first, related_claim=second, type=relation_type, user=self.user,
                                                   reason=self.reason or None)
                except ValidationError as exc:
                    self._refuse(source, line, _messages(exc, {}, prefix=f"relations[{i}]"))
                    continue
                existing.add(key)
                self.report.stats["relations created"] += 1


def _relation_key(claim_id: int, related_id: int, relation_type: str) -> tuple:
    """A relation as it is stored once: a symmetric one whichever way round."""
    if relation_type in SYMMETRIC_TYPES:
        claim_id, related_id = sorted((claim_id, related_id))
    return (claim_id, related_id, relation_type)


def selectors_claims_by_uid(uids: list) -> Iterator[Claim]:
    """The claims with these uids. On PostgreSQL one array parameter (``= ANY``) rather than thousands
    of ``IN`` placeholders, which cost more to build and parse than the lookup itself."""
    if not uids:
        return
    if connection.vendor == "postgresql":
        yield from Claim.objects.filter(uid__in=RawSQL("SELECT unnest(%s::uuid[])", [[str(u) for u in uids]]))
        return
    for i in range(0, len(uids), IN_BATCH):
        yield from Claim.objects.filter(uid__in=uids[i:i + IN_BATCH])


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
