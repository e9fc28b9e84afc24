"""Custom plans for statements whose best plan depends on their values: a full-text search.

With server-side binding (``DJANGO_DB_SERVER_SIDE_BINDING``), psycopg prepares a statement a connection
runs often, and after five runs PostgreSQL may switch it to a generic plan, made without knowing the
values. For a search, the plan depends on how rare the word is (through the search index for a rare word,
down the date index for a common one); a generic plan chosen while common words were searched walks the
whole date index for a word no claim has (2.7 s instead of a millisecond, measured on the benchmark's
million claims). ``custom_plans()`` asks PostgreSQL to plan each statement of a block with its values
(``plan_cache_mode = force_custom_plan``), and puts the setting back after it; a statement stays prepared
(parsed once), only its plan is made again. Without server-side binding, or on SQLite, every statement is
planned with its values already, and this does nothing.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connections


def prepares_statements(using: str) -> bool:
    connection = connections[using]
    return connection.vendor == "postgresql" and bool(connection.settings_dict.get("OPTIONS", {}).get(
        "server_side_binding"))


@contextmanager
def custom_plans(using: str = "default"):
    """Within the block, each statement on ``using`` is planned with its values."""
    if not prepares_statements(using):
        yield
        return
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute("SET plan_cache_mode = force_custom_plan")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET plan_cache_mode")
