"""The admin of reviews (fact-checks of a claim), and their inline on a claim's page."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db import models
from django.utils.text import Truncator

from factbase.admin.base import ServiceInline, ServiceModelAdmin
from factbase.models import Review


class ReviewInline(ServiceInline, admin.StackedInline):
    model = Review
    fk_name = "claim"
    extra = 0
    autocomplete_fields = ["reviewer", "source"]
    fields = [("rating", "rating_text"), ("reviewer", "source", "reviewed_on"), "summary"]
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 80})}}


@admin.register(Review)
class ReviewAdmin(ServiceModelAdmin):
    service_name = "review"
    list_display = ["claim_text", "rating", "rating_text", "reviewer", "source", "reviewed_on"]
    list_filter = ["rating", "reviewed_on"]
    list_select_related = ["claim", "reviewer", "source"]
    changelist_defer = ("source__text",)
    search_fields = ["claim__text", "reviewer__name", "rating_text", "summary"]
    autocomplete_fields = ["claim", "reviewer", "source"]
    fields = ["claim", "rating", "rating_text", "reviewer", "source", "reviewed_on", "summary"]

    @admin.display(description="Claim", ordering="claim__text")
    def claim_text(self, obj):
        return Truncator(obj.claim.text).chars(80)
