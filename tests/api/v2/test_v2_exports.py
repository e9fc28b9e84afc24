"""v2's exports and CSV: the interchange format with v2's names (a source's document_url, an outlet's website,
CSV columns named by path), each importing back; the importer reads both spellings and refuses a record
that gives both names of one field with different values; the claims CSV carries id and url, ignored
on import."""

import csv
import io
import json

import pytest
from django.core.management import call_command

from factbase import interchange, services
from factbase.models import Claim
from tests.factbase.test_import_export import (  # noqa: F401 - rich is a fixture
    empty_the_database,
    export,
    good_record,
    refused,
    rich,
    run_import,
    write_ndjson,
)
from tests.factbase.test_seed import all_row_counts

pytestmark = pytest.mark.django_db


def body(response) -> str:
    assert response.status_code == 200, getattr(response, "content", b"")[:300]
    return b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()


def test_a_v2_export_names_addresses_by_the_rule(anon_client, rich):
    records = [json.loads(line) for line in body(anon_client.get("/api/v2/claims/export.ndjson")).splitlines()]
    first = records[0]
    assert first["source"]["document_url"] == "https://example.org/fuel" and "url" not in first["source"]
    assert first["source"]["outlet"] == {"name": "Daily Planet", "kind": "newspaper",
                                         "website": "https://planet.example.org/", "description": ""}
    assert first["outlet"]["website"] == "" and "url" not in first["outlet"]
    assert [r["source"]["document_url"] for r in first["reviews"]] == ["https://factdesk.example.org/fuel",
                                                                     "https://example.org/fuel"]
    # The same records as v1's, but for those names.
    v1 = [json.loads(line) for line in body(anon_client.get("/api/v1/claims/export.ndjson")).splitlines()]
    assert [interchange.respelled(record, "v2") for record in v1] == records
    assert json.loads(body(anon_client.get("/api/v2/claims/export.json"))) == records
    header = body(anon_client.get("/api/v2/claims/export.csv")).splitlines()[0].split(",")
    assert header == list(interchange.CSV_COLUMNS_V2)
    assert {"speaker.name", "source.document_url", "source.outlet.name", "span.start"} <= set(header)


@pytest.mark.parametrize("fmt", ["ndjson", "json"])
def test_a_v2_export_imported_into_an_empty_database_is_the_v1_export_again(anon_client, rich, editor, tmp_path, fmt):
    v1_before = export(tmp_path, fmt, name=f"v1.{fmt}")
    (tmp_path / f"v2.{fmt}").write_text(body(anon_client.get(f"/api/v2/claims/export.{fmt}")), encoding="utf-8")
    empty_the_database()
    out, _ = run_import(tmp_path / f"v2.{fmt}", "--user", editor.username)
    assert "3 claims created" in out
    assert export(tmp_path, fmt, name=f"again.{fmt}") == v1_before


def test_a_v2_csv_round_trips(anon_client, editor, tmp_path):
    jane = services.actor_create(name="Jane Minister", kind="person", aliases=["J."], wikidata_id="Q4242")
    outlet = services.outlet_create(name="Daily Planet", kind="newspaper", url="https://planet.example.org/")
    for i in range(3):
        source = services.source_create(title=f"Article {i}", url=f"https://example.org/{i}", outlet=outlet,
                                        authors=["A. Writer"], language="en", published_on=f"2022-01-0{i + 1}")
        services.claim_create(speaker=jane, source=source, text=f"Claim {i}", outlet=outlet,
                              stated_on="2022-01-01", stated_on_precision="month")
    first = body(anon_client.get("/api/v2/claims/export.csv"))
    v1_first = body(anon_client.get("/api/v1/claims/export.csv"))
    assert first.splitlines()[1:] == v1_first.splitlines()[1:]  # the same rows, under v2's header
    (tmp_path / "v2.csv").write_text(first, encoding="utf-8")
    empty_the_database()
    run_import(tmp_path / "v2.csv", "--user", editor.username)
    assert body(anon_client.get("/api/v2/claims/export.csv")) == first


def test_the_claims_csv_of_either_version_imports_its_id_and_url_ignored(anon_client, rich, editor, tmp_path):
    for version in ("v1", "v2"):
        response = anon_client.get(f"/api/{version}/claims/", {"format": "csv", "page_size": 100})
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        assert {(row["id"], row["url"]) for row in rows} == {
            (str(c.pk), f"http://testserver/api/{version}/claims/{c.pk}/") for c in Claim.objects.all()}
        columns = list(rows[0])
        if version == "v2":
            assert columns == ["id", "url", *interchange.CSV_COLUMNS_V2]
        else:
            assert columns == [*interchange.CSV_COLUMNS, "id", "url"]  # added after v1's columns: none moved
        (tmp_path / f"{version}.csv").write_text(response.content.decode(), encoding="utf-8")
        before = all_row_counts()
        out, err = run_import(tmp_path / f"{version}.csv", "--user", editor.username)
        assert "3 claims unchanged" in out and "created" not in out, out + err
        assert all_row_counts() == before


def test_a_claim_record_may_carry_its_id_and_url(tmp_path):
    path = write_ndjson(tmp_path / "claims.ndjson", [good_record(id=7, url="http://elsewhere.example/api/v1/claims/7/")])
    out, _ = run_import(path)
    assert "1 claims created" in out and Claim.objects.get().text == good_record()["text"]


SAME = {"url": "https://example.org/fuel", "document_url": "https://example.org/fuel", "title": "Fuel prices frozen",
        "published_on": "2022-01-08"}


def test_both_spellings_of_one_field_are_read_when_they_agree(tmp_path):
    record = good_record(source={**SAME, "text": good_record()["source"]["text"]},
                         outlet={"name": "Planet", "url": "https://p.example/", "website": "https://p.example/"})
    out, _ = run_import(write_ndjson(tmp_path / "claims.ndjson", [record]))
    claim = Claim.objects.select_related("source", "outlet").get()
    assert (claim.source.url, claim.outlet.url) == ("https://example.org/fuel", "https://p.example/")


@pytest.mark.parametrize(("change", "expected"), [
    ({"source": {**SAME, "document_url": "https://example.org/other"}},
     "claims.ndjson:2: source.document_url: Give document_url or url (its name in version 1 of the format), "
     "not both with different values."),
    ({"outlet": {"name": "Planet", "url": "https://a.example/", "website": "https://b.example/"}},
     "claims.ndjson:2: outlet.website: Give website or url"),
])
def test_both_spellings_with_different_values_are_refused_by_line(tmp_path, change, expected):
    records = [good_record(0), good_record(1, **change), good_record(2)]
    assert expected in refused(write_ndjson(tmp_path / "claims.ndjson", records))
    assert set(all_row_counts().values()) == {0}


def test_a_csv_with_both_names_of_a_column_is_read_where_they_agree_and_refused_where_not(seed, tmp_path):
    header, *rows = list(csv.reader(io.StringIO(export(tmp_path, "csv"))))
    at = header.index("source_url")
    both = [[*header, "source.document_url"]] + [[*row, row[at]] for row in rows]
    (tmp_path / "agree.csv").write_text(interchange.csv_lines(both), encoding="utf-8")
    before = all_row_counts()
    out, _ = run_import(tmp_path / "agree.csv")
    assert "18 claims unchanged" in out and all_row_counts() == before
    both[1][-1] = "https://example.org/another"  # the first row: line 2
    (tmp_path / "differ.csv").write_text(interchange.csv_lines(both), encoding="utf-8")
    assert ("differ.csv:2: source.document_url: Give source.document_url or source_url (its name in version 1 of "
            "the format), not both with different values.") in refused(tmp_path / "differ.csv")
    assert all_row_counts() == before


@pytest.mark.parametrize("fmt", ["ndjson", "json", "csv"])
def test_export_claims_names_v2_is_the_v2_export_over_http(anon_client, rich, tmp_path, fmt):
    for names in ("v1", "v2"):
        target = tmp_path / f"{names}.{fmt}"
        call_command("export_claims", "--format", fmt, "--names", names, "-o", str(target), "--progress", "no")
        response = anon_client.get(f"/api/{names}/claims/export.{fmt}")
        assert target.read_bytes() == b"".join(response.streaming_content)
