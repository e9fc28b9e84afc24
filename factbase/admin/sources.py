"""The admin of sources: a source's change page is the editor's workbench, with its suggested claims."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db import models

from factbase import selectors
from factbase.admin.base import LinesField, ServiceModelAdmin, ServiceModelForm, count_of
from factbase.admin.record_claims import count_link
from factbase.admin.suggestions import SourceSuggestionsMixin
from factbase.admin.workbench import SourceWorkbenchAdmin
from factbase.models import Claim, Source


class SourceForm(ServiceModelForm):
    authors = LinesField(label="Authors", rows=3, help_text="The authors the document names, one a line.")

    class Meta:
        model = Source
        fields = ["authors", "text"]  # the admin's fieldsets add the others
        widgets = {
            "text": forms.Textarea(attrs={"rows": 30, "cols": 100, "class": "vLargeTextField factbase-source-text"}),
        }


@admin.register(Source)
class SourceAdmin(SourceWorkbenchAdmin, SourceSuggestionsMixin, ServiceModelAdmin):
    """A source; its change page is the editor's workbench (``factbase.admin.workbench``), with the
    source's suggested claims (``factbase.admin.suggestions``)."""

    service_name = "source"
    form = SourceForm
    list_display = ["display_title", "outlet", "published_on", "language", "claim_count"]
    list_filter = ["language", "outlet"]
    list_select_related = ["outlet"]
    search_fields = ["title", "url", "text"]
    search_help_text = "Search titles, URLs and texts, and the date of an untitled source as its name shows it."
    autocomplete_fields = ["outlet"]
    date_hierarchy = "published_on"
    changelist_defer = ("text",)
    # The fields, in sections: SourceWorkbenchAdmin.get_fieldsets.

    class Media:
        css = {"all": ["factbase/admin.css", "factbase/workbench.css"]}
        js = ["factbase/workbench.js"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(claim_count=count_of(Claim, "source"))

    def search_word_also(self, word: str) -> models.Q | None:
        # "Untitled source of 2022-01-08" is found by what it shows, in the list and in autocompletes.
        return selectors.source_label_matches(word)

    @admin.display(description="Source", ordering="title")
    def display_title(self, obj):
        return obj.display_title

    @admin.display(description="Claims", ordering="claim_count")
    def claim_count(self, obj):
        return count_link(obj.claim_count, "source__id__exact", obj.pk)
