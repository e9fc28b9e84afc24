"""The floor of `make bench` (bench/README.md): Django with nothing but one view a request, so that what
it costs is the framework's least (a request through Django's handler, one SQL statement, the bytes).

The database connection is configured as Factbase's (bench/run.py's app environment): DATABASE_URL,
DJANGO_CONN_MAX_AGE, health checks of a kept connection, DJANGO_DB_SERVER_SIDE_BINDING, DJANGO_DB_POOL."""

import environ

env = environ.Env()

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="factbase-bench-floor")
DEBUG = False
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1"])
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "bench.floor.urls"
USE_TZ = True
TIME_ZONE = "UTC"

_database = env.db_url_config(env.str("DATABASE_URL"))
_database["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=0)
_database["CONN_HEALTH_CHECKS"] = True
_options = _database.setdefault("OPTIONS", {})
_options.setdefault("connect_timeout", 5)
if env.bool("DJANGO_DB_SERVER_SIDE_BINDING", default=False):
    _options["server_side_binding"] = True
    _options["prepare_threshold"] = 5
if env.bool("DJANGO_DB_POOL", default=False):  # as Factbase's settings: psycopg's pool, one per process
    _database["CONN_MAX_AGE"] = 0
    _options["pool"] = {"min_size": env.int("DJANGO_DB_POOL_MIN_SIZE", default=1),
                        "max_size": env.int("DJANGO_DB_POOL_MAX_SIZE", default=4),
                        "timeout": env.float("DJANGO_DB_POOL_TIMEOUT", default=10.0)}
DATABASES = {"default": _database}
LOGGING_CONFIG = None
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
