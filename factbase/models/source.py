"""Sources: the document a claim was learned from, with its full text."""

from django.core.validators import MaxLengthValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from simple_history.models import HistoricalRecords

from .base import FoldedNamesField, StringListField, TimeStampedModel, date_sort_key
from .limits import SOURCE_TEXT_MAX_LENGTH

LANGUAGE_REGEX = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*\Z"  # \Z, not $: $ also matches before a final newline


class Source(TimeStampedModel):
    """The document a claim was learned from: an article, a transcript.

    Only what the document itself gives is recorded: an unknown URL, author or outlet stays empty.
    """

    title = models.CharField(max_length=500, blank=True,
                             help_text="The document's own title; empty when it gives none.")
    url = models.URLField("URL", max_length=2000, blank=True,
                          help_text="Where the document is published; empty when unknown.")
    outlet = models.ForeignKey("factbase.Outlet", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="sources", help_text="Who published it, when known.")
    authors = StringListField(help_text="The authors the document names.")
    published_on = models.DateField(null=True, blank=True)
    language = models.CharField(
        max_length=16, blank=True, validators=[RegexValidator(LANGUAGE_REGEX, "Enter a language code such as en or pt-BR.")],
        help_text="Language code (BCP 47), e.g. en, ru, pt-BR.",
    )
    text = models.TextField(
        blank=True, max_length=SOURCE_TEXT_MAX_LENGTH, validators=[MaxLengthValidator(SOURCE_TEXT_MAX_LENGTH)],
        help_text="The document's full text, when we hold it. Claim spans point into it.",
    )
    names_folded = FoldedNamesField(of=("title", "url"))

    history = HistoricalRecords(excluded_fields=["names_folded"])

    class Meta:
        ordering = ["-published_on", "-id"]
        indexes = [
            models.Index(fields=["updated_at", "id"], name="source_updated_at_id"),  # ordering=updated_at
            # The API's keyset ordering (an unknown date sorts as the earliest) and its language filter.
            models.Index(date_sort_key("published_on").desc(), F("id").desc(), name="source_published_key_id"),
            models.Index(fields=["language"], name="source_language"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["url"], condition=~Q(url=""), name="source_url_unique",
                                    violation_error_message="Another source has this URL."),
            models.CheckConstraint(condition=~Q(title="") | ~Q(url="") | ~Q(text=""),
                                   name="source_identifiable",
                                   violation_error_message="A source needs a title, a URL or its text."),
            models.CheckConstraint(condition=Q(LessThanOrEqual(Length("text"), SOURCE_TEXT_MAX_LENGTH)),
                                   name="source_text_max_length",
                                   violation_error_message=f"A source's text has at most {SOURCE_TEXT_MAX_LENGTH} "
                                                           f"characters."),
        ]

    def __str__(self):
        return self.title_of(self.title, self.url, self.published_on)

    @staticmethod
    def title_of(title: str, url: str, published_on) -> str:
        """What a source is called: its title, else its URL, else its date (never empty). The API's
        readers call this with a row's columns, without a model instance."""
        if title:
            return title
        if url:
            return url
        if published_on:
            return f"Untitled source of {published_on.isoformat()}"
        return "Untitled source"

    @property
    def display_title(self):
        return str(self)
