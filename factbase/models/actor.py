"""Actors: who can make a claim, a person or an organization."""

from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from .base import FoldedNamesField, StringListField, TimeStampedModel
from .limits import NAME_MAX_LENGTH

WIKIDATA_ID_REGEX = r"^Q[1-9][0-9]*\Z"  # \Z, not $: $ also matches before a final newline


class ActorKind(models.TextChoices):
    PERSON = "person", "Person"
    ORGANIZATION = "organization", "Organization"


class Actor(TimeStampedModel):
    """Who can make a claim: a person or an organization (a police force, a TV channel, an alliance)."""

    Kind = ActorKind

    name = models.CharField(max_length=NAME_MAX_LENGTH, help_text="The name the actor is best known by.")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.PERSON)
    aliases = StringListField(help_text="Other names the actor goes by, e.g. a surname alone or another spelling.")
    description = models.CharField(max_length=500, blank=True, help_text="A short description.")
    wikidata_id = models.CharField(
        "Wikidata id", max_length=20, blank=True,
        help_text="The Wikidata item, e.g. Q123. Leave empty when unknown.",
    )
    names_folded = FoldedNamesField(of=("name", "aliases"))

    history = HistoricalRecords(excluded_fields=["names_folded"])

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["updated_at", "id"], name="actor_updated_at_id"),  # ordering=updated_at
        ]
        constraints = [
            models.UniqueConstraint(fields=["name", "kind"], name="actor_name_kind_unique",
                                    violation_error_message="An actor of this kind with this name already exists."),
            models.UniqueConstraint(fields=["wikidata_id"], condition=~Q(wikidata_id=""),
                                    name="actor_wikidata_id_unique",
                                    violation_error_message="Another actor has this Wikidata id."),
            models.CheckConstraint(condition=Q(wikidata_id="") | Q(wikidata_id__regex=WIKIDATA_ID_REGEX),
                                   name="actor_wikidata_id_format",
                                   violation_error_message="A Wikidata id is Q followed by digits, e.g. Q123."),
            models.CheckConstraint(condition=Q(kind__in=ActorKind.values), name="actor_kind_valid"),
            models.CheckConstraint(condition=~Q(name=""), name="actor_name_not_empty"),
        ]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.name, self.kind)
