"""Fill the database with synthetic claims in realistic proportions (see factbase/synthetic.py).

    python manage.py generate_claims --claims 1000000 --seed 1

On PostgreSQL rows go in with COPY; on SQLite in batches. New rows are added after what is there.
"""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from datetime import datetime, timezone

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from tqdm import tqdm

from factbase.interchange import bulk
from factbase.models import Actor, Claim, Outlet, Review, Source, Tag
from factbase.synthetic import Generator, Sizes

ACTOR_COLUMNS = ["id", "name", "kind", "aliases", "description", "wikidata_id", "names_folded", "created_at",
                 "updated_at"]
OUTLET_COLUMNS = ["id", "name", "kind", "url", "description", "names_folded", "created_at", "updated_at"]
TAG_COLUMNS = ["id", "name", "slug", "description", "names_folded", "created_at", "updated_at"]
SOURCE_COLUMNS = ["id", "title", "url", "outlet_id", "authors", "published_on", "language", "text", "names_folded",
                  "created_at", "updated_at"]
CLAIM_COLUMNS = ["id", "speaker_id", "speaker_role", "text", "kind", "stated_on", "stated_on_precision",
                 "outlet_id", "source_id", "span_start", "span_end", "span_exact", "status", "status_note",
                 "verified_by_id", "verified_at", "created_at", "updated_at",
                 "status_changed_by_id", "status_changed_at"]
CLAIM_TAG_COLUMNS = ["claim_id", "tag_id"]
REVIEW_COLUMNS = ["id", "claim_id", "reviewer_id", "source_id", "rating", "rating_text", "summary", "reviewed_on",
                  "created_at", "updated_at"]
SYNTHETIC_VERIFIER = "synthetic-verifier"
BATCH = 5000


class Command(BaseCommand):
    help = "Generate synthetic claims (with actors, outlets, sources and tags in proportion) for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--claims", type=int, required=True, help="How many claims to add.")
        parser.add_argument("--seed", type=int, default=0, help="Random seed: the same seed gives the same data.")
        parser.add_argument("--progress", choices=["auto", "yes", "no"], default="auto",
                            help="Show a progress bar (default: when writing to a terminal).")

    def handle(self, *args, claims, seed, progress, **options):
        if claims < 1:
            raise CommandError("--claims must be at least 1.")
        show = progress == "yes" or (progress == "auto" and sys.stderr.isatty())
        sizes = Sizes.for_claims(claims)
        generator = Generator(sizes, seed=seed)
        now = datetime.now(timezone.utc)
        writer = _PostgresWriter() if connection.vendor == "postgresql" else _BatchWriter()
        writer.claims_to_add = claims
        started = time.monotonic()

        with transaction.atomic():
            first = {model: _next_id(model) for model in (Actor, Outlet, Tag, Source, Claim, Review)}
            actor_ids = range(first[Actor], first[Actor] + sizes.actors)
            outlet_ids = range(first[Outlet], first[Outlet] + sizes.outlets)
            tag_ids = range(first[Tag], first[Tag] + sizes.tags)
            source_ids = range(first[Source], first[Source] + sizes.sources)
            # Who verified the verified claims (a verified claim records its verifier): a user that
            # cannot log in.
            verifier, _ = get_user_model().objects.get_or_create(
                username=SYNTHETIC_VERIFIER, defaults={"is_active": False, "password": make_password(None)})

            stamped = lambda rows: (row + (now, now) for row in rows)  # noqa: E731
            with self._bar(show, sizes.actors + sizes.outlets + sizes.tags + sizes.sources, "related rows") as bar:
                writer.write(Actor, ACTOR_COLUMNS, _counting(stamped(generator.actors(first[Actor])), bar))
                writer.write(Outlet, OUTLET_COLUMNS, _counting(stamped(generator.outlets(first[Outlet])), bar))
                writer.write(Tag, TAG_COLUMNS, _counting(stamped(generator.tags(first[Tag])), bar))
                writer.write(Source, SOURCE_COLUMNS,
                             _counting(stamped(generator.sources(first[Source], outlet_ids)), bar))

            claim_tags: list[tuple[int, int]] = []
            reviews: list[tuple] = []
            generator.start_reviews(first[Review], actor_ids, source_ids)

            def claim_rows(bar):
                for row, tags in generator.claims(first[Claim], actor_ids, outlet_ids, source_ids,
                                                  list(tag_ids), verifier.pk):
                    claim_tags.extend((row[0], tag) for tag in tags)
                    reviews.extend(generator.reviews_of(row))
                    bar.update(1)
                    # A status other than unverified was set by the synthetic verifier when the claim last
                    # changed (a verified claim: when it was verified).
                    changed = row[12] != Claim.Status.UNVERIFIED
                    yield (*row, verifier.pk if changed else None, row[17] if changed else None)

            with self._bar(show, sizes.claims, "claims") as bar:
                writer.write(Claim, CLAIM_COLUMNS, claim_rows(bar))
            writer.write(Claim.tags.through, CLAIM_TAG_COLUMNS, iter(claim_tags))
            writer.write(Review, REVIEW_COLUMNS, iter(reviews))
            writer.finish([Actor, Outlet, Tag, Source, Claim, Claim.tags.through, Review])

        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(
            f"Added {sizes.claims:,} claims, {sizes.actors:,} actors, {sizes.outlets:,} outlets, "
            f"{sizes.sources:,} sources, {sizes.tags} tags, {len(claim_tags):,} claim tags and {len(reviews):,} reviews "
            f"in {elapsed:.1f} s ({sizes.claims / elapsed:,.0f} claims/s) on {connection.vendor}."
        ))

    @contextmanager
    def _bar(self, show, total, unit):
        bar = tqdm(total=total, unit=" " + unit, unit_scale=True, disable=not show, file=sys.stderr,
                   mininterval=0.5, smoothing=0.1)
        try:
            yield bar
        finally:
            bar.close()


def _counting(rows, bar):
    for row in rows:
        bar.update(1)
        yield row


def _next_id(model) -> int:
    last = model.objects.order_by("-pk").values_list("pk", flat=True).first()
    return (last or 0) + 1


class _PostgresWriter:
    """COPY ... FROM STDIN: the fastest way rows go into PostgreSQL.

    Claims are the bulk of the work. When the load at least doubles the claims table, it is done as
    PostgreSQL's manual advises for bulk loads: the claims table's secondary indexes are dropped and
    built again at the end, and the claims go through a staging table from which one
    ``INSERT ... SELECT`` computes every search vector set-wise (each actor's half once, not once a
    claim), with the row triggers and foreign-key checks off while the claims and their tags go in
    (``session_replication_role = replica``; the generator makes consistent ids itself). It all
    happens in the command's one transaction: an interrupted load leaves nothing behind.
    """

    def __init__(self):
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                           [Claim._meta.db_table])
            self.existing_claims = max(0, cursor.fetchone()[0])
        self.loading: bulk.LoadingTables | None = None  # the claims' indexes, while a large load goes in

    def write(self, model, columns, rows):
        if model is Claim:
            return self._write_claims(columns, rows)
        self._copy(model._meta.db_table, columns, rows)

    def _copy(self, table, columns, rows):
        with connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg's own cursor, for copy()
            with raw.copy(f'COPY "{table}" ({", ".join(columns)}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)

    def _write_claims(self, columns, rows):
        table = Claim._meta.db_table
        self.bulk = self.claims_to_add >= self.existing_claims
        if not self.bulk:
            self._copy(table, columns, rows)  # the row triggers keep each search vector
            return
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
        # The claims' and their tags' secondary indexes, dropped and made again in finish() (no foreign
        # key: session_replication_role = replica below turns their checks off).
        self.loading = bulk.LoadingTables([table, Claim.tags.through._meta.db_table], analyze=[])
        self.loading.begin()
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE TEMP TABLE claim_staging (LIKE "{table}" INCLUDING DEFAULTS) ON COMMIT DROP')
        self._copy("claim_staging", columns, rows)
        column_list = ", ".join(columns)
        selected = ", ".join(f"s.{c}" for c in columns)
        vector = bulk.CLAIM_SEARCH_VECTOR  # as the importer computes it, and as the row trigger would
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(
                f'INSERT INTO "{table}" ({column_list}, {vector.column}) '
                f"SELECT {selected}, {vector.expression} FROM claim_staging s {vector.joins.format(staging='claim_staging')}"
            )
            # Still off for the claims' tags that follow; finish() turns them on again.

    def finish(self, models):
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = origin")
        if self.loading is not None:
            self.loading.finish()
        with connection.cursor() as cursor:
            for model in models:
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT max(id) FROM \"{table}\"))", [table]
                )
            for model in models:
                cursor.execute(f'ANALYZE "{model._meta.db_table}"')


class _BatchWriter:
    """Batched INSERTs, for SQLite."""

    def write(self, model, columns, rows):
        table = model._meta.db_table
        sql = f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({", ".join(["%s"] * len(columns))})'
        batch = []
        with connection.cursor() as cursor:
            for row in rows:
                batch.append(row)
                if len(batch) >= BATCH:
                    cursor.executemany(sql, batch)
                    batch.clear()
            if batch:
                cursor.executemany(sql, batch)

    def finish(self, models):
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
