"""The interchange format of claims: reading, checking and writing records, with no database. This
package's modules import nothing that touches the database; ``importer``, ``exporter`` and ``bulk`` (beside
them, imported by name) put records in and take them out.

One **record** is one claim with everything it carries. Related records are named by natural keys
and described in place, so a record stands on its own:

- an actor (``speaker``, a review's ``reviewer``) by its ``name`` and ``kind``, or by its
  ``wikidata_id``; also ``aliases``, ``description``;
- an outlet by its ``name``; also ``kind``, ``url``, ``description``;
- a source by its ``url``, or, when it has none, by its ``title`` and ``published_on`` together;
  also ``language``, ``authors``, ``outlet`` (an outlet as above) and its full ``text``;
- a tag by its ``slug``; also ``name``, ``description``.

An example (one line of an NDJSON file; spread out here)::

    {"uid": "0d5f4a1e-2b8c-4e7a-9f61-3c2d1b0a9e87",
     "text": "I think the question is, did Tokayev not trust the army?", "kind": "direct_quote",
     "speaker": {"name": "Jennifer Brick Murtazashvili", "kind": "person", "aliases": ["Murtazashvili"],
                 "description": "...", "wikidata_id": ""},
     "speaker_role": "Central and South Asia expert at the University of Pittsburgh",
     "stated_on": null, "stated_on_precision": "", "outlet": null,
     "source": {"url": "", "title": "", "published_on": "2022-01-08", "language": "en", "authors": [],
                "outlet": null, "text": "..."},
     "span": {"start": 4012, "end": 4068, "exact": "I think the question is, did Tokayev not trust the army?"},
     "status": "unverified", "status_note": "",
     "tags": [{"slug": "kazakhstan-unrest-2022", "name": "Kazakhstan unrest, January 2022", "description": "..."}],
     "reviews": [],
     "relations": [{"type": "responded_to_by", "claim": "6a1c2e4f-0b3d-4e5f-8a7b-9c0d1e2f3a4b"}]}

What a key *absent* from a related record means differs from an empty value: absent is "not said
here" (the record in the database keeps what it has), empty is "empty". So a source's long ``text``
need only be given once in a file (exports give it with the first claim of each source), and a
hand-written file may describe an actor once and name it by key elsewhere. Two records of one file
that say different things of the same related record are refused.

On a claim, an absent ``status`` leaves the status as it is (a new claim is unverified); absent
``tags`` or ``reviews`` leave those as they are; the claim's other fields take their defaults.

A claim's ``relations`` to other claims name each other claim by its ``uid`` (in the file or already in
the database), with the type as this claim sees it, as the API's ``relations`` give it: a directed type
seen from the claim it points at reads as its inverse (``responded_to_by``: the other claim responds to
this one). An export lists a relation with both its claims; an import creates the relations a record
lists that the database does not have yet (listed twice, from both sides, it is made once) and removes
none. In CSV, the ``relations`` column lists ``type:uid`` pairs, joined with ``|``.

Import-only conveniences, never written by an export: ``stated`` (the date as the source words it,
"Friday", "in March 2019", resolved against the source's publication date), ``passage`` (for a
paraphrase, the passage of the source that reports it, instead of ``span``), a source's
``text_file`` (its text read from a file beside the imported one), and ``note`` (a comment for the
file's readers, not imported).

Two spellings of the names (``SPELLINGS``): version 1's, above, and version 2's, the API's naming
rule (a source's ``document_url`` and an outlet's ``website`` where version 1 says ``url``; CSV columns
named by their path, ``speaker.name``): ``respelled`` and ``csv_columns`` write it, and a file in
either (or both: the same value under both names) is read. A claim's ``id`` and ``url`` (in the API
it came from) are read and ignored.

Three containers: NDJSON (one record a line), JSON (an array of records, or an object with
``"claims"`` and an optional ``"about"``) and CSV (one row a claim, see ``CSV_COLUMNS``: the claim and
the keys of its related records, lists joined with ``|``; no reviews, no source text).

The curation history of a claim (who verified it, when) is not carried: it belongs to the database
the claim is in. ``claim_review_jsonld`` gives a review as schema.org ClaimReview (JSON-LD).

The format's modules, one idea each (every public name is also importable from this package, as
``interchange.parse_claim``):

- ``format``: the vocabularies, keys, CSV columns, spellings and limits; CSV cells (lists, formulas);
- ``records``: a checked record (``ClaimRecord`` and the related records) and its ``Problem``;
- ``checking``: ``parse_claim``, a decoded record checked on its own;
- ``reading``: ``read_records``, the containers (NDJSON, JSON, CSV) read record by record;
- ``writing``: ``claim_record`` and the rest, records written from model instances;
- ``claimreview``: ``claim_review_jsonld``, a review as schema.org ClaimReview;
- ``schema``: ``record_schema``, the record as JSON Schema for the API's documentation.
"""

from factbase.interchange.format import (  # noqa: F401
    ACTOR_KEYS,
    ACTOR_KINDS,
    ASCII_DIGITS,
    CLAIM_IMPORT_KEYS,
    CLAIM_KEYS,
    CLAIM_KINDS,
    CSV_COLUMNS,
    CSV_COLUMNS_V1_BY_NAME,
    CSV_COLUMNS_V2,
    CSV_COLUMNS_V2_BY_V1,
    CSV_FORMULA_STARTS,
    CSV_IGNORED_COLUMNS,
    CSV_KNOWN_COLUMNS,
    CSV_REQUIRED,
    CSV_SUSPECT_STARTS,
    CSV_TEXT_PREFIX,
    EXTENSIONS,
    FORMATS,
    ISO_DATE,
    LIST_SEPARATOR,
    MAX_LENGTHS,
    MEDIA_TYPES,
    OUTLET_KEYS,
    OUTLET_KINDS,
    OUTLET_V2_KEYS,
    PRECISIONS,
    RATINGS,
    RELATION_INVERSES,
    RELATION_KEYS,
    RELATION_SHOWN_TYPES,
    RELATION_TYPES,
    RELATIONS_MAX_COUNT,
    REVIEW_KEYS,
    SLUG,
    SOURCE_EXTRA_KEYS,
    SOURCE_IMPORT_KEYS,
    SOURCE_KEYS,
    SPAN_KEYS,
    SPELLINGS,
    STATUSES,
    TAG_KEYS,
    V2_KEYS,
    WIKIDATA_ID,
    YEAR_OR_MONTH,
    csv_escape_cell,
    csv_unescape_cell,
    join_list,
    split_list,
)
from factbase.interchange.records import (  # noqa: F401
    ActorRef,
    ClaimRecord,
    OutletRef,
    Problem,
    RecordError,
    ReviewRecord,
    SourceRef,
    TagRef,
    shown_text,
)
from factbase.interchange.checking import (  # noqa: F401
    CACHED_OBJECTS,
    CACHED_TEXT_LENGTH,
    parse_actor,
    parse_claim,
    parse_date,
    parse_outlet,
    parse_review,
    parse_source,
    parse_tag,
)
from factbase.interchange.reading import (  # noqa: F401
    JSON_BYTES_PER_CHARACTER,
    JSON_MAX_DEPTH,
    RECORD_MAX_BYTES,
    csv_row_to_record,
    format_for,
    read_records,
)
from factbase.interchange.writing import (  # noqa: F401
    actor_record,
    claim_record,
    csv_columns,
    csv_lines,
    ndjson_line,
    outlet_record,
    record_to_csv_row,
    respelled,
    review_record,
    source_record,
    tag_record,
)
from factbase.interchange.claimreview import (  # noqa: F401
    RATING_LABELS,
    RATING_VALUES,
    SCHEMA_ORG,
    claim_review_jsonld,
    html_safe_json,
    jsonld_actor,
    jsonld_creative_work,
    jsonld_dumps,
    jsonld_organization,
)
from factbase.interchange.schema import (  # noqa: F401
    ACTOR_SCHEMA,
    OUTLET_SCHEMA,
    RECORD_SCHEMA,
    SOURCE_SCHEMA,
    record_schema,
)
