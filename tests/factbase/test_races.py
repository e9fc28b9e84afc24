"""Races: real threads, each with its own database connection, sending real requests at the same moment.

Every write of a claim takes its source's row lock before its own, and so does every edit of a source
(factbase/services/__init__.py, "Locks"), so two writes that would break the rule "a claim's span is its source's text"
run one after the other. Each test repeats its race many times (a race that is lost one time in ten
is seen with near certainty in 40 trials), then checks the invariants with ``check_integrity``: every
span is its source's text, every verified claim has its verifier and date, every record's history ends
in the record as it is. Nothing may be half-written, and no request may fail with a server error: the
loser of a race gets a 4xx that says why.

PostgreSQL only: SQLite runs one write transaction at a time (Factbase opens them with BEGIN
IMMEDIATE), and the test database there is in one process's memory.
"""

from __future__ import annotations

import json
import threading
import time

import pytest
from django.db import connection, connections
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from factbase import services
from factbase.integrity import check_integrity
from factbase.models import Actor, Claim, Source

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="races need PostgreSQL's concurrent connections"),
]

TRIALS = 40
QUOTE = "We will not raise fuel prices this winter."
OTHER_QUOTE = "Prices will stay frozen until spring."
TEXT = f"The minister said: “{QUOTE}” Later she added: “{OTHER_QUOTE}” Critics were not convinced."


def client_for(user) -> APIClient:
    token, _ = Token.objects.get_or_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def race(*actions):
    """Run the actions at the same moment, each in its own thread with its own connection; their results
    (or the exception each raised), in order."""
    barrier = threading.Barrier(len(actions))
    results: list = [None] * len(actions)

    def run(i, action):
        try:
            barrier.wait(timeout=30)
            results[i] = action()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, action)) for i, action in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a request never finished (a deadlock?)"
    for result in results:
        assert not isinstance(result, BaseException), repr(result)
    return results


def statuses(*responses) -> list[int]:
    for response in responses:
        assert response.status_code < 500, response.content
        assert response.status_code == 204 or response["Content-Type"].startswith("application/json")
    return [response.status_code for response in responses]


def assert_invariants():
    results = check_integrity(["spans", "quotes", "verification", "history"], limit=5)
    assert all(result.ok for result in results), {r.name: r.examples for r in results if not r.ok}


@pytest.fixture
def editors(curation_groups, django_user_model):
    from django.contrib.auth.models import Group

    group = Group.objects.get(name="Editors")
    users = []
    for name in ("editor-a", "editor-b"):
        user = django_user_model.objects.create_user(name, password="pass-123-pass", is_staff=True)
        user.groups.add(group)
        users.append(user)
    return users


@pytest.fixture
def actor(transactional_db):
    return services.actor_create(name="Jane Minister", kind=Actor.Kind.PERSON)


def new_source(trial: int, text: str = TEXT) -> Source:
    return services.source_create(title=f"Fuel prices, take {trial}", url=f"https://example.org/fuel/{trial}",
                                  published_on="2022-01-08", language="en", text=text)


def test_a_source_edit_racing_a_new_quote_never_leaves_a_span_on_other_words(editors, actor):
    """The race of the report: an editor changes a source's text while a contributor quotes it."""
    editor, contributor = (client_for(user) for user in editors)
    for trial in range(TRIALS):
        source = new_source(trial)
        moved = "Update: this article was corrected. " * (1 + trial % 3) + TEXT
        removed = TEXT.replace(QUOTE, "We will see about fuel prices.")
        new_text = moved if trial % 2 == 0 else removed
        edit, create = race(
            lambda: editor.patch(f"/api/v1/sources/{source.pk}/", {"text": new_text}, format="json"),
            lambda: contributor.post("/api/v1/claims/", {"speaker": actor.pk, "source": source.pk, "text": QUOTE,
                                                          "kind": "direct_quote"}, format="json"),
        )
        codes = statuses(edit, create)
        source.refresh_from_db()
        claims = list(Claim.objects.filter(source=source))
        if new_text is removed:
            # Both cannot win: either the text lost the quote first (the claim is refused), or the claim was
            # made first (then the edit that would drop its words is refused).
            assert sorted(codes) in ([200, 400], [201, 400]), codes
            assert (source.text == removed) == (len(claims) == 0)
        else:
            assert codes == [200, 201]
            assert source.text == moved and len(claims) == 1
        for claim in claims:
            assert source.text[claim.span_start:claim.span_end] == claim.span_exact
    assert_invariants()


def test_a_source_edit_racing_a_claim_edit(editors, actor):
    editor, contributor = (client_for(user) for user in editors)
    for trial in range(TRIALS):
        source = new_source(trial)
        claim = services.claim_create(speaker=actor, source=source, text=QUOTE)
        moved = "Update: corrected. " * (1 + trial % 3) + TEXT
        edit, change = race(
            lambda: editor.patch(f"/api/v1/sources/{source.pk}/", {"text": moved}, format="json"),
            lambda: contributor.patch(f"/api/v1/claims/{claim.pk}/", {"text": OTHER_QUOTE}, format="json"),
        )
        assert statuses(edit, change) == [200, 200]
        claim.refresh_from_db()
        source.refresh_from_db()
        assert source.text == moved and claim.text == OTHER_QUOTE
        assert source.text[claim.span_start:claim.span_end] == claim.span_exact == OTHER_QUOTE
    assert_invariants()


def test_a_claim_moving_to_a_source_racing_an_edit_of_that_source(editors, actor):
    editor, contributor = (client_for(user) for user in editors)
    for trial in range(TRIALS // 2):
        first, second = new_source(2 * trial), new_source(2 * trial + 1)
        claim = services.claim_create(speaker=actor, source=first, text=QUOTE)
        moved = "Correction appended at the top. " + TEXT
        edit, move = race(
            lambda: editor.patch(f"/api/v1/sources/{second.pk}/", {"text": moved}, format="json"),
            lambda: contributor.patch(f"/api/v1/claims/{claim.pk}/", {"source": second.pk}, format="json"),
        )
        assert statuses(edit, move) == [200, 200]
        claim.refresh_from_db()
        assert claim.source_id == second.pk
        assert Source.objects.get(pk=second.pk).text[claim.span_start:claim.span_end] == claim.span_exact
    assert_invariants()


def test_two_status_changes_at_once(editors, actor):
    first, second = (client_for(user) for user in editors)
    for trial in range(TRIALS):
        claim = services.claim_create(speaker=actor, source=new_source(trial), text=QUOTE)
        verify, reject = race(
            lambda: first.post(f"/api/v1/claims/{claim.pk}/status/", {"status": "verified", "note": "Checked."},
                               format="json"),
            lambda: second.post(f"/api/v1/claims/{claim.pk}/status/", {"status": "rejected", "note": "Wrong."},
                                format="json"),
        )
        assert statuses(verify, reject) == [200, 200]
        claim.refresh_from_db()
        assert claim.status in ("verified", "rejected")
        assert (claim.status == "verified") == (claim.verified_at is not None) == (claim.verified_by_id is not None)
        reasons = [r.history_change_reason for r in claim.history.order_by("history_id")]
        assert reasons[1:] in (["Status set to verified: Checked.", "Status set to rejected: Wrong."],
                               ["Status set to rejected: Wrong.", "Status set to verified: Checked."])
        assert reasons[-1].startswith(f"Status set to {claim.status}")
    assert_invariants()


def test_two_edits_with_the_same_if_match(editors, actor):
    """Two editors read the same version and change it at once: one wins, the other is told (412)."""
    first, second = (client_for(user) for user in editors)
    for trial in range(TRIALS):
        claim = services.claim_create(speaker=actor, source=new_source(trial), text=QUOTE)
        etag = first.get(f"/api/v1/claims/{claim.pk}/")["ETag"]
        a, b = race(
            lambda: first.patch(f"/api/v1/claims/{claim.pk}/", {"speaker_role": "Minister A"}, format="json",
                                HTTP_IF_MATCH=etag),
            lambda: second.patch(f"/api/v1/claims/{claim.pk}/", {"speaker_role": "Minister B"}, format="json",
                                 HTTP_IF_MATCH=etag),
        )
        codes = statuses(a, b)
        assert sorted(codes) == [200, 412], codes
        winner = "Minister A" if codes[0] == 200 else "Minister B"
        claim.refresh_from_db()
        assert claim.speaker_role == winner
        assert claim.history.count() == 2  # created, and the one change that won
    assert_invariants()


def test_an_import_racing_an_edit_of_its_source(editors, actor, tmp_path, monkeypatch):
    """``import_claims`` adds quotes of a source while an editor changes that source's text. The editor's
    request is sent just after the import has read the source (and before it writes the claims): the
    import holds the source until it commits, so the edit waits, then moves the imported claims' spans."""
    from factbase.interchange.importer import Importer, import_files

    editor = client_for(editors[0])
    read = threading.Event()
    load_texts = Importer._load_source_texts

    def load_texts_then_pause(self, ready):
        load_texts(self, ready)
        read.set()
        time.sleep(0.3)  # the edit is sent meanwhile; it must wait for the import to commit

    monkeypatch.setattr(Importer, "_load_source_texts", load_texts_then_pause)
    for trial in range(6):
        read.clear()
        source = new_source(trial)
        path = tmp_path / f"claims-{trial}.ndjson"
        records = [{"text": quote, "kind": "direct_quote", "speaker": {"name": "Jane Minister", "kind": "person"},
                    "source": {"url": source.url}} for quote in (QUOTE, OTHER_QUOTE)]
        path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
        moved = "Update: corrected. " * (1 + trial % 3) + TEXT

        def edit_after_the_import_read():
            assert read.wait(timeout=30)
            return editor.patch(f"/api/v1/sources/{source.pk}/", {"text": moved}, format="json")

        edit, report = race(edit_after_the_import_read, lambda: import_files([path], user=editors[1]))
        assert statuses(edit) == [200]
        assert not report.problems, report.problems
        source.refresh_from_db()
        assert source.text == moved
        claims = list(Claim.objects.filter(source=source))
        assert len(claims) == 2  # nothing half-written: both claims
        for claim in claims:
            assert source.text[claim.span_start:claim.span_end] == claim.span_exact
    assert_invariants()


def test_two_editors_relating_the_same_claims_at_once_make_one_relation(editors, actor):
    """A symmetric relation written both ways round at the same moment, and a relation racing the deletion
    of one of its claims: one relation or none, never two, the loser told why (400), no server error."""
    from factbase.models import ClaimRelation

    first, second = (client_for(user) for user in editors)
    source = new_source(0)
    for trial in range(TRIALS):
        a = services.claim_create(speaker=actor, source=source, text=QUOTE)
        b = services.claim_create(speaker=actor, source=source, text=OTHER_QUOTE)
        one, two = race(
            lambda: first.post("/api/v1/claim-relations/", {"claim": a.pk, "related_claim": b.pk,
                                                             "type": "same_statement"}, format="json"),
            lambda: second.post("/api/v1/claim-relations/", {"claim": b.pk, "related_claim": a.pk,
                                                              "type": "same_statement"}, format="json"),
        )
        assert sorted(statuses(one, two)) == [201, 400], (one.content, two.content)
        loser = one if one.status_code == 400 else two
        assert "already" in " ".join(loser.json()["related_claim"])
        assert ClaimRelation.objects.filter(claim__in=[a, b]).count() == 1
        c = services.claim_create(speaker=actor, source=source, text=QUOTE)
        relate, delete = race(
            lambda: first.post("/api/v1/claim-relations/", {"claim": a.pk, "related_claim": c.pk,
                                                             "type": "repeats"}, format="json"),
            lambda: second.delete(f"/api/v1/claims/{c.pk}/"),
        )
        codes = statuses(relate, delete)
        assert codes in ([201, 204], [400, 204]), codes
        assert not ClaimRelation.objects.filter(related_claim_id=c.pk).exists()
        assert not Claim.objects.filter(pk=c.pk).exists()
    assert_invariants()
