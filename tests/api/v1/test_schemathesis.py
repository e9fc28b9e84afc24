"""Property-based run of schemathesis against the OpenAPI schema, in-process (no network).

Generated requests (valid by the schema: paths, query parameters, headers and bodies) go to the
WSGI application. Every response must not be a server error and must agree with the schema: its
status code documented, its content type, its body and its headers as described.

Bounded: a few examples an operation, no shrinking, deterministic, no example database. Reads run
for every GET operation as an anonymous client, also with schemathesis' negative generation (values the
schema does not allow). Negative write bodies must be refused with a documented 4xx. Writes run for the write
operations of the resources as an editor: with a token (positive and negative generation), with a
session cookie and its CSRF token, and with a session cookie without it (refused: 403 JSON, nothing
written). The hostile-input suite (test_hostile.py) goes further, beyond what the schema describes.
"""

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from hypothesis import HealthCheck, Phase, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from factbase.wsgi import application

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]
READ_EXAMPLES = 12
WRITE_EXAMPLES = 8
SESSION_EXAMPLES = 4
NEGATIVE_EXAMPLES = 5

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)
schema.config.generation.update(modes=[GenerationMode.POSITIVE], max_examples=READ_EXAMPLES, deterministic=True,
                                no_shrink=True, database="none")

# The same schema, generating what it does not allow (negative mode): every such request must be refused.
negative_schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)
negative_schema.config.generation.update(modes=[GenerationMode.NEGATIVE], max_examples=NEGATIVE_EXAMPLES,
                                         deterministic=True, no_shrink=True, database="none")
# A body past the size limit (a text longer than the schema's maxLength can make one) is refused with 413; a
# write with a stale If-Match (a generated header) is refused with 412 before its body is read.
_rejection = negative_schema.config.checks.negative_data_rejection
_rejection.expected_statuses = [*_rejection.expected_statuses, "413", "412"]

HYPOTHESIS = dict(deadline=None, derandomize=True, database=None, print_blob=False,
                  suppress_health_check=list(HealthCheck))
# Generated cases only: the schema's own examples already ran in the reads and the token writes.
GENERATED = dict(HYPOTHESIS, phases=[Phase.generate])

CASES_RUN = {"reads": 0, "writes": 0, "negative reads": 0, "negative writes": 0, "session writes": 0,
             "session writes without CSRF": 0}

pytestmark = pytest.mark.usefixtures("keep_the_test_connection")  # tests/api/conftest.py


reads = schema.include(method="GET")
WRITE_PATHS = r"^/api/v1/(actors|outlets|tags|claims|sources|reviews|claim-relations)/(\{id\}/)?(status/|revert/)?$"
# One include() with both conditions: chained include()s select either (they selected the GETs too).
writes = schema.include(method=["POST", "PUT", "PATCH", "DELETE"], path_regex=WRITE_PATHS)
# (The root takes no parameter: nothing negative to generate for it.)
negative_reads = negative_schema.include(method="GET").exclude(path="/api/v1/")
negative_writes = negative_schema.include(method=["POST", "PUT", "PATCH"], path_regex=WRITE_PATHS)


@pytest.fixture
def editor_session(editor):
    """The cookies of an editor's logged-in session, with a CSRF cookie; and the token to send with them."""
    client = Client()
    client.force_login(editor)
    csrf = _get_new_csrf_string()
    cookies = {django_settings.SESSION_COOKIE_NAME: client.cookies[django_settings.SESSION_COOKIE_NAME].value,
               django_settings.CSRF_COOKIE_NAME: csrf}
    return cookies, csrf


@pytest.mark.django_db
@reads.parametrize()
@settings(max_examples=READ_EXAMPLES, **HYPOTHESIS)
def test_reads_conform_to_the_schema(case, seed):
    CASES_RUN["reads"] += 1
    call_and_validate_read(case)


def call_and_validate_read(case):
    """A generated read, held to every check. With fields= or omit=, a record has only the fields chosen, where
    the schema's component describes the whole record (as its parameters say): every other check holds, and a
    record's keys are the component's."""
    if not any((case.query or {}).get(name) for name in ("fields", "omit")):
        case.call_and_validate(checks=CHECKS)
        return
    response = case.call_and_validate(checks=[check for check in CHECKS if check is not response_schema_conformance])
    if response.status_code == 200 and "json" in response.headers.get("Content-Type", ""):
        whole = case.call_and_validate(query={k: v for k, v in case.query.items() if k not in ("fields", "omit")},
                                       checks=CHECKS).json()
        body = response.json()
        records, wholes = (body["results"], whole["results"]) if "results" in body else ([body], [whole])
        assert [set(r) <= set(w) for r, w in zip(records, wholes)] == [True] * len(records)


@pytest.mark.django_db
@writes.parametrize()
@settings(max_examples=WRITE_EXAMPLES, **HYPOTHESIS)
def test_writes_conform_to_the_schema(case, seed, editor):
    from rest_framework.authtoken.models import Token

    CASES_RUN["writes"] += 1
    token, _ = Token.objects.get_or_create(user=editor)
    case.call_and_validate(headers={"Authorization": f"Token {token.key}"}, checks=CHECKS)


@pytest.mark.django_db
@writes.parametrize()
@settings(max_examples=SESSION_EXAMPLES, **GENERATED)
def test_session_writes_with_the_csrf_token_conform_to_the_schema(case, seed, editor_session):
    cookies, csrf = editor_session
    CASES_RUN["session writes"] += 1
    case.call_and_validate(headers={"X-CSRFToken": csrf}, cookies=cookies, checks=CHECKS)


@pytest.mark.django_db
@writes.parametrize()
@settings(max_examples=SESSION_EXAMPLES, **GENERATED)
def test_session_writes_without_the_csrf_token_are_refused(case, seed, editor_session):
    from factbase.models import Actor, Claim, Outlet, Review, Source, Tag

    cookies, _ = editor_session
    models = (Actor, Claim, Outlet, Review, Source, Tag)
    before = [model.objects.count() for model in models]
    CASES_RUN["session writes without CSRF"] += 1
    response = case.call_and_validate(cookies=cookies, checks=CHECKS)
    assert response.status_code >= 400, (response.status_code, response.text[:300])
    assert [model.objects.count() for model in models] == before


@pytest.mark.django_db
@negative_reads.parametrize()
@settings(max_examples=NEGATIVE_EXAMPLES, **GENERATED)
def test_reads_the_schema_does_not_allow_get_documented_answers(case, seed):
    # Not negative_data_rejection here: in a query string a "negative" value may be a valid one on the
    # wire (the boolean true, generated against the enum of ratings, is sent as the rating "true").
    CASES_RUN["negative reads"] += 1
    case.call_and_validate(checks=CHECKS)


@pytest.mark.django_db
@negative_writes.parametrize()
@settings(max_examples=NEGATIVE_EXAMPLES, **GENERATED)
def test_writes_the_schema_does_not_allow_are_refused(case, seed, editor):
    from rest_framework.authtoken.models import Token

    CASES_RUN["negative writes"] += 1
    token, _ = Token.objects.get_or_create(user=editor)
    case.call_and_validate(headers={"Authorization": f"Token {token.key}"}, checks=[*CHECKS, negative_data_rejection])


#: the least each kind of run must make (fewer means a test above stopped generating: see its output)
MINIMUM_CASES = {"reads": 200, "writes": 150, "negative reads": 60, "negative writes": 60, "session writes": 60,
                 "session writes without CSRF": 60}


def test_cases_were_run():
    """Run last in this module: the property-based tests above did make requests."""
    if CASES_RUN["reads"] == 0:
        pytest.skip("the schemathesis tests were not selected in this run")
    print(f"schemathesis cases run: {CASES_RUN}")
    for kind, minimum in MINIMUM_CASES.items():
        assert CASES_RUN[kind] >= minimum, (kind, CASES_RUN)
