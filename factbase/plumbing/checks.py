"""System checks of Factbase's own settings (Django's check framework: ``manage.py check``, and ``migrate``
before it migrates, which ``deploy/entrypoint.sh`` runs at every start).

``factbase.W001``: in production, the API's throttle counts (``DJANGO_THROTTLE_ANON``, ``DJANGO_THROTTLE_USER``)
are kept in the cache. Without ``REDIS_URL`` that is the memory of each process, so with several app
server processes each counts on its own and a client gets up to that many times the documented rate.
``deploy/gunicorn.conf.py`` therefore runs one process (with threads) when there is no shared cache;
this check warns when ``GUNICORN_WORKERS`` asks for more anyway.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core import checks

#: cache backends whose data lives in one process only
PROCESS_LOCAL_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
}


def app_server_processes(environ=None) -> int:
    """How many processes ``deploy/gunicorn.conf.py`` starts (the same rule: ``GUNICORN_WORKERS``, else one
    without ``REDIS_URL`` and 2 x CPU cores + 1 with it; a test holds the two to each other)."""
    environ = os.environ if environ is None else environ
    workers = environ.get("GUNICORN_WORKERS", "").strip()
    if workers:
        return int(workers)
    return (os.cpu_count() or 1) * 2 + 1 if environ.get("REDIS_URL", "").strip() else 1


@checks.register("factbase")
def throttle_counts_are_shared(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    if settings.DEBUG:
        return []  # the development server is one process
    rates = getattr(settings, "REST_FRAMEWORK", {}).get("DEFAULT_THROTTLE_RATES", {})
    throttled = sorted(scope for scope, rate in rates.items() if rate)
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if not throttled or backend not in PROCESS_LOCAL_CACHES:
        return []
    try:
        processes = app_server_processes()
    except ValueError:
        return []  # gunicorn refuses a GUNICORN_WORKERS that is not a number, and says so
    if processes <= 1:
        return []
    return [checks.Warning(
        f"The API's throttle counts are kept in each process's memory, and GUNICORN_WORKERS starts {processes} "
        f"processes: each counts on its own, so a client may make up to {processes} times the rates of "
        f"DJANGO_THROTTLE_ANON and DJANGO_THROTTLE_USER.",
        hint="Set REDIS_URL (a Redis shared by every process and every app server), or leave GUNICORN_WORKERS "
             "unset (one process with GUNICORN_THREADS threads), or switch the throttles off "
             "(DJANGO_THROTTLE_ANON=none, DJANGO_THROTTLE_USER=none).",
        id="factbase.W001",
    )]
