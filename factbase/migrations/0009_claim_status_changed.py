"""A claim records when its status last changed and who changed it (``status_changed_at``/``_by``), for every
status. Filled for the claims there are from their history: the latest version whose status differs from
the version before it (the first version compared with ``unverified``, a claim's initial status), with that
version's date and user; a claim whose status never changed keeps null. A claim without history (synthetic
rows) takes its verification for a verified claim, and its ``updated_at`` (no user) for a disputed or
rejected one. ``verified_at``/``verified_by`` are left as they are."""

import importlib

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


FILL = [
    # The latest status change in each claim's history.
    """
    UPDATE factbase_claim SET status_changed_at = latest.history_date, status_changed_by_id = latest.history_user_id
    FROM (
        SELECT id, history_date, history_user_id,
               ROW_NUMBER() OVER (PARTITION BY id ORDER BY history_date DESC, history_id DESC) AS n
        FROM (
            SELECT id, history_id, history_date, history_user_id, history_type, status,
                   COALESCE(LAG(status) OVER (PARTITION BY id ORDER BY history_date, history_id), 'unverified')
                       AS status_before
            FROM factbase_historicalclaim
        ) versions
        WHERE history_type <> '-' AND status <> status_before
    ) latest
    WHERE latest.id = factbase_claim.id AND latest.n = 1
    """,
    # Claims without history.
    """
    UPDATE factbase_claim SET status_changed_at = verified_at, status_changed_by_id = verified_by_id
    WHERE status_changed_at IS NULL AND status = 'verified'
    """,
    """
    UPDATE factbase_claim SET status_changed_at = updated_at
    WHERE status_changed_at IS NULL AND status <> 'unverified'
    """,
]


_0008 = importlib.import_module("factbase.migrations.0008_size_limits_folded_names_span_triggers")


def sqlite_span_triggers_again(apps, schema_editor):
    """On SQLite, adding a foreign key or a constraint rebuilds the table, which drops its triggers: the span
    triggers of 0008 are made again."""
    if schema_editor.connection.vendor == "sqlite":
        for statement in [*_0008.SQLITE_BACKWARD, *_0008.SQLITE_FORWARD]:
            schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ('factbase', '0008_size_limits_folded_names_span_triggers'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # (Backwards, the table is rebuilt after this runs: the triggers are made again then.)
        migrations.RunPython(migrations.RunPython.noop, sqlite_span_triggers_again),
        migrations.AddField(
            model_name='claim',
            name='status_changed_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='claim',
            name='status_changed_by',
            field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='status_changed_claims', to=settings.AUTH_USER_MODEL),
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
        migrations.AddConstraint(
            model_name='claim',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'unverified'), ('status_changed_at__isnull', False), _connector='OR'), models.Q(('status_changed_by__isnull', True), ('status_changed_at__isnull', False), _connector='OR')), name='claim_status_changed_has_time', violation_error_message='A claim whose status was changed records when; a user is recorded with a time.'),
        ),
        migrations.RunPython(sqlite_span_triggers_again, migrations.RunPython.noop),
    ]
