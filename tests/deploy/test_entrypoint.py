"""What the image does, outside Docker: deploy/entrypoint.sh migrates a database of its own, collects
the static files, starts gunicorn with deploy/gunicorn.conf.py and production settings; then
/healthz, HTTPS behind a proxy, static files through whitenoise's manifest, JSON logs with request
ids, a database that goes away and comes back, and a graceful stop on SIGTERM.

On PostgreSQL (the test run's server) the server's database is reached through a TCP proxy, so that
the test can take the database away and give it back. On SQLite it is a file of its own.
"""

from __future__ import annotations

import json
import re
import time

import pytest

from .conftest import (TCPProxy, Server, create_database, drop_database, is_postgres, postgres_server, postgres_url,
                       production_env, scratch_database_name)

HTTPS = {"X-Forwarded-Proto": "https"}
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    """(DATABASE_URL for the server, the proxy or None)."""
    if not is_postgres():
        yield f"sqlite:///{tmp_path_factory.mktemp('entrypoint') / 'db.sqlite3'}", None
        return
    name = scratch_database_name("entrypoint")
    create_database(name)
    host, port, _, _ = postgres_server()
    proxy = TCPProxy(host, port)
    proxy.start()
    try:
        yield postgres_url(name, host="127.0.0.1", port=proxy.port), proxy
    finally:
        proxy.stop()
        drop_database(name)


@pytest.fixture(scope="module")
def server(database, tmp_path_factory):
    url, _ = database
    workdir = tmp_path_factory.mktemp("server")
    env = production_env(
        DATABASE_URL=url,
        DJANGO_STATIC_ROOT=workdir / "static",
        DJANGO_COLLECTSTATIC="1",
        DJANGO_CONN_MAX_AGE="60",  # kept connections, checked before each request (CONN_HEALTH_CHECKS)
        DJANGO_DB_CONNECT_TIMEOUT="3",
        GUNICORN_WORKERS="2",
        GUNICORN_TIMEOUT="30",
        GUNICORN_GRACEFUL_TIMEOUT="10",
        DJANGO_THROTTLE_ANON="100000/minute",
    )
    server = Server(env, workdir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_the_entrypoint_migrated_and_serves_healthz(server):
    status, headers, body = server.get("/healthz")
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"status": "ok", "checks": {"database:default": "ok"}}
    assert "Applying factbase.0001_initial... OK" in server.logs()
    # The API works on the migrated database (the Editors group, made by a migration, is there too).
    status, _, body = server.get("/api/v1/claims/", HTTPS)
    assert status == 200 and json.loads(body)["results"] == []


def test_healthz_is_plain_http_any_host_no_auth_no_throttle(server):
    for _ in range(3):
        status, _, _ = server.get("/healthz", {"Host": "10.1.2.3:8000"})  # a load balancer's probe
        assert status == 200
    assert server.get("/healthz", method="HEAD")[0] == 200
    assert server.get("/healthz", method="POST")[0] == 405


def test_https_behind_a_proxy(server):
    status, headers, _ = server.get("/api/v1/claims/?page_size=1", {"Host": "factbase.example.org"})
    assert status == 301 and headers["Location"] == "https://factbase.example.org/api/v1/claims/?page_size=1"
    status, headers, _ = server.get("/api/v1/claims/", {**HTTPS, "Host": "factbase.example.org"})
    assert status == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
    status, headers, _ = server.get("/admin/login/", HTTPS)
    assert status == 200
    cookie = headers["Set-Cookie"]
    assert "csrftoken=" in cookie and "Secure" in cookie
    assert server.get("/api/v1/", {**HTTPS, "Host": "evil.example.com"})[0] == 400  # not an allowed host


def test_static_files_come_from_the_manifest_through_whitenoise(server):
    assets = set()
    for page in ("/api/v1/docs/", "/api/v1/redoc/", "/admin/login/"):
        status, _, body = server.get(page, HTTPS)
        assert status == 200, page
        html = body.decode()
        found = set(re.findall(r"""["'](/static/[^"'?#]+)""", html))
        assert found, page
        assets |= found
    assert any("drf_spectacular_sidecar/swagger-ui-dist" in a for a in assets)
    assert any("drf_spectacular_sidecar/redoc" in a for a in assets)
    assert any(a.startswith("/static/admin/css/") for a in assets)
    for asset in sorted(assets):
        # Content-hashed names from collectstatic's manifest, served for ever by whitenoise.
        assert re.search(r"\.[0-9a-f]{12}\.\w+$", asset), asset
        status, headers, body = server.get(asset, {**HTTPS, "Accept-Encoding": "gzip"})
        assert status == 200 and body, asset
        assert "immutable" in headers["Cache-Control"], asset
    js = next(a for a in sorted(assets) if a.endswith(".js"))
    assert server.get(js, {**HTTPS, "Accept-Encoding": "gzip"})[1]["Content-Encoding"] == "gzip"


def test_logs_are_json_lines_carrying_the_request_id(server):
    assert server.get("/api/v1/claims/424242/", {**HTTPS, "X-Request-ID": "entrypoint-test-42"})[0] == 404
    time.sleep(0.5)
    records = server.log_records()  # every complete structured line is valid JSON
    assert any(r["logger"] == "gunicorn.error" and "Booting worker" in r["message"] for r in records)
    mine = [r for r in records if r.get("request_id") == "entrypoint-test-42"]
    access = [r for r in mine if r["logger"] == "gunicorn.access"]
    assert access and access[0]["status"] == 404 and access[0]["path"] == "/api/v1/claims/424242/"
    assert access[0]["method"] == "GET" and isinstance(access[0]["duration_ms"], int)
    assert any(r["logger"] == "django.request" and r["level"] == "WARNING" for r in mine)
    assert not any("exception" in r for r in mine), "a 404 is no stack trace"


@pytest.mark.skipif(not is_postgres(), reason="takes a PostgreSQL server away (SQLite is a file)")
def test_the_api_answers_503_while_the_database_is_away_and_recovers_by_itself(server, database):
    _, proxy = database
    assert server.get("/api/v1/claims/", HTTPS)[0] == 200  # a kept connection in the worker that answered
    proxy.stop()
    try:
        for path in ("/api/v1/claims/", "/api/v1/actors/1/"):
            status, headers, body = server.get(path, HTTPS)
            assert status == 503, body
            assert json.loads(body)["detail"].startswith("The service is temporarily unavailable")
            assert int(headers["Retry-After"]) > 0
            assert headers["Content-Type"] == "application/json"
            assert b"Traceback" not in body
        status, _, body = server.get("/healthz")
        assert status == 503 and json.loads(body)["checks"]["database:default"] == "unavailable"
    finally:
        proxy.start()
    # Back: the next requests connect again, with no restart.
    deadline = time.monotonic() + 30
    statuses = []
    while time.monotonic() < deadline:
        statuses = [server.get("/api/v1/claims/", HTTPS)[0] for _ in range(4)]  # both workers
        if statuses == [200] * 4:
            break
        time.sleep(0.5)
    assert statuses == [200] * 4
    assert server.get("/healthz")[0] == 200
    records = server.log_records()
    unavailable = [r for r in records if r["message"].startswith("Service unavailable: OperationalError")]
    assert unavailable and all(r["level"] == "ERROR" and "exception" not in r and r.get("request_id")
                               for r in unavailable), "one line each, no stack trace"


def test_sigterm_stops_gunicorn_gracefully(server):
    """Last in this module: `docker stop` sends SIGTERM to the entrypoint, which is gunicorn itself."""
    assert server.stop(timeout=30) == 0
    assert "Shutting down: Master" in server.logs() or "Handling signal: term" in server.logs()
