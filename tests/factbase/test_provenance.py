"""Finding a quote in a source text, and resolving the dates a source gives ("on Friday", "in 2019").

These are pure functions: no database.
"""

import random
import unicodedata
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from factbase import provenance

from factbase.provenance import (
    DateExpressionError,
    Precision,
    Span,
    find_quote,
    find_quote_all,
    normalize,
    normalize_with_map,
    resolve_date,
    truncate_date,
)

TEXT = (
    "The minister said: “We will not raise fuel prices this winter.”\n"
    "Critics answered that the promise was empty. Later the minister’s office\n"
    "added that “prices   will stay frozen”, and repeated: “prices will stay frozen”."
)
FIRST_FROZEN = TEXT.index("prices   will stay frozen")
SECOND_FROZEN = TEXT.index("prices will stay frozen")


def assert_slices_original(text, span):
    """A span always slices the text as stored."""
    assert span is not None
    assert 0 <= span.start < span.end <= len(text)
    assert text[span.start:span.end] == span.exact


# --- finding quotes ------------------------------------------------------------------------------

class TestFindQuote:
    def test_exact_quote_is_found_where_it_is(self):
        quote = "We will not raise fuel prices this winter."
        span = find_quote(TEXT, quote)
        assert span == Span(TEXT.index(quote), TEXT.index(quote) + len(quote), quote)

    def test_straight_quotes_match_curly_quotes_in_the_text(self):
        span = find_quote(TEXT, '"We will not raise fuel prices this winter."')
        assert_slices_original(TEXT, span)
        assert span.exact == "“We will not raise fuel prices this winter.”"

    def test_curly_quotes_match_straight_quotes_in_the_text(self):
        text = 'He said "no comment" and left.'
        span = find_quote(text, "“no comment”")
        assert_slices_original(text, span)
        assert span.exact == '"no comment"'

    def test_straight_apostrophe_matches_typographic_apostrophe(self):
        span = find_quote(TEXT, "the minister's office")
        assert_slices_original(TEXT, span)
        assert span.exact == "the minister’s office"

    def test_typographic_apostrophe_matches_straight_apostrophe(self):
        text = "It's the country's sovereignty."
        span = find_quote(text, "the country’s sovereignty")
        assert_slices_original(text, span)
        assert span.exact == "the country's sovereignty"

    def test_line_break_in_the_text_matches_a_space_in_the_quote(self):
        span = find_quote(TEXT, "the minister’s office added that")
        assert_slices_original(TEXT, span)
        assert span.exact == "the minister’s office\nadded that"

    def test_line_breaks_and_runs_of_white_space_in_the_quote(self):
        span = find_quote(TEXT, "  raise\n\n fuel\t\tprices  ")
        assert_slices_original(TEXT, span)
        assert span.exact == "raise fuel prices"

    def test_run_of_white_space_in_the_text(self):
        text = "they   said \t it was\r\n\r\nover"
        span = find_quote(text, "said it was over")
        assert_slices_original(text, span)
        assert span.exact == "said \t it was\r\n\r\nover"

    def test_case_is_ignored(self):
        span = find_quote(TEXT, "WE WILL NOT RAISE FUEL PRICES")
        assert_slices_original(TEXT, span)
        assert span.exact == "We will not raise fuel prices"

    def test_dashes_and_ellipsis_are_made_plain(self):
        text = "A long—very long—wait… then nothing."
        span = find_quote(text, "long-very long-wait... then")
        assert_slices_original(text, span)
        assert span.exact == "long—very long—wait… then"

    def test_invisible_characters_are_ignored(self):
        text = "the deploy\u00adment of\u200b troops"
        span = find_quote(text, "the deployment of troops")
        assert_slices_original(text, span)
        assert span.exact == text

    def test_a_phrase_that_occurs_twice_gives_the_first_without_a_hint(self):
        span = find_quote(TEXT, "prices will stay frozen")
        assert_slices_original(TEXT, span)
        assert span.start == FIRST_FROZEN
        assert span.exact == "prices   will stay frozen"

    def test_find_quote_all_lists_every_occurrence_in_order(self):
        spans = find_quote_all(TEXT, "prices will stay frozen")
        assert [s.start for s in spans] == [FIRST_FROZEN, SECOND_FROZEN]
        for span in spans:
            assert_slices_original(TEXT, span)

    @pytest.mark.parametrize("near, expected", [
        (0, "first"), (FIRST_FROZEN, "first"), (SECOND_FROZEN, "second"),
        (SECOND_FROZEN - 3, "second"), (len(TEXT), "second"),
    ])
    def test_the_hint_picks_the_closest_occurrence(self, near, expected):
        span = find_quote(TEXT, "prices will stay frozen", near=near)
        assert span.start == {"first": FIRST_FROZEN, "second": SECOND_FROZEN}[expected]
        assert_slices_original(TEXT, span)

    def test_on_a_tie_the_hint_picks_the_earlier_occurrence(self):
        text = "yes ... yes"
        assert find_quote(text, "yes", near=4).start == 0
        assert find_quote(text, "yes", near=5).start == 8

    def test_a_hint_with_a_single_occurrence_still_finds_it(self):
        span = find_quote(TEXT, "the promise was empty", near=0)
        assert span.exact == "the promise was empty"

    @pytest.mark.parametrize("quote", [
        "We will raise fuel prices",  # a word missing
        "prices will stay frozen forever",  # longer than in the text
        "minister s office",  # the apostrophe is not a space
        "Kazakhstan",
    ])
    def test_a_quote_that_is_not_there_is_none(self, quote):
        assert find_quote(TEXT, quote) is None
        assert find_quote(TEXT, quote, near=10) is None
        assert find_quote_all(TEXT, quote) == []

    @pytest.mark.parametrize("quote", ["", "   ", "\n\t", "\u200b"])
    def test_an_empty_quote_is_never_found(self, quote):
        assert find_quote(TEXT, quote) is None

    def test_nothing_is_found_in_an_empty_text(self):
        assert find_quote("", "anything") is None

    def test_span_slices_the_original_after_typographic_characters(self):
        # Each “…” is one character in the text but three in the normalized copy; curly quotes and
        # dashes before the match must not shift the offsets either.
        text = "“Well…” — she paused… ‘and’ then: “It’s over,” she said."
        quote = '"It\'s over," she said'
        span = find_quote(text, quote)
        assert_slices_original(text, span)
        assert span.start == text.index("“It’s over")
        assert span.exact == "“It’s over,” she said"

    def test_span_after_an_ellipsis_and_line_breaks(self):
        text = "Intro…\n\n\n…more…   and at last the point."
        span = find_quote(text, "the point.")
        assert span == Span(text.index("the point."), len(text), "the point.")

    def test_a_quote_ending_in_an_ellipsis(self):
        text = "He said “we will see…” and left."
        span = find_quote(text, "we will see...")
        assert_slices_original(text, span)
        assert span.exact == "we will see…"

    def test_characters_that_expand_when_case_folded(self):
        text = "Die Straße ist ﬁne."
        span = find_quote(text, "STRASSE ist fine")
        assert_slices_original(text, span)
        assert span.exact == "Straße ist ﬁne"


# --- the normalization map -----------------------------------------------------------------------

ALPHABET = (
    list("abcXYZ09,.;:!?()") + [" ", "  ", "\n", "\t", "\r\n", "\u00a0"]
    + ["\u2018", "\u2019", "\u201c", "\u201d", "\u00ab", "\u00bb", "'", '"', "`"]
    + ["\u2013", "\u2014", "-", "\u2026", "\u00ad", "\u200b", "\ufeff", "ß", "ﬁ", "É", "Ж", "ж"]
)


def generated_texts(count=200, seed=20220108):
    rng = random.Random(seed)
    for _ in range(count):
        yield "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 40)))


def visible(ch):
    return not ch.isspace() and ch not in "\u00ad\u200b\ufeff"


class TestNormalizationMap:
    def test_map_shape(self):
        for text in generated_texts():
            norm, index_map = normalize_with_map(text)
            assert len(index_map) == len(norm) + 1, text
            assert index_map[-1] == len(text)
            assert index_map == sorted(index_map), "the map never goes backwards"
            assert all(0 <= i < len(text) for i in index_map[:-1])

    def test_each_normalized_character_comes_from_the_character_it_maps_to(self):
        for text in generated_texts():
            norm, index_map = normalize_with_map(text)
            for n, i in zip(norm, index_map):
                origin = text[i]
                if n == " ":
                    assert origin.isspace(), (text, i)
                else:
                    assert n in normalize(origin), (text, i, n)

    def test_normalized_text_is_plain(self):
        for text in generated_texts():
            norm = normalize(text)
            assert "  " not in norm
            assert not any(c in norm for c in "\n\t\r\u00a0\u2018\u2019\u201c\u201d\u2014\u2026\u00ad\u200b")
            assert norm == norm.strip()
            assert norm == norm.casefold()
            assert normalize(norm) == norm, "normalizing twice changes nothing"

    def test_every_visible_slice_of_a_text_is_found_where_it_was_taken(self):
        rng = random.Random(7)
        checked = 0
        for text in generated_texts():
            edges = [i for i, ch in enumerate(text) if visible(ch)]
            if not edges:
                continue
            for _ in range(5):
                a, b = sorted(rng.sample(edges, 2)) if len(edges) > 1 else (edges[0], edges[0])
                quote = text[a:b + 1]
                span = find_quote(text, quote, near=a)
                assert span == Span(a, b + 1, quote), (text, a, b)
                # without the hint, the first occurrence: never after this one
                first = find_quote(text, quote)
                assert first.start <= a
                assert text[first.start:first.end] == first.exact
                assert normalize(first.exact) == normalize(quote)
                checked += 1
        assert checked > 500

    def test_typographic_variants_of_a_slice_are_found(self):
        plain = {"\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2014": "-", "\u2026": "..."}
        for text in generated_texts(seed=99):
            edges = [i for i, ch in enumerate(text) if visible(ch)]
            if len(edges) < 2:
                continue
            a, b = edges[0], edges[-1]
            quote = "".join(plain.get(ch, ch) for ch in text[a:b + 1]).upper()
            if not normalize(quote):
                continue
            span = find_quote(text, quote)
            assert span is not None, (text, quote)
            assert text[span.start:span.end] == span.exact


# --- one normalisation for all of Unicode ---------------------------------------------------------

FRENCH = "Le président a déclaré : « Nous ne céderons pas », vendredi."


class TestUnicode:
    @pytest.mark.parametrize("text_form", ["NFC", "NFD"])
    @pytest.mark.parametrize("quote_form", ["NFC", "NFD"])
    def test_composed_and_decomposed_forms_find_each_other(self, text_form, quote_form):
        text = unicodedata.normalize(text_form, FRENCH)
        quote = unicodedata.normalize(quote_form, "Nous ne céderons pas")
        span = find_quote(text, quote)
        assert_slices_original(text, span)
        assert unicodedata.normalize("NFC", span.exact) == "Nous ne céderons pas"
        # the span ends after the accent of the last letter, never between a letter and its mark
        assert span.end == len(text) or unicodedata.category(text[span.end]) != "Mn"

    @pytest.mark.parametrize("text_form", ["NFC", "NFD"])
    def test_a_letter_without_its_accent_is_another_letter(self, text_form):
        text = unicodedata.normalize(text_form, "le café de la gare")
        assert find_quote(text, "le cafe de") is None
        assert find_quote(text, "caf") is not None  # the letters before the accented one are whole units
        assert find_quote(unicodedata.normalize("NFD", "x\u0301y"), "x") is None  # a mark with no composed form

    def test_full_width_and_compatibility_forms_fold(self):
        text = "Ｔｏｋａｙｅｖ said ﬁrmly: “ＮＯ”."
        assert find_quote(text, "tokayev said firmly").exact == "Ｔｏｋａｙｅｖ said ﬁrmly"
        assert normalize("ＴＯＫＡＹＥＶ") == normalize("Tokayev") == "tokayev"

    def test_a_match_never_splits_a_character_that_folds_to_several(self):
        assert find_quote("ﬁne", "ine") is None
        assert find_quote("Straße", "stras") is None
        assert find_quote("Straße", "STRASSE").exact == "Straße"

    def test_case_folding_beyond_ascii(self):
        assert normalize("ΣΊΣΥΦΟΣ") == normalize("σίσυφος")
        assert find_quote("Путин заявил", "ПУТИН").exact == "Путин"

    def test_normalizing_is_the_same_word_by_word_and_character_by_character(self):
        """The fast paths (ASCII words, remembered words) fold exactly as one character (with its marks)
        at a time would."""
        def reference(text):
            out, i = [], 0
            while i < len(text):
                ch = text[i]
                if ch in provenance._INVISIBLE:
                    i += 1
                    continue
                if ch.isspace():
                    if out and out[-1] != " ":
                        out.append(" ")
                    i += 1
                    continue
                j = i + 1
                while j < len(text) and (unicodedata.category(text[j]).startswith("M") or "\u1160" <= text[j] <= "\u11ff"):
                    j += 1
                cluster = text[i:j]
                cluster = provenance._PLAIN.get(cluster[0], cluster[0]) + cluster[1:]
                folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", cluster).casefold())
                folded = "".join(c for c in folded if c not in provenance._INVISIBLE and not c.isspace())
                if folded:
                    out.append(folded)
                i = j
            return "".join(out).strip()

        rng = random.Random(3)
        pieces = ALPHABET + ["é", "e\u0301", "\u0301", "Ｔ", "İ", "ǰ", "ﬀ", "\u1100\u1161", "가", "ς", "Σ", "x"]
        for _ in range(500):
            text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
            assert normalize(text) == reference(text), text
            assert normalize(text) == reference(text), "the remembered words fold the same again"

    def test_the_normalized_text_is_remembered(self):
        text = "A long text. " * 1000
        assert provenance.normalized(text) is provenance.normalized("".join(["A long text. "] * 1000))


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(text=st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=60), data=st.data())
def test_any_unicode_text_every_span_slices_the_text_and_matches_the_quote(text, data):
    """Property: in any text, a quote cut from it on character edges is found where it was cut (or
    earlier, the same words), and every span found slices the text as stored and folds to the quote."""
    if not text:
        assert find_quote(text, "x") is None
        return
    a = data.draw(st.integers(0, len(text) - 1))
    b = data.draw(st.integers(a + 1, len(text)))
    quote = text[a:b]
    for span in find_quote_all(text, quote):
        assert text[span.start:span.end] == span.exact
        assert normalize(span.exact) == normalize(quote)
    found = find_quote(text, quote, near=a)
    if found is not None:
        assert normalize(found.exact) == normalize(quote)


# --- dates ---------------------------------------------------------------------------------------

SATURDAY = date(2022, 1, 8)  # the source article's date


class TestResolveDate:
    def test_reference_is_a_saturday(self):
        assert SATURDAY.strftime("%A") == "Saturday"

    @pytest.mark.parametrize("expression, expected", [
        ("Friday", date(2022, 1, 7)),
        ("on Friday", date(2022, 1, 7)),
        ("On Friday.", date(2022, 1, 7)),
        ("Wednesday", date(2022, 1, 5)),
        ("On Wednesday", date(2022, 1, 5)),
        ("Sunday", date(2022, 1, 2)),
        ("Monday", date(2022, 1, 3)),
    ])
    def test_a_weekday_is_the_latest_such_day_on_or_before_the_reference(self, expression, expected):
        assert resolve_date(expression, SATURDAY) == (expected, Precision.DAY)

    def test_the_reference_weekday_is_the_reference_day(self):
        assert resolve_date("Saturday", SATURDAY) == (SATURDAY, Precision.DAY)
        assert resolve_date("on Friday", date(2022, 1, 7)) == (date(2022, 1, 7), Precision.DAY)

    def test_yesterday_and_today(self):
        assert resolve_date("yesterday", SATURDAY) == (date(2022, 1, 7), Precision.DAY)
        assert resolve_date("yesterday", date(2022, 1, 1)) == (date(2021, 12, 31), Precision.DAY)
        assert resolve_date("today", SATURDAY) == (SATURDAY, Precision.DAY)

    @pytest.mark.parametrize("expression", [
        "on January 6", "January 6", "Jan 6", "January 6th", "6 January", "the 6th of January",
        "6 January 2022", "January 6, 2022", "2022-01-06",
    ])
    def test_a_day_of_a_month(self, expression):
        assert resolve_date(expression, SATURDAY) == (date(2022, 1, 6), Precision.DAY)

    def test_a_day_of_a_month_without_a_year_is_never_after_the_reference(self):
        # December 20 in an article of January 8 is last December.
        assert resolve_date("on December 20", SATURDAY) == (date(2021, 12, 20), Precision.DAY)
        assert resolve_date("January 8", SATURDAY) == (SATURDAY, Precision.DAY)
        assert resolve_date("January 9", SATURDAY) == (date(2021, 1, 9), Precision.DAY)

    def test_a_day_with_a_year_is_taken_as_given(self):
        assert resolve_date("6 January 2019", SATURDAY) == (date(2019, 1, 6), Precision.DAY)
        assert resolve_date("March 3, 2023", SATURDAY) == (date(2023, 3, 3), Precision.DAY)

    def test_a_month_with_a_year_has_month_precision_and_its_first_day(self):
        assert resolve_date("in March 2019", SATURDAY) == (date(2019, 3, 1), Precision.MONTH)
        assert resolve_date("December 2021", SATURDAY) == (date(2021, 12, 1), Precision.MONTH)

    def test_a_month_without_a_year(self):
        # the reference month itself is this year; a later month is last year's
        assert resolve_date("in January", SATURDAY) == (date(2022, 1, 1), Precision.MONTH)
        assert resolve_date("in March", SATURDAY) == (date(2021, 3, 1), Precision.MONTH)
        assert resolve_date("in December", SATURDAY) == (date(2021, 12, 1), Precision.MONTH)
        assert resolve_date("in March", date(2022, 6, 15)) == (date(2022, 3, 1), Precision.MONTH)

    def test_a_year_has_year_precision_and_january_1(self):
        assert resolve_date("in 2019", SATURDAY) == (date(2019, 1, 1), Precision.YEAR)
        assert resolve_date("2020", SATURDAY) == (date(2020, 1, 1), Precision.YEAR)

    @pytest.mark.parametrize("expression", [
        "February 30", "on February 30", "30 February 2022", "January 32", "April 31, 2021",
        "2022-02-30", "2022-13-01", "in 0000", "March 0000",
    ])
    def test_an_impossible_date_is_refused(self, expression):
        with pytest.raises(DateExpressionError):
            resolve_date(expression, SATURDAY)

    @pytest.mark.parametrize("expression", [
        "", "   ", "soon", "last week", "Fridya", "on the eve", "Smarch 2019", "in 19", "2022/01/06",
        "2022-1-6", "Friday the 13th",
    ])
    def test_gibberish_is_refused(self, expression):
        with pytest.raises(DateExpressionError):
            resolve_date(expression, SATURDAY)

    def test_the_error_names_the_expression(self):
        with pytest.raises(DateExpressionError, match="soon"):
            resolve_date("soon", SATURDAY)

    def test_february_29_in_a_leap_year(self):
        assert resolve_date("February 29", date(2024, 3, 1)) == (date(2024, 2, 29), Precision.DAY)

    def test_february_29_without_a_year_goes_back_to_the_last_leap_year(self):
        assert resolve_date("February 29", date(2022, 1, 8)) == (date(2020, 2, 29), Precision.DAY)

    def test_the_same_day_is_not_guessed(self):
        # "the same day" refers to a day named earlier in the text, not to the source's own date.
        with pytest.raises(DateExpressionError):
            resolve_date("the same day", SATURDAY)


class TestTruncateDate:
    def test_day_precision_keeps_the_date(self):
        assert truncate_date(date(2022, 1, 7), Precision.DAY) == date(2022, 1, 7)

    def test_month_precision_is_the_first_of_the_month(self):
        assert truncate_date(date(2019, 3, 17), Precision.MONTH) == date(2019, 3, 1)
        assert truncate_date(date(2019, 3, 1), Precision.MONTH) == date(2019, 3, 1)

    def test_year_precision_is_january_1(self):
        assert truncate_date(date(2019, 12, 31), Precision.YEAR) == date(2019, 1, 1)
        assert truncate_date(date(2019, 1, 1), Precision.YEAR) == date(2019, 1, 1)

    def test_resolved_dates_are_already_truncated(self):
        for expression in ["in March 2019", "in 2019", "Friday", "6 January 2022"]:
            value, precision = resolve_date(expression, SATURDAY)
            assert truncate_date(value, precision) == value
