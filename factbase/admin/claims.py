"""The admin of claims: the list (filters, search, bulk status changes), the change form with the source's
text beside it, the inlines of reviews and relations, and history reverts that go through the services."""

from __future__ import annotations

import re

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, router, transaction
from django.db.models import Exists, OuterRef, Prefetch
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import ngettext

from factbase import selectors, services
from factbase.admin.base import (
    ServiceInline,
    ServiceModelAdmin,
    ServiceModelForm,
    copy_into,
    form_reason,
    model_data,
    refusals_as_form_errors,
)
from factbase.admin.claim_filters import ChosenRecordFilter, DatedFilter, ReviewedFilter, StatedOnRangeFilter
from factbase.admin.record_claims import stated_text, status_summary
from factbase.admin.reviews import ReviewInline
from factbase.admin.workbench import ClaimSourcePanelAdmin, SpanHintForm
from factbase.models import Claim, ClaimRelation, Review, Tag
from factbase.models.limits import CHANGE_REASON_MAX_LENGTH, NOTE_MAX_LENGTH


# How much of the source text to show on each side of a claim's span.
SOURCE_CONTEXT_CHARS = 300


class ClaimRelationInline(ServiceInline, admin.TabularInline):
    """This claim's relations to other claims, as this claim states them ("this claim <type> the other");
    a relation another claim states to this one is listed on the page above and edited on that claim's
    page."""

    model = ClaimRelation
    fk_name = "claim"
    extra = 0
    autocomplete_fields = ["related_claim"]
    fields = ["type", "related_claim"]
    verbose_name = "relation to another claim"
    verbose_name_plural = "relations to other claims (this claim … the other)"


def _word_start(text: str, lo: int, limit: int) -> int:
    """Move the start of a cut forward to the next word, when a space is near (30 characters)."""
    m = re.search(r"\s", text[lo:min(lo + 30, limit)])
    return lo + m.end() if m else lo


def _word_end(text: str, hi: int, limit: int) -> int:
    """Move the end of a cut back to the end of a word, when a space is near (30 characters)."""
    window = max(limit, hi - 30)
    spaces = [m.start() for m in re.finditer(r"\s", text[window:hi])]
    return window + spaces[-1] if spaces else hi


class ClaimForm(SpanHintForm, ServiceModelForm):
    """A claim's form: ``span_hint`` (hidden) says where in the source its quote or passage was chosen."""


@admin.register(Claim)
class ClaimAdmin(ClaimSourcePanelAdmin, ServiceModelAdmin):
    """A claim; its add and change forms show the source's text beside the fields
    (``factbase.admin.workbench``)."""

    service_name = "claim"
    form = ClaimForm
    STATUS_FIELDS = ("status", "status_note")

    # Six columns that fit a 1280-pixel screen beside the navigation and the filters: the text (wrapping)
    # with its speaker, the status with who set it, the date, where it was said and reported, the tags,
    # whether it has reviews. Tags come in one prefetch query, reviews as an EXISTS column: the page costs
    # the same number of queries whatever its size.
    list_display = ["claim", "status_set", "stated", "where", "tag_names", "reviewed"]
    list_display_links = ["claim"]
    list_select_related = ["speaker", "outlet", "source", "status_changed_by"]
    changelist_defer = ("source__text",)  # a whole article a row, and the list shows only its title
    # No date hierarchy: its years and months come from a scan of the whole table, and the news of 2022
    # is found faster with a range. The speaker and source filters show only when a link chose one.
    list_filter = ["status", "kind", ("stated_on", StatedOnRangeFilter), DatedFilter, ReviewedFilter, "tags", "outlet",
                   ("speaker", ChosenRecordFilter), ("source", ChosenRecordFilter)]
    # The newest first and the undated last, on both databases (PostgreSQL puts NULLs first in a
    # descending order, SQLite last).
    ordering = [models.F("stated_on").desc(nulls_last=True), "-id"]
    search_fields = ["text", "speaker__name", "speaker__aliases"]
    search_help_text = "Search the claim text, and the speaker's name and aliases."
    autocomplete_fields = ["speaker", "outlet", "source", "tags"]
    show_full_result_count = False
    inlines = [ReviewInline, ClaimRelationInline]
    actions = ["mark_verified", "mark_disputed", "mark_rejected", "mark_unverified", "delete_selected"]
    fieldsets = [
        (None, {"fields": ["speaker", "speaker_role", "kind", "text", ("stated_on", "stated_on_precision"),
                           "outlet", "source", "tags"]}),
        ("Where it is in the source", {"fields": ["source_context", "span_exact", ("span_start", "span_end")]}),
        ("Related claims", {"fields": ["relations_seen_here"]}),
        ("Attribution status", {
            "fields": ["status", "status_note", "status_set_by"],
            "description": "Did this speaker really say this, as recorded, according to the source? "
                           "Changing what a verified claim says, who said it or when sends it back to unverified.",
        }),
    ]

    class Media:
        css = {"all": ["factbase/admin.css", "factbase/workbench.css"]}
        js = ["factbase/workbench.js"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "speaker_role":
            kwargs["widget"] = forms.TextInput(attrs={"class": "vTextField factbase-wide"})
        if db_field.name in ("text", "span_exact", "status_note"):
            kwargs["widget"] = forms.Textarea(attrs={"rows": 3 if db_field.name != "status_note" else 2,
                                                     "cols": 80, "class": "vLargeTextField"})
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        readonly = ["source_context", "span_start", "span_end", "status_set_by", "relations_seen_here"]
        # A new claim is unverified; only users who may verify claims change the status afterwards.
        if obj is None or not services.can_set_claim_status(request.user):
            readonly += list(self.STATUS_FIELDS)
        return readonly

    # Columns --------------------------------------------------------------------------------------

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name == "factbase_claim_changelist":
            queryset = queryset.annotate(has_reviews=Exists(Review.objects.filter(claim=OuterRef("pk"))))
            tags = Tag.objects.only("pk", "name").order_by("name")
            queryset = queryset.prefetch_related(Prefetch("tags", queryset=tags))
        return queryset

    @admin.display(description="Claim", ordering="text")
    def claim(self, obj):
        kind = "" if obj.kind == Claim.Kind.DIRECT_QUOTE else " (paraphrase)"
        role = f", {obj.speaker_role}" if obj.speaker_role else ""
        return format_html('<span class="factbase-claim-text factbase-kind-{}">{}</span> '
                           '<span class="factbase-speaker">— {}{}{}</span>',
                           obj.kind, Truncator(obj.text).chars(300), obj.speaker.name, Truncator(role).chars(80), kind)

    @admin.display(description="Status", ordering="status")
    def status_set(self, obj):
        by = status_summary(obj, short=True)
        return format_html('<span class="factbase-status factbase-status-{}">{}</span> {}', obj.status,
                           obj.get_status_display(),
                           format_html('<span class="factbase-status-by">{}</span>', by) if by else "")

    @admin.display(description="Status set")
    def status_set_by(self, obj):
        if obj is None or obj.pk is None:
            return "A new claim is unverified."
        version = getattr(obj, "_history", None)  # an old version, on the page that reverts to it
        if version is not None:
            return (f"{obj.get_status_display()} in version {version.history_id}, as of "
                    f"{timezone.localtime(version.history_date):%Y-%m-%d %H:%M %Z} (who set it: see the history).")
        return status_summary(obj)

    @admin.display(description="Stated on", ordering="stated_on")
    def stated(self, obj):
        return stated_text(obj)

    @admin.display(description="Outlet / source")
    def where(self, obj):
        title = Truncator(obj.source.display_title).chars(80)
        source = format_html('<span class="factbase-source">in {}</span>', title)
        if obj.outlet is None:
            return source
        return format_html('<span class="factbase-outlet">{}</span> {}', obj.outlet.name, source)

    @admin.display(description="Tags")
    def tag_names(self, obj):
        return format_html_join("", '<span class="factbase-tag">{}</span>', ((tag.name,) for tag in obj.tags.all()))

    @admin.display(description="Reviews", ordering="has_reviews")
    def reviewed(self, obj):
        """A mark when someone reviewed the claim (whether it is true); nothing otherwise."""
        if not getattr(obj, "has_reviews", False):
            return ""
        return format_html('<img src="{}" alt="Has reviews" title="Has reviews" class="factbase-reviewed">',
                           static("admin/img/icon-yes.svg"))

    @admin.display(description="Relations")
    def relations_seen_here(self, obj):
        """Every relation of the claim, from both sides, as the API's ``relations`` shows them, each linked."""
        if obj is None or obj.pk is None:
            return "Shown once the claim is saved."
        relations = selectors.claim_relations([obj.pk]).get(obj.pk, [])
        if not relations:
            return "None. Add one below (“Relations to other claims”)."
        items = format_html_join("", '<li>{} <a href="{}">#{}: {}</a></li>', (
            (relation_type.replace("_", " "), reverse("admin:factbase_claim_change", args=[pk]), pk,
             Truncator(text).chars(90))
            for relation_type, pk, text, _ in relations))
        return format_html('<ul class="factbase-relations">{}</ul>', items)

    @admin.display(description="Source text")
    def source_context(self, obj):
        """The source text around the claim's span, the span highlighted. The text is escaped."""
        if obj is None or obj.pk is None:
            return "Shown once the claim is saved."
        text = obj.source.text
        if not text:
            return "The source's text is not held, so the claim cannot be shown in it."
        if obj.span_start is None:
            if obj.kind == Claim.Kind.PARAPHRASE:
                return ("This paraphrase points to no passage of the source text. "
                        "Enter the passage that reports it to locate it.")
            return "No passage of the source text is recorded for this claim."
        start, end = obj.span_start, obj.span_end
        if text[start:end] != obj.span_exact:
            return "The recorded passage no longer matches the source text: save the claim again to locate it."
        lo = max(0, start - SOURCE_CONTEXT_CHARS)
        hi = min(len(text), end + SOURCE_CONTEXT_CHARS)
        if lo > 0:
            lo = _word_start(text, lo, start)
        if hi < len(text):
            hi = _word_end(text, hi, end)
        return format_html(
            '<div class="factbase-source-context">{}{}<mark class="factbase-span">{}</mark>{}{}</div>'
            '<div class="factbase-span-position">Characters {} to {} of {}.</div>',
            "…" if lo > 0 else "", text[lo:start], text[start:end], text[end:hi], "…" if hi < len(text) else "",
            start, end, len(text),
        )

    # Saving ---------------------------------------------------------------------------------------

    def save_model(self, request, obj, form, change):
        user = request.user
        with refusals_as_form_errors():
            reason = form_reason(form)
            if not change:
                saved = services.claim_create(user=user, reason=reason, span_hint=form.cleaned_data.get("span_hint"),
                                              **model_data(form, Claim, skip=self.STATUS_FIELDS))
            else:
                changed = self.changed_fields(request, form, obj)
                data = {f: form.cleaned_data[f] for f in changed if f not in self.STATUS_FIELDS}
                saved = obj
                if data:
                    # The service sends a verified claim back to unverified when its attribution changes.
                    saved = services.claim_update(claim=obj, user=user, data=data, reason=reason)
                if set(changed) & set(self.STATUS_FIELDS):
                    # The note explains this change; an old note left in the field does not.
                    note = form.cleaned_data.get("status_note", "") if "status_note" in changed else ""
                    saved = services.claim_set_status(
                        claim=saved, user=user, status=form.cleaned_data.get("status", saved.status), note=note,
                        reason=reason)
        copy_into(obj, saved)
        form.save_m2m = lambda: None

    # Status actions -------------------------------------------------------------------------------
    #
    # Each asks first, on a page like Django's own "delete selected" confirmation: the claims, and a note
    # kept as each claim's status note and as the reason in its history. Confirmed, the change is all or
    # nothing: every claim is tried (each in a savepoint, so that every refusal is found, not only the
    # first), and if any is refused nothing is changed and the page comes back with each refusal beside its
    # claim, the note kept, and the refused claims taken out of the selection. Only users who may set a
    # status (``services.can_set_claim_status``) are offered these actions.

    #: at most this many claims a bulk status change (one request, one transaction)
    MAX_BULK_STATUS = 1000

    def has_set_status_permission(self, request):
        return services.can_set_claim_status(request.user)

    def _set_status_action(self, request, queryset, status):
        label = Claim.Status(status).label.lower()
        count = queryset.count()
        if count > self.MAX_BULK_STATUS:
            self.message_user(request, f"{count} claims are selected: a status is set on at most "
                                       f"{self.MAX_BULK_STATUS} at a time. Nothing was changed.", messages.ERROR)
            return None
        claims = list(queryset.select_related("speaker", "status_changed_by").defer("source__text").order_by("pk"))
        form = StatusNoteForm(request.POST if request.POST.get("post") == "yes" else None)
        refusals = {}
        if form.is_bound and form.is_valid():
            note = form.cleaned_data["note"]
            changed, already, refusals = self._apply_status(request, claims, status, note)
            if not refusals:
                message = ngettext("%(count)d claim was marked as %(status)s.",
                                   "%(count)d claims were marked as %(status)s.", len(changed)) % {
                    "count": len(changed), "status": label}
                if already:
                    message += " " + ngettext("%(count)d already was (left as it was).",
                                              "%(count)d already were (left as they were).", len(already)) % {
                        "count": len(already)}
                if note and changed:
                    message += " Note: “" + Truncator(note).chars(120) + "”."
                self.message_user(request, message, messages.SUCCESS)
                return None
            self.message_user(request, ngettext(
                "%(count)d claim could not be marked as %(status)s (see below). Nothing was changed.",
                "%(count)d claims could not be marked as %(status)s (see below). Nothing was changed.",
                len(refusals)) % {"count": len(refusals), "status": label}, messages.ERROR)
        return self._status_confirmation(request, claims, status, form, refusals)

    def _apply_status(self, request, claims, status, note):
        """Set ``status`` on every claim, all or nothing; returns (changed, already, refusals by claim id)."""
        changed, already, refusals = [], [], {}

        class _Undo(Exception):
            pass

        try:
            with transaction.atomic(using=router.db_for_write(Claim)):
                for claim in claims:
                    if claim.status == status:
                        already.append(claim)
                        continue
                    try:
                        with transaction.atomic(using=router.db_for_write(Claim)):
                            services.claim_set_status(claim=claim, user=request.user, status=status, note=note,
                                                      reason=note or None)
                        changed.append(claim)
                    except ValidationError as exc:
                        refusals[claim.pk] = " ".join(exc.messages)
                    except PermissionDenied as exc:
                        refusals[claim.pk] = str(exc) or "You may not change this claim's status."
                if refusals:
                    raise _Undo  # roll every change of this batch back
        except _Undo:
            return [], [], refusals
        return changed, already, refusals

    def _status_confirmation(self, request, claims, status, form, refusals):
        opts = self.model._meta
        label = Claim.Status(status).label
        rows = [{"claim": claim, "url": reverse("admin:factbase_claim_change", args=[claim.pk]),
                 "text": Truncator(claim.text).chars(200), "already": claim.status == status,
                 "refusal": refusals.get(claim.pk)} for claim in claims]
        remaining = [claim.pk for claim in claims if claim.pk not in refusals]
        context = {
            **self.admin_site.each_context(request),
            "title": f"Mark claims as {label.lower()}: are you sure?",
            "subtitle": None,
            "opts": opts,
            "app_label": opts.app_label,
            "action_name": request.POST.get("action"),
            "status": status,
            "status_label": label,
            "rows": rows,
            "to_change": sum(1 for row in rows if not row["already"] and not row["refusal"]),
            "already": sum(1 for row in rows if row["already"]),
            "refused": len(refusals),
            "remaining": remaining,
            "form": form,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "changelist_url": self._changelist_url(request),
            "media": self.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/factbase/claim/status_confirmation.html", context)

    def _changelist_url(self, request):
        url = reverse("admin:factbase_claim_changelist", current_app=self.admin_site.name)
        query = request.GET.urlencode()
        return f"{url}?{query}" if query else url

    @admin.action(permissions=["set_status"], description="Mark selected claims as verified")
    def mark_verified(self, request, queryset):
        return self._set_status_action(request, queryset, Claim.Status.VERIFIED)

    @admin.action(permissions=["set_status"], description="Mark selected claims as disputed")
    def mark_disputed(self, request, queryset):
        return self._set_status_action(request, queryset, Claim.Status.DISPUTED)

    @admin.action(permissions=["set_status"], description="Mark selected claims as rejected")
    def mark_rejected(self, request, queryset):
        return self._set_status_action(request, queryset, Claim.Status.REJECTED)

    @admin.action(permissions=["set_status"], description="Send selected claims back to unverified")
    def mark_unverified(self, request, queryset):
        return self._set_status_action(request, queryset, Claim.Status.UNVERIFIED)

    # Reverting to an old version ------------------------------------------------------------------

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        request._factbase_version_id = version_id
        return super().history_form_view(request, object_id, version_id, extra_context)

    def response_change(self, request, obj):
        version_id = getattr(request, "_factbase_version_id", None)
        if getattr(request, "_factbase_revert", False) and version_id is not None:
            request._factbase_revert_warning = self._not_restored(obj, version_id)
        return super().response_change(request, obj)

    def message_user(self, request, message, level=messages.INFO, extra_tags="", fail_silently=False):
        """After a revert that could not put everything back, the warning replaces "changed successfully"."""
        warning = getattr(request, "_factbase_revert_warning", None)
        if warning and level == messages.SUCCESS:
            message, level = warning, messages.WARNING
        return super().message_user(request, message, level, extra_tags, fail_silently)

    def _not_restored(self, obj, version_id) -> str | None:
        """What a revert of ``obj`` to ``version_id`` left as it is (a user who may not set a status cannot
        put one back), in words, or None."""
        version = Claim.history.filter(history_id=version_id, id=obj.pk).first()
        current = Claim.objects.filter(pk=obj.pk).first()
        if version is None or current is None:
            return None
        missing = []
        if current.status != version.status:
            missing.append(f"its status: version {version_id} is “{version.get_status_display()}”, the claim is "
                           f"still “{current.get_status_display()}”")
        elif current.status_note != version.status_note:
            missing.append("its status note")
        if not missing:
            return None
        return (f"The claim “{current}” was reverted to version {version_id}, except {' and '.join(missing)}. "
                f"Putting a status back needs the “verify claim” permission (the Editors group has it).")


class StatusNoteForm(forms.Form):
    """The note of a bulk status change: each claim's status note, and the reason in its history."""

    note = forms.CharField(
        label="Note", required=False, strip=True, max_length=min(NOTE_MAX_LENGTH, CHANGE_REASON_MAX_LENGTH),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80, "class": "vLargeTextField"}),
        help_text="Why: kept as each claim's status note and as the reason in its history. Optional.",
    )
