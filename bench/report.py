"""The targets, met or missed, and the table of results."""

from __future__ import annotations


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
    # Issue #16 item 4: Factbase next to Datasette and the floor, in the same run
    for k, times in (("a", 2.0), ("b", 2.0), ("c", 1.5), ("d", 2.0)):
        if k in r and r[k].get("vs_datasette") is not None:
            target(k, f">= {times:g}x Datasette (Factbase/Datasette {r[k]['vs_datasette']:.2f})",
                   r[k]["vs_datasette"] >= times)
    for k in ("a", "b", "d"):
        if k in r and r[k].get("vs_floor") is not None:
            target(k, f">= 70% of the floor (Factbase/floor {r[k]['vs_floor']:.0%})", r[k]["vs_floor"] >= 0.70)
    target("all", "no errors", all(r[k]["wrk"]["errors"] == 0 for k in r))
    if memory:
        peak = max(m["vm_hwm_mb"] for m in memory)
        target("all", f"a worker < 200 MB (peak VmHWM {peak} MB)", peak < 200)
    return targets


def peer_columns(result: dict) -> str:
    """The table's last four columns: Datasette's and the floor's req/s, Factbase's ratios to them."""
    def number(value, form):
        return format(value, form) if value is not None else "-"

    return (f" {number(result.get('datasette_rps'), '.1f'):>9} {number(result.get('floor_rps'), '.1f'):>9}"
            f" {number(result.get('vs_datasette'), '.2f'):>6} {number(result.get('vs_floor'), '.0%'):>8}")


def table(results: dict) -> str:
    with_peers = any("vs_datasette" in r or "vs_floor" in r for r in results.values())
    header = (f"{'request':<44} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6} {'SQL/req':>7} "
              f"{'ceiling tps':>11} {'app/ceil':>8} {'alone ms':>8} {'other CPU':>9} {'scaled':>7}")
    if with_peers:
        header += f" {'datasette':>9} {'floor':>9} {'FB/DS':>6} {'FB/floor':>8}"
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
            + (peer_columns(result) if with_peers else "")
        )
    return "\n".join(lines)
