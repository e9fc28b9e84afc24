"""Fixtures shared by every test: users in each curation role, the seed, small records."""

import pytest
from django.contrib.auth.models import Group, User

from factbase import services
from factbase.models import Actor
from factbase.seed import load_seed


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The real hasher costs about a second a user; tests check permissions, not hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def editor(db):
    user = User.objects.create_user("editor", password="editor-pass-123", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    return user


@pytest.fixture
def contributor(db):
    user = User.objects.create_user("contributor", password="contributor-pass-123", is_staff=True)
    user.groups.add(Group.objects.get(name="Contributors"))
    return user


@pytest.fixture
def reader(db):
    """Authenticated, but with no permission at all."""
    return User.objects.create_user("reader", password="reader-pass-123")


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("admin", password="admin-pass-123")


@pytest.fixture
def seed(db):
    """The seed dataset, loaded through the services."""
    return load_seed()


SAMPLE_TEXT = (
    "The minister said: “We will not raise fuel prices this winter.”\n"
    "Critics answered that the promise was empty. Later the minister’s office\n"
    "added that “prices   will stay frozen”, and repeated: “prices will stay frozen”."
)


@pytest.fixture
def actor(db):
    return services.actor_create(name="Jane Minister", kind=Actor.Kind.PERSON, aliases=["J. Minister"])


@pytest.fixture
def source(db):
    return services.source_create(title="Fuel prices frozen", url="https://example.org/fuel",
                                  published_on="2022-01-08", language="en", text=SAMPLE_TEXT)


@pytest.fixture
def claim(actor, source):
    return services.claim_create(speaker=actor, source=source, text="We will not raise fuel prices this winter.",
                                 speaker_role="Minister of Energy", stated_on="2022-01-07", stated_on_precision="day")


@pytest.fixture
def curation_groups(transactional_db):
    """The Editors and Contributors groups, made by migration 0002.

    A transactional test empties every table when it ends, the groups included; make them again
    with the migration's own function, so the permissions are exactly those of a migrated database.
    """
    from django.contrib.auth.models import Group

    if Group.objects.filter(name__in=["Editors", "Contributors"]).count() < 2:
        from importlib import import_module

        from django.db import connection
        from django.db.migrations.loader import MigrationLoader

        migration = import_module("factbase.migrations.0002_editor_groups")
        state = MigrationLoader(connection).project_state(("factbase", "0002_editor_groups"))
        migration.create_groups(state.apps, None)
        relations = import_module("factbase.migrations.0010_claim_relations")
        state = MigrationLoader(connection).project_state(("factbase", "0010_claim_relations"))
        relations.grant_relation_permissions(state.apps, None)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """A second database alias, ``replica``, as DATABASE_REPLICA_URL makes in production; in the tests a
    TEST MIRROR of ``default`` (the same test database through another connection). Reads go there only
    in tests that set ``DATABASE_REPLICA_ALIAS`` (tests/factbase/test_db_router.py)."""
    import copy

    from django.conf import settings

    if "replica" not in settings.DATABASES:
        replica = copy.deepcopy(settings.DATABASES["default"])
        replica["TEST"] = {**replica.get("TEST", {}), "MIRROR": "default", "NAME": None}
        settings.DATABASES["replica"] = replica
