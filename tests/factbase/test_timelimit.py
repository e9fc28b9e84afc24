"""factbase.plumbing.timelimit: a statement past the time limit is stopped by the database, and the next one works."""

import pytest
from django.db import DatabaseError, connection

from factbase.models import Claim
from factbase.plumbing.timelimit import run_limited

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="tests the SQLite path")


def rows_counted(n: int) -> int:
    """A statement that walks ``n`` rows (a recursive CTE, the same SQL on both databases)."""
    with connection.cursor() as cursor:
        cursor.execute("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < %s) "
                       "SELECT count(*) FROM r", [n])
        return cursor.fetchone()[0]


def test_a_statement_within_the_limit_gives_its_result(seed):
    assert run_limited("default", lambda: rows_counted(1000), 5000) == (1000, False)
    assert run_limited("default", Claim.objects.count, 5000) == (Claim.objects.count(), False)


def test_a_slow_statement_is_stopped_at_the_limit_and_the_next_statement_works(seed):
    result, timed_out = run_limited("default", lambda: rows_counted(20_000_000), 50)
    assert (result, timed_out) == (None, True)
    # Nothing is left aborted: the test's own transaction (PostgreSQL) reads on.
    assert Claim.objects.count() == 18
    assert run_limited("default", Claim.objects.count, 5000) == (18, False)


def test_one_millisecond_over_enough_rows_times_out():
    assert run_limited("default", lambda: rows_counted(5_000_000), 1) == (None, True)
    assert rows_counted(10) == 10


def test_another_database_error_is_raised_not_reported_as_a_timeout(seed):
    def broken():
        with connection.cursor() as cursor:
            cursor.execute("SELECT no_such_column FROM factbase_claim")

    with pytest.raises(DatabaseError):
        run_limited("default", broken, 5000)
    assert Claim.objects.count() == 18  # the savepoint took the error with it


@postgres_only
@pytest.mark.postgres_only
def test_on_postgresql_the_limit_is_set_local_in_a_savepoint_and_gone_afterwards(seed):
    def show():
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            return cursor.fetchone()[0]

    before = show()
    assert connection.in_atomic_block  # the test's transaction: the limit is set in a savepoint of it
    assert run_limited("default", show, 123) == ("123ms", False)
    assert show() == before  # the savepoint is rolled back, and SET LOCAL with it
    run_limited("default", lambda: rows_counted(20_000_000), 20)
    assert show() == before


@sqlite_only
def test_on_sqlite_the_progress_handler_is_removed_afterwards(seed):
    assert run_limited("default", lambda: rows_counted(5_000_000), 1) == (None, True)
    # A statement far longer than the limit, after it, runs to its end.
    assert rows_counted(300_000) == 300_000
    assert run_limited("default", lambda: rows_counted(300_000), 60_000) == (300_000, False)
