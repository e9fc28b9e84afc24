"""With REDIS_URL set, the cache, and so the API's throttle counts, live in Redis: every app server
(here: the test process and another process) counts the same requests.

Uses the Redis on 127.0.0.1:6379 (FACTBASE_TEST_REDIS_URL overrides it), database 15, with a key
prefix of its own for each test, so runs in parallel do not collide; the keys are deleted afterwards.
"""

import json
import os
import subprocess
import uuid

import pytest
from rest_framework.test import APIClient

from .conftest import PYTHON, ROOT, production_env

REDIS_URL = os.environ.get("FACTBASE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_client():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {REDIS_URL}; CI needs it")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    yield client
    client.close()


@pytest.fixture
def prefix(redis_client):
    prefix = f"factbase-test-{uuid.uuid4().hex}"
    yield prefix
    for key in redis_client.scan_iter(f"{prefix}:*"):
        redis_client.delete(key)


@pytest.fixture
def redis_settings(settings, prefix):
    settings.REDIS_URL = REDIS_URL
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": REDIS_URL, "KEY_PREFIX": prefix}}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"anon": "3/minute", "user": "1000/minute"}}
    return settings


OTHER_SERVER = """
import json, django
django.setup()
from django.test import Client
client = Client(REMOTE_ADDR="127.0.0.1")
print(json.dumps([client.get("/api/v1/").status_code for _ in range(2)]))
"""


def requests_from_another_server(prefix: str | None) -> list[int]:
    """Two requests to the API made by another process: another app server with its own memory."""
    env = production_env(DJANGO_ALLOWED_HOSTS="testserver", DJANGO_SECURE_SSL_REDIRECT="0",
                         DJANGO_THROTTLE_ANON="3/minute", DJANGO_LOG_FORMAT="text",
                         REDIS_URL=REDIS_URL if prefix else None, DJANGO_CACHE_KEY_PREFIX=prefix)
    result = subprocess.run([PYTHON, "-c", OTHER_SERVER], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.django_db
def test_throttle_counts_are_shared_through_redis(redis_settings, redis_client, prefix):
    client = APIClient(REMOTE_ADDR="127.0.0.1")
    assert [client.get("/api/v1/").status_code for _ in range(2)] == [200, 200]
    keys = [key.decode() for key in redis_client.scan_iter(f"{prefix}:*")]
    assert keys and any("throttle_anon_127.0.0.1" in key for key in keys), keys
    # Another app server sees the two requests this one counted: one more is allowed, then 429.
    assert requests_from_another_server(prefix) == [200, 429]
    assert client.get("/api/v1/").status_code == 429


@pytest.mark.django_db
def test_without_redis_each_process_counts_alone(redis_settings):
    """The control: with each process's own memory, the other server has counted nothing."""
    client = APIClient(REMOTE_ADDR="127.0.0.1")
    assert [client.get("/api/v1/").status_code for _ in range(3)] == [200, 200, 200]
    assert requests_from_another_server(None) == [200, 200]


@pytest.mark.django_db
def test_the_cache_is_redis(redis_settings, redis_client, prefix):
    from django.core.cache import cache

    cache.set("greeting", "hello", 30)
    assert cache.get("greeting") == "hello"
    assert redis_client.exists(f"{prefix}:1:greeting")
    assert 0 < redis_client.ttl(f"{prefix}:1:greeting") <= 30


def test_requests_that_arrive_together_are_each_counted_in_redis(redis_settings, redis_client, prefix):
    """Forty requests from one address at the same moment, each in its own thread and its own Redis
    connection, against 10 a minute: exactly ten pass, and the window's counter holds all forty with an
    expiry. (DRF's own throttle reads the list of recent requests and writes it back: here, with the
    network between the two, requests that meet are lost and more than ten pass.)"""
    import threading

    from django.contrib.auth.models import AnonymousUser
    from django.test import RequestFactory

    from api.throttling import AnonThrottle

    redis_settings.REST_FRAMEWORK = {**redis_settings.REST_FRAMEWORK,
                                     "DEFAULT_THROTTLE_RATES": {"anon": "10/minute", "user": None}}
    barrier = threading.Barrier(40)
    allowed = []

    def one_request():
        request = RequestFactory().get("/api/v1/claims/", REMOTE_ADDR="10.0.0.7")
        request.user = AnonymousUser()
        throttle = AnonThrottle()
        barrier.wait(timeout=30)
        allowed.append(throttle.allow_request(request, view=None))

    threads = [threading.Thread(target=one_request) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # A minute may have ended while the threads ran: then its counter and the next one's share the forty.
    keys = [key for key in redis_client.scan_iter(f"{prefix}:*throttle_anon_10.0.0.7:*")]
    counts = [int(redis_client.get(key)) for key in keys]
    assert len(allowed) == 40 and sum(counts) == 40, (allowed, counts)
    assert allowed.count(True) == sum(min(count, 10) for count in counts)
    assert all(0 < redis_client.ttl(key) <= 60 for key in keys)
