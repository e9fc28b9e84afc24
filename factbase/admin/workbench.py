"""The editor's workbench in the admin (issue #15): a source's page shows its text with every claim's
span highlighted, and the claim forms show the chosen source's text beside the fields.

- ``SourceWorkbenchAdmin`` (mixed into ``SourceAdmin``): the source's change page renders its text
  (``factbase.workbench``: paragraphs, each cut at every claim's span edge, escaped) with each claim's
  span a ``<mark>`` linked to the claim, the list of its claims, and a "New claim from this passage"
  button for a selection (``factbase/static/factbase/workbench.js``); the raw text stays editable in a
  collapsed "Edit the text" section. Two JSON views, with the view permission on sources:
  ``<id>/workbench.json`` (the text, its paragraphs, its claims' spans, speakers and statuses) and
  ``<id>/find-quote/?q=...&near=...&exclude=...`` (every occurrence of ``q`` as
  ``provenance.find_quote_all`` finds it, which one a claim would point to as ``Claim.clean`` chooses it
  with the hint ``near``, and the claims each occurrence overlaps).
- ``ClaimSourcePanelAdmin`` (mixed into ``ClaimAdmin``): the add and change forms have the source's
  text beside the fields (``admin/factbase/claim/change_form.html``), loaded from ``workbench.json``
  when a source is picked, the typed quote found in it through ``find-quote``; a hidden ``span_hint``
  field carries the chosen occurrence to ``services.claim_create``/``claim_update``. The add form is
  filled in from a selected passage by ``?source=<id>&passage_start=<n>&passage_end=<n>``
  (``workbench.passage`` decides the text, the kind and the hint).
"""

from __future__ import annotations

import re

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.db.models import F
from django.http import JsonResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

from factbase import provenance, workbench
from factbase.admin.suggestions import suggestions_context
from factbase.models import Claim, Source

# The longest quote the find view looks for (a claim's passage may be this long).
FIND_QUERY_MAX_LENGTH = 10_000
_INT = re.compile(r"[0-9]{1,10}")


def _claim_urls():
    """A claim's change URL from its id, reversed once (``reverse`` costs a few hundred microseconds a
    call: 200 claims' links would cost a tenth of a second)."""
    template = reverse("admin:factbase_claim_change", args=["__claim__"])
    return lambda pk: template.replace("__claim__", str(int(pk)))


def source_claims(source: Source) -> list[Claim]:
    """The source's claims with what the workbench shows of them, in text order (one query)."""
    return list(
        Claim.objects.filter(source=source).select_related("speaker")
        .only("id", "span_start", "span_end", "status", "kind", "text", "source_id", "speaker_id", "speaker__name")
        .order_by(F("span_start").asc(nulls_last=True), "span_end", "id")
    )


def claim_spans(claims: list[Claim]) -> list[workbench.ClaimSpan]:
    return [workbench.ClaimSpan(id=c.pk, start=c.span_start, end=c.span_end, status=c.status, speaker=c.speaker.name,
                                kind=c.kind, text=c.text)
            for c in claims if c.span_start is not None]


def _claim_json(claim: Claim, url) -> dict:
    return {"id": claim.pk, "start": claim.span_start, "end": claim.span_end, "status": claim.status,
            "kind": claim.kind, "text": claim.text, "speaker": {"id": claim.speaker_id, "name": claim.speaker.name},
            "url": url(claim.pk)}


def reading_html(text: str, spans: list[workbench.ClaimSpan]):
    """The source's text as paragraphs, every claim's span a ``<mark>`` linked to its claim; escaped.

    Every piece carries its offsets in the text (``data-start``, ``data-end``), so a selection in the
    page maps back to the text as stored; a piece several claims cover names them all
    (``data-claims``, the hover title) and links to the innermost."""
    url = _claim_urls()
    urls = {span.id: url(span.id) for span in spans}

    def piece(segment: workbench.Segment):
        top = segment.top
        if top is None:
            return format_html('<span data-start="{}" data-end="{}">{}</span>', segment.start, segment.end,
                               segment.text)
        overlap = " factbase-overlap" if len(segment.claims) > 1 else ""
        return format_html(
            '<mark class="factbase-claim factbase-status-{}{}" data-claims="{}" data-start="{}" data-end="{}" '
            'title="{}"><a href="{}" draggable="false">{}</a></mark>',
            top.status, overlap, segment.claim_ids, segment.start, segment.end, segment.title, urls[top.id],
            segment.text)

    return format_html_join(
        "", '<p data-start="{}" data-end="{}">{}</p>',
        ((paragraph.start, paragraph.end, format_html_join("", "{}", ((piece(s),) for s in paragraph.segments)))
         for paragraph in workbench.segments(text, spans)))


def _json_error(status: int, **errors) -> JsonResponse:
    return JsonResponse(errors, status=status)


def _int_param(request, name: str):
    """A non-negative integer query parameter: ``(value or None, error or None)``."""
    raw = request.GET.get(name, "").strip()
    if raw == "":
        return None, None
    if not _INT.fullmatch(raw):
        return None, f"Give a whole number (0 or more), not {raw[:20]!r}."
    return int(raw), None


# --- the source's page ---------------------------------------------------------------------------

class SourceWorkbenchAdmin:
    """The workbench on a source's change page, and its JSON views."""

    change_form_template = "admin/factbase/source/change_form.html"

    def get_fieldsets(self, request, obj=None):
        """The source's fields; its text in "Edit the text", collapsed when the page shows the text."""
        text = {"fields": ["text"]}
        if obj is not None and obj.text:
            text["classes"] = ["collapse"]
            text["description"] = ("The text as stored. Claims' spans point into it: when it is saved, each claim's "
                                   "quote or passage is found again in the new text.")
        fieldsets = [(None, {"fields": ["title", "url", "outlet", "authors", "published_on", "language"]}),
                     ("Edit the text" if obj is not None and obj.text else "Text", text)]
        return fieldsets + [(None, {"fields": ["change_reason"]})]

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/workbench.json", wrap(self.workbench_json_view), name="%s_%s_workbench_json" % info),
            path("<path:object_id>/find-quote/", wrap(self.find_quote_view), name="%s_%s_find_quote" % info),
        ] + super().get_urls()

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk is not None:
            # After a refused save, ``obj`` holds the submitted text: the spans point into the stored one.
            stored = obj if request.method != "POST" else Source.objects.filter(pk=obj.pk).first()
            if stored is not None:
                context["workbench"] = self.workbench_context(request, stored)
                # The suggested claims, listed under the text: the panel is inside the change form.
                context.update(suggestions_context(request, stored, in_form=True))
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def workbench_context(self, request, source: Source) -> dict:
        claims = source_claims(source)
        spans = claim_spans(claims)
        url = _claim_urls()
        by_status = {}
        for claim in claims:
            by_status[claim.status] = by_status.get(claim.status, 0) + 1
        claim_admin = self.admin_site._registry.get(Claim)
        can_add = claim_admin is not None and claim_admin.has_add_permission(request)
        return {
            "reading": reading_html(source.text, spans) if source.text else "",
            "claims": [
                {"id": c.pk, "url": url(c.pk), "speaker": c.speaker.name, "status": c.status,
                 "status_label": Claim.Status(c.status).label, "kind": Claim.Kind(c.kind).label,
                 "words": Truncator(c.text).words(12), "start": c.span_start, "end": c.span_end}
                for c in claims
            ],
            "spans": [{"id": s.id, "start": s.start, "end": s.end, "speaker": s.speaker, "status": s.status}
                      for s in spans],
            "statuses": [(value, label, by_status.get(value, 0)) for value, label in Claim.Status.choices],
            "can_add_claim": can_add,
            "new_claim_url": reverse("admin:factbase_claim_add") if can_add else "",
        }

    def _source_or_error(self, request, object_id):
        """The source, or the JSON error to answer: 404 for no such source, 403 without the view permission."""
        if not self.has_view_permission(request):
            return None, _json_error(403, detail="You may not view sources.")
        raw = unquote(object_id)
        if not _INT.fullmatch(raw):
            return None, _json_error(404, detail="No such source.")
        source = Source.objects.filter(pk=int(raw)).first()
        if source is None:
            return None, _json_error(404, detail="No such source.")
        if not self.has_view_permission(request, source):
            return None, _json_error(403, detail="You may not view this source.")
        return source, None

    def workbench_json_view(self, request, object_id):
        """The source's text, its paragraphs and its claims' spans, speakers and statuses."""
        source, error = self._source_or_error(request, object_id)
        if error is not None:
            return error
        claims = source_claims(source)
        url = _claim_urls()
        return JsonResponse({
            "id": source.pk,
            "title": str(source),
            "url": reverse("admin:factbase_source_change", args=[source.pk]),
            "text": source.text,
            "paragraphs": workbench.paragraphs(source.text),
            "claims": [_claim_json(c, url) for c in claims],
        })

    def find_quote_view(self, request, object_id):
        """Where ``q`` occurs in the source's text (the one normalisation of ``provenance``), which
        occurrence a claim would point to (``near``: the hint, as ``Claim.clean`` uses it), and the
        other claims (``exclude``: the claim being edited) each occurrence overlaps."""
        source, error = self._source_or_error(request, object_id)
        if error is not None:
            return error
        query = request.GET.get("q", "")
        if not query.strip():
            return _json_error(400, q="Give the quote to look for.")
        if len(query) > FIND_QUERY_MAX_LENGTH:
            return _json_error(400, q=f"A quote has at most {FIND_QUERY_MAX_LENGTH} characters.")
        near, near_error = _int_param(request, "near")
        if near_error:
            return _json_error(400, near=near_error)
        exclude, exclude_error = _int_param(request, "exclude")
        if exclude_error:
            return _json_error(400, exclude=exclude_error)
        found_in = provenance.normalized(source.text) if source.text else None
        found = found_in.find_all(query) if found_in is not None else []
        chosen = found_in.find(query, near) if found else None
        spans = claim_spans(source_claims(source)) if found else []
        url = _claim_urls()
        occurrences = []
        for span in found:
            others = workbench.overlapping(spans, span.start, span.end, exclude=exclude)
            occurrences.append({
                "start": span.start, "end": span.end, "exact": span.exact,
                "overlaps": [{"id": o.id, "speaker": o.speaker, "status": o.status, "url": url(o.id)}
                             for o in others],
                "message": workbench.overlap_message(others),
            })
        chosen_index = found.index(chosen) if chosen is not None else None
        return JsonResponse({
            "query": query,
            "normalized": provenance.normalize(query),
            "has_text": bool(source.text),
            "found": occurrences,
            "chosen": chosen_index,
        })


# --- the claim forms -----------------------------------------------------------------------------

class SpanHintForm(forms.ModelForm):
    """Part of a claim's form: ``span_hint``: where the claim's quote or passage was chosen in the source
    text (an offset), so that a phrase that occurs twice is located there (``find_quote``'s ``near``).
    Filled in from a selected passage, or by clicking an occurrence in the source text beside the form."""

    span_hint = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def _post_clean(self):
        # Claim.clean() locates the span near ``span_start``: the hint, as the service will use it.
        hint = (getattr(self, "cleaned_data", None) or {}).get("span_hint")
        if hint is not None:
            self.instance.span_start = hint
        super()._post_clean()


class ClaimSourcePanelAdmin:
    """The source's text beside a claim's fields (``admin/factbase/claim/change_form.html``)."""

    change_form_template = "admin/factbase/claim/change_form.html"

    def get_changeform_initial_data(self, request):
        """Django's initial data from the query string; with ``passage_start`` and ``passage_end`` (a
        passage selected on the source's page), the claim's text, kind, passage and span hint too."""
        initial = super().get_changeform_initial_data(request)
        for name in ("passage_start", "passage_end"):
            initial.pop(name, None)
        for name in ("source", "speaker", "outlet"):
            if name in initial and not _INT.fullmatch(str(initial[name])):
                del initial[name]  # not an id: the form starts empty rather than fail
        if "passage_start" not in request.GET and "passage_end" not in request.GET:
            return initial
        source_id, start, end = (request.GET.get(name, "") for name in ("source", "passage_start", "passage_end"))
        source = None
        if _INT.fullmatch(source_id) and self.admin_site._registry[Source].has_view_permission(request):
            source = Source.objects.filter(pk=int(source_id)).only("id", "text").first()
        problem = None
        if source is None:
            problem = "The passage's source was not found."
        elif not (_INT.fullmatch(start) and _INT.fullmatch(end)):
            problem = "The passage's position was not understood."
        else:
            try:
                chosen = workbench.passage(source.text, int(start), int(end))
            except workbench.PassageError as exc:
                problem = f"The selected passage is not in the source's text ({exc.message})"
            else:
                initial.update({name: chosen[name] for name in ("text", "kind", "span_exact", "span_hint")})
        if problem:
            messages.warning(request, problem + " Fill in the claim by hand.")
        return initial

    def get_fieldsets(self, request, obj=None):
        """The claim's fields, with ``span_hint`` (hidden) beside the passage; no "Source text" line on the
        add form, where the text is shown beside the fields."""
        fieldsets = []
        for name, options in super().get_fieldsets(request, obj):
            fields = list(options.get("fields", ()))
            if "span_exact" in fields:
                fields.insert(fields.index("span_exact") + 1, "span_hint")
            if obj is None and "source_context" in fields:
                fields.remove("source_context")
            fieldsets.append((name, {**options, "fields": fields}))
        return fieldsets

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        template = reverse("admin:factbase_source_workbench_json", args=["__source__"])
        context["source_panel"] = {
            "workbench_url": template,
            "find_url": reverse("admin:factbase_source_find_quote", args=["__source__"]),
            "claim_id": obj.pk if obj is not None and obj.pk is not None else "",
            "span_start": obj.span_start if obj is not None and obj.span_start is not None else "",
        }
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)


