"""The claim reader (``api.v1.readers``) gives clients the very bytes the serializer gives.

Every request below is made twice, once as served (the database writes each claim's JSON from the
serializer compiled to SQL, ``api.sqljson``) and once with the reader switched off (``ClaimSerializer``
over model instances, DRF's generic way), and the two responses must be the same: body, ETag and Link
header.
The claims cover every shape a claim takes: with and without an outlet, a date of each precision or
none, a span or none, tags or none, reviews or none (with a reviewer or none, dated or not), each status
(verified with its time; changed by a user or by nobody known), sources with a title, only a URL, only a
date, or nothing but text; claims with relations to others (from each side) and without. Each comparison
is made again with fields chosen (``?fields=``/``?omit=``).
"""

import datetime
import json
from io import StringIO

import orjson
import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.v1.readers import ClaimReader
from api.v1.serializers import ClaimSerializer
from api.v1.views import ClaimViewSet
from factbase import services
from factbase.models import Actor, Claim, ClaimRelation, Source
from factbase.seed import load_seed

pytestmark = pytest.mark.django_db


def empty_factbase_tables():
    tables = [name for name in connection.introspection.table_names() if name.startswith("factbase_")]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(connection.ops.quote_name(t) for t in tables)} CASCADE")
        else:
            with connection.constraint_checks_disabled():
                for table in tables:
                    cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")


@pytest.fixture(scope="module")
def claims(django_db_setup, django_db_blocker):
    """Committed once for the module (generate_claims rebuilds indexes on PostgreSQL, which a test's
    transaction would refuse), and removed after it."""
    with django_db_blocker.unblock():
        editor = User.objects.create_user("reader-test-editor")
        editor.groups.add(Group.objects.get(name="Editors"))
        try:
            load_seed()
            call_command("generate_claims", claims=300, seed=5, progress="no", stdout=StringIO())
            speaker = services.actor_create(name="Ана Тест “Quote”", kind=Actor.Kind.ORGANIZATION)
            by_url = services.source_create(url="https://example.org/only-a-url")
            by_date = services.source_create(text="Only text and a date: she said “hello there”.",
                                             published_on=datetime.date(2021, 3, 4))
            bare = services.source_create(text="Nothing but text: “bare words”.")
            made = [
                services.claim_create(speaker=speaker, text="no outlet, no date", kind=Claim.Kind.PARAPHRASE,
                                      source=by_url),
                services.claim_create(speaker=speaker, text="hello there", source=by_date,
                                      stated_on=datetime.date(2021, 3, 1), stated_on_precision="month",
                                      speaker_role="spokeswoman"),
                services.claim_create(speaker=speaker, text="bare words", source=bare,
                                      stated_on=datetime.date(2020, 1, 1), stated_on_precision="year"),
            ]
            # Text as hostile as the API takes: every escape JSON has, line and paragraph separators, an emoji,
            # DEL, a backslash, quotes of both kinds; and times without microseconds (written without ".000000").
            odd = services.claim_create(speaker=speaker, kind=Claim.Kind.PARAPHRASE, source=by_url,
                                        text='tab\there "quoted" back\\slash\nline\r\u2028\u2029 😀 \x7f \u00e9 </script>',
                                        speaker_role="\b\f")
            whole = datetime.datetime(2022, 1, 7, 10, 0, 0, tzinfo=datetime.timezone.utc)
            Claim.objects.filter(pk=odd.pk).update(created_at=whole, updated_at=whole + datetime.timedelta(microseconds=5))
            made.append(odd)
            services.claim_set_status(claim=made[1], user=editor, status="verified", note="Checked “it”.")
            services.claim_set_status(claim=made[2], user=editor, status="rejected", note="")
            # Sent back to unverified by an edit of nobody known: a status change without a user.
            services.claim_set_status(claim=made[0], user=editor, status="verified")
            services.claim_update(claim=made[0], user=None, data={"speaker_role": "Someone"})
            # Reviews: several on a claim (dated, undated, same date), with and without a reviewer.
            services.review_create(claim=made[1], reviewer=speaker, source=by_url, rating="false", rating_text="No.",
                                   reviewed_on=datetime.date(2021, 3, 5))
            services.review_create(claim=made[1], source=by_url, rating="mixed", reviewed_on=None)
            services.review_create(claim=made[1], source=by_url, rating="true", reviewed_on=datetime.date(2021, 3, 5))
            services.review_create(claim=made[1], source=bare, rating="unsupported", reviewed_on=datetime.date(2022, 1, 1))
            services.review_create(claim=made[0], source=by_date, rating="true")
            # Relations of every kind of side: directed (seen by its inverse), symmetric (seen alike), several.
            services.claim_relation_create(claim=made[0], related_claim=made[1], type="responds_to")
            services.claim_relation_create(claim=made[2], related_claim=made[1], type="same_statement")
            services.claim_relation_create(claim=made[1], related_claim=made[0], type="contradicts")
            yield made
        finally:
            empty_factbase_tables()
            editor.delete()


def both_ways(client, monkeypatch, url, **headers):
    served = client.get(url, **headers)
    with monkeypatch.context() as patch:
        patch.setattr(ClaimViewSet, "reader_class", None)
        generic = client.get(url, **headers)
    assert served.status_code == generic.status_code == 200, (served.content[:300], generic.content[:300])
    assert served.content == generic.content
    assert served.headers.get("ETag") == generic.headers.get("ETag")
    assert served.headers.get("Link") == generic.headers.get("Link")
    return served


def test_the_claims_cover_every_shape(claims):
    assert Claim.objects.filter(outlet__isnull=True).exists() and Claim.objects.filter(outlet__isnull=False).exists()
    assert Claim.objects.filter(stated_on__isnull=True).exists()
    assert set(Claim.objects.values_list("stated_on_precision", flat=True)) >= {"day", "month", "year"}
    assert Claim.objects.filter(span_start__isnull=True).exists() and Claim.objects.filter(span_start__isnull=False).exists()
    assert Claim.objects.filter(tags__isnull=True).exists() and Claim.objects.filter(tags__isnull=False).exists()
    assert set(Claim.objects.values_list("status", flat=True)) == set(Claim.Status.values)
    assert Claim.objects.filter(verified_at__isnull=False).exists()
    assert Claim.objects.filter(status_changed_by__isnull=False).exists()
    assert Claim.objects.filter(status_changed_at__isnull=False, status_changed_by__isnull=True).exists()
    assert Claim.objects.filter(reviews__isnull=True).exists() and Claim.objects.filter(reviews__isnull=False).exists()
    assert ClaimRelation.objects.count() == 3
    titles = {Source.title_of(*row) for row in Source.objects.values_list("title", "url", "published_on")}
    assert {"https://example.org/only-a-url", "Untitled source of 2021-03-04", "Untitled source"} <= titles


def test_every_page_of_every_ordering_is_the_same(anon_client, monkeypatch, claims):
    for ordering in ("-stated_on", "stated_on", "-created_at", "created_at"):
        url = f"/api/v1/claims/?page_size=97&ordering={ordering}"
        pages = 0
        while url:
            body = json.loads(both_ways(anon_client, monkeypatch, url).content)
            pages += 1
            url = body["next"]
        assert pages == 4  # 300 generated, 18 of the seed, 4 made here: 322 claims


@pytest.mark.parametrize("query", [
    "status=verified", "status=rejected&status=disputed", "kind=paraphrase", "tag=kazakhstan-unrest-2022", "q=hello",
    "speaker_name=ана", "stated_after=2021-01-01&stated_before=2021-12-31", "page_size=1",
    "q=protesters&ordering=relevance", "language=en",
])
def test_filtered_lists_are_the_same(anon_client, monkeypatch, claims, query):
    served = both_ways(anon_client, monkeypatch, f"/api/v1/claims/?{query}")
    assert served.json()["results"], "a filter that finds nothing would compare nothing"


def test_relations_read_the_same(anon_client, monkeypatch, claims):
    served = both_ways(anon_client, monkeypatch, f"/api/v1/claims/?related_to={claims[1].pk}")
    assert sorted(row["id"] for row in served.json()["results"]) == [claims[0].pk, claims[2].pk]
    one = both_ways(anon_client, monkeypatch, f"/api/v1/claims/{claims[1].pk}/").json()
    assert [(r["type"], r["claim"]["id"]) for r in one["relations"]] == [
        ("responded_to_by", claims[0].pk), ("same_statement", claims[2].pk), ("contradicts", claims[0].pk)]


def test_previous_pages_are_the_same(anon_client, monkeypatch, claims):
    second = json.loads(both_ways(anon_client, monkeypatch, "/api/v1/claims/?page_size=40").content)["next"]
    third = json.loads(both_ways(anon_client, monkeypatch, second).content)["next"]
    back = json.loads(both_ways(anon_client, monkeypatch, third).content)["previous"]
    both_ways(anon_client, monkeypatch, back)


def test_every_claim_reads_the_same(anon_client, monkeypatch, claims):
    for pk in Claim.objects.values_list("pk", flat=True):
        both_ways(anon_client, monkeypatch, f"/api/v1/claims/{pk}/")


def test_the_same_for_a_signed_in_editor_and_the_browsable_api(editor_client, monkeypatch, claims):
    both_ways(editor_client, monkeypatch, "/api/v1/claims/?page_size=30")
    served = both_ways(editor_client, monkeypatch, f"/api/v1/claims/{claims[1].pk}/")
    assert served.json()["verified_at"].endswith("Z")
    page = editor_client.get("/api/v1/claims/?page_size=5", HTTP_ACCEPT="text/html")
    assert page.status_code == 200 and b"hello there" in editor_client.get(
        f"/api/v1/claims/{claims[1].pk}/", HTTP_ACCEPT="text/html").content


def test_the_reader_serves_lists_and_claims(anon_client, monkeypatch, claims):
    """The comparisons above would pass with the reader never used: it is."""
    calls = []
    read, read_one = ClaimReader.read, ClaimReader.read_one

    def spy_read(self, queryset, keys=()):
        rows = read(self, queryset, keys)
        calls.append(("page", len(rows)))
        return rows

    def spy_read_one(self, pk):
        row = read_one(self, pk)
        calls.append(("claim", json.loads(orjson.dumps(row))["id"]))
        return row

    def refuse(self, instance):
        raise AssertionError("the serializer represented a claim")

    monkeypatch.setattr(ClaimReader, "read", spy_read)
    monkeypatch.setattr(ClaimReader, "read_one", spy_read_one)
    monkeypatch.setattr(ClaimSerializer, "to_representation", refuse)
    assert anon_client.get("/api/v1/claims/?page_size=20").status_code == 200
    assert anon_client.get(f"/api/v1/claims/{claims[0].pk}/").status_code == 200
    # a page and the row that says whether there is a next one; then one claim
    assert calls == [("page", 21), ("claim", claims[0].pk)]


def test_the_database_writes_a_page_in_one_statement(anon_client, claims):
    for url in ("/api/v1/claims/?page_size=1", "/api/v1/claims/?page_size=200", f"/api/v1/claims/{claims[1].pk}/",
                "/api/v2/claims/?page_size=200"):
        with CaptureQueriesContext(connection) as queries:
            assert anon_client.get(url).status_code == 200
        # the claims with their speaker, outlet, source, tags, reviews and relations, as JSON
        assert len(queries) == 1, [q["sql"][:120] for q in queries]


TABLES = {"speaker": "factbase_actor", "outlet": "factbase_outlet", "source": "factbase_source",
          "tags": "factbase_tag", "reviews": "factbase_review", "relations": "factbase_claimrelation",
          "status_changed_by": "auth_user"}


@pytest.mark.parametrize("selection, shown", [
    ("omit=reviews", set(TABLES) - {"reviews"}), ("omit=tags", set(TABLES) - {"tags"}),
    ("omit=tags,reviews,relations", {"speaker", "outlet", "source", "status_changed_by"}),
    ("fields=id,text,speaker", {"speaker"}), ("fields=reviews", {"reviews", "speaker"}),  # a review's reviewer
    ("fields=relations", {"relations"}), ("fields=url", set()),
])
def test_the_reader_reads_what_is_shown(anon_client, claims, selection, shown):
    """One statement whatever is chosen, which reads only the tables of the fields shown."""
    for url in ("/api/v1/claims/?page_size=1", "/api/v1/claims/?page_size=200", f"/api/v1/claims/{claims[1].pk}/"):
        with CaptureQueriesContext(connection) as captured:
            assert anon_client.get(f"{url}{'&' if '?' in url else '?'}{selection}").status_code == 200
        [sql] = [q["sql"] for q in captured]
        read = {name for name, table in TABLES.items() if f'"{table}"' in sql}
        assert read == shown, (selection, read)


def test_a_selection_reads_only_its_columns(anon_client, claims):
    with CaptureQueriesContext(connection) as captured:
        body = anon_client.get(f"/api/v1/claims/{claims[1].pk}/?fields=id,text").json()
    assert body == {"id": claims[1].pk, "text": "hello there"}
    [sql] = [q["sql"] for q in captured]
    select = sql.split(" FROM ")[0]
    assert '"text"' in select and "speaker" not in select and "status_note" not in select
    assert "JOIN" not in sql  # no speaker, outlet, source or user joined


@pytest.mark.parametrize("selection", [
    "fields=id,text,speaker", "fields=reviews", "fields=text,id,reviews,tags,status_changed_by", "fields=url",
    "fields=relations,id", "omit=reviews", "omit=tags,reviews", "omit=id,url", "omit=speaker,source,outlet,span",
    "fields=history_url,status_changed_at,verified_at,uid,stated_on,created_at,updated_at",
])
def test_chosen_fields_read_the_same(anon_client, monkeypatch, claims, selection):
    pages = 0
    url = f"/api/v1/claims/?page_size=150&{selection}"
    while url:
        body = json.loads(both_ways(anon_client, monkeypatch, url).content)
        pages += 1
        url = body["next"]
    assert pages == 3
    for claim in claims:
        both_ways(anon_client, monkeypatch, f"/api/v1/claims/{claim.pk}/?{selection}")


def test_an_unknown_claim_is_still_404(anon_client, claims):
    response = anon_client.get("/api/v1/claims/999999/")
    assert response.status_code == 404
    assert "detail" in response.json()


def test_a_serializer_with_a_field_sql_cannot_write_is_served_by_the_serializer(anon_client, monkeypatch, claims):
    from rest_framework import serializers

    class Other(ClaimSerializer):
        shout = serializers.SerializerMethodField()

        class Meta(ClaimSerializer.Meta):
            fields = [*ClaimSerializer.Meta.fields, "shout"]

        def get_shout(self, claim):
            return claim.text.upper()

    assert ClaimReader.supports(ClaimSerializer)
    assert not ClaimReader.supports(Other)
    monkeypatch.setattr(ClaimViewSet, "serializer_class", Other)
    body = anon_client.get(f"/api/v1/claims/{claims[1].pk}/").json()
    assert body["shout"] == "HELLO THERE"
    assert anon_client.get("/api/v1/claims/?page_size=3").json()["results"][0]["shout"]


def test_a_field_added_to_the_serializer_is_written_by_the_database(anon_client, monkeypatch, claims):
    """The serializer is the one declaration: a field added there (a column, a brief record, a link) is in the
    database's JSON without a line elsewhere, in the serializer's place and bytes."""
    from api.fields import BriefRelatedField, DetailURLField
    from api.v1.serializers import BriefActorSerializer
    from factbase.models import Actor
    from rest_framework import serializers

    class Grown(ClaimSerializer):
        words = serializers.CharField(source="text", read_only=True)
        said_by = BriefRelatedField(BriefActorSerializer, source="speaker", queryset=Actor.objects.all())
        again = DetailURLField(view_name="claim-detail")

        class Meta(ClaimSerializer.Meta):
            fields = ["words", *ClaimSerializer.Meta.fields, "said_by", "again"]

    assert ClaimReader.supports(Grown)
    monkeypatch.setattr(ClaimViewSet, "serializer_class", Grown)
    served = both_ways(anon_client, monkeypatch, f"/api/v1/claims/{claims[1].pk}/")
    body = served.json()
    assert list(body)[0] == "words" and body["words"] == "hello there"
    assert body["said_by"]["name"] == "Ана Тест “Quote”" and body["again"] == body["url"]
    page = both_ways(anon_client, monkeypatch, "/api/v1/claims/?page_size=50&fields=again,said_by,words").json()
    assert list(page["results"][0]) == ["words", "said_by", "again"]


def test_a_link_of_another_shape_is_left_to_the_serializer(anon_client, monkeypatch, claims):
    """When a record's URL is not a prefix and its id (``detail_url_prefix`` gives None), the request is the
    serializer's, not a server error."""
    from api import sqljson

    monkeypatch.setattr(sqljson, "detail_url_prefix", lambda *args, **kwargs: None)
    body = anon_client.get(f"/api/v1/claims/{claims[1].pk}/").json()
    assert body["url"].endswith(f"/api/v1/claims/{claims[1].pk}/")
    assert anon_client.get("/api/v1/claims/?page_size=3").status_code == 200


@pytest.mark.parametrize("first", ["?format=json", ""])
def test_a_claims_links_do_not_depend_on_format(anon_client, monkeypatch, claims, first):
    """``?format=json`` answers the same record with the same links and ETag as a plain request, whichever of
    the two came first (the URL prefixes are kept for the process): DRF's ``?format=`` is not part of a URL."""
    from api import fields, readers

    monkeypatch.setattr(fields, "_url_prefixes", {})
    monkeypatch.setattr(readers.DatabaseReader, "_values", {})
    pk = claims[0].pk
    order = [first, "" if first else "?format=json"]
    answers = {query: both_ways(anon_client, monkeypatch, f"/api/v1/claims/{pk}/{query}") for query in order}
    plain, formatted = answers[""], answers["?format=json"]
    assert formatted.content == plain.content
    assert formatted["ETag"] == plain["ETag"]
    body = plain.json()
    assert body["url"] == f"http://testserver/api/v1/claims/{pk}/"
    assert "format=" not in body["speaker"]["url"]
