"""Throttle counts without Redis: the API's rates hold for the whole server, not for each process of it.

Without REDIS_URL the counts are in each process's memory, so deploy/gunicorn.conf.py runs one process
(with threads); GUNICORN_WORKERS > 1 without a shared cache is reported by the check framework
(factbase.W001, factbase/plumbing/checks.py), in production only.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import runpy
from pathlib import Path

import pytest

from factbase.plumbing import checks

from .conftest import (ROOT, Server, create_database, drop_database, is_postgres, manage, postgres_url,
                       production_env, scratch_database_name)

HTTPS = {"X-Forwarded-Proto": "https"}
PER_CPU = multiprocessing.cpu_count() * 2 + 1


def gunicorn_config(monkeypatch, **env) -> dict:
    for name in ("REDIS_URL", "GUNICORN_WORKERS", "GUNICORN_THREADS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))


@pytest.mark.parametrize("env,workers,threads", [
    ({}, 1, PER_CPU),  # no shared cache: one process, so that its memory holds every count
    ({"GUNICORN_THREADS": "4"}, 1, 4),
    ({"REDIS_URL": "redis://cache:6379/0"}, PER_CPU, 1),
    ({"GUNICORN_WORKERS": "3"}, 3, 1),
    ({"GUNICORN_WORKERS": "3", "REDIS_URL": "redis://cache:6379/0"}, 3, 1),
])
def test_gunicorn_runs_one_process_without_a_shared_cache(monkeypatch, env, workers, threads):
    config = gunicorn_config(monkeypatch, **env)
    assert (config["workers"], config["threads"]) == (workers, threads)
    assert config["worker_class"] == ("gthread" if threads > 1 else "sync")
    assert checks.app_server_processes(env) == workers  # the check's rule is gunicorn's


@pytest.fixture
def production(settings, monkeypatch):
    settings.DEBUG = False
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"anon": "120/minute", "user": "1200/minute"}}
    for name in ("REDIS_URL", "GUNICORN_WORKERS"):
        monkeypatch.delenv(name, raising=False)
    return settings


def test_no_warning_for_one_process(production):
    assert checks.throttle_counts_are_shared() == []


def test_several_processes_without_a_shared_cache_are_reported(production, monkeypatch):
    monkeypatch.setenv("GUNICORN_WORKERS", "4")
    (warning,) = checks.throttle_counts_are_shared()
    assert warning.id == "factbase.W001" and "up to 4 times" in warning.msg and "REDIS_URL" in warning.hint


@pytest.mark.parametrize("change", ["redis", "throttles off", "debug"])
def test_no_warning_with_a_shared_cache_without_throttles_or_in_development(production, monkeypatch, change):
    monkeypatch.setenv("GUNICORN_WORKERS", "4")
    if change == "redis":
        production.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                         "LOCATION": "redis://cache:6379/0"}}
    elif change == "throttles off":
        production.REST_FRAMEWORK = {**production.REST_FRAMEWORK,
                                     "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None}}
    else:
        production.DEBUG = True
    assert checks.throttle_counts_are_shared() == []


def test_manage_py_check_reports_it_in_production(tmp_path):
    several = manage("check", env=production_env(DJANGO_STATIC_ROOT=tmp_path, GUNICORN_WORKERS="3"))
    assert "factbase.W001" in several.stdout + several.stderr and "up to 3 times" in several.stdout + several.stderr
    shared = manage("check", env=production_env(DJANGO_STATIC_ROOT=tmp_path, GUNICORN_WORKERS="3",
                                                REDIS_URL="redis://127.0.0.1:6379/15"))
    assert shared.returncode == 0 and "factbase.W001" not in shared.stdout + shared.stderr


# --- the server as the image starts it -----------------------------------------------------------------

@pytest.fixture
def database(tmp_path):
    if not is_postgres():
        yield f"sqlite:///{tmp_path / 'db.sqlite3'}"
        return
    name = scratch_database_name("throttle")
    create_database(name)
    try:
        yield postgres_url(name)
    finally:
        drop_database(name)


def test_the_default_server_without_redis_holds_the_rate_across_its_requests(database, tmp_path):
    """deploy/entrypoint.sh with production settings, no REDIS_URL and no GUNICORN_WORKERS: a client gets the
    documented rate from the whole server, each request on a connection of its own (with one process per
    CPU, as before, each process counted alone and let through several times as many)."""
    rate = 5
    env = production_env(DATABASE_URL=database, DJANGO_STATIC_ROOT=tmp_path / "static", DJANGO_COLLECTSTATIC="1",
                         DJANGO_THROTTLE_ANON=f"{rate}/minute", DJANGO_THROTTLE_USER="none",
                         DJANGO_CACHE_KEY_PREFIX=f"throttle-test-{os.getpid()}")
    server = Server(env, tmp_path)
    server.start()
    try:
        workers = worker_processes(server.process.pid)
        statuses = [server.get("/api/v1/", HTTPS)[0] for _ in range(4 * rate)]
    finally:
        server.stop()
    assert len(workers) == 1, workers  # before: one a CPU, each with its own counts
    assert statuses == [200] * rate + [429] * (3 * rate), statuses


def worker_processes(master: int) -> list[int]:
    """The processes whose parent is ``master`` (gunicorn's workers), from /proc."""
    children = []
    for name in os.listdir("/proc"):
        if re.fullmatch(r"[0-9]+", name):
            try:
                stat = (Path("/proc") / name / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                children.append(int(name))
    return children
