"""A backup restores: what docs/deployment.md tells operators to do, done on the test database.

- The whole database, PostgreSQL: `pg_dump --format=custom`, then `pg_restore` into an empty database;
  the restored database holds the same claims (with their spans), history, users and tokens, needs no
  migration, and the app reads it. SQLite (a developer's database): the online backup API, the same.
- The claims alone, any database: `manage.py export_claims`, then `manage.py import_claims` into a new,
  empty, migrated database; exporting again gives the same records.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess

import pytest
from django.core.management import call_command
from django.db import connection

from factbase import services
from factbase.models import Claim
from factbase.seed import load_seed

from .conftest import (create_database, drop_database, is_postgres, manage, postgres_server, postgres_url,
                       production_env, scratch_database_name)

TABLES = ["factbase_claim", "factbase_actor", "factbase_source", "factbase_review", "factbase_historicalclaim",
          "factbase_change", "auth_user", "auth_group", "authtoken_token", "django_migrations"]
CLAIM_COLUMNS = "id, text, span_start, span_end, span_exact, status"


@pytest.fixture
def data(django_user_model):
    from rest_framework.authtoken.models import Token

    load_seed()
    user = django_user_model.objects.create_user("restorer", password="restorer-pass-123")
    token = Token.objects.create(user=user)
    return {"claims": Claim.objects.count(), "token": token.key}


def _snapshot(cursor) -> dict:
    counts = {}
    for table in TABLES:
        cursor.execute(f"SELECT count(*) FROM {table}")
        counts[table] = cursor.fetchone()[0]
    cursor.execute(f"SELECT {CLAIM_COLUMNS} FROM factbase_claim ORDER BY id")
    return {"counts": counts, "claims": [tuple(row) for row in cursor.fetchall()]}


def _app_reads(database_url: str) -> subprocess.CompletedProcess:
    code = ("from factbase.models import Claim\n"
            "claim = Claim.objects.select_related('source').order_by('id').first()\n"
            "assert claim.source.text[claim.span_start:claim.span_end] == claim.span_exact\n"
            "print('claims', Claim.objects.count())\n")
    return manage("shell", "-c", code, env=production_env(DATABASE_URL=database_url))


@pytest.mark.skipif(not is_postgres(), reason="pg_dump and pg_restore back up PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_pg_dump_backup_restores_into_an_empty_database(data, tmp_path):
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.fail("pg_dump and pg_restore are needed (Debian's postgresql-client)")
    host, port, user, password = postgres_server()
    env = {"PGHOST": host, "PGPORT": str(port), "PGUSER": user, "PATH": "/usr/bin:/bin"}
    if password:
        env["PGPASSWORD"] = password
    original = connection.settings_dict["NAME"]
    backup = tmp_path / "factbase.dump"

    subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--file", str(backup), original],
                   env=env, check=True, capture_output=True, timeout=300)
    assert backup.stat().st_size > 0

    restored = scratch_database_name("restore")
    create_database(restored)
    try:
        subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", "--dbname", restored, str(backup)],
                       env=env, check=True, capture_output=True, timeout=300)
        import psycopg

        with connection.cursor() as cursor:
            before = _snapshot(cursor)
        with psycopg.connect(host=host, port=port, user=user, password=password or None, dbname=restored) as other:
            after = _snapshot(other.cursor())
        assert after == before
        assert after["counts"]["factbase_claim"] == data["claims"] > 0
        url = postgres_url(restored)
        check = manage("migrate", "--check", env=production_env(DATABASE_URL=url))
        assert check.returncode == 0, check.stdout + check.stderr  # nothing left to migrate
        reads = _app_reads(url)
        assert reads.returncode == 0, reads.stderr
        assert f"claims {data['claims']}" in reads.stdout
    finally:
        drop_database(restored)


@pytest.mark.skipif(is_postgres(), reason="the SQLite path")
@pytest.mark.django_db(transaction=True)
def test_a_sqlite_backup_restores(data, tmp_path):
    connection.ensure_connection()
    target = tmp_path / "backup.sqlite3"
    with sqlite3.connect(target) as copy:
        connection.connection.backup(copy)
    with connection.cursor() as cursor:
        before = _snapshot(cursor)
    with sqlite3.connect(target) as restored:
        after = _snapshot(restored.cursor())
    assert after == before and after["counts"]["factbase_claim"] == data["claims"] > 0
    url = f"sqlite:///{target}"
    check = manage("migrate", "--check", env=production_env(DATABASE_URL=url))
    assert check.returncode == 0, check.stdout + check.stderr
    reads = _app_reads(url)
    assert reads.returncode == 0, reads.stderr
    assert f"claims {data['claims']}" in reads.stdout


@pytest.mark.django_db
def test_an_export_restores_into_a_new_database(editor, tmp_path):
    load_seed()
    verified = Claim.objects.order_by("pk").first()
    services.claim_set_status(claim=verified, user=editor, status="verified", note="Checked against the source.")
    backup = tmp_path / "claims.ndjson"
    call_command("export_claims", "--output", str(backup), "--progress", "no")
    records = [json.loads(line) for line in backup.read_text().splitlines()]
    assert len(records) == Claim.objects.count() > 0

    if is_postgres():
        name = scratch_database_name("import")
        create_database(name)
        url = postgres_url(name)
    else:
        name, url = None, f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    env = production_env(DATABASE_URL=url, DJANGO_SUPERUSER_PASSWORD="restorer-pass-123")
    try:
        for args in (["migrate", "--no-input"],
                     ["createsuperuser", "--no-input", "--username", "restorer", "--email", "r@example.org"],
                     ["import_claims", str(backup), "--user", "restorer", "--progress", "no"],
                     ["export_claims", "--output", str(tmp_path / "again.ndjson"), "--progress", "no"]):
            result = manage(*args, env=env, timeout=300)
            assert result.returncode == 0, (args, result.stdout, result.stderr)
        again = [json.loads(line) for line in (tmp_path / "again.ndjson").read_text().splitlines()]
        assert sorted(again, key=lambda r: r["uid"]) == sorted(records, key=lambda r: r["uid"])
        restored = next(r for r in again if r["uid"] == str(verified.uid))
        assert restored["status"] == "verified" and restored["span"]["exact"] == verified.span_exact
    finally:
        if name:
            drop_database(name)
