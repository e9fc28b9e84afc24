"""``manage.py check_integrity``: check the data's invariants on a live database (factbase/integrity.py).

Prints, for each check, how many records it looked at and which break its rule; exits 1 when any does,
0 when every check holds (so a deployment or a cron job can act on it). Writes nothing.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from factbase.integrity import CHECKS, check_integrity


class Command(BaseCommand):
    help = ("Check that every claim's span is its source's text, every verified claim records its verifier and "
            "date, and every record's history ends in the record as it is. Exits 1 if anything is wrong.")

    def add_arguments(self, parser):
        parser.add_argument("checks", nargs="*", metavar="CHECK",
                            help=f"the checks to run (default: all): {', '.join(CHECKS)}")
        parser.add_argument("--limit", type=int, default=20,
                            help="how many of the records that break a rule to list, per check (default 20)")
        parser.add_argument("--json", action="store_true", help="print the results as one JSON object")

    def handle(self, *args, checks, limit, json: bool, **options):
        unknown = [name for name in checks if name not in CHECKS]
        if unknown:
            raise CommandError(f"Unknown check(s): {', '.join(unknown)}. The checks are: {', '.join(CHECKS)}.")
        if limit < 0:
            raise CommandError("--limit is a number from 0.")
        results = check_integrity(checks or None, limit=limit)
        if json:
            self.stdout.write(_json({r.name: {"rule": r.rule, "checked": r.checked, "problems": r.count,
                                              "examples": r.examples} for r in results}))
        else:
            for result in results:
                style = self.style.SUCCESS if result.ok else self.style.ERROR
                self.stdout.write(style(f"{result.name}: {result.count} problem(s) in {result.checked} record(s) "
                                        f"checked") + f" ({result.rule})")
                for example in result.examples:
                    self.stdout.write(f"  {example}")
                if result.count > len(result.examples):
                    self.stdout.write(f"  ... and {result.count - len(result.examples)} more")
        if not all(result.ok for result in results):
            raise SystemExit(1)


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)
