"""Size limits (factbase/models/limits.py), folded names, and spans that the database keeps true.

- Check constraints bound the long texts (a claim's text and status note, a source's text, a review's
  summary); the name and list fields are bounded by their validators.
- ``names_folded`` (``FoldedNamesField``) on actors, outlets, tags and sources: their names in the one
  normalisation of ``provenance.normalize``, filled here for the rows that exist.
- A claim's span must slice its source's text: ``substr(source.text, span_start + 1, span_end -
  span_start) = span_exact``. The services take the source's row lock for every claim write and every
  edit of a source's text; these triggers make a write that would break the rule fail anyway:
  - PostgreSQL: after each statement that inserts or updates claims, the claims it wrote are checked
    against their sources (one query over the statement's rows); after a change of a source's text, a
    deferred constraint trigger checks that source's claims when the transaction commits (the claims'
    spans are moved, in the same transaction, after the text).
  - SQLite: each claim inserted or updated is checked before it is written. (SQLite has no deferred
    triggers, so a source's edit is checked by the services alone; SQLite runs one write transaction at a
    time, and Factbase opens them with BEGIN IMMEDIATE.)
  The violation is an IntegrityError naming ``claim_span_matches_source``.
"""

import django.core.validators
import django.db.models.functions.text
import django.db.models.lookups
import factbase.models.base
from django.conf import settings
from django.db import migrations, models



from factbase import provenance

FOLDED = {"actor": ("name", "aliases"), "outlet": ("name",), "tag": ("name", "slug"), "source": ("title", "url")}


def fill_folded_names(apps, schema_editor):
    for model_name, fields in FOLDED.items():
        model = apps.get_model("factbase", model_name)
        batch = []
        for row in model.objects.only("id", *fields).iterator(chunk_size=2000):
            names = []
            for field in fields:
                value = getattr(row, field)
                for name in value if isinstance(value, list) else [value]:
                    if isinstance(name, str) and name:
                        names.append(provenance.normalize(name))
            row.names_folded = "\n".join(names)
            batch.append(row)
            if len(batch) >= 2000:
                model.objects.bulk_update(batch, ["names_folded"])
                batch = []
        if batch:
            model.objects.bulk_update(batch, ["names_folded"])


SPAN_MISMATCH = ("claim_span_matches_source: claim %% has a span that is not its source''s text "
                 "(the source''s text from span_start to span_end must equal span_exact)")

POSTGRESQL_FORWARD = [
    f"""
    CREATE FUNCTION factbase_claim_spans_check() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE bad bigint;
    BEGIN
        SELECT c.id INTO bad FROM written_claims c JOIN factbase_source s ON s.id = c.source_id
        WHERE c.span_start IS NOT NULL
          AND substr(s.text, c.span_start + 1, c.span_end - c.span_start) IS DISTINCT FROM c.span_exact
        LIMIT 1;
        IF bad IS NOT NULL THEN
            RAISE EXCEPTION '{SPAN_MISMATCH}', bad
                USING ERRCODE = 'check_violation', CONSTRAINT = 'claim_span_matches_source';
        END IF;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER claim_span_matches_source_insert AFTER INSERT ON factbase_claim
    REFERENCING NEW TABLE AS written_claims FOR EACH STATEMENT EXECUTE FUNCTION factbase_claim_spans_check()
    """,
    """
    CREATE TRIGGER claim_span_matches_source_update AFTER UPDATE ON factbase_claim
    REFERENCING NEW TABLE AS written_claims FOR EACH STATEMENT EXECUTE FUNCTION factbase_claim_spans_check()
    """,
    f"""
    CREATE FUNCTION factbase_source_spans_check() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE bad bigint;
    BEGIN
        SELECT c.id INTO bad FROM factbase_claim c JOIN factbase_source s ON s.id = c.source_id
        WHERE c.source_id = NEW.id AND c.span_start IS NOT NULL
          AND substr(s.text, c.span_start + 1, c.span_end - c.span_start) IS DISTINCT FROM c.span_exact
        LIMIT 1;
        IF bad IS NOT NULL THEN
            RAISE EXCEPTION '{SPAN_MISMATCH}', bad
                USING ERRCODE = 'check_violation', CONSTRAINT = 'claim_span_matches_source';
        END IF;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE CONSTRAINT TRIGGER source_text_matches_spans AFTER UPDATE OF text ON factbase_source
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (OLD.text IS DISTINCT FROM NEW.text)
    EXECUTE FUNCTION factbase_source_spans_check()
    """,
]
POSTGRESQL_BACKWARD = [
    "DROP TRIGGER IF EXISTS source_text_matches_spans ON factbase_source",
    "DROP FUNCTION IF EXISTS factbase_source_spans_check()",
    "DROP TRIGGER IF EXISTS claim_span_matches_source_update ON factbase_claim",
    "DROP TRIGGER IF EXISTS claim_span_matches_source_insert ON factbase_claim",
    "DROP FUNCTION IF EXISTS factbase_claim_spans_check()",
]

# Only a well-formed span (claim_span_valid, a CHECK that SQLite evaluates after BEFORE triggers, reports
# the others) is compared with its source's text.
_SQLITE_CONDITION = """
    NEW.span_start IS NOT NULL AND NEW.span_end IS NOT NULL AND NEW.span_start >= 0
    AND NEW.span_start < NEW.span_end AND length(NEW.span_exact) = NEW.span_end - NEW.span_start AND (
        SELECT substr(s.text, NEW.span_start + 1, NEW.span_end - NEW.span_start) FROM factbase_source s
        WHERE s.id = NEW.source_id
    ) IS NOT NEW.span_exact
"""
SQLITE_FORWARD = [
    f"""
    CREATE TRIGGER claim_span_matches_source_insert BEFORE INSERT ON factbase_claim
    WHEN {_SQLITE_CONDITION}
    BEGIN SELECT RAISE(ABORT, 'claim_span_matches_source: a claim''s span is not its source''s text'); END
    """,
    f"""
    CREATE TRIGGER claim_span_matches_source_update BEFORE UPDATE ON factbase_claim
    WHEN {_SQLITE_CONDITION}
    BEGIN SELECT RAISE(ABORT, 'claim_span_matches_source: a claim''s span is not its source''s text'); END
    """,
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS claim_span_matches_source_update",
    "DROP TRIGGER IF EXISTS claim_span_matches_source_insert",
]


def _by_vendor(postgresql, sqlite):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for statement in {"postgresql": postgresql, "sqlite": sqlite}.get(vendor, []):
            schema_editor.execute(statement)
    return run


class Migration(migrations.Migration):

    dependencies = [
        ('factbase', '0007_claim_uid'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='actor',
            name='names_folded',
            field=factbase.models.base.FoldedNamesField(of=('name', 'aliases')),
        ),
        migrations.AddField(
            model_name='outlet',
            name='names_folded',
            field=factbase.models.base.FoldedNamesField(of=('name',)),
        ),
        migrations.AddField(
            model_name='source',
            name='names_folded',
            field=factbase.models.base.FoldedNamesField(of=('title', 'url')),
        ),
        migrations.AddField(
            model_name='tag',
            name='names_folded',
            field=factbase.models.base.FoldedNamesField(of=('name', 'slug')),
        ),
        migrations.AlterField(
            model_name='claim',
            name='status_note',
            field=models.TextField(blank=True, help_text='Why the status was last changed.', max_length=2000, validators=[django.core.validators.MaxLengthValidator(2000)]),
        ),
        migrations.AlterField(
            model_name='claim',
            name='text',
            field=models.TextField(help_text='What was said: the exact words for a direct quote.', max_length=10000, validators=[django.core.validators.MaxLengthValidator(10000)]),
        ),
        migrations.AlterField(
            model_name='historicalclaim',
            name='status_note',
            field=models.TextField(blank=True, help_text='Why the status was last changed.', max_length=2000, validators=[django.core.validators.MaxLengthValidator(2000)]),
        ),
        migrations.AlterField(
            model_name='historicalclaim',
            name='text',
            field=models.TextField(help_text='What was said: the exact words for a direct quote.', max_length=10000, validators=[django.core.validators.MaxLengthValidator(10000)]),
        ),
        migrations.AlterField(
            model_name='historicalreview',
            name='summary',
            field=models.TextField(blank=True, max_length=10000, validators=[django.core.validators.MaxLengthValidator(10000)]),
        ),
        migrations.AlterField(
            model_name='historicalsource',
            name='text',
            field=models.TextField(blank=True, help_text="The document's full text, when we hold it. Claim spans point into it.", max_length=1000000, validators=[django.core.validators.MaxLengthValidator(1000000)]),
        ),
        migrations.AlterField(
            model_name='review',
            name='summary',
            field=models.TextField(blank=True, max_length=10000, validators=[django.core.validators.MaxLengthValidator(10000)]),
        ),
        migrations.AlterField(
            model_name='source',
            name='text',
            field=models.TextField(blank=True, help_text="The document's full text, when we hold it. Claim spans point into it.", max_length=1000000, validators=[django.core.validators.MaxLengthValidator(1000000)]),
        ),
        migrations.AddConstraint(
            model_name='claim',
            constraint=models.CheckConstraint(condition=models.Q(django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('text'), 10000)), name='claim_text_max_length', violation_error_message="A claim's text has at most 10000 characters."),
        ),
        migrations.AddConstraint(
            model_name='claim',
            constraint=models.CheckConstraint(condition=models.Q(django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('status_note'), 2000)), name='claim_status_note_max_length', violation_error_message='A status note has at most 2000 characters.'),
        ),
        migrations.AddConstraint(
            model_name='review',
            constraint=models.CheckConstraint(condition=models.Q(django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('summary'), 10000)), name='review_summary_max_length', violation_error_message='A summary has at most 10000 characters.'),
        ),
        migrations.AddConstraint(
            model_name='source',
            constraint=models.CheckConstraint(condition=models.Q(django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('text'), 1000000)), name='source_text_max_length', violation_error_message="A source's text has at most 1000000 characters."),
        ),
        migrations.RunPython(fill_folded_names, migrations.RunPython.noop),
        migrations.RunPython(_by_vendor(POSTGRESQL_FORWARD, SQLITE_FORWARD), _by_vendor(POSTGRESQL_BACKWARD, SQLITE_BACKWARD)),
    ]
