#!/usr/bin/env python3
"""`make bench`: load a large synthetic dataset into PostgreSQL, serve the API as in production, and
measure eight read requests with wrk, next to the database's own ceiling measured with pgbench.

Steps (each says what it does as it goes; see bench/README.md):

1. Tools: wrk (installed with apt-get when missing) and pgbench; PostgreSQL must answer.
2. Dataset: the benchmark database (``BENCH_DATABASE_URL``) is migrated; ``BENCH_CLAIMS`` claims are
   generated with ``manage.py generate_claims --seed BENCH_SEED`` unless the marker table
   ``bench_dataset`` says they are already there (no count of the table).
3. Inputs, sampled once from the database: speakers, words that occur in about 1.5% of claims, the
   id range, the median of the default ordering (for a cursor half-way through).
4. SQL capture: each request runs once in this process (Django's test client) with
   ``CaptureQueriesContext``; requests a)-d) become pgbench scripts of the same SQL, and every captured
   query's plan is written to ``bench/work/explain/``.
5. gunicorn with production settings on a free port of 127.0.0.1; per request: a wrk warm-up, the wrk
   run, then pgbench with the same concurrency; the workers' peak memory (VmHWM) at the end.
6. Facet and count timings, one request at a time in-process: facets by status and by speaker, and
   ``count=true``, for one speaker's claims and for the whole table, under the time limit
   (``DJANGO_API_FACET_TIME_LIMIT_MS``) and without one: latency and whether they timed out.
7. ``bench/results.json`` and a table on stdout, with each target met or missed.

Settings come from the environment (the Makefile passes its variables through): BENCH_CLAIMS,
BENCH_SEED, BENCH_DATABASE_URL, BENCH_CONNECTIONS, BENCH_THREADS, BENCH_DURATION, BENCH_WARMUP,
BENCH_WORKERS, BENCH_WORKER_CLASS, BENCH_GUNICORN_THREADS, BENCH_ONLY, BENCH_PROFILE, BENCH_RELOAD,
BENCH_QUIET_WAIT, BENCH_SERVER_SIDE_BINDING.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
WORK = BENCH_DIR / "work"  # then bench/work/<database>/, set in main()
STATIC_ROOT = BENCH_DIR / "work" / "staticfiles"
RESULTS = BENCH_DIR / "results.json"  # bench/results-<claims>.json for another size than FULL_SIZE
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
        )

    @property
    def pgbench_protocol(self) -> str:
        """The ceiling speaks to PostgreSQL as the app does: prepared statements when the app's
        connections prepare them (server-side binding), else queries with their values inlined."""
        return "prepared" if self.server_side_binding else "simple"


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
        # Raised, not switched off: the throttles still run (a cache read and write per request), as in
        # production. Per second, so DRF's list of recent request times stays short (see README).
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


# --- tools and PostgreSQL ------------------------------------------------------------------------

def ensure_tool(command: str, package: str) -> str:
    found = shutil.which(command)
    if found:
        return found
    step(f"{command} is not installed: installing the Debian package {package!r} with apt-get")
    prefix = [] if os.geteuid() == 0 else (["sudo", "-n"] if shutil.which("sudo") else None)
    if prefix is None or not shutil.which("apt-get"):
        raise BenchError(
            f"{command} is needed and could not be installed here (no apt-get, or not root and no sudo). "
            f"Install it by hand (Debian/Ubuntu: `apt-get install {package}`; macOS: `brew install {command}`)."
        )
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (prefix + ["apt-get", "update", "-qq"], prefix + ["apt-get", "install", "-y", "-qq", package]):
        result = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise BenchError(
                f"Installing {package} failed ({' '.join(cmd)} exited {result.returncode}):\n"
                f"{(result.stderr or result.stdout).strip()[-2000:]}\n"
                f"Install {command} by hand (`apt-get install {package}`) and run `make bench` again."
            )
    found = shutil.which(command)
    if not found:
        raise BenchError(f"apt-get installed {package}, but {command} is still not on PATH.")
    return found


def pg_connect(params: dict, dbname: str | None = None, autocommit: bool = True):
    import psycopg

    kwargs = dict(params, dbname=dbname or params["dbname"], connect_timeout=5, autocommit=autocommit)
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    return psycopg.connect(**kwargs)


def check_postgres(params: dict) -> str:
    import psycopg

    where = f"{params['host']}:{params['port']}"
    try:
        with pg_connect(params, dbname="postgres") as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [params["dbname"]]).fetchone()
            if not exists:
                step(f"creating the database {params['dbname']}")
                conn.execute(f'CREATE DATABASE "{params["dbname"]}"')
    except psycopg.OperationalError as exc:
        raise BenchError(
            f"PostgreSQL is not reachable at {where} as {params['user']} ({str(exc).strip()}).\n"
            f"Start it, or point BENCH_DATABASE_URL at a server that answers "
            f"(e.g. postgres://postgres@127.0.0.1:5432/factbase_bench)."
        ) from None
    return version


def manage(config: Config, *args: str, quiet: bool = False) -> None:
    cmd = [sys.executable, str(ROOT / "manage.py"), *args]
    result = subprocess.run(cmd, cwd=ROOT, env=app_environment(config),
                            stdout=subprocess.PIPE if quiet else None, stderr=subprocess.STDOUT if quiet else None,
                            text=True)
    if result.returncode != 0:
        output = result.stdout[-3000:] if quiet and result.stdout else ""
        raise BenchError(f"`manage.py {' '.join(args)}` failed (exit {result.returncode}).\n{output}")


def generator_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in ("factbase/synthetic.py", "factbase/management/commands/generate_claims.py"):
        digest.update((ROOT / path).read_bytes())
    return digest.hexdigest()[:12]


def read_marker(params: dict) -> dict | None:
    with pg_connect(params) as conn:
        if conn.execute("SELECT to_regclass(%s)", [MARKER_TABLE]).fetchone()[0] is None:
            return None
        row = conn.execute(f"SELECT claims, seed, loaded_at, generator, seconds FROM {MARKER_TABLE}").fetchone()
    if row is None:
        return None
    return {"claims": row[0], "seed": row[1], "loaded_at": row[2].isoformat(), "generator": row[3], "seconds": row[4]}


def has_claims(params: dict) -> bool:
    with pg_connect(params) as conn:
        if conn.execute("SELECT to_regclass('factbase_claim')").fetchone()[0] is None:
            return False
        return conn.execute("SELECT EXISTS (SELECT 1 FROM factbase_claim)").fetchone()[0]


def recreate_database(params: dict) -> None:
    with pg_connect(params, dbname="postgres") as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{params["dbname"]}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{params["dbname"]}"')


def ensure_dataset(config: Config, params: dict) -> dict:
    """Migrate; generate the claims unless the marker says they are there. Returns the marker."""
    marker = read_marker(params)
    wanted = {"claims": config.claims, "seed": config.seed}
    if marker and {k: marker[k] for k in wanted} == wanted and not config.reload:
        step(f"dataset already loaded in {params['dbname']}: {marker['claims']:,} claims, seed {marker['seed']} "
             f"(loaded {marker['loaded_at']}); migrating only")
        manage(config, "migrate", "--no-input", quiet=True)
        if marker["generator"] != generator_fingerprint():
            say("    note: generate_claims has changed since this dataset was loaded; "
                "BENCH_RELOAD=1 loads it again")
        return marker
    if marker or has_claims(params) or config.reload:
        why = "BENCH_RELOAD is set" if config.reload else (
            f"it holds another dataset ({marker})" if marker else "it holds claims but no benchmark marker")
        step(f"recreating the database {params['dbname']}: {why}")
        recreate_database(params)
    step(f"migrating {params['dbname']}")
    manage(config, "migrate", "--no-input", quiet=True)
    step(f"generating {config.claims:,} claims (seed {config.seed}) into {params['dbname']}: "
         f"this takes a while at a million")
    started = time.monotonic()
    manage(config, "generate_claims", "--claims", str(config.claims), "--seed", str(config.seed))
    seconds = time.monotonic() - started
    step("VACUUM ANALYZE (visibility map and statistics, as autovacuum would leave them)")
    with pg_connect(params) as conn:
        conn.execute("VACUUM ANALYZE")
        conn.execute(f"CREATE TABLE {MARKER_TABLE} (claims bigint NOT NULL, seed integer NOT NULL, "
                     f"loaded_at timestamptz NOT NULL, generator text NOT NULL, seconds real NOT NULL)")
        conn.execute(f"INSERT INTO {MARKER_TABLE} VALUES (%s, %s, now(), %s, %s)",
                     [config.claims, config.seed, generator_fingerprint(), seconds])
    say(f"    loaded in {seconds:.0f} s")
    return read_marker(params)


def database_facts(params: dict) -> dict:
    with pg_connect(params) as conn:
        def one(sql, args=()):
            return conn.execute(sql, args).fetchone()[0]

        facts = {
            "server_version": one("SHOW server_version"),
            "claims_estimate": int(one("SELECT reltuples FROM pg_class WHERE oid = 'factbase_claim'::regclass")),
            "actors_estimate": int(one("SELECT reltuples FROM pg_class WHERE oid = 'factbase_actor'::regclass")),
            "database_size": one("SELECT pg_size_pretty(pg_database_size(current_database()))"),
            "claim_table_size": one("SELECT pg_size_pretty(pg_total_relation_size('factbase_claim'))"),
        }
        for setting in ("shared_buffers", "work_mem", "effective_cache_size", "random_page_cost", "jit",
                        "max_connections"):
            facts[setting] = one(f"SHOW {setting}")
    return facts


# --- inputs sampled from the database ------------------------------------------------------------

@dataclass
class Inputs:
    id_low: int
    id_high: int
    speakers: list[int]  # with repeats: drawn from a sample of claims, so weighted by claim count
    speaker_claims: dict[int, int]
    words: list[dict]  # {"word", "sample_fraction", "fraction"}
    median_key: str
    word_sample_size: int = 0
    detail_ids: list[int] = field(default_factory=list)


def sample_inputs(config: Config, params: dict) -> Inputs:
    rng = random.Random(config.seed)
    with pg_connect(params) as conn:
        def rows(sql, args=()):
            return conn.execute(sql, args).fetchall()

        total = max(1, int(rows("SELECT reltuples FROM pg_class WHERE oid = 'factbase_claim'::regclass")[0][0]))
        id_low, id_high = rows("SELECT min(id), max(id) FROM factbase_claim")[0]
        if id_low is None:
            raise BenchError("The benchmark database holds no claims: run with BENCH_RELOAD=1.")

        # b) speakers of 100 claims drawn at random: a prolific speaker comes up as often as people
        # would ask for them (the list keeps repeats).
        percent = min(100.0, 100.0 * 2000 / total)
        drawn = [r[0] for r in rows(
            f"SELECT speaker_id FROM factbase_claim TABLESAMPLE BERNOULLI ({percent}) REPEATABLE ({config.seed})")]
        speakers = sorted(rng.sample(drawn, min(100, len(drawn))))
        speaker_claims = dict(rows("SELECT speaker_id, count(*) FROM factbase_claim WHERE speaker_id = ANY(%s) "
                                   "GROUP BY speaker_id", [sorted(set(speakers))]))

        # c) words in about 1.5% of claims: document frequency over a sample of the table (ts_stat over
        # all of it reads every vector), then each candidate's true fraction once, with the GIN index.
        percent = min(100.0, 100.0 * 20000 / total)
        sample_sql = (f"SELECT search_vector FROM factbase_claim "
                      f"TABLESAMPLE SYSTEM ({percent}) REPEATABLE ({config.seed})")
        sample_size = rows(f"SELECT count(*) FROM ({sample_sql}) s")[0][0]
        stats = rows("SELECT word, ndoc FROM ts_stat(%s, 'a') WHERE ndoc BETWEEN %s AND %s",
                     [sample_sql, 0.010 * sample_size, 0.020 * sample_size])
        candidates = sorted(stats, key=lambda r: (abs(r[1] / sample_size - 0.015), r[0]))
        words = []
        for word, ndoc in candidates:
            if not 0.012 <= ndoc / sample_size <= 0.018:
                continue
            matches = rows("SELECT count(*) FROM factbase_claim "
                           "WHERE search_vector @@ websearch_to_tsquery('english', %s)", [word])[0][0]
            if 0.012 <= matches / total <= 0.018:
                words.append({"word": word, "sample_fraction": round(ndoc / sample_size, 5),
                              "fraction": round(matches / total, 5), "claims": matches})
            if len(words) >= 10:
                break
        if not words:
            raise BenchError(f"No word occurs in 1.2-1.8% of claims (sample of {sample_size}); is the search "
                             f"vector filled (migration 0004)?")

        # e) the median of the default ordering (-stated_on, -id): a cursor half-way through starts there.
        median_key = rows(
            "SELECT COALESCE(stated_on, '0001-01-01'::date) AS k FROM factbase_claim "
            "ORDER BY COALESCE(stated_on, '0001-01-01'::date) DESC, id DESC OFFSET %s LIMIT 1", [total // 2])[0][0]

    detail_ids = sorted(rng.randint(id_low, id_high) for _ in range(300))
    return Inputs(id_low=id_low, id_high=id_high, speakers=speakers,
                  speaker_claims={int(k): v for k, v in speaker_claims.items()}, words=words,
                  median_key=median_key.isoformat(), word_sample_size=sample_size, detail_ids=detail_ids)


# --- in-process capture of the SQL of each request -----------------------------------------------

_django_ready = False


def django_setup(config: Config) -> None:
    global _django_ready
    if _django_ready:
        return
    os.environ.update(app_environment(config))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    _django_ready = True


@dataclass
class Captured:
    path: str
    status: int
    queries: list[dict]  # {"sql": sql with %s, "params": [...], "text": the SQL as sent, "ms": time}
    etag: str | None = None
    body: dict | None = None


def capture(path: str, headers: dict | None = None) -> Captured:
    """Run one request in this process; record each query's SQL and parameters as Django sends them."""
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    client.get(path, **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in (headers or {}).items()})  # warm

    queries = []

    def record(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            queries.append({"sql": sql, "params": list(params or ()), "many": many,
                            "ms": round((time.perf_counter() - started) * 1000, 3)})

    with connection.execute_wrapper(record):
        response = client.get(path, **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in (headers or {}).items()})
    for query in queries:
        query["text"] = connection.ops.compose_sql(query["sql"], query["params"])
    body = None
    if response.status_code == 200 and response.get("Content-Type", "").startswith("application/json"):
        body = response.json()
    return Captured(path, response.status_code, queries, response.get("ETag"), body)


def time_in_process(path: str, headers: dict | None = None, repeat: int = 20) -> float:
    """The best time (ms) of ``repeat`` requests served in this process one at a time: the Python
    and SQL cost of a request without the network, the server or any concurrency (the best, not the
    median, since other work on the machine only ever adds to it)."""
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in (headers or {}).items()}
    client.get(path, **extra)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(path, **extra)
        times.append((time.perf_counter() - started) * 1000)
    return round(min(times), 2)


SENTINEL = 987_654_321_987  # stands for a pgbench variable while the SQL is composed


def pgbench_text(captured: Captured, variables: dict[str, object] | None = None, health_check: bool = True) -> str:
    """The captured queries as one pgbench transaction script: each query as Django sent it, with the
    parameters named in ``variables`` (pgbench variable -> the value captured) replaced by ``:variable``."""
    from django.db import connection

    lines = ["-- Generated by bench/run.py from the SQL Django sent for:", f"--   GET {captured.path}"]
    if health_check:
        lines.append("-- Django's per-request health check of a kept connection (CONN_HEALTH_CHECKS):")
        lines.append("SELECT 1;")
    for name, _ in (variables or {}).items():
        lines.insert(2, f"\\set {name} random(:{name}_low, :{name}_high)")
    for query in captured.queries:
        params = list(query["params"])
        names = {}
        for name, value in (variables or {}).items():
            for i, param in enumerate(params):
                if param == value and type(param) is type(value):
                    sentinel = SENTINEL + len(names)
                    params[i] = sentinel
                    names[str(sentinel)] = name
        text = connection.ops.compose_sql(query["sql"], params)
        for sentinel, name in names.items():
            text = text.replace(sentinel, f":{name}")
        if "\n" in text:
            text = " ".join(text.split("\n"))
        lines.append(text.rstrip(";") + ";")
    return "\n".join(lines) + "\n"


def explain(params: dict, text: str) -> str:
    with pg_connect(params) as conn:
        plan = conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + text).fetchall()
    return "\n".join(row[0] for row in plan)


@dataclass
class Scenario:
    key: str
    title: str
    data_lines: list[str]
    expected_status: int
    queries: int
    sample_path: str
    in_process_ms: float = 0.0  # best time of the request served in-process, one at a time
    sql_ms: float = 0.0  # of which in SQL (the captured queries' time, as Django measured it)
    pgbench_scripts: list[tuple[Path, int]] = field(default_factory=list)  # (file, weight)
    pgbench_defines: dict[str, int] = field(default_factory=dict)

    def prime_requests(self, inputs: Inputs) -> list[tuple[str, dict]]:
        """A few of the scenario's own requests, to send one at a time before the load."""
        requests = []
        for line in self.data_lines:
            fields = line.split("\t")
            if fields[0] == "RANGE":
                requests += [(fields[1].replace("{}", str(i)), {}) for i in inputs.detail_ids]
            else:
                requests.append((fields[0], {"If-None-Match": fields[1]} if len(fields) > 1 else {}))
        return requests


def capture_all(config: Config, params: dict, inputs: Inputs) -> tuple[dict[str, Scenario], dict]:
    """Capture each request's SQL in-process; write the pgbench scripts and the query plans."""
    from django.db import connection

    django_setup(config)
    scripts = WORK / "pgbench"
    plans = WORK / "explain"
    for folder in (scripts, plans):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    health_check = bool(connection.settings_dict.get("CONN_HEALTH_CHECKS")) and \
        connection.settings_dict.get("CONN_MAX_AGE", 0) != 0
    scenarios: dict[str, Scenario] = {}
    captured_sql: dict[str, list] = {}

    def write_plans(key: str, captured: Captured) -> None:
        for i, query in enumerate(captured.queries):
            if query["text"].lstrip().upper().startswith("SELECT"):
                plan = explain(params, query["text"])
                (plans / f"{key}-{i + 1}.txt").write_text(query["text"] + "\n\n" + plan + "\n")
        captured_sql[key] = [{"sql": q["text"], "ms_in_process": q["ms"]} for q in captured.queries]

    def check(captured: Captured, expected: int = 200) -> Captured:
        if captured.status != expected:
            raise BenchError(f"GET {captured.path} answered {captured.status} in-process, not {expected}.")
        return captured

    # a) the first page, newest first
    path_a = f"{PAGE}&ordering=-stated_on"
    cap = check(capture(path_a))
    write_plans("a", cap)
    (scripts / "a.sql").write_text(pgbench_text(cap, health_check=health_check))
    scenarios["a"] = Scenario("a", SCENARIOS["a"], [path_a], 200, len(cap.queries), path_a,
                              pgbench_scripts=[(scripts / "a.sql", 1)])

    if "b" in config.only:  # the slowest to capture: a request and a plan per speaker
        # b) one script per speaker, weighted as the wrk list is (a speaker drawn twice weighs 2)
        weights: dict[int, int] = {}
        for speaker in inputs.speakers:
            weights[speaker] = weights.get(speaker, 0) + 1
        b_scripts, counts, per_speaker = [], [], []
        for speaker, weight in sorted(weights.items()):
            cap = check(capture(f"{PAGE}&speaker={speaker}"))
            counts.append(len(cap.queries))
            file = scripts / f"b-{speaker}.sql"
            file.write_text(pgbench_text(cap, health_check=health_check))
            b_scripts.append((file, weight))
            if "b" not in captured_sql:
                write_plans("b", cap)
            # How the page query of each speaker runs: one plan does not fit speakers of every size.
            plan = explain(params, cap.queries[0]["text"])
            scan = re.search(r"(Index Only Scan using \w+|Index Scan using \w+ on factbase_claim|"
                             r"Bitmap Index Scan on \w+|Seq Scan on factbase_claim)", plan)
            per_speaker.append({"speaker": speaker, "claims": inputs.speaker_claims.get(speaker), "weight": weight,
                                "execution_ms": float(re.search(r"Execution Time: ([\d.]+)", plan).group(1)),
                                "claim_scan": scan.group(1) if scan else None, "plan": plan})
        per_speaker.sort(key=lambda row: -row["execution_ms"])
        slowest = per_speaker[0]
        (plans / "b-slowest-1.txt").write_text(f"speaker {slowest['speaker']} ({slowest['claims']} claims)\n\n"
                                               f"{slowest['plan']}\n")
        captured_sql["b_speakers"] = [{k: v for k, v in row.items() if k != "plan"} for row in per_speaker]
        scenarios["b"] = Scenario("b", SCENARIOS["b"], [f"{PAGE}&speaker={s}" for s in inputs.speakers], 200,
                                  max(counts), f"{PAGE}&speaker={inputs.speakers[0]}", pgbench_scripts=b_scripts)

    if "c" in config.only:
        # c) one script per word
        c_scripts, counts = [], []
        for word in inputs.words:
            path = f"{PAGE}&q={urllib.parse.quote(word['word'])}"
            cap = check(capture(path))
            counts.append(len(cap.queries))
            file = scripts / f"c-{word['word']}.sql"
            file.write_text(pgbench_text(cap, health_check=health_check))
            c_scripts.append((file, 1))
            if "c" not in captured_sql:
                write_plans("c", cap)
        c_paths = [f"{PAGE}&q={urllib.parse.quote(w['word'])}" for w in inputs.words]
        scenarios["c"] = Scenario("c", SCENARIOS["c"], c_paths, 200, max(counts), c_paths[0],
                                  pgbench_scripts=c_scripts)

    # d) a random id: the captured id becomes pgbench's :id, drawn from the same range as wrk's
    sample_id = inputs.detail_ids[len(inputs.detail_ids) // 2]
    cap = check(capture(f"/api/v1/claims/{sample_id}/"))
    write_plans("d", cap)
    (scripts / "d.sql").write_text(pgbench_text(cap, {"id": sample_id}, health_check=health_check))
    scenarios["d"] = Scenario("d", SCENARIOS["d"], [f"RANGE\t/api/v1/claims/{{}}/\t{inputs.id_low}\t{inputs.id_high}"],
                              200, len(cap.queries), f"/api/v1/claims/{sample_id}/",
                              pgbench_scripts=[(scripts / "d.sql", 1)],
                              pgbench_defines={"id_low": inputs.id_low, "id_high": inputs.id_high})

    # e) the cursor half-way through: the next link of the page ending at the median date, as a
    # plain cursor URL (no filter left on it)
    cap = check(capture(f"{PAGE}&stated_before={inputs.median_key}"))
    next_link = (cap.body or {}).get("next")
    if not next_link:
        raise BenchError("The page at the median date has no next link: the dataset is too small.")
    cursor = urllib.parse.parse_qs(urllib.parse.urlsplit(next_link).query)["cursor"][0]
    path_e = f"{PAGE}&cursor={cursor}"
    cap = check(capture(path_e))
    if len(cap.body["results"]) != 50:
        raise BenchError(f"The half-way cursor page holds {len(cap.body['results'])} claims, not 50.")
    write_plans("e", cap)
    scenarios["e"] = Scenario("e", SCENARIOS["e"], [path_e], 200, len(cap.queries), path_e)

    # f) 304: the queries of one conditional GET (its ETags come from the server, whose URLs differ)
    first = check(capture(f"/api/v1/claims/{sample_id}/"))
    cap = check(capture(f"/api/v1/claims/{sample_id}/", {"If-None-Match": first.etag}), 304)
    captured_sql["f"] = [{"sql": q["text"], "ms_in_process": q["ms"]} for q in cap.queries]
    scenarios["f"] = Scenario("f", SCENARIOS["f"], [], 304, len(cap.queries), f"/api/v1/claims/{sample_id}/")

    # g) the facets by status and by speaker of one speaker's claims, the speakers drawn as b)'s
    g_paths = [f"{FACETS}&speaker={s}" for s in inputs.speakers]
    cap = check(capture(g_paths[0]))
    captured_sql["g"] = [{"sql": q["text"], "ms_in_process": q["ms"]} for q in cap.queries]
    scenarios["g"] = Scenario("g", SCENARIOS["g"], g_paths, 200, len(cap.queries), g_paths[0])

    # h) a page of claims that have reviews, their reviews embedded: needs the has_review filter
    cap = capture(REVIEWED_PAGE)
    if cap.status == 200:
        write_plans("h", cap)
        reviewed = sum(1 for claim in cap.body["results"] if claim.get("reviews"))
        if "reviews" not in (cap.body["results"] or [{}])[0]:
            say("    note: h) the claims of this version have no `reviews` field yet (issue #14 item 1)")
        elif reviewed < len(cap.body["results"]):
            say(f"    note: h) only {reviewed} of the page's {len(cap.body['results'])} claims have reviews")
        scenarios["h"] = Scenario("h", SCENARIOS["h"], [REVIEWED_PAGE], 200, len(cap.queries), REVIEWED_PAGE)
    else:
        say(f"    h) skipped: GET {REVIEWED_PAGE} answered {cap.status} (this version has no has_review filter)")

    for key, scenario in scenarios.items():
        headers = {"If-None-Match": first.etag} if key == "f" else None
        scenario.in_process_ms = time_in_process(scenario.sample_path, headers)
        scenario.sql_ms = round(sum(q["ms_in_process"] for q in captured_sql[key]), 2)

    connection.close()
    return scenarios, {"health_check_select_1": health_check, "queries": captured_sql}


# --- facets and counts, one at a time --------------------------------------------------------------

FACET_CASES = {
    # name: (path, what it measures)
    "facet status, one speaker": (f"/api/v1/claims/facets/?facet=status&speaker={{speaker}}", "status"),
    "facet speaker, one speaker": (f"/api/v1/claims/facets/?facet=speaker&speaker={{speaker}}", "speaker"),
    "facet status, whole table": ("/api/v1/claims/facets/?facet=status", "status"),
    "facet speaker, whole table": ("/api/v1/claims/facets/?facet=speaker", "speaker"),
    "count, one speaker": (f"{PAGE}&count=true&speaker={{speaker}}", "count"),
    "count, whole table": (f"{PAGE}&count=true", "count"),
}


def facet_timings(config: Config, inputs: Inputs, repeat: int = 10) -> dict:
    """Facets by status and by speaker, and ``count=true``, for the claims of the most prolific sampled speaker
    and for the whole table, each ``repeat`` times in-process, one at a time: under the configured time limit
    and without one (a limit of 60 s): latency of the request (ms) and how often the facet or count timed out."""
    from django.db import connection
    from django.test import Client, override_settings
    from django.conf import settings

    django_setup(config)
    speaker = max(inputs.speaker_claims, key=lambda s: (inputs.speaker_claims[s], -s))
    client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    limit = settings.API_FACET_TIME_LIMIT_MS
    report = {"speaker": speaker, "speaker_claims": inputs.speaker_claims[speaker], "time_limit_ms": limit,
              "repeat": repeat, "cases": {}}
    for label, limit_ms in (("limited", limit), ("unlimited", 60_000)):
        with override_settings(API_FACET_TIME_LIMIT_MS=limit_ms):
            for name, (path, key) in FACET_CASES.items():
                path = path.format(speaker=speaker)
                client.get(path)  # warm
                times, timeouts = [], 0
                for _ in range(repeat):
                    started = time.perf_counter()
                    response = client.get(path)
                    times.append((time.perf_counter() - started) * 1000)
                    if response.status_code != 200:
                        raise BenchError(f"GET {path} answered {response.status_code} in-process.")
                    body = response.json()
                    timed_out = body["count"] is None if key == "count" else body["facets"][key]["timed_out"]
                    timeouts += bool(timed_out)
                times.sort()
                report["cases"].setdefault(name, {"path": path})[label] = {
                    "median_ms": round(times[len(times) // 2], 1), "max_ms": round(times[-1], 1),
                    "timed_out": timeouts, "of": repeat,
                }
    connection.close()
    return report


def facet_table(report: dict) -> str:
    limit = report["time_limit_ms"]
    header = (f"{'facet or count (speaker ' + str(report['speaker']) + ': ' + str(report['speaker_claims']) + ' claims)':<46}"
              f" {'limit ' + str(limit) + ' ms: median':>22} {'max':>7} {'timed out':>10}"
              f" {'no limit: median':>17} {'max':>7}")
    lines = [header, "-" * len(header)]
    for name, case in report["cases"].items():
        a, b = case["limited"], case["unlimited"]
        lines.append(f"{name:<46} {a['median_ms']:>22.1f} {a['max_ms']:>7.1f} {str(a['timed_out']) + '/' + str(a['of']):>10}"
                     f" {b['median_ms']:>17.1f} {b['max_ms']:>7.1f}")
    return "\n".join(lines)


# --- profile (optional) --------------------------------------------------------------------------

def profile_requests(config: Config, scenarios: dict[str, Scenario], repeat: int = 30) -> dict[str, str]:
    """pyinstrument over ``repeat`` in-process requests of each kind: where a request's time goes."""
    try:
        from pyinstrument import Profiler
    except ImportError:
        raise BenchError("BENCH_PROFILE needs pyinstrument: pip install -r requirements-bench.txt") from None
    from django.db import connection
    from django.test import Client

    django_setup(config)
    client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    out = WORK / "profile"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    reports = {}
    for key, scenario in scenarios.items():
        path = scenario.sample_path
        headers = {}
        if key == "f":
            headers = {"HTTP_IF_NONE_MATCH": client.get(path).get("ETag")}
        client.get(path, **headers)
        started = time.perf_counter()
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for _ in range(repeat):
            client.get(path, **headers)
        profiler.stop()
        per_request = (time.perf_counter() - started) / repeat * 1000
        text = profiler.output_text(unicode=False, color=False, show_all=False)
        (out / f"{key}.txt").write_text(f"GET {path}\n{repeat} requests in-process, {per_request:.1f} ms each "
                                        f"(with profiling overhead)\n\n{text}")
        (out / f"{key}.html").write_text(profiler.output_html())
        reports[key] = str(out / f"{key}.txt")
        say(f"    {key}) {per_request:6.1f} ms/request in-process -> {out / (key + '.txt')}")
    connection.close()
    return reports


# --- the server ----------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, config: Config):
        self.config = config
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.log = WORK / "gunicorn.log"

    def command(self) -> list[str]:
        gunicorn = Path(sys.executable).with_name("gunicorn")
        if not gunicorn.exists():
            raise BenchError(f"gunicorn is not installed next to {sys.executable}: run `make bench`, which "
                             f"installs requirements-bench.txt into .venv.")
        gunicorn = str(gunicorn)
        cmd = [gunicorn, "factbase.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
               "--workers", str(self.config.workers), "--worker-class", self.config.worker_class,
               "--backlog", "2048", "--keep-alive", "5", "--error-logfile", str(self.log), "--log-level", "warning"]
        if self.config.worker_class == "gthread":
            cmd += ["--threads", str(self.config.gunicorn_threads)]
        return cmd

    def start(self) -> None:
        self.log.write_text("")
        env = app_environment(self.config, port=self.port)
        self.process = subprocess.Popen(self.command(), cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"gunicorn exited with {self.process.returncode}; see {self.log}:\n"
                                 f"{self.log.read_text()[-3000:]}")
            try:
                status, _, _ = self.get("/api/v1/")
                if status == 200 and len(self.worker_pids()) == self.config.workers:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise BenchError(f"gunicorn did not answer on {self.base} within 60 s; see {self.log}")

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


# --- measuring -----------------------------------------------------------------------------------

def run_wrk(config: Config, server: Server, scenario: Scenario, seconds: int) -> dict:
    data = WORK / "wrk" / f"{scenario.key}.txt"
    data.parent.mkdir(parents=True, exist_ok=True)
    data.write_text("\n".join(scenario.data_lines) + "\n")
    cmd = ["wrk", f"-t{config.wrk_threads}", f"-c{config.connections}", f"-d{seconds}s", "--timeout", "10s",
           "--latency", "-s", str(WRK_SCRIPT), server.base,
           "--", str(data), str(config.seed), str(scenario.expected_status)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120)
    match = re.search(r"^BENCH_JSON (\{.*\})$", result.stdout, re.M)
    if result.returncode != 0 or not match:
        raise BenchError(f"wrk failed (exit {result.returncode}):\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    raw = json.loads(match.group(1))
    seconds_run = raw["duration_us"] / 1e6
    errors = sum(raw["socket_errors"].values()) + sum(
        count for status, count in raw["statuses"].items() if not 200 <= int(status) < 400)
    if raw["requests"] == 0:
        errors += 1  # not one answer in the whole run
        say(f"    warning: no request completed in {seconds} s")
    return {
        "requests": raw["requests"],
        "requests_per_s": round(raw["requests"] / seconds_run, 1),
        "p50_ms": round(raw["latency_us"]["p50"] / 1000, 2),
        "p90_ms": round(raw["latency_us"]["p90"] / 1000, 2),
        "p99_ms": round(raw["latency_us"]["p99"] / 1000, 2),
        "max_ms": round(raw["latency_us"]["max"] / 1000, 2),
        "errors": errors,
        "socket_errors": raw["socket_errors"],
        "statuses": raw["statuses"],
        "unexpected_status": raw["unexpected_status"],
        "transfer_kb_per_request": round(raw["bytes"] / max(1, raw["requests"]) / 1024, 2),
        "command": " ".join(cmd),
    }


def run_pgbench(config: Config, params: dict, scenario: Scenario) -> dict:
    cmd = ["pgbench", "-n", "-M", config.pgbench_protocol, "-c", str(config.connections), "-j", str(config.pgbench_jobs),
           "-T", str(config.duration), "-h", params["host"], "-p", str(params["port"]), "-U", params["user"]]
    for name, value in scenario.pgbench_defines.items():
        cmd += ["-D", f"{name}={value}"]
    for file, weight in scenario.pgbench_scripts:
        cmd += ["-f", f"{file}@{weight}"]
    cmd.append(params["dbname"])
    env = dict(os.environ)
    if params.get("password"):
        env["PGPASSWORD"] = params["password"]
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=config.duration + 120)
    tps = re.search(r"^tps = ([\d.]+) \(without initial connection time\)", result.stdout, re.M)
    if result.returncode != 0 or not tps:
        raise BenchError(f"pgbench failed (exit {result.returncode}):\n{result.stdout[-2000:]}\n"
                         f"{result.stderr[-3000:]}")
    latency = re.search(r"^latency average = ([\d.]+) ms", result.stdout, re.M)
    failed = re.search(r"^number of failed transactions: (\d+)", result.stdout, re.M)
    shown = cmd if len(scenario.pgbench_scripts) <= 3 else cmd[:cmd.index("-f")] + [
        f"-f <{len(scenario.pgbench_scripts)} scripts in {WORK / 'pgbench'}>", params["dbname"]]
    return {
        "tps": round(float(tps.group(1)), 1),
        "latency_avg_ms": float(latency.group(1)) if latency else None,
        "failed": int(failed.group(1)) if failed else 0,
        "scripts": len(scenario.pgbench_scripts),
        "command": " ".join(shown),
    }


OTHER_CPU_WARNING = 0.10  # share of the CPU used by other work during a run above which it is flagged
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def load_average() -> float:
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except OSError:
        return 0.0


def machine_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine since boot, from /proc/stat."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except OSError:
        return 0, 0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields[:8]) - idle, sum(fields[:8])


def process_ticks(pids) -> int:
    """user + system CPU ticks of these processes (all their threads)."""
    total = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, ValueError, IndexError):
            pass
    return total


def busy_share(seconds: float = 1.0) -> float:
    """The share of the machine's CPU in use over the next ``seconds`` (0..1)."""
    busy0, total0 = machine_ticks()
    time.sleep(seconds)
    busy1, total1 = machine_ticks()
    return (busy1 - busy0) / max(1, total1 - total0)


def wait_for_quiet(limit: float, threshold: float = 0.25) -> float:
    """Wait (at most ``limit`` seconds) until under ``threshold`` of the CPU is in use by anything
    (between runs nothing of the benchmark runs). Returns the share last seen."""
    deadline = time.monotonic() + limit
    share = busy_share()
    if share > threshold and limit > 0:
        say(f"    the machine is busy ({share:.0%} of the CPU in use by other work): waiting up to {limit:.0f} s")
        while share > threshold and time.monotonic() < deadline:
            share = busy_share(2.0)
    return share


class CpuAccount:
    """Who used the CPU during a run: the app's workers, its PostgreSQL backends, wrk, and the rest of
    the machine (other people's work: a share of it means the numbers are low)."""

    def __init__(self, server: "Server", params: dict):
        self.server, self.params = server, params

    def _backends(self) -> list[int]:
        with pg_connect(self.params) as conn:
            return [r[0] for r in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")]

    def __enter__(self):
        import resource

        self.workers = self.server.worker_pids()
        self.backends = self._backends()
        self.start = (machine_ticks(), process_ticks(self.workers), process_ticks(self.backends),
                      resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic())
        return self

    def __exit__(self, *exc):
        import resource

        (busy0, total0), workers0, backends0, children0, t0 = self.start
        busy1, total1 = machine_ticks()
        children1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        total = max(1, total1 - total0)
        wrk = ((children1.ru_utime + children1.ru_stime) - (children0.ru_utime + children0.ru_stime)) * CLOCK_TICKS
        app = process_ticks(self.workers) - workers0
        db = process_ticks(self.backends) - backends0
        other = max(0.0, (busy1 - busy0) - wrk - app - db)
        self.report = {"app_workers": round(app / total, 3), "postgres": round(db / total, 3),
                       "wrk": round(wrk / total, 3), "other": round(other / total, 3),
                       "idle": round(1 - (busy1 - busy0) / total, 3)}
        return False


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


# --- the report ----------------------------------------------------------------------------------

def evaluate_targets(results: dict, memory: list[dict]) -> list[dict]:
    r = results
    targets = []

    def target(key, text, met):
        targets.append({"request": key, "target": text, "met": met})

    def rps(k):
        return r[k]["wrk"]["requests_per_s"] if k in r else None

    def ratio(k):
        return r[k].get("ratio_to_ceiling") if k in r else None

    if "a" in r:
        target("a", ">= 400 req/s", rps("a") >= 400)
        target("a", ">= 10% of its ceiling", ratio("a") is not None and ratio("a") >= 0.10)
    if "b" in r:
        target("b", ">= 500 req/s", rps("b") >= 500)
    if "c" in r:
        target("c", ">= 60% of its ceiling", ratio("c") is not None and ratio("c") >= 0.60)
    if "d" in r:
        target("d", ">= 1,500 req/s", rps("d") >= 1500)
    if "e" in r and "a" in r:
        target("e", "no slower than a) by more than half (>= 50% of a's req/s)", rps("e") >= 0.5 * rps("a"))
    if "f" in r and "d" in r:
        target("f", "faster than d)", rps("f") > rps("d"))
    for k in ("a", "b", "c", "d", "e"):
        if k in r:
            target(k, "p99 < 200 ms", r[k]["wrk"]["p99_ms"] < 200)
    target("all", "no errors", all(r[k]["wrk"]["errors"] == 0 for k in r))
    if memory:
        peak = max(m["vm_hwm_mb"] for m in memory)
        target("all", f"a worker < 200 MB (peak VmHWM {peak} MB)", peak < 200)
    return targets


def table(results: dict) -> str:
    header = (f"{'request':<44} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6} {'SQL/req':>7} "
              f"{'ceiling tps':>11} {'app/ceil':>8} {'alone ms':>8} {'other CPU':>9} {'scaled':>7}")
    lines = [header, "-" * len(header)]
    for key, result in results.items():
        wrk = result["wrk"]
        ceiling = result.get("pgbench", {}).get("tps")
        ratio = result.get("ratio_to_ceiling")
        lines.append(
            f"{key + ') ' + result['title']:<44} {wrk['requests_per_s']:>8.1f} {wrk['p50_ms']:>8.1f} "
            f"{wrk['p99_ms']:>8.1f} {wrk['errors']:>6} {result['sql_queries']:>7} "
            f"{(f'{ceiling:.1f}' if ceiling else '-'):>11} {(f'{ratio:.1%}' if ratio is not None else '-'):>8} "
            f"{result['in_process_ms']:>8.1f} {result.get('cpu_during_run', {}).get('other', 0):>9.0%} "
            f"{(wrk.get('machine_scaled_requests_per_s') or 0):>7.1f}"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", action="store_true", help="also profile each request with pyinstrument")
    parser.add_argument("--reload", action="store_true", help="load the dataset again even if it is there")
    parser.add_argument("--prepare", action="store_true", help="only make sure the dataset is loaded, then stop")
    args = parser.parse_args()
    config = Config.from_environment(args)
    params = parse_database_url(config.database_url)
    global WORK, RESULTS
    WORK = BENCH_DIR / "work" / params["dbname"]
    WORK.mkdir(parents=True, exist_ok=True)
    if os.environ.get("BENCH_RESULTS"):
        RESULTS = Path(os.environ["BENCH_RESULTS"]).resolve()
    elif config.claims != FULL_SIZE:
        RESULTS = BENCH_DIR / f"results-{config.claims}.json"
    started = time.monotonic()

    step("tools")
    ensure_tool("wrk", "wrk")
    ensure_tool("pgbench", "postgresql-client")
    version = check_postgres(params)
    say(f"    PostgreSQL {version} at {params['host']}:{params['port']}, database {params['dbname']}")

    step("dataset")
    marker = ensure_dataset(config, params)
    facts = database_facts(params)
    say(f"    {facts['claims_estimate']:,} claims (estimate), {facts['actors_estimate']:,} actors, "
        f"database {facts['database_size']}")
    if args.prepare:
        return 0

    step("collectstatic (production static files)")
    manage(config, "collectstatic", "--no-input", quiet=True)

    step("sampling inputs from the database")
    inputs = sample_inputs(config, params)
    say(f"    ids {inputs.id_low}..{inputs.id_high}; {len(set(inputs.speakers))} distinct speakers "
        f"({min(inputs.speaker_claims.values())}..{max(inputs.speaker_claims.values())} claims each); "
        f"median date {inputs.median_key}")
    say("    words: " + ", ".join(f"{w['word']} ({w['fraction']:.2%})" for w in inputs.words))

    step("capturing the SQL of each request (in-process) and writing pgbench scripts")
    scenarios, capture_info = capture_all(config, params, inputs)
    for key, scenario in scenarios.items():
        say(f"    {key}) {scenario.queries} SQL queries, {scenario.in_process_ms:.1f} ms in-process one at a time "
            f"({scenario.sql_ms:.1f} ms of it in SQL): GET {scenario.sample_path[:90]}")

    speakers = capture_info["queries"].get("b_speakers", [])
    if speakers:
        times = sorted(row["execution_ms"] for row in speakers)
        say(f"    b) the page query per speaker: median {times[len(times) // 2]:.1f} ms, slowest "
            + ", ".join(f"{row['execution_ms']:.0f} ms (speaker {row['speaker']}, {row['claims']} claims, "
                        f"{row['claim_scan']})" for row in speakers[:3]))

    step("facets and counts, one at a time in-process, under the time limit and without one")
    facets = facet_timings(config, inputs)
    say(facet_table(facets))

    profiles = {}
    if config.profile:
        step("profiling each request in-process with pyinstrument")
        profiles = profile_requests(config, scenarios)

    server = Server(config)
    workers = (f"{config.workers} {config.worker_class} workers" +
               (f" x {config.gunicorn_threads} threads" if config.worker_class == "gthread" else ""))
    step(f"starting gunicorn ({workers}) on {server.base}")
    results: dict[str, dict] = {}
    memory: list[dict] = []
    try:
        server.start()
        if "f" in config.only:
            scenarios["f"].data_lines = fetch_etags(server, inputs)
        status, _, body = server.get(scenarios["e"].sample_path)
        if status != 200 or len(json.loads(body)["results"]) != 50:
            raise BenchError(f"The half-way cursor page answered {status} over HTTP.")
        for key in config.only:
            if key not in scenarios:
                continue  # h) without the has_review filter (said above)
            scenario = scenarios[key]
            say(f"==> {key}) {scenario.title}: wrk warm-up {config.warmup} s, then {config.duration} s "
                f"at {config.connections} connections")
            prime(server, scenario, inputs, config)
            wait_for_quiet(config.quiet_wait)
            if config.warmup:
                run_wrk(config, server, scenario, config.warmup)
                drain(server, scenario)
            load = load_average()
            with CpuAccount(server, params) as cpu:
                wrk = run_wrk(config, server, scenario, config.duration)
            drain(server, scenario)
            result = {"title": scenario.title, "path": scenario.sample_path, "sql_queries": scenario.queries,
                      "in_process_ms": scenario.in_process_ms, "in_process_sql_ms": scenario.sql_ms,
                      "load_average_before": load, "cpu_during_run": cpu.report, "wrk": wrk}
            say(f"    app: {wrk['requests_per_s']:.1f} req/s, p50 {wrk['p50_ms']} ms, p99 {wrk['p99_ms']} ms, "
                f"errors {wrk['errors']}, statuses {wrk['statuses']}")
            ours = cpu.report["app_workers"] + cpu.report["postgres"] + cpu.report["wrk"]
            # Requests per second scaled to the whole machine, as if the other work had not been there
            # (the app is CPU-bound: an estimate, not a measurement).
            wrk["machine_scaled_requests_per_s"] = round(wrk["requests_per_s"] / ours, 1) if ours > 0.05 else None
            if wrk["unexpected_status"]:
                say(f"    warning: {wrk['unexpected_status']} responses were not {scenario.expected_status}")
            say("    CPU during the run: " + ", ".join(f"{k} {v:.0%}" for k, v in cpu.report.items()))
            if cpu.report["other"] > OTHER_CPU_WARNING:
                say(f"    warning: other work on the machine used {cpu.report['other']:.0%} of the CPU during "
                    f"this run: the numbers are low")
            if key in PGBENCH_SCENARIOS:
                wait_for_quiet(config.quiet_wait)
                pg = run_pgbench(config, params, scenario)
                result["pgbench"] = pg
                result["ratio_to_ceiling"] = round(wrk["requests_per_s"] / pg["tps"], 4) if pg["tps"] else None
                say(f"    pgbench ceiling: {pg['tps']:.1f} tps (latency avg {pg['latency_avg_ms']} ms); "
                    f"app/ceiling {result['ratio_to_ceiling']:.1%}")
            results[key] = result
        memory = server.memory()
    finally:
        server.stop()

    targets = evaluate_targets(results, memory)
    report = {
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "dataset": {"claims": config.claims, "seed": config.seed, "database": params["dbname"], "marker": marker,
                    **facts},
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "load": {"tool": "wrk", "connections": config.connections, "threads": config.wrk_threads,
                 "duration_s": config.duration, "warmup_s": config.warmup,
                 "ceiling_tool": f"pgbench -n -M {config.pgbench_protocol}, same concurrency, one transaction "
                                 f"script per request"},
        "gunicorn": {"workers": config.workers, "worker_class": config.worker_class,
                     "threads": config.gunicorn_threads if config.worker_class == "gthread" else 1,
                     "command": " ".join(server.command())},
        "app_environment": {k: v for k, v in app_environment(config).items()
                            if k.startswith("DJANGO_") and k != "DJANGO_SECRET_KEY"},
        "inputs": {"id_range": [inputs.id_low, inputs.id_high], "speakers": inputs.speakers,
                   "speaker_claims": inputs.speaker_claims, "words": inputs.words,
                   "word_sample_size": inputs.word_sample_size, "median_key": inputs.median_key},
        "results": results,
        "worker_memory": memory,
        "facets": facets,
        "targets": targets,
        "sql": capture_info,
        "profiles": profiles,
        "seconds": round(time.monotonic() - started, 1),
    }
    RESULTS.write_text(json.dumps(report, indent=2, default=str) + "\n")

    say("")
    say(f"Factbase benchmark: {facts['claims_estimate']:,} claims, {workers}, wrk -t{config.wrk_threads} "
        f"-c{config.connections} -d{config.duration}s; ceiling: pgbench -c{config.connections} "
        f"-j{config.pgbench_jobs} -T{config.duration}")
    say(table(results))
    say("(alone ms: the request served in-process, one at a time, no server, best of 20: its own cost in "
        "Python and SQL;\n"
        " other CPU: the share of the machine's CPU that work other than the benchmark used during the run;\n"
        " scaled: req/s divided by the share of the CPU the app, PostgreSQL and wrk had: an estimate for an idle "
        "machine)")
    if memory:
        say("gunicorn workers, peak memory (VmHWM): " + ", ".join(f"{m['vm_hwm_mb']} MB" for m in memory))
    say("")
    say(f"Facets and counts, in-process one at a time, {facets['repeat']} requests each:")
    say(facet_table(facets))
    say("")
    say("Targets:")
    for t in targets:
        say(f"  [{'met' if t['met'] else 'MISSED'}] {t['request']}) {t['target']}")
    noisy = [k for k, r in results.items() if r.get("cpu_during_run", {}).get("other", 0) > OTHER_CPU_WARNING]
    if noisy:
        say(f"  (judged on the measured numbers; in {', '.join(k + ')' for k in noisy)} other work used more than "
            f"{OTHER_CPU_WARNING:.0%} of the CPU: see 'other CPU' and 'scaled')")
    say(f"\nWritten {RESULTS} (plans of every query in {(WORK / 'explain').relative_to(ROOT)}/)")
    return 0


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


if __name__ == "__main__":
    exit_with(main, "make bench")
