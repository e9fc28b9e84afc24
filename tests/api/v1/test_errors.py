"""Errors are JSON that name the problem, with the right status; no input makes a 500."""

import json

import pytest

from factbase.models import Actor, Review

from .helpers import url


def test_unknown_routes_and_versions_are_json_404s(anon_client, db):
    for path in ("/api/v3/", "/api/v3/claims/", "/api/v1/nothing/", "/api/v1/claims/1/nothing/", "/api/x"):
        response = anon_client.get(path)
        assert response.status_code == 404, path
        assert response.json()["detail"]


def test_a_missing_trailing_slash_redirects(anon_client, db):
    response = anon_client.get("/api/v1/claims?page_size=1")
    assert response.status_code == 301 and response["Location"] == "/api/v1/claims/?page_size=1"


def test_the_versions_are_listed(anon_client, db):
    assert anon_client.get("/api/").json() == {"versions": {"v1": "http://testserver/api/v1/",
                                                            "v2": "http://testserver/api/v2/"}}


def test_the_root_lists_the_resources(anon_client, db):
    body = anon_client.get("/api/v1/").json()
    for name in ("claims", "actors", "outlets", "sources", "reviews", "tags", "schema", "docs", "redoc"):
        assert body[name].startswith("http://testserver/api/v1/")
    assert anon_client.get(body["claims"]).status_code == 200


@pytest.mark.parametrize("method,path", [("delete", "claims/"), ("put", "actors/"), ("patch", "tags/"),
                                         ("post", "claims/{pk}/"), ("put", "claims/{pk}/history/")])
def test_a_method_not_allowed_is_a_405(editor_client, claim, method, path):
    response = getattr(editor_client, method)("/api/v1/" + path.format(pk=claim.pk), {})
    assert response.status_code == 405
    assert "not allowed" in response.json()["detail"]


def test_a_body_that_is_not_json_is_a_415(editor_client, db):
    response = editor_client.post(url("actors"), "name=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert "Unsupported media type" in response.json()["detail"]
    response = editor_client.post(url("actors"), "<actor/>", content_type="text/xml")
    assert response.status_code == 415


@pytest.mark.parametrize("body", ['{"name": ', "[1, 2]", "null", '"text"', '{"name": NaN}', "{\"name\": \"\\ud800\"}"])
def test_malformed_json_is_a_400(editor_client, db, body):
    response = editor_client.post(url("actors"), body, content_type="application/json")
    assert response.status_code == 400, body
    assert response.json()
    assert not Actor.objects.exists()


@pytest.mark.parametrize("path,served", [("/api/v1/claims/", "json, api, csv"),
                                         ("/api/v1/reviews/{review}/", "json, api, csv, jsonld"),
                                         ("/api/v1/", "json, api"),
                                         ("/api/v1/schema/", "yaml, json")])
def test_an_unknown_format_parameter_is_a_400_naming_it(anon_client, seed, path, served):
    review = Review.objects.get()
    path = path.format(review=review.pk, claim=review.claim_id)
    response = anon_client.get(path, {"format": "xml"})
    assert response.status_code == 400
    assert response["Content-Type"].split(";")[0].endswith("json")  # the schema's own JSON type there
    assert json.loads(response.content) == {"format": [f"“xml” is not a format of this endpoint: choose from {served}."]}
    # A format the endpoint serves is still served.
    assert anon_client.get(path, {"format": "json"}).status_code == 200


def test_an_unacceptable_accept_header_is_a_406(anon_client, db):
    response = anon_client.get(url("actors"), HTTP_ACCEPT="application/xml")
    assert response.status_code == 406
    assert response.json()["detail"]
    response = anon_client.get("/api/v1/schema/", HTTP_ACCEPT="application/xml")  # its first renderer is YAML
    assert response.status_code == 406
    assert json.loads(response.content)["detail"]


@pytest.mark.parametrize("value", ["\x00", "a\x00b"])
def test_nul_characters_are_refused_not_crashing(editor_client, db, value):
    response = editor_client.post(url("actors"), {"name": value})
    assert response.status_code == 400 and "name" in response.json()
    response = editor_client.get(url("actors"), {"q": value})
    assert response.status_code == 400


def test_very_long_values_are_400s(editor_client, db):
    response = editor_client.post(url("actors"), {"name": "x" * 201})
    assert response.status_code == 400 and "name" in response.json()


@pytest.mark.parametrize("value", ["1e400", "-1e400", str(2**64), '"1e3"', "[]", "{}", '{"id": 1}', "0.5", "true"])
def test_odd_ids_for_related_records_are_400s(editor_client, claim, value):
    response = editor_client.patch(url("claims", claim.pk), f'{{"speaker": {value}}}', content_type="application/json")
    assert response.status_code == 400
    assert "speaker" in response.json()


def test_a_failed_write_leaves_nothing_half_written(editor_client, actor, source):
    # The claim row would be valid; the tag does not exist: nothing is written.
    response = editor_client.post(url("claims"), {"speaker": actor.pk, "source": source.pk,
                                                  "text": "We will not raise fuel prices this winter.",
                                                  "tags": [424242]})
    assert response.status_code == 400
    assert not actor.claims.exists()


@pytest.mark.parametrize("path", ["claims/", "claims/{pk}/", "claims/{pk}/status/", "claims/{pk}/history/", ""])
def test_options_describes_a_route(editor_client, claim, path):
    response = editor_client.options("/api/v1/" + path.format(pk=claim.pk))
    assert response.status_code == 200
    assert response.json()["name"]
