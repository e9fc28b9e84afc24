"""The claims of a record (an actor, an outlet, a tag, a source) on its change page, and the links from a
record to its claims in the claim list."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.text import Truncator

from factbase.models import Claim
from factbase.models.base import date_sort_key


#: how many of a record's claims its change page lists (the newest); a link leads to all of them
RECORD_CLAIMS_SHOWN = 50


def claims_changelist_url(**filters) -> str:
    """The claims list filtered as ``filters`` say (``speaker__id__exact=3``)."""
    url = reverse("admin:factbase_claim_changelist")
    return f"{url}?{urlencode(filters)}" if filters else url


def count_link(count: int, lookup: str, pk) -> str:
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


def stated_text(claim: Claim) -> str | None:
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
                 "text": Truncator(claim.text).chars(200), "stated": stated_text(claim),
                 "source_url": reverse("admin:factbase_source_change", args=[claim.source_id])}
                for claim in shown]
        return {"rows": rows, "total": total, "more": total > len(rows), "shown": len(rows),
                "all_url": claims_changelist_url(**{self.claims_lookup: obj.pk}), "record": obj,
                "show_speaker": self.claims_field != "speaker"}

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk is not None and not add:
            context["record_claims"] = self.record_claims(obj)
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)
