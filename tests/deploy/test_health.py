"""GET /healthz, and what a request meets when the database goes away: 503 JSON, then recovery.

(tests/deploy/test_entrypoint.py shows the same with a real server and a PostgreSQL that goes away.)
"""

import contextlib

import pytest
from django.db import DEFAULT_DB_ALIAS, close_old_connections, connection, connections
from django.db.utils import InterfaceError, OperationalError
from django.test import Client
from rest_framework.test import APIClient

from .conftest import is_postgres


@contextlib.contextmanager
def database_fails(exc_class=OperationalError, message="connection to server was lost"):
    """Every query on the default connection fails as a lost server makes it fail."""
    def fail(execute, sql, params, many, context):
        raise exc_class(message)

    with connection.execute_wrapper(fail):
        yield


# --- /healthz ----------------------------------------------------------------------------------------

def test_healthz_answers_200_with_json_when_the_database_answers(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database:default": "ok"}}
    assert response["Cache-Control"] == "no-store" and response["X-Request-ID"]
    assert client.get("/healthz/").status_code == 200
    head = client.head("/healthz")
    assert head.status_code == 200 and head.content == b""


def test_healthz_answers_503_when_the_database_does_not(client, db):
    with database_fails():
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database:default": "unavailable"}}
    assert int(response["Retry-After"]) > 0
    assert client.get("/healthz").status_code == 200


def test_healthz_needs_no_auth_is_not_throttled_and_ignores_the_host(settings, db):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "2/minute", "user": None}}
    api = APIClient()
    assert [api.get("/api/v1/tags/").status_code for _ in range(3)] == [200, 200, 429]
    assert all(api.get("/healthz").status_code == 200 for _ in range(10)), "the throttles do not count it"
    assert api.get("/api/v1/tags/").status_code == 429, "nor does it reset them"
    # A load balancer probes by address: any Host header, plain HTTP, even with the HTTPS redirect on.
    settings.SECURE_SSL_REDIRECT = True
    assert Client(HTTP_HOST="10.0.0.7:8000").get("/healthz").status_code == 200
    assert Client(HTTP_HOST="10.0.0.7:8000").get("/api/v1/").status_code == 400


def test_healthz_takes_only_get_and_head(client, db):
    assert client.post("/healthz").status_code == 405


def test_healthz_checks_redis_when_configured(client, db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": settings.REDIS_URL,
                                   "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}}
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database:default": "ok", "cache": "unavailable"}
    # The API's throttles count in the cache: without it, a 503 JSON too, not a stack trace.
    response = APIClient().get("/api/v1/tags/")
    assert response.status_code == 503 and response["Retry-After"] and response.json()["detail"]


# --- the database goes away mid-request ----------------------------------------------------------------

@pytest.mark.parametrize("exc_class", [OperationalError, InterfaceError])
def test_the_api_answers_503_json_while_the_database_is_away(db, exc_class, caplog):
    client = APIClient()
    with database_fails(exc_class):
        for path in ("/api/v1/claims/", "/api/v1/actors/1/", "/api/v1/tags/?q=x"):
            response = client.get(path)
            assert response.status_code == 503, path
            assert response["Content-Type"] == "application/json"
            assert "temporarily unavailable" in response.json()["detail"]
            assert int(response["Retry-After"]) > 0
    assert client.get("/api/v1/claims/").status_code == 200, "back as soon as the database is"
    lines = [r for r in caplog.records if r.getMessage().startswith("Service unavailable")]
    assert lines and all(r.exc_info is None for r in lines), "logged in one line, no stack trace"


def test_the_admin_answers_503_json_too(client, editor):
    client.force_login(editor)
    with database_fails():
        response = client.get("/admin/factbase/claim/")
    assert response.status_code == 503 and "temporarily unavailable" in response.json()["detail"]
    assert client.get("/admin/factbase/claim/").status_code == 200


def test_a_lost_database_outside_any_view_is_a_503_too(rf):
    """A middleware that meets the lost database (the session saved after the view, say) ends in the
    500 handler, which answers 503 JSON for it, and a plain 500 page for anything else."""
    from factbase.plumbing.error_views import server_error

    request = rf.get("/admin/")
    try:
        raise OperationalError("server closed the connection unexpectedly")
    except OperationalError:
        response = server_error(request)
    assert response.status_code == 503 and int(response["Retry-After"]) > 0
    try:
        raise RuntimeError("a bug")
    except RuntimeError:
        response = server_error(request)
    assert response.status_code == 500 and b"Server Error" in response.content


def test_an_unexpected_api_error_is_a_json_500_without_a_stack_trace(db, monkeypatch):
    from api.v1 import views

    def broken(self, *args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(views.TagViewSet, "list", broken)
    response = Client(raise_request_exception=False).get("/api/v1/tags/")
    assert response.status_code == 500
    assert response.json() == {"detail": "A server error occurred. It has been logged."}


@pytest.mark.skipif(not is_postgres(), reason="terminates a PostgreSQL backend")
@pytest.mark.django_db(transaction=True)
def test_a_terminated_postgresql_connection_is_a_503_and_the_next_request_reconnects():
    """pg_terminate_backend from another connection kills the request's connection, as a restart or a
    failover of PostgreSQL would; the request answers 503, and the one after it connects again."""
    import psycopg

    client = APIClient()
    assert client.get("/api/v1/claims/").status_code == 200
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    db = connection.settings_dict
    with psycopg.connect(host=db["HOST"] or "127.0.0.1", port=int(db["PORT"] or 5432), user=db["USER"],
                         password=db["PASSWORD"] or None, dbname=db["NAME"], autocommit=True) as other:
        assert other.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0] is True

    response = client.get("/api/v1/claims/")
    assert response.status_code == 503
    assert "temporarily unavailable" in response.json()["detail"] and response["Retry-After"]
    # What the server does at the end of every request: drop the connection that broke.
    close_old_connections()
    assert connections[DEFAULT_DB_ALIAS].connection is None
    assert client.get("/api/v1/claims/").status_code == 200
    assert connection.connection.info.backend_pid != pid
