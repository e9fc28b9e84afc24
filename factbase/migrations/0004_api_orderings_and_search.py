"""Indexes for the API's keyset orderings, and full-text search over claims on PostgreSQL.

The indexes on ``date_sort_key(...)`` serve the API's orderings by date and id on both databases.

Full-text search (PostgreSQL only; on SQLite this migration adds the indexes and nothing else, and
``factbase.selectors.claim_search`` matches terms as case-insensitive substrings instead):

- ``factbase_claim.search_vector``: a ``tsvector`` of the claim's text (weight A) and its speaker's
  name and aliases (weight B), English configuration (stemming), unknown to the Django model;
- kept by triggers: on a claim's insert or change of text or speaker, and on an actor's change of
  name or aliases (which rewrites its claims' vectors);
- a GIN index on it, used by ``search_vector @@ websearch_to_tsquery('english', q)``.
"""


import django.db.models.expressions
import django.db.models.functions.comparison
from django.conf import settings
from django.db import migrations, models


SEARCH_CONFIG = "english"

FORWARD_SQL = [
    "ALTER TABLE factbase_claim ADD COLUMN search_vector tsvector",
    f"""
    CREATE FUNCTION factbase_claim_search_vector(claim_text text, speaker bigint) RETURNS tsvector
    LANGUAGE sql STABLE AS $$
        SELECT setweight(to_tsvector('{SEARCH_CONFIG}', coalesce(claim_text, '')), 'A')
            || setweight(to_tsvector('{SEARCH_CONFIG}', coalesce(
                   (SELECT a.name || ' ' || a.aliases::text FROM factbase_actor a WHERE a.id = speaker), '')), 'B')
    $$
    """,
    """
    CREATE FUNCTION factbase_claim_search_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.search_vector := factbase_claim_search_vector(NEW.text, NEW.speaker_id);
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER factbase_claim_search BEFORE INSERT OR UPDATE OF text, speaker_id ON factbase_claim
    FOR EACH ROW EXECUTE FUNCTION factbase_claim_search_trigger()
    """,
    """
    CREATE FUNCTION factbase_actor_search_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.name IS DISTINCT FROM OLD.name OR NEW.aliases::text IS DISTINCT FROM OLD.aliases::text THEN
            UPDATE factbase_claim SET search_vector = factbase_claim_search_vector(text, speaker_id)
            WHERE speaker_id = NEW.id;
        END IF;
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER factbase_actor_search AFTER UPDATE OF name, aliases ON factbase_actor
    FOR EACH ROW EXECUTE FUNCTION factbase_actor_search_trigger()
    """,
    "UPDATE factbase_claim SET search_vector = factbase_claim_search_vector(text, speaker_id)",
    "CREATE INDEX claim_search_vector ON factbase_claim USING gin (search_vector)",
]

BACKWARD_SQL = [
    "DROP TRIGGER IF EXISTS factbase_actor_search ON factbase_actor",
    "DROP FUNCTION IF EXISTS factbase_actor_search_trigger()",
    "DROP TRIGGER IF EXISTS factbase_claim_search ON factbase_claim",
    "DROP FUNCTION IF EXISTS factbase_claim_search_trigger()",
    "DROP INDEX IF EXISTS claim_search_vector",
    "ALTER TABLE factbase_claim DROP COLUMN IF EXISTS search_vector",
    "DROP FUNCTION IF EXISTS factbase_claim_search_vector(text, bigint)",
]


def _run_on_postgresql(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return  # SQLite: claim_search matches terms as substrings; nothing to create.
        for statement in statements:
            schema_editor.execute(statement)
    return run


class Migration(migrations.Migration):

    dependencies = [
        ('factbase', '0003_regex_end_of_string'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='claim',
            index=models.Index(models.OrderBy(django.db.models.functions.comparison.Coalesce(models.F('stated_on'), django.db.models.expressions.RawSQL("'0001-01-01'", (), output_field=models.DateField()), output_field=models.DateField()), descending=True), models.OrderBy(models.F('id'), descending=True), name='claim_stated_key_id'),
        ),
        migrations.AddIndex(
            model_name='review',
            index=models.Index(models.OrderBy(django.db.models.functions.comparison.Coalesce(models.F('reviewed_on'), django.db.models.expressions.RawSQL("'0001-01-01'", (), output_field=models.DateField()), output_field=models.DateField()), descending=True), models.OrderBy(models.F('id'), descending=True), name='review_reviewed_key_id'),
        ),
        migrations.AddIndex(
            model_name='source',
            index=models.Index(models.OrderBy(django.db.models.functions.comparison.Coalesce(models.F('published_on'), django.db.models.expressions.RawSQL("'0001-01-01'", (), output_field=models.DateField()), output_field=models.DateField()), descending=True), models.OrderBy(models.F('id'), descending=True), name='source_published_key_id'),
        ),
        migrations.AddIndex(
            model_name='source',
            index=models.Index(fields=['language'], name='source_language'),
        ),
        migrations.RunPython(_run_on_postgresql(FORWARD_SQL), _run_on_postgresql(BACKWARD_SQL)),
    ]
