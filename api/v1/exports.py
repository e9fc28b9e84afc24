"""Version 1 streaming exports: every record that matches the filters, in one response, without pages.

- ``GET /api/v1/claims/export.ndjson`` (also ``.json`` and ``.csv``): claims in the interchange format
  (README: "Getting data in and out"), the same bytes as ``manage.py export_claims``, with the
  filters of ``GET /api/v1/claims/``;
- ``GET /api/v1/reviews/claimreview.jsonld``: every review as schema.org ClaimReview, one JSON-LD
  document to embed, with the filters of ``GET /api/v1/reviews/``.

The body streams (``StreamingHttpResponse``), read from the database in batches: memory stays flat
whatever the number of records. A bad filter is refused (400, JSON) before anything is sent.
"""

from __future__ import annotations

from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.settings import api_settings

from api import filters
from api.formats import claim_review_feed
from api.schema import AutoSchema
from factbase import interchange, selectors
from factbase.interchange.exporter import export_chunks


class ExportFilterBackend(filters.FilterBackend):
    """The list's filters; no page parameters (an export has no pages) and no ``format`` (the path names
    it): those are refused (400) rather than ignored."""

    def filter_queryset(self, request, queryset, view):
        if "format" in request.query_params:
            raise ValidationError({"format": ["The path names the format of an export (e.g. export.csv); "
                                              "leave out this parameter."]})
        filters.check_query_params(request, filters.allowed_params(self.get_filterset_class(view, queryset),
                                                                   paginated=False))
        return super(filters.FilterBackend, self).filter_queryset(request, queryset, view)


class PathFormatNegotiation(BaseContentNegotiation):
    """The body's format is the path's; an error is JSON. ``Accept`` (e.g. ``text/csv``) never makes a 406."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ExportSchema(AutoSchema):
    """An export's body is a file, not a list of serializers; its parameters are still the filters."""

    def get_filter_backends(self):
        return self.view.filter_backends


class StreamingExportView(GenericAPIView):
    filter_backends = [ExportFilterBackend]
    pagination_class = None
    renderer_classes = api_settings.DEFAULT_RENDERER_CLASSES[:1]  # errors are JSON
    schema = ExportSchema()
    content_negotiation_class = PathFormatNegotiation
    #: the format of the body, given by the URL (``as_view(export_format=...)``)
    export_format: str = ""
    filename: str = ""
    content_type: str = ""

    def body(self, queryset):
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        response = StreamingHttpResponse(self.body(queryset), content_type=self.content_type)
        response["Content-Disposition"] = f'attachment; filename="{self.filename}"'
        response["Cache-Control"] = "no-store"
        return response


SPELLING_TEXT = {
    "v1": " (version 1 of its names: a source's address and an outlet's website are each `url`)",
    "v2": " (version 2 of its names, the API's: a source's `document_url`, an outlet's `website`; CSV columns "
          "named by their path, `speaker.name`, `source.document_url`)",
}

FORMAT_TEXT = {
    "ndjson": "NDJSON: one claim a line",
    "json": "JSON: an array of claims, one a line",
    "csv": "CSV: a header, then one row a claim (the related records by their keys; no reviews, no source text)",
}


def _export_schema(fmt: str, spelling: str = "v1"):
    media_type = interchange.MEDIA_TYPES[fmt]
    example = {
        "csv": ",".join(interchange.csv_columns(spelling)) + "\r\n",
        "ndjson": '{"uid":"0d5f4a1e-2b8c-4e7a-9f61-3c2d1b0a9e87","text":"...","kind":"direct_quote",...}\n',
        "json": [{"uid": "0d5f4a1e-2b8c-4e7a-9f61-3c2d1b0a9e87", "text": "I think the question is, did Tokayev not "
                  "trust the army?", "kind": "direct_quote", "speaker": {"name": "Jennifer Brick Murtazashvili",
                                                                         "kind": "person"}}],
    }[fmt]
    return extend_schema(
        operation_id=f"claims_export_{fmt}",
        summary=f"Export claims as {fmt.upper()}",
        description=(
            f"Every claim that matches the filters (those of `GET /claims/`), in the interchange format that "
            f"`manage.py import_claims` reads{SPELLING_TEXT[spelling]}: {FORMAT_TEXT[fmt]}. Claims come in the order they were recorded; "
            f"each names its speaker, outlet, source and tags by natural keys and describes them"
            + ("" if fmt == "csv" else ", a source's full text given with the first claim that names it, and "
                                       "the claim's reviews")
            + ". Not paged: the response streams until the last claim (the page parameters are refused). "
              "Exported, imported into an empty database and exported again, it is the same file."
        ),
        responses={(200, media_type): (
            {"type": "array", "items": interchange.record_schema(spelling), "description": f"The claims, {FORMAT_TEXT[fmt]}."}
            if fmt == "json" else
            {"type": "string", "description": f"The claims, {FORMAT_TEXT[fmt]}"
                                              + (": each line an object as in the JSON export." if fmt == "ndjson"
                                                 else ".")}
        )},
        examples=[OpenApiExample(f"{fmt.upper()} export", value=example, response_only=True, media_type=media_type)],
    )


class ClaimExportView(StreamingExportView):
    """Every claim matching the filters, in the interchange format, streamed."""

    filterset_class = filters.ClaimFilterSet
    #: the names of the interchange format written (``factbase.interchange.SPELLINGS``)
    spelling = "v1"

    def get_queryset(self):
        return selectors.claim_list()

    @property
    def content_type(self):
        charset = "; charset=utf-8" if self.export_format != "json" else ""
        return interchange.MEDIA_TYPES[self.export_format] + charset

    @property
    def filename(self):
        return f"claims.{self.export_format}"

    def body(self, queryset):
        return export_chunks(queryset, self.export_format, spelling=self.spelling)


class ClaimExportNDJSONView(ClaimExportView):
    export_format = "ndjson"

    @_export_schema("ndjson")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ClaimExportJSONView(ClaimExportView):
    export_format = "json"

    @_export_schema("json")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ClaimExportCSVView(ClaimExportView):
    export_format = "csv"

    @_export_schema("csv")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ClaimReviewFeedView(StreamingExportView):
    """Every review matching the filters as schema.org ClaimReview, in one JSON-LD document."""

    filterset_class = filters.ReviewFilterSet
    content_type = "application/ld+json"
    filename = "claimreview.jsonld"

    def get_queryset(self):
        return selectors.review_list()

    def body(self, queryset):
        return claim_review_feed(queryset, self.request)

    @extend_schema(
        operation_id="reviews_claimreview_feed",
        summary="Every review as schema.org ClaimReview (JSON-LD)",
        description=(
            "Every review that matches the filters (those of `GET /reviews/`), as one JSON-LD document for "
            "publishers to embed: `{\"@context\": \"https://schema.org\", \"@graph\": [ClaimReview, ...]}`. Each "
            "ClaimReview gives `claimReviewed` (the claim's text), `reviewRating` (`alternateName`: the reviewer's "
            "wording; `ratingValue` 1 to 5 for false, mostly false, mixed, mostly true and true, with `worstRating` "
            "1 and `bestRating` 5; none for unsupported and misleading, which are off that scale), `author` (the "
            "reviewer), `datePublished`, `url` (where the review was published) and `itemReviewed` (the Claim: its "
            "`author`, the speaker; `datePublished`, as precise as it is known; `appearance`, the source). What is "
            "not known is left out, never made up. Not paged: the response streams until the last review. One "
            "review alone: `GET /reviews/{id}/?format=jsonld`."
        ),
        responses={(200, "application/ld+json"): {
            "type": "object", "additionalProperties": {},
            "description": "A JSON-LD document: `@context` and a `@graph` of ClaimReview objects.",
        }},
        examples=[OpenApiExample("A feed", response_only=True, media_type="application/ld+json", value={
            "@context": "https://schema.org",
            "@graph": [{
                "@type": "ClaimReview", "@id": "http://127.0.0.1:8000/api/v1/reviews/1/",
                "claimReviewed": "referred to foreign intervention in Kazakhstan",
                "reviewRating": {"@type": "Rating", "name": "Unsupported (no evidence)",
                                 "alternateName": "there is no evidence"},
                "datePublished": "2022-01-08",
                "itemReviewed": {"@type": "Claim", "author": {"@type": "Person", "name": "Nikol Pashinyan"}},
            }],
        })],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
