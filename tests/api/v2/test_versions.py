"""/api/v2/ beside an unchanged /api/v1/: the versions, v2's root and docs, v2's renames, and v2 as
a superset of v1 (every path, operation, parameter and field of v1 is in v2, renamed by the rule)."""

import json
import re

import pytest
import yaml
from django.core.management import call_command
from rest_framework.test import APIClient

from factbase import services
from factbase.models import Claim, Source


def renamed(component: str, name: str) -> str:
    """A field's v2 name, by its component and v1 name: the renames the naming rule makes in v2's JSON."""
    if component == "ApiRoot":
        return f"{name}_url"  # a link to a list of this API ends in _url
    return name


@pytest.fixture(scope="module")
def schemas(django_db_blocker):
    with django_db_blocker.unblock():
        client = APIClient()
        return {version: json.loads(client.get(f"/api/{version}/schema/", {"format": "json"}).content)
                for version in ("v1", "v2")}


def operations(schema, version):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield path.replace(f"/api/{version}/", "/api/{version}/"), method, operation


# --- the versions ---------------------------------------------------------------------------------

def test_the_api_root_lists_both_versions(anon_client, db):
    response = anon_client.get("/api/")
    assert response.status_code == 200
    assert response.json() == {"versions": {"v1": "http://testserver/api/v1/", "v2": "http://testserver/api/v2/"}}


def test_the_v2_root_links_each_list_and_its_docs_by_url_names(anon_client, db):
    root = anon_client.get("/api/v2/").json()
    v1_root = anon_client.get("/api/v1/").json()
    assert root == {f"{name}_url": link.replace("/api/v1/", "/api/v2/") for name, link in v1_root.items()}
    assert {"claims_url", "actors_url", "schema_url", "docs_url", "redoc_url"} <= set(root)
    for link in root.values():
        assert anon_client.get(link).status_code == 200, link


def test_an_unknown_version_is_a_json_404(anon_client, db):
    response = anon_client.get("/api/v3/claims/")
    assert response.status_code == 404 and "detail" in response.json()


def test_links_in_v2_point_into_v2(anon_client, seed):
    claim = anon_client.get("/api/v2/claims/", {"page_size": 1}).json()["results"][0]
    for link in (claim["url"], claim["speaker"]["url"], claim["source"]["url"], *(t["url"] for t in claim["tags"])):
        assert link.startswith("http://testserver/api/v2/"), link
        assert anon_client.get(link).status_code == 200
    assert anon_client.get("/api/v2/claims/", {"page_size": 1}).json()["next"].startswith(
        "http://testserver/api/v2/claims/?cursor=")


# --- the renames ----------------------------------------------------------------------------------

@pytest.fixture
def titled(seed):
    source = services.source_create(title="Fuel prices frozen", url="https://example.org/fuel",
                                    text="She said: we will not raise fuel prices.")
    claim = services.claim_create(speaker=Claim.objects.first().speaker, source=source,
                                  text="we will not raise fuel prices")
    return claim


def test_an_embedded_source_gives_its_own_title_in_v2_and_its_label_in_v1(anon_client, seed):
    claim = Claim.objects.get(text="referred to foreign intervention in Kazakhstan")
    assert Source.objects.get(pk=claim.source_id).title == ""  # the seed's article has no title
    v1 = anon_client.get(f"/api/v1/claims/{claim.pk}/").json()["source"]
    v2 = anon_client.get(f"/api/v2/claims/{claim.pk}/").json()["source"]
    assert v1["title"] == v1["display_title"] == "Untitled source of 2022-01-08"  # unchanged for v1 clients
    assert (v2["title"], v2["display_title"]) == ("", "Untitled source of 2022-01-08")
    full = anon_client.get(v2["url"]).json()
    assert (full["title"], full["display_title"]) == (v2["title"], v2["display_title"])  # brief and full agree
    # The same in a list, in a review's brief source, and in the CSV of reviews.
    listed = anon_client.get("/api/v2/claims/", {"speaker_name": "pashinyan"}).json()["results"][0]["source"]
    assert listed == v2
    review = anon_client.get("/api/v2/reviews/").json()["results"][0]
    assert (review["source"]["title"], review["source"]["display_title"]) == ("", "Untitled source of 2022-01-08")
    v1_review = anon_client.get("/api/v1/reviews/").json()["results"][0]
    assert v1_review["source"]["title"] == "Untitled source of 2022-01-08"
    rows = anon_client.get("/api/v2/reviews/", {"format": "csv"}).content.decode().splitlines()
    header = rows[0].split(",")
    assert rows[1].split(",")[header.index("source.title")] == ""
    assert rows[1].split(",")[header.index("source.display_title")] == "Untitled source of 2022-01-08"


def test_a_titled_source_reads_alike_in_both_versions(anon_client, titled):
    v1 = anon_client.get(f"/api/v1/claims/{titled.pk}/").json()["source"]
    v2 = anon_client.get(f"/api/v2/claims/{titled.pk}/").json()["source"]
    assert v1["title"] == v2["title"] == v1["display_title"] == v2["display_title"] == "Fuel prices frozen"


def test_a_write_through_v2_answers_in_v2(editor_client, seed):
    speaker = Claim.objects.first().speaker_id
    source = services.source_create(text="He said: prices will fall.")
    response = editor_client.post("/api/v2/claims/", {"speaker": speaker, "source": source.pk,
                                                     "text": "prices will fall"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["url"].startswith("http://testserver/api/v2/claims/") and response["Location"] == body["url"]
    assert (body["source"]["title"], body["source"]["display_title"]) == ("", "Untitled source")
    status = editor_client.post(f"{body['url']}status/", {"status": "verified"}, format="json")
    assert status.status_code == 200 and status.json()["source"]["title"] == ""


# --- v1 unchanged -----------------------------------------------------------------------------------

def test_a_seed_claim_reads_in_v1_as_it_always_did(anon_client, seed):
    """Pashinyan's claim, field by field, as v1 clients have read it (and the one field added: display_title)."""
    claim = Claim.objects.get(text="referred to foreign intervention in Kazakhstan")
    body = anon_client.get(f"/api/v1/claims/{claim.pk}/").json()
    base = "http://testserver/api/v1/"
    # v1's fields of before, in their order; fields added since (links, embeds) come among them.
    before = ["id", "uid", "url", "text", "kind", "speaker", "speaker_role", "stated_on", "stated_on_precision",
              "outlet", "source", "span", "status", "status_note", "verified_at", "tags", "created_at", "updated_at"]
    assert [name for name in body if name in before] == before
    assert body["url"] == f"{base}claims/{claim.pk}/" and body["uid"] == str(claim.uid)
    assert body["speaker"] == {"id": claim.speaker_id, "url": f"{base}actors/{claim.speaker_id}/",
                               "name": "Nikol Pashinyan", "kind": "person"}
    assert body["speaker_role"] == "Prime Minister of Armenia and current chairman of the CSTO"
    assert body["outlet"] == {"id": claim.outlet_id, "url": f"{base}outlets/{claim.outlet_id}/", "name": "Facebook",
                              "kind": "social_network"}
    assert body["source"] == {"id": claim.source_id, "url": f"{base}sources/{claim.source_id}/",
                              "title": "Untitled source of 2022-01-08",
                              "display_title": "Untitled source of 2022-01-08"}
    assert body["span"]["exact"].startswith("Pashinyan referred to foreign intervention in Kazakhstan")
    assert (body["kind"], body["status"], body["stated_on"], body["stated_on_precision"]) == (
        "paraphrase", "unverified", None, "")
    assert [t["slug"] for t in body["tags"]] == ["kazakhstan-unrest-2022"]


# --- the schemas --------------------------------------------------------------------------------------

def test_v2_has_every_path_operation_parameter_and_field_of_v1_renamed_by_the_rule(schemas):
    v1 = {(path, method): op for path, method, op in operations(schemas["v1"], "v1")}
    v2 = {(path, method): op for path, method, op in operations(schemas["v2"], "v2")}
    assert v1 and set(v1) <= set(v2), sorted(set(v1) - set(v2))
    for key, operation in v1.items():
        parameters = {(p["in"], p["name"]) for p in operation.get("parameters", [])}
        assert parameters <= {(p["in"], p["name"]) for p in v2[key].get("parameters", [])}, key
        assert set(operation["responses"]) <= set(v2[key]["responses"]), key
        for code, response in operation["responses"].items():
            assert set(response.get("content", {})) <= set(v2[key]["responses"][code].get("content", {})), (key, code)
    components_v1, components_v2 = schemas["v1"]["components"]["schemas"], schemas["v2"]["components"]["schemas"]
    assert set(components_v1) <= set(components_v2), sorted(set(components_v1) - set(components_v2))
    for name, component in components_v1.items():
        expected = {renamed(name, field) for field in component.get("properties", {})}
        assert expected <= set(components_v2[name].get("properties", {})), (name, expected - set(
            components_v2[name].get("properties", {})))


def test_the_v2_schema_says_what_differs(schemas):
    assert schemas["v2"]["info"]["version"] == "2.0.0 (v2)" and schemas["v1"]["info"]["version"] == "1.0.0 (v1)"
    for version in ("v1", "v2"):
        description = schemas[version]["info"]["description"]
        assert "**Names** follow one rule" in description and "`document_url`" in description
        assert f"/api/{version}/auth/token/" in description
    assert "own title" in schemas["v2"]["info"]["description"]
    brief = schemas["v2"]["components"]["schemas"]["BriefSource"]["properties"]
    assert "own title" in brief["title"]["description"] and "never empty" in brief["display_title"]["description"]
    export = schemas["v2"]["paths"]["/api/v2/claims/export.json"]["get"]["responses"]["200"]["content"]
    record = export["application/json"]["schema"]["items"]["properties"]
    assert "document_url" in record["source"]["properties"] and "url" not in record["source"]["properties"]
    assert "website" in record["outlet"]["properties"]
    v1_record = (schemas["v1"]["paths"]["/api/v1/claims/export.json"]["get"]["responses"]["200"]["content"]
                 ["application/json"]["schema"]["items"]["properties"])
    assert "url" in v1_record["source"]["properties"] and "document_url" not in v1_record["source"]["properties"]


def test_the_v2_schema_validates_without_a_warning(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--api-version", "v2", "--validate", "--fail-on-warn", "--file", str(target))
    document = yaml.safe_load(target.read_text())
    assert "/api/v2/claims/" in document["paths"] and not any(p.startswith("/api/v1/") for p in document["paths"])


@pytest.mark.parametrize("page", ["docs/", "redoc/"])
def test_the_v2_docs_pages_load_nothing_from_outside(anon_client, db, page):
    response = anon_client.get(f"/api/v2/{page}")
    assert response.status_code == 200
    html = response.content.decode()
    external = [u for u in re.findall(r"""https?://[^\s"'<>)]+""", html) if not u.startswith("http://testserver/")]
    assert external == []
    assert "/static/drf_spectacular_sidecar/" in html and "fonts.googleapis" not in html
    assert "/api/v2/schema/" in html
