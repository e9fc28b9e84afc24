"""The admins of the records a claim names: actors, outlets and tags, each with its claims."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode

from factbase.admin.base import LinesField, ServiceModelAdmin, ServiceModelForm, count_of
from factbase.admin.record_claims import RecordClaimsMixin, count_link
from factbase.models import Actor, Claim, Outlet, Source, Tag


class ActorForm(ServiceModelForm):
    aliases = LinesField(label="Aliases", help_text="Other names the actor goes by, one name a line, "
                                                    "e.g. a surname alone or another spelling.")

    class Meta:
        model = Actor
        fields = ["aliases"]  # the admin's fields add the others


@admin.register(Actor)
class ActorAdmin(RecordClaimsMixin, ServiceModelAdmin):
    service_name = "actor"
    claims_field, claims_lookup = "speaker", "speaker__id__exact"
    form = ActorForm
    list_display = ["name", "kind", "wikidata_id", "claim_count"]
    list_filter = ["kind"]
    search_fields = ["name", "aliases"]
    search_help_text = "Search names and aliases."
    fields = ["name", "kind", "aliases", "description", "wikidata_id"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(claim_count=count_of(Claim, "speaker"))

    @admin.display(description="Claims", ordering="claim_count")
    def claim_count(self, obj):
        return count_link(obj.claim_count, "speaker__id__exact", obj.pk)


# --- outlets -------------------------------------------------------------------------------------

@admin.register(Outlet)
class OutletAdmin(RecordClaimsMixin, ServiceModelAdmin):
    service_name = "outlet"
    claims_field, claims_lookup = "outlet", "outlet__id__exact"
    list_display = ["name", "kind", "url", "claim_count", "source_count"]
    list_filter = ["kind"]
    search_fields = ["name", "url", "description"]
    fields = ["name", "kind", "url", "description"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            claim_count=count_of(Claim, "outlet"), source_count=count_of(Source, "outlet"))

    @admin.display(description="Claims", ordering="claim_count")
    def claim_count(self, obj):
        return count_link(obj.claim_count, "outlet__id__exact", obj.pk)

    @admin.display(description="Sources", ordering="source_count")
    def source_count(self, obj):
        if not obj.source_count:
            return "0"
        url = reverse("admin:factbase_source_changelist") + "?" + urlencode({"outlet__id__exact": obj.pk})
        return format_html('<a href="{}" title="Show these sources">{}</a>', url, obj.source_count)


# --- tags ----------------------------------------------------------------------------------------

@admin.register(Tag)
class TagAdmin(RecordClaimsMixin, ServiceModelAdmin):
    service_name = "tag"
    claims_field, claims_lookup = "tags", "tags__id__exact"
    list_display = ["name", "slug", "claim_count"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    fields = ["name", "slug", "description"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(claim_count=count_of(Claim.tags.through, "tag"))

    @admin.display(description="Claims", ordering="claim_count")
    def claim_count(self, obj):
        return count_link(obj.claim_count, "tags__id__exact", obj.pk)
