"""The interchange format on its own: reading and checking records, CSV cells, ClaimReview. No database."""

import io
import json
import uuid
from datetime import date

import pytest

from factbase import interchange
from factbase.interchange import Problem, RecordError, parse_claim
from factbase.models import Actor, Claim, Outlet, Review, Source

SPEAKER = {"name": "Jane Minister", "kind": "person"}
SOURCE = {"url": "https://example.org/fuel", "title": "Fuel prices frozen", "published_on": "2022-01-08"}


def record(**changes):
    base = {"text": "We will not raise fuel prices this winter.", "kind": "direct_quote", "speaker": SPEAKER,
            "source": SOURCE}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not ...}


def problems_of(value) -> dict[str, str]:
    with pytest.raises(RecordError) as caught:
        parse_claim(value)
    return dict(caught.value.problems)


# --- the vocabularies are the models' ------------------------------------------------------------

def test_the_vocabularies_are_the_models():
    assert interchange.CLAIM_KINDS == tuple(Claim.Kind.values)
    assert interchange.STATUSES == tuple(Claim.Status.values)
    assert interchange.PRECISIONS == tuple(Claim.Precision.values)
    assert interchange.ACTOR_KINDS == tuple(Actor.Kind.values)
    assert interchange.OUTLET_KINDS == tuple(Outlet.Kind.values)
    assert interchange.RATINGS == tuple(Review.Rating.values)
    assert set(interchange.RATING_LABELS) == set(Review.Rating.values)


# --- a good record -------------------------------------------------------------------------------

def test_a_full_record_is_read_with_its_types():
    uid = uuid.uuid4()
    parsed = parse_claim(record(
        uid=str(uid), kind="paraphrase", speaker_role="Minister of Energy", stated_on="2022-01-07",
        stated_on_precision="day", outlet={"name": "Facebook", "kind": "social_network"},
        span={"start": 19, "end": 63, "exact": "“We will not raise fuel prices this winter.”"},
        status="verified", status_note="Checked.", tags=["energy", {"slug": "winter", "name": "Winter"}],
        reviews=[{"rating": "mixed", "reviewer": {"wikidata_id": "Q42"}, "reviewed_on": "2022-02-01"}],
    ))
    assert parsed.uid == uid
    assert (parsed.stated_on, parsed.stated_on_precision) == (date(2022, 1, 7), "day")
    assert parsed.passage == "“We will not raise fuel prices this winter.”" and parsed.span_hint == 19
    assert parsed.speaker.stated == SPEAKER and parsed.outlet.stated["kind"] == "social_network"
    assert parsed.source.key == ("url", "https://example.org/fuel")
    assert [t.slug for t in parsed.tags] == ["energy", "winter"] and parsed.tags[1].stated["name"] == "Winter"
    assert parsed.reviews[0].reviewer.stated == {"wikidata_id": "Q42"}
    assert parsed.reviews[0].reviewed_on == date(2022, 2, 1)
    assert (parsed.status, parsed.status_note) == ("verified", "Checked.")


def test_absent_fields_say_nothing_and_defaults_are_the_models():
    parsed = parse_claim(record(kind=...))
    assert parsed.kind == "direct_quote" and parsed.speaker_role == "" and parsed.outlet is None
    assert parsed.status is None and parsed.status_note is None  # not said: left as they are
    assert parsed.tags is None and parsed.reviews is None
    assert "aliases" not in parsed.speaker.stated and "language" not in parsed.source.stated


@pytest.mark.parametrize(("value", "expected"), [
    ({"stated_on": "2019"}, (date(2019, 1, 1), "year")),
    ({"stated_on": "2019-03"}, (date(2019, 3, 1), "month")),
    ({"stated_on": "2019-03-15"}, (date(2019, 3, 15), "day")),
    ({"stated_on": "2019-03", "stated_on_precision": "month"}, (date(2019, 3, 1), "month")),
    ({"stated_on": "2019-03-01", "stated_on_precision": "month"}, (date(2019, 3, 1), "month")),
    ({"stated_on": None, "stated_on_precision": ""}, (None, "")),
])
def test_dates_with_their_precision(value, expected):
    parsed = parse_claim(record(**value))
    assert (parsed.stated_on, parsed.stated_on_precision) == expected


def test_a_source_without_a_url_is_known_by_title_and_date():
    parsed = parse_claim(record(source={"published_on": "2022-01-08", "text": "Some words."}))
    assert parsed.source.key == ("title", "", date(2022, 1, 8))
    assert parsed.source.stated["text"] == "Some words." and "title" not in parsed.source.stated


# --- bad records, each with its field and message -------------------------------------------------

@pytest.mark.parametrize(("value", "field", "message"), [
    (record(speaker=...), "speaker", "A claim needs its speaker"),
    (record(speaker=None), "speaker", "A claim needs its speaker"),
    (record(speaker={"name": "Jane"}), "speaker", "Name the actor by its name and kind"),
    (record(speaker={"name": "Jane", "kind": "robot"}), "speaker.kind", "“robot” is not one of: person, organization"),
    (record(speaker={"wikidata_id": "42"}), "speaker.wikidata_id", "A Wikidata id is Q followed by digits"),
    (record(source=...), "source", "A claim needs its source"),
    (record(source={"language": "en"}), "source", "Name the source by its url, or by its title"),
    (record(text=...), "text", "This field is required"),
    (record(text="   "), "text", "This field may not be empty"),
    (record(text=5), "text", "Give a text, not a number"),
    (record(kind="rumour"), "kind", "“rumour” is not one of: direct_quote, paraphrase"),
    (record(status="maybe"), "status", "“maybe” is not one of: unverified, verified, disputed, rejected"),
    (record(stated_on="2022-02-30"), "stated_on", "There is no such day: 2022-02-30"),
    (record(stated_on="2022-13"), "stated_on", "There is no such month: 2022-13"),
    (record(stated_on="7 January"), "stated_on", "Give a date as YYYY-MM-DD"),
    (record(stated_on="2022-01", stated_on_precision="day"), "stated_on", "2022-01 is a month"),
    (record(stated_on_precision="day"), "stated_on", "Give the date, or leave the precision empty"),
    (record(stated="Friday", stated_on="2022-01-07"), "stated", "not both"),
    (record(uid="not-a-uuid"), "uid", "Give a UUID"),
    (record(passage="a passage"), "passage", "A direct quote is looked for in the source by its text"),
    (record(span={"start": 3, "end": 5, "exact": "abc"}), "span", "end - start (2) is not the length of exact (3)"),
    (record(span={"start": -1, "end": 2, "exact": "abc"}), "span.start", "Give an offset"),
    (record(tags=["energy", "energy"]), "tags", "A tag is listed twice"),
    (record(tags=["not a slug"]), "tags[0].slug", "A slug is letters, digits"),
    (record(reviews=[{"rating": "fake"}]), "reviews[0].rating", "“fake” is not one of"),
    (record(reviews=[{"rating": "false"}]), "reviews[0]", "A review names its reviewer or the source"),
    (record(colour="red"), "colour", "Unknown field"),
    (record(speaker={**SPEAKER, "age": 40}), "speaker.age", "Unknown field"),
    (record(source={**SOURCE, "text": "x", "text_file": "a.txt"}), "source.text_file", "not both"),
    (["not", "an", "object"], "", "Give an object, not a list"),
])
def test_each_bad_field_is_named_with_its_problem(value, field, message):
    problems = problems_of(value)
    assert field in problems, problems
    assert message in problems[field]


def test_every_problem_of_a_record_is_reported_at_once():
    problems = problems_of(record(kind="rumour", status="maybe", speaker=None))
    assert set(problems) == {"kind", "status", "speaker"}


def test_a_problem_names_its_file_and_line():
    assert str(Problem(7, "speaker", "A claim needs its speaker.", file="claims.ndjson")) == \
        "claims.ndjson:7: speaker: A claim needs its speaker."
    assert str(Problem(1, "", "Not valid JSON.")) == "line 1: Not valid JSON."


# --- reading files -------------------------------------------------------------------------------

def read(text, fmt):
    return list(interchange.read_records(io.StringIO(text), fmt))


def test_ndjson_one_record_a_line_with_its_number():
    rows = read('{"a": 1}\n\n{"b": 2}\n{"c": \n', "ndjson")
    assert [line for line, _ in rows] == [1, 3, 4]
    assert rows[0][1] == {"a": 1} and rows[1][1] == {"b": 2}
    assert isinstance(rows[2][1], Problem) and rows[2][1].message.startswith("Not valid JSON: Expecting value")


@pytest.mark.parametrize("text", [
    '[\n  {"a": 1},\n\n  {"b": 2}\n]\n',
    '{"about": "x",\n "claims": [\n  {"a": 1},\n\n  {"b": 2}\n]}',
])
def test_json_records_with_their_line_numbers(text):
    rows = read(text, "json")
    assert [(line, value) for line, value in rows] == [(2 if text[0] == "[" else 3, {"a": 1}),
                                                       (4 if text[0] == "[" else 5, {"b": 2})]


@pytest.mark.parametrize(("text", "line", "message"), [
    ('[\n{"a": 1},\n{"b": }\n]', 3, "Not valid JSON"),
    ('{"claims": [], "extra": 1}', 1, "Unknown field"),
    ('{"about": "x"}', 1, 'The object has no "claims" list'),
    ('"just text"', 1, "A JSON file is a list of claims"),
    ('[{"a": 1}] [', 1, "extra data"),
])
def test_broken_json_files(text, line, message):
    problem = read(text, "json")[-1][1]
    assert isinstance(problem, Problem) and problem.line == line and message in problem.message


def test_a_csv_row_is_a_record():
    header = ",".join(interchange.CSV_COLUMNS)
    row = {name: "" for name in interchange.CSV_COLUMNS}
    row.update(text="Hello", kind="direct_quote", speaker="Jane Minister", speaker_kind="person",
               speaker_aliases="J. Minister|Minister \\| Jane", source_url="https://example.org/fuel",
               stated_on="2022-01-07", stated_on_precision="day", span_start="3", span_end="8", span_exact="Hello",
               status="verified", tags="energy|winter")
    text = header + "\r\n" + ",".join(f'"{row[name]}"' for name in interchange.CSV_COLUMNS) + "\r\n"
    ((line, value),) = read(text, "csv")
    assert line == 2
    assert value["speaker"] == {"name": "Jane Minister", "kind": "person",
                                "aliases": ["J. Minister", "Minister | Jane"]}
    assert value["span"] == {"start": 3, "end": 8, "exact": "Hello"}
    assert value["tags"] == ["energy", "winter"] and value["status"] == "verified"
    assert value["outlet"] is None and value["source"]["url"] == "https://example.org/fuel"
    parsed = parse_claim(value)
    assert parsed.span_hint == 3 and parsed.stated_on == date(2022, 1, 7)


@pytest.mark.parametrize(("header", "message"), [
    ("text,speaker,speaker_kind,colour", "unknown column(s): colour"),
    ("text,speaker", "missing column(s): speaker_kind"),
    ("text,speaker,speaker_kind,text", "repeated column(s): text"),
])
def test_a_wrong_csv_header_is_refused_at_line_1(header, message):
    ((line, problem),) = read(header + "\r\nHello,Jane,person\r\n", "csv")
    assert line == 1 and isinstance(problem, Problem) and problem.field == "header" and message in problem.message


def test_a_csv_row_of_the_wrong_length():
    rows = read("text,speaker,speaker_kind\r\nHello,Jane\r\n", "csv")
    assert rows[0][0] == 2 and "This row has 2 cells; the header has 3" in rows[0][1].message


@pytest.mark.parametrize("items", [[], ["a"], ["a", "b"], ["a|b", "c\\d", ""], ["\\", "|", "x\\|y"]])
def test_lists_in_a_cell_come_back_as_they_were(items):
    cell = interchange.join_list(items)
    assert interchange.split_list(cell) == (items if items != [""] else [])


def test_the_format_comes_from_the_extension_or_is_given():
    assert interchange.format_for("a/claims.NDJSON") == "ndjson"
    assert interchange.format_for("claims.jsonl") == "ndjson"
    assert interchange.format_for("claims.csv") == "csv"
    assert interchange.format_for("claims.txt", "json") == "json"
    with pytest.raises(ValueError, match="give --format"):
        interchange.format_for("claims.txt")


# --- ClaimReview ---------------------------------------------------------------------------------

def review(rating="false", **changes):
    outlet = Outlet(name="Fact Desk", url="https://factdesk.example.org/")
    speaker = Actor(name="Jane Minister", kind="person", aliases=["J. Minister"], wikidata_id="Q42")
    claim_source = Source(title="Fuel prices frozen", url="https://example.org/fuel", published_on=date(2022, 1, 8),
                          language="en", authors=["A. Writer"])
    claim = Claim(id=7, text="We will not raise fuel prices this winter.", speaker=speaker, source=claim_source,
                  stated_on=date(2022, 1, 1), stated_on_precision="month")
    published = Source(title="Fact check: fuel prices", url="https://factdesk.example.org/fuel", outlet=outlet)
    reviewer = Actor(name="Fact Desk", kind="organization")
    values = dict(id=3, claim=claim, reviewer=reviewer, source=published, rating=rating, rating_text="Not so",
                  summary="Prices rose in December.", reviewed_on=date(2022, 2, 1))
    values.update(changes)
    return Review(**values)


def test_a_claim_review_field_by_field():
    document = interchange.claim_review_jsonld(review(), review_url="http://x/api/v1/reviews/3/",
                                               claim_url="http://x/api/v1/claims/7/")
    assert document == {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "@id": "http://x/api/v1/reviews/3/",
        "url": "https://factdesk.example.org/fuel",
        "claimReviewed": "We will not raise fuel prices this winter.",
        "reviewRating": {"@type": "Rating", "ratingValue": 1, "bestRating": 5, "worstRating": 1, "name": "False",
                         "alternateName": "Not so"},
        "author": {"@type": "Organization", "name": "Fact Desk"},
        "publisher": {"@type": "Organization", "name": "Fact Desk", "url": "https://factdesk.example.org/"},
        "datePublished": "2022-02-01",
        "reviewBody": "Prices rose in December.",
        "itemReviewed": {
            "@type": "Claim", "@id": "http://x/api/v1/claims/7/", "text": "We will not raise fuel prices this winter.",
            "author": {"@type": "Person", "name": "Jane Minister", "alternateName": ["J. Minister"],
                       "sameAs": "https://www.wikidata.org/wiki/Q42"},
            "datePublished": "2022-01",  # as precise as it is known: a month
            "appearance": {"@type": "CreativeWork", "url": "https://example.org/fuel", "name": "Fuel prices frozen",
                           "datePublished": "2022-01-08", "inLanguage": "en",
                           "author": [{"@type": "Person", "name": "A. Writer"}]},
        },
    }


@pytest.mark.parametrize(("rating", "value"), [
    ("false", 1), ("mostly_false", 2), ("mixed", 3), ("mostly_true", 4), ("true", 5),
    ("unsupported", None), ("misleading", None),
])
def test_ratings_on_the_scale_have_a_value_the_others_only_their_wording(rating, value):
    rated = interchange.claim_review_jsonld(review(rating, rating_text=""))["reviewRating"]
    assert rated.get("ratingValue") == value
    if value is None:
        assert "bestRating" not in rated and "worstRating" not in rated
    else:
        assert (rated["worstRating"], rated["bestRating"]) == (1, 5)
    assert rated["alternateName"] == rated["name"] == interchange.RATING_LABELS[rating]  # no wording: the label


def test_nothing_unknown_is_made_up():
    bare = review(reviewer=None, source=None, reviewed_on=None, summary="", rating_text="")
    bare.claim.source = Source(published_on=date(2022, 1, 8))
    bare.claim.stated_on, bare.claim.stated_on_precision = None, ""
    bare.claim.speaker = Actor(name="Nikol Pashinyan", kind="person")
    document = interchange.claim_review_jsonld(bare)
    assert set(document) == {"@context", "@type", "claimReviewed", "reviewRating", "itemReviewed"}
    assert document["itemReviewed"] == {
        "@type": "Claim", "text": "We will not raise fuel prices this winter.",
        "author": {"@type": "Person", "name": "Nikol Pashinyan"},
        "appearance": {"@type": "CreativeWork", "datePublished": "2022-01-08"},
    }


def test_the_record_schema_names_every_field_an_export_writes():
    assert list(interchange.RECORD_SCHEMA["properties"]) == list(interchange.CLAIM_KEYS)
    assert list(interchange.SOURCE_SCHEMA["properties"]) == list(interchange.SOURCE_KEYS)
    assert list(interchange.ACTOR_SCHEMA["properties"]) == list(interchange.ACTOR_KEYS)
    json.dumps(interchange.RECORD_SCHEMA)


def test_the_record_schema_gives_the_limits_an_import_checks():
    from factbase.models.limits import CLAIM_TEXT_MAX_LENGTH, NAME_MAX_LENGTH, NAMES_MAX_COUNT, SOURCE_TEXT_MAX_LENGTH

    schema = interchange.RECORD_SCHEMA["properties"]
    assert schema["text"]["maxLength"] == CLAIM_TEXT_MAX_LENGTH == interchange.MAX_LENGTHS["claim.text"]
    assert schema["source"]["properties"]["text"]["maxLength"] == SOURCE_TEXT_MAX_LENGTH
    aliases = schema["speaker"]["properties"]["aliases"]
    assert (aliases["maxItems"], aliases["items"]["maxLength"]) == (NAMES_MAX_COUNT, NAME_MAX_LENGTH)
    assert schema["span"]["properties"]["start"]["maximum"] == SOURCE_TEXT_MAX_LENGTH
    assert schema["reviews"]["items"]["properties"]["summary"]["maxLength"] == interchange.MAX_LENGTHS["review.summary"]
    # One more character than the schema allows is what the parser refuses.
    assert problems_of(record(text="x" * (CLAIM_TEXT_MAX_LENGTH + 1)))["text"] == \
        f"At most {CLAIM_TEXT_MAX_LENGTH} characters (this has {CLAIM_TEXT_MAX_LENGTH + 1})."


# --- CSV cells that spreadsheets would run ---------------------------------------------------------

DANGEROUS = ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "=HYPERLINK(\"http://evil.example/\",\"x\")"]
ESCAPE_LIKE = ["'=1+1", "''", "'''=x", "'-", "'\t"]
PLAIN = ["", "'", "'Tis the season", "a=1", " =1", "1-2", "plain", "é=", "\n=1"]


@pytest.mark.parametrize("value", DANGEROUS + ESCAPE_LIKE)
def test_a_cell_a_spreadsheet_would_run_is_written_as_text(value):
    cell = interchange.csv_escape_cell(value)
    assert cell == "'" + value
    assert interchange.csv_unescape_cell(cell) == value


@pytest.mark.parametrize("value", PLAIN)
def test_other_cells_are_written_and_read_as_they_are(value):
    assert interchange.csv_escape_cell(value) == value
    assert interchange.csv_unescape_cell(value) == value


def test_csv_lines_neutralises_every_cell_and_the_reader_gives_the_values_back():
    values = DANGEROUS + ESCAPE_LIKE + PLAIN
    text = interchange.csv_lines([["text", "speaker", "speaker_kind"]] + [[v, "Jane", "person"] for v in values])
    import csv

    cells = [row[0] for row in csv.reader(io.StringIO(text, newline=""))][1:]
    assert not any(cell[:1] in "=+-@\t\r" and cell for cell in cells), "no cell begins as a formula"
    assert [record["text"] for _, record in read(text, "csv")] == values


def test_a_hand_written_csv_cell_beginning_with_an_apostrophe_is_read_as_written():
    text = "text,speaker,speaker_kind\r\n'Tis the season,'Jane,person\r\n'=1+1,Jane,person\r\n"
    records = [record for _, record in read(text, "csv")]
    assert records[0]["text"] == "'Tis the season" and records[0]["speaker"]["name"] == "'Jane"
    assert records[1]["text"] == "=1+1"  # the apostrophe a spreadsheet adds to keep a formula as text


def test_a_wrong_header_is_shown_with_its_control_characters_escaped():
    text = "text,speaker,speaker_kind,te\x1b[2Jxt,nul\x00\r\nHi,Jane,person,x,y\r\n"
    [(line, problem)] = list(read(text, "csv"))
    assert line == 1 and "\x1b" not in problem.message and "\x00" not in problem.message
    assert "unknown column(s)" in problem.message
