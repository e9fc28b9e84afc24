"""Relations between claims (same statement, contradicts, responds to, corrects, repeats), read from
either side."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Greatest, Least
from simple_history.models import HistoricalRecords

from .base import TimeStampedModel


class ClaimRelationType(models.TextChoices):
    """How one claim relates to another, read "``claim`` <type> ``related_claim``".

    Two are symmetric: ``same_statement`` (one statement reported by two sources) and ``contradicts``
    (two statements that cannot both be true: if A contradicts B, B contradicts A; it says nothing about
    who spoke first, which is what ``responds_to`` and ``corrects`` are for). The other three are
    directed, and seen from the related claim they read with their inverse (``INVERSE``).
    """

    SAME_STATEMENT = "same_statement", "Same statement as"
    CONTRADICTS = "contradicts", "Contradicts"
    RESPONDS_TO = "responds_to", "Responds to"
    CORRECTS = "corrects", "Corrects"
    REPEATS = "repeats", "Repeats"


SYMMETRIC_TYPES = (ClaimRelationType.SAME_STATEMENT, ClaimRelationType.CONTRADICTS)

#: a directed type as the related claim sees it (as Wikibase pairs "follows" with "followed by")
INVERSE = {
    ClaimRelationType.RESPONDS_TO: "responded_to_by",
    ClaimRelationType.CORRECTS: "corrected_by",
    ClaimRelationType.REPEATS: "repeated_by",
}

#: every type a claim's ``relations`` may show: the stored types, and the inverse of the directed ones
SHOWN_TYPES = [*ClaimRelationType.values, *INVERSE.values()]


def shown_type(relation_type: str, *, from_related: bool) -> str:
    """The type of a relation as the claim on one side sees it: the related claim reads a directed type
    by its inverse; a symmetric type reads the same from both sides."""
    return INVERSE.get(relation_type, relation_type) if from_related else relation_type


class ClaimRelation(TimeStampedModel):
    """A relation between two claims: ``claim`` same_statement / contradicts / responds_to / corrects /
    repeats ``related_claim``.

    A relation links two different claims, and is recorded once: a directed type once for each
    (claim, related claim) pair, a symmetric type once for each pair whichever way it was entered (A
    contradicts B is B contradicts A). Deleting a claim deletes its relations (``services.claim_delete``
    records each in its history): a relation says something about the claims it links, and nothing
    once one of them is gone.
    """

    Type = ClaimRelationType

    claim = models.ForeignKey("factbase.Claim", on_delete=models.CASCADE, related_name="relations_from",
                              db_index=False)
    related_claim = models.ForeignKey("factbase.Claim", on_delete=models.CASCADE, related_name="relations_to")
    type = models.CharField(max_length=20, choices=ClaimRelationType.choices)

    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(type__in=ClaimRelationType.values), name="claim_relation_type_valid"),
            models.CheckConstraint(condition=~Q(claim=F("related_claim")), name="claim_relation_not_itself",
                                   violation_error_message="A claim cannot be related to itself."),
            # The leading (claim) column also serves "the relations of a claim" (its FK index).
            models.UniqueConstraint(fields=["claim", "related_claim", "type"], name="claim_relation_unique",
                                    violation_error_message="These claims already have this relation."),
            models.UniqueConstraint(
                Least("claim", "related_claim"), Greatest("claim", "related_claim"), "type",
                condition=Q(type__in=SYMMETRIC_TYPES), name="claim_relation_symmetric_unique",
                violation_error_message="These claims already have this relation (entered the other way round).",
            ),
        ]
        indexes = [
            models.Index(fields=["updated_at", "id"], name="claimrelation_updated_at_id"),  # ordering=updated_at
        ]

    def __str__(self):
        return f"#{self.claim_id} {self.type} #{self.related_claim_id}"

    def clean(self):
        super().clean()
        if self.claim_id is not None and self.claim_id == self.related_claim_id:
            raise ValidationError({"related_claim": "A claim cannot be related to itself."})
