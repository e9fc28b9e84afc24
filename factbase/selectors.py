"""Reads: the querysets the API (and anyone else who lists records) starts from.

Each ``*_list`` selector gives a queryset with the joins and prefetches that its brief and full
representations need, so that listing a page costs the same few queries whatever its size.

Search and sorting live here too, because they must behave alike on both databases:

- ``claim_search``: on PostgreSQL, real full-text search (English stemming) over a stored
  ``tsvector`` of the claim's text and its speaker's name and aliases (see migration 0004), queried
  with ``websearch_to_tsquery`` and ranked with ``ts_rank``. On SQLite, the same query syntax
  (words, "quoted phrases", ``-excluded``, ``or``) over the same text, matched as whole words, with
  the same idea of a word and the same stop words (see "claim search" below); no stemming, no ranking.
- ``name_matches``: names (of actors, outlets, tags, sources) compared in the one normalisation of
  ``provenance.normalize`` (NFKC, case folding, typographic marks made plain), on both databases
  alike, through each record's stored ``names_folded``.
- ``text_contains``: a case-insensitive substring test over other text (descriptions, a claim's
  text in the admin's search), that folds non-ASCII case too on SQLite, whose own ``LIKE`` only
  folds ASCII.
- ``ORDERINGS``: for each resource, the keyset orderings the API offers, as sort keys ending in the
  primary key (a total order), built on ``date_sort_key`` where a date may be unknown.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from django.db import connection
from django.db.models import (
    BooleanField, Count, Exists, F, FloatField, Func, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery,
    TextField, Value,
)
from django.db.models.functions import Cast, Coalesce, Concat
from django.db.models.expressions import Col, RawSQL
from django.db.models.lookups import Contains

from factbase.models import Actor, Claim, ClaimRelation, Outlet, Review, Source, Tag
from factbase.models.relation import shown_type
from factbase.models.base import UNDATED_SORTS_AS, FoldedNamesField, date_sort_key, folded_contains

UNDATED = date.fromisoformat(UNDATED_SORTS_AS)
SEARCH_CONFIG = "english"  # the text search configuration of migration 0004's stored vector
SQLITE_CASEFOLD = "factbase_casefold"  # a SQL function registered on every SQLite connection


# --- the querysets -------------------------------------------------------------------------------
#
# ``embed`` names what a selector reads beyond the record's own row: related records (joined, or
# prefetched in one query for the page) and counts (one correlated subquery, run for the rows of the page
# only). None reads all of them; a caller that shows less (the API's ``?fields=``/``?omit=``) names what it
# shows, and the rest costs nothing.

ACTOR_EMBEDS = ("claim_count",)
OUTLET_EMBEDS = ("claim_count",)
TAG_EMBEDS = ("claim_count",)
SOURCE_EMBEDS = ("outlet", "claim_count")
CLAIM_EMBEDS = ("speaker", "outlet", "source", "status_changed_by", "tags", "reviews")
REVIEW_EMBEDS = ("claim", "reviewer", "source")


def _embeds(embed, every: tuple[str, ...]) -> set[str]:
    return set(every) if embed is None else set(embed) & set(every)


def _joined(queryset: QuerySet, names) -> QuerySet:
    """``queryset`` with the relations ``names`` joined (none: none; ``select_related()`` would join them all)."""
    names = list(names)
    return queryset.select_related(*names) if names else queryset


def claim_count(field: str):
    """How many claims point to the outer record by ``field`` (``speaker``, ``outlet``, ``source``, or ``tags``):
    a correlated subquery, answered from the (speaker|outlet|source, date, id) index, or from the claims'
    tags table's index on its tag. PostgreSQL evaluates it for the rows a page returns, after its LIMIT:
    a page of 100 actors counts the claims of 100 actors (an index-only scan each, in proportion to that
    actor's claims), whatever the size of the table."""
    if field == "tags":
        rows = Claim.tags.through.objects.filter(tag_id=OuterRef("pk")).order_by().values("tag_id")
    else:
        rows = Claim.objects.filter(**{f"{field}_id": OuterRef("pk")}).order_by().values(f"{field}_id")
    counted = rows.annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _counted(queryset: QuerySet, field: str, embeds: set[str]) -> QuerySet:
    return queryset.annotate(claim_count=claim_count(field)) if "claim_count" in embeds else queryset


def actor_list(*, embed=None) -> QuerySet[Actor]:
    """Actors, with ``claim_count`` (the claims they made)."""
    return _counted(Actor.objects.all(), "speaker", _embeds(embed, ACTOR_EMBEDS))


def outlet_list(*, embed=None) -> QuerySet[Outlet]:
    """Outlets, with ``claim_count``: the claims made on the outlet (``Claim.outlet``)."""
    return _counted(Outlet.objects.all(), "outlet", _embeds(embed, OUTLET_EMBEDS))


def tag_list(*, embed=None) -> QuerySet[Tag]:
    """Tags, with ``claim_count`` (the claims that have the tag)."""
    return _counted(Tag.objects.all(), "tags", _embeds(embed, TAG_EMBEDS))


def source_list(*, with_text: bool = True, embed=None) -> QuerySet[Source]:
    """Sources with their outlet and ``claim_count`` (the claims it reports); ``with_text=False`` leaves the
    (possibly long) full text unread."""
    embeds = _embeds(embed, SOURCE_EMBEDS)
    queryset = Source.objects.select_related("outlet") if "outlet" in embeds else Source.objects.all()
    queryset = _counted(queryset, "source", embeds)
    return queryset if with_text else queryset.defer("text")


#: the order of a claim's reviews: newest ``reviewed_on`` first, an unknown date last, then by id
CLAIM_REVIEW_ORDER = (date_sort_key("reviewed_on").desc(), "id")


def claim_list(*, embed=None) -> QuerySet[Claim]:
    """Claims with their speaker, outlet, source (without its full text) and the user who last changed their
    status joined, and their tags and reviews (each review with its reviewer) prefetched: three queries a
    page. ``embed``: which of ``CLAIM_EMBEDS`` to read (None: all)."""
    embeds = _embeds(embed, CLAIM_EMBEDS)
    queryset = _joined(Claim.objects.all(), (name for name in CLAIM_EMBEDS[:4] if name in embeds))
    if "source" in embeds:
        queryset = queryset.defer("source__text")
    prefetches = []
    if "tags" in embeds:
        prefetches.append(Prefetch("tags", queryset=Tag.objects.order_by("name", "id")))
    if "reviews" in embeds:
        prefetches.append(Prefetch("reviews", queryset=Review.objects.select_related("reviewer")
                                   .order_by(*CLAIM_REVIEW_ORDER)))
    return queryset.prefetch_related(*prefetches)


def claim_relation_list() -> QuerySet[ClaimRelation]:
    """Relations with both their claims: one query a page."""
    return ClaimRelation.objects.select_related("claim", "related_claim").only(
        "id", "type", "created_at", "updated_at", *(f"{side}__{name}" for side in ("claim", "related_claim")
                                                    for name in ("id", "text", "kind")))


#: what ``claim_relations`` gives of the claim on the other side of a relation (its brief form)
RELATED_CLAIM_COLUMNS = ("id", "text", "kind")


def claim_relations_query(claim_ids, also_ids=None) -> QuerySet:
    """The rows ``claim_relations`` reads (``also_ids``: the same ids again, for a compiled query, which
    takes each value once): each relation with a side among the claims, both sides' brief columns."""
    columns = [f"{side}__{name}" for side in ("claim", "related_claim") for name in RELATED_CLAIM_COLUMNS]
    return (ClaimRelation.objects.filter(Q(claim_id__in=claim_ids)
                                         | Q(related_claim_id__in=claim_ids if also_ids is None else also_ids))
            .order_by("id").values_list("type", *columns))


def relations_by_claim(rows, claim_ids) -> dict[int, list[tuple[str, int, str, str]]]:
    """Rows of ``claim_relations_query`` as each claim of ``claim_ids`` sees them: (type as seen from that
    claim, the other claim's id, text and kind), in the order the relations were made."""
    wanted = set(claim_ids)
    by_claim: dict[int, list] = {}
    for relation_type, claim_id, claim_text, claim_kind, related_id, related_text, related_kind in rows:
        if claim_id in wanted:
            by_claim.setdefault(claim_id, []).append(
                (shown_type(relation_type, from_related=False), related_id, related_text, related_kind))
        if related_id in wanted:
            by_claim.setdefault(related_id, []).append(
                (shown_type(relation_type, from_related=True), claim_id, claim_text, claim_kind))
    return by_claim


def claim_relations(claim_ids, *, using: str | None = None) -> dict[int, list[tuple[str, int, str, str]]]:
    """The relations of each of these claims, seen from it, from both sides (one query for them all): a
    symmetric type as it is, a directed one that points at the claim by its inverse (``responded_to_by``)."""
    claim_ids = list(claim_ids)
    if not claim_ids:
        return {}
    queryset = claim_relations_query(claim_ids)
    if using is not None:
        queryset = queryset.using(using)
    return relations_by_claim(queryset, claim_ids)


def claim_relation_uids(claim_ids, *, using: str | None = None) -> dict[int, list[tuple[str, object]]]:
    """The relations of each of these claims as the interchange format gives them: (type as the claim sees
    it, the other claim's uid), in the order they were made; one query for them all."""
    claim_ids = list(claim_ids)
    if not claim_ids:
        return {}
    wanted = set(claim_ids)
    queryset = (ClaimRelation.objects.filter(Q(claim_id__in=claim_ids) | Q(related_claim_id__in=claim_ids))
                .order_by("id").values_list("type", "claim_id", "claim__uid", "related_claim_id", "related_claim__uid"))
    if using is not None:
        queryset = queryset.using(using)
    by_claim: dict[int, list] = {}
    for relation_type, claim_id, claim_uid, related_id, related_uid in queryset:
        if claim_id in wanted:
            by_claim.setdefault(claim_id, []).append((shown_type(relation_type, from_related=False), related_uid))
        if related_id in wanted:
            by_claim.setdefault(related_id, []).append((shown_type(relation_type, from_related=True), claim_uid))
    return by_claim


def claims_related_to(queryset: QuerySet[Claim], claim_id: int) -> QuerySet[Claim]:
    """Claims related to claim ``claim_id``, on either side of the relation, each once."""
    relations = ClaimRelation.objects.order_by()
    return queryset.filter(Q(pk__in=relations.filter(claim_id=claim_id).values("related_claim_id"))
                           | Q(pk__in=relations.filter(related_claim_id=claim_id).values("claim_id")))


def review_list(*, embed=None) -> QuerySet[Review]:
    """Reviews with their claim, reviewer and source (without its full text): one query a page."""
    embeds = _embeds(embed, REVIEW_EMBEDS)
    queryset = _joined(Review.objects.all(), (name for name in REVIEW_EMBEDS if name in embeds))
    return queryset.defer("source__text") if "source" in embeds else queryset


# --- text matching -------------------------------------------------------------------------------

def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    """``connection_created`` receiver: Unicode case folding for SQLite (see ``text_contains``), and the
    claim search (``sqlite_search``)."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            SQLITE_CASEFOLD, 1, lambda value: None if value is None else str(value).casefold(), deterministic=True
        )
        connection.connection.create_function(SQLITE_SEARCH, 2, sqlite_search, deterministic=True)


def text_contains(field: str, value: str) -> Q:
    """``field`` contains ``value``, ignoring case (all of Unicode, on both databases).

    On PostgreSQL ``icontains`` compares ``UPPER()`` forms, which the server does for all of Unicode.
    SQLite's ``LIKE`` only folds ASCII, so there both sides are case-folded first.
    """
    if is_postgresql():
        return Q(**{f"{field}__icontains": value})
    folded = Func(F(field), function=SQLITE_CASEFOLD, output_field=TextField())
    return Q(Contains(folded, value.casefold()))


def name_matches(value: str, prefix: str = "") -> Q:
    """A record one of whose names (an actor's name or aliases, an outlet's name, a tag's name or slug,
    a source's title or URL) contains ``value``, both in the one normalisation of
    ``provenance.normalize``: ``ＴＯＫＡＹＥＶ``, ``tokayev`` and ``Tokayev`` find the same actor."""
    return folded_contains(value, prefix)


def actor_name_matches(value: str, prefix: str = "") -> Q:
    """An actor whose name or one of whose aliases contains ``value`` (see ``name_matches``)."""
    return name_matches(value, prefix)


def field_matches(model, path: str, value: str) -> Q:
    """``value`` in the field at ``path`` from ``model`` (``"speaker__aliases"``): by ``name_matches``
    when the field is one of the record's names, else by ``text_contains``."""
    *relations, name = path.split("__")
    target = model
    for relation in relations:
        target = target._meta.get_field(relation).related_model
    folded = next((f for f in target._meta.concrete_fields if isinstance(f, FoldedNamesField)), None)
    if folded is not None and name in folded.of:
        return name_matches(value, "".join(f"{relation}__" for relation in relations))
    return text_contains(path, value)


def source_label_matches(word: str) -> Q | None:
    """A source with neither title nor URL whose label (``Source.title_of``: "Untitled source of
    2022-01-08", or "Untitled source") contains ``word``, ignoring case: the admin finds a source by
    what it shows of it (a source with a title or a URL is labelled by it, and found by searching it).
    None: no such source's label can contain it."""
    word = word.casefold()
    untitled = Q(title="", url="")
    if word in "untitled source":
        return untitled
    if word in "untitled source of":
        return untitled & Q(published_on__isnull=False)
    if re.fullmatch(r"[\d-]+", word):  # a part of the date, as the label writes it (ISO 8601)
        return untitled & Q(Contains(Cast("published_on", TextField()), word))
    return None


SPEAKER_NAME_ID_LIMIT = 500


def claims_by_speaker_name(queryset: QuerySet[Claim], value: str) -> QuerySet[Claim]:
    """Claims whose speaker's name or an alias contains ``value``, any case.

    The matching actors are looked up first (one query on the small actors table), and their ids
    given to the claims query: the planner then reads their claims through the ``(speaker, date,
    id)`` index. Given only a subquery, PostgreSQL cannot know that a name matches one actor, and
    walks all claims in date order testing each speaker (seconds at a million claims). A name so
    common that it matches more than ``SPEAKER_NAME_ID_LIMIT`` actors stays a subquery: for such a
    name the walk in date order finds a page quickly.
    """
    actors = Actor.objects.filter(actor_name_matches(value)).values_list("id", flat=True)
    ids = list(actors[: SPEAKER_NAME_ID_LIMIT + 1])
    if len(ids) > SPEAKER_NAME_ID_LIMIT:
        return queryset.filter(speaker_id__in=actors)
    return queryset.filter(speaker_id__in=ids)


def claims_by_outlet_name(queryset: QuerySet[Claim], value: str) -> QuerySet[Claim]:
    """Claims made in an outlet whose name contains ``value`` (``name_matches``): the outlets are looked up
    first, and their ids given to the claims query (served by the ``(outlet, date, id)`` index), as
    ``claims_by_speaker_name`` does."""
    outlets = Outlet.objects.filter(name_matches(value)).values_list("id", flat=True)
    ids = list(outlets[: SPEAKER_NAME_ID_LIMIT + 1])
    if len(ids) > SPEAKER_NAME_ID_LIMIT:
        return queryset.filter(outlet_id__in=outlets)
    return queryset.filter(outlet_id__in=ids)


def claims_reviewed(queryset: QuerySet[Claim], *, ratings=None, negated: bool = False) -> QuerySet[Claim]:
    """Claims with a review (of one of ``ratings``, when given); ``negated``: claims without one."""
    reviews = Review.objects.filter(claim_id=OuterRef("pk"))
    if ratings:
        reviews = reviews.filter(rating__in=list(ratings))
    return queryset.filter(~Exists(reviews) if negated else Exists(reviews))


def claims_stated(queryset: QuerySet[Claim], *, after=None, before=None) -> QuerySet[Claim]:
    """Claims stated on or after / on or before a date; undated claims are left out.

    The bounds are put on the same expression the date orderings sort by (``date_sort_key``), so the
    index that serves the order serves the range too.
    """
    queryset = queryset.alias(_stated_key=date_sort_key("stated_on")).filter(stated_on__isnull=False)
    if after is not None:
        queryset = queryset.filter(_stated_key__gte=after)
    if before is not None:
        queryset = queryset.filter(_stated_key__lte=before, _stated_key__gt=UNDATED)
    return queryset


# --- claim search --------------------------------------------------------------------------------
#
# What a word is, on both databases (PostgreSQL's default text search parser, which the "english"
# configuration uses, and ``search_words`` on SQLite): a run of letters and digits, in any script, any
# case; anything else (spaces, punctuation, apostrophes, underscores) separates words. A hyphenated word
# ("Kassym-Yomart", "multi-vector") is a word of its own followed by its parts, so "kassym" finds it and
# "kassym-yomart" finds only the hyphenated form. The English stop words (PostgreSQL's
# ``english.stop``: "the", "of", "or", ...) are never searched for: a query of only stop words finds
# nothing, and in a phrase a stop word stands for any one word. What differs: PostgreSQL reduces words
# to their stems ("protesters" and "protest" are one word there, not on SQLite) and reads some tokens
# whole (e-mail addresses, URLs, file paths, signed and decimal numbers), which SQLite splits into their
# letters and digits.

SEARCH_STOP_WORDS = frozenset((
    # PostgreSQL's tsearch_data/english.stop, the stop words of the "english" configuration.
    "i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers "
    "herself it its itself they them their theirs themselves what which who whom this that these those am is are "
    "was were be been being have has had having do does did doing a an the and but if or because as until while "
    "of at by for with about against between into through during before after above below to from up down in out "
    "on off over under again further then once here there when where why how all any both each few more most "
    "other some such no nor not only own same so than too very s t can will just don should now"
).split())
SQLITE_SEARCH = "factbase_search"  # a SQL function registered on every SQLite connection (claim_search)

_WORDS = re.compile(r"[^\W_]+(?:-[^\W_]+)*")


def search_words(text: str) -> list[str]:
    """The words of ``text`` as the search sees them: lower case, a hyphenated word before its parts."""
    words: list[str] = []
    for match in _WORDS.finditer(text.lower()):
        word = match.group()
        if "-" in word:
            parts = word.split("-")
            if all(part[0].isalpha() for part in parts):  # PostgreSQL: "covid-19" is "covid" and "-19"
                words.append(word)
            words.extend(parts)
        else:
            words.append(word)
    return words


@dataclass(frozen=True)
class SearchTerm:
    """A word or a phrase (its words in order; None: a stop word, any one word), maybe excluded."""

    words: tuple[str | None, ...]
    negated: bool = False

    @property
    def text(self) -> str:
        return " ".join(word or "*" for word in self.words)


_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')


def _term(text: str, negated: bool) -> SearchTerm | None:
    words = [None if word in SEARCH_STOP_WORDS else word for word in search_words(text)]
    while words and words[0] is None:
        words.pop(0)
    while words and words[-1] is None:
        words.pop()
    return SearchTerm(tuple(words), negated) if words else None


def parse_search_query(query: str) -> list[list[SearchTerm]]:
    """Read web search syntax as PostgreSQL's ``websearch_to_tsquery`` does: groups joined by ``or``, each a
    conjunction of words and "quoted phrases", a leading ``-`` excluding one. A bare word that holds several
    words (``Tokayev's``, ``2,500``) is a phrase of them; stop words are dropped (inside a phrase, they stand
    for any one word). Returns the groups: a claim matches if it matches every term of a group; a group of
    excluded terms only matches every claim without them; no group at all matches nothing.
    """
    groups: list[list[SearchTerm]] = [[]]
    for match in _TOKEN.finditer(query):
        negated, phrase, bare = match.group(1) == "-", match.group(2), match.group(3)
        if bare is not None:
            if bare.lower() == "or":
                if groups[-1]:
                    groups.append([])
                continue
            negated = bare.startswith("-")
            term = _term(bare, negated)
        else:
            term = _term(phrase or "", negated)
        if term is not None:
            groups[-1].append(term)
    return [group for group in groups if group]


def _has_phrase(words: list[str], phrase: tuple[str | None, ...]) -> bool:
    first, size = phrase[0], len(phrase)
    for start in range(len(words) - size + 1):
        if words[start] == first and all(want is None or want == words[start + i]
                                         for i, want in enumerate(phrase) if i):
            return True
    return False


@functools.lru_cache(maxsize=64)
def _groups_from_json(groups_json: str) -> list[list[tuple[bool, tuple]]]:
    return [[(negated, tuple(words)) for negated, words in group] for group in json.loads(groups_json)]


def sqlite_search(document: str | None, groups_json: str) -> bool:
    """``factbase_search(document, groups)`` on SQLite: whether ``document`` (a claim's text, its speaker's name
    and aliases) matches the groups of ``parse_search_query`` (as JSON)."""
    words = search_words(document or "")
    return any(all(_has_phrase(words, phrase) != negated for negated, phrase in group)
               for group in _groups_from_json(groups_json))


def _sqlite_search_document():
    """A claim's searchable text on SQLite: what PostgreSQL's stored vector holds (migrations 0004, 0005):
    its text, then its speaker's name and aliases (the JSON list as text)."""
    return Concat(F("text"), Value(" "), F("speaker__name"), Value(" "),
                  Cast(F("speaker__aliases"), TextField()), output_field=TextField())


def claim_search(queryset: QuerySet[Claim], query: str) -> QuerySet[Claim]:
    """Claims matching ``query`` in their text or their speaker's name or aliases.

    On PostgreSQL the result has the alias ``search_rank`` (``ts_rank`` of the stored vector), which
    the ``relevance`` ordering sorts by; as an alias rather than an annotation it is computed only
    when a query orders by it, not for every match of every search. On SQLite there is no rank
    (``supports_ranking()``); each claim is matched by ``sqlite_search``, a function registered on the
    connection, with the words, phrases and stop words that PostgreSQL has (see above), without stems.
    """
    # Full-width and other compatibility forms of a word are the word (the one normalisation's first step,
    # on both databases: the stored text is searched as it is).
    query = unicodedata.normalize("NFKC", query)
    if is_postgresql():
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField

        # The column as a column of the claims table (not raw SQL naming the table): a query that reads a page's
        # ids in a subquery (``ids_first``) renames the table there, and the column follows it.
        field = SearchVectorField()
        field.set_attributes_from_name("search_vector")
        field.model = Claim  # (no model field: the triggers of migrations 0004-0005 keep the column)
        vector = Col(Claim._meta.db_table, field)
        search = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
        # As double precision: ts_rank's real would come back rounded in its text form, and a cursor
        # holding the rounded value would never compare equal to the row it came from.
        return queryset.alias(search_vector=vector).filter(search_vector=search).alias(
            search_rank=Cast(SearchRank(F("search_vector"), search), FloatField())
        )
    groups = parse_search_query(query)
    if not groups:
        return queryset.none()
    groups_json = json.dumps([[[term.negated, list(term.words)] for term in group] for group in groups])
    return queryset.filter(Func(_sqlite_search_document(), Value(groups_json), function=SQLITE_SEARCH,
                                output_field=BooleanField()))


def supports_ranking() -> bool:
    """Whether ``claim_search`` ranks its results (PostgreSQL) or only filters them (SQLite)."""
    return is_postgresql()


def ids_first(ordered: QuerySet, limit: int, rows: QuerySet) -> QuerySet:
    """The first ``limit`` rows of ``ordered`` (filtered, annotated with its sort keys, ordered), read as one
    statement in two steps: the ids of those rows, found in a subquery that reads the table with the filters and
    sort keys alone, then those rows as ``rows`` (the same records unfiltered: the selector's queryset, with its
    joins) gives them, with the sort keys::

        SELECT <columns, joins, keys> WHERE id IN (SELECT id ... WHERE <filters> ORDER BY <keys> LIMIT n)
        ORDER BY <keys>

    The same rows in the same order as ``ordered[:limit]``; what differs is the plan where the matching rows are
    many and must be sorted (a search ranked by relevance: every match is ranked, and only ids and ranks are
    sorted, not rows joined to their speaker, outlet and source), and the joins run on at most ``limit`` rows
    by their primary keys. The filters are not repeated outside: the planner would take their selectivity twice
    and plan the joins for less than a row. The serializer's path reads a search's page so (the JSON reader's statement is built so anyway: docs/api.md,
    "How a search is planned")."""
    ids = ordered.values("pk")[:limit]
    # The sort keys, as ``ordered`` resolved them (a rank refers to the search's query): they name no join.
    keys = {name: ordered.query.annotations[name] for name in ordered.query.annotation_select}
    return rows.filter(pk__in=ids).annotate(**keys).order_by(*ordered.query.order_by)[:limit]


# --- orderings -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class SortKey:
    """One key of a keyset ordering: an annotation name, its expression, its direction and type."""

    name: str
    expression: object
    descending: bool
    kind: str  # "date", "datetime", "int", "float" or "str": how a cursor stores the value


def _id(descending: bool) -> SortKey:
    return SortKey("_key_id", F("id"), descending, "int")


def _ordering(field: str, expression, kind: str) -> dict[str, list[SortKey]]:
    return {
        field: [SortKey(f"_key_{field}", expression, False, kind), _id(False)],
        f"-{field}": [SortKey(f"_key_{field}", expression, True, kind), _id(True)],
    }


def _by_date(field: str) -> dict[str, list[SortKey]]:
    return _ordering(field, date_sort_key(field), "date")


def _by_created() -> dict[str, list[SortKey]]:
    return _ordering("created_at", F("created_at"), "datetime")


def _by_name() -> dict[str, list[SortKey]]:
    return _ordering("name", F("name"), "str")


def _by_updated() -> dict[str, list[SortKey]]:
    """Last changed first or last: every resource has it (an ``(updated_at, id)`` index each, migration 0011),
    so that a client can fetch what changed since its last visit (with ``updated_after``)."""
    return _ordering("updated_at", F("updated_at"), "datetime")


RELEVANCE = "relevance"
RELEVANCE_KEYS = [SortKey("_key_search_rank", F("search_rank"), True, "float"), _id(True)]

# name -> keys; the first entry of each is the resource's default ordering.
ORDERINGS: dict[str, dict[str, list[SortKey]]] = {
    "claim": {**{"-stated_on": _by_date("stated_on")["-stated_on"]}, **_by_date("stated_on"), **_by_created(),
              **_by_updated()},
    "actor": {**_by_name(), **_by_updated()},
    "outlet": {**_by_name(), **_by_updated()},
    "tag": {**_by_name(), **_by_updated()},
    "source": {**{"-published_on": _by_date("published_on")["-published_on"]}, **_by_date("published_on"),
               **_by_updated()},
    "review": {**{"-reviewed_on": _by_date("reviewed_on")["-reviewed_on"]}, **_by_date("reviewed_on"),
               **_by_updated()},
    "claim_relation": {**{"-created_at": _by_created()["-created_at"]}, **_by_created(), **_by_updated()},
}


# --- history -------------------------------------------------------------------------------------

HISTORY_ORDERINGS: dict[str, list[SortKey]] = {
    "-date": [SortKey("_key_date", F("history_date"), True, "datetime"),
              SortKey("_key_history_id", F("history_id"), True, "int")],
}
HISTORY_TYPES = {"+": "created", "~": "changed", "-": "deleted"}
_NOT_DIFFED = {"created_at", "updated_at"}


def history_list(model, pk) -> QuerySet:
    """Every recorded version of one record (it may since have been deleted), with its author."""
    return model.history.filter(id=pk).select_related("history_user")


def _plain(value, owner: str):
    """A value from a historical record as JSON: dates as ISO text, a many-to-many as sorted ids."""
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(row, dict) for row in value):
            return sorted(v for row in value for k, v in row.items() if k != owner)
        return [_plain(item, owner) for item in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (str, int, float, bool, dict)) or value is None:
        return value
    return str(value)


def history_changes(record, previous, m2m: dict | None = None) -> list[dict]:
    """Which fields ``record`` changed from ``previous`` (None for the first version): field, old, new.

    Foreign keys are given as ids, many-to-many fields (a claim's tags) as sorted lists of ids; the
    automatic ``id``, ``created_at`` and ``updated_at`` are left out. ``m2m``: the many-to-many values of
    ``record`` and ``previous`` read beforehand (``history_m2m_values``), else each is read now.
    """
    if record.history_type == "-":
        return []
    owner = record.instance_type._meta.model_name
    values = m2m
    m2m = sorted(field.name for field in getattr(record, "_history_m2m_fields", []))
    columns = [f for f in record.tracked_fields if f.name not in _NOT_DIFFED and f.name != "id"]
    changes = []
    for field in columns:
        new = _plain(getattr(record, field.attname), owner)
        old = None if previous is None else _plain(getattr(previous, field.attname), owner)
        if previous is None and new in (None, "", []):
            continue
        if old != new:
            changes.append({"field": field.name, "old": old, "new": new})
    if m2m and values is not None:
        for name in m2m:
            new = values[name].get(record.history_id, [])
            old = None if previous is None else values[name].get(previous.history_id, [])
            if (previous is None and new) or (previous is not None and old != new):
                changes.append({"field": name, "old": old, "new": new})
    elif m2m:
        if previous is None:
            for name in m2m:
                manager = getattr(record, name)
                through = [f.name for f in manager.model._meta.fields
                           if f.editable and f.name not in ("id", "m2m_history_id", "history")]
                value = _plain(list(manager.values(*through)), owner)
                if value:
                    changes.append({"field": name, "old": None, "new": value})
        else:
            delta = record.diff_against(previous, included_fields=m2m)
            changes += [{"field": c.field, "old": _plain(c.old, owner), "new": _plain(c.new, owner)}
                        for c in delta.changes]
    return sorted(changes, key=lambda change: change["field"])


def history_previous(records: list) -> dict:
    """For each record (newest first, all of one object), the version before it: one extra query."""
    previous = {}
    for newer, older in zip(records, records[1:]):
        previous[newer.history_id] = older
    if records:
        oldest = records[-1]
        previous[oldest.history_id] = (
            type(oldest).objects.filter(id=oldest.id)
            .filter(Q(history_date__lt=oldest.history_date)
                    | Q(history_date=oldest.history_date, history_id__lt=oldest.history_id))
            .order_by("-history_date", "-history_id").first()
        )
    return previous


def history_m2m_values(history_model, history_ids) -> dict[str, dict[int, list]]:
    """The many-to-many values (a claim's tags) of the versions ``history_ids``, as ``history_changes`` gives
    them (sorted ids): field -> version -> ids. One query a many-to-many field, whatever the number of versions."""
    values = {}
    owner = history_model.instance_type._meta.model_name
    for field in getattr(history_model, "_history_m2m_fields", []):
        through = getattr(history_model, field.name).model
        target = next(f.attname for f in through._meta.fields
                      if f.editable and f.name not in ("id", "m2m_history_id", "history", owner))
        by_version: dict[int, list] = {history_id: [] for history_id in history_ids}
        for history_id, value in through.objects.filter(history_id__in=list(history_ids)).values_list(
                "history_id", target):
            by_version[history_id].append(value)
        values[field.name] = {history_id: sorted(ids) for history_id, ids in by_version.items()}
    return values


# --- the change feed (factbase/changes.py) --------------------------------------------------------

#: the feed's one order: by transaction, then in the order each wrote its changes
CHANGE_KEYS = [SortKey("_key_txid", F("txid"), False, "int"), SortKey("_key_id", F("id"), False, "int")]


def change_list(model_names=None) -> QuerySet:
    """The changes the feed may list: on PostgreSQL only those of transactions that every snapshot sees as
    finished (``txid`` below ``FEED_HORIZON_SQL``: see factbase/changes.py); ``model_names``
    (``model_name`` of the models) narrows them to those models' records."""
    from factbase.models import Change

    queryset = Change.objects.all()
    if model_names is not None:
        queryset = queryset.filter(model__in=list(model_names))
    if is_postgresql():
        queryset = queryset.filter(txid__lt=RawSQL(FEED_HORIZON_SQL, ()))
    return queryset


#: The feed's horizon on PostgreSQL: the lowest transaction id that this statement's snapshot sees as running
#: and that may write to this database; with none, the snapshot's xmax (every id below it has finished).
#: ``pg_snapshot_xmin(pg_current_snapshot())`` would do, but transaction ids are the cluster's: a long write in
#: another database of the same server would hold this feed back. A running transaction is left out only when
#: ``pg_stat_activity`` shows it in another database; one it does not show (a prepared transaction, a session
#: this role may not see, one that ended meanwhile) counts as ours, so the horizon is never past a transaction
#: that could still commit a change here.
FEED_HORIZON_SQL = """(
    SELECT COALESCE(min(x::text::bigint), pg_snapshot_xmax(pg_current_snapshot())::text::bigint)
    FROM pg_snapshot_xip(pg_current_snapshot()) AS x
    WHERE NOT EXISTS (
        SELECT 1 FROM pg_stat_activity a
        WHERE a.backend_xid::text::bigint = mod(x::text::bigint, 4294967296)
          AND a.datid <> (SELECT oid FROM pg_database WHERE datname = current_database())
    )
)"""


@dataclass
class FeedVersion:
    """A change of the feed, read: the model, the version (a historical record) and what it changed."""

    model: type
    record: object
    changes: list[dict]
    live: bool


def change_versions(changes, *, check_live=()) -> dict[tuple[str, int], FeedVersion]:
    """The versions the changes name, by ``(model, history_id)``, with what each changed. Per model on the page:
    one query for its versions (with their authors and the id of the version before each), one for those
    previous versions, one a many-to-many field; and, for the models in ``check_live``, one for which of the
    records still exist. None of it grows with the number of changes."""
    from django.apps import apps
    from django.db.models import Subquery

    by_model: dict[str, list[int]] = {}
    for change in changes:
        by_model.setdefault(change.model, []).append(change.history_id)
    versions = {}
    for model_name, history_ids in by_model.items():
        try:
            model = apps.get_model("factbase", model_name)
        except LookupError:
            continue
        history_model = model.history.model
        before = (history_model.objects.filter(id=OuterRef("id"))
                  .filter(Q(history_date__lt=OuterRef("history_date"))
                          | Q(history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id")))
                  .order_by("-history_date", "-history_id").values("history_id")[:1])
        records = list(history_model.objects.filter(history_id__in=history_ids).select_related("history_user")
                       .annotate(_previous_id=Subquery(before)))
        wanted = {record._previous_id for record in records if record.history_type != "-" and record._previous_id}
        previous = history_model.objects.in_bulk(list(wanted)) if wanted else {}
        m2m = history_m2m_values(history_model, [*(r.history_id for r in records), *previous])
        live = None
        if model_name in check_live:
            live = set(model._default_manager.filter(pk__in={record.id for record in records})
                       .values_list("pk", flat=True))
        for record in records:
            before_record = previous.get(record._previous_id) if record.history_type != "-" else None
            versions[model_name, record.history_id] = FeedVersion(
                model, record, history_changes(record, before_record, m2m), live is None or record.id in live)
    return versions
