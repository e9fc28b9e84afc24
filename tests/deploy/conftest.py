"""Helpers for the tests of the production setup: a production environment, a database of their own
for a server started outside the test process, and a TCP proxy that plays a database going away."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings as django_settings

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


@pytest.fixture(autouse=True)
def _throttles_out_of_the_way(settings):
    from django.core.cache import cache

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"anon": "100000/minute", "user": "100000/minute"}}
    cache.clear()
    yield
    try:
        cache.clear()
    except Exception:  # noqa: BLE001 - a test that pointed the cache at a server that is not there
        pass


def is_postgres() -> bool:
    return django_settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def strong_secret_key() -> str:
    return secrets.token_urlsafe(64)


def production_env(**overrides) -> dict:
    """The environment of a production process: DJANGO_DEBUG=0 and what it requires, nothing inherited
    from the test run's own settings (REDIS_URL, a replica, the test database's name)."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DJANGO_", "DATABASE_", "GUNICORN_", "REDIS_")) and key != "PYTEST_ADDOPTS"}
    env.update({
        "DJANGO_SETTINGS_MODULE": "factbase.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": strong_secret_key(),
        "DJANGO_ALLOWED_HOSTS": "factbase.example.org,127.0.0.1,localhost",
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    env.update({key: str(value) for key, value in overrides.items() if value is not None})
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
    return env


def manage(*args, env: dict, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- a database of their own ------------------------------------------------------------------------

def _admin_connection():
    import psycopg

    db = django_settings.DATABASES["default"]
    return psycopg.connect(host=db["HOST"] or "127.0.0.1", port=int(db["PORT"] or 5432), user=db["USER"],
                           password=db["PASSWORD"] or None, dbname="postgres", autocommit=True)


def postgres_server() -> tuple[str, int, str, str]:
    db = django_settings.DATABASES["default"]
    return db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432), db["USER"], db["PASSWORD"]


def postgres_url(name: str, *, host: str | None = None, port: int | None = None) -> str:
    real_host, real_port, user, password = postgres_server()
    auth = user + (f":{password}" if password else "")
    return f"postgres://{auth}@{host or real_host}:{port or real_port}/{name}"


def create_database(name: str) -> None:
    with _admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    with _admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def scratch_database_name(suffix: str) -> str:
    """A database next to the test database, named after it (so that two test runs do not collide)."""
    test_name = django_settings.DATABASES["default"].get("TEST", {}).get("NAME") or "test_factbase"
    return f"{test_name}_{suffix}"[:63]


# --- a database that goes away ----------------------------------------------------------------------

class TCPProxy:
    """Forwards 127.0.0.1:<port> to a server; ``stop()`` cuts every connection and refuses new ones
    (the database is gone), ``start()`` listens again on the same port (it is back)."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            try:
                listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


# --- a server started like the image starts it --------------------------------------------------------

class Server:
    """deploy/entrypoint.sh in a process of its own: migrate, collectstatic, gunicorn."""

    def __init__(self, env: dict, workdir: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {**env, "GUNICORN_BIND": f"127.0.0.1:{self.port}", "PYTHON": PYTHON}
        self.stdout_path = workdir / "server.out"
        self.stderr_path = workdir / "server.err"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 180) -> None:
        self.process = subprocess.Popen(
            [str(ROOT / "deploy" / "entrypoint.sh")], cwd=ROOT, env=self.env, start_new_session=True,
            stdout=self.stdout_path.open("wb"), stderr=self.stderr_path.open("wb"),
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the entrypoint exited with {self.process.returncode}:\n{self.logs()[-4000:]}")
            try:
                if self.get("/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        self.stop()
        raise AssertionError(f"/healthz did not answer 200 within {timeout} s:\n{self.logs()[-4000:]}")

    def get(self, path: str, headers: dict | None = None, method: str = "GET", timeout: float = 30):
        request = urllib.request.Request(self.base + path, headers=headers or {}, method=method)
        opener = urllib.request.build_opener(_NoRedirect, urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=timeout) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()

    def logs(self) -> str:
        return "".join(path.read_text(errors="replace") for path in (self.stdout_path, self.stderr_path)
                       if path.exists())

    def log_records(self) -> list[dict]:
        """The structured (JSON) log lines written so far, each file read on its own. A line that does not
        end in a newline yet is a write the server is still making (the access line of the request that
        just answered), so it is left for the next read rather than parsed half-written."""
        records = []
        for path in (self.stdout_path, self.stderr_path):
            if not path.exists():
                continue
            complete = path.read_text(errors="replace").split("\n")[:-1]
            records += [json.loads(line) for line in complete if line.startswith("{")]
        return records

    def stop(self, timeout: float = 60) -> int | None:
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.terminate()  # SIGTERM to gunicorn's master (the entrypoint exec'd into it)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)
            self.process.wait()
            raise


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
