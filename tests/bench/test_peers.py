"""The peers of `make bench` (bench/peers.py, bench/floor/, bench/comparison.py): the Datasette URL of each
request, the SQLite copy, the floor's one statement, the figures and the table's columns."""

import json
import sqlite3
from io import StringIO

import pytest
from django.db import connection

from bench import comparison, config, peers, report, servers

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")

MARKER = {"claims": 3, "seed": 1, "loaded_at": "2026-12-04T10:00:00+00:00"}


def test_each_request_maps_to_the_same_question_in_datasette():
    page = "/claims/claims.json?_shape=objects&_nocount=1&_nofacet=1&_size=50&_sort_desc=stated_key"
    assert peers.datasette_path("/api/v1/claims/?page_size=50&ordering=-stated_on") == page
    assert peers.datasette_path("/api/v1/claims/?page_size=50&speaker=17") == page + "&speaker_id=17"
    assert peers.datasette_path("/api/v1/claims/?page_size=50&q=ba%20zoj") == page + "&_search=ba%20zoj"
    assert peers.datasette_path("/api/v1/claims/42/") == "/claims/claims/42.json?_shape=objects"


def test_a_request_without_an_equivalent_is_refused():
    for path in ("/api/v1/claims/?page_size=50&ordering=text", "/api/v1/claims/?page_size=50&has_review=true",
                 "/api/v1/actors/"):
        with pytest.raises(ValueError):
            peers.datasette_path(path)


def test_wrk_inputs_become_datasette_inputs_range_and_all():
    assert peers.datasette_data_line("RANGE\t/api/v1/claims/{}/\t1\t1000") == \
        "RANGE\t/claims/claims/{}.json?_shape=objects\t1\t1000"
    assert peers.datasette_data_line("/api/v1/claims/?page_size=50&speaker=3").endswith("&speaker_id=3")
    # the floor answers Factbase's own paths, so its input is Factbase's
    scenario = type("S", (), {"data_lines": ["/api/v1/claims/?page_size=50&q=x"]})()
    assert comparison.side_lines("floor", scenario) == scenario.data_lines
    assert comparison.side_lines("datasette", scenario) == [peers.datasette_path(scenario.data_lines[0])]


def row(claim_id, stated_key, speaker_id, text, **extra):
    values = dict.fromkeys(peers.COLUMNS)
    values.update(id=claim_id, uid=f"u{claim_id}", text=text, kind="paraphrase", speaker_id=speaker_id,
                  speaker_name=f"Speaker {speaker_id}", speaker_kind="person", speaker_role="",
                  stated_on=stated_key, stated_on_precision="day", stated_key=stated_key, source_id=1,
                  source_title="T", source_url="https://example.org/", span_exact="", status="unverified",
                  status_note="", created_at="2026-01-01T00:00:00Z", updated_at="2026-01-01T00:00:00Z",
                  tags='["Tag"]', reviews="[]", **extra)
    return tuple(values[c] for c in peers.COLUMNS)


def small_copy(path):
    db = sqlite3.connect(path)
    peers.create_schema(db)
    rows = [row(1, "2020-01-01", 7, "the budget is balanced"), row(2, "2021-05-01", 8, "taxes will fall"),
            row(3, "0001-01-01", 7, "the budget grew")]
    assert peers.fill(db, iter(rows), MARKER) == 3
    return db


def test_the_sqlite_copy_has_fts5_and_the_indexes_of_a_to_d(tmp_path):
    db = small_copy(tmp_path / "claims.sqlite3")
    indexes = {r[0]: r[1] for r in db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index'")}
    assert "(stated_key DESC, id)" in indexes["claim_stated_key_id"]
    assert "(speaker_id, stated_key DESC, id)" in indexes["claim_speaker_stated_key"]
    # Datasette finds the full-text table of claims (its detect_fts looks for content="claims")
    fts = db.execute("SELECT sql FROM sqlite_master WHERE name = 'claims_fts'").fetchone()[0]
    assert 'USING fts5' in fts and 'content="claims"' in fts
    found = db.execute("SELECT rowid FROM claims_fts WHERE claims_fts MATCH 'budget' ORDER BY rowid").fetchall()
    assert found == [(1,), (3,)]
    by_speaker = db.execute("SELECT rowid FROM claims_fts WHERE claims_fts MATCH 'speaker_name: \"Speaker 8\"'")
    assert by_speaker.fetchall() == [(2,)]
    # the page of a): newest first, as the index reads it
    plan = " ".join(r[3] for r in db.execute("EXPLAIN QUERY PLAN SELECT id FROM claims ORDER BY stated_key DESC "
                                              "LIMIT 2"))
    assert "claim_stated_key_id" in plan
    assert [r[0] for r in db.execute("SELECT id FROM claims ORDER BY stated_key DESC LIMIT 2")] == [2, 1]


def test_the_copy_is_made_again_only_for_another_dataset(tmp_path):
    path = tmp_path / "claims.sqlite3"
    assert not peers.copy_is_current(path, MARKER)
    small_copy(path).close()
    assert peers.copy_is_current(path, MARKER)
    assert not peers.copy_is_current(path, dict(MARKER, loaded_at="2026-12-05T10:00:00+00:00"))
    assert not peers.copy_is_current(path, dict(MARKER, claims=4))
    assert peers.sample_row(path, 1)["tags"] == ["Tag"]


def test_the_figures_are_medians_over_rounds_and_ratios_of_factbase_to_each_side():
    summary = comparison.summarize([100.0, 300.0, 200.0], {"datasette": [50.0, 100.0], "floor": [400.0]})
    assert summary == {"factbase_rps": 200.0, "datasette_rps": 75.0, "vs_datasette": 2.667,
                       "floor_rps": 400.0, "vs_floor": 0.5}
    assert comparison.summarize([10.0], {"floor": []}) == {"factbase_rps": 10.0, "floor_rps": None, "vs_floor": None}
    # scaled rates (None when the run had too little CPU to scale by) under their own names
    assert comparison.summarize([None, 90.0], {"floor": [None, 60.0]}, "_scaled") == {
        "factbase_scaled_rps": 90.0, "floor_scaled_rps": 60.0, "vs_floor_scaled": 1.5}
    assert comparison.scaled(50.0, {"app_workers": 0.4, "postgres": 0.05, "wrk": 0.05}) == 100.0


def result(rps, **peer_figures):
    return {"title": "t", "sql_queries": 4, "in_process_ms": 5.0, "cpu_during_run": {"other": 0.1},
            "wrk": {"requests_per_s": rps, "p50_ms": 1.0, "p99_ms": 2.0, "errors": 0}, **peer_figures}


def test_the_table_gains_the_peer_columns_only_when_they_were_measured():
    plain = report.table({"a": result(100.0)})
    assert "datasette" not in plain
    text = report.table({"a": result(100.0, datasette_rps=40.0, floor_rps=125.0, vs_datasette=2.5, vs_floor=0.8),
                         "e": result(90.0)})
    header, _, line_a, line_e = text.splitlines()
    assert header.split()[-4:] == ["datasette", "floor", "FB/DS", "FB/floor"]
    assert line_a.split()[-4:] == ["40.0", "125.0", "2.50", "80%"]
    assert line_e.split()[-4:] == ["-", "-", "-", "-"]


def test_the_targets_against_the_peers():
    results = {k: result(100.0, vs_datasette=ratio, vs_floor=0.7) for k, ratio in
               (("a", 2.0), ("b", 1.9), ("c", 1.5), ("d", 2.5))}
    targets = {(t["request"], t["target"].split(" (")[0]): t["met"] for t in report.evaluate_targets(results, [])}
    assert targets[("a", ">= 2x Datasette")] and not targets[("b", ">= 2x Datasette")]
    assert targets[("c", ">= 1.5x Datasette")] and targets[("d", ">= 2x Datasette")]
    assert targets[("a", ">= 70% of the floor")] and ("c", ">= 70% of the floor") not in targets


def test_bench_peers_names_the_sides():
    assert config.parse_peers(None) == ["datasette", "floor"]
    assert config.parse_peers("floor,datasette") == ["datasette", "floor"]
    assert config.parse_peers("none") == []
    with pytest.raises(config.BenchError):
        config.parse_peers("flask")


def test_each_worker_class_serves_its_entry_point(tmp_path):
    def args(app, worker_class):
        return servers.gunicorn_arguments(app, worker_class, 2, 4, 8000, tmp_path / "log")

    assert args("factbase", "sync")[0] == "factbase.wsgi:application"
    assert args("factbase", "gthread")[-2:] == ["--threads", "4"]
    uvicorn = args("factbase", "uvicorn")
    assert uvicorn[0] == "factbase.asgi:application" and "uvicorn.workers.UvicornWorker" in uvicorn
    assert args("floor", "sync")[0] == "bench.floor.wsgi:application"
    # Datasette is ASGI only: uvicorn's workers whatever the class of the others
    assert args("datasette", "sync")[:1] == ["bench.datasette_asgi:application"]
    assert "uvicorn.workers.UvicornWorker" in args("datasette", "sync")
    with pytest.raises(config.BenchError):
        args("factbase", "eventlet")


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_floor_and_the_copy_answer_with_the_api_s_claims(client, tmp_path):
    """The floor's one statement gives the API's page (same claims, same order, the same fields) and its
    claim; the SQLite copy holds every claim with its names, tags and reviews."""
    import psycopg
    from django.core.management import call_command

    from bench.floor import views

    call_command("generate_claims", claims=300, seed=3, progress="no", stdout=StringIO())
    api = client.get("/api/v1/claims/?page_size=50&ordering=-stated_on").json()
    sql, params = views.page_sql({"page_size": "50"})
    with connection.cursor() as cursor:
        cursor.execute(sql, dict(params, base="http://testserver"))
        floor = json.loads(cursor.fetchone()[0])
    assert [c["id"] for c in floor["results"]] == [c["id"] for c in api["results"]]
    assert set(floor["results"][0]) == set(api["results"][0])
    assert floor["next"].startswith("http://testserver/api/v1/claims/?cursor=")
    claim = api["results"][0]
    with connection.cursor() as cursor:
        cursor.execute(views.DETAIL_SQL, {"id": claim["id"], "base": "http://testserver"})
        detail = json.loads(cursor.fetchone()[0])
    for field in ("id", "text", "speaker", "outlet", "stated_on", "status", "tags", "created_at"):
        assert detail[field] == claim[field], field
    speaker = claim["speaker"]["id"]
    sql, params = views.page_sql({"page_size": "50", "speaker": str(speaker)})
    with connection.cursor() as cursor:
        cursor.execute(sql, dict(params, base="http://testserver"))
        assert {c["speaker"]["id"] for c in json.loads(cursor.fetchone()[0])["results"]} == {speaker}

    settings = connection.settings_dict
    with psycopg.connect(dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"] or None,
                         port=settings["PORT"] or None, password=settings["PASSWORD"] or None) as conn:
        made = peers.make_copy(conn, tmp_path / "claims.sqlite3", MARKER)
    assert made["rows"] == 300
    copied = peers.sample_row(tmp_path / "claims.sqlite3", claim["id"])
    assert copied["speaker_name"] == claim["speaker"]["name"] and copied["text"] == claim["text"]
    assert copied["tags"] == sorted(tag["name"] for tag in claim["tags"])


def test_django_under_uvicorn_pools_its_connections():
    """A kept connection per request thread would exhaust PostgreSQL's connections under ASGI."""
    assert servers.worker_environment("factbase", "uvicorn") == {"DJANGO_DB_POOL": "1", "DJANGO_CONN_MAX_AGE": "0"}
    assert servers.worker_environment("floor", "uvicorn")["DJANGO_DB_POOL"] == "1"
    assert servers.worker_environment("factbase", "sync") == servers.worker_environment("datasette", "uvicorn") == {}


def test_cpu_ticks_count_processes_that_came_and_went_without_going_negative():
    from bench import load

    before = {10: 100, 11: 50, 12: 70}  # 12 closes during the run (a connection at its CONN_MAX_AGE)
    after = {10: 130, 11: 50, 13: 20}  # 13 opens during it
    assert load.ticks_spent(before, after) == 30 + 0 + 20
    assert load.ticks_spent({}, {}) == 0
