"""Every save and delete of the admin through the services: ``ServiceModelAdmin`` (and ``ServiceInline``)
call ``services.<name>_create/_update/_delete``, and show a refusal (``ValidationError`` by field,
``PermissionDenied``) as a form error on the page it came from, saving nothing: the request runs in one
transaction, the refusal rolls it back, and the page is rendered again from the submitted data with the
service's errors attached to the forms they belong to. Every change form has a "Reason for this change"
field, kept in the record's history (as the API's ``change_reason``)."""

from __future__ import annotations

from contextlib import contextmanager

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.utils import flatten, lookup_spawns_duplicates
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import IntegrityError, models, router, transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.text import smart_split, unescape_string_literal
from django.utils.translation import gettext_lazy
from simple_history.admin import SimpleHistoryAdmin

from factbase import selectors, services
from factbase.models import ClaimRelation, Review
from factbase.models.limits import CHANGE_REASON_MAX_LENGTH


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
def refusals_as_form_errors(prefix=None):
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


def copy_into(target: models.Model, saved: models.Model) -> None:
    """Make ``target`` (the admin's object) the record a service saved."""
    if target is saved:
        return
    for field in saved._meta.concrete_fields:
        setattr(target, field.attname, getattr(saved, field.attname))
    target._state.adding = False
    target._state.db = saved._state.db


def model_data(form, model, *, skip=()) -> dict:
    """The cleaned values of the model's own fields (many-to-many included) from a form."""
    names = {f.name for f in model._meta.concrete_fields if not f.primary_key}
    names |= {f.name for f in model._meta.many_to_many}
    return {name: value for name, value in form.cleaned_data.items() if name in names and name not in skip}


def count_of(model, field):
    """The number of ``model`` rows whose ``field`` points to the outer row, as a subquery (no join, no N+1)."""
    rows = (model._default_manager.filter(**{field: OuterRef("pk")}).order_by()
            .values(field).annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(rows, output_field=models.IntegerField()), 0)


# Which service family saves the records of each inline model.
INLINE_SERVICES = {Review: "review", ClaimRelation: "claim_relation"}


def form_reason(form) -> str | None:
    return (getattr(form, "cleaned_data", None) or {}).get(CHANGE_REASON) or None


class DeferringChangeList(ChangeList):
    """A change list that leaves unread the columns its admin's ``changelist_defer`` names (long texts)."""

    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        deferred = getattr(self.model_admin, "changelist_defer", ())
        return queryset.defer(*deferred) if deferred else queryset


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
        with refusals_as_form_errors():
            if change:
                data = {name: form.cleaned_data[name] for name in self.changed_fields(request, form, obj)}
                saved = obj
                if data:
                    saved = self._service("update")(**{self.service_name: obj}, user=request.user, data=data,
                                                    reason=form_reason(form))
            else:
                saved = self._service("create")(user=request.user, reason=form_reason(form),
                                                **model_data(form, self.model))
        copy_into(obj, saved)
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
        reason = form_reason(form)  # the claim's reason, for what its inlines change too
        for obj in formset.deleted_objects:
            with refusals_as_form_errors(form_of[id(obj)].prefix):
                delete(**{name: obj}, user=request.user, reason=reason)
        for obj, changed in formset.changed_objects:
            row = form_of[id(obj)]
            fields = model_data(row, formset.model, skip={fk_name})
            data = {f: fields[f] for f in changed if f in fields}
            if data:
                with refusals_as_form_errors(row.prefix):
                    copy_into(obj, update(**{name: obj}, user=request.user, data=data, reason=reason))
        for obj in formset.new_objects:
            row = form_of[id(obj)]
            data = model_data(row, formset.model, skip={fk_name})
            with refusals_as_form_errors(row.prefix):
                copy_into(obj, create(user=request.user, reason=reason, **data, **{fk_name: formset.instance}))

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
