"""Reviews: a verdict on whether a claim is true, after schema.org's ClaimReview."""

from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from simple_history.models import HistoricalRecords

from .base import TimeStampedModel, date_sort_key
from .limits import SUMMARY_MAX_LENGTH


class ReviewRating(models.TextChoices):
    # The first five are a scale from worst to best; the last two are verdicts off that scale.
    FALSE = "false", "False"
    MOSTLY_FALSE = "mostly_false", "Mostly false"
    MIXED = "mixed", "Mixed"
    MOSTLY_TRUE = "mostly_true", "Mostly true"
    TRUE = "true", "True"
    UNSUPPORTED = "unsupported", "Unsupported (no evidence)"
    MISLEADING = "misleading", "Misleading"


class Review(TimeStampedModel):
    """A verdict on whether a claim is true, after schema.org's ClaimReview.

    This is about veracity (is what they said true?), kept apart from a claim's curation status
    (did they really say it?). A claim may have many reviews.
    """

    Rating = ReviewRating

    claim = models.ForeignKey("factbase.Claim", on_delete=models.PROTECT, related_name="reviews")
    reviewer = models.ForeignKey(
        "factbase.Actor", on_delete=models.PROTECT, null=True, blank=True, related_name="reviews_written",
        help_text="Who reviewed the claim; empty when the publication names nobody.",
    )
    source = models.ForeignKey(
        "factbase.Source", on_delete=models.PROTECT, null=True, blank=True, related_name="reviews",
        help_text="Where the review was published.",
    )
    rating = models.CharField(max_length=20, choices=Rating.choices)
    rating_text = models.CharField(
        "reviewer's wording", max_length=500, blank=True,
        help_text="The rating in the reviewer's own words, e.g. “there is no evidence”.",
    )
    summary = models.TextField(blank=True, max_length=SUMMARY_MAX_LENGTH,
                               validators=[MaxLengthValidator(SUMMARY_MAX_LENGTH)])
    reviewed_on = models.DateField(null=True, blank=True, help_text="When the review was published.")

    history = HistoricalRecords()

    class Meta:
        ordering = ["-reviewed_on", "-id"]
        indexes = [
            models.Index(fields=["updated_at", "id"], name="review_updated_at_id"),  # ordering=updated_at
            # The API's keyset ordering: an unknown date sorts as the earliest.
            models.Index(date_sort_key("reviewed_on").desc(), F("id").desc(), name="review_reviewed_key_id"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(rating__in=ReviewRating.values), name="review_rating_valid"),
            models.CheckConstraint(condition=Q(reviewer__isnull=False) | Q(source__isnull=False),
                                   name="review_has_reviewer_or_source",
                                   violation_error_message="A review names its reviewer or where it was published."),
            models.CheckConstraint(condition=Q(LessThanOrEqual(Length("summary"), SUMMARY_MAX_LENGTH)),
                                   name="review_summary_max_length",
                                   violation_error_message=f"A summary has at most {SUMMARY_MAX_LENGTH} characters."),
        ]

    def __str__(self):
        return f"{self.get_rating_display()}: {self.claim}"
