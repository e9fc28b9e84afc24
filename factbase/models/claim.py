"""Claims: who said what, when, where, according to which source; their kinds, date precisions, statuses
and history."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Cast, ExtractDay, ExtractMonth, Length
from django.db.models.lookups import Exact, LessThanOrEqual
from simple_history.models import HistoricalRecords

from factbase import provenance

from .base import RandomUUID, TimeStampedModel, date_sort_key
from .limits import CLAIM_TEXT_MAX_LENGTH, NOTE_MAX_LENGTH, PASSAGE_MAX_LENGTH


def _day_of(field):
    # The cast types the value when Django checks the constraint in Python with a NULL date;
    # PostgreSQL cannot choose an EXTRACT for an untyped NULL.
    return ExtractDay(Cast(field, output_field=models.DateField()))


def _month_of(field):
    return ExtractMonth(Cast(field, output_field=models.DateField()))


class ClaimKind(models.TextChoices):
    DIRECT_QUOTE = "direct_quote", "Direct quote"
    PARAPHRASE = "paraphrase", "Paraphrase"


class ClaimPrecision(models.TextChoices):
    DAY = provenance.Precision.DAY, "Day"
    MONTH = provenance.Precision.MONTH, "Month"
    YEAR = provenance.Precision.YEAR, "Year"


class ClaimStatus(models.TextChoices):
    UNVERIFIED = "unverified", "Unverified"
    VERIFIED = "verified", "Verified"
    DISPUTED = "disputed", "Disputed"
    REJECTED = "rejected", "Rejected"


class ClaimHistory(HistoricalRecords):
    """A claim's history (django-simple-history), also left on the model as ``Claim.history_records`` so
    that the services can write one record for a change of a claim's fields and tags together
    (``services.claims._save_claim``): on its own, simple-history records the tags' change apart."""

    def contribute_to_class(self, cls, name):
        super().contribute_to_class(cls, name)
        cls.history_records = self


class Claim(TimeStampedModel):
    """One attributed statement: who said what, when, where, according to which source."""

    Kind = ClaimKind
    Precision = ClaimPrecision
    Status = ClaimStatus
    # Changing any of these on a verified claim changes what was verified: it goes back to unverified.
    ATTRIBUTION_FIELDS = ("text", "kind", "speaker", "speaker_role", "stated_on", "stated_on_precision", "source")

    # A claim's identity across databases: exports carry it, and an import that meets it again updates
    # that claim instead of adding another (see factbase/interchange/). Never changes.
    uid = models.UUIDField("UID", default=uuid.uuid4, db_default=RandomUUID(), unique=True, editable=False,
                           error_messages={"unique": "Another claim has this UID."})

    # The FKs' own indexes are the leading columns of the (speaker|outlet|source, date, id) indexes.
    speaker = models.ForeignKey("factbase.Actor", on_delete=models.PROTECT, related_name="claims", db_index=False)
    speaker_role = models.CharField(
        max_length=300, blank=True,
        help_text="The speaker's role at the time of the statement, as the source gives it.",
    )
    text = models.TextField(
        max_length=CLAIM_TEXT_MAX_LENGTH, validators=[MaxLengthValidator(CLAIM_TEXT_MAX_LENGTH)],
        help_text="What was said: the exact words for a direct quote.",
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.DIRECT_QUOTE)
    stated_on = models.DateField(
        null=True, blank=True,
        help_text="When it was said. For month or year precision, the first day of that month or year.",
    )
    stated_on_precision = models.CharField(
        "precision", max_length=5, choices=Precision.choices, blank=True,
        help_text="How precisely the source dates the statement. Empty when the date is unknown.",
    )
    outlet = models.ForeignKey(
        "factbase.Outlet", on_delete=models.PROTECT, null=True, blank=True, related_name="claims", db_index=False,
        help_text="Where the statement was made: a broadcaster, a social network, an event.",
    )
    source = models.ForeignKey(
        "factbase.Source", on_delete=models.PROTECT, related_name="claims", db_index=False,
        help_text="The document that reports the claim.",
    )
    span_start = models.PositiveIntegerField(null=True, blank=True, editable=False)
    span_end = models.PositiveIntegerField(null=True, blank=True, editable=False)
    span_exact = models.TextField(
        "passage", blank=True,
        help_text=(
            "For a paraphrase, the passage of the source text that reports it (optional). "
            "For a direct quote it is found from the quote itself."
        ),
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.UNVERIFIED)
    status_note = models.TextField(blank=True, max_length=NOTE_MAX_LENGTH,
                                   validators=[MaxLengthValidator(NOTE_MAX_LENGTH)],
                                   help_text="Why the status was last changed.")
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="verified_claims", editable=False,
    )
    verified_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When the status last changed to what it is, and who changed it (any status: who disputed or rejected
    # it, who sent it back to unverified). Null for a claim whose status never changed (created unverified).
    # Kept out of the history: they are what the history says (the latest version whose status differs
    # from the version before it), written with that version's date and user; check_integrity checks it.
    status_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="status_changed_claims", editable=False,
    )
    tags = models.ManyToManyField("factbase.Tag", blank=True, related_name="claims")

    history = ClaimHistory(m2m_fields=[tags], excluded_fields=["uid", "status_changed_at", "status_changed_by"])

    class Meta:
        ordering = ["-stated_on", "-id"]
        permissions = [("verify_claim", "Can verify, dispute or reject claims")]
        indexes = [
            models.Index(fields=["updated_at", "id"], name="claim_updated_at_id"),  # ordering=updated_at
            # Each list ordering and each selective filter of the API has an index whose order is the
            # API's keyset order (a date, an unknown date sorting as the earliest, then id), so a page
            # is read straight from the index wherever it is in the table.
            models.Index(date_sort_key("stated_on").desc(), F("id").desc(), name="claim_stated_key_id"),
            models.Index(fields=["-created_at", "-id"], name="claim_created_at_id"),
            models.Index(F("speaker"), date_sort_key("stated_on").desc(), F("id").desc(),
                         name="claim_speaker_stated_key"),
            models.Index(F("outlet"), date_sort_key("stated_on").desc(), F("id").desc(),
                         name="claim_outlet_stated_key"),
            models.Index(F("source"), date_sort_key("stated_on").desc(), F("id").desc(),
                         name="claim_source_stated_key"),
            models.Index(F("status"), date_sort_key("stated_on").desc(), F("id").desc(),
                         name="claim_status_stated_key"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ClaimKind.values), name="claim_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=ClaimStatus.values), name="claim_status_valid"),
            models.CheckConstraint(condition=~Q(text=""), name="claim_text_not_empty",
                                   violation_error_message="A claim needs its text."),
            models.CheckConstraint(condition=Q(LessThanOrEqual(Length("text"), CLAIM_TEXT_MAX_LENGTH)),
                                   name="claim_text_max_length",
                                   violation_error_message=f"A claim's text has at most {CLAIM_TEXT_MAX_LENGTH} "
                                                           f"characters."),
            models.CheckConstraint(condition=Q(LessThanOrEqual(Length("status_note"), NOTE_MAX_LENGTH)),
                                   name="claim_status_note_max_length",
                                   violation_error_message=f"A status note has at most {NOTE_MAX_LENGTH} characters."),
            # A date has a precision, and no precision stands without a date.
            models.CheckConstraint(
                condition=(
                    (Q(stated_on__isnull=True) & Q(stated_on_precision=""))
                    | (Q(stated_on__isnull=False) & Q(stated_on_precision__in=ClaimPrecision.values))
                ),
                name="claim_precision_valid",
                violation_error_message="A date needs a precision (day, month or year), and a precision needs a date.",
            ),
            # Month and year precision store the first day of the period, so dates compare and sort.
            models.CheckConstraint(
                condition=~Q(stated_on_precision=ClaimPrecision.MONTH) | Q(Exact(_day_of("stated_on"), 1)),
                name="claim_month_precision_first_day",
                violation_error_message="With month precision, the date is the first day of the month.",
            ),
            models.CheckConstraint(
                condition=(
                    ~Q(stated_on_precision=ClaimPrecision.YEAR)
                    | (Q(Exact(_day_of("stated_on"), 1)) & Q(Exact(_month_of("stated_on"), 1)))
                ),
                name="claim_year_precision_first_day",
                violation_error_message="With year precision, the date is January 1 of the year.",
            ),
            # A span is all or nothing, non-empty, and its text is exactly as long as the slice.
            models.CheckConstraint(
                condition=(
                    (Q(span_start__isnull=True) & Q(span_end__isnull=True) & Q(span_exact=""))
                    | (
                        Q(span_start__isnull=False) & Q(span_end__isnull=False)
                        & Q(span_start__gte=0) & Q(span_start__lt=F("span_end"))
                        & Q(span_end=F("span_start") + Length("span_exact"))
                    )
                ),
                name="claim_span_valid",
                violation_error_message="A span has a start before its end, and its text is exactly that long.",
            ),
            models.CheckConstraint(
                condition=(
                    (Q(status="verified") & Q(verified_at__isnull=False))
                    | (~Q(status="verified") & Q(verified_at__isnull=True) & Q(verified_by__isnull=True))
                ),
                name="claim_verified_has_time",
                violation_error_message="A verified claim records when it was verified; only a verified one does.",
            ),
            # Any other status than the initial one was set by someone at some time; a claim never changed
            # has neither (and a user without a time is never recorded).
            models.CheckConstraint(
                condition=(
                    (Q(status="unverified") | Q(status_changed_at__isnull=False))
                    & (Q(status_changed_by__isnull=True) | Q(status_changed_at__isnull=False))
                ),
                name="claim_status_changed_has_time",
                violation_error_message="A claim whose status was changed records when; a user is recorded with "
                                        "a time.",
            ),
        ]

    def __str__(self):
        return self.text if len(self.text) <= 80 else self.text[:79] + "…"

    @property
    def span(self):
        if self.span_start is None:
            return None
        return provenance.Span(self.span_start, self.span_end, self.span_exact)

    def clean(self):
        super().clean()
        errors = {}
        if self.kind == self.Kind.PARAPHRASE and len(self.span_exact or "") > PASSAGE_MAX_LENGTH:
            errors["span_exact"] = (f"A passage has at most {PASSAGE_MAX_LENGTH} characters "
                                    f"(this has {len(self.span_exact)}).")
        if self.stated_on_precision and self.stated_on is None:
            errors["stated_on"] = "Give the date, or leave the precision empty."
        elif self.stated_on is not None and not self.stated_on_precision:
            errors["stated_on_precision"] = "Say how precise the date is: day, month or year."
        elif self.stated_on is not None and provenance.truncate_date(self.stated_on, self.stated_on_precision) != self.stated_on:
            errors["stated_on"] = (
                "With month precision, enter the first day of the month; with year precision, January 1."
            )
        if self.text and not self.text.strip():
            errors["text"] = "A claim needs its text."
        too_long = len(self.text or "") > CLAIM_TEXT_MAX_LENGTH  # refused by the field; not looked for
        if self.source_id is not None and not too_long and "text" not in errors and "span_exact" not in errors:
            errors.update(self._locate_span())
        if errors:
            raise ValidationError(errors)

    def _locate_span(self):
        """Find the claim in its source's text and store the span; the errors, by field."""
        source_text = self.source.text
        if self.kind == self.Kind.DIRECT_QUOTE:
            wanted, field = self.text, "text"
        else:
            wanted, field = self.span_exact, "span_exact"
        if not source_text:
            if self.kind == self.Kind.PARAPHRASE and self.span_exact:
                return {"span_exact": "The source's text is not held, so a passage cannot be located in it."}
            self.span_start = self.span_end = None
            self.span_exact = ""
            return {}
        if not wanted or not wanted.strip():
            # A paraphrase need not point at a passage.
            self.span_start = self.span_end = None
            self.span_exact = ""
            return {}
        found = provenance.find_quote(source_text, wanted, near=self.span_start)
        if found is None:
            what = "This quote" if field == "text" else "This passage"
            return {field: f"{what} does not occur in the source text (white space, case and "
                           f"typographic quotes are ignored when looking). Check it against the source."}
        self.span_start, self.span_end, self.span_exact = found.start, found.end, found.exact
        return {}
