"""Outlets: where a statement was made or published."""

from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from .base import FoldedNamesField, TimeStampedModel


class OutletKind(models.TextChoices):
    NEWSPAPER = "newspaper", "Newspaper"
    MAGAZINE = "magazine", "Magazine"
    BROADCASTER = "broadcaster", "Broadcaster (TV or radio)"
    NEWS_AGENCY = "news_agency", "News agency"
    WEBSITE = "website", "Website"
    SOCIAL_NETWORK = "social_network", "Social network"
    PRESS_CONFERENCE = "press_conference", "Press conference"
    EVENT = "event", "Event"
    OTHER = "other", "Other"


class Outlet(TimeStampedModel):
    """Where a statement was made or published: a newspaper, a broadcaster, a social network, an event."""

    Kind = OutletKind

    name = models.CharField(max_length=200, unique=True,
                            error_messages={"unique": "An outlet with this name already exists."})
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    url = models.URLField("URL", max_length=2000, blank=True)
    description = models.CharField(max_length=500, blank=True)
    names_folded = FoldedNamesField(of=("name",))

    history = HistoricalRecords(excluded_fields=["names_folded"])

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["updated_at", "id"], name="outlet_updated_at_id"),  # ordering=updated_at
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=OutletKind.values), name="outlet_kind_valid"),
            models.CheckConstraint(condition=~Q(name=""), name="outlet_name_not_empty"),
        ]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.name,)
