"""Import, stage 2: what the files say of each related record (actor, outlet, source, tag), gathered by its
natural key into one ``Entry``; two records that say different things of one related record are refused,
and a refused record leaves the entries as they were (``_Undo``). No database."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from factbase import interchange
from factbase.interchange import ActorRef, ClaimRecord, OutletRef, SourceRef, TagRef
from factbase.interchange.import_read import Input
from factbase.models import Actor, Outlet, Source, Tag
from factbase.models.limits import SOURCE_TEXT_MAX_LENGTH


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


def settled_fields(names: frozenset[str]) -> frozenset[str]:
    """One set of field names for all the entries settled in the same fields (an import holds many)."""
    return _SETTLED.setdefault(names, names)


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


class GatheringStage:
    """The ``Importer``'s registry of related records: ``_register(record, ...)`` binds a record's related
    records to entries (a source's ``text_file`` read on the way)."""

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
