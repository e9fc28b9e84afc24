"""Version 1's OpenAPI schema, pinned: what v1 clients were promised changes only on purpose.

The generated schema is compared with the committed ``schema-v1.json``. A change to version 1 that is
meant (an addition) is committed by regenerating the file, and reviewed in its diff:

    FACTBASE_UPDATE_SCHEMA_SNAPSHOT=1 .venv/bin/python -m pytest tests/api/v1/test_schema_snapshot.py

(A rename or a removal is not made in version 1: it goes to a new version, as /api/v2/ shows.)
"""

import difflib
import json
import os
from pathlib import Path

import pytest
from rest_framework.test import APIClient

SNAPSHOT = Path(__file__).with_name("schema-v1.json")
UPDATE = os.environ.get("FACTBASE_UPDATE_SCHEMA_SNAPSHOT") == "1"
MAX_DIFF_LINES = 200


def as_text(schema: dict) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@pytest.fixture(scope="module")
def generated(django_db_blocker):
    with django_db_blocker.unblock():
        response = APIClient().get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return as_text(json.loads(response.content))


def test_the_v1_schema_is_the_committed_snapshot(generated):
    if UPDATE:
        SNAPSHOT.write_text(generated, encoding="utf-8")
        pytest.skip(f"{SNAPSHOT.name} written: review its diff and commit it")
    assert SNAPSHOT.exists(), (f"No {SNAPSHOT.name}: make it with FACTBASE_UPDATE_SCHEMA_SNAPSHOT=1 pytest "
                               "tests/api/v1/test_schema_snapshot.py")
    committed = SNAPSHOT.read_text(encoding="utf-8")
    if generated != committed:
        diff = list(difflib.unified_diff(committed.splitlines(), generated.splitlines(), f"{SNAPSHOT.name} (committed)",
                                         "generated", lineterm="", n=2))
        shown = "\n".join(diff[:MAX_DIFF_LINES]) + (f"\n... ({len(diff) - MAX_DIFF_LINES} more lines)"
                                                    if len(diff) > MAX_DIFF_LINES else "")
        pytest.fail("The v1 schema changed. A v1 client must not see a field, parameter or path renamed or removed "
                    "(make such a change in a new API version). If the change is an addition made on purpose, "
                    "update the snapshot with FACTBASE_UPDATE_SCHEMA_SNAPSHOT=1 pytest "
                    f"tests/api/v1/test_schema_snapshot.py and commit it.\n{shown}", pytrace=False)


def test_the_snapshot_holds_what_v1_clients_rely_on():
    """The snapshot itself says what v1 is (a sanity check, so that an empty or wrong file cannot pass)."""
    schema = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert schema["info"]["version"] == "1.0.0 (v1)"
    assert "/api/v1/claims/" in schema["paths"] and not any(p.startswith("/api/v2/") for p in schema["paths"])
    components = schema["components"]["schemas"]
    assert {"title", "display_title"} <= set(components["BriefSource"]["properties"])
    assert {"document_url", "display_title", "title", "url"} <= set(components["Source"]["properties"])
    assert "website" in components["Outlet"]["properties"]
