"""Load the seed dataset (``fixtures/seed/seed.json``) the way every import goes: ``factbase.interchange.importer``.

The seed is a file of the interchange format (see ``factbase/interchange/`` and the README's
"Getting data in and out"): each claim names its speaker, outlet, source and tags by natural keys
and describes them; the source's text is read from the article's file beside it (``text_file``);
dates are written as the article gives them ("Friday", ``stated``) and resolved against the
article's date; a paraphrase gives the ``passage`` that reports it. Loading is idempotent: a record
that is already there as the file describes it is left alone, so a second load changes nothing (and
writes no history); a changed file updates only what changed.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from django.core.exceptions import ValidationError

from factbase.interchange.importer import import_files

SEED_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "seed"
SEED_FILE = SEED_DIR / "seed.json"


def load_seed(path: Path = SEED_FILE, *, user=None) -> Counter:
    """Load the file; returns how many records of each kind were created and updated.

    Raises ``ValidationError`` (listing each refused record) when the file is not valid; then nothing
    is loaded.
    """
    report = import_files([Path(path)], user=user, reason="Loaded from the seed")
    if report.problems:
        raise ValidationError([str(problem) for problem in report.problems])
    return report.stats
