"""``?fields=`` and ``?omit=`` (issue #14, item 2): a client chooses the fields of every list and record, in
JSON and CSV; bad choices are a 400 that names the parameter and lists the names; an ETag is that of what
is served; writes answer the whole record."""

import csv
import io

import pytest

from api.conditional import etag_for

from .helpers import url

pytestmark = pytest.mark.django_db

RESOURCES = ["claims", "actors", "outlets", "sources", "reviews", "tags"]


def csv_rows(response):
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv"), response.content[:300]
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_fields_gives_exactly_those_keys_in_the_representations_order(anon_client, seed):
    listed = anon_client.get(url("claims"), {"fields": "speaker,id,text"}).json()["results"]
    assert listed and all(list(row) == ["id", "text", "speaker"] for row in listed)
    full = anon_client.get(url("claims"), {"page_size": 100}).json()["results"]
    by_id = {row["id"]: row for row in full}
    assert all(row == {k: by_id[row["id"]][k] for k in ("id", "text", "speaker")} for row in listed)
    one = anon_client.get(url("claims", listed[0]["id"]), {"fields": "text,id,speaker"}).json()
    assert one == listed[0]


@pytest.mark.parametrize("resource", RESOURCES)
def test_every_list_and_record_takes_fields_and_omit(anon_client, seed, resource):
    full = anon_client.get(url(resource)).json()["results"][0]
    names = list(full)
    first, last = names[0], names[-1]
    assert list(anon_client.get(url(resource), {"fields": f"{last},{first}"}).json()["results"][0]) == [first, last]
    omitted = anon_client.get(url(resource), {"omit": f"{first},{last}"}).json()["results"][0]
    assert list(omitted) == names[1:-1]
    record = anon_client.get(url(resource, full["id"])).json()
    assert anon_client.get(url(resource, full["id"]), {"fields": "id,url"}).json() == {"id": full["id"], "url": full["url"]}
    omitted = anon_client.get(url(resource, full["id"]), {"omit": "id,url"}).json()
    assert omitted == {k: v for k, v in record.items() if k not in ("id", "url")}
    # An empty value is the parameter left out.
    assert anon_client.get(url(resource, full["id"]), {"fields": ""}).json() == record


@pytest.mark.parametrize("resource", RESOURCES)
def test_a_bad_choice_is_a_400_naming_the_parameter_and_the_names(anon_client, seed, resource):
    pk = anon_client.get(url(resource)).json()["results"][0]["id"]
    for path in (url(resource), url(resource, pk)):
        response = anon_client.get(path, {"fields": "id,colour"})
        assert response.status_code == 400
        [message] = response.json()["fields"]
        assert "Unknown field(s): colour." in message and "The fields are: id, " in message
        assert ", history_url, " in message and message.endswith("created_at, updated_at.")
        response = anon_client.get(path, {"omit": "colour"})
        assert response.status_code == 400 and "Unknown field(s): colour." in response.json()["omit"][0]
        response = anon_client.get(path, {"fields": "id", "omit": "url"})
        assert response.status_code == 400 and set(response.json()) == {"fields", "omit"}
        response = anon_client.get(f"{path}?fields=id&fields=url")
        assert response.status_code == 400 and list(response.json()) == ["fields"]
        response = anon_client.get(path, {"fields": " , ,"})
        assert response.status_code == 400 and "Name at least one field" in response.json()["fields"][0]
    response = anon_client.get(url(resource), {"fields": ",".join(f"x{i}" * 50 for i in range(30))})
    assert response.status_code == 400 and len(response.content) < 3000 and "(and 20 more)" in response.json()["fields"][0]


def test_a_sources_list_has_no_text_to_choose(anon_client, seed):
    response = anon_client.get(url("sources"), {"fields": "text"})
    assert response.status_code == 400 and "Unknown field(s): text." in response.json()["fields"][0]
    pk = anon_client.get(url("sources")).json()["results"][0]["id"]
    body = anon_client.get(url("sources", pk), {"fields": "text"}).json()
    assert list(body) == ["text"] and "Tokayev" in body["text"]


def test_csv_takes_the_top_level_names_of_its_columns(anon_client, seed):
    # Another resource: the JSON fields, flattened (the outlet's "source.outlet" columns go with "outlet").
    header, *rows = csv_rows(anon_client.get(url("reviews"), {"format": "csv", "fields": "id,claim,rating"}))
    assert header == ["id", "claim.id", "claim.url", "claim.text", "claim.kind", "rating"]
    assert rows and all(len(row) == len(header) for row in rows)
    header, *_ = csv_rows(anon_client.get(url("reviews"), {"omit": "claim,source,reviewer"},
                                          HTTP_ACCEPT="text/csv"))
    assert header == ["id", "url", "history_url", "rating", "rating_text", "summary", "reviewed_on", "created_at",
                      "updated_at"]
    # Claims: the interchange format's columns.
    header, *rows = csv_rows(anon_client.get(url("claims"), {"format": "csv", "fields": "tags,text,uid"}))
    assert header == ["uid", "text", "tags"] and rows
    assert all(row[2] == "kazakhstan-unrest-2022" for row in rows)
    header, *_ = csv_rows(anon_client.get(url("claims"), {"format": "csv", "omit": "tags,status_note"}))
    assert "tags" not in header and "status_note" not in header and "speaker_kind" in header
    # A name of the JSON that is no column of the CSV is refused, listing the CSV's names.
    response = anon_client.get(url("claims"), {"format": "csv", "fields": "reviews"})
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert "The fields are: uid, text, kind, speaker," in response.json()["fields"][0]
    pk = anon_client.get(url("claims")).json()["results"][0]["id"]
    assert csv_rows(anon_client.get(url("claims", pk), {"format": "csv", "fields": "text"}))[0] == ["text"]


def test_json_ld_has_no_fields_to_choose(anon_client, seed):
    response = anon_client.get(url("reviews"), {"format": "jsonld", "fields": "id"})
    assert response.status_code == 400 and "not jsonld" in response.json()["fields"][0]


def test_the_etag_of_a_record_with_fields_chosen_is_that_of_what_is_served(anon_client, seed):
    pk = anon_client.get(url("claims")).json()["results"][0]["id"]
    full = anon_client.get(url("claims", pk))
    some = anon_client.get(url("claims", pk), {"fields": "id,text"})
    assert some["ETag"] == etag_for(some.json()) != full["ETag"]
    assert anon_client.get(url("claims", pk), {"fields": "id,text"}, HTTP_IF_NONE_MATCH=some["ETag"]).status_code == 304
    assert anon_client.get(url("claims", pk), HTTP_IF_NONE_MATCH=some["ETag"]).status_code == 200
    actor = anon_client.get(url("actors")).json()["results"][0]["id"]
    chosen = anon_client.get(url("actors", actor), {"omit": "claim_count"})
    assert chosen["ETag"] == etag_for(chosen.json())


def test_writes_answer_the_whole_record(editor_client, claim):
    response = editor_client.patch(f"{url('claims', claim.pk)}?fields=id", {"speaker_role": "Ex-minister"},
                                   format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["speaker_role"] == "Ex-minister" and "reviews" in body and "text" in body
    # ...so that its ETag is the record's, which If-Match compares.
    assert response["ETag"] == editor_client.get(url("claims", claim.pk))["ETag"]
    response = editor_client.post(f"{url('tags')}?omit=name", {"name": "Energy", "slug": "energy"}, format="json")
    assert response.status_code == 201 and response.json()["name"] == "Energy"


def test_the_schema_offers_fields_and_omit_on_every_list_and_record(anon_client):
    schema = anon_client.get("/api/v1/schema/?format=json").json()
    for resource in RESOURCES:
        for path in (f"/api/v1/{resource}/", f"/api/v1/{resource}/{{id}}/"):
            parameters = {p["name"]: p for p in schema["paths"][path]["get"]["parameters"]}
            assert {"fields", "omit"} <= set(parameters), path
            assert "`history_url`" in parameters["fields"]["description"]
            for name in ("put", "patch", "post", "delete"):
                operation = schema["paths"][path].get(name)
                assert operation is None or "fields" not in {p["name"] for p in operation.get("parameters", [])}
    claim = schema["components"]["schemas"]["Claim"]["properties"]
    assert claim["reviews"]["items"]["$ref"] == "#/components/schemas/BriefReview"
    assert claim["status_changed_by"]["nullable"] and claim["status_changed_at"]["format"] == "date-time"
    outlet = schema["components"]["schemas"]["Outlet"]["properties"]
    assert "were made on this outlet" in outlet["claim_count"]["description"]


def test_the_browsable_api_shows_a_bad_choice_as_a_400(anon_client, editor_client, seed):
    pk = anon_client.get(url("claims")).json()["results"][0]["id"]
    for client in (anon_client, editor_client):
        for path in (url("claims"), url("claims", pk), url("actors")):
            response = client.get(path, {"fields": "colour"}, HTTP_ACCEPT="text/html")
            assert response.status_code == 400, (path, response.status_code)
            response = client.get(path, {"fields": "id"}, HTTP_ACCEPT="text/html")
            assert response.status_code == 200
