"""The app's configuration: on start, the system checks, SQLite's case folding and PostgreSQL's timestamptz reader."""

from django.apps import AppConfig
from django.db.backends.signals import connection_created


class FactbaseConfig(AppConfig):
    name = "factbase"
    verbose_name = "Factbase"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from factbase.plumbing import checks, pg_adapters  # noqa: F401 - checks registers the system checks
        from factbase.selectors import register_sqlite_functions

        # Unicode case folding for SQLite, whose LIKE folds ASCII only (see selectors.text_contains).
        connection_created.connect(register_sqlite_functions, dispatch_uid="factbase_sqlite_functions")
        # timestamptz read by datetime.fromisoformat (C), where Django's loader parses it in Python.
        connection_created.connect(pg_adapters.install, dispatch_uid="factbase_pg_timestamptz")
