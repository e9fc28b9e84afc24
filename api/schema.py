"""The OpenAPI description (drf-spectacular), shared by every API version.

``AutoSchema`` gives every operation a summary and a description from its resource and action,
documents its error responses (400, 401, 403, 404, 406, 409, 412, 415, 429) with their bodies and
headers, its conditional-request headers, and an example for each parameter.
"""

from __future__ import annotations

import json

from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import build_array_type, build_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter
from rest_framework import serializers

API_DESCRIPTION = """
Factbase is a database of **sourced claims**: who said what, when, and in which outlet, each tied to
the document (source) that reports it, with the exact passage where we hold the source's text.

**Reading** is open to everyone. **Writing** needs a token (`Authorization: Token <key>`: get yours
with your username and password from `POST /api/v1/auth/token/`, revoke it with
`DELETE /api/v1/auth/token/`) or a session, and the model permission for the change (add, change,
delete); setting a claim's curation status needs the *verify claim* permission.

**Related records** are read as a brief object (`id`, `url`, the name — for a source its `title` and
`display_title`, the latter never empty — and `kind` where there is one) and written as their id.

**Links**: every record links to its history (`history_url`); actors, outlets, sources and tags to
their claims (`claims_url`, counted in `claim_count`), sources to the reviews they published
(`reviews_url`); a claim embeds its reviews in brief. **`fields=` and `omit=`** (comma-separated
top-level names) choose the fields of every list and record, in JSON and CSV; what is not shown is
not read.

**Lists** are paged by cursor (keyset): follow `next` and `previous`; `page_size` is 1 to 500.
Rows that tie on the sort key are ordered by id, so a walk through the pages visits every row once.
An unknown date sorts as earlier than any date.

**Keeping a copy in sync**: every list takes `updated_after` / `updated_before` (ISO 8601 date-times with
a time zone) and `ordering=updated_at`; `GET /api/v1/changes/` lists every create, change and delete
of every resource, oldest first, each exactly once to a client that follows `next`. Who reads history,
the feed and what deleted records held is one setting, `DJANGO_API_HISTORY_ACCESS` (by default anyone
reads the history of live records; the *view* permission is needed for what deleted records held).

**Conditional requests**: a single record carries an `ETag`; `If-None-Match` answers 304 when it has
not changed; `PUT`, `PATCH` and `DELETE` with `If-Match` answer 412 when it has.

**Query parameters**: an unknown one is refused (400), and so is one that lists take once given
twice; an empty one (`?kind=`) is the same as one left out.

**Writes** store every field they are sent, or are refused: an unknown field, or a read-only field
(`status`, `status_note`, `id`, `url`, `created_at`, ...) sent with another value than the record
has, is a 400 that says where it is set (sending back what was read is fine). Ids and numbers are
written in the digits 0-9, dates as `YYYY-MM-DD`. A body may be sent chunked (without
`Content-Length`) where the server reads such bodies (gunicorn does), else 411.

**Errors** are JSON, on every path under `/api/`: `{"detail": "..."}`, or for invalid input an object
naming each field (or query parameter) with its problems, `non_field_errors` for the record as a
whole; an error in an item of a list is keyed by the item's index (`{"aliases": {"1": ["..."]}}`).

| status | when |
| --- | --- |
| 400 | invalid input: a body field (a read-only one included, unless sent with the value the record has), a filter value, an unknown query parameter, a bad cursor or page size, a `format` the endpoint does not serve, a body nested deeper than 32 levels |
| 401 | a write without credentials, or any request with a wrong token (`WWW-Authenticate: Token`); history read without credentials when `DJANGO_API_HISTORY_ACCESS` is `private` |
| 403 | the user lacks the permission for this write (or for reading history, when `DJANGO_API_HISTORY_ACCESS` is `private`), or a session's write came without its CSRF token |
| 404 | no such record, route or API version |
| 405 | the method is not allowed on this route (e.g. `DELETE` on a list) |
| 406 | the `Accept` header asks for a format the API does not serve |
| 409 | a delete blocked by records that point to this one; a write that conflicts with another record |
| 411 | a chunked request body (no `Content-Length`) where the server cannot read one |
| 412 | `If-Match` does not match the record's current `ETag` |
| 413 | a request body larger than the server accepts |
| 415 | a request body that is not `application/json` |
| 429 | too many requests (or failed logins); `Retry-After` says how many seconds to wait |
| 503 | the database cannot be reached for now; `Retry-After` says when to try again |

Every response carries an `X-Request-ID` header (the one the request sent, when it is plain, or a
new one); quote it when reporting a problem.
""".strip()


# --- bodies of the error responses ----------------------------------------------------------------

class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong.")


class DeleteBlockedSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="Why the record cannot be deleted, and what to do.")
    blocking = serializers.DictField(child=serializers.IntegerField(), required=False,
                                     help_text="The kinds of records that point to this one, with how many of each.")


VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": "Each invalid field or query parameter with its problems; `non_field_errors` for the "
                   "record as a whole; `detail` for a body that is not valid JSON.",
    "additionalProperties": {
        "oneOf": [
            {"type": "array", "items": {"type": "string"}},
            {"type": "string"},
            {"type": "object", "additionalProperties": {}},
        ],
    },
    "example": {"stated_on": ["With month precision, enter the first day of the month; with year precision, January 1."]},
}

ERROR_DESCRIPTIONS = {
    "400": "Invalid input; the body names each field or parameter and its problem.",
    "401": "No credentials, or wrong ones (a wrong token is refused on any request, reads too).",
    "403": "The user lacks the permission for this.",
    "404": "No such record.",
    "406": "The Accept header asks for a format the API does not serve.",
    "409": "A delete blocked by records that point to this one, or a write that conflicts with another record.",
    "411": "A request body without a Content-Length, which this server cannot read (send its length).",
    "412": "If-Match does not match the record's current ETag: it changed since it was read.",
    "413": "The request body is larger than the server accepts.",
    "415": "The request body is not application/json.",
    "429": "Too many requests: wait as many seconds as Retry-After says.",
    "503": "The database cannot be reached for now: retry after as many seconds as Retry-After says.",
}

ETAG_HEADER = {"schema": {"type": "string"}, "description": "The record's entity tag, for If-None-Match and If-Match.",
               "example": '"3f2a9c0e1b7d4a6f8e5c2b1a0d9e8f7c6b5a4d3e"'}
HEADERS_FOR = {
    "401": {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "How to authenticate: `Token`.",
                                 "example": "Token"}},
    "429": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait before retrying.",
                            "example": 30}},
    "503": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait before retrying.",
                            "example": 5}},
}

LINK_HEADER = {"schema": {"type": "string"},
               "description": "The next and previous pages (RFC 8288), as in the body's `next` and `previous`; "
                              "the only place they are for CSV and JSON-LD.",
               "example": '<http://127.0.0.1:8000/api/v1/claims/?cursor=eyJvIjoiLXN0YXRlZF9vbiJ9>; rel="next"'}

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
IF_MATCH_ACTIONS = ("update", "partial_update", "destroy", "set_status", "revert")

ACTION_TEXT = {
    # action: (summary, description); {one} / {many} are the resource's names.
    "list": ("List {many}", "A page of {many}, filtered and sorted as the query parameters say. "
                            "Follow `next` and `previous` for the other pages."),
    "retrieve": ("Read a {one}", "One {one}. The response carries an `ETag`; send it back in `If-None-Match` "
                                 "to get 304 Not Modified while the {one} has not changed."),
    "create": ("Create a {one}", "Create a {one}. Related records are given by id. Needs the *add* permission. "
                                 "The response carries the new {one}, its `Location` and its `ETag`."),
    "update": ("Replace a {one}", "Change a {one}, giving every required field. Needs the *change* permission. "
                                  "With `If-Match`, the change is refused (412) if the {one} changed since it was read."),
    "partial_update": ("Update part of a {one}", "Change some fields of a {one}. Needs the *change* permission. "
                                                 "With `If-Match`, the change is refused (412) if the {one} changed since it was read."),
    "destroy": ("Delete a {one}", "Delete a {one}. Needs the *delete* permission. Refused with 409 while other "
                                  "records point to it. With `If-Match`, refused (412) if it changed since it was read."),
    "revert": ("Revert a {one} to a version", "Put the {one}'s fields back as they were in one of its versions "
               "(`history_id`, from its /history/), as a new version whose reason is `change_reason` or \"Reverted "
               "to version N\". The change goes through the same rules as any update, so it is refused (400, saying "
               "why, nothing changed) when they refuse it: a claim's quote that is no longer in its source's text, a "
               "related record deleted since, a relation that would duplicate another. A claim's tags come back "
               "too, and its curation status, which needs the *verify claim* permission (else 403). Needs the "
               "*change* permission. A version of another record is a 400 naming `history_id`; a deleted {one} is a "
               "404. With `If-Match`, refused (412) if the {one} changed since it was read."),
    "history": ("Read a {one}'s history", "Every recorded change of a {one}, newest first: when, by whom, why, and "
                                          "which fields changed from what to what (related records and tags as ids). "
                                          "By default anyone may read a {one}'s history while it exists. A deleted "
                                          "{one}'s history is read only with the *view* permission of {many} "
                                          "(Editors and Contributors); anyone else gets 404, as for a {one} that "
                                          "never existed. The rule is one setting, `DJANGO_API_HISTORY_ACCESS`: "
                                          "`live` (the default, as above), `public` (anyone reads every history), "
                                          "`private` (only with the view permission; anyone else gets 401 or 403)."),
}


class AutoSchema(SpectacularAutoSchema):
    def get_request_serializer(self):
        if self._action() == "revert":
            return self.view.revert_serializer_class
        return super().get_request_serializer()

    def get_response_serializers(self):
        if self._action() == "revert":
            return self.view.serializer_class
        return super().get_response_serializers()

    def get_examples(self):
        examples = list(super().get_examples())
        if self._action() == "revert":
            examples.append(OpenApiExample("Revert", value={"history_id": 12, "change_reason": "Undo an edit that "
                                                            "misquoted the speaker."}, request_only=True))
        return examples

    def _is_list_view(self, serializer=None):
        if getattr(self.view, "action", None) == "history" or getattr(self.view, "schema_is_list", False):
            return True  # a paged list of versions, though its path names one record (or of changes)
        return super()._is_list_view(serializer)

    def get_auth(self):
        auths = super().get_auth()
        if self.method.upper() in ("GET", "HEAD") and {} not in auths:
            auths.append({})  # reading needs no credentials
        return auths

    def _names(self):
        model = getattr(getattr(self.view, "queryset", None), "model", None)
        if model is None and hasattr(self.view, "get_queryset"):
            try:
                model = self.view.get_queryset().model
            except Exception:  # noqa: BLE001 - a view without a queryset (root, schema)
                model = None
        if model is None:
            return None
        return str(model._meta.verbose_name), str(model._meta.verbose_name_plural)

    def _action(self):
        return getattr(self.view, "action", None)

    def get_summary(self):
        summary = super().get_summary()
        names, action = self._names(), self._action()
        if summary or not names or action not in ACTION_TEXT:
            return summary
        return ACTION_TEXT[action][0].format(one=names[0], many=names[1])

    def get_description(self):
        names, action = self._names(), self._action()
        own = super().get_description()
        if not names or action not in ACTION_TEXT:
            return own
        text = ACTION_TEXT[action][1].format(one=names[0], many=names[1])
        view_doc = (self.view.__class__.__doc__ or "").strip()
        if action != "history" and view_doc:
            text += "\n\n" + " ".join(view_doc.split())
        return text

    def resolve_serializer(self, serializer, direction, bypass_extensions=False):
        # An API version derived from another maps the serializers its views name (api.v2.views).
        for_version = getattr(self.view, "schema_serializer", None)
        if for_version is not None:
            serializer = for_version(serializer)
        return super().resolve_serializer(serializer, direction, bypass_extensions)

    def _is_detail(self):
        return "{id}" in self.path

    # Download formats (CSV, JSON-LD: ``api.renderers``, ``data_format = True``) are documented apart from
    # the JSON bodies: a `format` parameter, and their own content in a GET's 200 (an error stays JSON).
    def map_renderers(self, attribute):
        data_types = {getattr(r, attribute).split(";")[0] for r in self._data_renderers()}
        return [value for value in super().map_renderers(attribute) if value not in data_types]

    def _data_renderers(self):
        return [r for r in self.view.get_renderers() if getattr(r, "data_format", False)]

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self._is_detail():
            names = self._names()
            parameters.append(OpenApiParameter(
                "id", OpenApiTypes.INT, OpenApiParameter.PATH,
                description=f"The {names[0] if names else 'record'}'s id.",
                examples=[OpenApiExample("An id", value=1)],
            ))
        action = self._action()
        if action == "retrieve":  # (claims/facets/ names its own: api/facets.py)
            parameters.append(OpenApiParameter(
                "If-None-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
                description="The ETag of the copy you hold: 304 Not Modified while the record has not changed.",
                examples=[OpenApiExample("An ETag", value='"3f2a9c0e1b7d4a6f8e5c2b1a0d9e8f7c6b5a4d3e"')],
            ))
        data_formats = [r.format for r in self._data_renderers()]
        if data_formats and self.method.upper() == "GET":
            parameters.append(OpenApiParameter(
                "format", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False, enum=["json", *data_formats],
                description="The format of the response: `json` (the default), " + ", ".join(
                    f"`{f}`" for f in data_formats) + " (also chosen with the `Accept` header). An error is JSON.",
                examples=[OpenApiExample("CSV", value=data_formats[0])],
            ))
        if action in ("list", "retrieve") and hasattr(self.view, "field_selection"):
            parameters += self._selection_parameters(action)
        if action == "destroy":
            parameters.append(OpenApiParameter(
                "change_reason", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False,
                description="Why the record is deleted, kept in its history (at most 2,000 characters). It may "
                            "instead be sent in a JSON body, `{\"change_reason\": \"...\"}`; not both.",
                examples=[OpenApiExample("A reason", value="Duplicate of another record")],
            ))
        if action in IF_MATCH_ACTIONS:
            parameters.append(OpenApiParameter(
                "If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
                description="The ETag of the copy you read: the write is refused (412) if the record changed since.",
                examples=[OpenApiExample("An ETag", value='"3f2a9c0e1b7d4a6f8e5c2b1a0d9e8f7c6b5a4d3e"')],
            ))
        return parameters

    def _selection_parameters(self, action: str) -> list[OpenApiParameter]:
        """``fields`` and ``omit`` (``api.selection``), with the names of this resource's representation."""
        from api.selection import FIELDS, OMIT, parameters_description
        from api.viewsets import serializer_field_names

        names = serializer_field_names(self.view.get_serializer_class())
        listed = " The fields (JSON): " + ", ".join(f"`{name}`" for name in names) + "."
        fields_text, omit_text = parameters_description(action)
        shown = [name for name in ("id", "url", "name", "title", "text", "speaker", "rating") if name in names][:3]
        embeds = [name for name in ("reviews", "tags", "claim_count", "outlet", "source") if name in names][:2]
        return [
            OpenApiParameter(FIELDS, OpenApiTypes.STR, OpenApiParameter.QUERY, required=False,
                             description=fields_text + listed,
                             examples=[OpenApiExample("Some fields", value=",".join(shown))]),
            OpenApiParameter(OMIT, OpenApiTypes.STR, OpenApiParameter.QUERY, required=False,
                             description=omit_text + listed,
                             examples=[OpenApiExample("Leave out embeds", value=",".join(embeds or names[-1:]))]),
        ]

    def _error_codes(self):
        """Every error status the operation can answer (the hostile-input tests hold the API to this list)."""
        method, action = self.method.upper(), self._action()
        # Any operation: a ``format`` it does not serve or a malformed request (400), a wrong token (401),
        # an Accept it cannot serve (406), a body without a length it cannot read (411) or over the limit
        # (413), too many requests (429), the database gone (503).
        codes = {"400", "401", "406", "411", "413", "429", "503"}
        if self._is_detail():
            codes.add("404")
        if action == "history" or getattr(self.view, "schema_forbidden", False):
            codes.add("403")  # DJANGO_API_HISTORY_ACCESS=private
        if method in WRITE_METHODS:
            codes |= {"403", "409"}
            if method != "DELETE":
                codes.add("415")
            if action in IF_MATCH_ACTIONS:
                codes.add("412")
        if getattr(self.view, "schema_error_codes", None) is not None:
            codes &= set(self.view.schema_error_codes)
        return sorted(codes)

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        action = self._action()
        if direction != "response":
            return responses
        for code in self._error_codes():
            if code in responses:
                continue
            if code == "400":
                body = {"application/json": {"schema": VALIDATION_ERROR_SCHEMA}}
            else:
                serializer = DeleteBlockedSerializer if code == "409" else ErrorSerializer
                body = self._get_response_for_code(serializer, code, direction=direction)["content"]
            responses[code] = {"description": ERROR_DESCRIPTIONS[code], "content": body}
            if code in HEADERS_FOR:
                responses[code]["headers"] = HEADERS_FOR[code]
        if self.method.upper() == "GET" and "200" in responses:
            for renderer in self._data_renderers():
                responses["200"].setdefault("content", {})[renderer.media_type] = renderer.openapi_content(action)
            if action in ("list", "history"):
                responses["200"].setdefault("headers", {})["Link"] = LINK_HEADER
        if action == "facets":
            responses["200"].setdefault("headers", {})["ETag"] = ETAG_HEADER
            responses["304"]["headers"] = {"ETag": ETAG_HEADER}
        if action == "retrieve":
            responses.setdefault("200", {}).setdefault("headers", {})["ETag"] = ETAG_HEADER
            responses["304"] = {"description": "Not modified: the copy named by If-None-Match is current.",
                                "headers": {"ETag": ETAG_HEADER}}
        elif action in ("update", "partial_update", "set_status", "revert"):
            responses.setdefault("200", {}).setdefault("headers", {})["ETag"] = ETAG_HEADER
        elif action == "create":
            headers = responses.setdefault("201", {}).setdefault("headers", {})
            headers["ETag"] = ETAG_HEADER
            headers["Location"] = {"schema": {"type": "string", "format": "uri"},
                                   "description": "The new record's URL."}
        return responses


# --- extensions --------------------------------------------------------------------------------------

class BriefRelatedFieldExtension(OpenApiSerializerFieldExtension):
    """A related record is read as its brief object and written as its id."""

    target_class = "api.fields.BriefRelatedField"

    def map_serializer_field(self, auto_schema, direction):
        if direction == "request":
            return {**build_basic_type(OpenApiTypes.INT), "minimum": 1,
                    "description": f"The id of the {self.target.queryset.model._meta.verbose_name}."}
        component = auto_schema.resolve_serializer(self.target.brief_serializer, direction)
        return component.ref


class FilterExtension(DjangoFilterExtension):
    """django-filter's parameters, with an example each and repeatable id filters as arrays."""

    target_class = "api.filters.FilterBackend"
    priority = 1

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        from api.filters import AllTagsFilter, IdFilter, MultipleIdFilter, MultipleUUIDFilter

        if isinstance(filter_field, AllTagsFilter):
            parameters = [{
                "in": "query", "name": field_name, "required": False,
                "description": filter_field.extra.get("help_text", ""),
                "schema": build_array_type({"type": "string", "pattern": r"^[-a-zA-Z0-9_]+$", "maxLength": 100}),
                "style": "form", "explode": True,
            }]
        elif isinstance(filter_field, IdFilter):
            parameters = [{
                "in": "query", "name": field_name, "required": False,
                "description": filter_field.extra.get("help_text", ""),
                "schema": {"type": "integer", "minimum": 1},
            }]
        elif isinstance(filter_field, MultipleIdFilter):
            item = ({"type": "string", "format": "uuid"} if isinstance(filter_field, MultipleUUIDFilter)
                    else {"type": "integer", "minimum": 1})
            parameters = [{
                "in": "query", "name": field_name, "required": False,
                "description": filter_field.extra.get("help_text", ""),
                "schema": build_array_type(item),
                "style": "form", "explode": True,
            }]
        else:
            parameters = super().resolve_filter_field(auto_schema, model, filterset_class, field_name, filter_field)
        example = getattr(filterset_class, "examples", {}).get(field_name)
        for parameter in parameters:
            if example is not None:
                parameter["example"] = example
            max_length = filter_field.extra.get("max_length")
            if max_length and parameter["schema"].get("type") == "string":
                parameter["schema"]["maxLength"] = max_length
        return parameters


NAMING_RULE = """
**Names** follow one rule (GitHub's REST API's), in every representation: the JSON of a record in full and
in brief (embedded) form, the CSV of a list, the exports, the filters.

- `id` is the record's id; `url` is always the record's own address in this API, never a web address
  it points to.
- A link to another resource or list of this API ends in `_url` (`history_url`, `claims_url`).
- A web address outside the API is named for what it is: a source's `document_url`, an outlet's
  `website`.
- A field has one name and one meaning wherever it appears; in CSV, a related record's field is
  `record.field` (`speaker.name`).
- Timestamps end in `_at`, dates in `_on`; a user who did something is `<verb>_by` (a username, or null).

Kept as they were promised: the page's `next` and `previous` (Django REST framework's); a history
record's `date`, `user` and `reason` (the names of the change feed too); schema.org's own names in
JSON-LD (ClaimReview: its `url` is where the review was published).
""".strip()

VERSION_NOTES = {
    "v1": """
**Version 1** keeps the names its clients know where they break the rule: an embedded source's `title`
is its `display_title` (never empty; `display_title` is given beside it), and the interchange format
(exports, the CSV of claims) calls a source's address and an outlet's website `url`, its CSV columns
`speaker`, `source_url`, ... Version 2 (`/api/v2/`) follows the rule throughout.
""".strip(),
    "v2": """
**Version 2** is version 1 with the names of the rule, everything else alike. What changed from
version 1: an embedded source's `title` is the source's own title (empty when it has none), as in its
full form, and `display_title` the label that is never empty; the API root names its links
`claims_url`, ..., `schema_url`; the interchange format (exports, the CSV of claims) writes a source's
`document_url` and an outlet's `website` where version 1 writes `url`, and its CSV columns are named by
their path (`speaker.name`, `source.document_url`, `span.start`). `import_claims` reads both versions'
files.
""".strip(),
}

API_VERSIONS = {"v1": "1.0.0", "v2": "2.0.0"}


def api_description(version: str | None) -> str:
    """The schema's description for API ``version``: the API, its naming rule, what is particular to the version."""
    version = version if version in API_VERSIONS else "v1"
    text = API_DESCRIPTION.replace("/api/v1/", f"/api/{version}/")
    return f"{text}\n\n{NAMING_RULE}\n\n{VERSION_NOTES[version]}"


def postprocess_schema(result, generator, request, public):
    """Last touches on the whole schema: the API's description, for its version."""
    version = getattr(generator, "api_version", None) or getattr(request, "version", None)
    result["info"]["description"] = api_description(version)
    if version in API_VERSIONS:  # drf-spectacular writes the settings' VERSION and the version: "1.0.0 (v1)"
        result["info"]["version"] = f"{API_VERSIONS[version]} ({version})"
    # Drop components nothing refers to (e.g. the request form of a read-only nested serializer).
    schemas = result.get("components", {}).get("schemas", {})
    while True:
        text = json.dumps(result, default=str)
        unused = [name for name in schemas if f'"#/components/schemas/{name}"' not in text]
        if not unused:
            break
        for name in unused:
            del schemas[name]
    return result
