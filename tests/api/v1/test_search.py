"""q: full-text search over the claim's text and speaker, alike on both databases; ordering=relevance."""

import pytest
from django.db import connection

from factbase import selectors, services
from factbase.models import Actor, Claim

from .helpers import ids, postgres_only, sqlite_only, url


def search(client, q, **params):
    return ids(client.get(url("claims"), {"q": q, "page_size": 500, **params}))


def texts(pks):
    return {Claim.objects.get(pk=pk).text for pk in pks}


def test_every_word_must_occur_in_any_case(anon_client, seed):
    found = search(anon_client, "DEADLY force")
    assert texts(found) == {"he had authorized the use of deadly force against protesters"}


def test_the_speakers_name_and_aliases_are_searched_too(anon_client, seed):
    tokayev = Actor.objects.get(name="Kassym-Yomart Tokayev")
    by_name = set(tokayev.claims.values_list("id", flat=True))
    in_text = {c.pk for c in Claim.objects.all() if "tokayev" in c.text.lower()}
    assert set(search(anon_client, "tokayev")) == by_name | in_text
    assert by_name - in_text  # some are found by the speaker's name alone
    # a word from the name and a word from the text
    assert texts(search(anon_client, "tokayev deadly")) == {
        "he had authorized the use of deadly force against protesters"}


def test_quoted_phrases_exclusions_and_or(anon_client, seed):
    assert texts(search(anon_client, '"deadly force"')) == {"he had authorized the use of deadly force against protesters"}
    assert search(anon_client, '"force deadly"') == []
    with_force = set(search(anon_client, "force"))
    assert set(search(anon_client, "force -deadly")) == with_force - set(search(anon_client, "deadly"))
    assert set(search(anon_client, "deadly or restore")) == set(search(anon_client, "deadly")) | set(
        search(anon_client, "restore"))


def test_no_match_is_an_empty_page(anon_client, seed):
    assert search(anon_client, "zyzzyva") == []


def test_punctuation_only_finds_nothing_on_both_databases(anon_client, seed):
    assert search(anon_client, "!!!") == []


def test_search_combines_with_filters(anon_client, seed):
    tokayev = Actor.objects.get(name="Kassym-Yomart Tokayev")
    found = search(anon_client, "protesters", speaker=tokayev.pk)
    assert found and all(Claim.objects.get(pk=pk).speaker_id == tokayev.pk for pk in found)


def test_a_new_claim_and_a_renamed_speaker_are_found(anon_client, actor, source):
    claim = services.claim_create(speaker=actor, source=source, text="We will not raise fuel prices this winter.")
    assert search(anon_client, "winter") == [claim.pk]
    services.actor_update(actor=actor, data={"name": "Joan Ministerova"})
    assert search(anon_client, "ministerova") == [claim.pk]
    assert search(anon_client, "jane") == []


def test_relevance_needs_q(anon_client, seed):
    response = anon_client.get(url("claims"), {"ordering": "relevance"})
    assert response.status_code == 400 and "ordering" in response.json()


def test_relevance_pages_visit_every_match_once(anon_client, seed):
    from .helpers import walk

    expected = set(search(anon_client, "kazakhstan"))
    assert len(expected) > 3
    forward, backward, _ = walk(anon_client, f"{url('claims')}?q=kazakhstan&ordering=relevance&page_size=2")
    assert sorted(forward) == sorted(expected) and backward == forward


@postgres_only
def test_postgresql_stems_words(anon_client, seed):
    assert texts(search(anon_client, "protest")) >= {"he had authorized the use of deadly force against protesters"}
    assert search(anon_client, "authorizing") == search(anon_client, "authorized")


@postgres_only
def test_postgresql_ranks_by_relevance(anon_client, actor, source):
    once = services.claim_create(speaker=actor, source=source, kind="paraphrase", text="prices once",
                                 stated_on="2022-01-08", stated_on_precision="day")
    often = services.claim_create(speaker=actor, source=source, kind="paraphrase",
                                  text="prices, prices and prices again", stated_on="2020-01-01",
                                  stated_on_precision="day")
    assert search(anon_client, "prices") == [once.pk, often.pk]  # newest first
    assert search(anon_client, "prices", ordering="relevance") == [often.pk, once.pk]
    assert selectors.supports_ranking()


@sqlite_only
def test_sqlite_orders_relevance_as_the_documented_fallback(anon_client, seed):
    assert not selectors.supports_ranking()
    assert search(anon_client, "kazakhstan", ordering="relevance") == search(anon_client, "kazakhstan")


@sqlite_only
def test_sqlite_matches_non_ascii_in_any_case(anon_client, actor, source):
    claim = services.claim_create(speaker=actor, source=source, kind="paraphrase", text="Ölpreise bleiben ÉGAUX")
    assert search(anon_client, "ölpreise égaux") == [claim.pk]


@pytest.mark.parametrize("query,groups", [
    ("deadly force", [["deadly", "force"]]),
    ('"deadly  force" -police', [["deadly force", "-police"]]),
    ("x or y", [["x"], ["y"]]),
    ("deadly-force", [["deadly-force deadly force"]]),  # the hyphenated word, then its parts, as PostgreSQL
    ("covid-19", [["covid 19"]]),  # not a hyphenated word for PostgreSQL ("-19" is a number)
    ("!!!", []),
    ("-police", [["-police"]]),  # a group of exclusions alone matches every claim without them
    ("the", []),  # stop words are never searched for
    ("-the or of", []),
    ('"use of deadly force"', [["use * deadly force"]]),  # in a phrase, a stop word is any one word
    ('"the use of"', [["use"]]),
    ("Tokayev’s", [["tokayev"]]),
    ("2,500", [["2 500"]]),
    ("ÉGAUX", [["égaux"]]),
    ('"unclosed phrase', [["unclosed phrase"]]),
])
def test_the_sqlite_query_parser(query, groups):
    parsed = [[("-" if t.negated else "") + t.text for t in group] for group in selectors.parse_search_query(query)]
    assert parsed == groups


# --- both databases find the same claims ------------------------------------------------------------
#
# The same queries on the seed, the same claims on SQLite and PostgreSQL: both see words alike (whole
# words, any case, hyphenated words as PostgreSQL's parser has them, the English stop words left out).
# Only stemming differs (below); these queries have no word whose stem finds another word of the seed.

KAZAKH_LEADERS = "Kazakh leaders did not refer to the coun"
INVITATION = "The invitation of foreign troops to prot"
MULTI_VECTOR = "Means that Kazakhstan has moved away fro"
QUESTION = "I think the question is, did Tokayev not"
WARNED = "warned against the escalation of the cri"
REFERRED = "referred to foreign intervention in Kaza"
SPIRALING = "spiraling unrest that has left dozens of"
OPEN_DOOR = "the open door policy on foreign direct i"
LESSON = "a lesson from recent history is that whe"
ALLIANCE = "the alliance would send 2,500 peacekeepe"
CSTO = "CSTO troops had been sent to protect gov"
SYMBOLICALLY = "Symbolically, this is great when you ask"
PEOPLE = "We should not call all these people prot"
REPEAT = "a repeat of the Russian annexation of Cr"
VOWED = "has vowed to restore order amid spiralin"
DEADLY = "he had authorized the use of deadly forc"
MOMENT = "At the moment, however, it seems that Mo"
TOKAYEV = {VOWED, DEADLY, OPEN_DOOR}  # by Kassym-Yomart Tokayev


@pytest.mark.parametrize("query,expected", [
    # whole words: "test" is not in "protesters", "kazakh" not in "Kazakhstan", "russia" not in "Russian"
    ("test", set()),
    ("kazakh", {KAZAKH_LEADERS, INVITATION}),
    ("russia", {MULTI_VECTOR}),
    ("ARMY", {QUESTION, WARNED}),
    ("us", {MULTI_VECTOR}),
    ("foreign troops", {INVITATION}),
    # phrases, with a stop word standing for any word
    ('"deadly force"', {DEADLY}),
    ('"use of deadly force"', {DEADLY}),
    ('"use deadly force"', set()),
    ('"foreign troops"', {INVITATION}),
    # exclusions, or, and a query of exclusions alone
    ("kazakhstan -russian", {MULTI_VECTOR, REFERRED, SPIRALING, OPEN_DOOR}),
    ("blinken or pashinyan", {LESSON, REFERRED, ALLIANCE, WARNED}),
    ("troops or army -russian", {CSTO, QUESTION, INVITATION}),
    ("-kazakhstan -tokayev", {CSTO, KAZAKH_LEADERS, SYMBOLICALLY, INVITATION, PEOPLE, LESSON, REPEAT}),
    ("citizens -country", set()),
    # stop words alone find nothing, on PostgreSQL as on SQLite
    ("the", set()),
    ("-the", set()),
    ('"of the"', set()),
    ("or", set()),
    # hyphenated words, numbers, apostrophes (typographic too), the speaker's name and aliases
    ("Kassym-Yomart", TOKAYEV),
    ("yomart", TOKAYEV),
    ("kassym tokayev", TOKAYEV),
    ('"kassym tokayev"', set()),  # "yomart" stands between them
    ("multi-vector", {MULTI_VECTOR}),
    ('"multi vector"', {MULTI_VECTOR}),
    ("Nur-Sultan", {KAZAKH_LEADERS}),
    ("sultan", {KAZAKH_LEADERS}),
    ("2,500", {ALLIANCE}),
    ("TOKAYEV’S", TOKAYEV | {MOMENT, QUESTION, ALLIANCE}),
    ("tokayev's", TOKAYEV | {MOMENT, QUESTION, ALLIANCE}),
])
def test_both_databases_find_the_same_claims(anon_client, seed, query, expected):
    assert {text[:40] for text in texts(search(anon_client, query))} == expected


def test_a_query_of_exclusions_alone_finds_every_claim_without_them(anon_client, seed):
    everything = set(Claim.objects.values_list("id", flat=True))
    with_it = set(search(anon_client, "kazakhstan"))
    assert with_it and set(search(anon_client, "-kazakhstan")) == everything - with_it
    assert set(search(anon_client, '-"deadly force"')) == everything - set(search(anon_client, '"deadly force"'))


def test_unicode_words_in_any_case_on_both_databases(anon_client, actor, source):
    claim = services.claim_create(speaker=actor, source=source, kind="paraphrase",
                                  text="Ölpreise bleiben ÉGAUX, sagt Αθηνά")
    assert search(anon_client, "ölpreise égaux") == [claim.pk]
    assert search(anon_client, "ÖLPREISE") == [claim.pk]
    assert search(anon_client, "αθηνά") == [claim.pk]
    assert search(anon_client, "preise") == []  # a whole word, not a part of one
    tokayev = services.actor_create(name="Kassym-Jomart Tokajew", kind="person", aliases=["Токаев"])
    by_alias = services.claim_create(speaker=tokayev, source=source, kind="paraphrase", text="Order is restored")
    assert search(anon_client, "ТОКАЕВ") == [by_alias.pk]


@sqlite_only
def test_sqlite_does_not_stem(anon_client, seed):
    """The documented difference: PostgreSQL finds "protesters" for "protest" (test_postgresql_stems_words)."""
    assert search(anon_client, "protest") == []
    assert len(search(anon_client, "protesters")) == 4


def test_the_database_is_what_the_tests_think(db):
    assert connection.vendor in ("sqlite", "postgresql")


# --- a search's page is read ids first --------------------------------------------------------------

INDENTED = "application/json; indent=2"

@pytest.mark.parametrize("query", [
    "q=kazakhstan", "q=kazakhstan&ordering=stated_on", "q=kazakhstan&ordering=-created_at",
    "q=kazakhstan&ordering=relevance", "q=troops or army", "q=-kazakhstan&ordering=updated_at",
    "q=kazakhstan&tag=kazakhstan-unrest-2022", "q=-troops&speaker_name=tokayev", "q=kazakhstan&fields=id,text",
])
def test_a_search_read_ids_first_serves_the_bytes_of_one_read(anon_client, seed, monkeypatch, query):
    """Every page of a search, forward and back, is the same response (body, Link header) whether its rows are
    read ids first (``selectors.ids_first``, as they are) or in one step; the ids-first read is the one used.
    (Indented JSON: the serializer's path; the reader's, plain JSON, reads ids first by itself.)"""
    from api.v1.views import ClaimViewSet
    from api.viewsets import FactbaseViewSet
    from django.test.utils import CaptureQueriesContext

    def pages(start):
        served, page_url = [], start
        while page_url:
            with CaptureQueriesContext(connection) as queries:
                response = anon_client.get(page_url, HTTP_ACCEPT=INDENTED)
            assert response.status_code == 200, response.content
            served.append((response.content, response.get("Link"), [q["sql"] for q in queries]))
            body = response.json()
            page_url = body["next"]
        page_url = body["previous"]
        while page_url:
            response = anon_client.get(page_url, HTTP_ACCEPT=INDENTED)
            served.append((response.content, response.get("Link"), []))
            page_url = response.json()["previous"]
        return served

    start = f"{url('claims')}?{query}&page_size=2"
    ids_first = pages(start)
    monkeypatch.setattr(ClaimViewSet, "page_query", FactbaseViewSet.page_query)
    one_step = pages(start)
    assert [page[:2] for page in ids_first] == [page[:2] for page in one_step]
    assert len(ids_first) > 2 and len(json_results(ids_first[0][0])) > 0
    marker = '"factbase_claim"."id" IN (SELECT U0."id"'
    assert all(any(marker in sql for sql in page[2]) for page in ids_first if page[2])
    assert not any(marker in sql for page in one_step for sql in page[2])


def json_results(content):
    import json

    return json.loads(content)["results"]
