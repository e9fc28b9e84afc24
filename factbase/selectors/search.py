"""Full-text search of claims (``claim_search``), alike on both databases: PostgreSQL's over the stored
vector, ranked; on SQLite the same query syntax, words and stop words, matched by a function registered on
every connection (``register_sqlite_functions``, which gives SQLite ``text_contains``'s case folding too).
And ``ids_first``: a page's ids read first, then its rows (how a ranked search's page is planned).
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from dataclasses import dataclass

from django.db.models import BooleanField, F, FloatField, Func, QuerySet, TextField, Value
from django.db.models.expressions import Col
from django.db.models.functions import Cast, Concat

from factbase.models import Claim
from factbase.selectors.matching import SQLITE_CASEFOLD, is_postgresql


SEARCH_CONFIG = "english"  # the text search configuration of migration 0004's stored vector


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


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    """``connection_created`` receiver: Unicode case folding for SQLite (see ``text_contains``), and the
    claim search (``sqlite_search``)."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            SQLITE_CASEFOLD, 1, lambda value: None if value is None else str(value).casefold(), deterministic=True
        )
        connection.connection.create_function(SQLITE_SEARCH, 2, sqlite_search, deterministic=True)


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
