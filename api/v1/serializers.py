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
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from api.fields import BriefRelatedField, DetailURLField, IsoDateField, NameListField, WholeNumberField
from api.serializers import StrictInputMixin
from factbase.models import Actor, Claim, Outlet, Review, Source, Tag
from factbase.models.limits import NOTE_MAX_LENGTH, PASSAGE_MAX_LENGTH

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
}


class FactbaseSerializer(StrictInputMixin, serializers.ModelSerializer):
    """A write stores every field it is sent, or is refused (400) naming the field: a field this record does not
    have, or a read-only field sent with another value than the record's (sending back what was read is fine).
    Dates are written YYYY-MM-DD."""

    read_only_reasons = READ_ONLY_REASONS
    serializer_field_mapping = {**serializers.ModelSerializer.serializer_field_mapping, models.DateField: IsoDateField}

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            field.validators = [v for v in field.validators if not isinstance(v, UniqueValidator)]
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


# --- full forms ----------------------------------------------------------------------------------

TIMESTAMPS = ["created_at", "updated_at"]


class ActorSerializer(FactbaseSerializer):
    url = DetailURLField(view_name="actor-detail")
    aliases = NameListField(help_text="Other names the actor goes by, e.g. a surname alone or another spelling.")

    class Meta:
        model = Actor
        fields = ["id", "url", "name", "kind", "aliases", "description", "wikidata_id", *TIMESTAMPS]
        read_only_fields = TIMESTAMPS


class OutletSerializer(FactbaseSerializer):
    url = DetailURLField(view_name="outlet-detail")
    website = serializers.URLField(source="url", max_length=2000, required=False, allow_blank=True,
                                   help_text="The outlet's own website, when it has one.")

    class Meta:
        model = Outlet
        fields = ["id", "url", "name", "kind", "website", "description", *TIMESTAMPS]
        read_only_fields = TIMESTAMPS


class TagSerializer(FactbaseSerializer):
    url = DetailURLField(view_name="tag-detail")

    class Meta:
        model = Tag
        fields = ["id", "url", "name", "slug", "description", *TIMESTAMPS]
        read_only_fields = TIMESTAMPS


class SourceSerializer(FactbaseSerializer):
    url = DetailURLField(view_name="source-detail")
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
        fields = ["id", "url", "title", "display_title", "document_url", "outlet", "authors", "published_on",
                  "language", "text", *TIMESTAMPS]
        read_only_fields = TIMESTAMPS


class SourceWithoutTextSerializer(SourceSerializer):
    """A source in a list: everything but its full text (read one source for that)."""

    class Meta(SourceSerializer.Meta):
        fields = [name for name in SourceSerializer.Meta.fields if name != "text"]


class SpanSerializer(serializers.Serializer):
    start = serializers.IntegerField(help_text="Offset of the first character in the source's text.")
    end = serializers.IntegerField(help_text="Offset just past the last character.")
    exact = serializers.CharField(help_text="The text of the source between start and end, as stored.")


class ClaimSerializer(FactbaseSerializer):
    url = DetailURLField(view_name="claim-detail")
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

    class Meta:
        model = Claim
        fields = [
            "id", "uid", "url", "text", "kind", "speaker", "speaker_role", "stated_on", "stated_on_precision", "outlet",
            "source", "span", "passage", "span_hint", "status", "status_note", "verified_at", "tags", *TIMESTAMPS,
        ]
        read_only_fields = ["uid", "status", "status_note", "verified_at", *TIMESTAMPS]
        extra_kwargs = {
            "text": {"trim_whitespace": False},
            "status": {"help_text": "Curation status: did the speaker really say this, as recorded? "
                                    "Set it with POST /claims/{id}/status/."},
            "uid": {"help_text": "The claim's identity across databases, as exports and imports give it (the "
                                 "`uid` of the interchange format)."},
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


class ReviewSerializer(FactbaseSerializer):
    url = DetailURLField(view_name="review-detail")
    claim = BriefRelatedField(BriefClaimSerializer, queryset=Claim.objects.all(), help_text="The reviewed claim.")
    reviewer = BriefRelatedField(
        BriefActorSerializer, queryset=Actor.objects.all(), allow_null=True, required=False,
        help_text="Who reviewed the claim; null when the publication names nobody.",
    )
    source = BriefRelatedField(BriefSourceSerializer, queryset=Source.objects.all(), allow_null=True, required=False,
                               help_text="Where the review was published.")

    class Meta:
        model = Review
        fields = ["id", "url", "claim", "reviewer", "source", "rating", "rating_text", "summary", "reviewed_on",
                  *TIMESTAMPS]
        read_only_fields = TIMESTAMPS


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
