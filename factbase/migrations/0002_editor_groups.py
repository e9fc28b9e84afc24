"""Create the curation groups.

- Editors: everything on every record, and the ``verify_claim`` permission (verify, dispute, reject).
- Contributors: enter and correct records, but neither delete them nor change a claim's status.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MODELS = ["actor", "outlet", "source", "claim", "review", "tag"]
EDITORS = "Editors"
CONTRIBUTORS = "Contributors"


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure ours exist now.
    app_config = apps.get_app_config("factbase")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(content_type__app_label="factbase", content_type__model__in=MODELS)

    def codenames(*actions):
        names = [f"{action}_{model}" for action in actions for model in MODELS]
        return list(perms.filter(codename__in=names))

    editors, _ = Group.objects.get_or_create(name=EDITORS)
    editors.permissions.add(*codenames("add", "change", "delete", "view"), perms.get(codename="verify_claim"))
    contributors, _ = Group.objects.get_or_create(name=CONTRIBUTORS)
    contributors.permissions.add(*codenames("add", "change", "view"))


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=[EDITORS, CONTRIBUTORS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("factbase", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
