"""Row-level rules: each database constraint refuses a bad row even when ``full_clean()`` is bypassed
(``objects.create``, ``save()``, ``update()``), and ``full_clean()`` reports the same rule by field or
by name. Then ``Claim.clean()``: a claim's span is found in its source's text.
"""

from contextlib import contextmanager
from datetime import date

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from factbase.models import Actor, Claim, Outlet, Review, Source, Tag

pytestmark = pytest.mark.django_db


@contextmanager
def db_refuses(constraint, *, columns=()):
    """The database refuses the write, naming the constraint (PostgreSQL always names it; SQLite names
    CHECK constraints and lists the columns of a UNIQUE one)."""
    with pytest.raises(IntegrityError) as excinfo:
        with transaction.atomic():
            yield
    message = str(excinfo.value)
    assert constraint in message or (columns and all(c in message for c in columns)), message


def clean_errors(instance, **kwargs):
    """The errors ``full_clean()`` reports, by field."""
    with pytest.raises(ValidationError) as excinfo:
        instance.full_clean(**kwargs)
    return excinfo.value.message_dict


def rule_errors(instance):
    return clean_errors(instance).get(NON_FIELD_ERRORS, [])


# --- actors --------------------------------------------------------------------------------------

class TestActorConstraints:
    def test_name_and_kind_are_unique(self):
        Actor.objects.create(name="Dozhd", kind="organization")
        with db_refuses("actor_name_kind_unique", columns=("name", "kind")):
            Actor.objects.create(name="Dozhd", kind="organization")
        # the same name with another kind is another actor
        Actor.objects.create(name="Dozhd", kind="person")
        assert Actor.objects.filter(name="Dozhd").count() == 2

    def test_full_clean_reports_a_duplicate_actor(self):
        Actor.objects.create(name="Dozhd", kind="organization")
        assert "An actor of this kind with this name already exists." in rule_errors(
            Actor(name="Dozhd", kind="organization"))
        Actor(name="Dozhd", kind="person").full_clean()

    def test_a_wikidata_id_is_unique_when_set(self):
        Actor.objects.create(name="A", wikidata_id="Q42")
        with db_refuses("actor_wikidata_id_unique", columns=("wikidata_id",)):
            Actor.objects.create(name="B", wikidata_id="Q42")
        assert "Another actor has this Wikidata id." in rule_errors(Actor(name="C", wikidata_id="Q42"))

    def test_many_actors_may_have_no_wikidata_id(self):
        Actor.objects.create(name="A", wikidata_id="")
        Actor.objects.create(name="B", wikidata_id="")
        Actor(name="C", wikidata_id="").full_clean()
        assert Actor.objects.filter(wikidata_id="").count() == 2

    def test_a_wikidata_id_can_be_changed_to_another_actors_only_in_error(self):
        Actor.objects.create(name="A", wikidata_id="Q1")
        b = Actor.objects.create(name="B", wikidata_id="Q2")
        with db_refuses("actor_wikidata_id_unique", columns=("wikidata_id",)):
            Actor.objects.filter(pk=b.pk).update(wikidata_id="Q1")
        # an actor does not clash with itself
        b.full_clean()

    @pytest.mark.parametrize("wikidata_id", ["Q1", "Q123", "Q7747", "Q1000000000"])
    def test_a_well_formed_wikidata_id_is_accepted(self, wikidata_id):
        actor = Actor(name="A", wikidata_id=wikidata_id)
        actor.full_clean()
        actor.save()
        assert Actor.objects.get(wikidata_id=wikidata_id) == actor

    @pytest.mark.parametrize("wikidata_id", ["123", "Qabc", "Q0", "Q012", "q123", "Q12a", "Q", "P31",
                                             " Q123", "Q123 ", "Q123\n", "Q-1"])
    def test_a_malformed_wikidata_id_is_refused(self, wikidata_id):
        with db_refuses("actor_wikidata_id_format"):
            Actor.objects.create(name="A", wikidata_id=wikidata_id)
        assert "A Wikidata id is Q followed by digits, e.g. Q123." in rule_errors(
            Actor(name="B", wikidata_id=wikidata_id))
        assert not Actor.objects.exists()

    def test_an_update_cannot_bypass_the_format(self):
        actor = Actor.objects.create(name="A", wikidata_id="Q5")
        with db_refuses("actor_wikidata_id_format"):
            Actor.objects.filter(pk=actor.pk).update(wikidata_id="Q0")
        actor.refresh_from_db()
        assert actor.wikidata_id == "Q5"

    def test_kind_and_name(self):
        with db_refuses("actor_kind_valid"):
            Actor.objects.create(name="A", kind="robot")
        with db_refuses("actor_name_not_empty"):
            Actor.objects.create(name="", kind="person")
        errors = clean_errors(Actor(name="", kind="robot"))
        assert set(errors) >= {"name", "kind"}


# --- outlets, tags -------------------------------------------------------------------------------

class TestOutletConstraints:
    def test_the_name_is_unique(self):
        Outlet.objects.create(name="Facebook", kind="social_network")
        with db_refuses("name", columns=("name",)):
            Outlet.objects.create(name="Facebook", kind="website")
        assert clean_errors(Outlet(name="Facebook"))["name"] == ["An outlet with this name already exists."]
        Outlet(name="Facebook Live").full_clean()

    def test_kind_is_valid(self):
        with db_refuses("outlet_kind_valid"):
            Outlet.objects.create(name="X", kind="pigeon")
        assert "kind" in clean_errors(Outlet(name="X", kind="pigeon"))


class TestTagConstraints:
    def test_the_slug_is_unique(self):
        Tag.objects.create(name="Kazakhstan", slug="kazakhstan")
        with db_refuses("slug", columns=("slug",)):
            Tag.objects.create(name="Kazakhstan unrest", slug="kazakhstan")
        assert clean_errors(Tag(name="Other", slug="kazakhstan"))["slug"] == ["A tag with this slug already exists."]
        Tag(name="Other", slug="kazakhstan-2022").full_clean()

    def test_the_name_is_unique(self):
        Tag.objects.create(name="Kazakhstan", slug="kazakhstan")
        with db_refuses("name", columns=("name",)):
            Tag.objects.create(name="Kazakhstan", slug="kz")
        assert clean_errors(Tag(name="Kazakhstan", slug="kz"))["name"] == ["A tag with this name already exists."]

    def test_name_and_slug_are_not_empty(self):
        with db_refuses("tag_name_slug_not_empty"):
            Tag.objects.create(name="Kazakhstan", slug="")
        assert "slug" in clean_errors(Tag(name="Kazakhstan", slug=""))


# --- sources -------------------------------------------------------------------------------------

class TestSourceConstraints:
    def test_a_url_is_unique_when_set(self):
        Source.objects.create(title="A", url="https://example.org/a")
        with db_refuses("source_url_unique", columns=("url",)):
            Source.objects.create(title="B", url="https://example.org/a")
        assert "Another source has this URL." in rule_errors(Source(title="C", url="https://example.org/a"))

    def test_many_sources_may_have_no_url(self):
        Source.objects.create(title="A", url="")
        Source.objects.create(title="B", url="")
        Source(title="C", url="").full_clean()
        assert Source.objects.filter(url="").count() == 2

    @pytest.mark.parametrize("fields", [
        {"title": "A title"}, {"url": "https://example.org/x"}, {"text": "Only the text."},
    ])
    def test_a_title_a_url_or_a_text_is_enough(self, fields):
        source = Source(**fields)
        source.full_clean()
        source.save()
        assert Source.objects.count() == 1

    def test_a_source_with_neither_title_nor_url_nor_text_is_refused(self):
        with db_refuses("source_identifiable"):
            Source.objects.create(title="", url="", text="", language="en", published_on=date(2022, 1, 8))
        assert "A source needs a title, a URL or its text." in rule_errors(
            Source(language="en", published_on=date(2022, 1, 8)))

    def test_an_update_cannot_empty_a_source(self):
        source = Source.objects.create(title="A")
        with db_refuses("source_identifiable"):
            Source.objects.filter(pk=source.pk).update(title="")
        source.refresh_from_db()
        assert source.title == "A"

    @pytest.mark.parametrize("language", ["en", "ru", "pt-BR", "zh-Hant-TW"])
    def test_a_language_code_is_accepted(self, language):
        Source(title="A", language=language).full_clean()

    @pytest.mark.parametrize("language", ["English", "EN", "e", "en_US", "en-", "en\n"])
    def test_a_malformed_language_code_is_refused(self, language):
        assert clean_errors(Source(title="A", language=language))["language"] == [
            "Enter a language code such as en or pt-BR."]


# --- claims --------------------------------------------------------------------------------------

@pytest.fixture
def make_claim(actor, source):
    """Save a claim row directly, bypassing full_clean()."""
    def make(**fields):
        values = {"speaker": actor, "source": source, "text": "Something was said.", "kind": "paraphrase"}
        values.update(fields)
        return Claim.objects.create(**values)
    return make


@pytest.fixture
def new_claim(actor, source):
    """An unsaved claim, to run full_clean() on."""
    def new(**fields):
        values = {"speaker": actor, "source": source, "text": "Something was said.", "kind": "paraphrase"}
        values.update(fields)
        return Claim(**values)
    return new


class TestClaimConstraints:
    def test_a_plain_claim_is_accepted(self, make_claim, new_claim):
        new_claim().full_clean()
        claim = make_claim()
        assert claim.status == "unverified" and claim.span is None

    def test_kind_is_valid(self, make_claim, new_claim):
        with db_refuses("claim_kind_valid"):
            make_claim(kind="rumour")
        assert "kind" in clean_errors(new_claim(kind="rumour"))

    def test_status_is_valid(self, make_claim, new_claim):
        with db_refuses("claim_status_valid"):
            make_claim(status="approved", status_changed_at=timezone.now())  # (a changed status has its time)
        assert "status" in clean_errors(new_claim(status="approved"))

    def test_an_update_cannot_set_an_unknown_status(self, make_claim):
        claim = make_claim()
        with db_refuses("claim_status_valid"):
            Claim.objects.filter(pk=claim.pk).update(status="approved", status_changed_at=timezone.now())

    def test_the_text_is_not_empty(self, make_claim, new_claim):
        with db_refuses("claim_text_not_empty"):
            make_claim(text="")
        assert "text" in clean_errors(new_claim(text=""))
        assert clean_errors(new_claim(text="  \n "))["text"] == ["A claim needs its text."]

    @pytest.mark.parametrize("stated_on, precision", [
        (None, ""), (date(2022, 1, 7), "day"), (date(2022, 1, 1), "month"), (date(2022, 1, 1), "year"),
        (date(2019, 3, 1), "month"),
    ])
    def test_a_date_with_its_precision_is_accepted(self, make_claim, new_claim, stated_on, precision):
        new_claim(stated_on=stated_on, stated_on_precision=precision).full_clean()
        claim = make_claim(stated_on=stated_on, stated_on_precision=precision)
        claim.refresh_from_db()
        assert (claim.stated_on, claim.stated_on_precision) == (stated_on, precision)

    def test_a_precision_needs_a_date(self, make_claim, new_claim):
        with db_refuses("claim_precision_valid"):
            make_claim(stated_on=None, stated_on_precision="day")
        assert clean_errors(new_claim(stated_on=None, stated_on_precision="day"))["stated_on"] == [
            "Give the date, or leave the precision empty."]

    def test_a_date_needs_a_precision(self, make_claim, new_claim):
        with db_refuses("claim_precision_valid"):
            make_claim(stated_on=date(2022, 1, 7), stated_on_precision="")
        assert clean_errors(new_claim(stated_on=date(2022, 1, 7)))["stated_on_precision"] == [
            "Say how precise the date is: day, month or year."]

    def test_an_unknown_precision_is_refused(self, make_claim, new_claim):
        with db_refuses("claim_precision_valid"):
            make_claim(stated_on=date(2022, 1, 7), stated_on_precision="week")
        assert "stated_on_precision" in clean_errors(new_claim(stated_on=date(2022, 1, 7), stated_on_precision="week"))

    def test_removing_the_date_of_a_dated_claim_is_refused_by_the_database(self, make_claim):
        claim = make_claim(stated_on=date(2022, 1, 7), stated_on_precision="day")
        with db_refuses("claim_precision_valid"):
            Claim.objects.filter(pk=claim.pk).update(stated_on=None)

    @pytest.mark.parametrize("stated_on", [date(2019, 3, 15), date(2019, 3, 2), date(2019, 3, 31)])
    def test_month_precision_needs_the_first_day(self, make_claim, new_claim, stated_on):
        with db_refuses("claim_month_precision_first_day"):
            make_claim(stated_on=stated_on, stated_on_precision="month")
        errors = clean_errors(new_claim(stated_on=stated_on, stated_on_precision="month"))
        assert any("first day of the month" in m for m in errors["stated_on"])

    @pytest.mark.parametrize("stated_on", [date(2019, 3, 1), date(2019, 1, 15), date(2019, 12, 31)])
    def test_year_precision_needs_january_1(self, make_claim, new_claim, stated_on):
        with db_refuses("claim_year_precision_first_day"):
            make_claim(stated_on=stated_on, stated_on_precision="year")
        errors = clean_errors(new_claim(stated_on=stated_on, stated_on_precision="year"))
        assert any("January 1" in m for m in errors["stated_on"])

    def test_a_coarser_precision_cannot_be_set_on_a_day_by_update(self, make_claim):
        claim = make_claim(stated_on=date(2022, 1, 7), stated_on_precision="day")
        with db_refuses("claim_month_precision_first_day"):
            Claim.objects.filter(pk=claim.pk).update(stated_on_precision="month")
        with db_refuses("claim_year_precision_first_day"):
            Claim.objects.filter(pk=claim.pk).update(stated_on=date(2022, 2, 1), stated_on_precision="year")
        claim.refresh_from_db()
        assert (claim.stated_on, claim.stated_on_precision) == (date(2022, 1, 7), "day")

    def test_the_month_and_year_rules_are_reported_by_name_too(self, new_claim):
        # validate_constraints() alone, as a form would when clean() passed: the rules by their messages
        with pytest.raises(ValidationError) as excinfo:
            new_claim(stated_on=date(2019, 3, 15), stated_on_precision="month").validate_constraints()
        assert "With month precision, the date is the first day of the month." in excinfo.value.messages
        with pytest.raises(ValidationError) as excinfo:
            new_claim(stated_on=date(2019, 3, 1), stated_on_precision="year").validate_constraints()
        assert "With year precision, the date is January 1 of the year." in excinfo.value.messages

    # spans: the source text is SAMPLE_TEXT (tests/conftest.py)

    def test_a_valid_span_is_accepted(self, make_claim, source):
        start = source.text.index("the promise was empty")
        claim = make_claim(span_start=start, span_end=start + 21, span_exact="the promise was empty")
        claim.refresh_from_db()
        assert source.text[claim.span_start:claim.span_end] == claim.span_exact

    @pytest.mark.parametrize("span", [
        {"span_start": 10, "span_end": None, "span_exact": ""},
        {"span_start": None, "span_end": 10, "span_exact": ""},
        {"span_start": 10, "span_end": 15, "span_exact": ""},
        {"span_start": None, "span_end": None, "span_exact": "said"},
        {"span_start": 10, "span_end": None, "span_exact": "said"},
    ])
    def test_a_span_is_all_or_nothing(self, make_claim, new_claim, span):
        with db_refuses("claim_span_valid"):
            make_claim(**span)
        with pytest.raises(ValidationError) as excinfo:
            new_claim(**span).validate_constraints()
        assert "A span has a start before its end, and its text is exactly that long." in excinfo.value.messages

    @pytest.mark.parametrize("span", [
        {"span_start": 10, "span_end": 10, "span_exact": ""},
        {"span_start": 14, "span_end": 10, "span_exact": "said"},
        {"span_start": 10, "span_end": 10, "span_exact": "said"},
    ])
    def test_a_span_starts_before_it_ends(self, make_claim, new_claim, span):
        with db_refuses("claim_span_valid"):
            make_claim(**span)
        with pytest.raises(ValidationError) as excinfo:
            new_claim(**span).validate_constraints()
        assert "A span has a start before its end, and its text is exactly that long." in excinfo.value.messages

    @pytest.mark.parametrize("span_end", [13, 15, 100])
    def test_a_span_is_exactly_as_long_as_its_text(self, make_claim, new_claim, span_end):
        with db_refuses("claim_span_valid"):
            make_claim(span_start=10, span_end=span_end, span_exact="said")
        with pytest.raises(ValidationError) as excinfo:
            new_claim(span_start=10, span_end=span_end, span_exact="said").validate_constraints()
        assert "A span has a start before its end, and its text is exactly that long." in excinfo.value.messages

    def test_span_length_counts_characters_not_bytes(self, make_claim, actor):
        # “ and ’ are three bytes in UTF-8: both databases must count characters, as Python does.
        exact = "“It’s” — Ж…"
        source = Source.objects.create(title="Typography", text=f"Before {exact} after.")
        claim = make_claim(source=source, span_start=7, span_end=7 + len(exact), span_exact=exact)
        claim.refresh_from_db()
        assert claim.span_exact == exact

    def test_an_update_cannot_break_a_span(self, make_claim, source):
        said = source.text.index("said")
        claim = make_claim(span_start=said, span_end=said + 4, span_exact="said")
        with db_refuses("claim_span_valid"):
            Claim.objects.filter(pk=claim.pk).update(span_end=said + 10)

    # The span and the source's text, two rows: the database holds them equal (migration 0008).

    def test_a_span_that_is_not_the_source_text_is_refused(self, make_claim, source):
        said = source.text.index("said")
        with db_refuses("claim_span_matches_source"):
            make_claim(span_start=said + 1, span_end=said + 5, span_exact="said")
        claim = make_claim(span_start=said, span_end=said + 4, span_exact="said")
        with db_refuses("claim_span_matches_source"):
            Claim.objects.filter(pk=claim.pk).update(span_start=said + 1, span_end=said + 5)
        other = Source.objects.create(title="Another", text="Nobody said anything here at all, ever.")
        with db_refuses("claim_span_matches_source"):  # moved to a source where those offsets hold other words
            Claim.objects.filter(pk=claim.pk).update(source=other)
        claim.refresh_from_db()
        assert source.text[claim.span_start:claim.span_end] == claim.span_exact == "said"

    @pytest.mark.skipif(connection.vendor != "postgresql",
                        reason="SQLite has no deferred triggers (see migration 0008)")
    def test_a_source_text_that_no_longer_holds_a_span_is_refused_at_commit(self, make_claim, source):
        said = source.text.index("said")
        make_claim(span_start=said, span_end=said + 4, span_exact="said")
        with db_refuses("claim_span_matches_source"):
            Source.objects.filter(pk=source.pk).update(text="XX" + source.text)
            # Checked when the transaction commits (the claims move after their text); this test's
            # transaction never commits, so the check is asked for now.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        # A text that keeps the span where it was is fine.
        Source.objects.filter(pk=source.pk).update(text=source.text + " More text after.")
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    def test_a_verified_claim_records_when(self, make_claim, new_claim, editor):
        claim = make_claim(status="verified", verified_at=timezone.now(), verified_by=editor,
                           status_changed_at=timezone.now(), status_changed_by=editor)
        assert claim.status == "verified"
        with db_refuses("claim_verified_has_time"):
            make_claim(status="verified", verified_at=None, status_changed_at=timezone.now())
        assert "A verified claim records when it was verified; only a verified one does." in rule_errors(
            new_claim(status="verified"))

    @pytest.mark.parametrize("status", ["unverified", "disputed", "rejected"])
    def test_only_a_verified_claim_has_a_verification(self, make_claim, new_claim, editor, status):
        with db_refuses("claim_verified_has_time"):
            make_claim(status=status, verified_at=timezone.now(), status_changed_at=timezone.now())
        with db_refuses("claim_verified_has_time"):
            make_claim(status=status, verified_by=editor, status_changed_at=timezone.now())
        assert "A verified claim records when it was verified; only a verified one does." in rule_errors(
            new_claim(status=status, verified_at=timezone.now()))

    def test_unverifying_by_update_must_clear_the_verification(self, make_claim, editor):
        claim = make_claim(status="verified", verified_at=timezone.now(), verified_by=editor,
                           status_changed_at=timezone.now(), status_changed_by=editor)
        with db_refuses("claim_verified_has_time"):
            Claim.objects.filter(pk=claim.pk).update(status="disputed")
        Claim.objects.filter(pk=claim.pk).update(status="disputed", verified_at=None, verified_by=None)


# --- reviews -------------------------------------------------------------------------------------

class TestReviewConstraints:
    @pytest.fixture
    def claim_row(self, make_claim):
        return make_claim()

    def test_the_rating_is_valid(self, claim_row, source):
        Review.objects.create(claim=claim_row, source=source, rating="unsupported")
        with db_refuses("review_rating_valid"):
            Review.objects.create(claim=claim_row, source=source, rating="pants_on_fire")
        assert "rating" in clean_errors(Review(claim=claim_row, source=source, rating="pants_on_fire"))
        assert "rating" in clean_errors(Review(claim=claim_row, source=source, rating=""))

    def test_a_review_names_its_reviewer_or_where_it_was_published(self, claim_row, source, actor):
        Review.objects.create(claim=claim_row, reviewer=actor, rating="false")
        Review.objects.create(claim=claim_row, source=source, rating="false")
        Review(claim=claim_row, reviewer=actor, rating="false").full_clean()
        with db_refuses("review_has_reviewer_or_source"):
            Review.objects.create(claim=claim_row, rating="false")
        assert "A review names its reviewer or where it was published." in rule_errors(
            Review(claim=claim_row, rating="false"))
        assert Review.objects.count() == 2


# --- Claim.clean(): finding the span -------------------------------------------------------------

class TestClaimSpan:
    def test_a_direct_quote_not_in_the_source_is_refused_on_text(self, new_claim):
        claim = new_claim(kind="direct_quote", text="We will raise fuel prices.")
        errors = clean_errors(claim)
        assert list(errors) == ["text"]
        assert "does not occur in the source text" in errors["text"][0]
        assert claim.span is None

    def test_a_direct_quote_is_found_despite_curly_quotes_and_line_breaks(self, new_claim, source):
        claim = new_claim(kind="direct_quote", text='the minister\'s office added that "prices will stay frozen"')
        claim.full_clean()
        assert source.text[claim.span_start:claim.span_end] == claim.span_exact
        assert claim.span_exact == "the minister’s office\nadded that “prices   will stay frozen”"
        claim.save()
        claim.refresh_from_db()
        assert source.text[claim.span_start:claim.span_end] == claim.span_exact

    def test_a_direct_quote_is_found_despite_case(self, new_claim, source):
        claim = new_claim(kind="direct_quote", text="we WILL not raise fuel prices this winter")
        claim.full_clean()
        assert claim.span_exact == "We will not raise fuel prices this winter"
        assert claim.span_start == source.text.index("We will not")

    def test_a_repeated_quote_takes_the_first_occurrence_or_the_one_near_the_hint(self, new_claim, source):
        first = source.text.index("prices   will stay frozen")
        second = source.text.index("prices will stay frozen")
        claim = new_claim(kind="direct_quote", text="prices will stay frozen")
        claim.full_clean()
        assert claim.span_start == first
        hinted = new_claim(kind="direct_quote", text="prices will stay frozen", span_start=second)
        hinted.full_clean()
        assert (hinted.span_start, hinted.span_exact) == (second, "prices will stay frozen")

    def test_a_paraphrase_with_a_passage_locates_it(self, new_claim, source):
        claim = new_claim(kind="paraphrase", text="Critics said the promise meant nothing.",
                          span_exact="critics answered that THE PROMISE was empty.")
        claim.full_clean()
        assert claim.span_exact == "Critics answered that the promise was empty."
        assert source.text[claim.span_start:claim.span_end] == claim.span_exact

    def test_a_paraphrase_passage_that_is_not_there_is_refused_on_span_exact(self, new_claim):
        claim = new_claim(kind="paraphrase", span_exact="Critics applauded.")
        errors = clean_errors(claim)
        assert list(errors) == ["span_exact"]
        assert "This passage does not occur in the source text" in errors["span_exact"][0]

    def test_a_paraphrase_without_a_passage_has_no_span(self, new_claim):
        claim = new_claim(kind="paraphrase", text="They promised stable prices.")
        claim.full_clean()
        assert claim.span is None
        assert (claim.span_start, claim.span_end, claim.span_exact) == (None, None, "")

    def test_a_paraphrase_whose_passage_is_emptied_loses_its_span(self, new_claim):
        claim = new_claim(kind="paraphrase", span_exact="the promise was empty")
        claim.full_clean()
        claim.save()
        claim.span_exact = ""
        claim.full_clean()
        assert claim.span is None

    def test_a_quote_from_a_source_without_text_has_no_span(self, actor):
        source = Source.objects.create(title="A broadcast we have no transcript of")
        claim = Claim(speaker=actor, source=source, kind="direct_quote", text="Anything at all.",
                      span_start=3, span_end=7, span_exact="leftover"[:4])
        claim.full_clean()
        assert (claim.span_start, claim.span_end, claim.span_exact) == (None, None, "")
        claim.save()

    def test_a_paraphrase_passage_is_refused_when_the_source_has_no_text(self, actor):
        source = Source.objects.create(title="A broadcast we have no transcript of")
        claim = Claim(speaker=actor, source=source, kind="paraphrase", text="They said so.",
                      span_exact="They said so.")
        errors = clean_errors(claim)
        assert errors["span_exact"] == [
            "The source's text is not held, so a passage cannot be located in it."]

    def test_the_span_property(self, new_claim):
        claim = new_claim(kind="direct_quote", text="the promise was empty")
        claim.full_clean()
        span = claim.span
        assert (span.start, span.end, span.exact) == (claim.span_start, claim.span_end, "the promise was empty")
