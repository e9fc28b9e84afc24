"""The OpenAPI schema and the docs pages."""

import json
import re

import pytest
import yaml
from django.core.management import call_command

BASE = "/api/v1/"
RESOURCES = ["claims", "actors", "outlets", "sources", "reviews", "tags"]


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        response = APIClient().get(f"{BASE}schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield path, method, operation


def test_the_schema_validates_without_a_warning(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--api-version", "v1", "--validate", "--fail-on-warn", "--file", str(target))
    document = yaml.safe_load(target.read_text())
    assert document["openapi"].startswith("3.") and document["paths"]


def test_the_schema_is_served_as_yaml_and_json(anon_client, db):
    response = anon_client.get(f"{BASE}schema/")
    assert response.status_code == 200 and "openapi" in response["Content-Type"]
    as_yaml = yaml.safe_load(response.content)
    as_json = json.loads(anon_client.get(f"{BASE}schema/", {"format": "json"}).content)
    assert as_yaml == as_json


def test_every_resource_and_action_is_in_the_schema(schema):
    paths = schema["paths"]
    assert set(paths["/api/v1/"]) >= {"get"}
    for resource in RESOURCES:
        assert set(paths[f"/api/v1/{resource}/"]) >= {"get", "post"}
        assert set(paths[f"/api/v1/{resource}/{{id}}/"]) >= {"get", "put", "patch", "delete"}
        assert "get" in paths[f"/api/v1/{resource}/{{id}}/history/"]
    assert "post" in paths["/api/v1/claims/{id}/status/"]
    assert not any("schema" in path or "docs" in path or "redoc" in path for path in paths)


def test_every_operation_has_a_summary_description_parameter_examples_and_errors(schema):
    for path, method, operation in operations(schema):
        where = f"{method.upper()} {path}"
        assert operation.get("summary"), where
        assert len(operation.get("description", "")) > 20, where
        for parameter in operation.get("parameters", []):
            assert "example" in parameter or parameter.get("examples"), (where, parameter["name"])
            assert parameter.get("description"), (where, parameter["name"])
        codes = set(operation["responses"])
        assert {"406", "429"} <= codes, where
        # The token endpoint (/auth/token/) writes no record: nothing can conflict (409) or be stale (412).
        record = not path.startswith("/api/v1/auth/")
        if method in ("post", "put", "patch", "delete"):
            assert ({"401", "403", "409"} if record else {"401", "403"}) <= codes, where
        if method in ("post", "put", "patch"):
            assert {"400", "415"} <= codes, where
        if "{id}" in path:
            assert "404" in codes, where
        if method in ("put", "patch", "delete") and record:
            assert "412" in codes, where
        if path.endswith("/") and method == "get" and "{id}" not in path and path != "/api/v1/":
            assert "400" in codes, where


def test_lists_document_keyset_pages_and_their_parameters(schema):
    claims = schema["paths"]["/api/v1/claims/"]["get"]
    names = {p["name"] for p in claims["parameters"]}
    assert names >= {"speaker", "speaker_name", "outlet", "source", "status", "kind", "tag", "language",
                     "stated_after", "stated_before", "q", "ordering", "cursor", "page_size", "outlet_name", "uid",
                     "rating", "has_review", "updated_after", "updated_before"}
    ordering = next(p for p in claims["parameters"] if p["name"] == "ordering")
    assert set(ordering["schema"]["enum"]) == {"-stated_on", "stated_on", "created_at", "-created_at", "relevance",
                                               "updated_at", "-updated_at"}
    ref = claims["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    page = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert set(page["properties"]) == {"count", "next", "previous", "results"}  # count: only with count=true
    assert page["properties"]["results"]["items"]["$ref"].endswith("/Claim")


def test_reads_embed_brief_records_and_writes_take_ids(schema):
    components = schema["components"]["schemas"]
    assert components["Claim"]["properties"]["speaker"]["allOf"][0]["$ref"].endswith("/BriefActor")
    assert components["Claim"]["properties"]["tags"]["items"]["allOf"][0]["$ref"].endswith("/BriefTag")
    assert components["ClaimRequest"]["properties"]["speaker"]["type"] == "integer"
    assert components["ClaimRequest"]["properties"]["tags"]["items"]["type"] == "integer"
    assert "passage" in components["ClaimRequest"]["properties"]
    assert "passage" not in components["Claim"]["properties"]
    assert set(components["BriefSource"]["properties"]) == {"id", "url", "title", "display_title"}


def test_conditional_request_headers_are_documented(schema):
    detail = schema["paths"]["/api/v1/claims/{id}/"]
    assert any(p["name"] == "If-None-Match" for p in detail["get"]["parameters"])
    assert "ETag" in detail["get"]["responses"]["200"]["headers"] and "304" in detail["get"]["responses"]
    for method in ("put", "patch", "delete"):
        assert any(p["name"] == "If-Match" for p in detail[method]["parameters"])
    assert "Retry-After" in detail["get"]["responses"]["429"]["headers"]


@pytest.mark.parametrize("page", ["docs/", "redoc/"])
def test_the_docs_pages_load_nothing_from_outside(anon_client, db, page):
    response = anon_client.get(f"{BASE}{page}")
    assert response.status_code == 200
    html = response.content.decode()
    external = [u for u in re.findall(r"""https?://[^\s"'<>)]+""", html) if not u.startswith("http://testserver/")]
    assert external == []
    assert "/static/drf_spectacular_sidecar/" in html
    assert "fonts.googleapis" not in html
    assert "/api/v1/schema/" in html


def test_relations_change_reason_and_revert_are_in_the_schema(schema):
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths[f"{BASE}claim-relations/"])
    assert {"get", "put", "patch", "delete"} <= set(paths[f"{BASE}claim-relations/{{id}}/"])
    components = schema["components"]["schemas"]
    shown = components["ClaimRelationShownTypeEnum"]["enum"]
    assert set(shown) == {"same_statement", "contradicts", "responds_to", "corrects", "repeats",
                          "responded_to_by", "corrected_by", "repeated_by"}
    assert set(components["ClaimRelationTypeEnum"]["enum"]) == set(shown[:5])
    assert "relations" in components["Claim"]["properties"]
    claim_filters = {p["name"] for p in paths[f"{BASE}claims/"]["get"]["parameters"]}
    assert "related_to" in claim_filters
    for resource in [*RESOURCES, "claim-relations"]:
        revert = paths[f"{BASE}{resource}/{{id}}/revert/"]["post"]
        body = revert["requestBody"]["content"]["application/json"]
        assert body["examples"]["Revert"]["value"]["history_id"] == 12
        assert {"200", "400", "403", "404", "412"} <= set(revert["responses"])
        assert "If-Match" in {p["name"] for p in revert["parameters"]}
        delete = paths[f"{BASE}{resource}/{{id}}/"]["delete"]
        assert "change_reason" in {p["name"] for p in delete["parameters"]}
    for name in ("ClaimRequest", "PatchedActorRequest", "ClaimStatusRequest", "RevertRequest"):
        reason = components[name]["properties"]["change_reason"]
        assert reason["maxLength"] == 2000 and reason.get("writeOnly", True)
