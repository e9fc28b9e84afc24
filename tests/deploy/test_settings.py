"""Production settings: `check --deploy` finds nothing, production refuses to start half-configured,
every environment variable is documented, and the database pool, the replica and Redis are set from
the environment."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from .conftest import ROOT, is_postgres, manage, postgres_url, production_env

CLEAN = "System check identified no issues (0 silenced)."


def test_check_deploy_reports_nothing_under_production_settings(tmp_path):
    result = manage("check", "--deploy", "--fail-level", "DEBUG",
                    env=production_env(DJANGO_STATIC_ROOT=tmp_path, PYTHONWARNINGS="always"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == CLEAN, result.stdout
    assert result.stderr.strip() == "", result.stderr  # no warning of any kind, from Django or Python


@pytest.mark.parametrize("variable,value,warning", [
    ("DJANGO_SECURE_SSL_REDIRECT", "0", "security.W008"),
    ("DJANGO_SECURE_HSTS_SECONDS", "0", "security.W004"),
    ("DJANGO_SECURE_COOKIES", "0", "security.W012"),
    ("DJANGO_SECRET_KEY", "too-short", "security.W009"),
])
def test_check_deploy_would_catch_an_insecure_setting(tmp_path, variable, value, warning):
    """The check above can fail: each insecure value is reported."""
    result = manage("check", "--deploy", env=production_env(DJANGO_STATIC_ROOT=tmp_path, **{variable: value}))
    assert warning in result.stdout + result.stderr


@pytest.mark.parametrize("missing,message", [
    ("DJANGO_SECRET_KEY", "DJANGO_SECRET_KEY must be set"),
    ("DJANGO_ALLOWED_HOSTS", "DJANGO_ALLOWED_HOSTS must be set"),
])
def test_production_refuses_to_start_without(missing, message):
    result = manage("check", env=production_env(**{missing: None}))
    assert result.returncode != 0
    assert message in result.stderr and "ImproperlyConfigured" in result.stderr


def test_production_defaults_are_the_secure_ones(monkeypatch):
    from factbase import settings as settings_module

    for key, value in production_env().items():
        if key.startswith("DJANGO_"):
            monkeypatch.setenv(key, value)
    try:
        s = importlib.reload(settings_module)
        assert s.DEBUG is False
        assert s.SECURE_SSL_REDIRECT and s.SESSION_COOKIE_SECURE and s.CSRF_COOKIE_SECURE
        assert s.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https")
        assert s.SECURE_HSTS_SECONDS >= 31536000 and s.SECURE_HSTS_INCLUDE_SUBDOMAINS and s.SECURE_HSTS_PRELOAD
        assert s.LOGGING["handlers"]["console"]["formatter"] == "json"
        assert s.STORAGES["staticfiles"]["BACKEND"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
        monkeypatch.setenv("DJANGO_SECURE_PROXY_SSL_HEADER", "none")
        assert importlib.reload(settings_module).SECURE_PROXY_SSL_HEADER is None
    finally:
        monkeypatch.undo()
        importlib.reload(settings_module)


# --- every variable documented ---------------------------------------------------------------------

def _variables_read(path: Path) -> set[str]:
    text = path.read_text()
    names = set(re.findall(r"""env(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]+)["']""", text))
    names |= set(re.findall(r"""_throttle_rate\(\s*["']([A-Z][A-Z0-9_]+)["']""", text))
    names |= set(re.findall(r"""(?:os\.environ\.get|_env_int)\(\s*["']([A-Z][A-Z0-9_]+)["']""", text))
    return names


def _table_variables(path: Path) -> set[str]:
    return set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", path.read_text(), flags=re.MULTILINE))


@pytest.mark.parametrize("document", ["README.md", "docs/configuration.md"])
def test_every_environment_variable_is_in_the_tables(document):
    """The README lists every variable in one line each; docs/configuration.md says what each does in full."""
    documented = _table_variables(ROOT / document)
    read = _variables_read(ROOT / "factbase" / "settings.py") | _variables_read(ROOT / "deploy" / "gunicorn.conf.py")
    assert {"DATABASE_URL", "DATABASE_REPLICA_URL", "REDIS_URL", "DJANGO_SECRET_KEY", "GUNICORN_WORKERS"} <= read
    assert read - documented == set(), f"variables the code reads but the tables of {document} do not list"
    entrypoint = (ROOT / "deploy" / "entrypoint.sh").read_text()
    for name in re.findall(r"\$\{([A-Z][A-Z0-9_]+):-", entrypoint):
        assert name in documented, name


def test_the_readme_and_the_configuration_page_list_the_same_variables():
    assert _table_variables(ROOT / "README.md") == _table_variables(ROOT / "docs" / "configuration.md")


# --- the database pool, the replica, Redis --------------------------------------------------------------

def test_the_connection_pool_comes_from_the_environment(monkeypatch):
    from factbase import settings as settings_module

    monkeypatch.setenv("DATABASE_URL", "postgres://app@db.internal:5432/factbase")
    monkeypatch.setenv("DJANGO_CONN_MAX_AGE", "60")
    try:
        kept = importlib.reload(settings_module).DATABASES["default"]
        assert kept["CONN_MAX_AGE"] == 60 and kept["CONN_HEALTH_CHECKS"] and "pool" not in kept["OPTIONS"]
        assert kept["OPTIONS"]["connect_timeout"] == 5
        monkeypatch.setenv("DJANGO_DB_POOL", "1")
        monkeypatch.setenv("DJANGO_DB_POOL_MAX_SIZE", "8")
        pooled = importlib.reload(settings_module).DATABASES["default"]
        assert pooled["CONN_MAX_AGE"] == 0, "a pool replaces persistent connections"
        assert pooled["OPTIONS"]["pool"] == {"min_size": 1, "max_size": 8, "timeout": 10.0}
        monkeypatch.setenv("DJANGO_DB_DISABLE_SERVER_SIDE_CURSORS", "1")
        assert importlib.reload(settings_module).DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] is True
    finally:
        monkeypatch.undo()
        importlib.reload(settings_module)


@pytest.mark.skipif(not is_postgres(), reason="psycopg's pool is for PostgreSQL")
@pytest.mark.django_db
def test_a_pooled_process_queries_through_psycopgs_pool():
    from django.conf import settings

    test_database = settings.DATABASES["default"]["NAME"]  # the test database, while the tests run
    code = ("from django.db import connection\n"
            "with connection.cursor() as c:\n"
            "    c.execute('SELECT count(*) FROM auth_group')\n"
            "    print('groups', c.fetchone()[0])\n"
            "print('pool', type(connection.pool).__name__, connection.pool.max_size)\n")
    result = manage("shell", "-c", code,
                    env=production_env(DATABASE_URL=postgres_url(test_database), DJANGO_DB_POOL="1",
                                       DJANGO_DB_POOL_MAX_SIZE="3"))
    assert result.returncode == 0, result.stderr
    assert "pool ConnectionPool 3" in result.stdout and "groups" in result.stdout


@pytest.mark.skipif(not is_postgres(), reason="server-side binding is psycopg's, for PostgreSQL")
@pytest.mark.django_db
def test_server_side_binding_prepares_a_query_a_connection_repeats():
    from django.conf import settings

    test_database = settings.DATABASES["default"]["NAME"]
    code = ("from django.db import connection\n"
            "from django.contrib.auth.models import Group\n"
            "for _ in range(6):\n"
            "    list(Group.objects.filter(name='Editors').values_list('id'))\n"
            "with connection.cursor() as c:\n"
            "    c.execute('SELECT count(*) FROM pg_prepared_statements')\n"
            "    print('prepared', c.fetchone()[0], type(c.cursor).__name__)\n")
    plain = manage("shell", "-c", code, env=production_env(DATABASE_URL=postgres_url(test_database)))
    assert plain.returncode == 0, plain.stderr
    assert "prepared 0 Cursor" in plain.stdout  # Django's default (its client-side Cursor): nothing prepared
    bound = manage("shell", "-c", code, env=production_env(DATABASE_URL=postgres_url(test_database),
                                                          DJANGO_DB_SERVER_SIDE_BINDING="1"))
    assert bound.returncode == 0, bound.stderr
    assert "prepared 1 ServerBindingCursor" in bound.stdout, bound.stdout  # the repeated query, prepared once


def test_redis_url_puts_the_cache_and_the_throttles_in_redis(monkeypatch):
    from factbase import settings as settings_module

    monkeypatch.setenv("REDIS_URL", "redis://cache.internal:6379/2")
    monkeypatch.setenv("DJANGO_CACHE_KEY_PREFIX", "fb-prod")
    try:
        cache = importlib.reload(settings_module).CACHES["default"]
        assert cache["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
        assert cache["LOCATION"] == "redis://cache.internal:6379/2" and cache["KEY_PREFIX"] == "fb-prod"
        monkeypatch.delenv("REDIS_URL")
        cache = importlib.reload(settings_module).CACHES["default"]
        assert cache["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    finally:
        monkeypatch.undo()
        importlib.reload(settings_module)
