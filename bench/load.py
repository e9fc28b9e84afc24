"""The load: wrk against the server, pgbench against PostgreSQL, and who used the CPU meanwhile."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path

from bench.capture import Scenario
from bench.config import WRK_SCRIPT, BenchError, Config, paths, say
from bench.dataset import pg_connect
from bench.servers import Server


# --- measuring -----------------------------------------------------------------------------------

def run_wrk(config: Config, server: Server, scenario: Scenario, seconds: int, data_lines: list[str] | None = None,
            name: str | None = None) -> dict:
    """wrk against ``server`` with the scenario's requests (or ``data_lines``, e.g. a peer's URLs)."""
    data = paths.work / "wrk" / f"{name or scenario.key}.txt"
    data.parent.mkdir(parents=True, exist_ok=True)
    data.write_text("\n".join(scenario.data_lines if data_lines is None else data_lines) + "\n")
    cmd = ["wrk", f"-t{config.wrk_threads}", f"-c{config.connections}", f"-d{seconds}s", "--timeout", "10s",
           "--latency", "-s", str(WRK_SCRIPT), server.base,
           "--", str(data), str(config.seed), str(scenario.expected_status),
           "keep-alive" if config.keepalive else "close"]
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
        f"-f <{len(scenario.pgbench_scripts)} scripts in {paths.work / 'pgbench'}>", params["dbname"]]
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


def ticks_by_pid(pids) -> dict[int, int]:
    return {pid: process_ticks([pid]) for pid in pids}


def ticks_spent(before: dict[int, int], after: dict[int, int]) -> int:
    """CPU ticks spent between two readings of processes by pid: a process present at both counts its
    difference, one that appeared in between counts all of its ticks, one that went away counts nothing
    (a kept connection closed at its CONN_MAX_AGE takes its backend's ticks with it: subtracting totals
    made PostgreSQL's share negative and *other* over 100%)."""
    return sum(max(0, ticks - before.get(pid, 0)) for pid, ticks in after.items())


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

        self.start = (machine_ticks(), ticks_by_pid(self.server.worker_pids()), ticks_by_pid(self._backends()),
                      resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic())
        return self

    def __exit__(self, *exc):
        import resource

        (busy0, total0), workers0, backends0, children0, t0 = self.start
        busy1, total1 = machine_ticks()
        children1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        total = max(1, total1 - total0)
        wrk = ((children1.ru_utime + children1.ru_stime) - (children0.ru_utime + children0.ru_stime)) * CLOCK_TICKS
        app = ticks_spent(workers0, ticks_by_pid(self.server.worker_pids()))
        db = ticks_spent(backends0, ticks_by_pid(self._backends()))
        other = max(0.0, (busy1 - busy0) - wrk - app - db)
        self.report = {"app_workers": round(app / total, 3), "postgres": round(db / total, 3),
                       "wrk": round(wrk / total, 3), "other": round(other / total, 3),
                       "idle": round(1 - (busy1 - busy0) / total, 3)}
        return False
