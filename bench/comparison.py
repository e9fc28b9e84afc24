"""Factbase next to its peers (bench/peers.py) for a) to d): each side in turn, the same wrk settings, in
rounds; the figures each side reached and Factbase's ratios to them."""

from __future__ import annotations

import json
import random
import statistics

from bench.capture import Scenario
from bench.config import Config, BenchError, paths, say, step
from bench.dataset import Inputs, pg_connect
from bench.load import CpuAccount, run_wrk, wait_for_quiet
from bench.peers import SQLITE_NAME, copy_is_current, datasette_data_line, datasette_path, make_copy
from bench.servers import Server


def ensure_sqlite_copy(params: dict, marker: dict):
    """bench/work/<database>/claims.sqlite3, made again when missing or made from another dataset."""
    path = paths.work / SQLITE_NAME
    if copy_is_current(path, marker):
        say(f"    SQLite copy {path.relative_to(paths.work.parent.parent.parent)} is current")
        return path, None
    step(f"making the SQLite copy of the claims for Datasette: {path}")
    with pg_connect(params, autocommit=False) as conn:
        made = make_copy(conn, path, marker)
    say(f"    {made['rows']:,} rows, {made['bytes'] / 1e6:.0f} MB, in {made['seconds']:.0f} s")
    return path, made


def side_lines(side: str, scenario: Scenario) -> list[str]:
    # Factbase under another worker class ("factbase-gthread") and the floor answer Factbase's own paths.
    """The wrk input of ``side`` for the scenario: Factbase's own paths (the floor has the same), or Datasette's."""
    if side == "datasette":
        return [datasette_data_line(line) for line in scenario.data_lines]
    return list(scenario.data_lines)


def side_path(side: str, path: str) -> str:
    return datasette_path(path) if side == "datasette" else path


def prime_side(server: Server, side: str, scenario: Scenario, inputs: Inputs, config: Config) -> None:
    """As servers.prime: a few requests one at a time, each checked to answer 200."""
    requests = [side_path(side, path) for path, _ in scenario.prime_requests(inputs)]
    rng = random.Random(config.seed)
    for path in (rng.choice(requests) for _ in range(max(10, 3 * config.workers * max(1, config.gunicorn_threads)))):
        status, _, _ = server.get(path)
        if status != 200:
            raise BenchError(f"{side}: GET {path} answered {status}, not 200.")


def measure(config: Config, params: dict, server: Server, side: str, scenario: Scenario) -> dict:
    """One measured wrk run of ``side`` (after a warm-up), with the CPU account of the run."""
    lines = side_lines(side, scenario)
    name = f"{scenario.key}-{side}"
    wait_for_quiet(config.quiet_wait)
    if config.warmup:
        run_wrk(config, server, scenario, config.warmup, lines, name)
        server.get(side_path(side, scenario.sample_path))
    with CpuAccount(server, params) as cpu:
        wrk = run_wrk(config, server, scenario, config.duration, lines, name)
    server.get(side_path(side, scenario.sample_path))
    wrk["machine_scaled_requests_per_s"] = scaled(wrk["requests_per_s"], cpu.report)
    return {"wrk": wrk, "cpu_during_run": cpu.report}


def scaled(requests_per_s: float, cpu: dict) -> float | None:
    """Requests per second divided by the share of the machine's CPU the side, PostgreSQL and wrk had: an
    estimate for an idle machine (as run.py's *scaled* column), fair to each side on a shared machine."""
    ours = cpu["app_workers"] + cpu["postgres"] + cpu["wrk"]
    return round(requests_per_s / ours, 1) if ours > 0.05 else None


def response_sizes(servers: dict[str, Server], scenario: Scenario) -> dict:
    """What each side answers to the scenario's sample request: status, bytes, claims in it."""
    sizes = {}
    for side, server in servers.items():
        path = side_path(side, scenario.sample_path)
        status, headers, body = server.get(path)
        claims = None
        if status == 200:
            data = json.loads(body)
            rows = data.get("results", data.get("rows"))
            claims = len(rows) if isinstance(rows, list) else 1
        sizes[side] = {"path": path, "status": status, "bytes": len(body), "claims": claims,
                       "content_type": headers.get("Content-Type")}
    return sizes


def summarize(factbase_rps: list[float], peer_rps: dict[str, list[float]], suffix: str = "") -> dict:
    """The figures of a request for results.json: each side's median over the rounds, and Factbase's ratios
    (``suffix`` "_scaled": of the scaled rates)."""
    values = [v for v in factbase_rps if v is not None]
    ours = statistics.median(values) if values else None
    summary = {f"factbase{suffix}_rps": round(ours, 1) if ours is not None else None}
    for side, figures in peer_rps.items():
        figures = [v for v in figures if v is not None]
        theirs = statistics.median(figures) if figures else None
        summary[f"{side}{suffix}_rps"] = round(theirs, 1) if theirs is not None else None
        summary[f"vs_{side}{suffix}"] = round(ours / theirs, 3) if theirs and ours is not None else None
    return summary


def compare(config, params, key, scenario, inputs, server, peers, result) -> None:
    """Factbase's run of this request was just measured: each peer in turn, then (with BENCH_ROUNDS > 1)
    Factbase and each peer again; the medians and Factbase's ratios go into ``result``."""
    sides = {"factbase": server, **peers}
    result["responses"] = response_sizes(sides, scenario)
    say("    responses: " + ", ".join(f"{side} {r['bytes']:,} bytes ({r['claims']} claims)"
                                      for side, r in result["responses"].items()))
    factbase_rps = [result["wrk"]["requests_per_s"]]
    factbase_scaled = [result["wrk"].get("machine_scaled_requests_per_s")]
    runs: dict[str, list] = {"factbase": []}
    for round_number in range(config.rounds):
        for side, side_server in sides.items():
            if side == "factbase" and round_number == 0:
                continue  # measured just before, with the pgbench ceiling after
            if side != "factbase":
                prime_side(side_server, side, scenario, inputs, config)
            run = measure(config, params, side_server, side, scenario)
            runs.setdefault(side, []).append(run)
            if side == "factbase":
                factbase_rps.append(run["wrk"]["requests_per_s"])
                factbase_scaled.append(run["wrk"]["machine_scaled_requests_per_s"])
            say(f"    {side} (round {round_number + 1}): {run['wrk']['requests_per_s']:.1f} req/s, "
                f"p50 {run['wrk']['p50_ms']} ms, p99 {run['wrk']['p99_ms']} ms, errors {run['wrk']['errors']}, "
                f"other CPU {run['cpu_during_run']['other']:.0%}")
    result["peer_runs"] = runs
    result.update(summarize(factbase_rps, {side: [r["wrk"]["requests_per_s"] for r in runs[side]] for side in peers}))
    result.update(summarize(factbase_scaled, {side: [r["wrk"]["machine_scaled_requests_per_s"] for r in runs[side]]
                                              for side in peers}, "_scaled"))
    say("    " + ", ".join(f"Factbase/{side} {result['vs_' + side]:.2f} "
                           f"(scaled {result['vs_' + side + '_scaled'] or 0:.2f})"
                           for side in peers if result.get("vs_" + side)))
