"""Reads: the querysets the API (and anyone else who lists records) starts from.

Each ``*_list`` selector gives a queryset with the joins and prefetches that its brief and full
representations need, so that listing a page costs the same few queries whatever its size.

Search and sorting live here too, because they must behave alike on both databases:

- ``claim_search``: on PostgreSQL, real full-text search (English stemming) over a stored
  ``tsvector`` of the claim's text and its speaker's name and aliases (see migration 0004), queried
  with ``websearch_to_tsquery`` and ranked with ``ts_rank``. On SQLite, the same query syntax
  (words, "quoted phrases", ``-excluded``, ``or``) over the same text, matched as whole words, with
  the same idea of a word and the same stop words (see ``search``); no stemming, no ranking.
- ``name_matches``: names (of actors, outlets, tags, sources) compared in the one normalisation of
  ``provenance.normalize`` (NFKC, case folding, typographic marks made plain), on both databases
  alike, through each record's stored ``names_folded``.
- ``text_contains``: a case-insensitive substring test over other text (descriptions, a claim's
  text in the admin's search), that folds non-ASCII case too on SQLite, whose own ``LIKE`` only
  folds ASCII.
- ``ORDERINGS``: for each resource, the keyset orderings the API offers, as sort keys ending in the
  primary key (a total order), built on ``date_sort_key`` where a date may be unknown.

The selectors' modules, one idea each (every public name is importable from this package, as
``selectors.claim_list``); each imports only from those above it:

- ``lists``: the ``*_list`` querysets, with what their representations embed (counts, a claim's relations);
- ``matching``: text matching (``text_contains``, ``name_matches``) and the filters of claims;
- ``search``: ``claim_search``, its query syntax and words, the SQLite functions
  (``register_sqlite_functions``, connected in ``apps.py``), and ``ids_first``;
- ``orderings``: ``SortKey`` and ``ORDERINGS``;
- ``history``: a record's versions and what each changed;
- ``feed``: the change feed's changes and the versions they name.
"""

from factbase.selectors.lists import (  # noqa: F401
    ACTOR_EMBEDS,
    CLAIM_EMBEDS,
    CLAIM_REVIEW_ORDER,
    OUTLET_EMBEDS,
    RELATED_CLAIM_COLUMNS,
    REVIEW_EMBEDS,
    SOURCE_EMBEDS,
    TAG_EMBEDS,
    actor_list,
    claim_count,
    claim_list,
    claim_relation_list,
    claim_relation_uids,
    claim_relations,
    claim_relations_query,
    claims_related_to,
    outlet_list,
    relations_by_claim,
    review_list,
    source_list,
    tag_list,
)
from factbase.selectors.matching import (  # noqa: F401
    SPEAKER_NAME_ID_LIMIT,
    SQLITE_CASEFOLD,
    UNDATED,
    actor_name_matches,
    claims_by_outlet_name,
    claims_by_speaker_name,
    claims_reviewed,
    claims_stated,
    field_matches,
    is_postgresql,
    name_matches,
    source_label_matches,
    text_contains,
)
from factbase.selectors.search import (  # noqa: F401
    SEARCH_CONFIG,
    SEARCH_STOP_WORDS,
    SQLITE_SEARCH,
    SearchTerm,
    claim_search,
    ids_first,
    parse_search_query,
    register_sqlite_functions,
    search_words,
    sqlite_search,
    supports_ranking,
)
from factbase.selectors.orderings import (  # noqa: F401
    ORDERINGS,
    RELEVANCE,
    RELEVANCE_KEYS,
    SortKey,
)
from factbase.selectors.history import (  # noqa: F401
    HISTORY_ORDERINGS,
    HISTORY_TYPES,
    history_changes,
    history_list,
    history_m2m_values,
    history_previous,
)
from factbase.selectors.feed import (  # noqa: F401
    CHANGE_KEYS,
    FEED_HORIZON_SQL,
    FeedVersion,
    change_list,
    change_versions,
)
