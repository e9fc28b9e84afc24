"""POST /api/v1/auth/token/ makes a user's token from their username and password; DELETE revokes it."""

import json

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from factbase.models import Actor

from .helpers import url

TOKEN_URL = "/api/v1/auth/token/"


def test_a_user_gets_a_token_with_their_password_and_writes_with_it(anon_client, editor):
    response = anon_client.post(TOKEN_URL, {"username": "editor", "password": "editor-pass-123"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["username"] == "editor" and body["token"] == Token.objects.get(user=editor).key

    again = anon_client.post(TOKEN_URL, {"username": "editor", "password": "editor-pass-123"})
    assert again.status_code == 200 and again.json()["token"] == body["token"], "one token a user"

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert client.post(url("actors"), {"name": "Made with a token", "kind": "person"}).status_code == 201


@pytest.mark.parametrize("credentials", [
    {"username": "editor", "password": "wrong-password"},
    {"username": "nobody", "password": "editor-pass-123"},
])
def test_wrong_credentials_are_a_400_and_make_no_token(anon_client, editor, credentials):
    response = anon_client.post(TOKEN_URL, credentials)
    assert response.status_code == 400
    assert response.json()["non_field_errors"]
    assert not Token.objects.exists()


@pytest.mark.parametrize("body", [{}, {"username": "editor"}, {"password": "x"}, {"username": "", "password": ""}])
def test_missing_fields_are_named(anon_client, editor, body):
    response = anon_client.post(TOKEN_URL, body)
    assert response.status_code == 400
    assert set(response.json()) & {"username", "password"}


def test_an_inactive_user_gets_no_token(anon_client, editor):
    editor.is_active = False
    editor.save()
    assert anon_client.post(TOKEN_URL, {"username": "editor", "password": "editor-pass-123"}).status_code == 400
    assert not Token.objects.exists()


def test_the_owner_revokes_their_token(editor_client, editor, reader_client, reader):
    token = Token.objects.get(user=editor).key
    reader_token = Token.objects.get(user=reader).key
    response = editor_client.delete(TOKEN_URL)
    assert response.status_code == 204
    assert not Token.objects.filter(key=token).exists()
    assert Token.objects.filter(key=reader_token).exists(), "only the caller's token is revoked"
    # The revoked token no longer works, for reads or writes.
    assert editor_client.get(url("actors")).status_code == 401
    assert editor_client.post(url("actors"), {"name": "Too late", "kind": "person"}).status_code == 401
    assert not Actor.objects.filter(name="Too late").exists()
    assert reader_client.get(url("actors")).status_code == 200


def test_revoking_needs_authentication(anon_client, db):
    response = anon_client.delete(TOKEN_URL)
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"


def test_a_session_user_revokes_their_token_with_csrf(editor):
    Token.objects.create(user=editor)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(editor)
    assert client.delete(TOKEN_URL).status_code == 403  # no CSRF token
    assert Token.objects.filter(user=editor).exists()
    lenient = APIClient()
    lenient.force_login(editor)
    assert lenient.delete(TOKEN_URL).status_code == 204
    assert not Token.objects.filter(user=editor).exists()


def test_other_methods_are_405(anon_client, db):
    assert anon_client.get(TOKEN_URL).status_code == 405
    assert anon_client.put(TOKEN_URL, {}).status_code == 405


def test_repeated_failures_lock_the_username_out_from_that_address(anon_client, editor, reader, settings):
    settings.AXES_FAILURE_LIMIT = 3
    statuses = [anon_client.post(TOKEN_URL, {"username": "editor", "password": "wrong"}).status_code
                for _ in range(3)]
    assert statuses == [400, 400, 429]
    # Locked out: even the right password is refused, and the password is not checked.
    response = anon_client.post(TOKEN_URL, {"username": "editor", "password": "editor-pass-123"})
    assert response.status_code == 429
    assert "Too many failed logins" in response.json()["detail"]
    assert int(response["Retry-After"]) > 0
    assert not Token.objects.filter(user=editor).exists()
    # Another user from the same address, or the same user from another address, is not locked out.
    assert anon_client.post(TOKEN_URL, {"username": "reader", "password": "reader-pass-123"}).status_code == 201
    other_address = APIClient(REMOTE_ADDR="203.0.113.9")
    assert other_address.post(TOKEN_URL, {"username": "editor", "password": "editor-pass-123"}).status_code == 201


def test_the_schema_documents_the_token_endpoint(anon_client, db):
    schema = json.loads(anon_client.get("/api/v1/schema/", {"format": "json"}).content)
    item = schema["paths"]["/api/v1/auth/token/"]
    assert set(item) >= {"post", "delete"}
    post, delete = item["post"], item["delete"]
    assert {"200", "201", "400", "429"} <= set(post["responses"])
    assert "TokenRequest" in json.dumps(post["requestBody"])
    token = schema["components"]["schemas"]["Token"]
    assert set(token["properties"]) == {"token", "username"}
    assert "204" in delete["responses"] and "401" in delete["responses"]
    assert "auth/token" in schema["info"]["description"]
    # Every write documents 413 (a body too large), every operation 503 (the database unavailable).
    claims_post = schema["paths"]["/api/v1/claims/"]["post"]["responses"]
    assert "413" in claims_post and "503" in claims_post
    assert "Retry-After" in claims_post["503"]["headers"]
