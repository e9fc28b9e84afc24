"""The seed dataset: every attributed statement of the source article of 2022-01-08, recorded faithfully."""

import json
import shutil
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from factbase.models import Actor, Claim, Outlet, Review, Source, Tag
from factbase.provenance import normalize
from factbase.seed import SEED_DIR, SEED_FILE, load_seed

pytestmark = pytest.mark.django_db


ARTICLE_NAME = "000_48f74acf3997d020.txt"
# The shared copy of the article, beside the project: ../shared/seed/ (read-only; its first line is a header)
SHARED_ARTICLE = Path(__file__).resolve().parents[2] / ".." / "shared" / "seed" / ARTICLE_NAME
ARTICLE_HEADER = " date 2022-01-08 "
SEED_DOC = json.loads(SEED_FILE.read_text(encoding="utf-8"))

FRIDAY = date(2022, 1, 7)
WEDNESDAY = date(2022, 1, 5)

# Claims the article dates "on Friday" (or "the same day", "the Atlantic Council event" of that Friday).
SAID_ON_FRIDAY = {
    ("Kassym-Yomart Tokayev", "he had authorized the use of deadly force against protesters"),
    ("Nargis Kassenova", "We should not call all these people protesters"),
    ("Dozhd", "Kazakh leaders did not refer to the country’s capital as Nur-Sultan, whose former name, Astana, "
              "was recently changed to praise Nazarbayev, in a possible sign that the former president had "
              "fallen in favor"),
    ("Dauren Abayev", "CSTO troops had been sent to protect government buildings and would not be directly "
                      "involved in operations against protesters"),
    ("Antony Blinken", "warned against the escalation of the crisis in Kazakhstan and the rise of the Russian "
                       "army near the border with Ukraine"),
    ("Antony Blinken", "a lesson from recent history is that when Russians are in your home, it is sometimes "
                       "very difficult to force them to leave"),
    ("Kassym-Yomart Tokayev", "the open door policy on foreign direct investment will remain an essential "
                              "strategy of Kazakhstan"),
    ("William Courtney", "a concern to take care of is whether Russian forces are concentrated in the northern "
                         "regions of Kazakhstan, which have significant ethnic Russian populations and have long "
                         "been a fixation of Russian nationalists"),
}
PASHINYAN_ANNOUNCEMENT = ("Nikol Pashinyan", "the alliance would send 2,500 peacekeepers in response to "
                                             "Tokayev’s request for assistance")
PASHINYAN_FACEBOOK = ("Nikol Pashinyan", "referred to foreign intervention in Kazakhstan")


def claim_of(speaker, text):
    return Claim.objects.get(speaker__name=speaker, text=text)


def all_row_counts():
    """Rows of every table of the domain, history (and the history of claim tags) included."""
    return {model._meta.label: model._default_manager.count()
            for model in apps.get_app_config("factbase").get_models(include_auto_created=True)}


# --- what the file says ---------------------------------------------------------------------------

def _named(records, key):
    """The distinct related records the claims name, by natural key (the seed names each the same way)."""
    return {key(record) for record in records if record}


def test_the_seed_file_has_the_expected_numbers_of_records():
    # The seed is in the interchange format: each claim names and describes its related records.
    claims = SEED_DOC["claims"]
    reviews = [review for c in claims for review in c.get("reviews", [])]
    assert len(claims) == 18
    actors = [c["speaker"] for c in claims] + [r["reviewer"] for r in reviews]
    assert len(_named(actors, lambda a: (a["name"], a["kind"]))) == 10
    outlets = [c["outlet"] for c in claims] + [c["source"]["outlet"] for c in claims]
    assert len(_named(outlets, lambda o: o["name"])) == 5
    sources = [c["source"] for c in claims] + [r["source"] for r in reviews]
    assert len(_named(sources, lambda s: (s["url"], s["title"], s["published_on"]))) == 1
    assert len(_named([t for c in claims for t in c.get("tags", [])], lambda t: t["slug"])) == 1
    assert len(reviews) == 1
    # every description of one related record is the same wherever the file gives it
    for records, key in ((actors, lambda a: (a["name"], a["kind"])), (outlets, lambda o: o["name"]),
                         (sources, lambda s: s["published_on"])):
        described = {}
        for record in filter(None, records):
            assert described.setdefault(key(record), record) == record


# --- what is loaded -------------------------------------------------------------------------------

def test_counts(seed):
    assert Claim.objects.count() == 18
    assert Actor.objects.count() == 10
    assert Outlet.objects.count() == 5
    assert Source.objects.count() == 1
    assert Review.objects.count() == 1
    assert Tag.objects.count() == 1
    assert dict(seed) == {
        "actors created": 10, "outlets created": 5, "tags created": 1, "sources created": 1,
        "claims created": 18, "reviews created": 1,
    }


def test_every_claim_points_at_the_words_that_report_it(seed):
    source = Source.objects.get()
    passages = {(row["speaker"]["name"], row["text"]): row.get("passage", "") for row in SEED_DOC["claims"]}
    for claim in Claim.objects.select_related("speaker"):
        assert claim.span is not None, f"{claim} has no span"
        assert claim.span_exact == source.text[claim.span_start:claim.span_end], claim
        if claim.kind == Claim.Kind.DIRECT_QUOTE:
            assert normalize(claim.text) == normalize(claim.span_exact), claim
        else:
            assert claim.kind == Claim.Kind.PARAPHRASE
            assert normalize(claim.span_exact) == normalize(passages[(claim.speaker.name, claim.text)]), claim


def test_direct_quotes_and_paraphrases(seed):
    quotes = set(Claim.objects.filter(kind="direct_quote").values_list("speaker__name", "text"))
    assert quotes == {
        ("Jennifer Brick Murtazashvili", "Means that Kazakhstan has moved away from its multi-vector foreign "
                                         "policy, where it was balancing China, Russia, the US and the EU"),
        ("Jennifer Brick Murtazashvili", "Symbolically, this is great when you ask another country to come and "
                                         "shoot at your citizens"),
        ("Jennifer Brick Murtazashvili", "The invitation of foreign troops to protect Kazakh institutions from "
                                         "their citizens raises deep questions about the country’s sovereignty"),
        ("Jennifer Brick Murtazashvili", "I think the question is, did Tokayev not trust the army?"),
        ("Nargis Kassenova", "We should not call all these people protesters"),
        ("Casey Michel", "At the moment, however, it seems that Moscow, along with Tokayev and his allies, is "
                         "mainly focused on supporting the regime and extinguishing any protests or "
                         "pro-democracy reform ideas"),
    }
    assert Claim.objects.filter(kind="paraphrase").count() == 12


def test_claims_said_on_friday_are_dated_january_7_to_the_day(seed):
    for speaker, text in SAID_ON_FRIDAY:
        claim = claim_of(speaker, text)
        assert (claim.stated_on, claim.stated_on_precision) == (FRIDAY, "day"), claim


def test_pashinyans_announcement_on_wednesday_is_january_5(seed):
    claim = claim_of(*PASHINYAN_ANNOUNCEMENT)
    assert (claim.stated_on, claim.stated_on_precision) == (WEDNESDAY, "day")
    assert claim.span_exact.startswith("On Wednesday, Armenian Prime Minister Nikol Pashinyan")


def test_undated_claims_have_no_date_and_no_precision(seed):
    dated = SAID_ON_FRIDAY | {PASHINYAN_ANNOUNCEMENT}
    undated = [c for c in Claim.objects.select_related("speaker") if (c.speaker.name, c.text) not in dated]
    assert len(undated) == 18 - 9
    for claim in undated:
        assert (claim.stated_on, claim.stated_on_precision) == (None, ""), claim
    assert Claim.objects.filter(stated_on__isnull=False).count() == 9


def test_the_source_records_only_what_the_article_gives(seed):
    source = Source.objects.get()
    assert source.url == ""
    assert source.authors == []
    assert source.outlet is None
    assert source.title == ""
    assert source.published_on == date(2022, 1, 8)
    assert source.language == "en"
    assert str(source) == "Untitled source of 2022-01-08"
    assert set(Claim.objects.values_list("source", flat=True)) == {source.pk}


def test_the_source_text_is_the_fixture_article(seed):
    assert Source.objects.get().text == (SEED_DIR / ARTICLE_NAME).read_text(encoding="utf-8")


def test_the_source_text_is_the_shared_article_without_its_header(seed):
    if not SHARED_ARTICLE.is_file():
        pytest.skip(f"the shared article is not beside the project ({SHARED_ARTICLE.resolve()} is absent)")
    raw = SHARED_ARTICLE.read_text(encoding="utf-8")
    assert raw.startswith(ARTICLE_HEADER)
    assert Source.objects.get().text == raw[len(ARTICLE_HEADER):]


def test_the_review_is_on_pashinyans_facebook_claim(seed):
    review = Review.objects.select_related("claim__speaker", "claim__outlet").get()
    assert (review.claim.speaker.name, review.claim.text) == PASHINYAN_FACEBOOK
    assert review.claim.outlet.name == "Facebook"
    assert review.rating == "unsupported"
    assert review.rating_text == "there is no evidence"
    assert review.reviewer is None
    assert review.source == Source.objects.get()
    assert review.reviewed_on == date(2022, 1, 8)
    assert "no evidence" in review.summary


def test_speakers_outlets_and_tags(seed):
    assert set(Actor.objects.filter(kind="organization").values_list("name", flat=True)) == {
        "Local police in Kazakhstan", "Dozhd"}
    assert Outlet.objects.get(name="Dozhd").kind == "broadcaster"
    assert Outlet.objects.get(name="Facebook").kind == "social_network"
    assert claim_of("Nargis Kassenova", "We should not call all these people protesters").outlet.name == (
        "Atlantic Council event")
    tag = Tag.objects.get()
    assert tag.slug == "kazakhstan-unrest-2022"
    assert tag.claims.count() == 18
    assert Actor.objects.get(name="Kassym-Yomart Tokayev").aliases == ["Tokayev"]


def test_seeded_claims_await_verification(seed):
    assert set(Claim.objects.values_list("status", flat=True)) == {"unverified"}
    assert not Claim.objects.filter(verified_at__isnull=False).exists()


# --- idempotence ---------------------------------------------------------------------------------

def test_loading_twice_changes_nothing(seed):
    before = all_row_counts()
    spans = {c.pk: (c.span, c.updated_at) for c in Claim.objects.all()}
    stats = load_seed()
    assert not stats
    assert dict(stats) == {}
    assert all_row_counts() == before
    assert {c.pk: (c.span, c.updated_at) for c in Claim.objects.all()} == spans


def test_a_changed_file_updates_only_what_changed(seed, tmp_path):
    doc = json.loads(SEED_FILE.read_text(encoding="utf-8"))
    doc["claims"][0]["speaker_role"] = "Head of State of Kazakhstan"
    shutil.copy(SEED_DIR / ARTICLE_NAME, tmp_path / ARTICLE_NAME)
    (tmp_path / "seed.json").write_text(json.dumps(doc), encoding="utf-8")
    before = all_row_counts()
    stats = load_seed(tmp_path / "seed.json")
    assert dict(stats) == {"claims updated": 1}
    assert claim_of("Kassym-Yomart Tokayev", doc["claims"][0]["text"]).speaker_role == "Head of State of Kazakhstan"
    after = all_row_counts()
    # one more history row for that claim (with a copy of its one tag) and its entry in the change feed; nothing else
    grew = {k: after[k] - before[k] for k in after if after[k] != before[k]}
    assert grew == {"factbase.HistoricalClaim": 1, "factbase.HistoricalClaim_tags": 1, "factbase.Change": 1}


# --- the curation groups -------------------------------------------------------------------------

def test_the_editors_group_may_verify_and_delete():
    codenames = set(Group.objects.get(name="Editors").permissions.values_list("codename", flat=True))
    assert "verify_claim" in codenames
    for model in ("actor", "outlet", "source", "claim", "review", "tag"):
        assert {f"{action}_{model}" for action in ("add", "change", "delete", "view")} <= codenames


def test_the_contributors_group_may_neither_verify_nor_delete():
    codenames = set(Group.objects.get(name="Contributors").permissions.values_list("codename", flat=True))
    assert "verify_claim" not in codenames
    assert not {c for c in codenames if c.startswith("delete_")}
    for model in ("actor", "outlet", "source", "claim", "review", "tag"):
        assert {f"{action}_{model}" for action in ("add", "change", "view")} <= codenames


def test_group_members_have_the_permissions(editor, contributor):
    assert editor.has_perm("factbase.verify_claim")
    assert editor.has_perm("factbase.delete_claim")
    assert not contributor.has_perm("factbase.verify_claim")
    assert not contributor.has_perm("factbase.delete_claim")
    assert contributor.has_perm("factbase.change_claim")


# --- the management command ----------------------------------------------------------------------

def test_the_load_seed_command_loads_then_says_nothing_changed():
    out = StringIO()
    call_command("load_seed", stdout=out)
    assert "Seed loaded:" in out.getvalue()
    assert "18 claims created" in out.getvalue()
    assert Claim.objects.count() == 18
    before = all_row_counts()

    out = StringIO()
    call_command("load_seed", stdout=out)
    assert out.getvalue().strip() == "Seed already loaded; nothing changed."
    assert all_row_counts() == before


def test_an_invalid_seed_loads_nothing(tmp_path):
    doc = json.loads(SEED_FILE.read_text(encoding="utf-8"))
    quote = next(c for c in doc["claims"] if c["kind"] == "direct_quote")
    quote["text"] = "A quote the article never printed"
    shutil.copy(SEED_DIR / ARTICLE_NAME, tmp_path / ARTICLE_NAME)
    (tmp_path / "seed.json").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(CommandError, match="nothing was loaded"):
        call_command("load_seed", str(tmp_path / "seed.json"), stdout=StringIO())
    assert not Actor.objects.exists() and not Claim.objects.exists() and not Source.objects.exists()
    assert set(all_row_counts().values()) == {0}
