"""Import claims from NDJSON, JSON or CSV files in the interchange format (README: "Getting data in and out").

    python manage.py import_claims claims.ndjson more.csv --user editor
    python manage.py import_claims export.json --dry-run
    cat claims.ndjson | python manage.py import_claims - --format ndjson

Every claim goes through the services, with the rules of the admin and the API. By default a file
with a bad record writes nothing (every problem is listed with its file, line and field);
``--skip-invalid`` imports the rest. Importing a file twice changes nothing the second time.

Interrupted (Ctrl-C, SIGINT), it says in one line whether anything was written, and exits with 130.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from tqdm import tqdm

from factbase import interchange
from factbase.interchange import bulk
from factbase.interchange.importer import Report, count_lines, import_files
from factbase.plumbing.interrupts import InterruptibleCommand

SHOWN_PROBLEMS = 50


def _changes(report: Report) -> str:
    return ", ".join(f"{n:,} {what}" for what, n in sorted(report.stats.items())) or "nothing changed"


class Command(InterruptibleCommand):
    help = ("Import claims (with the actors, outlets, sources, tags and reviews they name) from NDJSON, JSON or "
            "CSV files in the interchange format. Safe to run again: what is already there is left alone.")

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE", help="Files to import; - reads standard input.")
        parser.add_argument("--format", choices=interchange.FORMATS,
                            help="The files' format (default: from each file's extension; ndjson for -).")
        parser.add_argument("--user", metavar="USERNAME",
                            help="Who imports: recorded in the history of every change. Setting a claim's status "
                                 "(other than unverified) needs this user to have the verify_claim permission.")
        parser.add_argument("--dry-run", action="store_true",
                            help="Check everything and report what would change, then write nothing.")
        parser.add_argument("--skip-invalid", action="store_true",
                            help="Import the valid records and report the others (default: a bad record stops the "
                                 "whole import, and nothing is written).")
        parser.add_argument("--progress", choices=["auto", "yes", "no"], default="auto",
                            help="Show a progress bar (default: when standard error is a terminal).")

    def begin(self):
        self.report: Report | None = None  # what the import did, once it has begun

    def interrupted_message(self) -> str:
        """Whether anything was written."""
        report = getattr(self, "report", None)
        if report is not None and report.written:
            return f"Interrupted after the import was committed: it is complete ({_changes(report)})."
        return "Interrupted: nothing was imported (nothing was written)."

    def handle(self, *args, files, format, user, dry_run, skip_invalid, progress, **options):
        importer_user = None
        if user:
            try:
                importer_user = get_user_model().objects.get(username=user)
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user is named {user!r}.") from None
            if not importer_user.is_active:
                raise CommandError(f"The user {user!r} is not active.")
        for name in files:
            if name != "-" and not Path(name).is_file():
                raise CommandError(f"No such file: {name}")
            if name != "-":
                try:
                    interchange.format_for(name, format)
                except ValueError as exc:
                    raise CommandError(str(exc)) from None
                try:
                    open(name, "rb").close()  # noqa: SIM115
                except OSError as exc:
                    raise CommandError(f"Cannot read {name}: {exc.strerror or exc}.") from None

        show = progress == "yes" or (progress == "auto" and sys.stderr.isatty())
        total = None
        if show and all(name != "-" for name in files) and (format or "") != "json" and \
                all(interchange.format_for(n, format) != "json" for n in files):
            total = sum(count_lines(name) for name in files)
        bar = tqdm(total=total, unit=" claims", unit_scale=True, disable=not show, file=sys.stderr,
                   mininterval=0.5, smoothing=0.1)
        reason = "Imported from " + ", ".join(Path(n).name if n != "-" else "standard input" for n in files)
        report = self.report = Report()
        try:
            import_files(files, fmt=format, user=importer_user, dry_run=dry_run, skip_invalid=skip_invalid,
                         reason=reason[:100], progress=bar.update, report=report)
        except bulk.WriteFailed as exc:
            raise CommandError(f"{exc} Nothing was imported.") from exc
        finally:
            bar.close()

        for problem in report.problems[:SHOWN_PROBLEMS]:
            self.stderr.write(str(problem))
        if len(report.problems) > SHOWN_PROBLEMS:
            self.stderr.write(f"... and {len(report.problems) - SHOWN_PROBLEMS} more problems.")

        changes = _changes(report)
        summary = (f"{report.records:,} records read in {report.seconds:.1f} s "
                   f"({report.claims_per_second():,.0f} a second); {report.unchanged:,} claims unchanged.")
        if report.problems and not skip_invalid:
            raise CommandError(f"{len(report.problems)} problem(s) in the records: nothing was imported. "
                               f"(The valid records would have made: {changes}.) Fix them, or import the rest with --skip-invalid.")
        if dry_run:
            self.stdout.write(f"Dry run, nothing was written. It would have made: {changes}. {summary}")
        else:
            skipped = f" Skipped the records with {len(report.problems)} problem(s) above." if report.problems else ""
            self.stdout.write(self.style.SUCCESS(f"Imported: {changes}. {summary}{skipped}"))
