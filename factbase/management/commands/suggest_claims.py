"""Suggest the claims of a text, as interchange-format records (docs/suggestions.md).

    python manage.py suggest_claims article.txt --published-on 2022-01-08 --title "Kazakhstan unrest" > suggested.ndjson
    python manage.py import_claims suggested.ndjson --user editor   # after deleting the lines not kept

Each suggestion the extractor (``factbase.attribution``) finds is one record of the interchange format
(``factbase.interchange``): its content (``text``; a paraphrase's passage in ``span``), ``kind``, the speaker
(the matched actor by its name and kind, or a new person of the name the text gives), role, the date phrase
resolved against ``--published-on`` (with its precision), the outlet the text names, the span, and a ``note``
saying where it comes from. The source is described by ``--title``, ``--document-url``, ``--published-on``,
``--language`` and ``--outlet``, and its text is given with the first record, so ``import_claims`` creates the
source with its text and the claims in it. (An import names a source by its URL, or by its title and date:
give at least one of ``--document-url`` and ``--title`` unless the database has no other source of that date.)

Suggestions without a speaker are left out (an import needs one) and counted on standard error.
"""

from __future__ import annotations

import sys
from pathlib import Path

import orjson
from django.core.management.base import BaseCommand, CommandError

from factbase import interchange, suggestions
from factbase.models.limits import SOURCE_TEXT_MAX_LENGTH

FORMATS = ("ndjson", "json")


def suggestion_record(suggestion, *, source: dict) -> dict:
    """A suggestion as an interchange-format record (of ``source``, a source record)."""
    actor = suggestion.actor
    speaker = ({"name": actor.name, "kind": actor.kind} if actor is not None
               else {"name": suggestion.speaker_name, "kind": "person"})
    outlet = None
    if suggestion.outlet is not None:
        outlet = {"name": suggestion.outlet.name}
    elif suggestion.outlet_name.strip():
        outlet = {"name": suggestion.outlet_name.strip()}
    content = suggestion.content
    return {
        "text": content.exact,
        "kind": suggestion.kind,
        "speaker": speaker,
        "speaker_role": suggestion.role,
        "stated_on": suggestion.stated_on.isoformat() if suggestion.stated_on else None,
        "stated_on_precision": suggestion.stated_on_precision,
        "outlet": outlet,
        "source": source,
        "span": {"start": content.start, "end": content.end, "exact": content.exact},
        "note": suggestion.history_reason() + (f"; date phrase “{suggestion.date_phrase}”" if suggestion.date_phrase
                                               else ""),
    }


class Command(BaseCommand):
    help = ("Suggest the claims of a text file (who said what, found by the extractor) as interchange-format "
            "records, for import_claims to load the ones an editor keeps.")

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE", help="The text (UTF-8); - reads standard input.")
        parser.add_argument("--published-on", required=True, metavar="DATE",
                            help="The text's publication date (YYYY-MM-DD): date phrases (\"on Friday\") are "
                                 "resolved against it.")
        parser.add_argument("--title", default="", help="The source's title.")
        parser.add_argument("--document-url", default="", help="Where the source is published.")
        parser.add_argument("--outlet", default="", help="The name of the outlet that published the source.")
        parser.add_argument("--language", default="", help="The source's language code (en, ru, pt-BR).")
        parser.add_argument("-o", "--output", metavar="FILE", help="Write to FILE (default: standard output).")
        parser.add_argument("--format", choices=FORMATS, default=None,
                            help="ndjson (default) or json (default from -o's extension). Not CSV: a CSV cannot "
                                 "carry the source's text.")

    def handle(self, *args, file, published_on, title, document_url, outlet, language, output, format, **options):
        try:
            published = interchange.parse_date(published_on)
        except ValueError as exc:
            raise CommandError(f"--published-on: {exc}") from None
        fmt = format or (interchange.EXTENSIONS.get(Path(output).suffix.lower()) if output else None) or "ndjson"
        if fmt not in FORMATS:
            raise CommandError(f"--format: {fmt} cannot carry the source's text; use ndjson or json.")
        try:
            raw = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}.") from None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CommandError(f"{file} is not UTF-8 text (byte {exc.start}).") from None
        if "\x00" in text:
            raise CommandError(f"{file} holds the NUL character: it is not a text.")
        if len(text) > SOURCE_TEXT_MAX_LENGTH:
            raise CommandError(f"{file} has {len(text):,} characters; a source's text has at most "
                               f"{SOURCE_TEXT_MAX_LENGTH:,}.")

        source = {"url": document_url, "title": title, "published_on": published.isoformat()}
        if language:
            source["language"] = language
        if outlet:
            source["outlet"] = {"name": outlet}
        found = suggestions.suggestions_for_text(text, published_on=published)
        records, unnamed = [], 0
        for suggestion in found:
            if not (suggestion.actor is not None or suggestion.speaker_name.strip()):
                unnamed += 1
                continue
            described = dict(source, text=text) if not records else source  # the text once, with the first
            records.append(suggestion_record(suggestion, source=described))

        if fmt == "json":
            body = orjson.dumps({"claims": records}, option=orjson.OPT_INDENT_2) + b"\n"
        else:
            body = b"".join(interchange.ndjson_line(record) for record in records)
        if output:
            Path(output).write_bytes(body)
        else:
            sys.stdout.buffer.write(body)
            sys.stdout.flush()
        message = f"{len(records)} suggested claim(s) written"
        if unnamed:
            message += f"; {unnamed} left out, their speaker not found"
        self.stderr.write(message + ".")
