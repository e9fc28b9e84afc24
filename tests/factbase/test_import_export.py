"""import_claims and export_claims: round trips, idempotence, bad records, the services' rules."""

import json
import uuid
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from factbase import interchange, services
from factbase.interchange import exporter
from factbase.interchange.importer import import_files
from factbase.models import Actor, Change, Claim, ClaimRelation, Outlet, Review, Source, Tag
from factbase.seed import SEED_DIR, SEED_FILE
from tests.factbase.test_seed import all_row_counts

pytestmark = pytest.mark.django_db

TEXT = ("The minister said: “We will not raise fuel prices this winter.” Critics answered that the promise was "
        "empty. The minister repeated: “We will not raise fuel prices this winter.”")


# --- helpers -------------------------------------------------------------------------------------

def export(tmp_path, fmt="ndjson", *args, name=None) -> str:
    target = tmp_path / (name or f"export.{fmt}")
    call_command("export_claims", "--format", fmt, "-o", str(target), "--progress", "no", *args)
    return target.read_text(encoding="utf-8")


def run_import(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_claims", *map(str, args), "--progress", "no", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def refused(*args) -> str:
    """The import is refused: returns the problems it reported."""
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_claims", *map(str, args), "--progress", "no", stdout=StringIO(), stderr=err)
    return err.getvalue()


def empty_the_database():
    """As a fresh database: no record of the domain, and no history."""
    for model in (ClaimRelation, Review, Claim, Source, Actor, Outlet, Tag):
        model.objects.all().delete()
        model.history.all().delete()
    Claim.history.model.tags.model.objects.all().delete()
    Change.objects.all().delete()  # the change feed's entries of that history
    assert set(all_row_counts().values()) == {0}


def write_ndjson(path, records):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def good_record(n=0, **changes):
    base = {"text": "We will not raise fuel prices this winter.", "kind": "direct_quote",
            "speaker": {"name": "Jane Minister", "kind": "person"},
            "source": {"url": "https://example.org/fuel", "title": "Fuel prices frozen",
                       "published_on": "2022-01-08", "text": TEXT},
            "speaker_role": f"Minister of Energy {n}"}
    base.update(changes)
    return base


@pytest.fixture
def rich(editor):
    """Claims with everything a claim can carry: precisions, statuses, outlets, authors, reviews, tags,
    a phrase said twice (its second occurrence), two claims with the same speaker, source and text."""
    outlet = services.outlet_create(name="Daily Planet", kind="newspaper", url="https://planet.example.org/")
    tv = services.outlet_create(name="Channel 5", kind="broadcaster", description="A TV channel.")
    jane = services.actor_create(name="Jane Minister", kind="person", aliases=["J. Minister", "Minister | Jane"],
                                 wikidata_id="Q4242", description="Minister of Energy.")
    desk = services.actor_create(name="Fact Desk", kind="organization")
    article = services.source_create(title="Fuel prices frozen", url="https://example.org/fuel", outlet=outlet,
                                     authors=["A. Writer", "B. Writer"], published_on="2022-01-08", language="en",
                                     text=TEXT)
    check = services.source_create(title="Fact check: fuel", url="https://factdesk.example.org/fuel",
                                   published_on="2022-02-01", text="Prices rose in December.")
    untitled = services.source_create(published_on="2021-12-01", text="In 2019 she said taxes would fall.")
    energy = services.tag_create(name="Energy", slug="energy", description="Fuel, power.")
    winter = services.tag_create(name="Winter", slug="winter")
    quote = "We will not raise fuel prices this winter."
    first = services.claim_create(speaker=jane, source=article, text=quote, stated_on="2022-01-07",
                                  stated_on_precision="day", outlet=tv, tags=[energy, winter])
    second = services.claim_create(speaker=jane, source=article, text=quote, span_hint=len(TEXT) - 10,
                                   stated_on="2022-01-01", stated_on_precision="month", speaker_role="Minister")
    services.claim_set_status(claim=first, user=editor, status="verified", note="Checked against the article.")
    services.claim_set_status(claim=second, user=editor, status="disputed", note="Which day?")
    taxes = services.claim_create(speaker=jane, source=untitled, kind="paraphrase", text="taxes would fall",
                                  span_exact="she said taxes would fall", stated_on="2019-01-01",
                                  stated_on_precision="year", tags=[energy])
    services.review_create(claim=first, reviewer=desk, source=check, rating="false", rating_text="Not so",
                           summary="Prices rose in December.", reviewed_on="2022-02-01")
    services.review_create(claim=first, source=article, rating="unsupported")
    services.review_create(claim=taxes, reviewer=desk, rating="mostly_true", reviewed_on="2020-01-01")
    services.claim_relation_create(claim=second, related_claim=first, type="repeats")
    services.claim_relation_create(claim=taxes, related_claim=first, type="contradicts")
    assert first.span_start < second.span_start
    return {"first": first, "second": second, "taxes": taxes}


# --- round trips ---------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["ndjson", "json"])
def test_the_seed_exported_imported_into_an_empty_database_and_exported_again_is_the_same_file(seed, tmp_path, fmt):
    first = export(tmp_path, fmt, name=f"first.{fmt}")
    empty_the_database()
    out, _ = run_import(tmp_path / f"first.{fmt}")
    assert "18 claims created" in out and "1 reviews created" in out
    assert export(tmp_path, fmt, name=f"second.{fmt}") == first


@pytest.mark.parametrize("fmt", ["ndjson", "json"])
def test_everything_a_claim_carries_survives_a_round_trip(rich, editor, tmp_path, fmt):
    spans = {c.uid: (c.span_start, c.span_end) for c in Claim.objects.all()}
    first = export(tmp_path, fmt, name=f"first.{fmt}")
    empty_the_database()
    run_import(tmp_path / f"first.{fmt}", "--user", editor.username)
    assert export(tmp_path, fmt, name=f"second.{fmt}") == first
    assert {c.uid: (c.span_start, c.span_end) for c in Claim.objects.all()} == spans  # the second occurrence too
    verified = Claim.objects.get(status="verified")
    assert verified.verified_by == editor and verified.status_note == "Checked against the article."
    assert Claim.objects.filter(text="We will not raise fuel prices this winter.").count() == 2  # kept apart by uid


def test_the_records_of_an_export_field_by_field(rich, tmp_path):
    records = [json.loads(line) for line in export(tmp_path).splitlines()]
    assert [r["uid"] for r in records] == [str(c.uid) for c in Claim.objects.order_by("id")]
    first = records[0]
    claim = rich["first"]
    assert first == {
        "uid": str(claim.uid), "text": "We will not raise fuel prices this winter.", "kind": "direct_quote",
        "speaker": {"name": "Jane Minister", "kind": "person", "aliases": ["J. Minister", "Minister | Jane"],
                    "description": "Minister of Energy.", "wikidata_id": "Q4242"},
        "speaker_role": "", "stated_on": "2022-01-07", "stated_on_precision": "day",
        "outlet": {"name": "Channel 5", "kind": "broadcaster", "url": "", "description": "A TV channel."},
        "source": {"url": "https://example.org/fuel", "title": "Fuel prices frozen", "published_on": "2022-01-08",
                   "language": "en", "authors": ["A. Writer", "B. Writer"],
                   "outlet": {"name": "Daily Planet", "kind": "newspaper", "url": "https://planet.example.org/",
                              "description": ""},
                   "text": TEXT},
        "span": {"start": claim.span_start, "end": claim.span_end, "exact": TEXT[claim.span_start:claim.span_end]},
        "status": "verified", "status_note": "Checked against the article.",
        "tags": [{"slug": "energy", "name": "Energy", "description": "Fuel, power."},
                 {"slug": "winter", "name": "Winter", "description": ""}],
        "reviews": [
            {"rating": "false", "rating_text": "Not so", "summary": "Prices rose in December.",
             "reviewed_on": "2022-02-01",
             "reviewer": {"name": "Fact Desk", "kind": "organization", "aliases": [], "description": "",
                          "wikidata_id": ""},
             "source": {"url": "https://factdesk.example.org/fuel", "title": "Fact check: fuel",
                        "published_on": "2022-02-01", "language": "", "authors": [], "outlet": None,
                        "text": "Prices rose in December."}},
            {"rating": "unsupported", "rating_text": "", "summary": "", "reviewed_on": None, "reviewer": None,
             # the article's text was given with this record's claim already
             "source": {"url": "https://example.org/fuel", "title": "Fuel prices frozen",
                        "published_on": "2022-01-08", "language": "en", "authors": ["A. Writer", "B. Writer"],
                        "outlet": {"name": "Daily Planet", "kind": "newspaper", "url": "https://planet.example.org/",
                                   "description": ""}}},
        ],
        # seen from this claim: the second repeats it (a directed type, read by its inverse); taxes contradicts it
        "relations": [{"type": "repeated_by", "claim": str(rich["second"].uid)},
                      {"type": "contradicts", "claim": str(rich["taxes"].uid)}],
    }
    assert records[1]["relations"] == [{"type": "repeats", "claim": str(claim.uid)}]
    # A source's text is given once, with the first record that names it.
    assert "text" not in records[1]["source"]
    assert records[2]["source"]["text"] == "In 2019 she said taxes would fall." and records[2]["source"]["url"] == ""
    assert (records[2]["stated_on"], records[2]["stated_on_precision"]) == ("2019-01-01", "year")


def test_a_csv_export_field_by_field(rich, tmp_path):
    import csv

    rows = list(csv.DictReader(StringIO(export(tmp_path, "csv"))))
    claim = rich["first"]
    assert rows[0] == {
        "uid": str(claim.uid), "text": "We will not raise fuel prices this winter.", "kind": "direct_quote",
        "speaker": "Jane Minister", "speaker_kind": "person", "speaker_aliases": "J. Minister|Minister \\| Jane",
        "speaker_description": "Minister of Energy.", "speaker_wikidata_id": "Q4242", "speaker_role": "",
        "stated_on": "2022-01-07", "stated_on_precision": "day", "outlet": "Channel 5", "outlet_kind": "broadcaster",
        "source_url": "https://example.org/fuel", "source_title": "Fuel prices frozen",
        "source_published_on": "2022-01-08", "source_language": "en", "source_authors": "A. Writer|B. Writer",
        "source_outlet": "Daily Planet", "span_start": str(claim.span_start), "span_end": str(claim.span_end),
        "span_exact": claim.span_exact, "status": "verified", "status_note": "Checked against the article.",
        "tags": "energy|winter",
        "relations": f"repeated_by:{rich['second'].uid}|contradicts:{rich['taxes'].uid}",
    }
    assert [row["uid"] for row in rows] == [str(c.uid) for c in Claim.objects.order_by("id")]
    assert rows[2]["source_url"] == "" and rows[2]["outlet"] == "" and rows[2]["stated_on_precision"] == "year"


def test_a_csv_round_trip_of_claims_whose_sources_have_no_text(editor, tmp_path):
    jane = services.actor_create(name="Jane Minister", kind="person", aliases=["J."], wikidata_id="Q4242")
    outlet = services.outlet_create(name="Daily Planet", kind="newspaper")
    tag = services.tag_create(name="energy", slug="energy")
    for i in range(3):
        source = services.source_create(title=f"Article {i}", url=f"https://example.org/{i}", outlet=outlet,
                                        authors=["A. Writer"], language="en", published_on="2022-01-0" + str(i + 1))
        claim = services.claim_create(speaker=jane, source=source, text=f"Claim {i}", outlet=outlet, tags=[tag],
                                      stated_on="2022-01-01", stated_on_precision="month")
    services.claim_set_status(claim=claim, user=editor, status="rejected", note="Misattributed.")
    first = export(tmp_path, "csv", name="first.csv")
    empty_the_database()
    run_import(tmp_path / "first.csv", "--user", editor.username)
    assert export(tmp_path, "csv", name="second.csv") == first


# Values that a spreadsheet would run as a formula, and values that begin with the escape (an apostrophe).
FORMULA_LIKE = ["=1+1", "+44 20 7946 0000", "-5 degrees", "@SUM(A1)", "\t=tab", "\r=cr", "'=quoted", "''twice",
                "'Tis the season", "'"]


def _no_cell_starts_a_formula(text: str):
    import csv

    cells = [cell for row in csv.reader(StringIO(text, newline="")) for cell in row]
    assert cells and not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_a_csv_export_neutralises_formulas_and_round_trips_them(editor, tmp_path):
    """Every cell that would start a formula is written after an apostrophe; imported into an empty
    database, the values are the same, and the second export is the same file."""
    made = []
    for n, value in enumerate(FORMULA_LIKE):
        name = value.strip() or "Blank"
        speaker = services.actor_create(name=f"{name} Smith {n}", kind="person", aliases=[f"{name}{n}"],
                                        description=value)
        outlet = services.outlet_create(name=f"{name} Daily {n}", kind="newspaper")
        source = services.source_create(title=value, url=f"https://example.org/{n}", authors=[f"{name}{n}"],
                                        published_on="2022-01-08", outlet=outlet)
        tag = services.tag_create(name=f"t{n}", slug=f"-tag-{n}")
        claim = services.claim_create(speaker=speaker, source=source, text=value if value != "'" else "'x",
                                      speaker_role=value, outlet=outlet, tags=[tag])
        services.claim_set_status(claim=claim, user=editor, status="disputed", note=value)
        made.append(claim.uid)

    def values():
        return sorted(
            (c.text, c.speaker.name, c.speaker.description, tuple(c.speaker.aliases), c.speaker_role, c.status_note,
             c.outlet.name, c.source.title, tuple(c.source.authors), tuple(t.slug for t in c.tags.all()))
            for c in Claim.objects.filter(uid__in=made)
        )

    before = values()
    first = export(tmp_path, "csv", name="first.csv")
    _no_cell_starts_a_formula(first)
    assert "'=1+1" in first and "'@SUM(A1)" in first and "''=quoted" in first and ",'-tag-0" in first
    assert ",'Tis the season," in first  # unambiguous: written as it is
    empty_the_database()
    run_import(tmp_path / "first.csv", "--user", editor.username)
    assert values() == before
    assert export(tmp_path, "csv", name="second.csv") == first


def test_a_hand_written_csv_whose_cell_begins_with_an_apostrophe_imports_as_written(tmp_path):
    path = tmp_path / "claims.csv"
    path.write_text("text,kind,speaker,speaker_kind,source_url,source_title\r\n"
                    "'Tis the season,paraphrase,'Ndrangheta watcher,person,https://example.org/x,'Tis\r\n",
                    encoding="utf-8")
    run_import(path)
    claim = Claim.objects.select_related("speaker", "source").get()
    assert (claim.text, claim.speaker.name, claim.source.title) == ("'Tis the season", "'Ndrangheta watcher", "'Tis")


def test_a_span_offset_that_is_not_an_ascii_number_is_reported(tmp_path):
    path = tmp_path / "claims.csv"
    path.write_text("text,kind,speaker,speaker_kind,source_url,span_start,span_exact\r\n"
                    "Hello,paraphrase,Jane,person,https://example.org/x,\u00b2,Hello\r\n", encoding="utf-8")
    problems = refused(path)
    assert "claims.csv:2: span.start:" in problems, problems


# --- idempotence ---------------------------------------------------------------------------------

def test_importing_an_export_twice_changes_nothing(rich, editor, tmp_path):
    export(tmp_path, name="all.ndjson")
    before = all_row_counts()
    stamps = {c.pk: c.updated_at for c in Claim.objects.all()}
    out, _ = run_import(tmp_path / "all.ndjson", "--user", editor.username)
    assert "Imported: nothing changed" in out and "3 claims unchanged" in out
    assert all_row_counts() == before
    assert {c.pk: c.updated_at for c in Claim.objects.all()} == stamps


def test_a_file_without_uids_matches_claims_by_source_speaker_and_text(seed, tmp_path):
    before = all_row_counts()
    out, _ = run_import(SEED_FILE)  # the seed file gives no uids
    assert "nothing changed" in out and all_row_counts() == before


def test_the_seed_and_an_export_of_it_from_another_database_meet_without_duplicates(seed, tmp_path):
    export(tmp_path, name="elsewhere.ndjson")
    # Another database loaded the seed too: its claims have other uids.
    for claim in Claim.objects.all():
        Claim.objects.filter(pk=claim.pk).update(uid=uuid.uuid4())
    before = all_row_counts()
    out, _ = run_import(tmp_path / "elsewhere.ndjson")
    assert "nothing changed" in out and all_row_counts() == before


def test_a_changed_record_updates_its_claim_by_uid(rich, editor, tmp_path):
    records = [json.loads(line) for line in export(tmp_path).splitlines()]
    records[2]["text"] = "taxes would be cut"
    records[2]["passage"], records[2]["span"] = "she said taxes would fall", None
    records[2]["tags"] = []
    path = write_ndjson(tmp_path / "changed.ndjson", records)
    out, _ = run_import(path, "--user", editor.username)
    assert "1 claims updated" in out and "2 claims unchanged" in out
    taxes = Claim.objects.get(pk=rich["taxes"].pk)
    assert taxes.text == "taxes would be cut" and not taxes.tags.exists()
    assert taxes.history.first().history_user == editor


def test_a_verified_claim_whose_words_change_is_verified_again_only_by_an_editor(rich, editor, tmp_path):
    records = [json.loads(line) for line in export(tmp_path).splitlines()]
    records[0]["speaker_role"] = "Former minister"  # an attribution field: verification is reset ...
    path = write_ndjson(tmp_path / "changed.ndjson", records)
    problems = refused(path)  # ... and, without a user who may verify, cannot be set again
    assert "changed.ndjson:1: status: Setting the status to “verified” needs a user with the verify_claim " \
           "permission" in problems
    run_import(path, "--user", editor.username)
    claim = Claim.objects.get(pk=rich["first"].pk)
    assert (claim.speaker_role, claim.status, claim.verified_by) == ("Former minister", "verified", editor)


# --- bad records: reported by line and field, and nothing written --------------------------------

def _file_with_one_bad_record(tmp_path, bad, *, at=2):
    records = [good_record(n) for n in range(3)]
    records.insert(at - 1, bad)
    return write_ndjson(tmp_path / "claims.ndjson", records)


@pytest.mark.parametrize(("bad", "expected"), [
    (good_record(speaker=None), "claims.ndjson:2: speaker: A claim needs its speaker"),
    (good_record(text="We will lower fuel prices."),
     "claims.ndjson:2: text: This quote does not occur in the source text"),
    (good_record(stated_on="2022-02-30"), "claims.ndjson:2: stated_on: There is no such day: 2022-02-30."),
    (good_record(stated_on="2022-02-03", stated_on_precision="month"),
     "claims.ndjson:2: stated_on: With month precision, enter the first day of the month"),
    (good_record(status="maybe"), "claims.ndjson:2: status: “maybe” is not one of: unverified, verified, "
                                  "disputed, rejected."),
    (good_record(source={"url": "https://example.org/fuel", "title": "Another title"}),
     "claims.ndjson:2: source.title: Differs from what "),
    (good_record(source={"published_on": "2022-01-08", "language": "english"}),
     "claims.ndjson:2: source: language: Enter a language code such as en or pt-BR."),
    (good_record(stated="on Blursday"), "claims.ndjson:2: stated: Cannot tell the date from “on Blursday”"),
])
def test_a_bad_record_is_reported_and_nothing_is_written(tmp_path, bad, expected):
    path = _file_with_one_bad_record(tmp_path, bad)
    assert expected in refused(path)
    assert set(all_row_counts().values()) == {0}


def test_a_broken_json_line_is_reported_and_nothing_is_written(tmp_path):
    path = _file_with_one_bad_record(tmp_path, good_record())
    lines = path.read_text().splitlines()
    lines[2] = lines[2][:-1]
    path.write_text("\n".join(lines) + "\n")
    assert "claims.ndjson:3: Not valid JSON: Expecting ',' delimiter" in refused(path)
    assert set(all_row_counts().values()) == {0}


def test_a_wrong_csv_header_is_reported_and_nothing_is_written(seed, tmp_path):
    text = export(tmp_path, "csv").replace("speaker_kind", "speaker_type", 1)
    (tmp_path / "claims.csv").write_text(text)
    before = all_row_counts()
    problems = refused(tmp_path / "claims.csv")
    assert "claims.csv:1: header: Wrong header (unknown column(s): speaker_type; missing column(s): speaker_kind)" \
        in problems
    assert all_row_counts() == before


def test_a_csv_without_the_source_text_cannot_create_a_source_known_by_its_text_only(seed, tmp_path):
    text = export(tmp_path, "csv")
    empty_the_database()
    (tmp_path / "claims.csv").write_text(text)
    problems = refused(tmp_path / "claims.csv")  # the seed's source has no title or URL: only its text
    assert "claims.csv:2: source: A source needs a title, a URL or its text." in problems
    assert set(all_row_counts().values()) == {0}


def test_with_skip_invalid_the_rest_is_imported_and_the_bad_ones_reported(tmp_path):
    path = _file_with_one_bad_record(tmp_path, good_record(text="Not in the article."), at=3)
    out, err = run_import(path, "--skip-invalid")
    assert "claims.ndjson:3: text: This quote does not occur in the source text" in err
    assert "3 claims created" in out and "Skipped the records with 1 problem(s)" in out
    assert Claim.objects.count() == 3


def test_a_dry_run_says_what_it_would_do_and_writes_nothing(seed, tmp_path):
    records = [json.loads(line) for line in export(tmp_path).splitlines()]
    records[0]["speaker_role"] = "Head of State"
    records.append(good_record())
    path = write_ndjson(tmp_path / "changed.ndjson", records)
    before = all_row_counts()
    out, _ = run_import(path, "--dry-run")
    assert "Dry run, nothing was written. It would have made: 1 actors created, 1 claims created, " \
           "1 claims updated, 1 sources created." in out
    assert all_row_counts() == before


def test_setting_a_status_needs_a_user_who_may_verify(tmp_path, contributor, editor):
    path = write_ndjson(tmp_path / "claims.ndjson", [good_record(status="verified", status_note="Seen it.")])
    assert "claims.ndjson:1: status: Setting the status to “verified” needs a user with the verify_claim " \
           "permission (an Editor): give one with --user." in refused(path, "--user", contributor.username)
    assert not Claim.objects.exists()
    run_import(path, "--user", editor.username)
    claim = Claim.objects.get()
    assert (claim.status, claim.status_note, claim.verified_by) == ("verified", "Seen it.", editor)
    assert claim.verified_at is not None


def test_an_unknown_user_is_refused(tmp_path):
    path = write_ndjson(tmp_path / "claims.ndjson", [good_record()])
    with pytest.raises(CommandError, match="No user is named 'nobody'"):
        run_import(path, "--user", "nobody")


def test_a_text_file_is_read_beside_the_imported_file_only(tmp_path):
    (tmp_path / "article.txt").write_text(TEXT)
    record = good_record(source={"url": "https://example.org/fuel", "text_file": "article.txt"})
    out, _ = run_import(write_ndjson(tmp_path / "ok.ndjson", [record]))
    assert "1 claims created" in out and Source.objects.get().text == TEXT
    outside = good_record(source={"url": "https://example.org/other", "text_file": "../secret.txt"})
    assert "outside.ndjson:1: source.text_file: No such file beside" in refused(
        write_ndjson(tmp_path / "outside.ndjson", [outside]))


# --- what an import writes -----------------------------------------------------------------------

def test_imported_records_have_their_history_with_the_user_and_the_file(tmp_path, editor):
    record = good_record(tags=[{"slug": "energy", "name": "Energy"}])
    run_import(write_ndjson(tmp_path / "claims.ndjson", [record]), "--user", editor.username)
    claim = Claim.objects.get()
    (created,) = claim.history.all()
    assert (created.history_type, created.history_user, created.history_change_reason) == (
        "+", editor, "Imported from claims.ndjson")
    assert [t.tag.slug for t in created.tags.all()] == ["energy"]  # the tags it was created with
    for model in (Actor, Source, Tag):
        assert model.history.get().history_user == editor


def test_related_records_are_created_once_and_named_by_their_keys(tmp_path):
    records = [good_record(n, tags=["energy"], outlet={"name": "Channel 5", "kind": "broadcaster"}) for n in range(4)]
    records.append(good_record(9, speaker={"wikidata_id": "Q4242", "name": "Jane Minister", "kind": "person"}))
    run_import(write_ndjson(tmp_path / "claims.ndjson", records))
    assert (Actor.objects.count(), Source.objects.count(), Outlet.objects.count(), Tag.objects.count()) == (1, 1, 1, 1)
    assert Actor.objects.get().wikidata_id == "Q4242"
    assert Tag.objects.get().name == "energy"  # named by its slug only: the slug is its name


def test_an_existing_related_record_is_updated_to_what_the_file_says(seed, tmp_path):
    records = [json.loads(line) for line in export(tmp_path).splitlines()]
    for record in records:
        if record["speaker"]["name"] == "Dozhd":
            record["speaker"]["wikidata_id"] = "Q1227233"
    out, _ = run_import(write_ndjson(tmp_path / "changed.ndjson", records))
    assert "1 actors updated" in out and "claims updated" not in out
    assert Actor.objects.get(name="Dozhd").wikidata_id == "Q1227233"


# --- exports -------------------------------------------------------------------------------------

@pytest.mark.parametrize("filters", [
    {"speaker_name": "murtaz"}, {"q": "protesters"}, {"stated_after": "2022-01-06"}, {"kind": "paraphrase"},
    {"outlet": "Facebook", "status": "unverified"}, {"tag": "kazakhstan-unrest-2022"}, {"language": "en"},
])
def test_the_export_filters_are_the_apis(seed, tmp_path, filters):
    from rest_framework.test import APIClient

    if "outlet" in filters:
        filters = {**filters, "outlet": str(Outlet.objects.get(name=filters["outlet"]).pk)}

    args = [item for name, value in filters.items() for item in (f"--{name.replace('_', '-')}", value)]
    exported = [json.loads(line)["uid"] for line in export(tmp_path, "ndjson", *args).splitlines()]
    listed = APIClient().get("/api/v1/claims/", {**filters, "page_size": 500}).json()["results"]
    assert sorted(exported) == sorted(str(Claim.objects.get(pk=row["id"]).uid) for row in listed)
    assert 0 < len(exported) < 18 or filters in ({"language": "en"}, {"tag": "kazakhstan-unrest-2022"})


def test_a_bad_filter_is_refused(seed, tmp_path):
    with pytest.raises(CommandError, match="--stated-after: Enter a valid date"):
        export(tmp_path, "ndjson", "--stated-after", "2022-02-30")


def test_an_export_reads_a_fixed_number_of_queries_a_batch(rich, tmp_path):
    def queries(batch_size):
        with CaptureQueriesContext(connection) as captured:
            list(exporter.export_chunks(Claim.objects.all(), "ndjson", batch_size=batch_size))
        return len(captured)

    # A batch: the claims with their joins, their tags' links, the tags not seen yet, their reviews (with their
    # joins), their relations (with the other claims' uids), the texts of the sources not written yet; then one
    # query finds no more claims.
    assert queries(100) == 6 + 1
    claim = rich["taxes"]
    tag = services.tag_create(name="More", slug="more")
    for i in range(30):
        source = services.source_create(title=f"Source {i}", text=f"Text {i}.")
        more = services.claim_create(speaker=claim.speaker, source=source, text=f"Text {i}.", tags=[tag])
        services.review_create(claim=more, reviewer=claim.speaker, rating="mixed")
    assert queries(100) == 6 + 1  # ten times the claims, tags, reviews and sources: the same queries
    assert queries(11) == 6 + 5 + 5 + 1  # 33 claims in 3 batches; the later ones know every tag already


def test_the_seed_loads_through_the_importer(tmp_path):
    # The seed is a file of the interchange format: import_claims reads it as load_seed does.
    out, _ = run_import(SEED_FILE)
    assert "18 claims created" in out
    assert Source.objects.get().text == (SEED_DIR / "000_48f74acf3997d020.txt").read_text(encoding="utf-8")
    before = all_row_counts()
    call_command("load_seed", stdout=StringIO())
    assert all_row_counts() == before
    assert Claim.objects.get(text="he had authorized the use of deadly force against protesters").stated_on == \
        date(2022, 1, 7)


def test_import_files_reports_without_the_command(tmp_path):
    report = import_files([write_ndjson(tmp_path / "c.ndjson", [good_record(), good_record(speaker=None)])],
                          skip_invalid=True)
    assert dict(report.stats) == {"actors created": 1, "sources created": 1, "claims created": 1}
    assert [str(p) for p in report.problems] == [
        f"{tmp_path / 'c.ndjson'}:2: speaker: A claim needs its speaker: an actor named by name and kind, or "
        f"wikidata_id."]


def test_a_line_that_is_not_utf8_is_reported_by_its_line_and_nothing_is_written(tmp_path):
    path = tmp_path / "latin1.ndjson"
    records = [json.dumps(good_record(n), ensure_ascii=False) for n in range(3)]
    path.write_bytes("\n".join(records).encode("utf-8") + "\n".encode() + '{"text": "Déjà"}\n'.encode("latin-1"))
    assert "latin1.ndjson:4: Not UTF-8 text: the byte 0xe9 at column 12 (invalid continuation byte)." in refused(path)
    assert set(all_row_counts().values()) == {0}


def test_records_in_many_chunks_are_read_ahead_in_order(tmp_path):
    records = [good_record(n, uid=str(uuid.UUID(int=n + 1))) for n in range(25)]
    records[17] = good_record(speaker=None)
    report = import_files([write_ndjson(tmp_path / "c.ndjson", records)], chunk_size=4, skip_invalid=True)
    assert [p.line for p in report.problems] == [18] and report.records == 25
    assert list(Claim.objects.order_by("id").values_list("speaker_role", flat=True)) == [
        f"Minister of Energy {n}" for n in range(25) if n != 17]


def test_a_batch_the_database_refuses_is_checked_record_by_record(tmp_path):
    # A source named only by its date and without a text breaks a database constraint (a source needs a
    # title, a URL or its text): the batch is refused, then each record is checked and saved on its own.
    records = [good_record(n, source={"url": f"https://example.org/{n}", "title": f"Article {n}"},
                           kind="paraphrase", text=f"Claim {n}") for n in range(3)]
    records.insert(1, good_record(source={"published_on": "2021-05-05"}, kind="paraphrase", text="Claim x"))
    out, err = run_import(write_ndjson(tmp_path / "claims.ndjson", records), "--skip-invalid")
    assert "claims.ndjson:2: source: A source needs a title, a URL or its text." in err
    assert "3 claims created" in out and "3 sources created" in out
    for source in Source.objects.all():
        assert [h.history_type for h in source.history.all()] == ["+"]  # one history record each, not two


# --- relations between claims ----------------------------------------------------------------------

def test_relations_are_read_from_both_sides_made_once_and_an_unknown_uid_is_a_problem_of_its_line(rich, editor,
                                                                                                 tmp_path):
    records = [json.loads(line) for line in export(tmp_path).splitlines()]
    empty_the_database()
    # The second record (line 2) names a claim in neither the file nor the database: nothing is written.
    broken = [dict(r) for r in records]
    stranger = "0d5f4a1e-2b8c-4e7a-9f61-3c2d1b0a9e87"
    broken[1]["relations"] = [*broken[1]["relations"], {"type": "responds_to", "claim": stranger}]
    problems = refused(write_ndjson(tmp_path / "broken.ndjson", broken), "--user", editor.username)
    assert "broken.ndjson:2: relations[1].claim: No claim has the uid " + stranger in problems
    assert not Claim.objects.exists() and not ClaimRelation.objects.exists()
    # Bad relations are refused by line and field as the file is read.
    bad = [dict(r) for r in records]
    bad[0]["relations"] = [{"type": "agrees_with", "claim": stranger}, {"type": "repeats", "claim": "nope"}, "x"]
    problems = refused(write_ndjson(tmp_path / "bad.ndjson", bad), "--user", editor.username)
    assert "bad.ndjson:1: relations[0].type" in problems and "bad.ndjson:1: relations[1].claim" in problems
    assert "bad.ndjson:1: relations[2]" in problems
    # Listed from both sides (the export does), each relation is made once, in the stored direction.
    out, _ = run_import(write_ndjson(tmp_path / "good.ndjson", records), "--user", editor.username)
    assert "2 relations created" in out
    first, second, taxes = (Claim.objects.get(uid=r["uid"]) for r in records)
    assert set(ClaimRelation.objects.values_list("claim", "type", "related_claim")) == {
        (second.pk, "repeats", first.pk), (first.pk, "contradicts", taxes.pk)}
    out, _ = run_import(tmp_path / "good.ndjson", "--user", editor.username)  # again: nothing new
    assert "relations created" not in out and ClaimRelation.objects.count() == 2


def test_relations_in_csv_are_type_uid_pairs(rich, tmp_path):
    import csv

    rows = list(csv.DictReader(StringIO(export(tmp_path, "csv"))))
    assert rows[1]["relations"] == f"repeats:{rich['first'].uid}"
    record = interchange.csv_row_to_record(rows[0])
    assert record["relations"] == [{"type": "repeated_by", "claim": str(rich["second"].uid)},
                                   {"type": "contradicts", "claim": str(rich["taxes"].uid)}]
    assert interchange.parse_claim(record).relations == [("repeated_by", rich["second"].uid),
                                                         ("contradicts", rich["taxes"].uid)]
