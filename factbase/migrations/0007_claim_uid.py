"""A claim's UID: its identity across databases, carried by exports and matched by imports.

Every existing claim gets its own random UID from the column's database default (``RandomUUID``:
``gen_random_uuid()`` on PostgreSQL, made from ``randomblob()`` on SQLite), evaluated row by row,
so no Python default is shared by all rows; rows written without the ORM (``generate_claims``'
``COPY``) are filled the same way. The UID is not kept in the claims' history (it never changes).
"""

import uuid

from django.db import migrations, models

import factbase.models.base


class Migration(migrations.Migration):

    dependencies = [
        ('factbase', '0006_claim_indexes_in_api_order'),
    ]

    operations = [
        migrations.AddField(
            model_name='claim',
            name='uid',
            field=models.UUIDField(db_default=factbase.models.base.RandomUUID(), default=uuid.uuid4, editable=False, error_messages={'unique': 'Another claim has this UID.'}, unique=True, verbose_name='UID'),
        ),
    ]
