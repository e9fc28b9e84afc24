"""Suggested claims in the admin: a page per source (``admin/factbase/source/<id>/suggestions/``) listing what the
extractor proposes (``factbase.suggestions``), each with **Accept** (``services.suggestion_accept``), **Edit** (the
claim add form, filled in from the suggestion by GET parameters) and **Dismiss** (``services.suggestion_dismiss``).

The list is the includable template ``admin/factbase/source/_suggestions.html``: a page that shows a source (the
workbench) includes it with the context of ``suggestions_context(request, source)``; the forms in it send the
user back to ``next`` (that page) after acting. ``SourceSuggestionsMixin`` gives ``SourceAdmin`` the URLs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme

from factbase import services
from factbase.models import Claim, Source
from factbase.suggestions import Suggestion, suggestions_for_source

#: how much of the text to show on each side of a suggestion's content
CONTEXT_CHARS = 160


@dataclass
class SuggestionRow:
    """A suggestion as the list shows it: the text around it, and the addresses of what may be done with it."""

    suggestion: Suggestion
    before: str
    after: str
    cut_before: bool
    cut_after: bool
    edit_url: str
    accept_url: str
    dismiss_url: str
    actor_url: str
    outlet_url: str
    overlaps: list[tuple[str, Claim]]


def _context_of(text: str, start: int, end: int) -> tuple[str, str, bool, bool]:
    lo, hi = max(0, start - CONTEXT_CHARS), min(len(text), end + CONTEXT_CHARS)
    if lo > 0:
        space = re.search(r"\s", text[lo:start])
        lo = lo + space.end() if space else lo
    if hi < len(text):
        spaces = [m.start() for m in re.finditer(r"\s", text[end:hi])]
        hi = end + spaces[-1] if spaces else hi
    return text[lo:start], text[end:hi], lo > 0, hi < len(text)


def _change_url(model: str, record) -> str:
    return reverse(f"admin:factbase_{model}_change", args=[record.pk]) if record is not None else ""


def edit_url(source: Source, suggestion: Suggestion) -> str:
    """The claim add form, filled in from ``suggestion`` by GET parameters (Django's admin takes a field's
    initial value from the query): saved as it is, the claim's history gives the suggestion as its reason."""
    params = {
        "source": source.pk, "text": suggestion.content.exact, "kind": suggestion.kind,
        "speaker_role": suggestion.role, "change_reason": suggestion.history_reason(),
    }
    if suggestion.actor is not None:
        params["speaker"] = suggestion.actor.pk
    if suggestion.kind == Claim.Kind.PARAPHRASE:
        params["span_exact"] = suggestion.content.exact
    if suggestion.stated_on is not None:
        params["stated_on"] = suggestion.stated_on.isoformat()
        params["stated_on_precision"] = suggestion.stated_on_precision
    if suggestion.outlet is not None:
        params["outlet"] = suggestion.outlet.pk
    return reverse("admin:factbase_claim_add") + "?" + urlencode(params)


def suggestions_context(request, source: Source, *, next_url: str | None = None, in_form: bool = False) -> dict:
    """The context of ``admin/factbase/source/_suggestions.html`` for ``source``: ``source``, ``suggestions``
    (``SuggestionRow``), ``can_act_on_suggestions`` (whether the user may accept and dismiss),
    ``suggestions_next`` (where accepting or dismissing returns to: ``next_url``, default this page) and
    ``suggestions_in_form`` (``in_form``: the list is inside another form, such as the source's change form,
    so its buttons post with ``formaction`` instead of forms of their own, which cannot nest)."""
    text = source.text or ""
    rows = []
    for suggestion in suggestions_for_source(source):
        content = suggestion.content
        before, after, cut_before, cut_after = _context_of(text, content.start, content.end)
        rows.append(SuggestionRow(
            suggestion=suggestion, before=before, after=after, cut_before=cut_before, cut_after=cut_after,
            edit_url=edit_url(source, suggestion),
            accept_url=reverse("admin:factbase_source_suggestion_accept", args=[source.pk, suggestion.key]),
            dismiss_url=reverse("admin:factbase_source_suggestion_dismiss", args=[source.pk, suggestion.key]),
            actor_url=_change_url("actor", suggestion.actor), outlet_url=_change_url("outlet", suggestion.outlet),
            overlaps=[(reverse("admin:factbase_claim_change", args=[claim.pk]), claim) for claim in suggestion.overlaps],
        ))
    return {
        "source": source, "suggestions": rows,
        "can_act_on_suggestions": services.can_act_on_suggestions(request.user),
        "suggestions_next": next_url or request.get_full_path(),
        "suggestions_in_form": in_form,
    }


class SourceSuggestionsMixin:
    """The suggested-claims page of a source, and its Accept and Dismiss actions (for ``SourceAdmin``)."""

    suggestions_template = "admin/factbase/source/suggestions.html"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/suggestions/", view(self.suggestions_view), name="factbase_source_suggestions"),
            path("<path:object_id>/suggestions/<str:key>/accept/", view(self.suggestion_accept_view),
                 name="factbase_source_suggestion_accept"),
            path("<path:object_id>/suggestions/<str:key>/dismiss/", view(self.suggestion_dismiss_view),
                 name="factbase_source_suggestion_dismiss"),
            *super().get_urls(),
        ]

    def _source_or_redirect(self, request, object_id):
        source = self.get_object(request, unquote(object_id))
        if source is None:
            return None, self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, source):
            raise PermissionDenied
        return source, None

    def suggestions_view(self, request, object_id):
        source, redirect = self._source_or_redirect(request, object_id)
        if redirect is not None:
            return redirect
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts, "original": source, "title": f"Suggested claims in “{source}”",
            "subtitle": None, "has_view_permission": True,
            **suggestions_context(request, source),
        }
        return TemplateResponse(request, self.suggestions_template, context)

    def _back(self, request, source) -> HttpResponseRedirect:
        wanted = request.POST.get("next", "")
        if wanted and url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()},
                                                      require_https=request.is_secure()):
            return HttpResponseRedirect(wanted)
        return HttpResponseRedirect(reverse("admin:factbase_source_suggestions", args=[source.pk]))

    def _act(self, request, object_id, key, act):
        source, redirect = self._source_or_redirect(request, object_id)
        if redirect is not None:
            return redirect
        if not services.can_act_on_suggestions(request.user):
            raise PermissionDenied
        reason = request.POST.get("suggestion_reason", "").strip() or None
        try:
            message = act(source, key, reason)
        except ValidationError as exc:
            detail = " ".join(exc.messages)
            self.message_user(request, f"Nothing was changed: {detail}", messages.ERROR)
        except PermissionDenied as exc:
            self.message_user(request, f"Nothing was changed: {exc}", messages.ERROR)
        else:
            self.message_user(request, message, messages.SUCCESS)
        return self._back(request, source)

    def suggestion_accept_view(self, request, object_id, key):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])

        def accept(source, key, reason):
            claim = services.suggestion_accept(source=source, key=key, user=request.user, reason=reason)
            url = reverse("admin:factbase_claim_change", args=[claim.pk])
            return format_html('Claim <a href="{}">#{}</a> was made from the suggestion (unverified): “{}”, by {}.',
                               url, claim.pk, claim, claim.speaker)

        return self._act(request, object_id, key, accept)

    def suggestion_dismiss_view(self, request, object_id, key):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])

        def dismiss(source, key, reason):
            dismissal = services.suggestion_dismiss(source=source, key=key, user=request.user, reason=reason)
            return f"The suggestion “{dismissal.content[:80]}” was dismissed: it is not proposed again."

        return self._act(request, object_id, key, dismiss)
