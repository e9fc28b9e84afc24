"""Renderers: the browsable API, and the download formats CSV and JSON-LD."""

import json

from rest_framework import renderers

from factbase import interchange


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    """The browsable API with its raw JSON forms only.

    The HTML forms would list every actor, source and tag as a choice (a query each, on every page
    view) and cannot show the brief objects a read embeds.
    """

    def get_rendered_html_form(self, data, view, method, request):
        return None

    def get_filter_form(self, data, view, request):
        return None


# --- download formats: CSV and JSON-LD ------------------------------------------------------------
#
# These render the data of a response in another form than the API's JSON. They are "data formats":
# an error is still answered in JSON (``api.viewsets.FactbaseViewSet.finalize_response``), and the
# OpenAPI schema documents them apart from the JSON bodies (``api.schema.AutoSchema``).


class CSVTable(dict):
    """What a view gives the CSV renderer when it knows its columns (so an empty page has a header).
    A dict (``columns``, ``rows``), so that it hashes into an ETag like any representation."""

    def __init__(self, columns: list[str], rows: list[list[str]]):
        super().__init__(columns=list(columns), rows=rows)

    @property
    def columns(self) -> list[str]:
        return self["columns"]

    @property
    def rows(self) -> list[list[str]]:
        return self["rows"]


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        if all(isinstance(item, (str, int, float)) and not isinstance(item, bool) for item in value):
            return interchange.join_list(str(item) for item in value)
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def flatten(record: dict, prefix: str = "") -> dict[str, str]:
    """A JSON record as one CSV row: a nested object's fields become ``object.field`` columns, a list of
    names or ids one cell joined with ``|`` (see ``interchange.join_list``), anything else JSON text."""
    out = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(flatten(value, f"{name}."))
        else:
            out[name] = _cell(value)
    return out


def flat_table(rows: list[dict], columns: list[str] | None = None) -> CSVTable:
    flat = [flatten(row) for row in rows]
    if columns is None:
        columns = list(dict.fromkeys(name for row in flat for name in row))
    return CSVTable(columns, [[row.get(name, "") for name in columns] for row in flat])


class CSVRenderer(renderers.BaseRenderer):
    """``text/csv`` (``?format=csv``): a header, then one row a record."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"
    data_format = True

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if not isinstance(data, CSVTable):
            if isinstance(data, dict) and isinstance(data.get("results"), list):
                data = flat_table(data["results"])
            elif isinstance(data, list):
                data = flat_table(data)
            else:
                data = flat_table([data])
        return interchange.csv_lines([data.columns, *data.rows]).encode("utf-8")

    @staticmethod
    def openapi_content(action: str | None) -> dict:
        many = action in ("list", "history")
        return {"schema": {
            "type": "string",
            "description": (
                ("This page of the list" if many else "The record") + " as CSV (with `?format=csv` or "
                "`Accept: text/csv`): a header, then one row a record; a related record's fields as "
                "`field.subfield` columns, lists joined with `|`. Claims are in the columns of the interchange "
                "format (the README's \"Getting data in and out\"), with the claim's `id` and `url`. A cell that begins with `=`, `+`, `-`, `@`, a "
                "tab or a carriage return (or with `'` and one of those) is written after an apostrophe, so that "
                "no spreadsheet runs it as a formula. The next page is in the `Link` header."
            ),
        }}


class JSONLDRenderer(renderers.BaseRenderer):
    """``application/ld+json`` (``?format=jsonld``): schema.org JSON-LD (reviews as ClaimReview), with
    ``<``, ``>``, ``&``, U+2028 and U+2029 written as ``\\uXXXX`` escapes, so that it can be embedded in a
    ``<script>`` element of an HTML page as it is (``interchange.html_safe_json``)."""

    media_type = "application/ld+json"
    format = "jsonld"
    charset = None  # JSON is UTF-8 by definition
    data_format = True

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return interchange.jsonld_dumps(data)

    @staticmethod
    def openapi_content(action: str | None) -> dict:
        if action == "list":
            description = ("This page of reviews as schema.org JSON-LD (with `?format=jsonld` or "
                           "`Accept: application/ld+json`): `{\"@context\": \"https://schema.org\", \"@graph\": "
                           "[ClaimReview, ...]}`; the next page is in the `Link` header. "
                           "`/reviews/claimreview.jsonld` gives every review at once.")
        else:
            description = ("The review as a schema.org ClaimReview (JSON-LD), with `?format=jsonld` or "
                           "`Accept: application/ld+json`: `claimReviewed`, `reviewRating`, `author`, "
                           "`datePublished`, `url`, and `itemReviewed` (the Claim, its author and appearance). "
                           "What is not known is left out.")
        return {"schema": {"type": "object", "additionalProperties": {}, "description": description}}
