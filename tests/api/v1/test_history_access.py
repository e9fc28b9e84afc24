"""Who may read history, the change feed and the records of deleted objects: one rule
(``api.permissions.history_access``, setting ``DJANGO_API_HISTORY_ACCESS``), tested for each role on the
``/history/`` endpoints and on the feed."""

from __future__ import annotations

import pytest

from factbase import services
from factbase.models import Claim

from .helpers import url

# Committed writes: on PostgreSQL the feed lists only finished transactions.
pytestmark = pytest.mark.django_db(transaction=True)

ROLES = ["anon", "reader", "editor", "superuser"]
#: the roles that hold the view permission of claims
VIEWERS = {"editor", "superuser"}


@pytest.fixture
def clients(curation_groups, anon_client, reader_client, editor_client, superuser_client):
    return {"anon": anon_client, "reader": reader_client, "editor": editor_client, "superuser": superuser_client}


@pytest.fixture
def live_and_deleted(actor, source, superuser):
    live = services.claim_create(speaker=actor, source=source, kind=Claim.Kind.PARAPHRASE, text="Still here")
    gone = services.claim_create(speaker=actor, source=source, kind=Claim.Kind.PARAPHRASE, text="Said in error",
                                 user=superuser)
    services.claim_update(claim=gone, data={"speaker_role": "Secret role"}, user=superuser)
    gone_id = gone.pk
    services.claim_delete(claim=gone)
    return live, gone_id


def feed_of(client, claim_id):
    response = client.get(url("changes"), {"resource": "claims", "page_size": 500})
    return response, [c for c in (response.json().get("results", []) if response.status_code == 200 else [])
                      if c["object_id"] == claim_id]


@pytest.mark.parametrize("role", ROLES)
def test_live_default(settings, clients, live_and_deleted, role):
    """The default: anyone reads a live record's history and the feed; a deleted record's history and contents
    only with the model's view permission; its changes stay in the feed (id and type) for everyone."""
    assert settings.API_HISTORY_ACCESS == "live"
    client, (live, gone) = clients[role], live_and_deleted
    assert client.get(url("claims", live.pk, "history")).status_code == 200
    deleted_history = client.get(url("claims", gone, "history"))
    assert deleted_history.status_code == (200 if role in VIEWERS else 404)
    if role in VIEWERS:
        assert [v["type"] for v in deleted_history.json()["results"]] == ["deleted", "changed", "created"]

    response, changes = feed_of(client, gone)
    assert response.status_code == 200
    assert [c["type"] for c in changes] == ["created", "changed", "deleted"]  # so a mirror can delete it
    assert all(c["url"].endswith(f"/claims/{gone}/") for c in changes)
    text = response.content.decode()
    if role in VIEWERS:
        assert {"field": "speaker_role", "old": "", "new": "Secret role"} in changes[1]["changes"]
        assert changes[0]["user"] == "admin"
    else:
        assert "Secret role" not in text and "Said in error" not in text and '"admin"' not in text
        assert [c["changes"] for c in changes] == [None, None, []]
        assert {c["reason"] for c in changes} == {None} and {c["user"] for c in changes} == {None}
    # A live record's changes are there in full for everyone.
    _, live_changes = feed_of(client, live.pk)
    assert {"field": "text", "old": None, "new": "Still here"} in live_changes[0]["changes"]


@pytest.mark.parametrize("role", ROLES)
def test_public(settings, clients, live_and_deleted, role):
    settings.API_HISTORY_ACCESS = "public"
    client, (live, gone) = clients[role], live_and_deleted
    assert client.get(url("claims", live.pk, "history")).status_code == 200
    assert client.get(url("claims", gone, "history")).status_code == 200
    _, changes = feed_of(client, gone)
    assert {"field": "speaker_role", "old": "", "new": "Secret role"} in changes[1]["changes"]


@pytest.mark.parametrize("role", ROLES)
def test_private(settings, clients, live_and_deleted, role):
    """Only users with the view permission read history at all; anyone else gets 401 (no credentials) or 403."""
    settings.API_HISTORY_ACCESS = "private"
    client, (live, gone) = clients[role], live_and_deleted
    refused = {"anon": 401, "reader": 403}.get(role)
    for path in (url("claims", live.pk, "history"), url("claims", gone, "history"), url("changes")):
        response = client.get(path)
        assert response.status_code == (refused or 200), (path, response.content)
        if refused:
            assert "Secret role" not in response.content.decode()
    if not refused:
        _, changes = feed_of(client, gone)
        assert {"field": "speaker_role", "old": "", "new": "Secret role"} in changes[1]["changes"]


def test_private_feed_lists_only_the_resources_a_user_may_view(settings, clients, live_and_deleted, django_user_model):
    from django.contrib.auth.models import Permission

    from tests.api.conftest import _client_for

    settings.API_HISTORY_ACCESS = "private"
    user = django_user_model.objects.create_user("claims-viewer")
    user.user_permissions.add(Permission.objects.get(codename="view_claim"))
    response = _client_for(user).get(url("changes"), {"page_size": 500})
    assert response.status_code == 200
    assert {c["resource"] for c in response.json()["results"]} == {"claims"}
    assert _client_for(user).get(url("actors", live_and_deleted[0].speaker_id, "history")).status_code == 403


def test_an_unknown_setting_fails_at_start():
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'factbase.settings'; "
                               "django.setup()"],
        env={**__import__("os").environ, "DJANGO_API_HISTORY_ACCESS": "everyone"}, capture_output=True, text=True)
    assert result.returncode != 0 and "DJANGO_API_HISTORY_ACCESS must be live, public or private" in result.stderr
