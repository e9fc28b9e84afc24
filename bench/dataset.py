"""Tools, PostgreSQL, the dataset (loaded once, marked) and the inputs sampled from it."""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field

from bench.config import MARKER_TABLE, ROOT, BenchError, Config, app_environment, say, step


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
