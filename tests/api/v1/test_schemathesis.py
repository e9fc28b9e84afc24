"""Property-based run of schemathesis against the OpenAPI schema, in-process (no network).

Generated requests (valid by the schema: paths, query parameters, headers and bodies) go to the
WSGI application. Every response must not be a server error and must agree with the schema: its
status code documented, its content type, its body and its headers as described.

Bounded: a few examples an operation, no shrinking, deterministic, no example database. Reads run
for every GET operation as an anonymous client; writes run for a few operations as an editor.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from factbase.wsgi import application

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]
READ_EXAMPLES = 12
WRITE_EXAMPLES = 8

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)
schema.config.generation.update(modes=[GenerationMode.POSITIVE], max_examples=READ_EXAMPLES, deterministic=True,
                                no_shrink=True, database="none")

HYPOTHESIS = dict(deadline=None, derandomize=True, database=None, print_blob=False,
                  suppress_health_check=list(HealthCheck))

CASES_RUN = {"reads": 0, "writes": 0}

@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """Like Django's test client: the WSGI handler must not close the connection of the test's transaction."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


reads = schema.include(method="GET")
writes = schema.include(method=["POST", "PATCH", "DELETE"]).include(
    path_regex=r"^/api/v1/(actors|outlets|tags|claims)/(\{id\}/)?(status/)?$"
)


@pytest.mark.django_db
@reads.parametrize()
@settings(max_examples=READ_EXAMPLES, **HYPOTHESIS)
def test_reads_conform_to_the_schema(case, seed):
    CASES_RUN["reads"] += 1
    case.call_and_validate(checks=CHECKS)


@pytest.mark.django_db
@writes.parametrize()
@settings(max_examples=WRITE_EXAMPLES, **HYPOTHESIS)
def test_writes_conform_to_the_schema(case, seed, editor):
    from rest_framework.authtoken.models import Token

    CASES_RUN["writes"] += 1
    token, _ = Token.objects.get_or_create(user=editor)
    case.call_and_validate(headers={"Authorization": f"Token {token.key}"}, checks=CHECKS)


def test_cases_were_run():
    """Run last in this module: the property-based tests above did make requests."""
    if CASES_RUN["reads"] == 0:
        pytest.skip("the schemathesis tests were not selected in this run")
    print(f"schemathesis cases run: {CASES_RUN}")
    assert CASES_RUN["reads"] >= 30
