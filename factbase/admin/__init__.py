"""Curation: the Django admin for editors.

Every write goes through ``factbase.services`` (creates, updates, status changes, deletes, and the
reviews and relations to other claims edited inline on a claim), so a record entered here obeys the
same rules as one entered through the API. Every change form has a "Reason for this change" field,
kept in the record's history (as the API's ``change_reason``). Every admin is a ``SimpleHistoryAdmin``: each record's history (who changed what,
and which fields) is one click away.

When a service refuses a change (``ValidationError`` by field, ``PermissionDenied``), the admin
shows the refusal as a form error on the page it came from and saves nothing: the request runs in
one transaction, the refusal rolls it back, and the page is rendered again from the submitted data
with the service's errors attached to the forms they belong to (see ``ServiceModelAdmin``).
"""

from __future__ import annotations

import re
from contextlib import contextmanager

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.utils import flatten, lookup_spawns_duplicates
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import IntegrityError, models, router, transaction
from django.db.models import Count, Exists, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.text import Truncator, smart_split, unescape_string_literal
from django.utils.translation import gettext_lazy, ngettext
from rangefilter.filters import DateRangeFilter
from simple_history.admin import SimpleHistoryAdmin

from factbase import selectors, services
from factbase.admin.suggestions import SourceSuggestionsMixin
from factbase.admin.workbench import ClaimSourcePanelAdmin, SourceWorkbenchAdmin, SpanHintForm
from factbase.models import Actor, Claim, ClaimRelation, Outlet, Review, Source, Tag
from factbase.models.base import date_sort_key
from factbase.models.limits import CHANGE_REASON_MAX_LENGTH, NOTE_MAX_LENGTH

admin.site.site_header = "Factbase curation"
admin.site.site_title = "Factbase curation"
admin.site.index_title = "Curation"

# How much of the source text to show on each side of a claim's span.
SOURCE_CONTEXT_CHARS = 300


# --- form pieces ---------------------------------------------------------------------------------

CHANGE_REASON = "change_reason"


def _change_reason_field():
    return forms.CharField(
        label="Reason for this change", required=False, max_length=CHANGE_REASON_MAX_LENGTH, strip=True,
        widget=forms.TextInput(attrs={"class": "vTextField factbase-wide"}),
        help_text="Optional: why you make this change. It is kept in the record's history.",
    )


class LinesField(forms.Field):
    """A list of names edited as text, one name a line; blank lines are ignored.

    For JSON lists of strings (``Actor.aliases``, ``Source.authors``): editors type names, not JSON.
    """

    def __init__(self, *, rows=4, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": rows, "cols": 60}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, (list, tuple)):
            return "\n".join(str(item) for item in value)
        return value

    def to_python(self, value):
        if value in self.empty_values:
            return []
        lines = value if isinstance(value, (list, tuple)) else str(value).splitlines()
        return [line.strip() for line in map(str, lines) if line.strip()]

    def has_changed(self, initial, data):
        if self.disabled:
            return False
        return self.to_python(initial) != self.to_python(data)


class ServiceModelForm(forms.ModelForm):
    """A model form that can carry the errors a service raised when this same data was saved, and a reason
    for the change (``change_reason``, not a model field: the service keeps it in the history).

    ``service_refusal`` is set on the per-request form class (``get_form``/``get_formset`` make a new
    class for every request) when the first attempt to save was refused; the form then reports the
    refusal's errors that belong to it (by form prefix) and is invalid, so nothing is saved.
    """

    service_refusal = None
    change_reason = _change_reason_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "change_reason" in self.fields:
            self.fields["change_reason"].initial = ""  # a reason is for one change: never carried over

    def full_clean(self):
        super().full_clean()
        refusal = type(self).service_refusal
        if refusal is None or not self.is_bound or not hasattr(self, "cleaned_data"):
            return
        error = refusal.errors.get(self.prefix)
        if error is not None:
            self._add_service_error(error)

    def _add_service_error(self, error: ValidationError):
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for field, errors in error.error_dict.items():
            if field in self.fields and field != NON_FIELD_ERRORS:
                self.add_error(field, errors)
            else:
                # A field that is not on the form (read-only, computed): name it in the message.
                label = _field_label(self._meta.model, field)
                messages_ = [m for e in errors for m in e.messages]
                self.add_error(None, [f"{label}: {m}" if label else m for m in messages_])


def _field_label(model, name):
    if name in (None, NON_FIELD_ERRORS):
        return ""
    try:
        return str(model._meta.get_field(name).verbose_name).capitalize()
    except FieldDoesNotExist:
        return name.replace("_", " ").capitalize()


class _Refused(Exception):
    """A service refused a save; ``errors`` maps a form prefix (None: the main form) to its error."""

    def __init__(self, errors: dict[str | None, ValidationError]):
        super().__init__(errors)
        self.errors = errors


class _DeleteRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@contextmanager
def _refusals_as_form_errors(prefix=None):
    """Turn a service's refusal into a ``_Refused`` for the form with this prefix."""
    try:
        yield
    except ValidationError as exc:
        raise _Refused({prefix: exc}) from exc
    except PermissionDenied as exc:
        raise _Refused({prefix: ValidationError(str(exc) or "You may not make this change.")}) from exc
    except IntegrityError as exc:
        # A concurrent change won a race the validation had checked: say so rather than fail.
        raise _Refused({prefix: ValidationError(
            "The database refused the change (another change may have been saved meanwhile). "
            "Check the record and try again."
        )}) from exc


def _copy_into(target: models.Model, saved: models.Model) -> None:
    """Make ``target`` (the admin's object) the record a service saved."""
    if target is saved:
        return
    for field in saved._meta.concrete_fields:
        setattr(target, field.attname, getattr(saved, field.attname))
    target._state.adding = False
    target._state.db = saved._state.db


def _model_data(form, model, *, skip=()) -> dict:
    """The cleaned values of the model's own fields (many-to-many included) from a form."""
    names = {f.name for f in model._meta.concrete_fields if not f.primary_key}
    names |= {f.name for f in model._meta.many_to_many}
    return {name: value for name, value in form.cleaned_data.items() if name in names and name not in skip}


def _count_of(model, field):
    """The number of ``model`` rows whose ``field`` points to the outer row, as a subquery (no join, no N+1)."""
    rows = (model._default_manager.filter(**{field: OuterRef("pk")}).order_by()
            .values(field).annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(rows, output_field=models.IntegerField()), 0)


# Which service family saves the records of each inline model.
INLINE_SERVICES = {Review: "review", ClaimRelation: "claim_relation"}


def _reason(form) -> str | None:
    return (getattr(form, "cleaned_data", None) or {}).get(CHANGE_REASON) or None


class DeferringChangeList(ChangeList):
    """A change list that leaves unread the columns its admin's ``changelist_defer`` names (long texts)."""

    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        deferred = getattr(self.model_admin, "changelist_defer", ())
        return queryset.defer(*deferred) if deferred else queryset


# --- claims of a record, and the links to them ----------------------------------------------------

#: how many of a record's claims its change page lists (the newest); a link leads to all of them
RECORD_CLAIMS_SHOWN = 50


def claims_changelist_url(**filters) -> str:
    """The claims list filtered as ``filters`` say (``speaker__id__exact=3``)."""
    url = reverse("admin:factbase_claim_changelist")
    return f"{url}?{urlencode(filters)}" if filters else url


def _count_link(count: int, lookup: str, pk) -> str:
    """A count of claims, linked to the claims list filtered by ``lookup=pk`` (a plain 0 links nowhere)."""
    if not count:
        return "0"
    return format_html('<a href="{}" title="Show these claims">{}</a>', claims_changelist_url(**{lookup: pk}), count)


def status_summary(claim: Claim, *, short: bool = False) -> str:
    """Who set the claim's status and when: "Disputed by alice on 2026-12-03 19:20 UTC" (``short``: "by alice,
    2026-12-03"). A claim whose status never changed since it was entered says so."""
    label = claim.get_status_display()
    when = claim.status_changed_at
    if when is None:
        return "" if short else f"{label} since it was entered (its status never changed)"
    when = timezone.localtime(when)
    user = claim.status_changed_by
    who = user.get_username() if user is not None else None
    if short:
        return f"by {who}, {when:%Y-%m-%d}" if who else f"{when:%Y-%m-%d}"
    stamp = f"{when:%Y-%m-%d %H:%M} {when.tzname() or ''}".rstrip()
    if who:
        return f"{label} by {who} on {stamp}"
    return f"{label} on {stamp} (no user recorded: an import, a command, or a deleted account)"


def _stated(claim: Claim) -> str | None:
    """A claim's date as precisely as it is known: "2022-01-07", "2021-03 (month)", "2019 (year)"."""
    if claim.stated_on is None:
        return None
    if claim.stated_on_precision == Claim.Precision.YEAR:
        return f"{claim.stated_on:%Y} (year)"
    if claim.stated_on_precision == Claim.Precision.MONTH:
        return f"{claim.stated_on:%Y-%m} (month)"
    return claim.stated_on.isoformat()


class RecordClaimsMixin:
    """A change page that lists the record's claims below its fields, as an inline would (the newest
    ``RECORD_CLAIMS_SHOWN`` by date, each linked, with its status, text, date and source), and links to all
    of them in the claims list. ``claims_lookup`` is the claims list's filter for this record
    (``speaker__id__exact``), ``claims_field`` the claim's field that points to it."""

    claims_lookup: str = ""
    claims_field: str = ""
    change_form_template = "admin/factbase/record_change_form.html"

    def record_claims(self, obj) -> dict:
        claims = Claim.objects.filter(**{self.claims_field: obj})
        total = claims.count()
        shown = list(claims.select_related("speaker", "source", "outlet").defer("source__text")
                     .order_by(date_sort_key("stated_on").desc(), "-id")[:RECORD_CLAIMS_SHOWN])
        rows = [{"claim": claim, "url": reverse("admin:factbase_claim_change", args=[claim.pk]),
                 "text": Truncator(claim.text).chars(200), "stated": _stated(claim),
                 "source_url": reverse("admin:factbase_source_change", args=[claim.source_id])}
                for claim in shown]
        return {"rows": rows, "total": total, "more": total > len(rows), "shown": len(rows),
                "all_url": claims_changelist_url(**{self.claims_lookup: obj.pk}), "record": obj,
                "show_speaker": self.claims_field != "speaker"}

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk is not None and not add:
            context["record_claims"] = self.record_claims(obj)
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)


# --- the base admin: every save and delete through the services -----------------------------------

class ServiceModelAdmin(SimpleHistoryAdmin):
    """An admin whose saves and deletes go through ``services.<service_name>_create/_update/_delete``."""

    service_name: str = ""
    form = ServiceModelForm
    actions = ["delete_selected"]
    # Each version with its user and its reason, or words that say it has none.
    object_history_list_template = "admin/factbase/object_history_list.html"
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    changelist_defer: tuple[str, ...] = ()

    def get_changelist(self, request, **kwargs):
        return DeferringChangeList

    def get_fieldsets(self, request, obj=None):
        """The admin's fields, then "Reason for this change" (a form field, not the model's)."""
        fieldsets = list(super().get_fieldsets(request, obj))
        if not any(CHANGE_REASON in flatten(options.get("fields", ())) for _, options in fieldsets):
            fieldsets.append((None, {"fields": [CHANGE_REASON]}))
        return fieldsets

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.service_refusal = getattr(request, "_factbase_refusal", None)
        return form

    def _service(self, action):
        return getattr(services, f"{self.service_name}_{action}")

    def get_search_results(self, request, queryset, search_term):
        """Django's search (every word must match one of ``search_fields``; "quoted phrases" kept whole),
        a name compared in the one normalisation of ``provenance.normalize`` and other text with the
        case-insensitive match of ``selectors.text_contains`` (``selectors.field_matches``), so that on
        SQLite too ``токаев`` finds ``Токаев`` as it does on PostgreSQL. ``search_fields`` are plain
        field paths.
        """
        search_fields = self.get_search_fields(request)
        if not search_fields or not search_term:
            return queryset, False
        terms = []
        for bit in smart_split(search_term):
            if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
                bit = unescape_string_literal(bit)
            if bit:
                any_field = models.Q()
                for field in search_fields:
                    any_field |= selectors.field_matches(self.model, field, bit)
                also = self.search_word_also(bit)
                terms.append(any_field if also is None else any_field | also)
        queryset = queryset.filter(*terms)
        return queryset, any(lookup_spawns_duplicates(self.opts, field) for field in search_fields)

    def search_word_also(self, word: str) -> models.Q | None:
        """What else than ``search_fields`` a word of a search may match (None: nothing else)."""
        return None

    # Saving ---------------------------------------------------------------------------------------

    def changed_fields(self, request, form, obj) -> list[str]:
        """The fields this save changes.

        On the change page, what the user changed in the form. When a historical version is being
        restored (simple_history's revert page), every field whose value differs from the record as
        it is now: the form there starts from the old version, not from the current record.
        """
        if not getattr(request, "_factbase_revert", False):
            return [name for name in form.changed_data if name != CHANGE_REASON]
        current = type(obj)._default_manager.get(pk=obj.pk)
        changed = []
        for name, value in form.cleaned_data.items():
            try:
                field = current._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            if field.many_to_many:
                now = set(getattr(current, name).values_list("pk", flat=True))
                if now != {item.pk for item in value}:
                    changed.append(name)
            elif field.is_relation:
                if getattr(current, field.attname) != (value.pk if value is not None else None):
                    changed.append(name)
            elif getattr(current, name) != value:
                changed.append(name)
        return changed

    def save_model(self, request, obj, form, change):
        with _refusals_as_form_errors():
            if change:
                data = {name: form.cleaned_data[name] for name in self.changed_fields(request, form, obj)}
                saved = obj
                if data:
                    saved = self._service("update")(**{self.service_name: obj}, user=request.user, data=data,
                                                    reason=_reason(form))
            else:
                saved = self._service("create")(user=request.user, reason=_reason(form),
                                                **_model_data(form, self.model))
        _copy_into(obj, saved)
        # Many-to-many fields went through the service too; the admin must not save them again.
        form.save_m2m = lambda: None

    def save_related(self, request, form, formsets, change):
        # Not ``form.save_m2m()``: the service in ``save_model`` saved the many-to-many fields.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        """Save an inline formset through the services of its model, row by row."""
        name = INLINE_SERVICES.get(formset.model)
        if name is None:
            raise NotImplementedError(f"No service saves {formset.model.__name__} rows edited inline.")
        create, update, delete = (getattr(services, f"{name}_{action}") for action in ("create", "update", "delete"))
        # Django sorts the rows into new, changed and deleted ones; nothing is written with commit=False.
        formset.save(commit=False)
        form_of = {id(f.instance): f for f in formset.forms}
        fk_name = formset.fk.name
        reason = _reason(form)  # the claim's reason, for what its inlines change too
        for obj in formset.deleted_objects:
            with _refusals_as_form_errors(form_of[id(obj)].prefix):
                delete(**{name: obj}, user=request.user, reason=reason)
        for obj, changed in formset.changed_objects:
            row = form_of[id(obj)]
            fields = _model_data(row, formset.model, skip={fk_name})
            data = {f: fields[f] for f in changed if f in fields}
            if data:
                with _refusals_as_form_errors(row.prefix):
                    _copy_into(obj, update(**{name: obj}, user=request.user, data=data, reason=reason))
        for obj in formset.new_objects:
            row = form_of[id(obj)]
            data = _model_data(row, formset.model, skip={fk_name})
            with _refusals_as_form_errors(row.prefix):
                _copy_into(obj, create(user=request.user, reason=reason, **data, **{fk_name: formset.instance}))

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except _Refused as refused:
            # The transaction of the first attempt was rolled back. Render the page again from the
            # submitted data, this time with the service's errors on the forms: nothing is saved.
            return self._retry_with_errors(
                request, refused, lambda: super(ServiceModelAdmin, self).changeform_view(
                    request, object_id, form_url, extra_context),
            )

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """simple_history's page to view (and revert to) an old version; a revert goes through the services."""
        if request.method != "POST":
            return super().history_form_view(request, object_id, version_id, extra_context)
        obj = self.get_object(request, object_id)
        # simple_history only asks for the view permission here; changing a record needs more.
        if obj is None or not self.has_change_permission(request, obj):
            raise PermissionDenied
        request._factbase_revert = True

        def attempt():
            with transaction.atomic(using=router.db_for_write(self.model)):
                return super(ServiceModelAdmin, self).history_form_view(request, object_id, version_id, extra_context)

        try:
            return attempt()
        except _Refused as refused:
            return self._retry_with_errors(request, refused, attempt)

    def _retry_with_errors(self, request, refused, view):
        if getattr(request, "_factbase_refusal", None) is not None:
            # Refused twice: the errors could not be put on a form. Do not lose them.
            for error in refused.errors.values():
                for message in error.messages:
                    self.message_user(request, message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
        request._factbase_refusal = refused
        try:
            return view()
        except _Refused as again:
            return self._retry_with_errors(request, again, view)

    # Deleting -------------------------------------------------------------------------------------

    def delete_model(self, request, obj):
        try:
            self._service("delete")(**{self.service_name: obj}, user=request.user)
        except services.DeleteProtected as exc:
            raise _DeleteRefused(exc.message) from exc

    def delete_queryset(self, request, queryset):
        """Delete every selected record through the service, or none of them."""
        with transaction.atomic(using=router.db_for_write(self.model)):
            for obj in queryset.order_by("pk"):
                try:
                    self._service("delete")(**{self.service_name: obj}, user=request.user)
                except services.DeleteProtected as exc:
                    raise _DeleteRefused(f"“{obj}”: {exc.message} Nothing was deleted.") from exc

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except _DeleteRefused as refused:
            # The deletion (and its log entry) was rolled back with the view's transaction.
            self.message_user(request, refused.message, messages.ERROR)
            url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[object_id],
                          current_app=self.admin_site.name)
            return HttpResponseRedirect(url)

    @admin.action(permissions=["delete"], description=gettext_lazy("Delete selected %(verbose_name_plural)s"))
    def delete_selected(self, request, queryset):
        """Django's own action (its confirmation page lists protected records), made all or nothing."""
        try:
            with transaction.atomic(using=router.db_for_write(self.model)):
                return django_delete_selected(self, request, queryset)
        except _DeleteRefused as refused:
            self.message_user(request, refused.message, messages.ERROR)
            return None


class ServiceInlineForm(ServiceModelForm):
    """An inline row: the reason is the page's (its main form's), not one a row."""

    change_reason = None


class ServiceInline:
    """An inline whose forms can show the errors of the services that save them."""

    form = ServiceInlineForm

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.service_refusal = getattr(request, "_factbase_refusal", None)
        return formset


# --- actors --------------------------------------------------------------------------------------

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
        return super().get_queryset(request).annotate(claim_count=_count_of(Claim, "speaker"))

    @admin.display(description="Claims", ordering="claim_count")
    def claim_count(self, obj):
        return _count_link(obj.claim_count, "speaker__id__exact", obj.pk)


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
            claim_count=_count_of(Claim, "outlet"), source_count=_count_of(Source, "outlet"))

    @admin.display(description="Claims", ordering="claim_count")
    def claim_count(self, obj):
        return _count_link(obj.claim_count, "outlet__id__exact", obj.pk)

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
        return super().get_queryset(request).annotate(claim_count=_count_of(Claim.tags.through, "tag"))

    @admin.display(description="Claims", ordering="claim_count")
    def claim_count(self, obj):
        return _count_link(obj.claim_count, "tags__id__exact", obj.pk)


# --- sources -------------------------------------------------------------------------------------

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
        return super().get_queryset(request).annotate(claim_count=_count_of(Claim, "source"))

    def search_word_also(self, word: str) -> models.Q | None:
        # "Untitled source of 2022-01-08" is found by what it shows, in the list and in autocompletes.
        return selectors.source_label_matches(word)

    @admin.display(description="Source", ordering="title")
    def display_title(self, obj):
        return obj.display_title

    @admin.display(description="Claims", ordering="claim_count")
    def claim_count(self, obj):
        return _count_link(obj.claim_count, "source__id__exact", obj.pk)


# --- relations between claims ---------------------------------------------------------------------

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


# --- reviews -------------------------------------------------------------------------------------

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


# --- claim list filters --------------------------------------------------------------------------

class StatedOnRangeFilter(DateRangeFilter):
    """"Stated on" from a date to a date (django-admin-rangefilter: two date fields with the admin's calendar).

    The bounds mean what the API's ``stated_after`` and ``stated_before`` mean (``selectors.claims_stated``,
    the same query): a claim dated by month or year counts by the first day of its period, and a range
    leaves undated claims out. A date that is not one ("2022-02-30", "yesterday") is named in a message
    and that bound is not applied; a "from" after the "to" finds nothing, and says why.
    """

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.title = "date stated (from – to)"

    def queryset(self, request, queryset):
        form = self.form
        if not form.is_bound:
            return queryset
        form.is_valid()
        data = getattr(form, "cleaned_data", {})
        after, before = data.get(self.lookup_kwarg_gte), data.get(self.lookup_kwarg_lte)
        problems = [f"Date stated {label}: “{form.data.get(name, '')}” is not a date. Enter it as YYYY-MM-DD "
                    f"(e.g. 2022-01-07). The list is not filtered by that date."
                    for name, label in ((self.lookup_kwarg_gte, "from"), (self.lookup_kwarg_lte, "to"))
                    if name in form.errors]
        if after and before and after > before:
            problems.append(f"Date stated: the “from” date ({after.isoformat()}) is after the “to” date "
                            f"({before.isoformat()}), so no claim is in that range.")
        said = request.__dict__.setdefault("_factbase_said", set())  # once, if facets ask the filter again
        for problem in problems:
            if problem not in said:
                said.add(problem)
                messages.error(request, problem)
        if after is None and before is None:
            return queryset
        return selectors.claims_stated(queryset, after=after, before=before)


class DatedFilter(admin.SimpleListFilter):
    """Whether the source dates the claim at all (a range leaves undated claims out)."""

    title = "date known"
    parameter_name = "dated"

    def lookups(self, request, model_admin):
        return [("yes", "With a date"), ("no", "Undated")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(stated_on__isnull=False)
        if self.value() == "no":
            return queryset.filter(stated_on__isnull=True)
        return queryset


class ReviewedFilter(admin.SimpleListFilter):
    """Whether anyone reviewed the claim (a verdict on its truth)."""

    title = "reviews"
    parameter_name = "reviewed"

    def lookups(self, request, model_admin):
        return [("yes", "Reviewed"), ("no", "Not reviewed")]

    def queryset(self, request, queryset):
        reviewed = Exists(Review.objects.filter(claim=OuterRef("pk")))
        if self.value() == "yes":
            return queryset.filter(reviewed)
        if self.value() == "no":
            return queryset.filter(~reviewed)
        return queryset


class ChosenRecordFilter(admin.RelatedFieldListFilter):
    """A filter by a related record (a speaker, a source) that lists only the record chosen, not every
    record of the table (there may be thousands): it appears when a link chose one ("all N claims" on an
    actor's page, a count in a list), so that the list says what it is filtered by, with "All" to undo it."""

    def field_choices(self, field, request, model_admin):
        chosen = [value for value in (self.lookup_val or []) if re.fullmatch(r"[0-9]{1,18}", str(value))]
        if not chosen:
            return []
        records = field.remote_field.model._default_manager.filter(pk__in=chosen).order_by("pk")
        if field.remote_field.model is Source:
            records = records.defer("text")  # its name is its title, URL or date; never read a whole article
        return [(record.pk, str(record)) for record in records]

    def has_output(self):
        # Shown (and applied: Django drops the parameters of a filter it does not show) when a record is chosen.
        return bool(self.lookup_val)

    @property
    def include_empty_choice(self):
        return False


# --- claims --------------------------------------------------------------------------------------

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
        return _stated(obj)

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
        with _refusals_as_form_errors():
            reason = _reason(form)
            if not change:
                saved = services.claim_create(user=user, reason=reason, span_hint=form.cleaned_data.get("span_hint"),
                                              **_model_data(form, Claim, skip=self.STATUS_FIELDS))
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
        _copy_into(obj, saved)
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
