"""The benchmark's settings, paths, requests and messages (bench/run.py and its modules)."""

from __future__ import annotations

import hashlib
import os
import sys
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"


class Paths:
    """Where a run writes: ``work`` is bench/work/<database>/ once run.main() has chosen the database."""

    work = BENCH_DIR / "work"
    results = BENCH_DIR / "results.json"  # bench/results-<claims>.json for another size than FULL_SIZE


paths = Paths()
STATIC_ROOT = BENCH_DIR / "work" / "staticfiles"
WRK_SCRIPT = BENCH_DIR / "wrk.lua"
MARKER_TABLE = "bench_dataset"
FULL_SIZE = 1_000_000

SCENARIOS = {
    "a": "first page of 50 claims, newest first",
    "b": "50 newest claims of a random speaker",
    "c": "q= a random word in ~1.5% of claims",
    "d": "one claim by random id",
    "e": "page of 50 by cursor, half-way through",
    "f": "claim detail, 304 by If-None-Match",
    "g": "facets status+speaker of a random speaker",
    "h": "page of 50 claims with reviews (has_review)",
}

PGBENCH_SCENARIOS = ("a", "b", "c", "d")
#: The peers (bench/peers.py): Datasette over a SQLite copy, and the floor (bench/floor/), for a) to d)
PEERS = ("datasette", "floor")
PEER_SCENARIOS = ("a", "b", "c", "d")
PAGE = "/api/v1/claims/?page_size=50"
FACETS = "/api/v1/claims/facets/?facet=status&facet=speaker"
#: h) claims that have a review (``has_review``, issue #14 item 2), each with its reviews embedded
REVIEWED_PAGE = f"{PAGE}&has_review=true"
# Every request, from wrk, urllib or the test client, as the TLS-terminating proxy would send it.
FORWARDED = {"X-Forwarded-Proto": "https"}


class BenchError(Exception):
    """A step that cannot go on: the message says why and what to do."""


def say(message: str = "") -> None:
    print(message, flush=True)


def step(message: str) -> None:
    say(f"==> {message}")


# --- configuration -------------------------------------------------------------------------------

@dataclass
class Config:
    claims: int
    seed: int
    database_url: str
    connections: int
    wrk_threads: int
    duration: int
    warmup: int
    workers: int
    worker_class: str
    gunicorn_threads: int
    only: list[str]
    profile: bool
    reload: bool
    pgbench_jobs: int
    quiet_wait: float
    server_side_binding: bool
    keepalive: bool = True  # wrk keeps its connections open (HTTP/1.1); False: "Connection: close" on each
    peers: list[str] = field(default_factory=list)  # of PEERS, served next to Factbase for PEER_SCENARIOS
    rounds: int = 1  # for PEER_SCENARIOS: Factbase and each peer in turn, this many times
    # Factbase again under these worker classes, as more sides of the comparison (BENCH_COMPARE_WORKER_CLASSES)
    compare_worker_classes: list[str] = field(default_factory=list)

    @classmethod
    def from_environment(cls, args) -> "Config":
        env = os.environ
        claims = int(env.get("BENCH_CLAIMS") or FULL_SIZE)
        default_db = "factbase_bench" if claims == FULL_SIZE else f"factbase_bench_{claims}"
        only = [s.strip() for s in (env.get("BENCH_ONLY") or "").replace(",", " ").split() if s.strip()]
        unknown = [s for s in only if s not in SCENARIOS]
        if unknown:
            raise BenchError(f"BENCH_ONLY names unknown requests {unknown}: choose from {', '.join(SCENARIOS)}.")
        return cls(
            claims=claims,
            seed=int(env.get("BENCH_SEED") or 1),
            database_url=env.get("BENCH_DATABASE_URL") or default_database_url(env.get("DATABASE_URL"), default_db),
            connections=int(env.get("BENCH_CONNECTIONS") or 32),
            wrk_threads=int(env.get("BENCH_THREADS") or 2),
            duration=int(env.get("BENCH_DURATION") or 15),
            warmup=int(env.get("BENCH_WARMUP") or 5),
            workers=int(env.get("BENCH_WORKERS") or 2),
            worker_class=env.get("BENCH_WORKER_CLASS") or "sync",
            gunicorn_threads=int(env.get("BENCH_GUNICORN_THREADS") or 1),
            only=only or list(SCENARIOS),
            profile=args.profile or env.get("BENCH_PROFILE", "") not in ("", "0"),
            reload=args.reload or env.get("BENCH_RELOAD", "") not in ("", "0"),
            pgbench_jobs=int(env.get("BENCH_PGBENCH_JOBS") or 2),
            quiet_wait=float(env.get("BENCH_QUIET_WAIT") or 30),
            server_side_binding=(env.get("BENCH_SERVER_SIDE_BINDING") or "1") not in ("", "0"),
            keepalive=(env.get("BENCH_KEEPALIVE") or "1") not in ("", "0"),
            peers=parse_peers(env.get("BENCH_PEERS")),
            rounds=max(1, int(env.get("BENCH_ROUNDS") or 1)),
            compare_worker_classes=(env.get("BENCH_COMPARE_WORKER_CLASSES") or "").replace(",", " ").split(),
        )

    @property
    def pgbench_protocol(self) -> str:
        """The ceiling speaks to PostgreSQL as the app does: prepared statements when the app's
        connections prepare them (server-side binding), else queries with their values inlined."""
        return "prepared" if self.server_side_binding else "simple"


def parse_peers(value: str | None) -> list[str]:
    """BENCH_PEERS: empty for both peers, "0" or "none" for none, else some of PEERS."""
    if value is None or not value.strip():
        return list(PEERS)
    names = value.replace(",", " ").split()
    if names in (["0"], ["none"]):
        return []
    unknown = [n for n in names if n not in PEERS]
    if unknown:
        raise BenchError(f"BENCH_PEERS names unknown peers {unknown}: choose from {', '.join(PEERS)}, or none.")
    return [p for p in PEERS if p in names]


def default_database_url(database_url: str | None, name: str) -> str:
    """The benchmark's own database ``name`` on the PostgreSQL server that ``DATABASE_URL`` names (its
    user, password, host, port and options), else on postgres@127.0.0.1:5432. Never the database of
    ``DATABASE_URL`` itself: a run fills its database with a million claims."""
    parts = urllib.parse.urlsplit(database_url or "")
    if parts.scheme in ("postgres", "postgresql", "pgsql") and parts.hostname:
        return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def parse_database_url(url: str) -> dict:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        raise BenchError(f"BENCH_DATABASE_URL must name a PostgreSQL database (postgres://...), not {url!r}.")
    name = parts.path.lstrip("/")
    if not name:
        raise BenchError(f"BENCH_DATABASE_URL names no database: {url!r}.")
    return {
        "host": parts.hostname or "127.0.0.1", "port": parts.port or 5432,
        "user": urllib.parse.unquote(parts.username or "postgres"),
        "password": urllib.parse.unquote(parts.password) if parts.password else None,
        "dbname": urllib.parse.unquote(name),
    }


def app_environment(config: Config, *, port: int | None = None) -> dict:
    """The environment of the app under test: production settings, throttles raised, connections kept."""
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": config.database_url,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "factbase-bench-" + hashlib.sha256(config.database_url.encode()).hexdigest(),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        # Raised, not switched off: the throttles still count every request in the cache, as in production.
        "DJANGO_THROTTLE_ANON": "1000000/second",
        "DJANGO_THROTTLE_USER": "1000000/second",
        "DJANGO_CONN_MAX_AGE": "600",
        "DJANGO_DB_SERVER_SIDE_BINDING": "1" if config.server_side_binding else "0",
        # Behind a TLS proxy, as in production: every request says it came over HTTPS (FORWARDED).
        "DJANGO_SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO",
        "DJANGO_STATIC_ROOT": str(STATIC_ROOT),
        "DJANGO_SETTINGS_MODULE": "factbase.settings",
        "PYTHONUNBUFFERED": "1",
    })
    return env



def exit_with(main, command: str) -> None:
    """Run a benchmark's ``main()`` and exit with its status: 2 with the message of a ``BenchError``
    (said as ``command``'s), 130 when interrupted."""
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"\n{command}: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
