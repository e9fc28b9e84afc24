"""Split the claim search vector into its two halves, so bulk loads can compute it set-wise.

``factbase_claim_search_vector(text, speaker)`` (kept by the triggers of migration 0004) is now
``factbase_claim_text_vector(text) || factbase_actor_search_vector(name, aliases)``: the same vector,
but ``generate_claims`` can compute each actor's half once instead of once a claim.
PostgreSQL only; nothing on SQLite.
"""

from django.db import migrations

SEARCH_CONFIG = "english"

FORWARD_SQL = [
    f"""
    CREATE FUNCTION factbase_claim_text_vector(claim_text text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT setweight(to_tsvector('{SEARCH_CONFIG}', coalesce(claim_text, '')), 'A')
    $$
    """,
    f"""
    CREATE FUNCTION factbase_actor_search_vector(actor_name text, actor_aliases jsonb) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT setweight(to_tsvector('{SEARCH_CONFIG}', coalesce(actor_name || ' ' || actor_aliases::text, '')), 'B')
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION factbase_claim_search_vector(claim_text text, speaker bigint) RETURNS tsvector
    LANGUAGE sql STABLE AS $$
        SELECT factbase_claim_text_vector(claim_text)
            || coalesce((SELECT factbase_actor_search_vector(a.name, a.aliases)
                         FROM factbase_actor a WHERE a.id = speaker), ''::tsvector)
    $$
    """,
]

BACKWARD_SQL = [
    f"""
    CREATE OR REPLACE FUNCTION factbase_claim_search_vector(claim_text text, speaker bigint) RETURNS tsvector
    LANGUAGE sql STABLE AS $$
        SELECT setweight(to_tsvector('{SEARCH_CONFIG}', coalesce(claim_text, '')), 'A')
            || setweight(to_tsvector('{SEARCH_CONFIG}', coalesce(
                   (SELECT a.name || ' ' || a.aliases::text FROM factbase_actor a WHERE a.id = speaker), '')), 'B')
    $$
    """,
    "DROP FUNCTION IF EXISTS factbase_claim_text_vector(text)",
    "DROP FUNCTION IF EXISTS factbase_actor_search_vector(text, jsonb)",
]


def _run_on_postgresql(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)
    return run


class Migration(migrations.Migration):
    dependencies = [("factbase", "0004_api_orderings_and_search")]

    operations = [migrations.RunPython(_run_on_postgresql(FORWARD_SQL), _run_on_postgresql(BACKWARD_SQL))]
