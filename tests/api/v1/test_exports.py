"""Other formats over HTTP: lists as CSV, streaming exports, reviews as schema.org ClaimReview (JSON-LD)."""

import csv
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from factbase import interchange, services
from factbase.models import Actor, Claim, Review

from .helpers import BASE, url


def csv_rows(response) -> list[dict]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(StringIO(b"".join(response.streaming_content).decode() if response.streaming
                                        else response.content.decode())))


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def links(response) -> dict[str, str]:
    out = {}
    for part in filter(None, response.get("Link", "").split(", ")):
        target, rel = part.split("; ")
        out[rel.removeprefix('rel="').removesuffix('"')] = target.strip("<>")
    return out


# --- lists as CSV ----------------------------------------------------------------------------------

def test_a_page_of_claims_as_csv_field_by_field(anon_client, seed):
    response = anon_client.get(url("claims"), {"format": "csv", "speaker_name": "murtazashvili", "page_size": 3})
    rows = csv_rows(response)
    # The interchange columns, then (added after them, so no column a v1 client reads moved) the claim's id and url.
    assert list(rows[0]) == [*interchange.CSV_COLUMNS, "id", "url"]
    json_page = anon_client.get(url("claims"), {"speaker_name": "murtazashvili", "page_size": 3}).json()["results"]
    assert len(rows) == 3
    for row, listed in zip(rows, json_page):
        claim = Claim.objects.select_related("speaker", "source").get(pk=listed["id"])
        assert (row["id"], row["url"]) == (str(listed["id"]), listed["url"])
        assert row["uid"] == str(claim.uid) and row["text"] == claim.text == listed["text"]
        assert (row["speaker"], row["speaker_kind"], row["speaker_aliases"]) == (
            "Jennifer Brick Murtazashvili", "person", "Murtazashvili")
        assert row["speaker_description"] == claim.speaker.description
        assert row["speaker_role"] == "Central and South Asia expert at the University of Pittsburgh"
        assert (row["stated_on"], row["stated_on_precision"], row["outlet"]) == ("", "", "")
        assert (row["source_url"], row["source_title"], row["source_published_on"], row["source_language"]) == (
            "", "", "2022-01-08", "en")
        assert (int(row["span_start"]), int(row["span_end"]), row["span_exact"]) == (
            claim.span_start, claim.span_end, claim.source.text[claim.span_start:claim.span_end])
        assert (row["kind"], row["status"], row["tags"]) == ("direct_quote", "unverified", "kazakhstan-unrest-2022")
    # The next page is in the Link header, as in the JSON's "next"; the pages together are the export.
    following = links(response)["next"]
    assert following == anon_client.get(url("claims"), {"speaker_name": "murtazashvili", "page_size": 3}
                                        ).json()["next"].replace("page_size=3", "format=csv&page_size=3")
    rest = csv_rows(anon_client.get(following))
    exported = csv_rows(anon_client.get(f"{BASE}claims/export.csv", {"speaker_name": "murtazashvili"}))
    assert sorted(r["uid"] for r in rows + rest) == sorted(r["uid"] for r in exported)


def test_csv_is_also_chosen_by_the_accept_header(anon_client, seed):
    response = anon_client.get(url("claims"), HTTP_ACCEPT="text/csv")
    assert len(csv_rows(response)) == 18
    assert "Accept" in response["Vary"]


def test_an_empty_page_of_csv_has_its_header(anon_client, seed):
    response = anon_client.get(url("actors"), {"format": "csv", "q": "nobody at all"})
    assert response.content.decode() == ("id,url,history_url,claims_url,name,kind,aliases,description,wikidata_id,"
                                         "claim_count,created_at,updated_at\r\n")


def test_other_lists_as_csv_are_their_json_fields_flattened(anon_client, seed):
    services.actor_update(actor=Actor.objects.get(name="Nikol Pashinyan"), data={"aliases": ["Pashinyan", "Пашинян"]})
    rows = csv_rows(anon_client.get(url("actors"), {"format": "csv", "q": "pashinyan"}))
    listed = anon_client.get(url("actors"), {"q": "pashinyan"}).json()["results"]
    assert len(rows) == 1
    row, record = rows[0], listed[0]
    assert row["id"] == str(record["id"]) and row["name"] == "Nikol Pashinyan" and row["kind"] == "person"
    assert row["aliases"] == "Pashinyan|Пашинян"
    assert row["url"].startswith(record["url"]) and row["created_at"] == record["created_at"]

    (review,) = csv_rows(anon_client.get(url("reviews"), {"format": "csv"}))
    json_review = anon_client.get(url("reviews")).json()["results"][0]
    assert list(review) == ["id", "url", "history_url", "claim.id", "claim.url", "claim.text", "claim.kind",
                            "reviewer.id", "reviewer.url", "reviewer.name", "reviewer.kind", "source.id", "source.url",
                            "source.title", "source.display_title", "rating", "rating_text", "summary", "reviewed_on",
                            "created_at",
                            "updated_at"]
    assert review["claim.text"] == "referred to foreign intervention in Kazakhstan"
    assert review["claim.id"] == str(json_review["claim"]["id"]) and review["reviewer.name"] == ""
    assert (review["rating"], review["rating_text"], review["reviewed_on"]) == (
        "unsupported", "there is no evidence", "2022-01-08")
    assert review["source.title"] == review["source.display_title"] == "Untitled source of 2022-01-08"

    (source,) = csv_rows(anon_client.get(url("sources"), {"format": "csv"}))
    assert "text" not in source and source["published_on"] == "2022-01-08"  # a list leaves the text out


def test_a_claim_as_csv_is_one_row_of_the_interchange_columns(anon_client, claim):
    response = anon_client.get(url("claims", claim.pk), {"format": "csv"})
    (row,) = csv_rows(response)
    assert (row["uid"], row["text"], row["speaker_aliases"]) == (str(claim.uid), claim.text, "J. Minister")
    assert response["ETag"] != anon_client.get(url("claims", claim.pk))["ETag"]  # another representation


def test_an_error_stays_json_whatever_format_was_asked_for(anon_client, seed):
    for params in ({"format": "csv", "stated_after": "2022-02-30"}, {"format": "csv", "colour": "red"}):
        response = anon_client.get(url("claims"), params)
        assert response.status_code == 400 and response["Content-Type"] == "application/json"
    from api.filters import ClaimFilterSet, allowed_params

    assert response.json() == {"colour": [
        f"Unknown parameter. This list takes: {', '.join(sorted({*allowed_params(ClaimFilterSet), 'fields', 'omit'}))}."]}
    assert {"cursor", "page_size", "speaker", "tag"} <= set(allowed_params(ClaimFilterSet))
    response = anon_client.get(url("reviews", 999999), {"format": "jsonld"})
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert response.json()["detail"]


def test_a_json_and_a_csv_page_cost_a_constant_number_of_queries(anon_client, seed):
    # JSON: one statement (the database writes the claims with their tags, reviews and relations); CSV: the claims,
    # their tags, their relations (no reviews in the interchange columns). Neither grows with the page.
    for params, expected in (({}, 1), ({"format": "csv"}, 3), ({"omit": "reviews"}, 1)):
        with CaptureQueriesContext(connection) as queries:
            assert anon_client.get(url("claims"), {**params, "page_size": 100}).status_code == 200
        assert len(queries) == expected, params


# --- streaming exports -----------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["ndjson", "json", "csv"])
def test_an_export_over_http_is_the_commands_export(anon_client, seed, tmp_path, fmt):
    response = anon_client.get(f"{BASE}claims/export.{fmt}", {"speaker_name": "pashinyan"})
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].split(";")[0] == interchange.MEDIA_TYPES[fmt]
    assert response["Content-Disposition"] == f'attachment; filename="claims.{fmt}"'
    target = tmp_path / f"claims.{fmt}"
    call_command("export_claims", "--format", fmt, "--speaker-name", "pashinyan", "-o", str(target),
                 "--progress", "no")
    streamed = body(response)
    assert streamed == target.read_bytes()
    assert streamed.count("Pashinyan".encode()) >= 2


def test_an_export_streams_every_claim_without_pages(anon_client, seed):
    lines = body(anon_client.get(f"{BASE}claims/export.ndjson")).decode().splitlines()
    assert [json.loads(line)["uid"] for line in lines] == [str(c.uid) for c in Claim.objects.order_by("id")]
    assert sum("text" in json.loads(line)["source"] for line in lines) == 1  # the source's text once


@pytest.mark.parametrize(("params", "field"), [
    ({"page_size": "10"}, "page_size"), ({"cursor": "abc"}, "cursor"), ({"colour": "red"}, "colour"),
    ({"stated_before": "tomorrow"}, "stated_before"), ({"format": "csv"}, "format"),
])
def test_an_export_refuses_what_it_would_ignore(anon_client, seed, params, field):
    response = anon_client.get(f"{BASE}claims/export.ndjson", params)
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert field in response.json()


def test_an_export_answers_whatever_accept_says(anon_client, seed):
    response = anon_client.get(f"{BASE}claims/export.csv", HTTP_ACCEPT="text/csv")
    assert len(csv_rows(response)) == 18


# --- ClaimReview -----------------------------------------------------------------------------------

def test_the_seeds_review_as_claim_review_field_by_field(anon_client, seed):
    review = Review.objects.get()
    response = anon_client.get(url("reviews", review.pk), {"format": "jsonld"})
    assert response.status_code == 200 and response["Content-Type"] == "application/ld+json"
    assert response.json() == {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "@id": f"http://testserver/api/v1/reviews/{review.pk}/",
        "claimReviewed": "referred to foreign intervention in Kazakhstan",
        "reviewRating": {"@type": "Rating", "name": "Unsupported (no evidence)", "alternateName": "there is no evidence"},
        "datePublished": "2022-01-08",
        "reviewBody": "There is no evidence to suggest that foreign actors were involved in inciting the riots.",
        "itemReviewed": {
            "@type": "Claim", "@id": f"http://testserver/api/v1/claims/{review.claim_id}/",
            "text": "referred to foreign intervention in Kazakhstan",
            "author": {"@type": "Person", "name": "Nikol Pashinyan", "alternateName": ["Pashinyan"]},
            "appearance": {"@type": "CreativeWork", "datePublished": "2022-01-08", "inLanguage": "en"},
        },
    }
    # The article names no author, URL or publisher, and the review no reviewer: none is made up.


def test_claim_review_by_the_accept_header_with_its_own_etag(anon_client, seed):
    review = Review.objects.get()
    as_jsonld = anon_client.get(url("reviews", review.pk), HTTP_ACCEPT="application/ld+json")
    as_json = anon_client.get(url("reviews", review.pk))
    assert as_jsonld.json()["@type"] == "ClaimReview" and as_json.json()["id"] == review.pk
    assert as_jsonld["ETag"] != as_json["ETag"] and "Accept" in as_jsonld["Vary"]
    again = anon_client.get(url("reviews", review.pk), HTTP_ACCEPT="application/ld+json",
                            HTTP_IF_NONE_MATCH=as_jsonld["ETag"])
    assert again.status_code == 304


def test_a_review_with_a_reviewer_a_rating_on_the_scale_and_a_dated_claim(anon_client, claim, actor, source):
    desk = services.actor_create(name="Fact Desk", kind="organization", wikidata_id="Q7")
    published = services.source_create(title="Fact check", url="https://desk.example.org/fuel",
                                       published_on="2022-02-01")
    review = services.review_create(claim=claim, reviewer=desk, source=published, rating="mostly_false",
                                    rating_text="Largely wrong", reviewed_on="2022-02-01")
    document = anon_client.get(url("reviews", review.pk), {"format": "jsonld"}).json()
    assert document["author"] == {"@type": "Organization", "name": "Fact Desk",
                                  "sameAs": "https://www.wikidata.org/wiki/Q7"}
    assert document["url"] == "https://desk.example.org/fuel"
    assert document["reviewRating"] == {"@type": "Rating", "ratingValue": 2, "bestRating": 5, "worstRating": 1,
                                        "name": "Mostly false", "alternateName": "Largely wrong"}
    item = document["itemReviewed"]
    assert item["author"] == {"@type": "Person", "name": "Jane Minister", "alternateName": ["J. Minister"]}
    assert item["datePublished"] == "2022-01-07"
    assert item["appearance"] == {"@type": "CreativeWork", "url": "https://example.org/fuel",
                                  "name": "Fuel prices frozen", "datePublished": "2022-01-08", "inLanguage": "en"}


def test_a_page_of_reviews_as_json_ld(anon_client, claim, actor, source):
    for rating in ("true", "false", "mixed"):
        services.review_create(claim=claim, reviewer=actor, rating=rating)
    response = anon_client.get(url("reviews"), {"format": "jsonld", "page_size": 2})
    document = response.json()
    assert document["@context"] == "https://schema.org" and len(document["@graph"]) == 2
    assert all(item["@type"] == "ClaimReview" and "@context" not in item for item in document["@graph"])
    rest = anon_client.get(links(response)["next"]).json()["@graph"]
    assert sorted(i["reviewRating"]["ratingValue"] for i in document["@graph"] + rest) == [1, 3, 5]


def test_the_claim_review_feed_has_every_review_matching_the_filters(anon_client, seed, claim, actor):
    services.review_create(claim=claim, reviewer=actor, rating="true", reviewed_on="2022-03-01")
    response = anon_client.get(f"{BASE}reviews/claimreview.jsonld")
    assert response.status_code == 200 and response.streaming and response["Content-Type"] == "application/ld+json"
    feed = json.loads(body(response))
    assert feed["@context"] == "https://schema.org"
    assert [item["@id"] for item in feed["@graph"]] == [
        f"http://testserver/api/v1/reviews/{pk}/" for pk in Review.objects.order_by("id").values_list("pk", flat=True)]
    single = anon_client.get(url("reviews", Review.objects.get(rating="true").pk), {"format": "jsonld"}).json()
    del single["@context"]
    assert single in feed["@graph"]  # the same document as one review alone
    only_true = json.loads(body(anon_client.get(f"{BASE}reviews/claimreview.jsonld", {"rating": "true"})))
    assert [i["reviewRating"]["alternateName"] for i in only_true["@graph"]] == ["True"]
    assert anon_client.get(f"{BASE}reviews/claimreview.jsonld", {"rating": "bogus"}).status_code == 400


# --- the schema ----------------------------------------------------------------------------------

def test_the_formats_are_in_the_schema(anon_client, db):
    schema = anon_client.get(f"{BASE}schema/", {"format": "json"}).json()
    paths = schema["paths"]
    for fmt, media_type in (("ndjson", "application/x-ndjson"), ("json", "application/json"), ("csv", "text/csv")):
        operation = paths[f"/api/v1/claims/export.{fmt}"]["get"]
        assert media_type in operation["responses"]["200"]["content"]
        assert {p["name"] for p in operation["parameters"]} >= {"speaker", "speaker_name", "q", "stated_after"}
        assert not {p["name"] for p in operation["parameters"]} & {"cursor", "page_size", "ordering"}
    assert "application/ld+json" in paths["/api/v1/reviews/claimreview.jsonld"]["get"]["responses"]["200"]["content"]
    claims = paths["/api/v1/claims/"]["get"]
    assert set(claims["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    assert set(claims["responses"]["400"]["content"]) == {"application/json"}  # errors stay JSON
    fmt = next(p for p in claims["parameters"] if p["name"] == "format")
    assert set(fmt["schema"]["enum"]) == {"json", "csv"}
    review = paths["/api/v1/reviews/{id}/"]["get"]
    assert set(review["responses"]["200"]["content"]) == {"application/json", "text/csv", "application/ld+json"}
    assert "post" not in paths["/api/v1/claims/export.csv"]


# --- JSON-LD safe to embed in HTML -----------------------------------------------------------------

SCRIPT = "</script><script>alert(1)</script> <!-- \u2028 & \u2029 end"


def test_json_ld_escapes_what_would_end_a_script_element_and_decodes_to_the_same_text(anon_client, db):
    """A publisher pastes JSON-LD into ``<script type="application/ld+json">``: a claim, a name or a summary
    holding ``</script>`` must not end it (and so run the script after it), nor ``<!--`` open a comment."""
    speaker = services.actor_create(name=f"Mallory {SCRIPT}", kind="person", aliases=[f"<b>{SCRIPT}"])
    source = services.source_create(title=f"Title {SCRIPT}", url="https://example.org/a?x=1&y=<2>",
                                    published_on="2022-01-08")
    claim = services.claim_create(speaker=speaker, source=source, kind="paraphrase", text=f"Claim {SCRIPT}")
    review = services.review_create(claim=claim, reviewer=speaker, rating="false", rating_text=f"No {SCRIPT}",
                                    summary=f"Summary {SCRIPT}")
    responses = {
        "one": anon_client.get(url("reviews", review.pk), {"format": "jsonld"}),
        "page": anon_client.get(url("reviews"), {"format": "jsonld"}),
        "feed": anon_client.get(f"{BASE}reviews/claimreview.jsonld"),
    }
    raws = {}
    for name, response in responses.items():
        assert response.status_code == 200, name
        raw = raws[name] = body(response)
        for forbidden in (b"<", b">", b"&", "\u2028".encode(), "\u2029".encode()):
            assert forbidden not in raw, (name, forbidden)
        assert b"\\u003c/script\\u003e" in raw and b"\\u003c!--" in raw and b"\\u2028" in raw, name
        document = json.loads(raw)  # still JSON, and the same data
        item = document if name == "one" else document["@graph"][0]
        assert item["claimReviewed"] == f"Claim {SCRIPT}" and item["reviewBody"] == f"Summary {SCRIPT}", name
        assert item["author"]["name"] == f"Mallory {SCRIPT}" and item["author"]["alternateName"] == [f"<b>{SCRIPT}"]
        assert item["reviewRating"]["alternateName"] == f"No {SCRIPT}"
        assert item["itemReviewed"]["appearance"]["name"] == f"Title {SCRIPT}"
        assert item["itemReviewed"]["appearance"]["url"] == "https://example.org/a?x=1&y=<2>"
    # The escaped body in an HTML page: one script element, whose text is the whole document.
    from html.parser import HTMLParser

    class Scripts(HTMLParser):
        def __init__(self):
            super().__init__()
            self.scripts, self.comments, self.inside = [], [], False

        def handle_starttag(self, tag, attrs):
            if tag == "script":
                self.scripts.append("")
                self.inside = True

        def handle_endtag(self, tag):
            self.inside = self.inside and tag != "script"

        def handle_data(self, data):
            if self.inside:
                self.scripts[-1] += data

        def handle_comment(self, data):
            self.comments.append(data)

    page = Scripts()
    page.feed('<html><body><script type="application/ld+json">' + raws["feed"].decode()
              + "</script><p>after</p></body></html>")
    assert len(page.scripts) == 1 and not page.comments
    assert json.loads(page.scripts[0]) == json.loads(raws["feed"])


def test_html_safe_json_changes_nothing_else():
    document = {"a": "plain é ü 中文 \" \\ / \n", "b": [1, 2.5, None, True], "c": "<&>"}
    raw = interchange.jsonld_dumps(document)
    assert json.loads(raw) == document
    assert raw == (b'{"a":"plain \xc3\xa9 \xc3\xbc \xe4\xb8\xad\xe6\x96\x87 \\" \\\\ / \\n","b":[1,2.5,null,true],'
                   b'"c":"\\u003c\\u0026\\u003e"}')


# --- CSV cells that spreadsheets would run ---------------------------------------------------------

def _cells(raw: bytes) -> list[str]:
    return [cell for row in csv.reader(StringIO(raw.decode(), newline="")) for cell in row]


def test_every_csv_the_api_writes_neutralises_cells_a_spreadsheet_would_run(anon_client, db):
    speaker = services.actor_create(name="=HYPERLINK(\"http://evil.example/\",\"x\")", kind="person",
                                    aliases=["@alias"], description="+1 description")
    source = services.source_create(title="-title", url="https://example.org/a", published_on="2022-01-08")
    claim = services.claim_create(speaker=speaker, source=source, kind="paraphrase", text="=1+1",
                                  speaker_role="\t=role")
    review = services.review_create(claim=claim, reviewer=speaker, rating="false", summary="@summary",
                                    rating_text="'=already")
    tag = services.tag_create(name="-tag", slug="-tag")
    responses = {
        "claims": anon_client.get(url("claims"), {"format": "csv"}),
        "claim": anon_client.get(url("claims", claim.pk), {"format": "csv"}),
        "actors": anon_client.get(url("actors"), {"format": "csv"}),
        "actor": anon_client.get(url("actors", speaker.pk), HTTP_ACCEPT="text/csv"),
        "sources": anon_client.get(url("sources"), {"format": "csv"}),
        "reviews": anon_client.get(url("reviews"), {"format": "csv"}),
        "tags": anon_client.get(url("tags", tag.pk), {"format": "csv"}),
        "history": anon_client.get(url("claims", claim.pk, "history"), {"format": "csv"}),
        "export": anon_client.get(f"{BASE}claims/export.csv"),
    }
    for name, response in responses.items():
        assert response.status_code == 200, (name, response.content)
        cells = _cells(body(response))
        assert cells, name
        assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")], name
    claims = csv_rows(anon_client.get(url("claims"), {"format": "csv"}))
    assert claims[0]["text"] == "'=1+1" and claims[0]["speaker"] == "'=HYPERLINK(\"http://evil.example/\",\"x\")"
    assert claims[0]["speaker_role"] == "'\t=role" and claims[0]["speaker_aliases"] == "'@alias"
    assert claims[0]["tags"] == "" and claims[0]["source_title"] == "'-title"
    reviews = csv_rows(anon_client.get(url("reviews"), {"format": "csv"}))
    assert reviews[0]["summary"] == "'@summary" and reviews[0]["rating_text"] == "''=already"
    assert reviews[0]["id"] == str(review.pk)
