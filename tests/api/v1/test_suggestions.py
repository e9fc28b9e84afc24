"""GET /sources/{id}/suggestions/ and accepting or dismissing a suggestion, in v1 and v2."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from factbase import attribution, services
from factbase.models import Claim, SuggestionDismissal
from tests.suggestion_fakes import (  # noqa: F401 - fixtures
    ANONYMOUS, PARAPHRASE, QUOTE, TEXT, attributions, fake_extractor, suggest_source,
)

pytestmark = pytest.mark.django_db


def suggestions_url(source, version="v1", suffix=""):
    return f"/api/{version}/sources/{source.pk}/suggestions/{suffix}"


def listed(client, source, version="v1"):
    response = client.get(suggestions_url(source, version))
    assert response.status_code == 200, response.content
    return response.json()


def by_content(body):
    return {row["content"]["text"]: row for row in body["results"]}


def test_the_suggestions_of_a_source(anon_client, fake_extractor, suggest_source):
    jane = services.actor_create(name="Jane Doe", kind="person")
    channel = services.outlet_create(name="Channel 5", kind="broadcaster")
    body = listed(anon_client, suggest_source)
    assert body["count"] == 3 and len(body["results"]) == 3
    rows = by_content(body)
    quote = rows[QUOTE]
    start = TEXT.index(QUOTE)
    assert quote["content"] == {"start": start, "end": start + len(QUOTE), "text": QUOTE}
    assert (quote["kind"], quote["cue"], quote["role"]) == ("direct_quote", "said", "mayor of Springfield")
    assert quote["speaker"]["mention"] == "Jane Doe" and quote["speaker"]["name"] == "Jane Doe"
    assert quote["speaker"]["actor"] == {"id": jane.pk, "url": f"http://testserver/api/v1/actors/{jane.pk}/",
                                         "name": "Jane Doe", "kind": "person"}
    assert (quote["date_phrase"], quote["stated_on"], quote["stated_on_precision"]) == (
        "on Friday", "2022-01-07", "day")
    assert quote["outlet"] == {"name": "", "outlet": None}
    assert quote["overlaps"] == []
    assert len(quote["key"]) == 20
    paraphrase = rows[PARAPHRASE]
    assert paraphrase["speaker"]["actor"] is None and paraphrase["speaker"]["name"] == "John Roe"
    assert paraphrase["outlet"]["name"] == "Channel 5" and paraphrase["outlet"]["outlet"]["id"] == channel.pk
    assert [row["content"]["text"] for row in body["results"]] == [QUOTE, PARAPHRASE, ANONYMOUS]  # text order


def test_v2_gives_the_same_suggestions_with_its_own_links(anon_client, fake_extractor, suggest_source):
    services.actor_create(name="Jane Doe", kind="person")
    v1, v2 = listed(anon_client, suggest_source), listed(anon_client, suggest_source, "v2")
    assert v2["count"] == v1["count"] == 3
    assert by_content(v2)[QUOTE]["speaker"]["actor"]["url"].startswith("http://testserver/api/v2/actors/")
    assert [r["key"] for r in v1["results"]] == [r["key"] for r in v2["results"]]


def test_a_source_without_text_has_none_and_an_unknown_source_is_404(anon_client, fake_extractor, db):
    source = services.source_create(title="No text", published_on="2022-01-08")
    assert listed(anon_client, source) == {"count": 0, "results": []}
    assert anon_client.get("/api/v1/sources/999999/suggestions/").status_code == 404
    assert anon_client.get("/api/v1/sources/x/suggestions/").status_code == 404


def test_a_claim_that_overlaps_is_listed_and_one_of_the_same_passage_hides_the_suggestion(
        anon_client, fake_extractor, suggest_source):
    jane = services.actor_create(name="Jane Doe", kind="person")
    touching = services.claim_create(speaker=jane, source=suggest_source, kind="paraphrase", text="Doubts.",
                                     span_exact="not convinced. The city")
    services.claim_create(speaker=jane, source=suggest_source, text=QUOTE)
    rows = by_content(listed(anon_client, suggest_source))
    assert QUOTE not in rows
    assert [c["id"] for c in rows[PARAPHRASE]["overlaps"]] == [touching.pk]
    assert set(rows[PARAPHRASE]["overlaps"][0]) == {"id", "url", "text", "kind"}


def test_the_query_count_does_not_grow_with_the_suggestions_or_the_claims(anon_client, monkeypatch, db):
    speakers = [services.actor_create(name=f"Speaker {i}", kind="person") for i in range(30)]
    outlets = [services.outlet_create(name=f"Outlet {i}") for i in range(30)]

    def source_with(n):
        text = " ".join(f"“Quote number {i} here,” said Speaker {i} on Outlet {i}." for i in range(n))
        source = services.source_create(title=f"Quotes {n}", published_on="2022-01-08", text=text)
        for i in range(0, n, 3):  # some already claims, some overlapping
            services.claim_create(speaker=speakers[i], source=source, text=f"Quote number {i} here", outlet=outlets[i])
        return source

    def extract(text, *, names=()):
        from factbase.provenance import Span
        found = []
        for i in range(30):
            quote = f"Quote number {i} here,"
            if quote not in text:
                continue
            start = text.index(quote)
            name = f"Speaker {i}"
            at = text.index(name, start)
            found.append(attribution.Attribution(content=Span(start, start + len(quote), quote), kind="direct_quote",
                                                 speaker=Span(at, at + len(name), name), speaker_name=name,
                                                 outlet=f"Outlet {i}", date_phrase="on Friday"))
        return found

    monkeypatch.setattr(attribution, "extract", extract)
    counts = {}
    for n in (2, 30):
        source = source_with(n)
        with CaptureQueriesContext(connection) as queries:
            body = listed(anon_client, source)
        counts[n] = len(queries.captured_queries)
        assert body["count"] == n - len(range(0, n, 3))
    assert counts[2] == counts[30] <= 6, counts


def test_accepting_and_dismissing_need_the_add_claim_permission(
        anon_client, reader_client, contributor_client, fake_extractor, suggest_source):
    key = by_content(listed(anon_client, suggest_source))[QUOTE]["key"]
    for client, status in ((anon_client, 401), (reader_client, 403)):
        for verb in ("accept", "dismiss"):
            response = client.post(suggestions_url(suggest_source, suffix=f"{key}/{verb}/"), {}, format="json")
            assert response.status_code == status, response.content
    assert Claim.objects.count() == 0 and SuggestionDismissal.objects.count() == 0

    response = contributor_client.post(suggestions_url(suggest_source, suffix=f"{key}/accept/"),
                                       {"change_reason": "Heard it too."}, format="json")
    assert response.status_code == 201, response.content
    claim = response.json()
    assert (claim["text"], claim["status"], claim["speaker"]["name"]) == (QUOTE, "unverified", "Jane Doe")
    assert claim["span"]["start"] == TEXT.index(QUOTE)
    assert response["Location"] == claim["url"]
    history = contributor_client.get(claim["history_url"]).json()["results"]
    assert history[0]["reason"] == "Accepted suggestion: “said” by Jane Doe (extractor); Heard it too."
    assert history[0]["user"] == "contributor"
    assert QUOTE not in by_content(listed(anon_client, suggest_source))


def test_a_stale_key_is_a_400_naming_key_and_a_dismissed_one_is_gone(
        anon_client, editor_client, fake_extractor, suggest_source):
    stale = editor_client.post(suggestions_url(suggest_source, suffix="0123456789abcdef0123/accept/"), {},
                               format="json")
    assert stale.status_code == 400 and "key" in stale.json()
    key = by_content(listed(anon_client, suggest_source))[PARAPHRASE]["key"]
    bad = editor_client.post(suggestions_url(suggest_source, suffix=f"{key}/dismiss/"), {"status": "x"}, format="json")
    assert bad.status_code == 400 and "status" in bad.json()
    response = editor_client.post(suggestions_url(suggest_source, suffix=f"{key}/dismiss/"), {}, format="json")
    assert response.status_code == 204, response.content
    assert PARAPHRASE not in by_content(listed(anon_client, suggest_source))
    again = editor_client.post(suggestions_url(suggest_source, suffix=f"{key}/accept/"), {}, format="json")
    assert again.status_code == 400 and "key" in again.json()


def test_v2_accepts_too(editor_client, fake_extractor, suggest_source):
    key = by_content(listed(editor_client, suggest_source, "v2"))[QUOTE]["key"]
    response = editor_client.post(suggestions_url(suggest_source, "v2", f"{key}/accept/"), {}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["url"].startswith("http://testserver/api/v2/claims/")
    assert response.json()["source"]["title"] == "Springfield votes"


def test_an_obvious_quote_end_to_end(anon_client, db):
    source = services.source_create(title="Obvious", published_on="2022-01-08", text='"We will win," said Jane Doe.')
    body = listed(anon_client, source)
    assert body["count"] == 1
    assert body["results"][0]["content"]["text"].strip(" ,") == "We will win"
    assert "Jane Doe" in body["results"][0]["speaker"]["name"]
