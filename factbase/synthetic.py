"""Synthetic data at scale, for benchmarks: realistic proportions, repeatable from a seed.

For N claims: about N/50 actors (a few very prolific, most with a handful of claims), N/500
outlets, N/5 sources, and a few dozen tags. Claim texts are sentences of 15 to 40 words drawn from a
vocabulary of a few thousand made-up words with a Zipf-like frequency, so that full-text search
behaves as on real text (a few words are everywhere, most are rare). Dates spread over 25 years;
kinds, statuses and precisions are mixed. About 4% of claims have a review (a tenth of those two), by one
of a few dozen actors who review (or only by where it was published), rated in the model's vocabulary.

Rows are produced as plain tuples; ``factbase/management/commands/generate_claims.py`` writes them
with PostgreSQL's COPY, or in batches on SQLite. Synthetic rows are written directly, not through the
services, and carry no history: they exist to measure the read path.
"""

from __future__ import annotations

import itertools
import random
from bisect import bisect
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from factbase import provenance

CONSONANTS = "bcdfghjklmnprstvz"
VOWELS = "aeiou"
FIRST_DAY = date(2001, 1, 1)
DAYS = 25 * 365  # 25 years of statements
LANGUAGES = [("en", 60), ("ru", 10), ("de", 8), ("fr", 8), ("es", 7), ("kk", 4), ("uk", 3)]
OUTLET_KINDS = [("newspaper", 30), ("broadcaster", 20), ("website", 20), ("social_network", 5),
                ("news_agency", 10), ("magazine", 8), ("press_conference", 4), ("event", 3)]
STATUSES = [("unverified", 70), ("verified", 20), ("disputed", 6), ("rejected", 4)]
RATINGS = [("false", 25), ("mostly_false", 15), ("mixed", 15), ("mostly_true", 10), ("true", 10),
           ("unsupported", 15), ("misleading", 10)]
RATING_TEXTS = {"false": "False", "mostly_false": "Mostly false", "mixed": "Half true", "mostly_true": "Mostly true",
                "true": "True", "unsupported": "There is no evidence", "misleading": "Misleading"}
REVIEWED_FRACTION = 0.04  # of claims with at least one review
SECOND_REVIEW_FRACTION = 0.1  # of reviewed claims with a second one
REVIEWERS = 40  # actors who review
ROLES = ["President", "Prime Minister", "Minister of Foreign Affairs", "spokesperson", "senator",
         "analyst", "professor", "journalist", "ambassador", "mayor", "police chief", "chairman",
         "member of parliament", "governor", "chief executive", "researcher", "editor", "general"]


@dataclass(frozen=True)
class Sizes:
    claims: int
    actors: int
    outlets: int
    sources: int
    tags: int

    @classmethod
    def for_claims(cls, claims: int) -> "Sizes":
        return cls(
            claims=claims,
            actors=max(10, claims // 50),
            outlets=max(5, claims // 500),
            sources=max(10, claims // 5),
            tags=40,
        )


def _folded(*names: str) -> str:
    """A record's ``names_folded`` (``factbase.models.base.FoldedNamesField``), as its model folds them."""
    return "\n".join(provenance.normalize(name) for name in names if name)


def _weighted(pairs):
    values = [v for v, _ in pairs]
    cum = list(itertools.accumulate(w for _, w in pairs))
    return values, cum


class Generator:
    """Deterministic for a given seed: the same seed and sizes give the same rows."""

    def __init__(self, sizes: Sizes, seed: int = 0, now: datetime | None = None):
        self.sizes = sizes
        self.seed = seed
        self.random = random.Random(seed)
        self.now = now or datetime(2026, 1, 1, tzinfo=timezone.utc)
        self.vocabulary = self._vocabulary(4000)
        # Zipf-like: the word of rank r is drawn with weight 1 / r.
        self.word_cum = list(itertools.accumulate(1.0 / r for r in range(1, len(self.vocabulary) + 1)))
        # Speakers: a few very prolific, a long tail with a handful of claims each (weight 1 / r^0.9).
        self.actor_cum = list(itertools.accumulate(1.0 / (r ** 0.9) for r in range(1, sizes.actors + 1)))

    # --- vocabulary and names ---------------------------------------------------------------------

    def _syllable(self):
        r = self.random
        return r.choice(CONSONANTS) + r.choice(VOWELS) + (r.choice(CONSONANTS) if r.random() < 0.4 else "")

    def _vocabulary(self, size: int) -> list[str]:
        words: list[str] = []
        seen = set()
        while len(words) < size:
            n = 1 + min(3, int(self.random.expovariate(0.9)))
            word = "".join(self._syllable() for _ in range(n))
            if len(word) >= 2 and word not in seen:
                seen.add(word)
                words.append(word)
        return words

    def _name(self, parts: int = 2) -> str:
        return " ".join("".join(self._syllable() for _ in range(self.random.randint(2, 3))).capitalize()
                        for _ in range(parts))

    def sentence(self, low: int = 15, high: int = 40) -> str:
        r = self.random
        count = r.randint(low, high)
        words = [self.vocabulary[bisect(self.word_cum, r.random() * self.word_cum[-1])] for _ in range(count)]
        words[0] = words[0].capitalize()
        return " ".join(words) + "."

    # --- rows -------------------------------------------------------------------------------------

    def actors(self, first_id: int):
        """(id, name, kind, aliases_json, description, wikidata_id, names_folded)."""
        r = self.random
        for i in range(self.sizes.actors):
            person = r.random() < 0.8
            name = f"{self._name(2 if person else 3)} {first_id + i}"  # the id keeps (name, kind) unique
            surname = name.split()[-2]
            alias = person and r.random() < 0.5
            aliases = f'["{surname}"]' if alias else "[]"
            yield (first_id + i, name, "person" if person else "organization", aliases,
                   r.choice(ROLES) if person else "organization", "", _folded(name, surname if alias else ""))

    def outlets(self, first_id: int):
        """(id, name, kind, url, description, names_folded)."""
        kinds, cum = _weighted(OUTLET_KINDS)
        for i in range(self.sizes.outlets):
            kind = kinds[bisect(cum, self.random.random() * cum[-1])]
            name = f"{self._name(2)} {kind.replace('_', ' ').title()} {first_id + i}"
            yield (first_id + i, name, kind, f"https://outlet-{first_id + i}.example.org/", "", _folded(name))

    def tags(self, first_id: int):
        """(id, name, slug, description, names_folded)."""
        for i in range(self.sizes.tags):
            word = self.vocabulary[200 + i]
            name, slug = f"{word.capitalize()} topic {i}", f"{word}-topic-{i}"
            yield (first_id + i, name, slug, "", _folded(name, slug))

    def sources(self, first_id: int, outlet_ids: range):
        """(id, title, url, outlet_id, authors_json, published_on, language, text, names_folded)."""
        r = self.random
        languages, cum = _weighted(LANGUAGES)
        for i in range(self.sizes.sources):
            sid = first_id + i
            title, url = self.sentence(4, 10)[:-1], f"https://source-{sid}.example.org/article"
            yield (
                sid, title, url,
                r.choice(outlet_ids), f'["{self._name(2)}"]' if r.random() < 0.7 else "[]",
                FIRST_DAY + timedelta(days=r.randrange(DAYS)),
                languages[bisect(cum, r.random() * cum[-1])], "", _folded(title, url),
            )

    def claims(self, first_id: int, actor_ids: range, outlet_ids: range, source_ids: range, tag_ids: range,
               verifier_id: int | None):
        """Yields (claim_row, [tag_id, ...]).

        claim_row: (id, speaker_id, speaker_role, text, kind, stated_on, stated_on_precision, outlet_id,
        source_id, span_start, span_end, span_exact, status, status_note, verified_by_id, verified_at,
        created_at, updated_at).
        """
        r = self.random
        statuses, status_cum = _weighted(STATUSES)
        actor_cum, actor_total = self.actor_cum, self.actor_cum[-1]
        for i in range(self.sizes.claims):
            cid = first_id + i
            speaker = actor_ids[bisect(actor_cum, r.random() * actor_total)]
            roll = r.random()
            if roll < 0.05:
                stated_on, precision = None, ""
            else:
                stated_on = FIRST_DAY + timedelta(days=r.randrange(DAYS))
                if roll < 0.08:
                    stated_on, precision = stated_on.replace(month=1, day=1), "year"
                elif roll < 0.15:
                    stated_on, precision = stated_on.replace(day=1), "month"
                else:
                    precision = "day"
            status = statuses[bisect(status_cum, r.random() * status_cum[-1])]
            created = self.now - timedelta(seconds=r.randrange(3 * 365 * 86400))
            verified = status == "verified"
            row = (
                cid, speaker, r.choice(ROLES) if r.random() < 0.7 else "", self.sentence(),
                "direct_quote" if r.random() < 0.45 else "paraphrase", stated_on, precision,
                r.choice(outlet_ids) if r.random() < 0.7 else None, r.choice(source_ids),
                None, None, "", status, "",
                verifier_id if verified else None, created + timedelta(hours=1) if verified else None,
                created, created + timedelta(hours=1) if verified else created,
            )
            tags = r.sample(tag_ids, k=min(len(tag_ids), r.choice((0, 0, 1, 1, 2, 3))))
            yield row, tags

    def start_reviews(self, first_id: int, actor_ids: range, source_ids: range) -> None:
        """Before ``reviews_of``: the reviews' ids start at ``first_id``; their reviewers are drawn from
        ``actor_ids``, where they are published from ``source_ids``. The reviews have a random generator of
        their own, so that the claims of a seed are the same with or without them."""
        self.review_random = random.Random(f"reviews-{self.seed}")
        self.review_ids = itertools.count(first_id)
        self.reviewer_ids = self.review_random.sample(actor_ids, k=min(REVIEWERS, len(actor_ids)))
        self.review_source_ids = source_ids
        self.ratings, self.rating_cum = _weighted(RATINGS)

    def reviews_of(self, claim_row) -> list[tuple]:
        """The reviews of the claim ``claim_row`` (from ``claims``), most often none:
        (id, claim_id, reviewer_id, source_id, rating, rating_text, summary, reviewed_on, created_at, updated_at).
        """
        r = self.review_random
        if r.random() >= REVIEWED_FRACTION:
            return []
        claim_id, stated_on, created = claim_row[0], claim_row[5], claim_row[16]
        reviews = []
        for _ in range(2 if r.random() < SECOND_REVIEW_FRACTION else 1):
            rating = self.ratings[bisect(self.rating_cum, r.random() * self.rating_cum[-1])]
            roll = r.random()
            reviewer = r.choice(self.reviewer_ids) if roll < 0.9 else None
            source = r.choice(self.review_source_ids) if roll > 0.5 or reviewer is None else None
            reviewed_on = (stated_on or FIRST_DAY) + timedelta(days=r.randrange(1, 60)) if r.random() < 0.9 else None
            stamp = created + timedelta(days=r.randrange(1, 30))
            reviews.append((next(self.review_ids), claim_id, reviewer, source, rating, RATING_TEXTS[rating],
                            "", reviewed_on, stamp, stamp))
        return reviews
