"""The claim list's filters: a date range on "stated on", whether dated, whether reviewed, and a chosen record
(speaker, outlet, source, tag) by autocomplete rather than a list of every one."""

from __future__ import annotations

import re

from django.contrib import admin, messages
from django.db.models import Exists, OuterRef
from rangefilter.filters import DateRangeFilter

from factbase import selectors
from factbase.models import Review, Source


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
