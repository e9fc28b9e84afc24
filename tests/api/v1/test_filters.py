"""Filters on every list: each one narrows as it says; a malformed value is a 400 naming it."""

import pytest

from factbase import services
from factbase.models import Actor, Claim, Outlet, Review, Source, Tag

from .helpers import ids, url

ALL = {"page_size": 500}


def claim_ids(**filters):
    return sorted(Claim.objects.filter(**filters).values_list("id", flat=True))


def get_ids(client, resource, **params):
    return sorted(ids(client.get(url(resource), {**ALL, **params})))


@pytest.fixture
def tokayev(seed):
    return Actor.objects.get(name="Kassym-Yomart Tokayev")


def test_speaker_by_id_and_repeated(anon_client, seed, tokayev):
    other = Actor.objects.exclude(pk=tokayev.pk).filter(claims__isnull=False).first()
    assert get_ids(anon_client, "claims", speaker=tokayev.pk) == claim_ids(speaker=tokayev)
    both = sorted(ids(anon_client.get(f"{url('claims')}?speaker={tokayev.pk}&speaker={other.pk}&page_size=500")))
    assert both == claim_ids(speaker__in=[tokayev, other]) and len(both) > len(claim_ids(speaker=tokayev))
    assert get_ids(anon_client, "claims", speaker=424242) == []


def test_speaker_name_matches_part_of_a_name_or_an_alias_in_any_case(anon_client, seed, tokayev):
    expected = claim_ids(speaker=tokayev)
    assert get_ids(anon_client, "claims", speaker_name="yomart") == expected
    alias = tokayev.aliases[0] if tokayev.aliases else None
    services.actor_update(actor=tokayev, data={"aliases": [*tokayev.aliases, "Токаев"]})
    assert get_ids(anon_client, "claims", speaker_name="тОКАЕВ") == expected  # Cyrillic, any case
    if alias:
        assert get_ids(anon_client, "claims", speaker_name=alias.upper()) == expected


def test_outlet_source_status_kind_tag_language(anon_client, seed, actor, source, editor):
    outlet = Outlet.objects.filter(claims__isnull=False).first()
    assert get_ids(anon_client, "claims", outlet=outlet.pk) == claim_ids(outlet=outlet)
    seed_source = Source.objects.exclude(pk=source.pk).get()
    other = services.claim_create(speaker=actor, source=source, text="We will not raise fuel prices this winter.")
    services.claim_set_status(claim=other, user=editor, status="disputed")
    assert get_ids(anon_client, "claims", source=seed_source.pk) == claim_ids(source=seed_source)
    assert get_ids(anon_client, "claims", source=source.pk) == [other.pk]
    assert get_ids(anon_client, "claims", status="disputed") == [other.pk]
    both = sorted(ids(anon_client.get(f"{url('claims')}?status=disputed&status=unverified&page_size=500")))
    assert both == claim_ids()
    assert get_ids(anon_client, "claims", kind="paraphrase") == claim_ids(kind="paraphrase")
    assert get_ids(anon_client, "claims", kind="direct_quote") == claim_ids(kind="direct_quote")
    assert get_ids(anon_client, "claims", tag="kazakhstan-unrest-2022") == claim_ids(tags__slug="kazakhstan-unrest-2022")
    assert other.pk not in get_ids(anon_client, "claims", tag="kazakhstan-unrest-2022")
    services.source_update(source=source, data={"language": "ru"})
    assert get_ids(anon_client, "claims", language="ru") == [other.pk]
    assert get_ids(anon_client, "claims", language="en") == claim_ids(source=seed_source)


def test_stated_after_and_before_are_inclusive_and_leave_out_undated(anon_client, seed):
    dated = Claim.objects.exclude(stated_on=None)
    day = dated.order_by("stated_on").first().stated_on
    assert get_ids(anon_client, "claims", stated_after=day.isoformat()) == claim_ids(stated_on__gte=day)
    assert get_ids(anon_client, "claims", stated_before=day.isoformat()) == claim_ids(stated_on__lte=day)
    assert get_ids(anon_client, "claims", stated_after=day.isoformat(), stated_before=day.isoformat()) == \
        claim_ids(stated_on=day)
    assert Claim.objects.filter(stated_on=None).exists()
    assert not set(get_ids(anon_client, "claims", stated_before="2100-01-01")) & set(claim_ids(stated_on=None))


@pytest.mark.parametrize("param,value", [
    ("speaker", "abc"), ("speaker", "-1"), ("speaker", "1.5"), ("outlet", "x"), ("source", "0"),
    ("status", "true"), ("kind", "quote"), ("tag", "not a slug"), ("language", "English"),
    ("stated_after", "2022-13-01"), ("stated_before", "yesterday"), ("q", "x" * 501),
    ("speaker_name", "x" * 201), ("ordering", "text"), ("ordering", "-relevance"), ("ordering", "relevance"),
    ("unknown", "1"), ("page_size", "x"), ("cursor", "x"), ("q", "nul\x00byte"),
])
def test_a_malformed_filter_is_a_400_naming_the_parameter(anon_client, seed, param, value):
    response = anon_client.get(url("claims"), {param: value})
    assert response.status_code == 400, (param, value, response.content)
    assert param in response.json()


def test_a_single_valued_parameter_given_twice_is_a_400(anon_client, seed):
    response = anon_client.get(f"{url('claims')}?kind=paraphrase&kind=direct_quote")
    assert response.status_code == 400 and "kind" in response.json()


def test_an_empty_filter_value_is_no_filter(anon_client, seed):
    assert get_ids(anon_client, "claims", q="", speaker="", kind="") == claim_ids()


class TestOtherResources:
    def test_actors_by_name_or_alias_and_kind(self, anon_client, seed, tokayev):
        assert tokayev.pk in get_ids(anon_client, "actors", q="TOKAYEV")
        people = get_ids(anon_client, "actors", kind="person")
        assert people == sorted(Actor.objects.filter(kind="person").values_list("id", flat=True))
        assert get_ids(anon_client, "actors", kind="organization", q="tokayev") == []
        assert anon_client.get(url("actors"), {"kind": "animal"}).status_code == 400

    def test_outlets_by_name_and_kind(self, anon_client, seed):
        outlet = Outlet.objects.first()
        assert outlet.pk in get_ids(anon_client, "outlets", q=outlet.name[2:6].upper(), kind=outlet.kind)
        assert anon_client.get(url("outlets"), {"kind": "blog"}).status_code == 400

    def test_an_outlets_sources(self, anon_client, seed, source):
        outlet = services.outlet_create(name="Example", kind="website")
        services.source_update(source=source, data={"outlet": outlet})
        assert get_ids(anon_client, "sources", outlet=outlet.pk) == [source.pk]
        assert get_ids(anon_client, "sources", q="FUEL") == [source.pk]
        assert get_ids(anon_client, "sources", language="en") == sorted(Source.objects.values_list("id", flat=True))
        assert get_ids(anon_client, "sources", published_after="2022-01-08", published_before="2022-01-08") == \
            sorted(Source.objects.filter(published_on="2022-01-08").values_list("id", flat=True))
        assert anon_client.get(url("sources"), {"published_after": "x"}).status_code == 400

    def test_a_claims_reviews(self, anon_client, seed, claim, actor):
        review = services.review_create(claim=claim, reviewer=actor, rating="false", reviewed_on="2022-02-01")
        assert get_ids(anon_client, "reviews", claim=claim.pk) == [review.pk]
        assert get_ids(anon_client, "reviews", reviewer=actor.pk) == [review.pk]
        assert get_ids(anon_client, "reviews", rating="false") == [review.pk]
        assert review.pk not in get_ids(anon_client, "reviews", rating="unsupported")
        assert get_ids(anon_client, "reviews", reviewed_after="2022-02-01") == [review.pk]
        assert get_ids(anon_client, "reviews") == sorted(Review.objects.values_list("id", flat=True))
        assert anon_client.get(url("reviews"), {"rating": "pants-on-fire"}).status_code == 400

    def test_tags_by_name_or_slug(self, anon_client, seed):
        tag = Tag.objects.get()
        assert get_ids(anon_client, "tags", q="UNREST") == [tag.pk]
        assert get_ids(anon_client, "tags", q="nothing-like-it") == []

    @pytest.mark.parametrize("resource", ["actors", "outlets", "sources", "reviews", "tags"])
    def test_unknown_parameters_are_refused(self, anon_client, seed, resource):
        response = anon_client.get(url(resource), {"speaker": 1, "nonsense": "x"})
        assert response.status_code == 400
        assert "nonsense" in response.json()


def test_a_filterset_copies_only_the_filters_a_request_names():
    """Each request deep-copies the filters it uses, not the thirty a list offers; the class keeps them all
    (the schema and the allowed parameters read it)."""
    from django.http import QueryDict

    from api.filters import ClaimFilterSet

    filterset = ClaimFilterSet(data=QueryDict("speaker=1&stated_after=2022-01-01"))
    assert set(filterset.filters) == {"speaker", "stated_after"}
    assert len(ClaimFilterSet.base_filters) > 10 and "speaker_name" in ClaimFilterSet.base_filters
    assert set(ClaimFilterSet(data=QueryDict("")).filters) == set()


def test_a_filterset_form_class_is_built_once_for_each_choice_of_filters(anon_client, seed):
    """The form class of a choice of filters is built once and used again; each request's form still
    validates its own values (a bad value is named, a good one filters)."""
    from django.http import QueryDict

    from api.filters import ClaimFilterSet

    first = ClaimFilterSet(data=QueryDict("speaker=1&stated_after=2022-01-01")).get_form_class()
    again = ClaimFilterSet(data=QueryDict("stated_after=2021-01-01&speaker=2")).get_form_class()
    other = ClaimFilterSet(data=QueryDict("speaker=1")).get_form_class()
    assert first is again and other is not first and set(other.base_fields) == {"speaker"}
    assert anon_client.get(url("claims"), {"stated_after": "not a date"}).json() == {
        "stated_after": ["Enter a valid date, as YYYY-MM-DD (ISO 8601) in the digits 0-9."]}
    dated = get_ids(anon_client, "claims", stated_after="2022-01-07")
    assert dated and set(dated) < set(get_ids(anon_client, "claims", page_size=100))
    assert anon_client.get(url("claims"), {"stated_after": "2022-13-01"}).status_code == 400
