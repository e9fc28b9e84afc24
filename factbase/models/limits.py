"""How large a record may be: one place for every size limit, shared by the models (validators and
database constraints), the API (its serializers and OpenAPI schema take them from the model fields),
the admin (its forms, likewise) and the importer (which checks them before it builds a record).

A limit bounds what one request or one imported record can cost: a source's text is normalised once
for every edit of it, a claim is rendered in every list it appears in. The documentation's "Limits" table
(docs/domain.md) repeats these numbers; a test holds the two equal.
"""

#: a claim's text (a direct quote's exact words, or a paraphrase)
CLAIM_TEXT_MAX_LENGTH = 10_000
#: a paraphrase's passage in its source (span_exact)
PASSAGE_MAX_LENGTH = 10_000
#: a source's full text (about 150,000 words: a long transcript)
SOURCE_TEXT_MAX_LENGTH = 1_000_000
#: a claim's status note, a review's summary
NOTE_MAX_LENGTH = 2_000
SUMMARY_MAX_LENGTH = 10_000
#: the reason given for a change (``change_reason``), kept in the record's history
CHANGE_REASON_MAX_LENGTH = 2_000
#: an actor's name or alias, a source's author
NAME_MAX_LENGTH = 200
#: how many aliases an actor, or authors a source, may list
NAMES_MAX_COUNT = 100
