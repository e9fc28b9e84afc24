"""Races on one suggestion: two editors accept it at the same moment, or one accepts it while another dismisses
it. ``suggestion_accept`` and ``suggestion_dismiss`` lock the source's row, then look the key up again among the
suggestions as they are now (factbase/services/suggestions.py): so the second request sees the first one's claim or
dismissal and is refused on ``key`` (400), never a second claim of the same words, never a server error.

Real threads with their own connections and real requests, repeated (a race lost one time in ten is seen
with near certainty in 20 trials). PostgreSQL only, as tests/factbase/test_races.py says why.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection

from factbase import services
from factbase.models import Claim, SuggestionDismissal
from tests.factbase.test_races import assert_invariants, client_for, race, statuses
from tests.suggestion_fakes import PUBLISHED_ON, QUOTE, TEXT, fake_extractor  # noqa: F401 - fixture

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="races need PostgreSQL's concurrent connections"),
]

TRIALS = 20


@pytest.fixture
def editors(curation_groups):
    group = Group.objects.get(name="Editors")
    users = [User.objects.create_user(f"racing-editor-{n}") for n in (1, 2)]
    for user in users:
        user.groups.add(group)
    return users


def quote_key(client, source) -> str:
    response = client.get(f"/api/v1/sources/{source.pk}/suggestions/")
    assert response.status_code == 200, response.content
    [key] = [row["key"] for row in response.json()["results"] if row["content"]["text"] == QUOTE]
    return key


def new_source(n: int):
    return services.source_create(title=f"Springfield votes, take {n}", published_on=PUBLISHED_ON, language="en",
                                  text=TEXT)


def test_two_editors_accepting_one_suggestion_make_one_claim(editors, fake_extractor):
    first, second = (client_for(user) for user in editors)
    for n in range(TRIALS):
        source = new_source(n)
        key = quote_key(first, source)
        url = f"/api/v1/sources/{source.pk}/suggestions/{key}/accept/"
        responses = race(lambda: first.post(url, {}, format="json"), lambda: second.post(url, {}, format="json"))
        assert sorted(statuses(*responses)) == [201, 400], [r.content for r in responses]
        loser = next(r for r in responses if r.status_code == 400)
        assert "key" in loser.json()
        assert Claim.objects.filter(source=source, text=QUOTE).count() == 1
        assert QUOTE not in [row["content"]["text"] for row in
                             first.get(f"/api/v1/sources/{source.pk}/suggestions/").json()["results"]]
    assert_invariants()


def test_accepting_while_another_editor_dismisses_does_one_of_the_two(editors, fake_extractor):
    accepter, dismisser = (client_for(user) for user in editors)
    for n in range(TRIALS):
        source = new_source(n)
        key = quote_key(accepter, source)
        base = f"/api/v1/sources/{source.pk}/suggestions/{key}"
        accepted, dismissed = race(lambda: accepter.post(f"{base}/accept/", {}, format="json"),
                                   lambda: dismisser.post(f"{base}/dismiss/", {}, format="json"))
        codes = statuses(accepted, dismissed)
        assert codes in ([201, 400], [400, 204]), [accepted.content, dismissed.content]
        claims = Claim.objects.filter(source=source, text=QUOTE).count()
        dismissals = SuggestionDismissal.objects.filter(source=source).count()
        assert (claims, dismissals) == ((1, 0) if codes[0] == 201 else (0, 1))
    assert_invariants()
