"""generate_claims: synthetic data in proportion, repeatable, valid, and searchable on PostgreSQL."""

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from factbase.integrity import check_integrity
from factbase.models import Actor, Claim, Outlet, Review, Source, Tag
from factbase.synthetic import Generator, Sizes

pytestmark = pytest.mark.django_db(transaction=True)


def generate(claims=2000, seed=7):
    out = StringIO()
    call_command("generate_claims", claims=claims, seed=seed, progress="no", stdout=out)
    return out.getvalue()


def test_it_fills_the_tables_in_proportion():
    output = generate(2000)
    assert Claim.objects.count() == 2000
    assert Actor.objects.count() == 40  # claims / 50
    assert Outlet.objects.count() == 5  # at least 5 (claims / 500 = 4)
    assert Source.objects.count() == 400  # claims / 5
    assert Tag.objects.count() == 40
    assert "Added 2,000 claims" in output


def test_the_rows_obey_every_model_rule():
    generate(600)
    for claim in Claim.objects.select_related("source")[:200]:
        claim.full_clean()  # fields, clean() and the constraints
    kinds = Counter(Claim.objects.values_list("kind", flat=True))
    statuses = Counter(Claim.objects.values_list("status", flat=True))
    precisions = Counter(Claim.objects.values_list("stated_on_precision", flat=True))
    assert set(kinds) == {"direct_quote", "paraphrase"}
    assert set(statuses) == {"unverified", "verified", "disputed", "rejected"}
    assert {"day", "month", "year", ""} <= set(precisions)


def test_the_data_holds_the_invariants_but_history():
    """Verified claims record their verifier (a user who cannot log in), names are folded as the models
    fold them; the generator writes no history (it measures the read path), which check_integrity says."""
    generate(600)
    results = {r.name: r for r in check_integrity(limit=3)}
    assert all(results[name].ok for name in ("spans", "quotes", "verification", "names")), results
    assert not results["history"].ok
    verified = Claim.objects.filter(status="verified").select_related("verified_by")
    assert verified.exists() and {c.verified_by.username for c in verified} == {"synthetic-verifier"}
    assert not verified.first().verified_by.is_active


def test_a_few_percent_of_claims_have_reviews_by_a_few_reviewers_rated_in_the_vocabulary():
    generate(5000)
    reviews = list(Review.objects.all())
    reviewed = {review.claim_id for review in reviews}
    assert 0.03 * 5000 <= len(reviewed) <= 0.05 * 5000
    assert len(reviews) > len(reviewed)  # some claims have two
    assert {review.rating for review in reviews} == set(Review.Rating.values)
    reviewers = {review.reviewer_id for review in reviews} - {None}
    assert 5 <= len(reviewers) <= 40
    assert any(review.reviewer_id is None for review in reviews)
    for review in Review.objects.select_related("claim")[:100]:
        review.full_clean()  # fields, clean() and the constraints (a reviewer or a source)
        if review.reviewed_on and review.claim.stated_on:
            assert review.reviewed_on > review.claim.stated_on
    # The ids go on after what is there: a review entered afterwards gets the next one.
    assert Review.objects.order_by("-id").values_list("id", flat=True)[0] == len(reviews)


def test_the_same_seed_gives_the_same_reviews_and_the_same_claims_as_without_them():
    sizes = Sizes.for_claims(3000)
    actors, outlets, sources = range(1, sizes.actors + 1), range(1, sizes.outlets + 1), range(1, sizes.sources + 1)

    def run(seed, with_reviews=True):
        generator = Generator(sizes, seed=seed)
        if with_reviews:
            generator.start_reviews(1, actors, sources)
        claims, reviews = [], []
        for row, _ in generator.claims(1, actors, outlets, sources, [1, 2], None):
            claims.append(row)
            if with_reviews:
                reviews += generator.reviews_of(row)
        return claims, reviews

    first, again, other = run(3), run(3), run(4)
    assert first == again and first[1] != other[1] and first[1]
    assert run(3, with_reviews=False)[0] == first[0]


def test_texts_are_sentences_of_15_to_40_words_with_a_zipf_like_vocabulary():
    generate(1000)
    lengths = [len(text.split()) for text in Claim.objects.values_list("text", flat=True)]
    assert min(lengths) >= 15 and max(lengths) <= 40
    words = Counter(w.strip(".").lower() for t in Claim.objects.values_list("text", flat=True) for w in t.split())
    ranked = [n for _, n in words.most_common()]
    # The most common word is far more common than the hundredth, which is more common than most.
    assert ranked[0] > 10 * ranked[99] > 0
    assert len(words) > 1000


def test_a_few_speakers_are_prolific_and_most_have_a_handful():
    generate(5000)
    per_speaker = sorted(Counter(Claim.objects.values_list("speaker_id", flat=True)).values(), reverse=True)
    assert per_speaker[0] > 20 * per_speaker[len(per_speaker) // 2]


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data():
    sizes = Sizes.for_claims(300)

    def rows(seed):
        generator = Generator(sizes, seed=seed)
        actors, outlets = range(1, sizes.actors + 1), range(1, sizes.outlets + 1)
        return [row for row, _ in generator.claims(1, actors, outlets, range(1, sizes.sources + 1), [1, 2], None)]

    first, again, other = rows(3), rows(3), rows(4)
    assert first == again
    assert first != other


def test_a_second_run_adds_after_what_is_there():
    generate(500, seed=1)
    generate(500, seed=2)
    assert Claim.objects.count() == 1000
    # New ids follow on, and the id sequence still works for a claim entered afterwards.
    assert Claim.objects.order_by("-id").values_list("id", flat=True)[0] == Claim.objects.count()


@pytest.mark.postgres_only
def test_on_postgresql_every_claim_has_its_search_vector_and_indexes_are_back():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    generate(3000)  # an empty table: the bulk path drops and rebuilds the indexes
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM factbase_claim "
                       "WHERE search_vector IS DISTINCT FROM factbase_claim_search_vector(text, speaker_id)")
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'factbase_claim'")
        indexes = {row[0] for row in cursor.fetchall()}
    assert {"claim_search_vector", "claim_stated_key_id", "claim_created_at_id"} <= indexes
    generate(100, seed=9)  # a small addition goes through the triggers
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM factbase_claim WHERE search_vector IS NULL")
        assert cursor.fetchone()[0] == 0
