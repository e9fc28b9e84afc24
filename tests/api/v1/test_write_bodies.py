"""A write stores what it was sent, or is refused with a 4xx naming why (issue #13, item 4).

- A read-only field in a write body (``status_note`` in a ``PATCH``) was ignored: 200, nothing stored.
  It is refused (400, naming the field and where it is set) unless sent with the value the record
  has, so that a client may still ``PUT`` back what it read.
- A body sent with ``Transfer-Encoding: chunked`` (no ``Content-Length``) was read as empty: 200,
  nothing stored. It is read when the server hands it over whole (gunicorn marks that with
  ``wsgi.input_terminated``), up to the body limit (413 past it), and refused with 411 otherwise.
  Tested with gunicorn's own request parser making the WSGI environ, with a server's that does not
  decode chunks (as Django's runserver), and through the test client.
"""

import io
import json
import wsgiref.util

import pytest
from rest_framework.authtoken.models import Token

from api.v1 import serializers as v1
from api.v1 import urls as v1_urls
from api.v1 import views
from factbase import services
from factbase.models import Actor, Claim, Tag
from factbase.wsgi import application

from .helpers import url


@pytest.fixture
def records(claim, actor, source):
    outlet = services.outlet_create(name="Khabar 24", kind="broadcaster", url="https://24.kz/")
    tag = services.tag_create(name="Energy", slug="energy")
    review = services.review_create(claim=claim, reviewer=actor, source=source, rating="unsupported",
                                    rating_text="there is no evidence", reviewed_on="2022-01-09")
    other = services.claim_create(speaker=actor, source=source, text="prices will stay frozen")
    relation = services.claim_relation_create(claim=other, related_claim=claim, type="repeats")
    return {"claims": claim, "actors": actor, "sources": source, "outlets": outlet, "tags": tag, "reviews": review,
            "claim-relations": relation}


def read_only_fields(resource):
    viewset = {prefix: viewset for prefix, viewset, _ in v1_urls.router.registry}[resource]
    return [name for name, field in viewset.serializer_class().fields.items() if field.read_only]


def as_written(body: dict) -> dict:
    """A record as read, made writable: each related record by its id."""
    written = {}
    for name, value in body.items():
        if isinstance(value, dict) and "id" in value and "url" in value:
            value = value["id"]
        elif isinstance(value, list) and value and isinstance(value[0], dict) and "url" in value[0]:
            value = [item["id"] for item in value]
        written[name] = value
    return written


def other_value(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1000
    if isinstance(value, dict):
        return {**value, "start": -1}
    if value is None:
        return "2020-01-01T00:00:00Z"
    return f"{value}-changed"


# --- read-only fields ------------------------------------------------------------------------------------

def test_a_patch_of_the_status_note_is_refused_naming_where_it_is_set(editor_client, claim):
    before = editor_client.get(url("claims", claim.pk)).json()
    response = editor_client.patch(url("claims", claim.pk), {"status_note": "Checked by phone."}, format="json")
    assert response.status_code == 400
    message = response.json()["status_note"][0]
    assert "POST /api/v1/claims/{id}/status/" in message
    after = editor_client.get(url("claims", claim.pk)).json()
    assert after == before  # nothing stored, not even updated_at
    assert claim.history.count() == 1


@pytest.mark.parametrize("resource", views.RESOURCES)
def test_every_read_only_field_sent_with_another_value_is_refused(editor_client, records, resource):
    record = records[resource]
    body = editor_client.get(url(resource, record.pk)).json()
    fields = read_only_fields(resource)
    assert fields, resource
    for name in fields:
        for method in ("patch", "put"):
            data = {name: other_value(body[name])} if method == "patch" else {**as_written(body),
                                                                              name: other_value(body[name])}
            response = getattr(editor_client, method)(url(resource, record.pk), data, format="json")
            assert response.status_code == 400, (resource, name, method, response.content[:200])
            errors = response.json()
            assert list(errors) == [name], errors
            assert "Leave it out, or send the value the record has." in errors[name][0]
    assert editor_client.get(url(resource, record.pk)).json() == body


@pytest.mark.parametrize("resource", views.RESOURCES)
def test_a_put_of_what_was_read_goes_through(editor_client, records, resource):
    record = records[resource]
    body = editor_client.get(url(resource, record.pk)).json()
    response = editor_client.put(url(resource, record.pk), as_written(body), format="json")
    assert response.status_code == 200, response.content[:300]
    body = response.json()  # updated_at moved: the record's values are the new ones
    response = editor_client.patch(url(resource, record.pk), {name: body[name] for name in read_only_fields(resource)},
                                   format="json")
    assert response.status_code == 200, response.content[:300]


def test_the_current_status_note_may_be_sent_back(editor_client, editor, claim):
    services.claim_set_status(claim=claim, user=editor, status="disputed", note="The date is wrong.")
    response = editor_client.patch(url("claims", claim.pk), {"status_note": "The date is wrong.",
                                                             "status": "disputed", "speaker_role": "Minister"},
                                   format="json")
    assert response.status_code == 200, response.content[:300]
    assert response.json()["speaker_role"] == "Minister"


@pytest.mark.parametrize("data,field", [
    ({"id": 5}, "id"), ({"url": "http://testserver/api/v1/claims/5/"}, "url"), ({"status": "verified"}, "status"),
    ({"status_note": "Verified."}, "status_note"), ({"created_at": "2022-01-01T00:00:00Z"}, "created_at"),
    ({"uid": "0d5f4a1e-2b8c-4e7a-9f61-3c2d1b0a9e87"}, "uid"),
    ({"span": {"start": 0, "end": 3, "exact": "The"}}, "span"),
])
def test_a_create_with_a_read_only_field_is_refused(editor_client, actor, source, data, field):
    response = editor_client.post(url("claims"), {"speaker": actor.pk, "source": source.pk,
                                                  "text": "We will not raise fuel prices this winter.", **data},
                                  format="json")
    assert response.status_code == 400, response.content[:200]
    assert list(response.json()) == [field]
    assert not Claim.objects.exists()


def test_a_create_may_send_a_new_records_values(editor_client, actor, source):
    response = editor_client.post(url("claims"), {
        "speaker": actor.pk, "source": source.pk, "text": "We will not raise fuel prices this winter.",
        "id": None, "status": "unverified", "status_note": "", "verified_at": None, "span": None,
    }, format="json")
    assert response.status_code == 201, response.content[:300]


def test_a_number_too_large_for_a_float_is_refused_naming_the_field(editor_client, db):
    response = editor_client.post(url("actors"), '{"name": 1e400, "kind": "person"}', content_type="application/json")
    assert response.status_code == 400
    assert "too large" in response.json()["name"][0]
    response = editor_client.post(url("actors"), '{"name": "A", "aliases": [1e999]}', content_type="application/json")
    assert response.status_code == 400 and "aliases" in response.json()
    assert not Actor.objects.exists()


def test_a_status_note_given_as_infinity_is_refused(editor_client, claim):
    response = editor_client.post(url("claims", claim.pk, "status"), '{"status": "disputed", "note": 1e400}',
                                  content_type="application/json")
    assert response.status_code == 400 and "note" in response.json()
    claim.refresh_from_db()
    assert claim.status == "unverified"


def test_a_token_request_with_an_unknown_field_is_refused(anon_client, editor):
    response = anon_client.post("/api/v1/auth/token/", {"username": "editor", "password": "editor-pass-123",
                                                        "expires": "never"}, format="json")
    assert response.status_code == 400 and "expires" in response.json()
    assert not Token.objects.exists()


def test_the_status_serializer_names_its_fields_in_an_unknown_fields_error():
    serializer = v1.ClaimStatusSerializer(data={"status": "verified", "status_note": "x"})
    assert not serializer.is_valid()
    assert "status, note" in serializer.errors["status_note"][0]


# --- bodies without a length (Transfer-Encoding: chunked) -----------------------------------------------

def chunked(body: bytes, size: int = 7) -> bytes:
    pieces = [body[i:i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"


def gunicorn_environ(method: str, path: str, body: bytes, headers: dict[str, str]) -> dict:
    """The WSGI environ gunicorn makes of a request whose body is chunked (its own parser and ``create``)."""
    from gunicorn.config import Config
    from gunicorn.http.parser import RequestParser
    from gunicorn.http.wsgi import create

    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    raw = head.encode("latin-1") + b"\r\n" + chunked(body)
    cfg = Config()
    request = next(RequestParser(cfg, [raw], ("127.0.0.1", 40000)))

    class Socket:
        def send(self, data):
            return len(data)

        sendall = send

    _, environ = create(request, Socket(), ("127.0.0.1", 40000), ("127.0.0.1", 8000), cfg)
    assert environ["wsgi.input_terminated"] is True and "CONTENT_LENGTH" not in environ
    return environ


def runserver_environ(method: str, path: str, body: bytes, headers: dict[str, str]) -> dict:
    """The environ of a server that hands the chunked encoding over as it came (wsgiref, Django's runserver)."""
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "HTTP_HOST": "127.0.0.1",
               "HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input": io.BytesIO(chunked(body))}
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        environ[key if key == "CONTENT_TYPE" else f"HTTP_{key}"] = value
    wsgiref.util.setup_testing_defaults(environ)
    environ.pop("CONTENT_LENGTH", None)
    return environ


def call(environ) -> tuple[int, dict]:
    status = []
    chunks = application(environ, lambda s, headers, exc_info=None: status.append((s, dict(headers))))
    content = b"".join(chunks)
    code = int(status[0][0].split()[0])
    assert status[0][1]["Content-Type"].startswith("application/json"), status
    return code, json.loads(content) if content else {}


def token_headers(user) -> dict[str, str]:
    token, _ = Token.objects.get_or_create(user=user)
    return {"Authorization": f"Token {token.key}", "Content-Type": "application/json"}


@pytest.mark.usefixtures("keep_the_test_connection")
class TestChunkedBodies:
    def test_gunicorns_chunked_patch_is_stored(self, editor, claim):
        body = json.dumps({"speaker_role": "Former minister of energy"}).encode()
        status, data = call(gunicorn_environ("PATCH", url("claims", claim.pk), body, token_headers(editor)))
        assert status == 200, data
        claim.refresh_from_db()
        assert claim.speaker_role == "Former minister of energy" == data["speaker_role"]

    def test_gunicorns_chunked_post_creates(self, editor, db):
        body = json.dumps({"name": "Chunked", "slug": "chunked"}).encode()
        status, data = call(gunicorn_environ("POST", url("tags"), body, token_headers(editor)))
        assert status == 201, data
        assert Tag.objects.get(slug="chunked").name == "Chunked"

    def test_gunicorns_chunked_body_over_the_limit_is_a_413(self, editor, claim, settings):
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
        body = json.dumps({"speaker_role": "x" * 2000}).encode()
        status, data = call(gunicorn_environ("PATCH", url("claims", claim.pk), body, token_headers(editor)))
        assert status == 413 and "1000 bytes" in data["detail"]
        claim.refresh_from_db()
        assert claim.speaker_role == "Minister of Energy"

    def test_a_chunked_body_the_server_cannot_end_is_a_411(self, editor, claim):
        body = json.dumps({"speaker_role": "Former minister"}).encode()
        status, data = call(runserver_environ("PATCH", url("claims", claim.pk), body, token_headers(editor)))
        assert status == 411 and "Content-Length" in data["detail"]
        claim.refresh_from_db()
        assert claim.speaker_role == "Minister of Energy"

    def test_an_empty_chunked_body_is_read_as_an_empty_body(self, editor, editor_client, claim):
        status, data = call(gunicorn_environ("POST", url("tags"), b"", token_headers(editor)))
        response = editor_client.post(url("tags"), b"", content_type="application/json")
        assert (status, data) == (response.status_code, response.json())


def test_the_test_client_reads_a_chunked_body_too(editor_client, claim):
    body = json.dumps({"speaker_role": "Former minister"}).encode()
    chunked_environ = {"content_type": "application/json", "HTTP_TRANSFER_ENCODING": "chunked", "CONTENT_LENGTH": "",
                       "wsgi.input": io.BytesIO(body)}
    response = editor_client.generic("PATCH", url("claims", claim.pk), b"", **chunked_environ,
                                     **{"wsgi.input_terminated": True})
    assert response.status_code == 200, response.content[:200]
    claim.refresh_from_db()
    assert claim.speaker_role == "Former minister"
    # Without the server's mark that the stream ends, it is refused, and nothing is written.
    response = editor_client.generic("PATCH", url("claims", claim.pk), b"", **{
        **chunked_environ, "wsgi.input": io.BytesIO(b'{"speaker_role": "Nobody"}')})
    assert response.status_code == 411 and response.json()["detail"]
    claim.refresh_from_db()
    assert claim.speaker_role == "Former minister"


def test_a_get_with_a_chunked_body_on_a_server_that_cannot_end_it_is_a_411(anon_client, db):
    response = anon_client.get(url("tags"), HTTP_TRANSFER_ENCODING="chunked")
    assert response.status_code == 411 and response.json()["detail"]


@pytest.mark.parametrize("resource,accept", [("claims", "text/csv"), ("tags", "text/csv"),
                                             ("reviews", "application/ld+json")])
def test_a_create_answered_in_another_format_than_json_gives_its_location(editor_client, claim, resource, accept):
    """A CSV or JSON-LD body has no "url" to take the Location from: that was a KeyError, a 500."""
    data = {"claims": {"speaker": claim.speaker_id, "source": claim.source_id, "text": "raise fuel prices"},
            "tags": {"name": "Fuel", "slug": "fuel"},
            "reviews": {"claim": claim.pk, "reviewer": claim.speaker_id, "rating": "false"}}[resource]
    response = editor_client.post(url(resource) + "?page_size=1", data, format="json", HTTP_ACCEPT=accept)
    assert response.status_code == 201, response.content[:300]
    assert response["Content-Type"].startswith(accept)
    location = response["Location"]
    assert location.startswith(f"http://testserver/api/v1/{resource}/") and "?" not in location
    assert editor_client.get(location).status_code == 200
