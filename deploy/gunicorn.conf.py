"""gunicorn's configuration for Factbase in production: the Docker image, `make serve`, the tests.

    gunicorn factbase.wsgi:application --config deploy/gunicorn.conf.py

Every value comes from the environment (README, "Serving in production"), with defaults fit for one
machine. Logs (gunicorn's own and the access log) go to standard output/error in DJANGO_LOG_FORMAT,
JSON by default in production; each access-log line carries the request's X-Request-ID.
(Not named ./gunicorn.conf.py on purpose: gunicorn would load that for every run in the directory,
benchmarks included.)
"""

import multiprocessing
import os


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = os.environ.get("GUNICORN_BIND", "").strip() or "0.0.0.0:8000"
# With REDIS_URL: sync workers, (2 x cores) + 1 of them unless GUNICORN_WORKERS says. Without it the API's
# throttle counts live in each process's memory, so that the documented rates hold: one process with
# (2 x cores) + 1 threads, unless GUNICORN_WORKERS asks for more (factbase.plumbing.checks then warns: factbase.W001;
# factbase.plumbing.checks.app_server_processes follows this rule). GUNICORN_THREADS > 1 means threaded workers
# (each thread has its own database connection).
_per_cpu = multiprocessing.cpu_count() * 2 + 1
_shared_cache = bool(os.environ.get("REDIS_URL", "").strip())
_workers_given = bool(os.environ.get("GUNICORN_WORKERS", "").strip())
workers = _env_int("GUNICORN_WORKERS", _per_cpu if _shared_cache else 1)
threads = _env_int("GUNICORN_THREADS", 1 if _shared_cache or _workers_given else _per_cpu)
worker_class = "gthread" if threads > 1 else "sync"
# A request running longer than this is killed (and logged); workers get as long to finish on SIGTERM.
timeout = _env_int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _env_int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then (with jitter, so they do not all restart at once).
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = max(1, max_requests // 10) if max_requests else 0
# Heartbeat files in memory, not on a container's overlay disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# Logs: to the console; the access log can be switched off with GUNICORN_ACCESS_LOG=0.
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
accesslog = "-" if os.environ.get("GUNICORN_ACCESS_LOG", "1").strip().lower() not in ("0", "false", "no", "off") else None
# Never the Authorization header, cookies or bodies: only what is below.
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(a)s" request_id=%({x-request-id}o)s'

_debug = os.environ.get("DJANGO_DEBUG", "1").strip().lower() in ("1", "true", "yes", "on")
_format = os.environ.get("DJANGO_LOG_FORMAT", "").strip().lower() or ("text" if _debug else "json")
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "factbase.plumbing.logs.JSONFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "error_console": {"class": "logging.StreamHandler", "formatter": _format, "stream": "ext://sys.stderr"},
        "access_console": {"class": "logging.StreamHandler", "formatter": _format, "stream": "ext://sys.stdout"},
    },
    "loggers": {
        "gunicorn.error": {"level": loglevel.upper(), "handlers": ["error_console"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["access_console"] if accesslog else [],
                            "propagate": False},
    },
    "root": {"level": "INFO", "handlers": []},
}

# gunicorn's control socket (gunicornc) only when asked for: its default path is shared by every
# gunicorn of the user on the machine.
_control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "").strip()
if _control_socket:
    control_socket = _control_socket
else:
    control_socket_disable = True
