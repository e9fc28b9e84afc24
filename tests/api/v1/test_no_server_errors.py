"""Inputs that were server errors (500) or were misread: each is now a 4xx with a JSON body naming the problem.

Issue #13, items 5 to 10: ids, page sizes and numeric filters written with other digits than 0-9;
validation errors of list items; deeply nested JSON; cursors out of the database's range; a ``%`` in
a filter's value; CSRF failures and other refusals outside DRF's views under ``/api/``.
"""

import base64
import json
import time

import pytest
from django.test import Client

from api.filters import IdFilter, MultipleIdFilter
from api.v1 import urls as v1_urls
from api.v1 import views
from factbase.models import Actor, Claim, Review, Source

from .helpers import url

RESOURCES = views.RESOURCES
VIEWSETS = {prefix: viewset for prefix, viewset, _ in v1_urls.router.registry}

# Not the digits 0-9: "²" passes str.isdigit() but int() refuses it; int() reads the others as numbers
# ("١" and "１" as 1), so a page or a record the client did not name would be served.
ODD_DIGITS = ["²", "¹", "١", "١٢", "１", "𝟏", "۱", "߁", "1²", "०", "٣٤"]
HUGE = ["9" * 5000, "1" + "0" * 30]


def json_body(response):
    assert response["Content-Type"].split(";")[0] in ("application/json", "application/problem+json"), (
        response.status_code, response["Content-Type"], response.content[:200])
    return json.loads(response.content)


# --- item 5: digits ------------------------------------------------------------------------------------

@pytest.mark.parametrize("resource", RESOURCES)
def test_an_id_in_the_path_not_written_in_0_to_9_is_a_404(anon_client, seed, resource):
    for value in ODD_DIGITS + HUGE + ["0", "-1", "1.0", "+1", " 1", "1_0"]:
        for suffix in ("", "history"):
            response = anon_client.get(url(resource, value, suffix))
            assert response.status_code == 404, (value, suffix, response.content[:200])
            assert json_body(response)["detail"]


def test_an_odd_id_in_a_writes_path_is_a_404(editor_client, seed):
    for value in ODD_DIGITS + HUGE:
        for method, path in (("patch", url("claims", value)), ("put", url("tags", value)),
                             ("delete", url("actors", value)), ("post", url("claims", value, "status"))):
            response = getattr(editor_client, method)(path, {"status": "verified"})
            assert response.status_code == 404, (method, path, response.content[:200])
            assert json_body(response)["detail"]


def test_a_page_size_not_written_in_0_to_9_is_a_400_naming_it(anon_client, seed):
    for value in ODD_DIGITS + HUGE + ["0", "501", "-1", "1.5", " "]:
        for resource in RESOURCES:
            response = anon_client.get(url(resource), {"page_size": value})
            assert response.status_code == 400, (resource, value, response.content[:200])
            assert "page_size" in json_body(response)


def _id_filters():
    for resource in RESOURCES:
        viewset = VIEWSETS[resource]
        for name, filter_ in viewset.filterset_class.base_filters.items():
            if isinstance(filter_, (MultipleIdFilter, IdFilter)):
                yield resource, name


@pytest.mark.parametrize("resource,name", list(_id_filters()))
def test_an_id_filter_not_written_in_0_to_9_is_a_400_naming_it(anon_client, seed, resource, name):
    for value in ODD_DIGITS + HUGE + [f"1,{ODD_DIGITS[2]}"]:
        response = anon_client.get(url(resource), {name: value})
        assert response.status_code == 400, (value, response.content[:200])
        assert name in json_body(response)


@pytest.mark.parametrize("path", ["claims/export.ndjson", "claims/export.csv", "reviews/claimreview.jsonld"])
def test_an_export_refuses_odd_digits_in_its_id_filters(anon_client, seed, path):
    name = "claim" if path.startswith("reviews") else "speaker"
    response = anon_client.get(f"/api/v1/{path}", {name: "١"})
    assert response.status_code == 400
    assert name in json_body(response)


def test_ids_written_in_0_to_9_still_filter(anon_client, seed):
    claim = Claim.objects.order_by("id").first()
    response = anon_client.get(url("claims"), {"speaker": f" {claim.speaker_id} ", "page_size": "007"})
    assert response.status_code == 200
    assert {row["speaker"]["id"] for row in response.json()["results"]} == {claim.speaker_id}
    assert anon_client.get(url("claims", f"00{claim.pk}")).json()["id"] == claim.pk


@pytest.mark.parametrize("value", ["²", "١", "１", "9" * 5000])
def test_a_related_id_in_a_body_not_written_in_0_to_9_is_a_400(editor_client, claim, value):
    other = Actor.objects.create(name="Another speaker", kind="person")  # id 2: "٢" would name it
    response = editor_client.patch(url("claims", claim.pk), {"speaker": value.replace("1", "2")
                                                              .replace("١", "٢").replace("１", "２")}, format="json")
    assert response.status_code == 400, response.content[:200]
    assert "speaker" in json_body(response)
    claim.refresh_from_db()
    assert claim.speaker_id != other.pk


@pytest.mark.parametrize("value", ["١", "１", "²", True, "1e1"])
def test_a_span_hint_not_written_in_0_to_9_is_a_400(editor_client, claim, value):
    response = editor_client.patch(url("claims", claim.pk), {"span_hint": value}, format="json")
    assert response.status_code == 400, response.content[:200]
    assert "span_hint" in json_body(response)


def test_a_date_is_written_yyyy_mm_dd_in_0_to_9(editor_client, anon_client, claim):
    for value in ["٢٠٢٢-٠١-٠٧", "２０２２-０１-０７", "2022-01-07\n", "2022-1-7", "01/07/2022", "20220107"]:
        response = editor_client.patch(url("claims", claim.pk), {"stated_on": value, "stated_on_precision": "day"},
                                       format="json")
        assert response.status_code == 400, (value, response.content[:200])
        assert "stated_on" in json_body(response)
        for name in ("stated_after", "stated_before"):
            response = anon_client.get(url("claims"), {name: value})
            assert response.status_code == 400, (value, response.content[:200])
            assert name in json_body(response)
    claim.refresh_from_db()
    assert claim.stated_on.isoformat() == "2022-01-07"
    response = editor_client.patch(url("claims", claim.pk), {"stated_on": "2022-01-06"}, format="json")
    assert response.status_code == 200 and response.json()["stated_on"] == "2022-01-06"


# --- item 6: errors of list items ----------------------------------------------------------------------

@pytest.mark.parametrize("resource,field,extra", [
    ("actors", "aliases", {"name": "Somebody", "kind": "person"}),
    ("sources", "authors", {"title": "A title"}),
])
@pytest.mark.parametrize("items,bad", [(["fine", "\x00"], "1"), (["x" * 201], "0"), (["ok", {"a": 1}, "ok"], "1"),
                                       (["ok", None], "1"), ([["nested"]], "0")])
def test_an_error_in_a_list_item_is_keyed_by_its_index_as_a_string(editor_client, db, resource, field, extra,
                                                                    items, bad):
    response = editor_client.post(url(resource), {**extra, field: items}, format="json")
    assert response.status_code == 400, response.content[:200]
    errors = json_body(response)[field]
    assert list(errors) == [bad] and errors[bad]
    assert not Actor.objects.exists() and not Source.objects.exists()


def test_an_error_in_a_list_of_tags_names_the_field(editor_client, claim):
    for tags in ([1, "x"], [10**30], ["١"], [[1]]):
        response = editor_client.patch(url("claims", claim.pk), {"tags": tags}, format="json")
        assert response.status_code == 400, (tags, response.content[:200])
        assert "tags" in json_body(response)


# --- item 7: deep nesting ------------------------------------------------------------------------------

@pytest.mark.parametrize("opening,closing", [("[", "]"), ('{"a":', "}"), ('{"name":[', "]}")])
def test_a_body_nested_100000_deep_is_a_quick_400(editor_client, claim, opening, closing):
    depth = 100_000
    body = opening * depth + "1" + closing * depth
    for method, path in (("post", url("actors")), ("patch", url("claims", claim.pk)),
                         ("put", url("claims", claim.pk)), ("post", url("claims", claim.pk, "status")),
                         ("post", "/api/v1/auth/token/")):
        started = time.monotonic()
        response = getattr(editor_client, method)(path, body, content_type="application/json")
        assert time.monotonic() - started < 2
        assert response.status_code == 400, (path, response.content[:200])
        assert "nested" in json_body(response)["detail"]


def test_a_body_nested_past_the_limit_is_refused_and_one_within_it_is_read(editor_client, db):
    from api.parsers import MAX_DEPTH

    def nested(depth):  # ``depth`` levels of containers in all, the outer object included
        return {"name": "Nested", "kind": "person", "description": json.loads("[" * (depth - 1) + "]" * (depth - 1))}

    response = editor_client.post(url("actors"), json.dumps(nested(MAX_DEPTH + 1)), content_type="application/json")
    assert response.status_code == 400 and "nested" in json_body(response)["detail"]
    response = editor_client.post(url("actors"), json.dumps(nested(MAX_DEPTH)), content_type="application/json")
    assert response.status_code == 400 and "description" in json_body(response)  # read, then refused by field


# --- item 8: cursors out of range ----------------------------------------------------------------------

def token(payload) -> str:
    text = payload if isinstance(payload, str) else json.dumps(payload)
    return base64.urlsafe_b64encode(text.encode("utf-8", "surrogatepass")).decode().rstrip("=")


OUT_OF_RANGE_CURSORS = [
    # created_at: times that exist in Python but not once moved to UTC, or not in the database
    ("claims", "created_at", ["0001-01-01T00:00:00+05:00", 1]),
    ("claims", "-created_at", ["9999-12-31T23:59:59-05:00", 1]),
    ("claims", "-created_at", ["0001-01-01T00:00:00+23:59", 1]),
    # text and dates with lone surrogates or odd digits
    ("actors", "name", ["\ud800", 1]),
    ("tags", "-name", ["a\udfffb", 1]),
    ("claims", "stated_on", ["\ud800", 1]),
    ("claims", "stated_on", ["٢٠٢٢-٠١-٠١", 1]),
    # the key past bigint, a float for an id, a date past 9999
    ("claims", "-stated_on", ["2022-01-07", 2**63]),
    ("claims", "-stated_on", ["2022-01-07", 1e300]),
    ("sources", "published_on", ["10000-01-01", 1]),
    # nested deeper than any cursor, and very long
    ("claims", "-stated_on", "deep"),
]
DEEP_CURSOR = '{"o": "-stated_on", "v": ' + "[" * 5000 + "]" * 5000 + "}"


@pytest.mark.parametrize("resource,ordering,values", OUT_OF_RANGE_CURSORS)
def test_a_cursor_whose_values_are_out_of_range_is_a_400(anon_client, seed, resource, ordering, values):
    cursor = token(DEEP_CURSOR if values == "deep" else {"o": ordering, "v": values})
    response = anon_client.get(url(resource), {"ordering": ordering, "cursor": cursor})
    assert response.status_code == 400, response.content[:300]
    assert "cursor" in json_body(response)


@pytest.mark.parametrize("values", [["0001-01-01T00:00:00+05:00", 1], ["\ud800", 1], [2**63, 1]])
def test_a_history_cursor_out_of_range_is_a_400(anon_client, seed, values):
    claim = Claim.objects.first()
    response = anon_client.get(url("claims", claim.pk, "history"), {"cursor": token({"o": "-date", "v": values})})
    assert response.status_code == 400, response.content[:300]
    assert "cursor" in json_body(response)


def test_a_very_long_cursor_is_a_400(anon_client, seed):
    response = anon_client.get(url("claims"), {"cursor": "A" * 100_000})
    assert response.status_code == 400 and "cursor" in json_body(response)


@pytest.mark.parametrize("resource,ordering,values", [
    ("claims", "-created_at", ["0001-01-01T00:00:00+00:00", 1]),  # the first instant the database holds
    ("claims", "created_at", ["9999-12-31T23:59:59.999999+00:00", 1]),
    ("claims", "stated_on", ["0001-01-01", 9223372036854775807]),
    ("actors", "name", ["\u202eRTL \u0301 combining 😀", 1]),
])
def test_a_cursor_at_the_edge_of_the_range_is_an_empty_page(anon_client, seed, resource, ordering, values):
    cursor = token({"o": ordering, "v": values})
    response = anon_client.get(url(resource), {"ordering": ordering, "cursor": cursor})
    assert response.status_code == 200, response.content[:300]
    assert isinstance(response.json()["results"], list)


# --- item 9: a % in a filter's value -------------------------------------------------------------------

PERCENT = ["%s", "%(x)s", "%d", "%", "100%", "%%", "%(value)s%s"]


@pytest.mark.parametrize("path,name", [("/api/v1/reviews/claimreview.jsonld", "claim"),
                                       ("/api/v1/reviews/", "reviewer"), ("/api/v1/claims/", "speaker"),
                                       ("/api/v1/claims/export.ndjson", "outlet"), ("/api/v1/sources/", "outlet")])
def test_a_percent_sign_in_an_id_filter_is_a_400_quoting_it(anon_client, seed, path, name):
    for value in PERCENT:
        response = anon_client.get(path, {name: value})
        assert response.status_code == 400, (value, response.content[:200])
        message = json_body(response)[name][0]
        assert f"“{value}”" in message


def test_every_filter_of_every_list_takes_a_percent_sign_without_a_server_error(anon_client, seed):
    for resource in RESOURCES:
        viewset = VIEWSETS[resource]
        for name in viewset.filterset_class.base_filters:
            for value in PERCENT:
                response = anon_client.get(url(resource), {name: value})
                assert response.status_code in (200, 400), (resource, name, value, response.content[:200])
                json_body(response)


# --- item 10: every answer under /api/ is JSON ---------------------------------------------------------

@pytest.fixture
def session_client(editor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    return client


@pytest.mark.parametrize("method,path", [
    ("delete", "/api/v1/actors/0.5/"), ("post", "/api/v1/nothing/"), ("put", "/api/v3/claims/"),
    ("post", "/api/"), ("patch", "/api/v1/claims/1/nothing/"), ("delete", "/api/x"),
])
def test_an_unknown_route_under_api_is_a_json_answer_without_a_csrf_token(session_client, seed, method, path):
    response = getattr(session_client, method)(path)
    assert response.status_code in (403, 404, 405), (response.status_code, response.content[:200])
    assert json_body(response)["detail"]


def test_a_csrf_failure_under_api_is_json_and_writes_nothing(session_client, seed):
    actor = Actor.objects.first()
    response = session_client.delete(f"/api/v1/actors/{actor.pk}/")
    assert response.status_code == 403 and "CSRF" in json_body(response)["detail"]
    assert Actor.objects.filter(pk=actor.pk).exists()


def test_the_csrf_failure_view_answers_json_under_api_and_html_elsewhere(rf, settings):
    from django.urls import get_callable

    view = get_callable(settings.CSRF_FAILURE_VIEW)
    response = view(rf.post("/api/v1/anything/"), reason="CSRF cookie not set.")
    assert response.status_code == 403
    assert "CSRF cookie not set." in json_body(response)["detail"]
    response = view(rf.post("/admin/login/"), reason="CSRF cookie not set.")
    assert response.status_code == 403 and response["Content-Type"].startswith("text/html")


def test_a_session_write_with_the_csrf_token_goes_through(editor, seed):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    client.get("/admin/")  # sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    response = client.post(url("tags"), {"name": "With token", "slug": "with-token"}, content_type="application/json",
                           HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 201, response.content[:200]


def test_a_bad_host_under_api_is_a_json_400(anon_client, seed):
    response = anon_client.get(url("claims"), HTTP_HOST="evil.example.org")
    assert response.status_code == 400
    assert json_body(response)["detail"]
    response = anon_client.get("/admin/login/", HTTP_HOST="evil.example.org")
    assert response.status_code == 400 and not response["Content-Type"].endswith("json")


def test_too_many_query_parameters_is_a_json_400(anon_client, seed):
    query = "&".join(f"p{i}=1" for i in range(1500))
    for path in (url("claims"), url("claims", 1), "/api/v1/claims/export.ndjson", url("claims", 1, "history")):
        response = anon_client.get(f"{path}?{query}")
        assert response.status_code == 400, (path, response.status_code)
        assert json_body(response)["detail"]


def test_the_versions_are_read_only(session_client, db):
    response = session_client.post("/api/")
    assert response.status_code == 405 and json_body(response)["detail"]
    assert response["Allow"] == "GET, HEAD"


# --- the schema documents what the API answers ---------------------------------------------------------

def test_every_operation_documents_a_bad_format_and_a_wrong_token(anon_client, seed):
    schema = anon_client.get("/api/v1/schema/", {"format": "json"}).json()
    review = Review.objects.get()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert "400" in operation["responses"], (method, path)
            assert "401" in operation["responses"], (method, path)
    # as answered: a detail endpoint's ?format=xml, and a read with a wrong token
    assert anon_client.get(url("reviews", review.pk), {"format": "xml"}).status_code == 400
    response = anon_client.get(url("reviews", review.pk), HTTP_AUTHORIZATION="Token wrong")
    assert response.status_code == 401 and json_body(response)["detail"]


# --- an empty query parameter is one left out --------------------------------------------------------------

def test_an_empty_query_parameter_is_one_left_out_on_every_list(anon_client, seed):
    """?status= and ?rating= were 400s, ?page_size= and ?ordering= too, while ?kind= was ignored: one rule now,
    the one the schema's description gives (not allowEmptyValue, which OpenAPI deprecates and Swagger UI
    shows as a checkbox on every parameter)."""
    schema = anon_client.get("/api/v1/schema/", {"format": "json"}).json()
    checked = 0
    for path, operations in schema["paths"].items():
        if "{id}" in path or "get" not in operations:
            continue
        expected = content(anon_client.get(path))
        for parameter in operations["get"].get("parameters", []):
            if parameter["in"] != "query":
                continue
            response = anon_client.get(path, {parameter["name"]: ""})
            assert response.status_code == 200, (path, parameter["name"], response.content[:200])
            assert content(response) == expected, (path, parameter["name"])
            checked += 1
    assert checked > 40
    assert "an empty one (`?kind=`) is the same as one left out" in " ".join(schema["info"]["description"].split())


def content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content
