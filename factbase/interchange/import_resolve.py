"""Import, stage 3: the related records found in the database (one query a kind and a chunk, ``IN`` lists
in batches), the existing ones updated where the files say something different, the missing ones created,
all through the services (``*_update``, ``*_create_many``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import ValidationError

from factbase import services
from factbase.interchange.import_gather import Entry, settled_fields
from factbase.interchange.import_refusals import REVIEW_FIELDS, refusal_problems
from factbase.models import Actor, Outlet, Source, Tag


IN_BATCH = 500  # values in one SQL IN (...) list


def _plural(model) -> str:
    return str(model._meta.verbose_name_plural)


class ResolvingStage:
    """The ``Importer``'s finding and making of the related records a chunk names (``_resolve_*``)."""

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
            entry.settled = settled_fields(entry.settled.union(values))
            if changes:
                try:
                    entry.instance = update(entry.instance, changes)
                except ValidationError as exc:
                    entry.error = "; ".join(f"{f}: {m}" if f else m for f, m in refusal_problems(exc, REVIEW_FIELDS))
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
                entry.error = "; ".join(f"{f}: {m}" if f else m for f, m in refusal_problems(errors[i], REVIEW_FIELDS))
            else:
                entry.instance = instance
                entry.settled = settled_fields(entry.settled.union(entry.stated))
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
        # change that text before they are written (factbase/services/__init__.py, "Locks").
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
