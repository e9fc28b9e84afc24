"""Suggested claims (``factbase.suggestions``) accepted, as a claim made through ``claim_create``, or
dismissed; either needs the "add claim" permission.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from factbase import provenance
from factbase.models import Actor, Claim, Outlet, Source, SuggestionDismissal
from factbase.models.limits import CHANGE_REASON_MAX_LENGTH, CLAIM_TEXT_MAX_LENGTH
from factbase.services.base import _check_reason, _history_user
from factbase.services.claims import _locked_source, claim_create
from factbase.services.records import actor_create, outlet_create


ADD_CLAIM_PERMISSION = "factbase.add_claim"
#: what ``suggestion_accept``'s ``data`` may change of the suggestion
SUGGESTION_FIELDS = ("text", "kind", "speaker", "speaker_name", "speaker_role", "stated_on", "stated_on_precision",
                     "outlet", "tags")


def can_act_on_suggestions(user) -> bool:
    """Who may add claims may accept a suggestion, and dismiss one."""
    return bool(user is not None and getattr(user, "is_active", False) and user.has_perm(ADD_CLAIM_PERMISSION))


def _suggestion(source: Source, key, user, verb: str):
    """The source locked, and its suggestion ``key`` as it is listed now; refused without the permission, or
    for a key that is not suggested (any more)."""
    from factbase import suggestions

    if not can_act_on_suggestions(user):
        raise PermissionDenied(f"{verb} a suggested claim needs the “add claim” permission (the Editors and "
                               f"Contributors groups have it).")
    locked = _locked_source(source)
    found = suggestions.find_suggestion(locked, key) if isinstance(key, str) else None
    if found is None:
        raise ValidationError({"key": f"“{key}” is not a suggestion of this source now: it was accepted or dismissed, "
                                      f"or the source's text changed since it was listed. List the suggestions again."})
    return locked, found


def _reason_with(generated: str, reason: str | None) -> str:
    text = f"{generated}; {reason}" if reason else generated
    if len(text) > CHANGE_REASON_MAX_LENGTH:
        text = text[:CHANGE_REASON_MAX_LENGTH - 1] + "…"
    return text


@transaction.atomic
def suggestion_accept(*, source: Source, key: str, user, data: dict[str, Any] | None = None,
                      reason: str | None = None) -> Claim:
    """Make the suggestion ``key`` of ``source`` (``factbase.suggestions``) an unverified claim, through
    ``claim_create``: its content (a direct quote's words, or a paraphrase with its passage), kind, speaker,
    role, date and outlet, the span where the extractor found it. ``data`` changes any of
    ``SUGGESTION_FIELDS`` first (an editor's corrections; ``speaker_name``, without ``speaker``, names the
    speaker instead of the matched actor: the actor of that name, created if there is none). A speaker the database does not have is created (an actor of this exact name
    and kind is used if it exists), and so is an outlet named in the text. The claim's history records the
    suggestion as the reason (``Accepted suggestion: “said” by Jane Doe (extractor)``, then ``reason``).

    Needs the "add claim" permission (``PermissionDenied``), and the "add actor" or "add outlet" one to
    create those. A key that is not suggested now is refused on ``key``; any refusal writes nothing.
    """
    _check_reason(reason)
    data = dict(data or {})
    unknown = sorted(set(data) - set(SUGGESTION_FIELDS))
    if unknown:
        raise ValidationError({name: "A suggestion has no such field to change." for name in unknown})
    source, found = _suggestion(source, key, user, "Accepting")
    history_reason = _reason_with(found.history_reason(), reason)

    speaker = data.get("speaker") or (None if data.get("speaker_name") else found.actor)
    if speaker is None:
        name = (data.get("speaker_name") or found.speaker_name or "").strip()
        if not name:
            raise ValidationError({"speaker": "The suggestion does not say who spoke: choose the speaker."})
        speaker = Actor.objects.filter(name=name, kind=Actor.Kind.PERSON).first()
        if speaker is None:
            if not user.has_perm("factbase.add_actor"):
                raise PermissionDenied(f"The speaker “{name}” is not in the database, and creating an actor needs the "
                                       f"“add actor” permission.")
            speaker = actor_create(user=user, name=name, kind=Actor.Kind.PERSON,
                                   reason=f"Speaker of a suggestion accepted in source #{source.pk}")
    if "outlet" in data:
        outlet = data["outlet"]
    else:
        outlet = found.outlet
        if outlet is None and found.outlet_name.strip():
            name = found.outlet_name.strip()
            outlet = Outlet.objects.filter(names_folded=provenance.normalize(name)).first()
            if outlet is None:
                if not user.has_perm("factbase.add_outlet"):
                    raise PermissionDenied(f"The outlet “{name}” is not in the database, and creating an outlet needs "
                                           f"the “add outlet” permission.")
                outlet = outlet_create(user=user, name=name,
                                       reason=f"Outlet of a suggestion accepted in source #{source.pk}")
    kind = data.get("kind", found.kind)
    text = data.get("text", found.content.exact)
    stated_on = data.get("stated_on", found.stated_on)
    precision = data.get("stated_on_precision", found.stated_on_precision if "stated_on" not in data else "")
    if "stated_on" in data and "stated_on_precision" not in data and stated_on:
        precision = provenance.Precision.DAY
    return claim_create(
        user=user, speaker=speaker, text=text, source=source, kind=kind,
        speaker_role=data.get("speaker_role", found.role), stated_on=stated_on, stated_on_precision=precision or "",
        outlet=outlet, span_exact=found.content.exact if kind == Claim.Kind.PARAPHRASE else "",
        span_hint=found.content.start, tags=data.get("tags"), reason=history_reason,
    )


@transaction.atomic
def suggestion_dismiss(*, source: Source, key: str, user, reason: str | None = None) -> SuggestionDismissal:
    """Dismiss the suggestion ``key`` of ``source``: it (and the same words in this source) is not suggested
    again. Needs the "add claim" permission; a key that is not suggested now is refused on ``key``."""
    _check_reason(reason)
    source, found = _suggestion(source, key, user, "Dismissing")
    dismissal = SuggestionDismissal(source=source, key=found.key, content=found.content.exact[:CLAIM_TEXT_MAX_LENGTH],
                                    user=_history_user(user), reason=reason or "")
    dismissal.full_clean()
    dismissal.save()
    return dismissal
