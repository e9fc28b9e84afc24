"""Claims read straight into their representation, for the two hot paths: a list page and one claim.

``ClaimSerializer`` defines what a claim looks like; building that from model instances cost most of
a page's time (an instance for each claim and for each record it embeds, then a field object's
``get_attribute`` and ``to_representation`` for every value). ``ClaimReader`` reads the same columns
with ``values_list()`` and builds the same dicts, key for key and value for value, converting each
value with the serializer's own field (dates, times, UUIDs). ``tests/api/v1/test_readers.py`` holds
the two to the same JSON for every kind of claim, so a field added to the serializer and not here
fails the tests.

A row is a ``Row``: the representation (a dict), carrying the values of the page's sort keys as
attributes for the keyset paginator. The queries are the same four as the serializer's path: the
claims with their speaker, outlet, source and status changer joined, then the tags of the page, then its
reviews (with their reviewers), then its relations to other claims (``selectors.claim_relations``, from
both sides). A selection (``?fields=``/``?omit=``) reads only the columns of the fields shown, and the
tags, reviews and relations only when shown.
"""

from __future__ import annotations

from collections import defaultdict

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework import ISO_8601
from rest_framework.settings import api_settings

from api.compiled import CompiledQuery
from api.fields import detail_url_prefix
from factbase import selectors
from factbase.models import Claim, Review, Source

#: the columns read for each claim, in the order ``_build`` takes them
COLUMNS = (
    "id", "uid", "text", "kind",
    "speaker_id", "speaker__name", "speaker__kind", "speaker_role",
    "stated_on", "stated_on_precision",
    "outlet_id", "outlet__name", "outlet__kind",
    "source_id", "source__title", "source__url", "source__published_on",
    "span_start", "span_end", "span_exact",
    "status", "status_note", "verified_at", "status_changed_at", "status_changed_by__username",
    "created_at", "updated_at",
)
#: the columns each field of the representation needs (a selection, ``?fields=``, reads only those; ``id``
#: is always read: it keys the tags and reviews of the page)
FIELD_COLUMNS = {
    "id": (), "uid": ("uid",), "url": (), "history_url": (), "text": ("text",), "kind": ("kind",),
    "speaker": ("speaker_id", "speaker__name", "speaker__kind"), "speaker_role": ("speaker_role",),
    "stated_on": ("stated_on",), "stated_on_precision": ("stated_on_precision",),
    "outlet": ("outlet_id", "outlet__name", "outlet__kind"),
    "source": ("source_id", "source__title", "source__url", "source__published_on"),
    "span": ("span_start", "span_end", "span_exact"), "status": ("status",), "status_note": ("status_note",),
    "verified_at": ("verified_at",), "status_changed_at": ("status_changed_at",),
    "status_changed_by": ("status_changed_by__username",), "tags": (), "reviews": (), "relations": (),
    "created_at": ("created_at",), "updated_at": ("updated_at",),
}

#: one claim by id, from the claims the selector gives (compiled once, so its cost is paid once)
ONE_CLAIM = CompiledQuery("claim", lambda pk: (
    selectors.claim_list().filter(pk=pk).order_by().prefetch_related(None).values_list(*COLUMNS)
))
#: the tags of a page of claims, in the serializer's order (by name, then id)
TAGS = CompiledQuery("claim-tags", lambda claim_ids: (
    Claim.tags.through.objects.filter(claim_id__in=claim_ids).order_by("tag__name", "tag_id")
    .values_list("claim_id", "tag_id", "tag__name", "tag__slug")
))
#: the reviews of a page of claims, in the serializer's order (``selectors.CLAIM_REVIEW_ORDER``)
REVIEWS = CompiledQuery("claim-reviews", lambda claim_ids: (
    Review.objects.filter(claim_id__in=claim_ids).order_by(*selectors.CLAIM_REVIEW_ORDER)
    .values_list("claim_id", "id", "rating", "rating_text", "reviewer_id", "reviewer__name", "reviewer__kind")
))
#: the relations of a page of claims, from both sides (the ids twice: each placeholder is used once)
RELATIONS = CompiledQuery("claim-relations", lambda claim_ids, again: selectors.claim_relations_query(claim_ids, again))


def datetime_converter(field):
    """``field.to_representation`` for a time from the database, with the time zone found once (DRF
    looks it up for every value, a third of a page's conversions): ISO 8601, UTC written as Z."""
    output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
    if not isinstance(output_format, str) or output_format.lower() != ISO_8601 or not settings.USE_TZ:
        return field.to_representation
    zone = field.timezone if hasattr(field, "timezone") else field.default_timezone()
    if zone is None:
        return field.to_representation

    def convert(value):
        if not value or isinstance(value, str) or timezone.is_naive(value):
            return field.to_representation(value)
        text = value.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return convert


class Row(dict):
    """A record's representation; a page's sort-key values are set on it as attributes."""


class ClaimReader:
    """Reads claims as ``serializer_class`` (a ``ClaimSerializer``) represents them for ``request``; with
    ``fields`` (``?fields=``/``?omit=``), only those fields, reading only their columns, and the tags and
    reviews only when they are shown.

    ``supports(serializer_class)`` says whether that serializer's output is what this reader builds (a
    view falls back to the serializer when it is not). The serializer's fields are built once for
    each class (their conversions do not depend on the request), not for each request.
    """

    FIELDS = ["id", "uid", "url", "history_url", "text", "kind", "speaker", "speaker_role", "stated_on",
              "stated_on_precision", "outlet", "source", "span", "status", "status_note", "verified_at",
              "status_changed_at", "status_changed_by", "tags", "reviews", "relations", "created_at", "updated_at"]

    #: the brief source's ``title``: its own title (version 2), or its display title (version 1's, kept for
    #: its clients); ``display_title`` is the display title in both
    brief_source_own_title = False

    _fields: dict[type, dict] = {}

    @classmethod
    def serializer_fields(cls, serializer_class) -> dict:
        fields = cls._fields.get(serializer_class)
        if fields is None:
            fields = cls._fields[serializer_class] = dict(serializer_class().fields)
        return fields

    @classmethod
    def supports(cls, serializer_class) -> bool:
        fields = cls.serializer_fields(serializer_class)
        return [name for name, field in fields.items() if not field.write_only] == cls.FIELDS

    def __init__(self, serializer_class, request, fields: list[str] | None = None):
        serializer_fields = self.serializer_fields(serializer_class)
        host = request.get_host()
        self.prefix = {name: detail_url_prefix(view, request, host) for name, view in (
            ("claim", "claim-detail"), ("actor", "actor-detail"), ("outlet", "outlet-detail"),
            ("source", "source-detail"), ("tag", "tag-detail"), ("review", "review-detail"))}
        self.uid = serializer_fields["uid"].to_representation
        self.date = serializer_fields["stated_on"].to_representation
        self.created_at = datetime_converter(serializer_fields["created_at"])
        self.verified_at = datetime_converter(serializer_fields["verified_at"])
        self.status_changed_at = datetime_converter(serializer_fields["status_changed_at"])
        self.updated_at = datetime_converter(serializer_fields["updated_at"])
        self.fields = fields
        if fields is None:
            self.columns, self.build = COLUMNS, self._build
            self.with_tags = self.with_reviews = self.with_relations = True
            self.embed = None
        else:
            self.columns = ("id", *(column for name in fields for column in FIELD_COLUMNS[name]))
            self.build = self._builder(fields)
            self.with_tags, self.with_reviews = "tags" in fields, "reviews" in fields
            self.with_relations = "relations" in fields
            self.embed = [name for name in selectors.CLAIM_EMBEDS if name in fields]

    def usable(self) -> bool:
        return None not in self.prefix.values()

    # --- reading ---------------------------------------------------------------------------------

    def read_one(self, pk: int) -> Row | None:
        """The claim ``pk``, or None."""
        using = Claim.objects.all().db  # the database router's choice (a replica, for a read)
        if self.fields is None:
            found = ONE_CLAIM.run(using, pk)
        else:
            found = (selectors.claim_list(embed=self.embed).filter(pk=pk).order_by().prefetch_related(None)
                     .values_list(*self.columns).using(using))
        rows = [self.build(values) for values in found]
        if not rows:
            return None
        self._add_related(rows, using)
        return rows[0]

    def read(self, queryset: QuerySet, keys: tuple[str, ...] = ()) -> list[Row]:
        """The claims of ``queryset`` (filtered, ordered and sliced) as rows; ``keys`` are annotation
        names whose values each row carries as attributes (the paginator's sort keys)."""
        rows = []
        width = len(self.columns)
        build = self.build
        for values in queryset.prefetch_related(None).values_list(*self.columns, *keys):
            if keys:
                row = build(values[:width])
                for i, name in enumerate(keys, start=width):
                    setattr(row, name, values[i])
            else:
                row = build(values)
            rows.append(row)
        if rows:
            self._add_related(rows, queryset.db)
        return rows

    def _build(self, v) -> Row:
        (pk, uid, text, kind, speaker_id, speaker_name, speaker_kind, speaker_role, stated_on, precision,
         outlet_id, outlet_name, outlet_kind, source_id, source_title, source_url, source_published_on,
         span_start, span_end, span_exact, status, status_note, verified_at, status_changed_at, status_changed_by,
         created_at, updated_at) = v
        prefix = self.prefix
        url = f"{prefix['claim']}{pk}/"
        return Row(
            id=pk,
            uid=self.uid(uid),
            url=url,
            history_url=f"{url}history/",
            text=text,
            kind=kind,
            speaker={"id": speaker_id, "url": f"{prefix['actor']}{speaker_id}/", "name": speaker_name,
                     "kind": speaker_kind},
            speaker_role=speaker_role,
            stated_on=None if stated_on is None else self.date(stated_on),
            stated_on_precision=precision,
            outlet=None if outlet_id is None else {
                "id": outlet_id, "url": f"{prefix['outlet']}{outlet_id}/", "name": outlet_name, "kind": outlet_kind,
            },
            source=self._brief_source(source_id, source_title, source_url, source_published_on),
            span=None if span_start is None else {"start": span_start, "end": span_end, "exact": span_exact},
            status=status,
            status_note=status_note,
            verified_at=None if verified_at is None else self.verified_at(verified_at),
            status_changed_at=None if status_changed_at is None else self.status_changed_at(status_changed_at),
            status_changed_by=status_changed_by,
            tags=[],
            reviews=[],
            relations=[],
            created_at=self.created_at(created_at),
            updated_at=self.updated_at(updated_at),
        )

    def _builder(self, fields: list[str]):
        """A ``_build`` for the fields ``fields`` only, from the columns ``FIELD_COLUMNS`` gives them (after
        the id): each field's value made as ``_build`` makes it."""
        prefix = self.prefix
        date, uid = self.date, self.uid
        verified_at, status_changed_at = self.verified_at, self.status_changed_at
        created_at, updated_at = self.created_at, self.updated_at
        makers = {
            "id": lambda pk, v: pk,
            "uid": lambda pk, v: uid(v[0]),
            "url": lambda pk, v: f"{prefix['claim']}{pk}/",
            "history_url": lambda pk, v: f"{prefix['claim']}{pk}/history/",
            "speaker": lambda pk, v: {"id": v[0], "url": f"{prefix['actor']}{v[0]}/", "name": v[1], "kind": v[2]},
            "stated_on": lambda pk, v: None if v[0] is None else date(v[0]),
            "outlet": lambda pk, v: None if v[0] is None else {
                "id": v[0], "url": f"{prefix['outlet']}{v[0]}/", "name": v[1], "kind": v[2]},
            "source": lambda pk, v: self._brief_source(v[0], v[1], v[2], v[3]),
            "span": lambda pk, v: None if v[0] is None else {"start": v[0], "end": v[1], "exact": v[2]},
            "verified_at": lambda pk, v: None if v[0] is None else verified_at(v[0]),
            "status_changed_at": lambda pk, v: None if v[0] is None else status_changed_at(v[0]),
            "tags": lambda pk, v: [],
            "reviews": lambda pk, v: [],
            "relations": lambda pk, v: [],
            "created_at": lambda pk, v: created_at(v[0]),
            "updated_at": lambda pk, v: updated_at(v[0]),
        }
        plan, start = [], 1
        for name in fields:
            width = len(FIELD_COLUMNS[name])
            plan.append((name, start, start + width, makers.get(name, lambda pk, v: v[0])))
            start += width

        def build(values) -> Row:
            pk = values[0]
            row = Row({name: make(pk, values[first:end]) for name, first, end, make in plan})
            row._pk = pk
            return row

        return build

    def _brief_source(self, pk, title, document_url, published_on) -> dict:
        display_title = Source.title_of(title, document_url, published_on)
        return {"id": pk, "url": f"{self.prefix['source']}{pk}/",
                "title": title if self.brief_source_own_title else display_title, "display_title": display_title}

    def _add_related(self, rows: list[Row], using: str) -> None:
        """Each row's tags (by name, then id), reviews (``selectors.CLAIM_REVIEW_ORDER``) and relations to other
        claims (from both sides, as ``ClaimRelationsField`` gives them), as the serializer gives them: one query
        each for the page, when shown. The rows are keyed by their claim's id, which a row carries as ``_pk``
        when its ``id`` is not shown."""
        if not (self.with_tags or self.with_reviews or self.with_relations):
            return
        ids = [row["id"] if "id" in row else row._pk for row in rows]
        if self.with_tags:
            by_claim = defaultdict(list)
            prefix = self.prefix["tag"]
            for claim_id, tag_id, name, slug in TAGS.run(using, ids):
                by_claim[claim_id].append({"id": tag_id, "url": f"{prefix}{tag_id}/", "name": name, "slug": slug})
            for row, pk in zip(rows, ids):
                row["tags"] = by_claim.get(pk, [])
        if self.with_reviews:
            by_claim = defaultdict(list)
            prefix, actor = self.prefix["review"], self.prefix["actor"]
            for claim_id, review_id, rating, rating_text, reviewer_id, reviewer_name, reviewer_kind in REVIEWS.run(
                    using, ids):
                by_claim[claim_id].append({
                    "id": review_id, "url": f"{prefix}{review_id}/", "rating": rating, "rating_text": rating_text,
                    "reviewer": None if reviewer_id is None else {
                        "id": reviewer_id, "url": f"{actor}{reviewer_id}/", "name": reviewer_name,
                        "kind": reviewer_kind},
                })
            for row, pk in zip(rows, ids):
                row["reviews"] = by_claim.get(pk, [])
        if self.with_relations:
            by_claim = selectors.relations_by_claim(RELATIONS.run(using, ids, ids), ids)
            prefix = self.prefix["claim"]
            for row, pk in zip(rows, ids):
                row["relations"] = [
                    {"type": relation_type, "claim": {"id": related, "url": f"{prefix}{related}/", "text": text,
                                                      "kind": kind}}
                    for relation_type, related, text, kind in by_claim.get(pk, ())
                ]
