"""Who may do what (401 and 403), how they authenticate, and how fast (429)."""

import threading

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.core.cache import cache
from rest_framework.test import APIClient

from api.throttling import AnonThrottle
from factbase.models import Actor

from .helpers import url

NEW_ACTOR = {"name": "Someone", "kind": "person"}


@pytest.mark.parametrize("resource", ["claims", "actors", "outlets", "sources", "reviews", "tags"])
def test_anyone_may_read(anon_client, seed, resource):
    assert anon_client.get(url(resource)).status_code == 200
    assert anon_client.get(url(resource)).json()["results"]


def test_anonymous_reads_a_record_and_its_history(anon_client, claim):
    assert anon_client.get(url("claims", claim.pk)).status_code == 200
    assert anon_client.get(url("claims", claim.pk, "history")).status_code == 200


@pytest.mark.parametrize("method,target", [("post", None), ("put", "pk"), ("patch", "pk"), ("delete", "pk")])
def test_anonymous_writes_get_401_with_www_authenticate(anon_client, actor, method, target):
    path = url("actors", actor.pk if target else None)
    response = getattr(anon_client, method)(path, NEW_ACTOR)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["detail"]
    assert Actor.objects.count() == 1 and Actor.objects.get().name == "Jane Minister"


def test_a_wrong_token_is_a_401(actor):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert client.get(url("actors")).status_code == 401
    assert client.post(url("actors"), NEW_ACTOR).status_code == 401


def test_a_user_without_permissions_gets_403_on_writes_and_reads_fine(reader_client, actor):
    assert reader_client.get(url("actors", actor.pk)).status_code == 200
    assert reader_client.post(url("actors"), NEW_ACTOR).status_code == 403
    assert reader_client.patch(url("actors", actor.pk), {"name": "X"}).status_code == 403
    assert reader_client.delete(url("actors", actor.pk)).status_code == 403


def test_a_contributor_adds_and_changes_but_does_not_delete(contributor_client, actor):
    response = contributor_client.post(url("actors"), NEW_ACTOR)
    assert response.status_code == 201
    pk = response.json()["id"]
    assert contributor_client.patch(url("actors", pk), {"description": "d"}).status_code == 200
    assert contributor_client.delete(url("actors", pk)).status_code == 403
    assert Actor.objects.filter(pk=pk).exists()


def test_an_editor_deletes(editor_client, db):
    pk = editor_client.post(url("actors"), NEW_ACTOR).json()["id"]
    assert editor_client.delete(url("actors", pk)).status_code == 204


def test_a_superuser_may_do_anything(superuser_client, claim):
    assert superuser_client.post(url("claims", claim.pk, "status"), {"status": "rejected"}).status_code == 200


def test_session_authentication_works_for_the_browsable_api_with_csrf(editor):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(editor)
    assert client.get(url("actors"), HTTP_ACCEPT="text/html").status_code == 200
    response = client.post(url("actors"), NEW_ACTOR)
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]
    lenient = APIClient()
    lenient.force_login(editor)
    assert lenient.post(url("actors"), NEW_ACTOR).status_code == 201


def test_the_browsable_api_renders_a_list_and_a_record(editor, claim):
    client = APIClient()
    client.force_login(editor)
    for path in (url("claims"), url("claims", claim.pk), url("claims", claim.pk, "history"), "/api/v1/"):
        response = client.get(path, HTTP_ACCEPT="text/html")
        assert response.status_code == 200, path
        assert b"<html" in response.content


def test_the_browsable_api_shows_a_views_description_as_html_not_raw_markdown(anon_client, db):
    body = anon_client.get(url("claims"), HTTP_ACCEPT="text/html").content.decode()
    assert "<code>kind</code> says whether <code>text</code> is a direct quote" in body
    assert "`kind`" not in body


class TestThrottling:
    def test_anonymous_requests_are_throttled_with_retry_after(self, api_settings, anon_client, db):
        api_settings.REST_FRAMEWORK = {**api_settings.REST_FRAMEWORK,
                                       "DEFAULT_THROTTLE_RATES": {"anon": "3/minute", "user": "1000/minute"}}
        cache.clear()
        statuses = [anon_client.get(url("tags")).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        response = anon_client.get(url("tags"))
        assert response.status_code == 429
        assert 0 < int(response["Retry-After"]) <= 60
        assert "throttled" in response.json()["detail"].lower()

    def test_users_have_their_own_rate(self, api_settings, reader_client, anon_client):
        api_settings.REST_FRAMEWORK = {**api_settings.REST_FRAMEWORK,
                                       "DEFAULT_THROTTLE_RATES": {"anon": "1/minute", "user": "2/minute"}}
        cache.clear()
        assert [reader_client.get(url("tags")).status_code for _ in range(3)] == [200, 200, 429]
        assert anon_client.get(url("tags")).status_code == 200
        assert anon_client.get(url("tags")).status_code == 429

    def test_a_rate_of_none_switches_a_throttle_off(self, api_settings, anon_client, db):
        api_settings.REST_FRAMEWORK = {**api_settings.REST_FRAMEWORK,
                                       "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None}}
        assert all(anon_client.get(url("tags")).status_code == 200 for _ in range(5))


def anonymous_request(address="10.0.0.1"):
    request = RequestFactory().get("/api/v1/claims/", REMOTE_ADDR=address)
    request.user = AnonymousUser()
    return request


@pytest.fixture
def frozen_clock(monkeypatch):
    """The throttles' clock, set by the test: ``frozen_clock[0]`` is the time (a whole minute's start)."""
    now = [60.0 * 20_000_000]
    monkeypatch.setattr(AnonThrottle, "timer", lambda self: now[0])
    return now


def throttle_at(rate: str, api_settings) -> AnonThrottle:
    api_settings.REST_FRAMEWORK = {**api_settings.REST_FRAMEWORK,
                                   "DEFAULT_THROTTLE_RATES": {"anon": rate, "user": None}}
    return AnonThrottle()


def test_requests_that_arrive_together_are_each_counted(api_settings, frozen_clock):
    """Forty requests from one address at the same moment, each in its own thread, against 10 a minute:
    exactly ten pass (DRF's own throttle reads and writes a list, and requests that meet are lost)."""
    throttle_at("10/minute", api_settings)
    barrier = threading.Barrier(40)
    allowed = []

    def one_request():
        throttle = AnonThrottle()
        barrier.wait(timeout=30)
        allowed.append(throttle.allow_request(anonymous_request(), view=None))

    threads = [threading.Thread(target=one_request) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert allowed.count(True) == 10 and allowed.count(False) == 30


def test_a_window_allows_its_rate_again_when_it_ends(api_settings, frozen_clock):
    throttle_at("3/minute", api_settings)
    frozen_clock[0] += 45  # 15 s before the minute ends
    results = [AnonThrottle().allow_request(anonymous_request(), None) for _ in range(3)]
    refused = AnonThrottle()
    assert results == [True, True, True] and refused.allow_request(anonymous_request(), None) is False
    assert refused.wait() == 15  # the 429's Retry-After: the time left in the window
    assert AnonThrottle().allow_request(anonymous_request("10.0.0.2"), None)  # another client counts apart
    frozen_clock[0] += 15
    assert [AnonThrottle().allow_request(anonymous_request(), None) for _ in range(4)] == [True] * 3 + [False]


def test_a_cache_that_keeps_nothing_lets_requests_pass(api_settings, frozen_clock, settings):
    from django.core.cache import caches

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    throttle = throttle_at("1/minute", api_settings)
    throttle.cache = caches["default"]
    assert all(throttle.allow_request(anonymous_request(), None) for _ in range(3))


def test_the_throttle_rates_come_from_the_environment(monkeypatch):
    import importlib

    from factbase import settings as settings_module

    monkeypatch.setenv("DJANGO_THROTTLE_ANON", "7/hour")
    monkeypatch.setenv("DJANGO_THROTTLE_USER", "none")
    try:
        reloaded = importlib.reload(settings_module)
        assert reloaded.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] == {"anon": "7/hour", "user": None}
    finally:
        monkeypatch.delenv("DJANGO_THROTTLE_ANON")
        monkeypatch.delenv("DJANGO_THROTTLE_USER")
        importlib.reload(settings_module)
