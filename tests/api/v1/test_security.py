"""Security around the API and the admin: request ids, structured logs without secrets, body size
limits, and the rate limit of the admin's login."""

import io
import json
import logging
import re

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from factbase.plumbing.logs import JSONFormatter, RequestIDFilter
from factbase.models import Actor

from .helpers import url

TOKEN_URL = "/api/v1/auth/token/"


@pytest.fixture
def json_log():
    """What the production handler would write during the test: JSON lines, with request ids."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JSONFormatter())
    handler.addFilter(RequestIDFilter())
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


# --- X-Request-ID ------------------------------------------------------------------------------------

def test_every_response_carries_a_new_request_id(anon_client, db):
    first = anon_client.get(url("claims"))["X-Request-ID"]
    second = anon_client.get("/api/nothing/")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and re.fullmatch(r"[0-9a-f]{32}", second)
    assert first != second
    assert Client().get("/admin/login/")["X-Request-ID"]
    assert Client().get("/healthz")["X-Request-ID"]


@pytest.mark.parametrize("incoming", ["abc-123", "0f8fad5b-d9cb-469f-a165-70867728950e", "Root=1-67891233-abcdef"])
def test_a_sane_incoming_request_id_is_echoed(anon_client, db, incoming):
    assert anon_client.get(url("tags"), HTTP_X_REQUEST_ID=incoming)["X-Request-ID"] == incoming


@pytest.mark.parametrize("incoming", ["", "has space", "x" * 201, "<script>", "new\nline", "é"])
def test_an_odd_incoming_request_id_is_replaced(anon_client, db, incoming):
    answered = anon_client.get(url("tags"), HTTP_X_REQUEST_ID=incoming)["X-Request-ID"]
    assert answered != incoming and re.fullmatch(r"[0-9a-f]{32}", answered)


def test_the_logs_of_a_request_carry_its_id(anon_client, db, json_log):
    response = anon_client.get("/api/v1/claims/424242/", HTTP_X_REQUEST_ID="trace-me-42")
    assert response.status_code == 404
    lines = [line for line in json_log() if line["logger"] == "django.request"]
    assert lines, "Django logs the 404"
    assert all(line["request_id"] == "trace-me-42" for line in lines)
    assert {"time", "level", "logger", "message"} <= set(lines[0])
    assert lines[0]["level"] == "WARNING" and "/api/v1/claims/424242/" in lines[0]["message"]


def test_the_json_formatter_writes_one_object_a_line_with_the_exception():
    record = logging.LogRecord("factbase.test", logging.ERROR, __file__, 1, "failed %s", ("here",), None)
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    record.status_code = 500
    line = JSONFormatter().format(record)
    assert "\n" not in line
    data = json.loads(line)
    assert data["message"] == "failed here" and data["level"] == "ERROR" and data["status_code"] == 500
    assert "ValueError: boom" in data["exception"]
    assert data["time"].endswith("Z")


def test_the_log_format_comes_from_the_environment(monkeypatch):
    import importlib

    from django.core.exceptions import ImproperlyConfigured

    from factbase import settings as settings_module

    try:
        monkeypatch.setenv("DJANGO_LOG_FORMAT", "json")
        assert importlib.reload(settings_module).LOGGING["handlers"]["console"]["formatter"] == "json"
        monkeypatch.setenv("DJANGO_LOG_FORMAT", "text")
        assert importlib.reload(settings_module).LOGGING["handlers"]["console"]["formatter"] == "text"
        monkeypatch.delenv("DJANGO_LOG_FORMAT")
        monkeypatch.setenv("DJANGO_DEBUG", "0")
        monkeypatch.setenv("DJANGO_SECRET_KEY", "k" * 60)
        monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", "example.org")
        assert importlib.reload(settings_module).LOGGING["handlers"]["console"]["formatter"] == "json"
        monkeypatch.setenv("DJANGO_LOG_FORMAT", "xml")
        with pytest.raises(ImproperlyConfigured):
            importlib.reload(settings_module)
    finally:
        monkeypatch.undo()
        importlib.reload(settings_module)


# --- no secret in the logs ---------------------------------------------------------------------------

def test_no_password_or_token_is_ever_logged(anon_client, editor, settings, json_log, caplog):
    settings.AXES_FAILURE_LIMIT = 2
    caplog.set_level(logging.DEBUG)
    secret_password = "editor-pass-123"
    wrong_password = "Wr0ng-Secret-Guess!"

    # The admin's login: a failure, then a success.
    admin = Client()
    assert admin.post("/admin/login/", {"username": "editor", "password": wrong_password}).status_code == 200
    assert admin.post("/admin/login/?next=/admin/", {"username": "editor", "password": secret_password}).status_code == 302
    # The API's token: made, used, revoked; a wrong password; a lockout; a wrong token.
    token = anon_client.post(TOKEN_URL, {"username": "editor", "password": secret_password}).json()["token"]
    client = anon_client.__class__()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.post(url("actors"), {"name": "Logged", "kind": "person"}).status_code == 201
    assert client.delete(TOKEN_URL).status_code == 204
    assert client.get(url("actors")).status_code == 401  # the revoked token, refused
    for _ in range(3):
        anon_client.post(TOKEN_URL, {"username": "editor", "password": wrong_password})
    assert anon_client.post(TOKEN_URL, {"username": "editor", "password": secret_password}).status_code == 429

    records = caplog.records
    assert records, "something was logged (failed logins, the 401, the lockout)"
    everything = "\n".join(
        [json.dumps(line, default=str) for line in json_log()]
        + [f"{r.getMessage()} {r.args!r} {r.__dict__!r}" for r in records]
    )
    for secret in (secret_password, wrong_password, token):
        assert secret not in everything
    assert any("AXES" in r.getMessage() for r in records), "the failed logins were logged (without secrets)"


# --- the size of request bodies -------------------------------------------------------------------------

def test_a_body_over_the_limit_is_a_413_json_and_writes_nothing(editor_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = editor_client.post(url("actors"), {"name": "Big", "kind": "person", "description": "x" * 2000})
    assert response.status_code == 413
    assert "too large" in response.json()["detail"] and "1000" in response.json()["detail"]
    assert not Actor.objects.filter(name="Big").exists()
    # Under the limit, the same write goes through.
    response = editor_client.post(url("actors"), {"name": "Small", "kind": "person", "description": "x" * 100})
    assert response.status_code == 201


def test_the_admin_refuses_a_body_over_the_limit_too(client, editor, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client.force_login(editor)
    response = client.post("/admin/factbase/actor/add/", {"name": "Big", "kind": "person", "description": "x" * 5000})
    assert response.status_code == 413
    assert not Actor.objects.filter(name="Big").exists()


def test_the_body_limit_comes_from_the_environment(monkeypatch):
    import importlib

    from factbase import settings as settings_module

    try:
        monkeypatch.setenv("DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE", "12345")
        assert importlib.reload(settings_module).DATA_UPLOAD_MAX_MEMORY_SIZE == 12345
        monkeypatch.setenv("DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE", "none")
        assert importlib.reload(settings_module).DATA_UPLOAD_MAX_MEMORY_SIZE is None
        monkeypatch.delenv("DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE")
        assert importlib.reload(settings_module).DATA_UPLOAD_MAX_MEMORY_SIZE == 2_621_440
    finally:
        monkeypatch.undo()
        importlib.reload(settings_module)


# --- the admin's login is rate limited ---------------------------------------------------------------

def test_the_admin_login_is_rate_limited(editor, contributor, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client = Client()
    statuses = [client.post("/admin/login/", {"username": "editor", "password": "guess"}).status_code
                for _ in range(3)]
    assert statuses == [200, 200, 429]
    response = client.post("/admin/login/?next=/admin/", {"username": "editor", "password": "editor-pass-123"})
    assert response.status_code == 429, "locked out: even the right password is refused"
    assert "Too many failed logins" in response.content.decode()
    assert int(response["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    assert "_auth_user_id" not in client.session
    # Another account from the same address still logs in.
    other = client.post("/admin/login/?next=/admin/", {"username": "contributor", "password": "contributor-pass-123"})
    assert other.status_code == 302 and other["Location"] == "/admin/"


def test_a_success_resets_the_failures(editor, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client = Client()
    for _ in range(2):
        assert client.post("/admin/login/", {"username": "editor", "password": "guess"}).status_code == 200
    assert client.post("/admin/login/", {"username": "editor", "password": "editor-pass-123"}).status_code == 302
    client.logout()
    for _ in range(2):
        assert client.post("/admin/login/", {"username": "editor", "password": "guess"}).status_code == 200


def test_force_login_is_not_rate_limited(editor, settings):
    settings.AXES_FAILURE_LIMIT = 1
    client = Client()
    client.post("/admin/login/", {"username": "editor", "password": "guess"})
    client.force_login(editor)
    assert client.get("/admin/").status_code == 200


def test_an_editor_cannot_read_the_tokens_in_the_admin(editor, db):
    """The admin's token pages (every user's key) need the authtoken permissions, which no group has."""
    Token.objects.create(user=editor)
    client = Client()
    client.force_login(editor)
    assert client.get("/admin/authtoken/tokenproxy/").status_code == 403
