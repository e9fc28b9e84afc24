"""manage.py load_seed: the seed dataset (fixtures/seed/), loaded through the importer; safe to run again."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from factbase.seed import SEED_FILE, load_seed


class Command(BaseCommand):
    help = "Load the seed dataset (the claims of the source article of 2022-01-08). Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(SEED_FILE), help="Seed file (default: %(default)s)")

    def handle(self, *args, path, **options):
        try:
            stats = load_seed(Path(path))
        except ValidationError as exc:
            raise CommandError(f"The seed is not valid; nothing was loaded: {exc}") from exc
        if not stats:
            self.stdout.write("Seed already loaded; nothing changed.")
        else:
            self.stdout.write(self.style.SUCCESS("Seed loaded: " + ", ".join(f"{n} {what}" for what, n in sorted(stats.items()))))
