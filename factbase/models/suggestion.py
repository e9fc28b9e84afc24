"""An editor's dismissal of a suggested claim, so that the suggestion is not offered again."""

from django.conf import settings
from django.db import models

from .limits import CHANGE_REASON_MAX_LENGTH, CLAIM_TEXT_MAX_LENGTH


class SuggestionDismissal(models.Model):
    """An editor's "no" to a suggested claim (``factbase.suggestions``): that suggestion of this source is
    not proposed again. ``key`` is the suggestion's key (its source, span and text); ``content`` its text,
    so that the same words are not proposed again after an edit of the source's text moved them.

    Not a record of the domain: no history, not in the change feed; deleted with its source."""

    source = models.ForeignKey("factbase.Source", on_delete=models.CASCADE, related_name="suggestion_dismissals")
    key = models.CharField(max_length=64)
    content = models.TextField(max_length=CLAIM_TEXT_MAX_LENGTH, help_text="The suggestion's content, as written.")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="suggestion_dismissals")
    reason = models.CharField(max_length=CHANGE_REASON_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "key"], name="suggestion_dismissal_source_key_unique",
                                    violation_error_message="This suggestion is dismissed already."),
        ]

    def __str__(self):
        return f"Dismissed suggestion {self.key} of source #{self.source_id}"
