"""schemathesis over /api/v2/'s schema, in-process, as over v1's (tests/api/v1/test_schemathesis.py): every
read and every write of the resources, generated from the schema, answers what the schema says. v2 shares
v1's code but for its representations, so the positive runs are enough here; the negative and session
runs stay with v1."""

import pytest
import schemathesis
from hypothesis import settings
from schemathesis import GenerationMode

from factbase.wsgi import application
from tests.api.v1.test_schemathesis import CHECKS, HYPOTHESIS, READ_EXAMPLES, WRITE_EXAMPLES, call_and_validate_read

schema = schemathesis.openapi.from_wsgi("/api/v2/schema/?format=json", application)
schema.config.generation.update(modes=[GenerationMode.POSITIVE], max_examples=READ_EXAMPLES, deterministic=True,
                                no_shrink=True, database="none")

reads = schema.include(method="GET")
WRITE_PATHS = r"^/api/v2/(actors|outlets|tags|claims|sources|reviews|claim-relations)/(\{id\}/)?(status/|revert/)?$"
writes = schema.include(method=["POST", "PUT", "PATCH", "DELETE"], path_regex=WRITE_PATHS)

CASES_RUN = {"reads": 0, "writes": 0}
MINIMUM_CASES = {"reads": 200, "writes": 150}

pytestmark = pytest.mark.usefixtures("keep_the_test_connection")  # tests/api/conftest.py


@pytest.mark.django_db
@reads.parametrize()
@settings(max_examples=READ_EXAMPLES, **HYPOTHESIS)
def test_v2_reads_conform_to_the_schema(case, seed):
    CASES_RUN["reads"] += 1
    assert case.path.startswith("/api/v2/")
    call_and_validate_read(case)


@pytest.mark.django_db
@writes.parametrize()
@settings(max_examples=WRITE_EXAMPLES, **HYPOTHESIS)
def test_v2_writes_conform_to_the_schema(case, seed, editor):
    from rest_framework.authtoken.models import Token

    CASES_RUN["writes"] += 1
    token, _ = Token.objects.get_or_create(user=editor)
    case.call_and_validate(headers={"Authorization": f"Token {token.key}"}, checks=CHECKS)


def test_v2_cases_were_run():
    """Run last in this module: the property-based tests above did make requests."""
    if CASES_RUN["reads"] == 0:
        pytest.skip("the schemathesis tests were not selected in this run")
    for kind, minimum in MINIMUM_CASES.items():
        assert CASES_RUN[kind] >= minimum, (kind, CASES_RUN)
