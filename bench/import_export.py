#!/usr/bin/env python3
"""`make bench-import`: export the benchmark's claims, import them into an empty PostgreSQL database,
export them again, and measure each step (time, claims a second, peak memory of the process).

Steps (see bench/README.md):

1. Dataset: the benchmark database of `make bench` (``BENCH_DATABASE_URL``, ``BENCH_CLAIMS`` claims
   from ``BENCH_SEED``), loaded with ``generate_claims`` if it is not there yet.
2. Export: ``manage.py export_claims -o bench/work/<database>/export.ndjson``.
3. Import: the database ``<benchmark database>_import`` is made anew and migrated, a user of the
   Editors group made (so the claims' statuses are imported), then
   ``manage.py import_claims export.ndjson --user bench-editor``.
4. Export again, from the imported database, and compare the two files byte for byte.
5. ``bench/results-import.json`` (``results-import-<claims>.json`` for another size) and a table,
   with the targets met or missed: at least 5,000 claims a second imported, an export's process
   under 200 MB, the same file after the round trip.

Each command runs as a process of its own; its peak resident memory is the kernel's count for it
(``ru_maxrss`` from ``wait4``). The machine should be otherwise idle: the run waits (at most
``BENCH_QUIET_WAIT`` seconds) until it is, and reports the load. ``BENCH_KEEP=1`` keeps the exported
files and the imported database (by default both are removed at the end: a million claims take about
1 GB as a file and 2 GB as a database).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run  # noqa: E402 - bench/run.py: the dataset, the database, the environment of the app
from run import BenchError, say, step  # noqa: E402

IMPORT_RATE_TARGET = 5000  # claims a second
EXPORT_MEMORY_TARGET_MB = 200
EDITOR = "bench-editor"


def run_measured(config: run.Config, *args: str) -> dict:
    """Run ``manage.py *args`` on ``config``'s database; its wall time, CPU time, peak memory and output.
    The settings are the app's in the benchmark (``run.app_environment``), with Django's default client-side
    binding, as ``manage.py`` runs without ``DJANGO_DB_SERVER_SIDE_BINDING``."""
    env = dict(run.app_environment(config), DJANGO_DB_SERVER_SIDE_BINDING="0")
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, str(run.ROOT / "manage.py"), *args], cwd=run.ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise BenchError(f"`manage.py {' '.join(args)}` failed (exit {process.returncode}):\n{output[-3000:]}")
    return {"seconds": round(seconds, 2), "user_cpu_s": round(usage.ru_utime, 2),
            "system_cpu_s": round(usage.ru_stime, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "output": output.strip()[-2000:]}


def file_facts(path: Path) -> dict:
    digest = hashlib.sha256()
    lines = 0
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            lines += block.count(b"\n")
    return {"bytes": path.stat().st_size, "lines": lines, "sha256": digest.hexdigest()}


def make_editor(config: run.Config) -> None:
    code = ("from django.contrib.auth.models import Group, User; "
            f"user, _ = User.objects.get_or_create(username={EDITOR!r}); "
            "user.groups.add(Group.objects.get(name='Editors'))")
    run_measured(config, "shell", "-c", code)


def count_claims(params: dict) -> int:
    with run.pg_connect(params) as conn:
        return conn.execute("SELECT count(*) FROM factbase_claim").fetchone()[0]


def importer_seconds(output: str) -> float | None:
    """The importer's own time (from reading the first record to the commit), from its last line."""
    found = re.search(r"records read in ([\d.]+) s", output)
    return float(found.group(1)) if found else None


def git_commit() -> str | None:
    """The commit measured ("+" when the tree has changes), if this is a git checkout."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=run.ROOT, capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=run.ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return commit + ("+" if dirty else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reload", action="store_true", help="load the benchmark's dataset again")
    args = parser.parse_args()
    config = run.Config.from_environment(argparse.Namespace(profile=False, reload=args.reload))
    params = run.parse_database_url(config.database_url)
    import_params = dict(params, dbname=f"{params['dbname']}_import")
    importing = dataclasses.replace(
        config, database_url=run.default_database_url(config.database_url, import_params["dbname"]))
    keep = os.environ.get("BENCH_KEEP", "") not in ("", "0")
    work = run.BENCH_DIR / "work" / params["dbname"]
    work.mkdir(parents=True, exist_ok=True)
    results_path = run.BENCH_DIR / ("results-import.json" if config.claims == run.FULL_SIZE
                                    else f"results-import-{config.claims}.json")
    first, second = work / "export.ndjson", work / "export-again.ndjson"
    started = time.monotonic()

    step("PostgreSQL")
    version = run.check_postgres(params)
    say(f"    PostgreSQL {version} at {params['host']}:{params['port']}")
    step("dataset")
    marker = run.ensure_dataset(config, params)
    claims = marker["claims"]

    steps, made = {}, False
    try:
        step(f"export: {claims:,} claims from {params['dbname']} to {first.relative_to(run.ROOT)}")
        loads = {"export": run.load_average()}
        steps["export"] = run_measured(config, "export_claims", "--progress", "no",
                                       "-o", str(first))
        exported = file_facts(first)
        say(f"    {steps['export']['seconds']} s, {exported['lines']:,} lines, {exported['bytes']:,} bytes, "
            f"peak memory {steps['export']['peak_rss_mb']} MB")

        step(f"import into an empty database, {import_params['dbname']}")
        run.recreate_database(import_params)
        made = True
        run.manage(importing, "migrate", "--no-input", quiet=True)
        make_editor(importing)
        run.wait_for_quiet(config.quiet_wait)
        loads["import"] = run.load_average()
        steps["import"] = run_measured(importing, "import_claims", str(first), "--progress", "no",
                                       "--user", EDITOR)
        imported = count_claims(import_params)
        seconds = importer_seconds(steps["import"]["output"]) or steps["import"]["seconds"]
        steps["import"].update(importer_seconds=seconds, claims=imported,
                               claims_per_s=round(imported / seconds), claims_per_s_whole_command=round(
                                   imported / steps["import"]["seconds"]))
        say(f"    {imported:,} claims in {seconds} s as the importer counts it ({steps['import']['seconds']} s for "
            f"the whole command): {steps['import']['claims_per_s']:,} claims a second; peak memory "
            f"{steps['import']['peak_rss_mb']} MB")

        step(f"export again, from {import_params['dbname']}")
        run.wait_for_quiet(config.quiet_wait)
        loads["export_again"] = run.load_average()
        steps["export_again"] = run_measured(importing, "export_claims", "--progress", "no",
                                             "-o", str(second))
        again = file_facts(second)
        identical = again["sha256"] == exported["sha256"] and again["bytes"] == exported["bytes"]
        say(f"    {steps['export_again']['seconds']} s; the same file as the first export: "
            f"{'yes' if identical else 'NO'}")
    finally:
        if not keep:
            for path in (first, second):
                path.unlink(missing_ok=True)
            if made:
                with run.pg_connect(params, dbname="postgres") as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{import_params["dbname"]}" WITH (FORCE)')

    targets = [
        {"target": f"import >= {IMPORT_RATE_TARGET:,} claims a second",
         "value": steps["import"]["claims_per_s"], "met": steps["import"]["claims_per_s"] >= IMPORT_RATE_TARGET},
        {"target": f"export process < {EXPORT_MEMORY_TARGET_MB} MB",
         "value": steps["export"]["peak_rss_mb"], "met": steps["export"]["peak_rss_mb"] < EXPORT_MEMORY_TARGET_MB},
        {"target": "every claim imported", "value": f"{steps['import']['claims']:,} of {exported['lines']:,}",
         "met": steps["import"]["claims"] == exported["lines"]},
        {"target": "export, import, export: the same file", "value": identical, "met": identical},
    ]
    report = {
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "dataset": {"claims": claims, "seed": config.seed, "database": params["dbname"],
                    "import_database": import_params["dbname"]},
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0], "postgresql": version,
                    "load_average_before": loads},
        "file": exported,
        "steps": steps,
        "round_trip_identical": identical,
        "targets": targets,
        "seconds": round(time.monotonic() - started, 1),
    }
    results_path.write_text(json.dumps(report, indent=2) + "\n")

    say("")
    say(f"Factbase import/export benchmark: {claims:,} claims ({exported['bytes']:,} bytes of NDJSON)")
    header = f"{'step':<14} {'seconds':>8} {'claims/s':>9} {'user CPU s':>10} {'peak MB':>8} {'load before':>11}"
    say(header)
    say("-" * len(header))
    for name, key in (("export", "export"), ("import", "import"), ("export again", "export_again")):
        s = steps[key]
        rate = s.get("claims_per_s") or round(claims / s["seconds"])
        say(f"{name:<14} {s.get('importer_seconds', s['seconds']):>8} {rate:>9,} {s['user_cpu_s']:>10} "
            f"{s['peak_rss_mb']:>8} {loads[key]:>11}")
    say("(import: seconds as the importer counts them, from its first record to its commit; the whole command, "
        f"start-up included, took {steps['import']['seconds']} s)")
    say("")
    say("Targets:")
    for t in targets:
        say(f"  [{'met' if t['met'] else 'MISSED'}] {t['target']} ({t['value']})")
    say(f"\nWritten {results_path}")
    return 0


if __name__ == "__main__":
    run.exit_with(main, "make bench-import")
