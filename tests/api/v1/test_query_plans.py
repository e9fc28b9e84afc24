"""On PostgreSQL, every filter and ordering of /api/v1/claims/ is served by an index.

A module fixture fills the test database with 60,000 generated claims (generate_claims, committed,
then analysed), so the planner works from real statistics. For each filter and ordering the test
sends the request, takes the SQL that Django sent, and checks its plan with EXPLAIN ANALYZE: no
sequential scan of the claims table, and the page is found by reading a bounded number of claim
rows, not by walking the table and filtering (the way a LIMIT query goes wrong at scale).
"""

import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

CLAIMS = 60_000
# A page of 50 must be found reading at most this many claim rows (index entries or heap rows,
# counting those a filter threw away), whatever the table's size. The planner may find a page of a
# search for a word in 1.5% of claims by walking the date index until 51 match: about
# 51 / 0.015 = 3,400 rows, the same at any size; the bound leaves room for that.
MAX_CLAIM_ROWS_READ = 5_000

pytestmark = [pytest.mark.postgres_only]


@pytest.fixture(scope="module")
def generated(django_db_setup, django_db_blocker):
    if connection.vendor != "postgresql":
        pytest.skip("query plans are PostgreSQL's; SQLite has no planner statistics to check")
    with django_db_blocker.unblock():
        call_command("generate_claims", claims=CLAIMS, seed=11, progress="no", stdout=open("/dev/null", "w"))
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
            cursor.execute("SELECT speaker_id FROM factbase_claim GROUP BY speaker_id ORDER BY count(*) LIMIT 1")
            rare_speaker = cursor.fetchone()[0]
            cursor.execute("SELECT speaker_id FROM factbase_claim GROUP BY speaker_id ORDER BY count(*) DESC LIMIT 1")
            busy_speaker = cursor.fetchone()[0]
            cursor.execute("SELECT name FROM factbase_actor WHERE id = %s", [rare_speaker])
            rare_name = cursor.fetchone()[0]  # matches this one actor
            cursor.execute("SELECT outlet_id, source_id FROM factbase_claim WHERE outlet_id IS NOT NULL LIMIT 1")
            outlet, source = cursor.fetchone()
            cursor.execute("SELECT name FROM factbase_outlet WHERE id = %s", [outlet])
            outlet_name = cursor.fetchone()[0]
            cursor.execute("SELECT uid FROM factbase_claim ORDER BY id DESC LIMIT 1")
            uid = cursor.fetchone()[0]
            cursor.execute("SELECT slug FROM factbase_tag ORDER BY id LIMIT 1")
            tag = cursor.fetchone()[0]
            # A word in about 1.5% of claims, as a user's search typically is.
            cursor.execute("SELECT word FROM ts_stat('SELECT to_tsvector(''simple'', text) FROM factbase_claim') "
                           "ORDER BY abs(ndoc - %s) LIMIT 1", [CLAIMS * 0.015])
            word = cursor.fetchone()[0]
            cursor.execute("SELECT word FROM ts_stat('SELECT to_tsvector(''simple'', text) FROM factbase_claim') "
                           "ORDER BY ndoc, word LIMIT 1")
            rare_word = cursor.fetchone()[0]
            # A common word: in about a fifth of the claims.
            cursor.execute("SELECT word FROM ts_stat('SELECT to_tsvector(''simple'', text) FROM factbase_claim') "
                           "ORDER BY abs(ndoc - %s) LIMIT 1", [CLAIMS * 0.2])
            common_word = cursor.fetchone()[0]
        yield {"rare_speaker": rare_speaker, "busy_speaker": busy_speaker, "rare_name": rare_name,
               "outlet": outlet, "source": source, "tag": tag, "word": word, "common_word": common_word,
               "rare_word": rare_word, "outlet_name": outlet_name, "uid": uid}
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE factbase_claim_tags, factbase_review, factbase_claim, factbase_source, "
                           "factbase_outlet, factbase_tag, factbase_actor CASCADE")


CASES = {
    "default order (newest first)": "",
    "ordering=stated_on": "ordering=stated_on",
    "ordering=-created_at": "ordering=-created_at",
    "ordering=created_at": "ordering=created_at",
    "speaker (few claims)": "speaker={rare_speaker}",
    "speaker (most claims)": "speaker={busy_speaker}",
    "two speakers": "speaker={rare_speaker}&speaker={busy_speaker}",
    "speaker, by created_at": "speaker={busy_speaker}&ordering=-created_at",
    "speaker_name": "speaker_name={rare_name}",
    "outlet": "outlet={outlet}",
    "source": "source={source}",
    "status=rejected": "status=rejected",
    "status=unverified": "status=unverified",
    "kind": "kind=paraphrase",
    "tag": "tag={tag}",
    "language": "language=kk",
    "stated_after": "stated_after=2024-06-01",
    "stated_before": "stated_before=2002-01-01",
    "stated range": "stated_after=2010-01-01&stated_before=2010-03-31",
    "q": "q={word}",
    "q, by relevance": "q={word}&ordering=relevance",
    "q, by created_at": "q={word}&ordering=-created_at",
    "q, a rare word": "q={rare_word}",
    "q, a common word": "q={common_word}",
    "q, two words": "q={word} {rare_word}",
    "status and kind": "status=disputed&kind=direct_quote",
    "ordering=updated_at": "ordering=updated_at",
    "ordering=-updated_at": "ordering=-updated_at",
    "updated_after, by updated_at": "updated_after=2000-01-01T00:00:00Z&ordering=updated_at",
    "updated_before, by -updated_at": "updated_before=2999-01-01T00:00:00Z&ordering=-updated_at",
    "outlet_name": "outlet_name={outlet_name}",
    "uid": "uid={uid}",
    "has_review=false": "has_review=false",
}


def claim_rows_read(plan: dict) -> tuple[int, list[str]]:
    """Claim rows a plan read (rows out of each scan of the claims table plus those its filter
    removed, over all loops), and the kinds of scan used on it."""
    total, scans = 0, []
    stack = [plan["Plan"]]
    while stack:
        node = stack.pop()
        stack.extend(node.get("Plans", []))
        if node.get("Relation Name") == "factbase_claim":
            scans.append(node["Node Type"])
            loops = node.get("Actual Loops", 1)
            total += (node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)) * loops
    return total, scans


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES)
def test_each_filter_and_ordering_reads_claims_through_an_index(client, generated, settings, case):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None}}
    query = CASES[case].format(**generated)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"/api/v1/claims/?page_size=50&{query}")
    assert response.status_code == 200, response.content
    claim_queries = [q["sql"] for q in ctx.captured_queries if 'FROM "factbase_claim"' in q["sql"]]
    assert claim_queries, "the request read no claims"
    with connection.cursor() as cursor:
        for sql in claim_queries:
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
            plan = cursor.fetchone()[0]
            plan = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
            rows, scans = claim_rows_read(plan)
            assert "Seq Scan" not in scans, f"{case}: a sequential scan of the claims table\n{sql}"
            assert rows <= MAX_CLAIM_ROWS_READ, f"{case}: read {rows} claim rows for one page ({scans})\n{sql}"


def table_rows_read(plan: dict, table: str) -> tuple[int, list[str]]:
    total, scans = 0, []
    stack = [plan["Plan"]]
    while stack:
        node = stack.pop()
        stack.extend(node.get("Plans", []))
        if node.get("Relation Name") == table:
            scans.append(node["Node Type"])
            total += (node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)) * node.get("Actual Loops", 1)
    return total, scans


@pytest.mark.django_db
@pytest.mark.parametrize("resource, table", [("actors", "factbase_claim"), ("outlets", "factbase_claim"),
                                             ("sources", "factbase_claim"), ("tags", "factbase_claim_tags")])
def test_claim_counts_read_only_the_claims_of_the_page(client, generated, settings, resource, table):
    """A list's ``claim_count`` is counted for the rows of the page only (after the LIMIT), each through its
    index: the claims read are those of the page's records, whatever the size of the table."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None}}
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"/api/v1/{resource}/?page_size=20")
    assert response.status_code == 200, response.content
    body = response.json()
    [sql] = [q["sql"] for q in ctx.captured_queries]
    # The query reads one row past the page (whether there is a next one): its claims are counted too.
    following = client.get(body["next"].replace("page_size=20", "page_size=1")).json()["results"]
    counted = sum(record["claim_count"] for record in body["results"] + following)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0]
    plan = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
    rows, scans = table_rows_read(plan, table)
    assert scans and "Seq Scan" not in scans, (resource, scans)
    assert rows <= counted + 21, (resource, rows, counted)  # (a grouped count's row for a record without claims)


# --- how a search is planned ---------------------------------------------------------------------------
#
# A search's page reads its ids first: the JSON reader's statement finds the ids and sort keys of the page in a
# subquery of the claims table alone (the paginator's query; alias factbase_claim in the plan), then builds the
# JSON of those rows (alias t0) with their speaker, outlet, source, tags, reviews and relations; the serializer's
# path does the same with ``selectors.ids_first``. What the plan must be, by how common the word is (docs/api.md,
# "How a search is planned"): a rare word is found through the search index (GIN), not by walking the claims in
# date order and testing each; a common word, newest first, is found by that walk, which meets a page of matches
# after a few hundred claims; ``ordering=relevance`` ranks every match in the subquery and keeps the best by a
# top-N heapsort of (rank, id) pairs; and nothing is joined to more than the page's rows.

PAGE = 50
INNER, OUTER = "factbase_claim", "t0"


def search_plan(client, query: str) -> dict:
    """The plan (EXPLAIN ANALYZE, JSON) of the statement that read the page of ``/claims/?{query}``."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"/api/v1/claims/?page_size={PAGE}&{query}")
    assert response.status_code == 200, response.content
    [sql] = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("SELECT p.*")]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0]
    plan = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
    return plan["Plan"]


def plan_nodes(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from plan_nodes(child)


def rows_read(node: dict) -> int:
    return (node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)) * node.get("Actual Loops", 1)


def claim_scans(plan: dict, alias: str) -> list[dict]:
    return [n for n in plan_nodes(plan) if n.get("Relation Name") == "factbase_claim" and n.get("Alias") == alias]


def describe(plan: dict) -> str:
    return "\n".join(f"{n['Node Type']} {n.get('Relation Name', '')} {n.get('Alias', '')} {n.get('Index Name', '')} "
                     f"rows={n.get('Actual Rows')}x{n.get('Actual Loops')}" for n in plan_nodes(plan))


@pytest.fixture
def unthrottled(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None}}


@pytest.mark.django_db
@pytest.mark.parametrize("ordering", ["", "&ordering=stated_on", "&ordering=-created_at"])
def test_a_rare_word_is_found_through_the_search_index(client, generated, unthrottled, ordering):
    plan = search_plan(client, f"q={generated['rare_word']}{ordering}")
    inner = claim_scans(plan, INNER)
    assert inner and all(n["Node Type"] == "Bitmap Heap Scan" for n in inner), describe(plan)
    assert any(n["Node Type"] == "Bitmap Index Scan" and n.get("Index Name") == "claim_search_vector"
               for n in plan_nodes(plan)), describe(plan)
    # no walk of the claims in the order of the page, testing each
    assert not any(n.get("Index Name") in ("claim_stated_key_id", "claim_created_at_id")
                   for n in plan_nodes(plan)), describe(plan)
    assert sum(rows_read(n) for n in inner) <= PAGE + 1


@pytest.mark.django_db
def test_a_common_word_newest_first_walks_the_date_index(client, generated, unthrottled):
    plan = search_plan(client, f"q={generated['common_word']}")
    [walk] = claim_scans(plan, INNER)
    assert walk["Node Type"] == "Index Scan" and walk["Index Name"] == "claim_stated_key_id", describe(plan)
    assert rows_read(walk) <= 1_000, describe(plan)  # about 51 / 0.2
    assert not any(n.get("Index Name") == "claim_search_vector" for n in plan_nodes(plan)), describe(plan)


@pytest.mark.django_db
@pytest.mark.parametrize("word", ["rare_word", "word", "common_word"])
@pytest.mark.parametrize("ordering", ["", "&ordering=relevance", "&ordering=created_at"])
def test_a_search_page_joins_only_its_rows(client, generated, unthrottled, word, ordering):
    plan = search_plan(client, f"q={generated[word]}{ordering}")
    page_rows = PAGE + 1
    # The page's claims, by primary key: the outer query reads no other claim.
    outer = claim_scans(plan, OUTER)
    assert outer and all(n.get("Index Name") == "factbase_claim_pkey" for n in outer), describe(plan)
    assert sum(rows_read(n) for n in outer) <= page_rows, describe(plan)
    # Their speaker, outlet and source, looked up once a row of the page (at most), not joined to every match.
    for table in ("factbase_actor", "factbase_outlet", "factbase_source"):
        scans = [n for n in plan_nodes(plan) if n.get("Relation Name") == table]
        assert scans and all(n.get("Actual Loops", 1) <= page_rows for n in scans), (table, describe(plan))
    # The join of the page's ids to their rows makes no more rows than the page has.
    for node in plan_nodes(plan):
        if node["Node Type"] in ("Nested Loop", "Hash Join", "Merge Join") and any(
                n in outer for n in plan_nodes(node)):
            assert node["Actual Rows"] * node.get("Actual Loops", 1) <= page_rows, describe(plan)


@pytest.mark.django_db
@pytest.mark.parametrize("word", ["word", "common_word"])
def test_relevance_sorts_ranks_and_ids_only(client, generated, unthrottled, word):
    plan = search_plan(client, f"q={generated[word]}&ordering=relevance")
    sorts = [n for n in plan_nodes(plan) if n["Node Type"] == "Sort"]
    # The ranking: a sort by rank of the subquery's claims alone, no join below it, keeping the best.
    ranking = [n for n in sorts if "ts_rank" in " ".join(n.get("Sort Key", []))
               and {(below.get("Relation Name"), below.get("Alias")) for below in plan_nodes(n)
                    if below.get("Relation Name")} == {("factbase_claim", INNER)}]
    assert ranking, describe(plan)
    for sort in ranking:
        assert sort["Sort Method"] == "top-N heapsort", describe(plan)
        assert not any(n["Node Type"] in ("Nested Loop", "Hash Join", "Merge Join") for n in plan_nodes(sort))
    # every match was ranked (more than a page), and no other sort handled more rows than the page's
    assert sum(rows_read(n) for n in claim_scans(plan, INNER)) > PAGE + 1
    for sort in (n for n in sorts if n not in ranking):
        assert all(rows_read(child) <= PAGE + 1 for child in sort.get("Plans", [])), describe(plan)
