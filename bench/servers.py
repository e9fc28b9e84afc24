"""The app under gunicorn on a free port of 127.0.0.1, and the requests sent to it one at a time."""

from __future__ import annotations

import random
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench.capture import Scenario
from bench.config import FORWARDED, ROOT, BenchError, Config, app_environment, paths
from bench.dataset import Inputs


# --- the server ----------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


#: gunicorn's worker classes as BENCH_WORKER_CLASS names them: uvicorn serves the ASGI application.
WORKER_CLASSES = {"sync": "sync", "gthread": "gthread", "uvicorn": "uvicorn.workers.UvicornWorker"}

#: The applications a run serves: (WSGI, ASGI) entry points, and a path that answers 200 once it is up.
APPS = {
    "factbase": ("factbase.wsgi:application", "factbase.asgi:application", "/api/v1/"),
    "floor": ("bench.floor.wsgi:application", "bench.floor.asgi:application", "/api/v1/claims/?page_size=1"),
    "datasette": (None, "bench.datasette_asgi:application", "/claims.json"),
}


def worker_environment(app: str, worker_class: str) -> dict:
    """What the app's environment changes under ``worker_class``. Under uvicorn's workers Django runs each
    request's sync code in a thread of its own: kept connections (CONN_MAX_AGE) would be one a thread,
    never reused, until PostgreSQL refuses more ("too many clients", seen at 32 connections); so the
    ASGI side uses psycopg's pool instead (DJANGO_DB_POOL, up to 4 connections a process)."""
    if worker_class == "uvicorn" and APPS[app][0] is not None:
        return {"DJANGO_DB_POOL": "1", "DJANGO_CONN_MAX_AGE": "0"}
    return {}


def gunicorn_arguments(app: str, worker_class: str, workers: int, threads: int, port: int, log: Path) -> list[str]:
    """gunicorn's arguments for ``app`` (a key of APPS) under ``worker_class`` (a key of WORKER_CLASSES):
    the same for every side of the run but Datasette, which is ASGI only (always uvicorn's workers)."""
    if worker_class not in WORKER_CLASSES:
        raise BenchError(f"BENCH_WORKER_CLASS must be one of {', '.join(WORKER_CLASSES)}, not {worker_class!r}.")
    wsgi, asgi, _ = APPS[app]
    if wsgi is None:
        worker_class = "uvicorn"
    entry = asgi if worker_class == "uvicorn" else wsgi
    cmd = [entry, "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
           "--worker-class", WORKER_CLASSES[worker_class],
           "--backlog", "2048", "--keep-alive", "5", "--error-logfile", str(log), "--log-level", "warning"]
    if worker_class == "gthread":
        cmd += ["--threads", str(threads)]
    return cmd


class Server:
    def __init__(self, config: Config, app: str = "factbase", env: dict | None = None, name: str | None = None):
        self.config = config
        self.app = app
        name = name or app
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.log = paths.work / ("gunicorn.log" if name == "factbase" else f"gunicorn-{name}.log")
        self.extra_env = env or {}

    def command(self) -> list[str]:
        gunicorn = Path(sys.executable).with_name("gunicorn")
        if not gunicorn.exists():
            raise BenchError(f"gunicorn is not installed next to {sys.executable}: run `make bench`, which "
                             f"installs requirements-bench.txt into .venv.")
        return [str(gunicorn)] + gunicorn_arguments(self.app, self.config.worker_class, self.config.workers,
                                                    self.config.gunicorn_threads, self.port, self.log)

    def start(self) -> None:
        self.log.write_text("")
        env = dict(app_environment(self.config, port=self.port), **self.extra_env,
                   **worker_environment(self.app, self.config.worker_class))
        self.process = subprocess.Popen(self.command(), cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"gunicorn ({self.app}) exited with {self.process.returncode}; see {self.log}:\n"
                                 f"{self.log.read_text()[-3000:]}")
            try:
                status, _, _ = self.get(APPS[self.app][2])
                if status == 200 and len(self.worker_pids()) == self.config.workers:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise BenchError(f"gunicorn ({self.app}) did not answer on {self.base} within 120 s; see {self.log}")

    def get(self, path: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
        request = urllib.request.Request(self.base + path, headers={**FORWARDED, **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()

    def worker_pids(self) -> list[int]:
        if not self.process:
            return []
        children = []
        for task in Path(f"/proc/{self.process.pid}/task").glob("*/children"):
            try:
                children += [int(pid) for pid in task.read_text().split()]
            except OSError:
                pass
        return sorted(children)

    def memory(self) -> list[dict]:
        report = []
        for pid in self.worker_pids():
            fields = {}
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    name, _, value = line.partition(":")
                    if name in ("VmHWM", "VmRSS"):
                        fields[name] = int(value.split()[0])  # kB
            except OSError:
                continue
            report.append({"pid": pid, "vm_hwm_mb": round(fields.get("VmHWM", 0) / 1024, 1),
                           "vm_rss_mb": round(fields.get("VmRSS", 0) / 1024, 1)})
        return report

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def prime(server: Server, scenario: Scenario, inputs: Inputs, config: Config) -> None:
    """Send each worker a few of the scenario's requests one at a time (first requests in a process
    are slow: imports, URL resolvers, serializer classes), and check that they answer as expected."""
    requests = scenario.prime_requests(inputs)
    rng = random.Random(config.seed)
    count = max(10, 3 * config.workers * max(1, config.gunicorn_threads))
    for path, headers in (rng.choice(requests) for _ in range(count)):
        status, _, _ = server.get(path, headers)
        if status != scenario.expected_status:
            raise BenchError(f"GET {path} answered {status}, not {scenario.expected_status}.")


def drain(server: Server, scenario: Scenario) -> None:
    """After a warm-up, wait until requests that wrk left queued in the server are served: a request
    sent now is queued behind them."""
    time.sleep(0.2)
    server.get(scenario.sample_path)
    time.sleep(0.5)


def fetch_etags(server: Server, inputs: Inputs) -> list[str]:
    """f): the ETag of each sampled claim, as the server computes it for this host and port."""
    lines = []
    for claim_id in inputs.detail_ids:
        path = f"/api/v1/claims/{claim_id}/"
        status, headers, _ = server.get(path)
        if status == 200 and headers.get("ETag"):
            lines.append(f"{path}\t{headers['ETag']}")
            again, _, _ = server.get(path, {"If-None-Match": headers["ETag"]})
            if again != 304:
                raise BenchError(f"GET {path} with its own ETag answered {again}, not 304.")
    if not lines:
        raise BenchError("No sampled claim answered 200 with an ETag.")
    return lines
