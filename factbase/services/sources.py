"""Sources, and their claims' spans when a source's text changes: each claim's quote (or a paraphrase's
passage) found again in the new text, near where it was; a change that would lose what a claim quotes is
refused.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from factbase import provenance
from factbase.models import Claim, Source
from factbase.services.base import _apply, _check_reason, _create, _delete, _history_user, _save, _snapshot


@transaction.atomic
def source_create(*, user=None, reason: str | None = None, **data) -> Source:
    return _create(Source, user=user, data=data, reason=reason)


@transaction.atomic
def source_update(*, source: Source, user=None, data: dict[str, Any], reason: str | None = None) -> Source:
    """Update a source; when its text changes, every claim's span is found again in the new text.

    A claim whose quote or passage is no longer in the text blocks the change, and so does emptying a
    text that claims quote: the spans must keep pointing at what the claims say, and quoted words are
    never dropped silently. (To remove a text, first delete the claims that quote it, or move them to
    another source.) The claims whose span moved are saved with the reason in their history; the others
    are not written.
    """
    _check_reason(reason)
    current = Source.objects.select_for_update().get(pk=source.pk)
    old_text = current.text
    before = _snapshot(current)
    _apply(current, data)
    current.full_clean()
    if _snapshot(current) == before:
        return current  # nothing changes: nothing is written
    _save(current, user=user, reason=reason, clean=False)
    if current.text != old_text:
        _relocate_claim_spans(current, old_text=old_text, user=user)
    return current


def _common_prefix_length(a: str, b: str) -> int:
    """How many characters ``a`` and ``b`` share at their start (slices compared by halves: in C, not
    a Python loop over a megabyte of text)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[low:middle] == b[low:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _offset_mover(old: str, new: str):
    """A function that tells where an offset into ``old`` lands in ``new``: shifted when the edit is
    before it. The edit is taken as one change between the common beginning and the common end of
    both texts; an offset inside it stays as it was (the nearest occurrence is then taken).
    """
    prefix = _common_prefix_length(old, new)
    suffix = _common_prefix_length(old[prefix:][::-1], new[prefix:][::-1])
    edit_end, shift = len(old) - suffix, len(new) - len(old)
    return lambda offset: offset + shift if offset >= edit_end else offset


RELOCATED_REASON = "Span moved after the source's text changed"


def _relocate_claim_spans(source: Source, *, old_text: str, user) -> None:
    """Find each claim's quote (or its paraphrase's passage) in the source's new text, near where it
    was; save the claims whose span moved. The new text is normalized once for all of them."""
    missing = []
    moved = _offset_mover(old_text, source.text)
    found_in = provenance.normalized(source.text) if source.text else None
    for claim in source.claims.select_for_update().order_by("id"):
        if claim.kind == Claim.Kind.DIRECT_QUOTE:
            wanted = claim.text
        elif claim.span_start is not None:
            wanted = claim.span_exact
        else:
            continue  # a paraphrase that points at no passage
        hint = moved(claim.span_start) if claim.span_start is not None else None
        if found_in is None:
            if claim.span_start is not None:
                missing.append(claim.pk)  # emptying the text would drop the words the claim quotes
            continue
        span = found_in.find(wanted, near=hint)
        if span is None:
            missing.append(claim.pk)
            continue
        if (span.start, span.end, span.exact) == (claim.span_start, claim.span_end, claim.span_exact):
            continue
        claim.span_start, claim.span_end, claim.span_exact = span.start, span.end, span.exact
        claim._history_user = _history_user(user)
        claim._change_reason = RELOCATED_REASON
        claim.save(update_fields=["span_start", "span_end", "span_exact", "updated_at"])
    if missing:
        ids = ", ".join(f"#{pk}" for pk in missing[:20]) + (" …" if len(missing) > 20 else "")
        if not source.text.strip():
            message = (f"The text cannot be emptied while {len(missing)} claim(s) quote it ({ids}): their spans "
                       f"would point at nothing. Delete those claims or move them to another source first.")
        else:
            message = (f"The new text no longer contains what {len(missing)} claim(s) quote ({ids}). "
                       f"Correct those claims first, or keep their words in the text.")
        raise ValidationError({"text": message})


@transaction.atomic
def source_delete(*, source: Source, user=None, reason: str | None = None) -> None:
    _delete(source, user=user, reason=reason)
