"""Export claims as NDJSON, JSON or CSV in the interchange format (README: "Getting data in and out").

    python manage.py export_claims > claims.ndjson
    python manage.py export_claims --format csv -o claims.csv --speaker-name tokayev --stated-after 2022-01-01

The filters are the API's (``api.filters.ClaimFilterSet``: the same names, values and checks as the
query parameters of GET /api/v1/claims/). The export streams: memory stays flat however many claims.

A file given with ``-o`` is written whole or not at all: the export goes to a temporary file beside
it, which takes its name at the end. Interrupted (Ctrl-C, SIGINT), the command says in one line what
was written, and exits with 130.
"""

from __future__ import annotations

import os
import secrets
import stat
import sys
from pathlib import Path

from django.core.management.base import CommandError
from django.http import QueryDict
from django_filters import MultipleChoiceFilter
from tqdm import tqdm

from api.filters import ClaimFilterSet, MultipleIdFilter
from factbase import interchange, selectors
from factbase.interchange.exporter import export_chunks
from factbase.plumbing.interrupts import HeldInterrupts, InterruptibleCommand

STDOUT = "-"


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


class Command(InterruptibleCommand):
    help = "Export claims (with everything they carry) as NDJSON, JSON or CSV, filtered as the API filters."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=interchange.FORMATS, default=None,
                            help="ndjson (default), json or csv; by default taken from -o's extension.")
        parser.add_argument("-o", "--output", metavar="FILE", help="Write to FILE (default: standard output).")
        parser.add_argument("--names", choices=interchange.SPELLINGS, default="v1",
                            help="The names of the format: v1 (default; a source's and an outlet's address are each "
                                 "url) or v2 (the API's: document_url, website; CSV columns named by path, "
                                 "speaker.name), as /api/v1/ and /api/v2/ export. import_claims reads both.")
        parser.add_argument("--progress", choices=["auto", "yes", "no"], default="auto",
                            help="Show a progress bar when writing to a file (default: when standard error is a "
                                 "terminal).")
        group = parser.add_argument_group("filters", "The filters of GET /api/v1/claims/ (repeat the repeatable ones).")
        for name, filter_ in ClaimFilterSet.base_filters.items():
            repeatable = isinstance(filter_, (MultipleIdFilter, MultipleChoiceFilter))
            group.add_argument(_option(name), dest=f"filter_{name}", metavar=name.upper(),
                               action="append" if repeatable else "store",
                               help=filter_.extra.get("help_text", "") + (" (repeatable)" if repeatable else ""))

    def begin(self):
        self.writing_to: str | None = None  # the file being written, or STDOUT; None before
        self.in_place = False  # written as it goes (standard output, a pipe, a device), not renamed at the end
        self.complete = False

    def interrupted_message(self) -> str:
        """What was written."""
        writing_to = getattr(self, "writing_to", None)
        where = "standard output" if writing_to == STDOUT else writing_to
        if getattr(self, "complete", False):
            return f"Interrupted after the export was written: {where} has it complete."
        if writing_to is None:
            return "Interrupted: nothing was exported."
        if self.in_place:
            return f"Interrupted: the export on {where} is incomplete."
        return f"Interrupted: nothing was written to {where}."

    def handle(self, *args, format, output, progress, **options):
        self.names = options.get("names") or "v1"
        fmt = format
        if fmt is None:
            fmt = interchange.format_for(output, None) if output and Path(output).suffix else "ndjson"
        data = QueryDict(mutable=True)
        for name in ClaimFilterSet.base_filters:
            value = options.get(f"filter_{name}")
            if value is None:
                continue
            data.setlist(name, value if isinstance(value, list) else [value])
        filterset = ClaimFilterSet(data=data, queryset=selectors.claim_list())
        if not filterset.is_valid():
            problems = "; ".join(f"{_option(field)}: {' '.join(messages)}" for field, messages in filterset.errors.items())
            raise CommandError(f"Invalid filter: {problems}")
        queryset = filterset.qs

        show = output is not None and (progress == "yes" or (progress == "auto" and sys.stderr.isatty()))
        target = Path(output) if output else None
        if target is None or (target.exists() and not target.is_file()):  # standard output, a pipe, a device
            self.writing_to, self.in_place = output or STDOUT, True
            out = open(target, "wb") if target else sys.stdout.buffer  # noqa: SIM115 - closed below
            try:
                self._write(out, queryset, fmt, show)
            finally:
                if target:
                    out.close()
            self.complete = True
            return
        # Written beside the file, then renamed to it: an export cut short never has the file's name.
        self.writing_to = output
        partial = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.part")
        out = os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), "wb")
        try:
            with out:
                self._write(out, queryset, fmt, show)
            if target.exists():
                os.chmod(partial, stat.S_IMODE(target.stat().st_mode))
            with HeldInterrupts() as interrupts:  # renamed and said to be, or neither
                interrupts.hold()
                os.replace(partial, target)
                self.complete = True
        finally:
            if not self.complete:
                partial.unlink(missing_ok=True)

    def _write(self, out, queryset, fmt, show) -> None:
        with tqdm(unit=" B", unit_scale=True, disable=not show, file=sys.stderr, mininterval=0.5) as bar:
            for piece in export_chunks(queryset, fmt, spelling=self.names):
                out.write(piece)
                bar.update(len(piece))
        out.flush()
