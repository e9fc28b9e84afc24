"""Export claims in the interchange format (``factbase/interchange/``), streaming.

``export_chunks(queryset, fmt)`` yields the file piece by piece: NDJSON (one record a line), JSON (an
array, one record a line) or CSV (a header, then one row a claim). Claims come in the order they
were recorded (by id), read in keyset batches (``id > last``), each batch with its related records in
a fixed number of queries, so memory stays flat however many claims there are: only the ids of the
sources already written are kept, because a source's full text is written once, with the first
claim that names it.

An export read back by ``import_claims`` into an empty database, and exported again, gives the same
file: the claims keep their ``uid``, and the order by id is the order of the file.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from django.db.models import QuerySet

from factbase import interchange, selectors
from factbase.models import Claim, Review, Source, Tag

BATCH_SIZE = 2000

# What a record needs, and nothing more (a source's text is read once, apart; timestamps not at all).
ACTOR_COLUMNS = ("name", "kind", "aliases", "description", "wikidata_id")
OUTLET_COLUMNS = ("name", "kind", "url", "description")
SOURCE_COLUMNS = ("url", "title", "published_on", "language", "authors", "outlet")
CLAIM_COLUMNS = (
    "uid", "text", "kind", "speaker", "speaker_role", "stated_on", "stated_on_precision", "outlet", "source",
    "span_start", "span_end", "span_exact", "status", "status_note",
    *(f"speaker__{name}" for name in ACTOR_COLUMNS), *(f"outlet__{name}" for name in OUTLET_COLUMNS),
    *(f"source__{name}" for name in SOURCE_COLUMNS), *(f"source__outlet__{name}" for name in OUTLET_COLUMNS),
)
REVIEW_COLUMNS = (
    "claim", "rating", "rating_text", "summary", "reviewed_on", "reviewer", "source",
    *(f"reviewer__{name}" for name in ACTOR_COLUMNS), *(f"source__{name}" for name in SOURCE_COLUMNS),
    *(f"source__outlet__{name}" for name in OUTLET_COLUMNS),
)


def claims_for_export(queryset: QuerySet[Claim] | None = None) -> QuerySet[Claim]:
    """The claims of ``queryset`` (all by default) with their speaker, outlet and source (with its
    outlet) joined, sources' texts left unread (the exporter reads each text once)."""
    # (Only these joins: another that the given queryset has, e.g. the selector's, would be a deferred field.)
    queryset = Claim.objects.all() if queryset is None else queryset.prefetch_related(None).select_related(None)
    return queryset.select_related("speaker", "outlet", "source", "source__outlet").only(*CLAIM_COLUMNS)


def iter_claims(queryset: QuerySet[Claim], *, batch_size: int = BATCH_SIZE):
    """The claims of ``queryset`` by id, in batches of ``(claims, tags, reviews, relations)``: ``tags``,
    ``reviews`` and ``relations`` map a claim's id to its tags (by slug), reviews (by id) and relations
    (``selectors.claim_relation_uids``). Five queries a batch.

    (Django's ``prefetch_related`` would clone a queryset for every claim of every batch; at a
    million claims that is most of the time.)
    """
    queryset = claims_for_export(queryset).order_by("id")
    through = Claim.tags.through
    tags_by_id: dict[int, Tag] = {}
    last = 0
    while True:
        claims = list(queryset.filter(id__gt=last)[:batch_size])
        if not claims:
            return
        ids = [claim.pk for claim in claims]
        links = list(through.objects.filter(claim_id__in=ids).values_list("claim_id", "tag_id"))
        unknown = {tag_id for _, tag_id in links} - tags_by_id.keys()
        if unknown:
            tags_by_id.update({tag.pk: tag for tag in Tag.objects.filter(pk__in=unknown).only("slug", "name",
                                                                                                "description")})
        tags: dict[int, list[Tag]] = defaultdict(list)
        for claim_id, tag_id in links:
            tags[claim_id].append(tags_by_id[tag_id])
        for claim_tags in tags.values():
            claim_tags.sort(key=lambda tag: (tag.slug, tag.pk))
        reviews: dict[int, list[Review]] = defaultdict(list)
        for review in (Review.objects.filter(claim_id__in=ids).select_related("reviewer", "source", "source__outlet")
                       .only(*REVIEW_COLUMNS).order_by("id")):
            reviews[review.claim_id].append(review)
        relations = selectors.claim_relation_uids(ids)
        yield claims, tags, reviews, relations
        last = claims[-1].pk


def iter_records(queryset: QuerySet[Claim], *, batch_size: int = BATCH_SIZE, with_texts: bool = True):
    """Each claim as a record (a dict). With ``with_texts``, a source's text comes with the first
    record that names the source (as the claim's source or a review's)."""
    written: set[int] = set()
    for claims, tags, reviews, relations in iter_claims(queryset, batch_size=batch_size):
        texts: dict[int, str] = {}
        if with_texts:
            wanted = {claim.source_id for claim in claims}
            wanted.update(r.source_id for rs in reviews.values() for r in rs if r.source_id is not None)
            wanted -= written
            if wanted:
                texts = dict(Source.objects.filter(pk__in=wanted).values_list("pk", "text"))
        for claim in claims:
            claim_reviews = reviews.get(claim.pk, ())
            given = {}
            for source_id in (claim.source_id, *(r.source_id for r in claim_reviews)):
                if source_id in texts and source_id not in written:
                    given[source_id] = texts[source_id]
                    written.add(source_id)
            yield interchange.claim_record(claim, tags=tags.get(claim.pk, ()), reviews=claim_reviews,
                                           relations=relations.get(claim.pk, ()), source_texts=given)


def export_chunks(queryset: QuerySet[Claim], fmt: str, *, batch_size: int = BATCH_SIZE,
                  spelling: str = "v1") -> Iterator[bytes]:
    """The export file, as UTF-8 pieces of about a batch each, in ``spelling`` (``interchange.SPELLINGS``:
    "v1", what ``export_claims`` and /api/v1/ write, or "v2", /api/v2/'s names)."""
    if fmt not in interchange.FORMATS:
        raise ValueError(f"Unknown format {fmt!r}.")
    if spelling not in interchange.SPELLINGS:
        raise ValueError(f"Unknown spelling {spelling!r}.")
    records = iter_records(queryset, batch_size=batch_size, with_texts=fmt != "csv")
    if spelling != "v1" and fmt != "csv":
        records = (interchange.respelled(record, spelling) for record in records)
    if fmt == "csv":
        yield interchange.csv_lines([interchange.csv_columns(spelling)]).encode()
    elif fmt == "json":
        yield b"["
    first = True
    pending: list = []
    for record in records:
        if fmt == "csv":
            pending.append(interchange.record_to_csv_row(record))
        elif fmt == "json":
            pending.append((b"\n" if first else b",\n") + interchange.ndjson_line(record)[:-1])
            first = False
        else:
            pending.append(interchange.ndjson_line(record))
        if len(pending) >= batch_size:
            yield _join(pending, fmt)
            pending = []
    if pending:
        yield _join(pending, fmt)
    if fmt == "json":
        yield b"\n]\n"


def _join(pending: list, fmt: str) -> bytes:
    if fmt == "csv":
        return interchange.csv_lines(pending).encode()
    return b"".join(pending)
