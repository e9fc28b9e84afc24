"""Claims: their locks (the source's row, then the claim's), their creation and changes (with their tags, as
one version), their curation status (the ``verify_claim`` permission), and their deletion with their
relations to other claims.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone

from factbase.models import Actor, Claim, ClaimRelation, Outlet, Source, Tag
from factbase.services.base import (
    _apply, _blocking_references, _check_reason, _delete, _history_user, _save, _snapshot,
)

VERIFY_PERMISSION = "factbase.verify_claim"


def _lock_sources(*ids: int | None) -> dict[int, Source]:
    """Take the row locks of these sources, in id order (as every writer does), and read them as they
    are now: their texts are what a claim is checked against until the transaction ends."""
    wanted = sorted({pk for pk in ids if pk is not None})
    return {s.pk: s for s in Source.objects.select_for_update().filter(pk__in=wanted).order_by("pk")}


def _locked_source(source: Source | None, field: str = "source") -> Source | None:
    if source is None:
        return None
    locked = _lock_sources(source.pk).get(source.pk)
    if locked is None:
        raise ValidationError({field: f"There is no source with id {source.pk} (it was deleted)."})
    return locked


def claim_for_update(pk: int, *, also_source: Source | None = None) -> Claim:
    """The claim ``pk``, locked for a write in this transaction: its source's row first (and
    ``also_source``'s, the source it is about to move to), then its own. The claim's ``source`` is the
    locked source as it is now. Raises ``Claim.DoesNotExist``; a source to move to that is gone is a
    ``ValidationError`` on ``source``."""
    while True:
        source_id = Claim.objects.filter(pk=pk).values_list("source_id", flat=True).first()
        if source_id is None:
            raise Claim.DoesNotExist(f"There is no claim with id {pk}.")
        locked = _lock_sources(source_id, also_source.pk if also_source is not None else None)
        claim = Claim.objects.select_for_update().filter(pk=pk).first()
        if claim is None:
            raise Claim.DoesNotExist(f"There is no claim with id {pk}.")
        if claim.source_id not in locked:
            continue  # it moved to another source meanwhile: lock that one
        if also_source is not None and also_source.pk not in locked:
            raise ValidationError({"source": f"There is no source with id {also_source.pk} (it was deleted)."})
        claim.source = locked[claim.source_id]
        return claim


def record_for_update(model: type[models.Model], pk: int) -> models.Model:
    """The record ``pk`` of ``model``, locked for a write in this transaction, the way the services lock
    it (a claim after its source). For a caller that checks a precondition (an ``If-Match``) before
    calling a service: the record cannot change between the check and the write."""
    if model is Claim:
        return claim_for_update(pk)
    return model._default_manager.select_for_update().get(pk=pk)


def _save_claim(claim: Claim, *, user, reason: str | None = None, tags: list[Tag] | None = None,
                clean: bool = True) -> None:
    """Save a claim and set its ``tags`` (None: leave them) as one change, one record in its history
    with the tags it has after the change: on its own, simple-history records a change of tags apart,
    so that creating a claim with tags would show as a creation followed by a change."""
    if tags is None:
        _save(claim, user=user, reason=reason, clean=clean)
        return
    created = claim._state.adding
    claim.skip_history_when_saving = True
    try:
        _save(claim, user=user, reason=reason, clean=clean)
        claim.tags.set(tags)
    finally:
        del claim.skip_history_when_saving
    Claim.history_records.create_historical_record(claim, "+" if created else "~")


def _claim_tags(tags: Iterable[Tag] | None):
    return None if tags is None else list(tags)


def _claim_fields(*, speaker, text, source, kind=Claim.Kind.DIRECT_QUOTE, speaker_role="", stated_on=None,
                  stated_on_precision="", outlet=None, span_exact="", span_hint=None, **extra) -> dict[str, Any]:
    """The fields of a new claim as ``claim_create`` and ``claim_create_many`` make it (``span_hint`` is
    where its span is looked for first, kept in ``span_start`` until ``clean()`` finds the span)."""
    return dict(
        speaker=speaker, text=text, source=source, kind=kind, speaker_role=speaker_role,
        stated_on=stated_on, stated_on_precision=stated_on_precision or "", outlet=outlet,
        span_exact=span_exact or "", span_start=span_hint, **extra,
    )


def _new_claim(**data) -> Claim:
    """An unsaved claim as ``claim_create`` makes it (the arguments of ``_claim_fields``)."""
    return Claim(**_claim_fields(**data))


@transaction.atomic
def claim_create(
    *,
    user=None,
    speaker: Actor,
    text: str,
    source: Source,
    kind: str = Claim.Kind.DIRECT_QUOTE,
    speaker_role: str = "",
    stated_on=None,
    stated_on_precision: str = "",
    outlet: Outlet | None = None,
    span_exact: str = "",
    span_hint: int | None = None,
    tags: Iterable[Tag] | None = None,
    reason: str | None = None,
) -> Claim:
    """Record a new, unverified claim.

    A direct quote from a source whose text we hold must occur in that text; its span is found and
    stored (``span_hint``, an offset, picks among several occurrences). A paraphrase may name the
    passage that reports it in ``span_exact``.
    """
    _check_reason(reason)
    source = _locked_source(source)
    claim = _new_claim(
        speaker=speaker, text=text, source=source, kind=kind, speaker_role=speaker_role,
        stated_on=stated_on, stated_on_precision=stated_on_precision, outlet=outlet,
        span_exact=span_exact, span_hint=span_hint,
    )
    tags = _claim_tags(tags)
    _save_claim(claim, user=user, reason=reason, tags=tags or None)
    return claim


@transaction.atomic
def claim_update(*, claim: Claim, user=None, data: dict[str, Any], reason: str | None = None) -> Claim:
    """Change a claim's fields (and ``tags``).

    Changing what a verified claim says, who said it, in what role, or when, or which source reports
    it, sends it back to ``unverified``: the verification was of the old record.
    """
    _check_reason(reason)
    data = dict(data)
    tags = _claim_tags(data.pop("tags", None))
    unknown = set(data) - {f.name for f in Claim._meta.get_fields()} - {"span_hint"}
    if unknown:
        raise ValidationError({name: "A claim has no such field." for name in sorted(unknown)})
    if "status" in data or "verified_at" in data or "verified_by" in data:
        raise ValidationError({"status": "A claim's status is changed with claim_set_status, which needs the "
                                         "verify_claim permission."})
    span_hint = data.pop("span_hint", None)

    new_source = data.get("source")
    current = claim_for_update(claim.pk, also_source=new_source)
    if new_source is not None:
        data["source"] = _lock_sources(new_source.pk)[new_source.pk]  # held already: the locked row
    snapshot = _snapshot(current)
    tags_before = set(current.tags.values_list("pk", flat=True)) if tags is not None else None
    before = {f: getattr(current, f if f not in ("speaker", "source") else f + "_id") for f in Claim.ATTRIBUTION_FIELDS}
    _apply(current, data)
    if span_hint is not None:
        current.span_start = span_hint
    if "stated_on" in data and data["stated_on"] is None and "stated_on_precision" not in data:
        current.stated_on_precision = ""
    after = {f: getattr(current, f if f not in ("speaker", "source") else f + "_id") for f in Claim.ATTRIBUTION_FIELDS}
    changed = [f for f in Claim.ATTRIBUTION_FIELDS if before[f] != after[f]]
    current.full_clean()  # the span found again (a span_hint may move it)
    if _snapshot(current) == snapshot and (tags is None or {tag.pk for tag in tags} == tags_before):
        return current  # nothing changes: nothing is written
    if changed and current.status == Claim.Status.VERIFIED:
        current.status = Claim.Status.UNVERIFIED
        current.verified_at = None
        current.verified_by = None
        current.status_note = f"Back to unverified: {', '.join(changed)} changed after verification."
        _status_changed(current, user=user, when=timezone.now())
        reason = f"{reason} ({current.status_note})" if reason else current.status_note
    _save_claim(current, user=user, reason=reason, tags=tags, clean=False)
    current.__dict__.pop("_history_date", None)  # a later save of this instance is dated then
    return current


def _status_changed(claim: Claim, *, user, when) -> None:
    """Record on ``claim`` that its status changes now (``when``) by ``user``: the history record of the save
    that follows gets the same date, so ``status_changed_at`` is that version's date, as
    ``check_integrity`` checks."""
    claim.status_changed_at = when
    claim.status_changed_by = _history_user(user)
    claim._history_date = when


def can_set_claim_status(user) -> bool:
    return bool(user is not None and user.is_active and user.has_perm(VERIFY_PERMISSION))


@transaction.atomic
def claim_set_status(*, claim: Claim, user, status: str, note: str = "", reason: str | None = None) -> Claim:
    """Verify, dispute, reject or reopen a claim. Needs the ``verify_claim`` permission.

    Verifying records who verified it and when; any other status clears that.
    """
    if not can_set_claim_status(user):
        raise PermissionDenied("Changing a claim's status needs the “verify claim” permission (the Editors group has it).")
    _check_reason(reason)
    if status not in Claim.Status.values:
        raise ValidationError({"status": f"“{status}” is not a status. Choose one of: {', '.join(Claim.Status.values)}."})
    current = claim_for_update(claim.pk)
    if current.status == status and (not note or note == current.status_note):
        return current  # nothing changes: nothing is written
    now = timezone.now()
    if current.status != status:  # (a new note alone changes no status)
        _status_changed(current, user=user, when=now)
    current.status = status
    current.status_note = note
    if status == Claim.Status.VERIFIED:
        current.verified_by = user
        current.verified_at = now
    else:
        current.verified_by = None
        current.verified_at = None
    _save(current, user=user, reason=reason or f"Status set to {status}" + (f": {note}" if note else ""))
    current.__dict__.pop("_history_date", None)  # a later save of this instance is dated then
    return current


@transaction.atomic
def claim_delete(*, claim: Claim, user=None, reason: str | None = None) -> None:
    """Delete a claim, and with it its relations to other claims (each deletion in the relation's history,
    by ``user``, its reason naming the claim): a relation means nothing without both its claims. Reviews
    protect a claim from deletion (``DeleteProtected``): they are someone's published work."""
    _check_reason(reason)
    current = claim_for_update(claim.pk)
    if not _blocking_references(current):
        relation_reason = f"Claim #{current.pk} deleted" + (f": {reason}" if reason else "")
        relations = ClaimRelation.objects.select_for_update().filter(
            models.Q(claim_id=current.pk) | models.Q(related_claim_id=current.pk)).order_by("pk")
        for relation in relations:
            relation._history_user = _history_user(user)
            relation._change_reason = relation_reason
            relation.delete()
    _delete(current, user=user, reason=reason)
