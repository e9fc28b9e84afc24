"""Claims read straight into their representation, for the two hot paths: a list page and one claim.

``ClaimSerializer`` defines what a claim looks like; building that from model instances cost most of
a page's time (an instance for each claim and for each record it embeds, then a field object's
``get_attribute`` and ``to_representation`` for every value). ``ClaimReader`` reads the same columns
with ``values_list()`` and builds the same dicts, key for key and value for value, converting each
value with the serializer's own field (dates, times, UUIDs). ``tests/api/v1/test_readers.py`` holds
the two to the same JSON for every kind of claim, so a field added to the serializer and not here
fails the tests.

A row is a ``Row``: the representation (a dict), carrying the values of the page's sort keys as
attributes for the keyset paginator. The queries are the same two as the serializer's path: the
claims with their speaker, outlet and source joined, then the tags of the page.
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
from factbase.models import Claim, Source

#: the columns read for each claim, in the order ``_build`` takes them
COLUMNS = (
    "id", "uid", "text", "kind",
    "speaker_id", "speaker__name", "speaker__kind", "speaker_role",
    "stated_on", "stated_on_precision",
    "outlet_id", "outlet__name", "outlet__kind",
    "source_id", "source__title", "source__url", "source__published_on",
    "span_start", "span_end", "span_exact",
    "status", "status_note", "verified_at", "created_at", "updated_at",
)

#: one claim by id, from the claims the selector gives (compiled once, so its cost is paid once)
ONE_CLAIM = CompiledQuery("claim", lambda pk: (
    selectors.claim_list().filter(pk=pk).order_by().prefetch_related(None).values_list(*COLUMNS)
))
#: the tags of a page of claims, in the serializer's order (by name, then id)
TAGS = CompiledQuery("claim-tags", lambda claim_ids: (
    Claim.tags.through.objects.filter(claim_id__in=claim_ids).order_by("tag__name", "tag_id")
    .values_list("claim_id", "tag_id", "tag__name", "tag__slug")
))


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
    """Reads claims as ``serializer_class`` (a ``ClaimSerializer``) represents them for ``request``.

    ``supports(serializer_class)`` says whether that serializer's output is what this reader builds (a
    view falls back to the serializer when it is not). The serializer's fields are built once for
    each class (their conversions do not depend on the request), not for each request.
    """

    FIELDS = ["id", "uid", "url", "text", "kind", "speaker", "speaker_role", "stated_on", "stated_on_precision",
              "outlet", "source", "span", "status", "status_note", "verified_at", "tags", "created_at", "updated_at"]

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

    def __init__(self, serializer_class, request):
        fields = self.serializer_fields(serializer_class)
        host = request.get_host()
        self.prefix = {name: detail_url_prefix(view, request, host) for name, view in (
            ("claim", "claim-detail"), ("actor", "actor-detail"), ("outlet", "outlet-detail"),
            ("source", "source-detail"), ("tag", "tag-detail"))}
        self.uid = fields["uid"].to_representation
        self.date = fields["stated_on"].to_representation
        self.created_at = datetime_converter(fields["created_at"])
        self.verified_at = datetime_converter(fields["verified_at"])
        self.updated_at = datetime_converter(fields["updated_at"])

    def usable(self) -> bool:
        return None not in self.prefix.values()

    # --- reading ---------------------------------------------------------------------------------

    def read_one(self, pk: int) -> Row | None:
        """The claim ``pk``, or None."""
        using = Claim.objects.all().db  # the database router's choice (a replica, for a read)
        rows = [self._build(values) for values in ONE_CLAIM.run(using, pk)]
        if not rows:
            return None
        self._add_tags(rows, using)
        return rows[0]

    def read(self, queryset: QuerySet, keys: tuple[str, ...] = ()) -> list[Row]:
        """The claims of ``queryset`` (filtered, ordered and sliced) as rows; ``keys`` are annotation
        names whose values each row carries as attributes (the paginator's sort keys)."""
        rows = []
        width = len(COLUMNS)
        for values in queryset.prefetch_related(None).values_list(*COLUMNS, *keys):
            if keys:
                row = self._build(values[:width])
                for i, name in enumerate(keys, start=width):
                    setattr(row, name, values[i])
            else:
                row = self._build(values)
            rows.append(row)
        if rows:
            self._add_tags(rows, queryset.db)
        return rows

    def _build(self, v) -> Row:
        (pk, uid, text, kind, speaker_id, speaker_name, speaker_kind, speaker_role, stated_on, precision,
         outlet_id, outlet_name, outlet_kind, source_id, source_title, source_url, source_published_on,
         span_start, span_end, span_exact, status, status_note, verified_at, created_at, updated_at) = v
        prefix = self.prefix
        return Row(
            id=pk,
            uid=self.uid(uid),
            url=f"{prefix['claim']}{pk}/",
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
            tags=[],
            created_at=self.created_at(created_at),
            updated_at=self.updated_at(updated_at),
        )

    def _brief_source(self, pk, title, document_url, published_on) -> dict:
        display_title = Source.title_of(title, document_url, published_on)
        return {"id": pk, "url": f"{self.prefix['source']}{pk}/",
                "title": title if self.brief_source_own_title else display_title, "display_title": display_title}

    def _add_tags(self, rows: list[Row], using: str) -> None:
        """Each row's tags, in the serializer's order (by name, then id): one query for the page."""
        by_claim = defaultdict(list)
        prefix = self.prefix["tag"]
        for claim_id, tag_id, name, slug in TAGS.run(using, [row["id"] for row in rows]):
            by_claim[claim_id].append({"id": tag_id, "url": f"{prefix}{tag_id}/", "name": name, "slug": slug})
        for row in rows:
            row["tags"] = by_claim.get(row["id"], [])
