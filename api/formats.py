"""The API's download formats beyond its JSON, shared by every API version.

- ``ClaimCSVMixin``: claims as CSV (``?format=csv`` on the list) in the columns of the interchange
  format (``factbase/interchange/``), the same as ``export_claims --format csv`` and
  ``/claims/export.csv``, so a page of the list can be imported back with ``import_claims``.
- ``ClaimReviewMixin``: reviews as schema.org ClaimReview JSON-LD (``?format=jsonld`` or
  ``Accept: application/ld+json``), one review or a page of them.
- ``claim_export`` and ``claim_review_feed``: the bodies of the streaming exports
  (``api/v1/exports.py``), every record that matches the filters, without pages.
"""

from __future__ import annotations

from collections.abc import Iterator

from rest_framework.response import Response
from rest_framework.reverse import reverse

from api.renderers import CSVTable, JSONLDRenderer
from factbase import interchange, selectors
from factbase.models import Review

SCHEMA_ORG = interchange.SCHEMA_ORG


class DetailURLs:
    """A record's API URL from its id, with one ``reverse()`` a view rather than one a record."""

    def __init__(self, request, view_name: str):
        # Without the query (DRF keeps a ``?format=`` in reversed URLs): the record, not one representation.
        placeholder = reverse(view_name, kwargs={"pk": 0}, request=request).split("?", 1)[0]
        self.head, _, self.tail = placeholder.rpartition("/0/")

    def __call__(self, pk) -> str:
        return f"{self.head}/{pk}/{self.tail}"


# --- claims as CSV --------------------------------------------------------------------------------

class ClaimCSVMixin:
    """For a claims viewset: CSV in the interchange format's columns (in the API version's spelling,
    ``interchange_spelling``), with the claim's ``id`` and ``url`` in this API (which an import ignores):
    version 1 adds them after its columns, so a client that reads columns by position is not moved;
    version 2 puts them first, as a record's JSON does."""

    #: the spelling of the interchange format (``factbase.interchange.SPELLINGS``)
    interchange_spelling = "v1"

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.data_format() == "csv":
            queryset = queryset.select_related("source__outlet")  # the CSV names the source's outlet
        return queryset

    def selector_kwargs(self) -> dict:
        if self.data_format() != "csv":
            return super().selector_kwargs()
        # A CSV row is made from the whole interchange record (its speaker, outlet and source), with the tags
        # when its columns show them; never the reviews, nor who changed the status.
        selection = self.field_selection()
        return {"embed": ["speaker", "outlet", "source", *(["tags"] if selection is None or "tags" in selection
                                                            else [])]}

    def representation_names(self) -> list[str]:
        if self.data_format() == "csv":
            return list(dict.fromkeys(column.split(".", 1)[0] for column in self.csv_column_names()))
        return super().representation_names()

    def representation(self, instance):
        if self.data_format() == "csv":
            return self.csv_table([instance])
        return super().representation(instance)

    def csv_table(self, rows) -> CSVTable:
        selection = self.field_selection()
        with_tags = selection is None or "tags" in selection
        with_relations = selection is None or "relations" in selection
        relations = selectors.claim_relation_uids([claim.pk for claim in rows],
                                                  using=rows[0]._state.db if rows else None) if with_relations else {}
        url = DetailURLs(self.request, "claim-detail")
        v1 = self.interchange_spelling == "v1"
        table = []
        for claim in rows:
            record = interchange.claim_record(claim, reviews=(), relations=relations.get(claim.pk, ()),
                                              tags=sorted(claim.tags.all(), key=lambda tag: (tag.slug, tag.pk))
                                              if with_tags else ())
            identity = [str(claim.pk), url(claim.pk)]
            row = interchange.record_to_csv_row(record)
            table.append(row + identity if v1 else identity + row)
        columns = self.csv_column_names()
        if selection is None:
            return CSVTable(columns, table)
        kept = [i for i, column in enumerate(columns) if column.split(".", 1)[0] in selection]
        return CSVTable([columns[i] for i in kept], [[row[i] for i in kept] for row in table])

    def csv_column_names(self) -> list[str]:
        """The columns of this version's claims CSV: the interchange format's, and the claim's id and url."""
        columns = list(interchange.csv_columns(self.interchange_spelling))
        identity_columns = list(interchange.CSV_IGNORED_COLUMNS)
        return columns + identity_columns if self.interchange_spelling == "v1" else identity_columns + columns


# --- reviews as ClaimReview -----------------------------------------------------------------------

REVIEW_JSONLD_JOINS = ("claim__speaker", "claim__source__outlet", "reviewer", "source__outlet")


class ClaimReviewMixin:
    """For a reviews viewset: each review also as a schema.org ClaimReview (JSON-LD)."""

    def get_renderers(self):
        return [*super().get_renderers(), JSONLDRenderer()]

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.data_format() == "jsonld":
            queryset = queryset.select_related(*REVIEW_JSONLD_JOINS).defer("claim__source__text", "source__text")
        return queryset

    def claim_review(self, review, *, context: bool = True) -> dict:
        urls = getattr(self, "_jsonld_urls", None)
        if urls is None:
            urls = self._jsonld_urls = (DetailURLs(self.request, "review-detail"),
                                        DetailURLs(self.request, "claim-detail"))
        return interchange.claim_review_jsonld(review, review_url=urls[0](review.pk), claim_url=urls[1](review.claim_id),
                                               context=context)

    def representation(self, instance):
        if self.data_format() == "jsonld":
            return self.claim_review(instance)
        return super().representation(instance)

    def list(self, request, *args, **kwargs):
        if self.data_format() == "jsonld":
            rows = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
            graph = {"@context": SCHEMA_ORG, "@graph": [self.claim_review(review, context=False) for review in rows]}
            return Response(graph, headers=self.paginator.get_link_header())
        return super().list(request, *args, **kwargs)


# --- streaming exports ----------------------------------------------------------------------------

FEED_BATCH_SIZE = 500


def claim_review_feed(queryset, request) -> Iterator[bytes]:
    """Every review of ``queryset`` as one JSON-LD document, ``{"@context", "@graph": [ClaimReview...]}``,
    read in batches by id (constant memory); safe to embed in HTML, as the renderer's (``interchange.jsonld_dumps``)."""
    review_url, claim_url = DetailURLs(request, "review-detail"), DetailURLs(request, "claim-detail")
    queryset = (queryset.select_related(*REVIEW_JSONLD_JOINS).defer("claim__source__text", "source__text")
                .order_by("id"))
    yield b'{"@context":"' + SCHEMA_ORG.encode() + b'","@graph":['
    last, first = 0, True
    while True:
        batch: list[Review] = list(queryset.filter(id__gt=last)[:FEED_BATCH_SIZE])
        if not batch:
            break
        pieces = []
        for review in batch:
            document = interchange.claim_review_jsonld(review, review_url=review_url(review.pk),
                                                       claim_url=claim_url(review.claim_id), context=False)
            pieces.append((b"\n" if first else b",\n") + interchange.jsonld_dumps(document))
            first = False
        yield b"".join(pieces)
        last = batch[-1].pk
    yield b"\n]}\n"
