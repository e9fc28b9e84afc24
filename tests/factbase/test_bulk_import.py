"""Large imports: what the importer does differently to be fast, and that nobody can tell.

On PostgreSQL a large batch of claims goes through a staging table that computes the search vector of
every claim at once (the row trigger off for that statement), with their history written from the
same rows; an import that at least doubles the claims table loads it without its secondary indexes
and foreign keys, and makes them again at the end. The thresholds are lowered here so that small
files take those paths. Nothing of it may show: the same rows, the same search, the same history,
and after a refused or failed import the same schema.
"""

import dataclasses
import json
import uuid
from datetime import date
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from rest_framework.test import APIClient

from factbase import interchange, services
from factbase.interchange import bulk, importer
from factbase.models import Actor, Claim, Source, Tag
from factbase.services.claims import _claim_fields
from factbase.services.many import _build, _clean_in_memory

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the PostgreSQL bulk path")

TEXT = "Fuel prices will stay frozen this winter, the minister said. Critics called the promise empty."


@pytest.fixture
def set_wise(monkeypatch):
    """Every batch through the staging table, every import a bulk load (when it doubles the table)."""
    monkeypatch.setattr(bulk, "SET_WISE_MIN_ROWS", 1)
    monkeypatch.setattr(importer, "BULK_MIN_RECORDS", 1)


def records(count, *, speakers=3):
    out = []
    for n in range(count):
        out.append({
            "uid": str(uuid.UUID(int=n + 1)),
            "text": f"Statement number {n} about zanzibarian pipelines" if n % 2 else "Fuel prices will stay frozen",
            "kind": "paraphrase" if n % 2 else "direct_quote",
            "speaker": {"name": f"Speaker {n % speakers}", "kind": "person",
                        "aliases": [f"Quillfeather{n % speakers}"]},
            "source": {"url": f"https://example.org/{n % 5}", "title": f"Article {n % 5}", "published_on": "2022-01-08",
                       "text": TEXT},
            "stated_on": "2022-01", "tags": [{"slug": "energy", "name": "Energy"}, f"topic-{n % 2}"],
            "status": "verified" if n % 3 == 0 else "unverified",
        })
    return out


def write(path, items):
    path.write_text("".join(json.dumps(item) + "\n" for item in items), encoding="utf-8")
    return path


def run_import(*args):
    out = StringIO()
    call_command("import_claims", *map(str, args), "--progress", "no", stdout=out, stderr=StringIO())
    return out.getvalue()


def schema():
    """The indexes, constraints and triggers of the tables a bulk load touches."""
    tables = [Claim._meta.db_table, Claim.tags.through._meta.db_table, Claim.history.model._meta.db_table,
              Claim.history.model.tags.model._meta.db_table]
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
                       "WHERE indrelid = ANY(%s::regclass[])", [tables])
        indexes = set(cursor.fetchall())
        cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                       "WHERE conrelid = ANY(%s::regclass[])", [tables])
        constraints = set(cursor.fetchall())
        cursor.execute("SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = ANY(%s::regclass[]) "
                       "AND NOT tgisinternal", [tables])
        triggers = set(cursor.fetchall())
    return indexes, constraints, triggers


# --- PostgreSQL: the staging table, the bulk load ------------------------------------------------

@postgresql_only
def test_a_bulk_import_stores_the_search_vector_the_trigger_would_and_search_finds_the_claims(
        tmp_path, editor, set_wise):
    run_import(write(tmp_path / "claims.ndjson", records(40)), "--user", editor.username)
    assert Claim.objects.count() == 40
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), count(*) FILTER (WHERE search_vector IS DISTINCT FROM "
                       "factbase_claim_search_vector(text, speaker_id)) FROM factbase_claim")
        assert cursor.fetchone() == (40, 0)
    client = APIClient()
    by_text = client.get("/api/v1/claims/", {"q": "zanzibarian", "page_size": 100}).json()["results"]
    assert len(by_text) == 20  # a word of the text
    by_alias = client.get("/api/v1/claims/", {"q": "quillfeather1", "page_size": 100}).json()["results"]
    assert {row["id"] for row in by_alias} == set(Claim.objects.filter(speaker__name="Speaker 1").values_list(
        "id", flat=True))  # the speaker's alias


@postgresql_only
def test_after_a_bulk_import_the_trigger_keeps_the_search_vector_again(tmp_path, editor, set_wise):
    run_import(write(tmp_path / "claims.ndjson", records(10)), "--user", editor.username)
    claim = Claim.objects.filter(kind="paraphrase").first()
    services.claim_update(claim=claim, user=editor, data={"text": "A wholly different xylophonic statement"})
    actor = Actor.objects.get(name="Speaker 0")
    services.actor_update(actor=actor, user=editor, data={"aliases": ["Brightwater"]})
    client = APIClient()
    assert [row["id"] for row in client.get("/api/v1/claims/", {"q": "xylophonic"}).json()["results"]] == [claim.pk]
    assert len(client.get("/api/v1/claims/", {"q": "brightwater"}).json()["results"]) == \
        Claim.objects.filter(speaker=actor).count() > 0


@postgresql_only
def test_a_bulk_import_drops_the_indexes_and_foreign_keys_and_makes_them_again(tmp_path, editor, set_wise,
                                                                               monkeypatch):
    before = schema()
    dropped = {}
    begin = bulk.LoadingTables.begin

    def spy(self):
        begin(self)
        dropped["indexes"], dropped["foreign_keys"] = list(self.indexes), list(self.foreign_keys)
        dropped["during"] = schema()
    monkeypatch.setattr(bulk.LoadingTables, "begin", spy)
    run_import(write(tmp_path / "claims.ndjson", records(30)), "--user", editor.username)
    assert len(dropped["indexes"]) >= 10 and len(dropped["foreign_keys"]) == 5  # claims: 3, their tags: 2
    assert dropped["during"][0] < before[0] and dropped["during"][1] < before[1]
    assert not any("speaker_id" in definition.split("(")[1][:12] for definition in dropped["indexes"]
                   if "factbase_claim " in definition)  # the claims' index by speaker stays
    assert schema() == before
    assert Claim.objects.count() == 30


@postgresql_only
def test_an_import_into_a_table_it_will_not_double_keeps_the_indexes(tmp_path, editor, set_wise, monkeypatch):
    run_import(write(tmp_path / "first.ndjson", records(30)), "--user", editor.username)
    begun = []
    monkeypatch.setattr(bulk.LoadingTables, "begin", lambda self: begun.append(self))
    more = [dict(r, uid=str(uuid.uuid4()), text=f"Another {i}", kind="paraphrase") for i, r in enumerate(records(5))]
    run_import(write(tmp_path / "more.ndjson", more), "--user", editor.username)
    assert begun == [] and Claim.objects.count() == 35


@postgresql_only
def test_a_refused_bulk_import_leaves_the_schema_and_the_data_as_they_were(tmp_path, editor, set_wise):
    before, counts = schema(), Claim.objects.count()
    items = records(30)
    items[25]["stated_on"] = "2022-02-30"
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_claims", str(write(tmp_path / "claims.ndjson", items)), "--user", editor.username,
                     "--progress", "no", stdout=StringIO(), stderr=StringIO())
    assert schema() == before and Claim.objects.count() == counts


@postgresql_only
def test_a_bulk_import_that_fails_half_way_leaves_the_schema_and_the_data_as_they_were(tmp_path, editor, set_wise,
                                                                                     monkeypatch):
    before = schema()
    create_many = services.claim_create_many
    calls = []

    def failing(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the disk is full")
        return create_many(**kwargs)
    monkeypatch.setattr(services, "claim_create_many", failing)
    monkeypatch.setattr(importer, "CHUNK_SIZE", 10)
    with pytest.raises(RuntimeError, match="the disk is full"):
        importer.import_files([write(tmp_path / "claims.ndjson", records(30))], user=editor, chunk_size=10)
    assert schema() == before
    assert not Claim.objects.exists() and not Claim.history.exists() and not Source.objects.exists()


@postgresql_only
def test_a_bulk_import_interrupted_half_way_says_so_and_leaves_the_schema_and_the_data_as_they_were(
        tmp_path, editor, set_wise, monkeypatch):
    # Ctrl-C once the claims are on their way (written behind, on the writer's thread), the indexes
    # dropped: rolled back, and said so in one line.
    before = schema()
    process = importer.Importer._process

    def interrupted(self, chunk):
        process(self, chunk)
        raise KeyboardInterrupt
    monkeypatch.setattr(importer.Importer, "_process", interrupted)
    err = StringIO()
    with pytest.raises(SystemExit) as caught:
        call_command("import_claims", str(write(tmp_path / "claims.ndjson", records(30))), "--user",
                     editor.username, "--progress", "no", stdout=StringIO(), stderr=err)
    assert caught.value.code == 130 and err.getvalue().strip() == "Interrupted: nothing was imported (nothing was " \
                                                                   "written)."
    assert schema() == before
    assert not Claim.objects.exists() and not Source.objects.exists() and not Claim.history.exists()


@postgresql_only
def test_a_batch_refused_after_the_checks_fails_the_whole_import_and_leaves_everything_as_it_was(
        tmp_path, editor, set_wise, monkeypatch):
    # Written behind (the claims' insert runs while the next records are checked), a batch the database
    # refuses cannot be checked again row by row: the import fails whole.
    before = schema()
    broken = dataclasses.replace(bulk.CLAIM_SEARCH_VECTOR, expression="(1/0)::text::tsvector")
    monkeypatch.setitem(bulk.COMPUTED, Claim._meta.db_table, broken)
    monkeypatch.setattr(importer, "CHUNK_SIZE", 10)
    with pytest.raises(CommandError, match="The database refused claims that had been checked: division by zero"):
        call_command("import_claims", str(write(tmp_path / "claims.ndjson", records(30))), "--user",
                     editor.username, "--progress", "no", stdout=StringIO(), stderr=StringIO())
    assert schema() == before
    assert not Claim.objects.exists() and not Source.objects.exists() and not Claim.history.exists()


@postgresql_only
def test_a_dry_run_of_a_bulk_import_writes_nothing(tmp_path, editor, set_wise):
    before = schema()
    out = run_import(write(tmp_path / "claims.ndjson", records(30)), "--user", editor.username, "--dry-run")
    assert "30 claims created" in out
    assert schema() == before and not Claim.objects.exists()


# --- both databases ------------------------------------------------------------------------------

@pytest.fixture(params=["row by row", "set-wise"])
def either_path(request, monkeypatch):
    if request.param == "set-wise":
        monkeypatch.setattr(bulk, "SET_WISE_MIN_ROWS", 1)
        monkeypatch.setattr(importer, "BULK_MIN_RECORDS", 1)
    return request.param


def test_the_history_of_imported_claims_is_what_one_by_one_creation_writes(tmp_path, editor, either_path):
    run_import(write(tmp_path / "claims.ndjson", records(12)), "--user", editor.username)
    tracked = [f.attname for f in Claim.history.model.tracked_fields]
    for claim in Claim.objects.all():
        (record,) = claim.history.all()
        assert (record.history_type, record.history_user, record.history_change_reason) == (
            "+", editor, "Imported from claims.ndjson")
        assert {name: getattr(record, name) for name in tracked} == {name: getattr(claim, name) for name in tracked}
        assert sorted(t.tag.slug for t in record.tags.all()) == sorted(claim.tags.values_list("slug", flat=True))
    verified = Claim.objects.filter(status="verified")
    assert verified.count() == 4 and all(c.verified_by == editor for c in verified)


def test_importing_a_large_file_twice_changes_nothing_the_second_time(tmp_path, editor, either_path):
    from tests.factbase.test_seed import all_row_counts

    path = write(tmp_path / "claims.ndjson", records(25))
    run_import(path, "--user", editor.username)
    before = all_row_counts()
    out = run_import(path, "--user", editor.username)
    assert "nothing changed" in out and "25 claims unchanged" in out
    assert all_row_counts() == before


def test_exported_imported_and_exported_again_through_the_bulk_path_is_the_same_file(tmp_path, editor, either_path):
    run_import(write(tmp_path / "claims.ndjson", records(25)), "--user", editor.username)
    first = tmp_path / "first.ndjson"
    call_command("export_claims", "-o", str(first), "--progress", "no")
    for model in (Claim, Source, Actor, Tag):
        model.objects.all().delete()
    run_import(first, "--user", editor.username)
    second = tmp_path / "second.ndjson"
    call_command("export_claims", "-o", str(second), "--progress", "no")
    assert second.read_text() == first.read_text()


# --- the services' many-at-once helpers ----------------------------------------------------------

def claim_data(actor, source, **changes):
    data = dict(speaker=actor, source=source, text="Fuel prices will stay frozen", kind="direct_quote",
                speaker_role="Minister", stated_on=None, stated_on_precision="", outlet=None, span_exact="",
                span_hint=None, uid=uuid.uuid4(), status="unverified", status_note="")
    data.update(changes)
    return _claim_fields(**data)


def test_build_makes_the_instance_the_constructor_makes(actor):
    source = services.source_create(title="Article", published_on="2022-01-08", text=TEXT)
    data = claim_data(actor, source)
    built, made = _build(Claim, data), Claim(**data)
    assert {k: v for k, v in built.__dict__.items() if k != "_state"} == \
        {k: v for k, v in made.__dict__.items() if k != "_state"}
    assert built._state.adding and built._state.db is None
    assert built.speaker is actor and built.source is source  # kept, not read again
    with pytest.raises(ValueError):
        _build(Claim, {**data, "speaker": source})  # the constructor's own refusal


@pytest.mark.parametrize("changes", [
    {"text": ""}, {"text": "   "}, {"kind": "rumour"}, {"status": "maybe"}, {"speaker_role": "x" * 301},
    {"stated_on": date(2022, 2, 3), "stated_on_precision": "month"}, {"stated_on_precision": "day"},
    {"stated_on": date(2022, 2, 3), "stated_on_precision": ""},
    {"stated_on": date(2022, 1, 1), "stated_on_precision": "year"},
    {"text": "Not in the article at all"}, {"kind": "paraphrase", "span_exact": "not there"},
    {"speaker": None}, {},
])
def test_cleaning_in_memory_refuses_what_full_clean_refuses_with_the_same_messages(actor, changes):
    source = services.source_create(title="Article", published_on="2022-01-08", text=TEXT)
    data = claim_data(actor, source, **changes)

    def outcome(check):
        claim = Claim(**data)
        try:
            check(claim)
        except ValidationError as exc:
            return exc.message_dict
        return {name: getattr(claim, name) for name in ("span_start", "span_end", "span_exact", "stated_on")}

    relations = [f.name for f in Claim._meta.concrete_fields if f.is_relation and f.name != "speaker"]
    expected = outcome(lambda c: c.full_clean(exclude=relations, validate_unique=False, validate_constraints=False))
    for _ in range(2):  # the second time, the values the fields accepted are not checked again
        assert outcome(_clean_in_memory) == expected


def test_a_record_parsed_with_a_cache_is_the_same_and_problems_are_never_cached():
    record = {"text": "Words", "speaker": {"name": "Jane", "kind": "person", "aliases": ["J."]},
              "source": {"url": "https://example.org/a", "outlet": {"name": "Daily", "kind": "newspaper"}},
              "outlet": {"name": "Daily", "kind": "newspaper"}, "tags": ["energy", {"slug": "winter"}]}
    cache = {}
    first = interchange.parse_claim(record, cache)
    second = interchange.parse_claim(json.loads(json.dumps(record)), cache)
    assert first == second == interchange.parse_claim(record)
    assert second.speaker is first.speaker and second.source is first.source  # read once
    bad = json.loads(json.dumps(record))
    bad["speaker"]["kind"] = "robot"
    for _ in range(2):
        with pytest.raises(interchange.RecordError) as refused:
            interchange.parse_claim(bad, cache)
        assert ("speaker.kind", "“robot” is not one of: person, organization.") in refused.value.problems
