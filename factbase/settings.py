"""Factbase settings: one module, configured from the environment.

Every setting that differs between machines comes from an environment variable; the README lists
them all with their defaults. The defaults are safe for a developer's machine: SQLite next to
``manage.py``, debug on, only local hosts allowed. With ``DJANGO_DEBUG=0`` (production) the app
refuses to start without ``DJANGO_SECRET_KEY`` and ``DJANGO_ALLOWED_HOSTS``.
"""

import datetime
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=True)

# A fixed key is fine for a developer's machine and tests, never for production.
_DEV_SECRET_KEY = "django-insecure-factbase-local-development-only"
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = _DEV_SECRET_KEY

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
if not ALLOWED_HOSTS and not DEBUG:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set when DJANGO_DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# A CSRF failure under /api/ is answered in JSON, like every other error of the API (the admin keeps Django's page).
CSRF_FAILURE_VIEW = "factbase.plumbing.error_views.csrf_failure"

INSTALLED_APPS = [
    "whitenoise.runserver_nostatic",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    # The claims list's "date stated" from–to filter (the admin's own date widgets; no files from outside).
    "rangefilter",
    # Admin (and token) logins: too many failures lock the username from that address for a while.
    "axes",
    "factbase",
    "api",
]

MIDDLEWARE = [
    # X-Request-ID on every response and log line; /healthz before host checks, redirects and throttles.
    "factbase.plumbing.middleware.RequestIDMiddleware",
    "factbase.plumbing.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Serves the admin's and the API docs' static files, in development and production alike.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # 413 for a body over DATA_UPLOAD_MAX_MEMORY_SIZE; reads of safe requests to the replica, if any.
    "factbase.plumbing.middleware.RequestSizeLimitMiddleware",
    "factbase.plumbing.middleware.ReplicaRoutingMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Records the request's user on every historical record written during the request.
    "simple_history.middleware.HistoryRequestMiddleware",
    # A lost database (or Redis) answers 503 with a JSON body and Retry-After, not a stack trace.
    "factbase.plumbing.middleware.ServiceUnavailableMiddleware",
    # Turns django-axes' lockout of a login into a 429 answer (last, as axes asks).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "factbase.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "factbase" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "factbase.wsgi.application"
ASGI_APPLICATION = "factbase.asgi.application"

# Database: SQLite next to manage.py unless DATABASE_URL names another database,
# e.g. postgres://postgres@127.0.0.1:5432/factbase
DATABASE_URL = env.str("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"


def _database(url: str) -> dict:
    """One entry of DATABASES from a URL, with the connection settings every alias shares."""
    config = env.db_url_config(url)
    config["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=0)
    # A kept connection is checked before each request reuses it: a database that went away and came
    # back costs one failed request at most, never a worker stuck with a dead connection.
    config["CONN_HEALTH_CHECKS"] = True
    config["ATOMIC_REQUESTS"] = False
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # Every transaction takes SQLite's write lock when it begins (BEGIN IMMEDIATE): writers queue one
        # after another (up to the busy timeout, in seconds) instead of failing when two of them meet, and
        # what a write reads (a source's text) cannot change before it commits.
        options = config.setdefault("OPTIONS", {})
        options.setdefault("transaction_mode", "IMMEDIATE")
        options.setdefault("timeout", env.int("DJANGO_SQLITE_BUSY_TIMEOUT", default=20))
    if config["ENGINE"] == "django.db.backends.postgresql":
        options = config.setdefault("OPTIONS", {})
        # Fail fast (then 503) rather than hang when the server cannot be reached.
        options.setdefault("connect_timeout", env.int("DJANGO_DB_CONNECT_TIMEOUT", default=5))
        if env.bool("DJANGO_DB_POOL", default=False):
            # psycopg's connection pool, one per process (Django 5.1+); it replaces persistent
            # connections, so CONN_MAX_AGE must be 0.
            config["CONN_MAX_AGE"] = 0
            options["pool"] = {
                "min_size": env.int("DJANGO_DB_POOL_MIN_SIZE", default=1),
                "max_size": env.int("DJANGO_DB_POOL_MAX_SIZE", default=4),
                "timeout": env.float("DJANGO_DB_POOL_TIMEOUT", default=10.0),
            }
        # Server-side binding (psycopg's Cursor rather than its ClientCursor): the parameters travel apart
        # from the SQL, and a query a connection runs often is prepared once (psycopg's
        # prepare_threshold), so PostgreSQL stops planning it on every request.
        if env.bool("DJANGO_DB_SERVER_SIDE_BINDING", default=False):
            options["server_side_binding"] = True
            options["prepare_threshold"] = 5  # psycopg's default; Django turns preparing off unless told
        # Behind PgBouncer in transaction mode: no server-side cursors (they outlive a transaction).
        config["DISABLE_SERVER_SIDE_CURSORS"] = env.bool("DJANGO_DB_DISABLE_SERVER_SIDE_CURSORS", default=False)
    return config


DATABASES = {"default": _database(DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("TEST", {})["NAME"] = env.str(
        "DJANGO_TEST_DATABASE_NAME", default=f"test_{DATABASES['default']['NAME']}"
    )

# Reads from a PostgreSQL replica (factbase/plumbing/db_router.py): with DATABASE_REPLICA_URL set, safe requests
# read from the "replica" alias, writes (and the reads of a request after it wrote) use the primary.
# In tests the replica is the test database itself (a TEST MIRROR of default).
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
DATABASE_REPLICA_ALIAS = None
if DATABASE_REPLICA_URL:
    DATABASE_REPLICA_ALIAS = "replica"
    DATABASES["replica"] = _database(DATABASE_REPLICA_URL)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["factbase.plumbing.db_router.PrimaryReplicaRouter"]
# Seconds a client that wrote keeps reading from the primary (a cookie), so it sees its own writes
# whatever the replica's lag.
DATABASE_REPLICA_PIN_SECONDS = env.int("DJANGO_REPLICA_PIN_SECONDS", default=10)

# The cache (and so the API's throttle counts): Redis when REDIS_URL is set, shared by every process of
# every app server; else memory local to each process, which holds the counts only for one process:
# deploy/gunicorn.conf.py then runs one process (with threads), and in production the check framework
# warns (factbase.W001, factbase/plumbing/checks.py) when GUNICORN_WORKERS asks for more.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("DJANGO_CACHE_KEY_PREFIX", default="factbase"),
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        },
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "KEY_PREFIX": env.str("DJANGO_CACHE_KEY_PREFIX", default="factbase"),
        },
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out login before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("DJANGO_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Compressed, content-hashed files after `collectstatic`; plain finders while DEBUG is on.
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}

# Logs go to standard error: JSON, one object a line, in production (DJANGO_LOG_FORMAT=json), readable
# text on a developer's machine. Every line written during a request carries its X-Request-ID.
LOG_FORMAT = env.str("DJANGO_LOG_FORMAT", default="text" if DEBUG else "json").strip().lower()
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured("DJANGO_LOG_FORMAT must be json or text.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "factbase.plumbing.logs.RequestIDFilter"}},
    "formatters": {
        "json": {"()": "factbase.plumbing.logs.JSONFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        # SQL with its parameters (a token's key, say) is never logged, whatever DJANGO_LOG_LEVEL says.
        "django.db.backends": {"level": "INFO"},
    },
}

# --- Production: HTTPS behind a proxy, and what `manage.py check --deploy` asks for ------------------
# The app sits behind a load balancer or proxy that terminates TLS and sets X-Forwarded-Proto (and
# strips any the client sent). Every default below is the secure one when DJANGO_DEBUG=0.
_proxy_ssl_header = env.str("DJANGO_SECURE_PROXY_SSL_HEADER", default="" if DEBUG else "HTTP_X_FORWARDED_PROTO")
SECURE_PROXY_SSL_HEADER = (_proxy_ssl_header, "https") if _proxy_ssl_header.lower() not in ("", "none") else None
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
# Load balancers and Docker probe /healthz over plain HTTP (it is answered before the redirect anyway).
SECURE_REDIRECT_EXEMPT = [r"^healthz/?$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Request bodies larger than this (bytes) are refused with 413 before they are read ("none": no limit).
_max_body = env.str("DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE", default=str(2_621_440)).strip()
DATA_UPLOAD_MAX_MEMORY_SIZE = None if _max_body.lower() in ("", "none") else int(_max_body)

# How many proxies (load balancer, ...) stand in front of the app: the client's address is then the
# one they put in X-Forwarded-For, for the API's throttles and the login lockout. 0: REMOTE_ADDR.
NUM_PROXIES = env.int("DJANGO_NUM_PROXIES", default=0)

# django-axes: after DJANGO_LOGIN_FAILURE_LIMIT failed logins (admin or API token) for one username from
# one address, that pair is locked out for DJANGO_LOGIN_COOLOFF_MINUTES; the answer is 429.
AXES_ENABLED = env.bool("DJANGO_LOGIN_LOCKOUT", default=True)
AXES_FAILURE_LIMIT = env.int("DJANGO_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("DJANGO_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "factbase.plumbing.security.client_ip"
AXES_LOCKOUT_CALLABLE = "factbase.plumbing.security.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False  # no banner on every management command

# Django REST framework: the API (api/). Every endpoint lives under a version namespace (/api/v1/).
# Request rates: "<number>/<second|minute|hour|day>", or "none" to switch a throttle off.
def _throttle_rate(name, default):
    value = env.str(name, default=default).strip()
    return None if value.lower() in ("", "none", "off") else value


REST_FRAMEWORK = {
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.NamespaceVersioning",
    "ALLOWED_VERSIONS": ["v1", "v2"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an unauthenticated write then gets 401 with "WWW-Authenticate: Token".
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.ModelPermissionsOrReadOnly"],
    # orjson renders the same JSON as DRF's JSONRenderer (compact, UTF-8), several times faster.
    "DEFAULT_RENDERER_CLASSES": ["drf_orjson_renderer.renderers.ORJSONRenderer", "api.renderers.BrowsableAPIRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    # An unknown ?format= is a 400 naming the parameter (DRF: 404).
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "api.negotiation.ContentNegotiation",
    "DEFAULT_FILTER_BACKENDS": ["api.filters.FilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.KeysetPagination",
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.AnonThrottle", "api.throttling.UserThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": _throttle_rate("DJANGO_THROTTLE_ANON", "120/minute"),
        "user": _throttle_rate("DJANGO_THROTTLE_USER", "1200/minute"),
    },
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    "NUM_PROXIES": NUM_PROXIES,
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# How many rows a list page holds by default, and at most (a larger page_size is refused with 400).
API_PAGE_SIZE = env.int("DJANGO_API_PAGE_SIZE", default=50)
API_MAX_PAGE_SIZE = env.int("DJANGO_API_MAX_PAGE_SIZE", default=500)
# Milliseconds a count (?count=true) or one facet (/claims/facets/) may take; the database stops it past
# that (PostgreSQL's statement_timeout, SQLite's progress handler) and the answer says it timed out.
API_FACET_TIME_LIMIT_MS = env.int("DJANGO_API_FACET_TIME_LIMIT_MS", default=200)
# Who may read the history endpoints, the change feed and the records of deleted objects (api.permissions.
# history_access): "live" (anyone reads the history of live records and the feed, without the contents of deleted
# records; a user with the model's view permission reads everything), "public" (anyone reads everything),
# "private" (only users with the model's view permission).
API_HISTORY_ACCESS = env.str("DJANGO_API_HISTORY_ACCESS", default="live")
if API_HISTORY_ACCESS not in ("live", "public", "private"):
    raise ImproperlyConfigured("DJANGO_API_HISTORY_ACCESS must be live, public or private.")

# drf-spectacular: the OpenAPI schema of each API version, and its docs served without the internet.
SPECTACULAR_SETTINGS = {
    "TITLE": "Factbase API",
    "DESCRIPTION": "",  # set in api/schema.py (API_DESCRIPTION)
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENFORCE_NON_BLANK_FIELDS": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No call to the public validator service from the docs page.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None, "persistAuthorization": True},
    "ENUM_NAME_OVERRIDES": {
        "ActorKindEnum": "factbase.models.actor.ActorKind",
        "OutletKindEnum": "factbase.models.outlet.OutletKind",
        "ClaimKindEnum": "factbase.models.claim.ClaimKind",
        "ClaimStatusEnum": "factbase.models.claim.ClaimStatus",
        "ClaimPrecisionEnum": "factbase.models.claim.ClaimPrecision",
        "ReviewRatingEnum": "factbase.models.review.ReviewRating",
        "HistoryTypeEnum": ["created", "changed", "deleted"],
        "ClaimRelationTypeEnum": "factbase.models.relation.ClaimRelationType",
        "ClaimRelationShownTypeEnum": "factbase.models.relation.SHOWN_TYPES",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.postprocess_schema",
    ],
}

# django-simple-history: keep who changed what, and show the changed fields in the admin.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
