"""Tags: the topics that group claims."""

from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from .base import FoldedNamesField, TimeStampedModel


class Tag(TimeStampedModel):
    """A topic (a crisis, a country) that groups claims."""

    name = models.CharField(max_length=100, unique=True,
                            error_messages={"unique": "A tag with this name already exists."})
    slug = models.SlugField(max_length=100, unique=True, allow_unicode=False,
                            error_messages={"unique": "A tag with this slug already exists."})
    description = models.CharField(max_length=500, blank=True)
    names_folded = FoldedNamesField(of=("name", "slug"))

    history = HistoricalRecords(excluded_fields=["names_folded"])

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["updated_at", "id"], name="tag_updated_at_id"),  # ordering=updated_at
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(name="") & ~Q(slug=""), name="tag_name_slug_not_empty"),
        ]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.slug,)
