"""Version 1 representations.

A read embeds each related record in its brief form: ``id``, ``url``, its ``name`` (for a source,
``title`` and ``display_title``: both the source's display title, its own title, or its URL or date
when it has none, so never empty; version 2 gives the source's own ``title``) and ``kind`` where it
has one. A write names a related record by its id.

These serializers only shape and type-check the input: every rule about the records (including
uniqueness and the constraints of the models) is checked by ``factbase.services``, which the views
call; the serializers never save.
"""

from __future__ import annotations

from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from api.fields import (
    BriefRelatedField, ClaimCountField, DetailURLField, FilteredListURLField, IsoDateField, NameListField,
    WholeNumberField, detail_url_prefix,
)
from api.serializers import StrictInputMixin
from factbase import selectors
from factbase.models import Actor, Claim, ClaimRelation, Outlet, Review, Source, Tag
from factbase.models.limits import CHANGE_REASON_MAX_LENGTH, NOTE_MAX_LENGTH, PASSAGE_MAX_LENGTH
from factbase.models.relation import SHOWN_TYPES

#: why a read-only field cannot be written, and where it is set (``api.serializers.StrictInputMixin``)
READ_ONLY_REASONS = {
    "id": "The record's id is given by the server.",
    "url": "The record's URL is given by the server.",
    "uid": "The claim's uid is given by the server when the claim is made (an import keeps the file's).",
    "created_at": "The server keeps when the record was made.",
    "updated_at": "The server keeps when the record last changed.",
    "status": "The status is set with POST /api/v1/claims/{id}/status/ (needs the verify permission), not by "
              "editing the claim.",
    "status_note": "The status note is set with POST /api/v1/claims/{id}/status/, as its note (needs the verify "
                   "permission), not by editing the claim.",
    "verified_at": "The server records when a claim is verified (POST /api/v1/claims/{id}/status/).",
    "span": "The server finds the span in the source's text: from the quote itself (a direct quote) or from "
            "passage (a paraphrase); span_hint picks among repeated occurrences.",
    "display_title": "The server makes it from title, document_url or published_on: write those.",
    "history_url": "A link the server gives.",
    "claims_url": "A link the server gives.",
    "reviews_url": "A link the server gives.",
    "claim_count": "The server counts the claims.",
    "status_changed_at": "The server records when the status changes (POST /api/v1/claims/{id}/status/).",
    "status_changed_by": "The server records who changed the status (POST /api/v1/claims/{id}/status/).",
    "reviews": "A claim's reviews are written as reviews (POST /api/v1/reviews/), each naming its claim.",
}


CHANGE_REASON_HELP = ("Why this change is made (optional, at most %d characters): kept in the record's history as "
                      "the change's `reason` (as NetBox's `changelog_message`)." % CHANGE_REASON_MAX_LENGTH)


def change_reason_field():
    return serializers.CharField(write_only=True, required=False, allow_blank=True, trim_whitespace=False,
                                 max_length=CHANGE_REASON_MAX_LENGTH, help_text=CHANGE_REASON_HELP)


class FactbaseSerializer(StrictInputMixin, serializers.ModelSerializer):
    """A write stores every field it is sent, or is refused (400) naming the field: a field this record does not
    have, or a read-only field sent with another value than the record's (sending back what was read is fine).
    Dates are written YYYY-MM-DD. Every write may carry ``change_reason``, kept in the history."""

    read_only_reasons = READ_ONLY_REASONS
    serializer_field_mapping = {**serializers.ModelSerializer.serializer_field_mapping, models.DateField: IsoDateField}

    def __init__(self, *args, selected_fields=None, **kwargs):
        #: the names of the fields a read gives (``?fields=``/``?omit=``, see ``api.selection``); None: all
        self.selected_fields = selected_fields
        super().__init__(*args, **kwargs)
    change_reason = change_reason_field()

    def get_field_names(self, declared_fields, info):
        return [*super().get_field_names(declared_fields, info), "change_reason"]

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            field.validators = [v for v in field.validators if not isinstance(v, UniqueValidator)]
        if self.selected_fields is not None:
            fields = {name: field for name, field in fields.items() if name in self.selected_fields}
        return fields

    def get_validators(self):
        return []  # unique-together rules are the models' constraints, checked by the services


# --- brief forms ---------------------------------------------------------------------------------

class BriefActorSerializer(serializers.ModelSerializer):
    url = DetailURLField(view_name="actor-detail")

    class Meta:
        model = Actor
        fields = ["id", "url", "name", "kind"]
        read_only_fields = fields


class BriefOutletSerializer(serializers.ModelSerializer):
    url = DetailURLField(view_name="outlet-detail")

    class Meta:
        model = Outlet
        fields = ["id", "url", "name", "kind"]
        read_only_fields = fields


class BriefSourceSerializer(serializers.ModelSerializer):
    url = DetailURLField(view_name="source-detail")
    title = serializers.CharField(
        source="display_title", read_only=True,
        help_text="The source's title; for a source without one, its URL or date (never empty). In version 1 "
                  "this is the source's `display_title`, not its own `title` (version 2 gives its own title here).",
    )
    display_title = serializers.CharField(
        read_only=True, help_text="The title, or for a source without one its URL or date: never empty (as in "
                                  "the source's full form).",
    )

    class Meta:
        model = Source
        fields = ["id", "url", "title", "display_title"]
        read_only_fields = fields


class BriefTagSerializer(serializers.ModelSerializer):
    url = DetailURLField(view_name="tag-detail")

    class Meta:
        model = Tag
        fields = ["id", "url", "name", "slug"]
        read_only_fields = fields


class BriefClaimSerializer(serializers.ModelSerializer):
    url = DetailURLField(view_name="claim-detail")

    class Meta:
        model = Claim
        fields = ["id", "url", "text", "kind"]
        read_only_fields = fields


class BriefReviewSerializer(serializers.ModelSerializer):
    url = DetailURLField(view_name="review-detail")
    reviewer = BriefActorSerializer(read_only=True, allow_null=True,
                                    help_text="Who reviewed the claim; null when the publication names nobody.")

    class Meta:
        model = Review
        fields = ["id", "url", "rating", "rating_text", "reviewer"]
        read_only_fields = fields


# --- full forms ----------------------------------------------------------------------------------

TIMESTAMPS = ["created_at", "updated_at"]


def history_url_field(resource: str) -> DetailURLField:
    return DetailURLField(view_name=f"{resource}-history", detail_view_name=f"{resource}-detail", suffix="history/",
                          help_text="The record's history: every change, who made it and when.")


def claims_url_field(param: str, whose: str, attribute: str = "pk") -> FilteredListURLField:
    return FilteredListURLField(view_name="claim-list", param=param, attribute=attribute,
                                help_text=f"The list of claims {whose} (`/claims/?{param}=`).")


def claim_count_field(whose: str) -> ClaimCountField:
    return ClaimCountField(help_text=f"How many claims {whose}.")


class ActorSerializer(FactbaseSerializer):
    url = DetailURLField(view_name="actor-detail")
    history_url = history_url_field("actor")
    claims_url = claims_url_field("speaker", "the actor made")
    aliases = NameListField(help_text="Other names the actor goes by, e.g. a surname alone or another spelling.")
    claim_count = claim_count_field("the actor made (as their speaker)")

    class Meta:
        model = Actor
        fields = ["id", "url", "history_url", "claims_url", "name", "kind", "aliases", "description", "wikidata_id",
                  "claim_count", *TIMESTAMPS]
        read_only_fields = TIMESTAMPS


class OutletSerializer(FactbaseSerializer):
    url = DetailURLField(view_name="outlet-detail")
    history_url = history_url_field("outlet")
    claims_url = claims_url_field("outlet", "made on this outlet (the claims' `outlet`, not the outlet of their source)")
    website = serializers.URLField(source="url", max_length=2000, required=False, allow_blank=True,
                                   help_text="The outlet's own website, when it has one.")
    claim_count = claim_count_field("were made on this outlet: claims whose `outlet` it is (not claims reported by a "
                              "source it published)")

    class Meta:
        model = Outlet
        fields = ["id", "url", "history_url", "claims_url", "name", "kind", "website", "description", "claim_count",
                  *TIMESTAMPS]
        read_only_fields = TIMESTAMPS


class TagSerializer(FactbaseSerializer):
    url = DetailURLField(view_name="tag-detail")
    history_url = history_url_field("tag")
    claims_url = claims_url_field("tag", "with this tag", attribute="slug")
    claim_count = claim_count_field("have this tag")

    class Meta:
        model = Tag
        fields = ["id", "url", "history_url", "claims_url", "name", "slug", "description", "claim_count", *TIMESTAMPS]
        read_only_fields = TIMESTAMPS


class SourceSerializer(FactbaseSerializer):
    url = DetailURLField(view_name="source-detail")
    history_url = history_url_field("source")
    claims_url = claims_url_field("source", "this source reports")
    reviews_url = FilteredListURLField(view_name="review-list", param="source",
                                       help_text="The list of reviews published in this source (`/reviews/?source=`).")
    claim_count = claim_count_field("this source reports")
    display_title = serializers.CharField(
        read_only=True, help_text="The title, or for a source without one its URL or date: never empty.",
    )
    document_url = serializers.URLField(source="url", max_length=2000, required=False, allow_blank=True,
                                        help_text="Where the document is published; empty when unknown.")
    outlet = BriefRelatedField(BriefOutletSerializer, queryset=Outlet.objects.all(), allow_null=True, required=False,
                               help_text="Who published it, when known.")
    authors = NameListField(help_text="The authors the document names.")

    class Meta:
        model = Source
        fields = ["id", "url", "history_url", "claims_url", "reviews_url", "title", "display_title", "document_url",
                  "outlet", "authors", "published_on", "language", "text", "claim_count", *TIMESTAMPS]
        read_only_fields = TIMESTAMPS


class SourceWithoutTextSerializer(SourceSerializer):
    """A source in a list: everything but its full text (read one source for that)."""

    class Meta(SourceSerializer.Meta):
        fields = [name for name in SourceSerializer.Meta.fields if name != "text"]


class ClaimRelationOnClaimSerializer(serializers.Serializer):
    """A relation as one of its claims sees it (the schema of ``ClaimSerializer.relations``)."""

    type = serializers.ChoiceField(
        choices=SHOWN_TYPES,
        help_text="How this claim relates to `claim`: `same_statement` and `contradicts` read the same from both "
                  "claims; `responds_to`, `corrects` and `repeats` are seen from the other claim as "
                  "`responded_to_by`, `corrected_by` and `repeated_by`.",
    )
    claim = BriefClaimSerializer(help_text="The other claim.")


@extend_schema_field(ClaimRelationOnClaimSerializer(many=True))
class ClaimRelationsField(serializers.Field):
    """A claim's relations to other claims, from both sides, in the order they were made: preloaded for a
    whole page by ``ClaimListSerializer`` (one query), else read for the one claim."""

    def __init__(self, **kwargs):
        kwargs.update(source="*", read_only=True)
        super().__init__(**kwargs)

    def to_representation(self, claim):
        relations = getattr(claim, "_relations", None)
        if relations is None:
            relations = selectors.claim_relations([claim.pk], using=claim._state.db).get(claim.pk, [])
        prefix = self.__dict__.get("_prefix", False)
        if prefix is False:
            request = self.context.get("request")
            prefix = self.__dict__["_prefix"] = (
                detail_url_prefix("claim-detail", request) if request is not None and not self.context.get("format")
                else None)
        return [relation_on_claim(relation, prefix, self.context) for relation in relations]


def relation_on_claim(relation, prefix, context=None) -> dict:
    relation_type, pk, text, kind = relation
    if prefix is not None:
        url = f"{prefix}{pk}/"
    else:
        url = BriefClaimSerializer(context=context or {}).fields["url"].to_representation(Claim(pk=pk))
    return {"type": relation_type, "claim": {"id": pk, "url": url, "text": text, "kind": kind}}


class ClaimListSerializer(serializers.ListSerializer):
    """A page of claims: their relations read for the whole page in one query."""

    def to_representation(self, data):
        claims = list(data.all() if isinstance(data, models.manager.BaseManager) else data)
        if claims and "relations" in self.child.fields:
            relations = selectors.claim_relations([claim.pk for claim in claims], using=claims[0]._state.db)
            for claim in claims:
                claim._relations = relations.get(claim.pk, [])
        return super().to_representation(claims)


class SpanSerializer(serializers.Serializer):
    start = serializers.IntegerField(help_text="Offset of the first character in the source's text.")
    end = serializers.IntegerField(help_text="Offset just past the last character.")
    exact = serializers.CharField(help_text="The text of the source between start and end, as stored.")


class ClaimSerializer(FactbaseSerializer):
    url = DetailURLField(view_name="claim-detail")
    history_url = history_url_field("claim")
    speaker = BriefRelatedField(BriefActorSerializer, queryset=Actor.objects.all(), help_text="Who made the claim.")
    outlet = BriefRelatedField(
        BriefOutletSerializer, queryset=Outlet.objects.all(), allow_null=True, required=False,
        help_text="Where the statement was made: a broadcaster, a social network, an event.",
    )
    source = BriefRelatedField(BriefSourceSerializer, queryset=Source.objects.all(),
                               help_text="The document that reports the claim.")
    span = SpanSerializer(
        read_only=True, allow_null=True,
        help_text="Where the claim is in the source's text (null when the text is not held, or for a paraphrase "
                  "given without a passage).",
    )
    passage = serializers.CharField(
        source="span_exact", write_only=True, required=False, allow_blank=True, trim_whitespace=False,
        max_length=PASSAGE_MAX_LENGTH,
        help_text="For a paraphrase: the passage of the source's text that reports it (white space, case and "
                  "typographic quotes are ignored when looking for it). For a direct quote, leave it out: the "
                  "quote itself is looked for.",
    )
    span_hint = WholeNumberField(
        write_only=True, required=False, allow_null=True, min_value=0, max_value=2**31 - 1,
        help_text="When the quote or passage occurs more than once in the source: an offset near the intended "
                  "occurrence (the closest one is taken; without a hint, the first).",
    )
    tags = BriefRelatedField(BriefTagSerializer, queryset=Tag.objects.all(), many=True, required=False,
                             help_text="Topics; written as a list of tag ids.")
    status_changed_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True,
        help_text="The username of who last changed the status (verified, disputed, rejected it, or sent it back to "
                  "unverified, by setting it or by an edit); null when it never changed or the user is not known.",
    )
    reviews = BriefReviewSerializer(
        many=True, read_only=True,
        help_text="Verdicts on whether the claim is true, newest `reviewed_on` first (an unknown date last, then by "
                  "id); each in brief, the full review at its `url`.",
    )
    relations = ClaimRelationsField(
        help_text="The claim's relations to other claims, from both sides (written with /claim-relations/).")

    class Meta:
        model = Claim
        list_serializer_class = ClaimListSerializer
        fields = [
            "id", "uid", "url", "history_url", "text", "kind", "speaker", "speaker_role", "stated_on",
            "stated_on_precision", "outlet", "source", "span", "passage", "span_hint", "status", "status_note",
            "verified_at", "status_changed_at", "status_changed_by", "tags", "reviews", "relations", *TIMESTAMPS,
        ]
        read_only_fields = ["uid", "status", "status_note", "verified_at", "status_changed_at", *TIMESTAMPS]
        extra_kwargs = {
            "text": {"trim_whitespace": False},
            "status": {"help_text": "Curation status: did the speaker really say this, as recorded? "
                                    "Set it with POST /claims/{id}/status/."},
            "uid": {"help_text": "The claim's identity across databases, as exports and imports give it (the "
                                 "`uid` of the interchange format)."},
            "verified_at": {"help_text": "When the claim was verified; null unless it is verified. (A new note on a "
                                         "verified claim verifies it again, now.)"},
            "status_changed_at": {"help_text": "When the status last changed (to any status); null when it never "
                                               "changed (a claim created unverified)."},
        }

    def validate(self, attrs):
        errors = {}
        kind = attrs.get("kind", self.instance.kind if self.instance is not None else Claim.Kind.DIRECT_QUOTE)
        if kind == Claim.Kind.DIRECT_QUOTE and attrs.get("span_exact"):
            errors["passage"] = ["A direct quote is looked for in the source by its text: leave passage out."]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class ClaimStatusSerializer(StrictInputMixin, serializers.Serializer):
    status = serializers.ChoiceField(choices=Claim.Status.choices, help_text="The new curation status.")
    note = serializers.CharField(required=False, allow_blank=True, max_length=NOTE_MAX_LENGTH, default="",
                                 help_text="Why: what was checked, or what is wrong.")
    change_reason = change_reason_field()


class ClaimRelationSerializer(FactbaseSerializer):
    """A relation between two claims: `claim` <type> `related_claim`."""

    url = DetailURLField(view_name="claim-relation-detail")
    claim = BriefRelatedField(BriefClaimSerializer, queryset=Claim.objects.all(), help_text="The claim related.")
    related_claim = BriefRelatedField(BriefClaimSerializer, queryset=Claim.objects.all(),
                                      help_text="The claim it is related to.")

    class Meta:
        model = ClaimRelation
        fields = ["id", "url", "claim", "type", "related_claim", *TIMESTAMPS]
        read_only_fields = TIMESTAMPS
        extra_kwargs = {"type": {"help_text": (
            "`claim` is the `same_statement` as `related_claim` (one statement, reported by another source), "
            "`contradicts` it, `responds_to` it, `corrects` it or `repeats` it. `same_statement` and `contradicts` "
            "are symmetric: stored once, whichever way they are written.")}}


class DeleteSerializer(StrictInputMixin, serializers.Serializer):
    """The optional body of a DELETE."""

    change_reason = change_reason_field()


class RevertSerializer(StrictInputMixin, serializers.Serializer):
    history_id = WholeNumberField(min_value=1, max_value=2**31 - 1,
                                  help_text="The version to go back to: a `history_id` from this record's /history/.")
    change_reason = change_reason_field()


class ReviewSerializer(FactbaseSerializer):
    url = DetailURLField(view_name="review-detail")
    history_url = history_url_field("review")
    claim = BriefRelatedField(BriefClaimSerializer, queryset=Claim.objects.all(), help_text="The reviewed claim.")
    reviewer = BriefRelatedField(
        BriefActorSerializer, queryset=Actor.objects.all(), allow_null=True, required=False,
        help_text="Who reviewed the claim; null when the publication names nobody.",
    )
    source = BriefRelatedField(BriefSourceSerializer, queryset=Source.objects.all(), allow_null=True, required=False,
                               help_text="Where the review was published.")

    class Meta:
        model = Review
        fields = ["id", "url", "history_url", "claim", "reviewer", "source", "rating", "rating_text", "summary",
                  "reviewed_on", *TIMESTAMPS]
        read_only_fields = TIMESTAMPS


# --- suggested claims ----------------------------------------------------------------------------

class SuggestionContentSerializer(serializers.Serializer):
    start = serializers.IntegerField(help_text="Offset of the content's first character in the source's text.")
    end = serializers.IntegerField(help_text="Offset just past its last character.")
    text = serializers.CharField(help_text="The content as the source's text has it between start and end: a "
                                           "quote's words (without its quotation marks), or the reported statement.")


class SuggestionSpeakerSerializer(serializers.Serializer):
    mention = serializers.CharField(allow_blank=True, help_text="Who spoke, as the text writes it there (a name, a "
                                                                "title, a pronoun); empty when not found.")
    name = serializers.CharField(allow_blank=True, help_text="The speaker's name: the mention, or the person it "
                                                             "refers to; empty when not known.")
    actor = BriefActorSerializer(allow_null=True, help_text="The actor the name matches (by name and aliases); null: "
                                                            "accepting the suggestion creates an actor named `name`.")


class SuggestionOutletSerializer(serializers.Serializer):
    name = serializers.CharField(allow_blank=True, help_text="The outlet as the text names it (\"told Dozhd TV\"); "
                                                             "empty when it names none.")
    outlet = BriefOutletSerializer(allow_null=True, help_text="The outlet of that name; null when none has it.")


class SuggestionSerializer(serializers.Serializer):
    """One attribution the extractor found in a source's text, proposed as a claim."""

    key = serializers.CharField(help_text="The suggestion's stable key (from its source, span and text): accept or "
                                          "dismiss it by this key. A new key once the source's text changes there.")
    content = SuggestionContentSerializer(help_text="What was said: the span of the source's text.")
    kind = serializers.ChoiceField(choices=Claim.Kind.choices, help_text="A direct quote or a paraphrase.")
    cue = serializers.CharField(allow_blank=True, help_text="The words that attribute it (\"said\", \"told\", "
                                                            "\"according to\"); empty when none was found.")
    speaker = SuggestionSpeakerSerializer(help_text="Who said it.")
    role = serializers.CharField(allow_blank=True, help_text="The speaker's role as the text gives it; may be empty.")
    outlet = SuggestionOutletSerializer(help_text="Where it was said, when the text names it.")
    date_phrase = serializers.CharField(allow_blank=True, help_text="When it was said, as the text words it "
                                                                    "(\"on Friday\"); may be empty.")
    stated_on = serializers.DateField(allow_null=True, help_text="The date the phrase gives, resolved against the "
                                                                 "source's publication date; null when it cannot be.")
    stated_on_precision = serializers.ChoiceField(choices=[("", "None"), *Claim.Precision.choices], allow_blank=True,
                                                  help_text="How precise `stated_on` is; empty when it is null.")
    overlaps = BriefClaimSerializer(many=True, help_text="The source's claims whose spans overlap the content (a "
                                                         "claim of the same passage is not suggested at all).")


class SuggestionListSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="How many suggestions.")
    results = SuggestionSerializer(many=True, help_text="The suggestions, in the order of the text.")


def suggestion_data(suggestion) -> dict:
    """A ``factbase.suggestions.Suggestion`` as ``SuggestionSerializer`` reads it."""
    return {
        "key": suggestion.key,
        "content": {"start": suggestion.content.start, "end": suggestion.content.end, "text": suggestion.content.exact},
        "kind": suggestion.kind, "cue": suggestion.cue,
        "speaker": {"mention": suggestion.speaker_mention, "name": suggestion.speaker_name, "actor": suggestion.actor},
        "role": suggestion.role,
        "outlet": {"name": suggestion.outlet_name, "outlet": suggestion.outlet},
        "date_phrase": suggestion.date_phrase, "stated_on": suggestion.stated_on,
        "stated_on_precision": suggestion.stated_on_precision, "overlaps": list(suggestion.overlaps),
    }


class SuggestionActionSerializer(StrictInputMixin, serializers.Serializer):
    """The optional body of accepting or dismissing a suggestion."""

    change_reason = change_reason_field()


# --- history -------------------------------------------------------------------------------------

class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="The field's name in the database (related records as ids).")
    old = serializers.JSONField(allow_null=True, help_text="The value before (null for a new record).")
    new = serializers.JSONField(allow_null=True, help_text="The value after.")


class HistoryRecordSerializer(serializers.Serializer):
    history_id = serializers.IntegerField(help_text="The id of this version.")
    type = serializers.ChoiceField(choices=["created", "changed", "deleted"], help_text="What happened.")
    date = serializers.DateTimeField(help_text="When.")
    user = serializers.CharField(allow_null=True, help_text="The username of who did it; null when not recorded.")
    reason = serializers.CharField(allow_blank=True, help_text="Why, when a reason was recorded.")
    changes = FieldChangeSerializer(many=True, help_text="Each field that changed, from what to what.")


class ChangeSerializer(serializers.Serializer):
    """One change in the feed (GET /changes/, api/changes.py)."""

    id = serializers.IntegerField(help_text="The change's place in the feed (`?after=` starts after it).")
    resource = serializers.CharField(help_text="The resource of the record: `claims`, `actors`, ... as in its URL.")
    object_id = serializers.IntegerField(help_text="The record's id.")
    url = serializers.URLField(
        allow_null=True,
        help_text="The record's address in this API, for every change, its delete included (the address then "
                  "answers 404: a mirror deletes the record it keeps under it).")
    history_url = serializers.URLField(allow_null=True, help_text="The record's history.")
    history_id = serializers.IntegerField(
        help_text="The version's id in the record's history. For one record, a greater `history_id` is always a "
                  "later version: a mirror may skip a change older than the version it holds.")
    type = serializers.ChoiceField(choices=["created", "changed", "deleted"], help_text="What happened.")
    date = serializers.DateTimeField(help_text="When the change was written (not when it was committed).")
    user = serializers.CharField(allow_null=True,
                                 help_text="The username of who did it; null when not recorded or withheld.")
    reason = serializers.CharField(allow_null=True, allow_blank=True,
                                   help_text="Why, when a reason was recorded; null when withheld.")
    changes = FieldChangeSerializer(
        many=True, allow_null=True,
        help_text="Each field that changed, from what to what (as in the record's history); empty for a delete. "
                  "Null when withheld: the record was deleted since and its contents are not for this user "
                  "(`DJANGO_API_HISTORY_ACCESS`).")
