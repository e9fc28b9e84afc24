"""Requests served in this process (Django's test client): their SQL captured, their cost one at a time,
facets and counts under the time limit, profiles."""

from __future__ import annotations

import os
import shutil
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bench.config import PAGE, ROOT, BenchError, Config, app_environment, paths, say
from bench.dataset import Inputs

if TYPE_CHECKING:
    from bench.capture import Scenario


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
    out = paths.work / "profile"
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
