"""Export claims as NDJSON, JSON or CSV in the interchange format (README: "Getting data in and out").

    python manage.py export_claims > claims.ndjson
    python manage.py export_claims --format csv -o claims.csv --speaker-name tokayev --stated-after 2022-01-01

The filters are the API's (``api.filters.ClaimFilterSet``: the same names, values and checks as the
query parameters of GET /api/v1/claims/). The export streams: memory stays flat however many claims.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.http import QueryDict
from django_filters import MultipleChoiceFilter
from tqdm import tqdm

from api.filters import ClaimFilterSet, MultipleIdFilter
from factbase import interchange, selectors
from factbase.exporter import export_chunks


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


class Command(BaseCommand):
    help = "Export claims (with everything they carry) as NDJSON, JSON or CSV, filtered as the API filters."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=interchange.FORMATS, default=None,
                            help="ndjson (default), json or csv; by default taken from -o's extension.")
        parser.add_argument("-o", "--output", metavar="FILE", help="Write to FILE (default: standard output).")
        parser.add_argument("--progress", choices=["auto", "yes", "no"], default="auto",
                            help="Show a progress bar when writing to a file (default: when standard error is a "
                                 "terminal).")
        group = parser.add_argument_group("filters", "The filters of GET /api/v1/claims/ (repeat the repeatable ones).")
        for name, filter_ in ClaimFilterSet.base_filters.items():
            repeatable = isinstance(filter_, (MultipleIdFilter, MultipleChoiceFilter))
            group.add_argument(_option(name), dest=f"filter_{name}", metavar=name.upper(),
                               action="append" if repeatable else "store",
                               help=filter_.extra.get("help_text", "") + (" (repeatable)" if repeatable else ""))

    def handle(self, *args, format, output, progress, **options):
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
        out = open(output, "wb") if output else sys.stdout.buffer  # noqa: SIM115 - closed below
        try:
            with tqdm(unit=" B", unit_scale=True, disable=not show, file=sys.stderr, mininterval=0.5) as bar:
                for piece in export_chunks(queryset, fmt):
                    out.write(piece)
                    bar.update(len(piece))
            out.flush()
        finally:
            if output:
                out.close()
