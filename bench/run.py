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
   For a) to d), the peers (bench/peers.py, bench/comparison.py): Datasette over a SQLite copy and the
   floor (bench/floor/), each in turn with Factbase, BENCH_ROUNDS rounds, the same wrk settings.
6. Facet and count timings, one request at a time in-process: facets by status and by speaker, and
   ``count=true``, for one speaker's claims and for the whole table, under the time limit
   (``DJANGO_API_FACET_TIME_LIMIT_MS``) and without one: latency and whether they timed out.
7. ``bench/results.json`` and a table on stdout, with each target met or missed.

Settings come from the environment (the Makefile passes its variables through): BENCH_CLAIMS,
BENCH_SEED, BENCH_DATABASE_URL, BENCH_CONNECTIONS, BENCH_THREADS, BENCH_DURATION, BENCH_WARMUP,
BENCH_WORKERS, BENCH_WORKER_CLASS, BENCH_GUNICORN_THREADS, BENCH_ONLY, BENCH_PROFILE, BENCH_RELOAD,
BENCH_QUIET_WAIT, BENCH_SERVER_SIDE_BINDING, BENCH_PEERS, BENCH_ROUNDS, BENCH_KEEPALIVE,
BENCH_COMPARE_WORKER_CLASSES.

The modules, one idea each: config (settings, paths, requests), dataset (tools, PostgreSQL, the dataset,
the sampled inputs), inprocess (requests served in this process: capture, timings, facets, profiles),
capture (pgbench scripts and plans of each request), servers (gunicorn), load (wrk, pgbench, the CPU
account), report (targets and table).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# The names bench/import_export.py (``import run``) and others use are importable from here too.
from bench.capture import capture_all  # noqa: E402
from bench.comparison import compare, ensure_sqlite_copy  # noqa: E402
from bench.config import (  # noqa: E402,F401
    BENCH_DIR, FULL_SIZE, PEER_SCENARIOS, PGBENCH_SCENARIOS, BenchError, Config, app_environment,
    default_database_url, exit_with, parse_database_url, paths, say, step,
)
from bench.dataset import (  # noqa: E402,F401
    check_postgres, database_facts, ensure_dataset, ensure_tool, manage, pg_connect, recreate_database, sample_inputs,
)
from bench.inprocess import facet_table, facet_timings, profile_requests  # noqa: E402
from bench.load import (  # noqa: E402,F401
    OTHER_CPU_WARNING, CpuAccount, load_average, run_pgbench, run_wrk, wait_for_quiet,
)
from bench.report import evaluate_targets, table  # noqa: E402
from bench.servers import Server, drain, fetch_etags, prime  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", action="store_true", help="also profile each request with pyinstrument")
    parser.add_argument("--reload", action="store_true", help="load the dataset again even if it is there")
    parser.add_argument("--prepare", action="store_true", help="only make sure the dataset is loaded, then stop")
    args = parser.parse_args()
    config = Config.from_environment(args)
    params = parse_database_url(config.database_url)
    paths.work = BENCH_DIR / "work" / params["dbname"]
    paths.work.mkdir(parents=True, exist_ok=True)
    if os.environ.get("BENCH_RESULTS"):
        paths.results = Path(os.environ["BENCH_RESULTS"]).resolve()
    elif config.claims != FULL_SIZE:
        paths.results = BENCH_DIR / f"results-{config.claims}.json"
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
    peer_keys = [k for k in config.only if k in PEER_SCENARIOS and k in scenarios]
    peers: dict[str, Server] = {}
    sqlite_copy = None
    if config.peers and peer_keys:
        step(f"the peers for {', '.join(k + ')' for k in peer_keys)}: {', '.join(config.peers)}")
        for peer in config.peers:
            env = {}
            if peer == "datasette":
                sqlite_path, sqlite_copy = ensure_sqlite_copy(params, marker)
                env = {"BENCH_SQLITE_PATH": str(sqlite_path)}
            peers[peer] = Server(config, peer, env)
    if config.compare_worker_classes and peer_keys:
        for worker_class in config.compare_worker_classes:
            side = f"factbase-{worker_class}"
            peers[side] = Server(dataclasses.replace(config, worker_class=worker_class), "factbase", name=side)
    step(f"starting gunicorn ({workers}) on {server.base}"
         + "".join(f"; {peer} on {s.base}" for peer, s in peers.items()))
    results: dict[str, dict] = {}
    memory: list[dict] = []
    try:
        server.start()
        for peer_server in peers.values():
            peer_server.start()
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
            if key in peer_keys and peers:
                compare(config, params, key, scenario, inputs, server, peers, result)
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
        for peer_server in peers.values():
            peer_server.stop()

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
                     "keepalive": config.keepalive, "command": " ".join(server.command())},
        "peers": {"sides": config.peers, "rounds": config.rounds, "sqlite_copy": sqlite_copy,
                  "commands": {peer: " ".join(s.command()) for peer, s in peers.items()}},
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
    paths.results.write_text(json.dumps(report, indent=2, default=str) + "\n")

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
    say(f"\nWritten {paths.results} (plans of every query in {(paths.work / 'explain').relative_to(ROOT)}/)")
    return 0



if __name__ == "__main__":
    exit_with(main, "make bench")
