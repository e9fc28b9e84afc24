"""Writes: every change to the domain goes through these functions.

The admin, the API and the management commands all call them, so a claim entered any way obeys the
same rules. Each function is atomic: it either makes its whole change or none of it, and raises
``django.core.exceptions.ValidationError`` (keyed by field), ``PermissionDenied`` or
``DeleteProtected`` when a rule refuses the change.

Row-level rules live in the models (database constraints, then ``clean()``); the rules here span
rows or depend on who is asking.

**Locks.** A claim's span must slice its source's text, a rule over two rows: every write of a claim
(create, update, status, delete) and every edit of a source take the source's row lock first
(``SELECT ... FOR UPDATE``), then the claim's, in that order, within one transaction; two sources in
id order. So a claim is never checked against a text that another transaction is changing, and no
two writers wait for each other in a circle. (The database checks the rule too: migration 0008.)

**A write that changes nothing writes nothing**: no history record, no new ``updated_at`` (so the
record's ETag stays as it was).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models.base import ModelState
from django.db.models.expressions import DatabaseDefault
from django.db.models.signals import post_init, pre_init
from django.utils import timezone

from factbase import provenance
from factbase.interchange import bulk
from factbase.models import Actor, Claim, ClaimRelation, Outlet, Review, Source, SuggestionDismissal, Tag
from factbase.models.limits import CHANGE_REASON_MAX_LENGTH, CLAIM_TEXT_MAX_LENGTH

VERIFY_PERMISSION = "factbase.verify_claim"


class DeleteProtected(Exception):
    """A record cannot be deleted while other records point to it."""

    def __init__(self, message: str, *, blocking: dict[str, int]):
        super().__init__(message)
        self.message = message
        self.blocking = blocking


# --- shared mechanics ----------------------------------------------------------------------------

def _history_user(user):
    if user is None or isinstance(user, AnonymousUser) or not getattr(user, "is_authenticated", False):
        return None
    return user


def _check_reason(reason: str | None) -> None:
    """A reason for a change (kept in the history record) is text of at most ``CHANGE_REASON_MAX_LENGTH``."""
    if reason is not None and not isinstance(reason, str):
        raise ValidationError({"change_reason": "A reason is text."})
    if reason and len(reason) > CHANGE_REASON_MAX_LENGTH:
        raise ValidationError({"change_reason": f"A reason has at most {CHANGE_REASON_MAX_LENGTH} characters "
                                                f"(this has {len(reason)})."})


def _save(instance: models.Model, *, user, reason: str | None = None, clean: bool = True) -> None:
    """Validate the whole row (fields, ``clean()``, constraints; ``clean=False``: the caller just did)
    and save it with its author, and ``reason`` (the history record's reason for the change; the services
    check the reason a user gives, ``_check_reason``, before they add to it)."""
    if clean:
        instance.full_clean()
    instance._history_user = _history_user(user)
    if reason:
        instance._change_reason = reason
    instance.save()


def _apply(instance: models.Model, data: dict[str, Any]) -> None:
    """Set the given fields, converted to their Python types (so "2022-01-07" equals a stored date)."""
    errors = {}
    for name, value in data.items():
        try:
            field = instance._meta.get_field(name)
        except FieldDoesNotExist:
            field = None
        if field is not None and field.concrete and not field.is_relation and value is not None:
            try:
                value = field.to_python(value)
            except ValidationError as exc:
                errors[name] = exc.messages
                continue
        setattr(instance, name, value)
    if errors:
        raise ValidationError(errors)


def _create(model: type[models.Model], *, user, data: dict[str, Any], reason: str | None = None) -> models.Model:
    _check_reason(reason)
    instance = model(**data)
    _save(instance, user=user, reason=reason)
    return instance


_UNTRACKED = {"updated_at", "created_at"}


def _snapshot(instance: models.Model) -> dict[str, Any]:
    """The values of the row (what a save would write), to tell whether a write changes anything."""
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields
            if f.name not in _UNTRACKED}


def _update(model: type[models.Model], instance: models.Model, *, user, data: dict[str, Any],
            reason: str | None = None) -> models.Model:
    _check_reason(reason)
    current = model.objects.select_for_update().get(pk=instance.pk)
    before = _snapshot(current)
    _apply(current, data)
    current.full_clean()
    if _snapshot(current) == before:
        return current  # nothing changes: nothing is written
    _save(current, user=user, reason=reason, clean=False)
    return current


def _blocking_references(instance: models.Model) -> dict[str, int]:
    """The protected relations that point to ``instance``, with how many rows each."""
    blocking = {}
    for rel in instance._meta.related_objects:
        if rel.on_delete is not models.PROTECT:
            continue
        count = rel.related_model._default_manager.filter(**{rel.field.name: instance}).count()
        if count:
            blocking[rel.related_model._meta.verbose_name_plural] = count
    return blocking


def _delete(instance: models.Model, *, user, reason: str | None = None) -> None:
    _check_reason(reason)
    # The row's lock first: a write that would point a new record to it waits for this delete (and then
    # finds the record gone), so what blocks the delete is counted as it will be.
    instance = type(instance)._default_manager.select_for_update().get(pk=instance.pk)
    blocking = _blocking_references(instance)
    if blocking:
        listed = ", ".join(f"{count} {name}" for name, count in sorted(blocking.items()))
        raise DeleteProtected(
            f"This {instance._meta.verbose_name} cannot be deleted while {listed} point to it. "
            f"Reassign or delete those first.",
            blocking=blocking,
        )
    instance._history_user = _history_user(user)
    if reason:
        instance._change_reason = reason
    instance.delete()


# --- actors, outlets, tags, sources --------------------------------------------------------------

@transaction.atomic
def actor_create(*, user=None, reason: str | None = None, **data) -> Actor:
    return _create(Actor, user=user, data=data, reason=reason)


@transaction.atomic
def actor_update(*, actor: Actor, user=None, data: dict[str, Any], reason: str | None = None) -> Actor:
    return _update(Actor, actor, user=user, data=data, reason=reason)


@transaction.atomic
def actor_delete(*, actor: Actor, user=None, reason: str | None = None) -> None:
    _delete(actor, user=user, reason=reason)


@transaction.atomic
def outlet_create(*, user=None, reason: str | None = None, **data) -> Outlet:
    return _create(Outlet, user=user, data=data, reason=reason)


@transaction.atomic
def outlet_update(*, outlet: Outlet, user=None, data: dict[str, Any], reason: str | None = None) -> Outlet:
    return _update(Outlet, outlet, user=user, data=data, reason=reason)


@transaction.atomic
def outlet_delete(*, outlet: Outlet, user=None, reason: str | None = None) -> None:
    _delete(outlet, user=user, reason=reason)


@transaction.atomic
def tag_create(*, user=None, reason: str | None = None, **data) -> Tag:
    return _create(Tag, user=user, data=data, reason=reason)


@transaction.atomic
def tag_update(*, tag: Tag, user=None, data: dict[str, Any], reason: str | None = None) -> Tag:
    return _update(Tag, tag, user=user, data=data, reason=reason)


@transaction.atomic
def tag_delete(*, tag: Tag, user=None, reason: str | None = None) -> None:
    """Delete a tag. Tags only group claims: the claims that carry it lose it, and the history of each
    records that change (by ``user``, the reason naming the tag), as if it had been removed one by one;
    their ``updated_at`` moves on, so a mirror that follows changes sees them."""
    _check_reason(reason)
    tag = Tag.objects.select_for_update().get(pk=tag.pk)
    through = Claim.tags.through
    claim_ids = list(through.objects.filter(tag_id=tag.pk).order_by("claim_id").values_list("claim_id", flat=True))
    tag._history_user = _history_user(user)
    if reason:
        tag._change_reason = reason
    reason = f"Tag “{tag.name}” ({tag.slug}) deleted" + (f": {reason}" if reason else "")
    tag.delete()
    for start in range(0, len(claim_ids), BULK_BATCH_SIZE):
        _record_tags_changed(claim_ids[start:start + BULK_BATCH_SIZE], user=user, reason=reason)


def _record_tags_changed(claim_ids: list[int], *, user, reason: str) -> None:
    """A "changed" record in the history of each claim whose tags were changed in bulk: the claim as it
    is now, with the tags it has now (as ``_save_claim`` records a change of tags)."""
    Claim.objects.filter(pk__in=claim_ids).update(updated_at=timezone.now())
    claims = list(Claim.objects.filter(pk__in=claim_ids).order_by("pk"))
    history_ids = bulk.insert_history(Claim, claims, user=_history_user(user), reason=reason, history_type="~",
                                      keys=True)
    history_of = dict(zip((claim.pk for claim in claims), history_ids))
    through = Claim.tags.through
    links = through.objects.filter(claim_id__in=claim_ids).order_by("id").values_list("id", "claim_id", "tag_id")
    tag_history = Claim.history.model.tags.model
    bulk.insert_rows(
        tag_history, [tag_history._meta.get_field(name) for name in ("id", "claim", "tag", "history")],
        [[link_id, claim_id, tag_id, history_of[claim_id]] for link_id, claim_id, tag_id in links],
        keys=False,
    )


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


# --- claims ---------------------------------------------------------------------------------------

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


# --- relations between claims ---------------------------------------------------------------------

def _lock_claims(relation_data: dict[str, Any]) -> None:
    """Lock the claims a relation links, in id order: two writers of a relation between the same claims
    take turns, so the second finds the first's relation (and is told, rather than meeting the unique
    index); a claim deleted meanwhile is named."""
    wanted = {name: relation_data[name] for name in ("claim", "related_claim") if relation_data.get(name) is not None}
    ids = sorted({claim.pk for claim in wanted.values()})
    found = set(Claim.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
    errors = {name: f"There is no claim with id {claim.pk} (it was deleted)."
              for name, claim in wanted.items() if claim.pk not in found}
    if errors:
        raise ValidationError(errors)


def _validate_relation(relation: ClaimRelation) -> None:
    """``full_clean()``, a duplicate reported on ``related_claim`` (the unique constraints name no field)."""
    try:
        relation.full_clean()
    except ValidationError as exc:
        errors = exc.update_error_dict({})
        duplicate = errors.pop(NON_FIELD_ERRORS, None)
        if duplicate:
            errors.setdefault("related_claim", []).extend(duplicate)
        raise ValidationError(errors) from None


def _save_relation(relation: ClaimRelation, *, user, reason: str | None) -> None:
    _validate_relation(relation)
    try:
        with transaction.atomic():
            _save(relation, user=user, reason=reason, clean=False)
    except IntegrityError:
        # Another writer got there first (or the pair is refused by a rule the check above did not see).
        raise ValidationError({"related_claim": "These claims already have this relation."}) from None


@transaction.atomic
def claim_relation_create(*, user=None, claim: Claim, related_claim: Claim, type: str,
                          reason: str | None = None) -> ClaimRelation:
    """Relate ``claim`` to ``related_claim`` (``ClaimRelation.Type``). Refused (``ValidationError``): a claim
    related to itself, and a relation the claims already have (for a symmetric type, either way round)."""
    data = {"claim": claim, "related_claim": related_claim, "type": type}
    _check_reason(reason)
    _lock_claims(data)
    relation = ClaimRelation(**data)
    _save_relation(relation, user=user, reason=reason)
    return relation


@transaction.atomic
def claim_relation_update(*, claim_relation: ClaimRelation, user=None, data: dict[str, Any],
                          reason: str | None = None) -> ClaimRelation:
    """Change a relation's claims or type, under the rules of ``claim_relation_create``."""
    _check_reason(reason)
    unknown = set(data) - {"claim", "related_claim", "type"}
    if unknown:
        raise ValidationError({name: "A relation has no such field." for name in sorted(unknown)})
    current = ClaimRelation.objects.select_for_update().get(pk=claim_relation.pk)
    _lock_claims({"claim": data.get("claim", current.claim), "related_claim": data.get("related_claim",
                                                                                        current.related_claim)})
    before = _snapshot(current)
    _apply(current, data)
    if _snapshot(current) == before:
        return current  # nothing changes: nothing is written
    _save_relation(current, user=user, reason=reason)
    return current


@transaction.atomic
def claim_relation_delete(*, claim_relation: ClaimRelation, user=None, reason: str | None = None) -> None:
    _delete(claim_relation, user=user, reason=reason)


# --- reviews --------------------------------------------------------------------------------------

@transaction.atomic
def review_create(*, user=None, reason: str | None = None, **data) -> Review:
    return _create(Review, user=user, data=data, reason=reason)


@transaction.atomic
def review_update(*, review: Review, user=None, data: dict[str, Any], reason: str | None = None) -> Review:
    return _update(Review, review, user=user, data=data, reason=reason)


@transaction.atomic
def review_delete(*, review: Review, user=None, reason: str | None = None) -> None:
    _check_reason(reason)
    review._history_user = _history_user(user)
    if reason:
        review._change_reason = reason
    review.delete()


# --- revert ---------------------------------------------------------------------------------------

#: the update service of each model, as ``<prefix>_update(**{prefix: record}, data=...)``
SERVICE_PREFIXES = {Actor: "actor", Outlet: "outlet", Tag: "tag", Source: "source", Claim: "claim",
                    Review: "review", ClaimRelation: "claim_relation"}
CLAIM_STATUS_FIELDS = ("status", "status_note")


def _version_data(record: models.Model, version) -> dict[str, Any]:
    """The editable fields of ``record``'s model as ``version`` (a historical record) has them, related
    records as instances; a related record deleted since is refused, by field."""
    data, errors = {}, {}
    for field in type(record)._meta.concrete_fields:
        if not field.editable or field.primary_key or field.name in CLAIM_STATUS_FIELDS:
            continue
        value = getattr(version, field.attname)
        if field.is_relation and value is not None:
            related = field.related_model._default_manager.filter(pk=value).first()
            if related is None:
                errors[field.name] = (f"Version {version.history_id} points to {field.related_model._meta.verbose_name} "
                                      f"#{value}, which was deleted since: it cannot be restored.")
                continue
            value = related
        data[field.name] = value
    if isinstance(record, Claim):
        tag_ids = sorted(version.tags.values_list("tag_id", flat=True))
        tags = list(Tag.objects.filter(pk__in=tag_ids).order_by("pk"))
        missing = sorted(set(tag_ids) - {tag.pk for tag in tags})
        if missing:
            errors["tags"] = (f"Version {version.history_id} has tags that were deleted since "
                              f"({', '.join(f'#{pk}' for pk in missing)}): it cannot be restored.")
        data["tags"] = tags
        if version.kind == Claim.Kind.DIRECT_QUOTE:
            data.pop("span_exact", None)  # found from the quote itself
        if version.span_start is not None:
            data["span_hint"] = version.span_start  # the same occurrence, where a quote occurs twice
    if errors:
        raise ValidationError(errors)
    return data


@transaction.atomic
def record_revert(*, record: models.Model, history_id: int, user=None, reason: str | None = None) -> models.Model:
    """Put ``record``'s fields back as they were in its version ``history_id``, through the model's update
    service, so that every rule applies as to any change (a claim's quote must be in its source's text as
    it is now, a source's new text must keep what its claims quote, a relation must not duplicate
    another). A claim's tags come back too, and its curation status through ``claim_set_status`` (so only
    for a user allowed to set it: ``PermissionDenied`` otherwise). The revert is a new version, whose reason
    is ``reason`` or "Reverted to version N"; if the version is the record as it is, nothing is written.
    Refused (``ValidationError`` on ``history_id``): a version of another record, or a deletion.
    """
    _check_reason(reason)
    model = type(record)
    prefix = SERVICE_PREFIXES[model]
    version = model.history.filter(history_id=history_id).first()
    name = model._meta.verbose_name
    if version is None or version.id != record.pk:
        raise ValidationError({"history_id": f"Version {history_id} is not a version of this {name} "
                                             f"(see its history for the versions it has)."})
    if version.history_type == "-":
        raise ValidationError({"history_id": f"Version {history_id} is the {name}'s deletion: revert to a version "
                                             f"before it."})
    reason = reason or f"Reverted to version {history_id}"
    data = _version_data(record, version)
    update = globals()[f"{prefix}_update"]
    if model is Claim:
        current = claim_for_update(record.pk)
        updated = update(claim=current, user=user, data=data, reason=reason)
        if updated.status != version.status:
            if not can_set_claim_status(user):
                raise PermissionDenied(
                    f"Version {history_id} has the status “{version.status}”, and this claim is now "
                    f"“{updated.status}”: putting the status back needs the “verify claim” permission (the "
                    f"Editors group has it). Nothing was changed.")
            updated = claim_set_status(claim=updated, user=user, status=version.status, note=version.status_note,
                                       reason=reason)
        if updated.status_note != version.status_note and can_set_claim_status(user):
            updated.status_note = version.status_note  # the same status, its note as it was (perhaps empty)
            _save(updated, user=user, reason=reason)
        return updated
    return update(**{prefix: record}, user=user, data=data, reason=reason)


# --- suggested claims ---------------------------------------------------------------------------

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


# --- many records at once (imports) --------------------------------------------------------------
#
# An import of a hundred thousand claims cannot afford ``_save``'s queries for every row:
# ``full_clean()`` asks the database whether each related record exists, whether each unique value is
# free, and evaluates each check constraint with a query of its own, then the row, its history and its
# tags are written one by one. The ``*_create_many`` services below keep the rules of one-by-one
# creation and change how they are checked:
#
# - each record is validated in memory as ``_save`` does it: its fields, and ``clean()`` (for a claim:
#   its date and precision, and its quote or passage found in the source's text, the span stored);
#   the instances are made without the constructor's generic argument handling (``_build``), and a
#   field does not check again a value it has accepted before (``_clean_in_memory``);
# - what needs the database (related records exist, unique values are free, check constraints hold) is
#   enforced by the database itself when the batch is inserted; if the batch is refused, each record
#   of it is checked again in full (``full_clean()`` with its queries) and saved alone, so that a
#   refused record is named with the model's own message, exactly as the admin or the API would say it;
# - history is written for every record (type "created", the user, a reason) with the rows
#   (``bulk.insert_instances``), and for claims the tags they are created with.
#
# Each returns ``(records, errors)``: ``records[i]`` is the saved record for ``items[i]`` or None, and
# ``errors[i]`` the ``ValidationError`` that refused it. Nothing is written for a refused record.

BULK_BATCH_SIZE = 1000


class _Fields:
    """What ``_build`` and ``_clean_in_memory`` need to know of a model's fields, found once a model."""

    _known: dict[type, _Fields] = {}

    def __init__(self, model: type[models.Model]):
        self.model = model
        self.concrete = list(model._meta.concrete_fields)
        self.relations = [f for f in self.concrete if f.is_relation]
        self.by_name = {f.name: f for f in self.concrete}
        self.attnames = [f.attname for f in self.concrete]
        # Each field's default: a value fixed once, or a callable called for every instance (uuid4, list;
        # a database default, which Django makes anew for every instance).
        self.defaults = [(f.default, True) if f.has_default() and callable(f.default)
                         else (f.get_default, True) if f.has_db_default()
                         else (f.get_default(), False) for f in self.concrete]
        # The fields whose values full_clean() checks (all but relations, which the database checks),
        # each with the values it has accepted (see _clean_in_memory).
        self.checked = [(f, f.attname, set(), f.blank, f.empty_values) for f in model._meta.fields
                        if not f.is_relation and not f.generated]

    @classmethod
    def of(cls, model: type[models.Model]) -> _Fields:
        fields = cls._known.get(model)
        if fields is None:
            fields = cls._known[model] = cls(model)
        return fields


def _build(model: type[models.Model], data: dict[str, Any]) -> models.Model:
    """``model(**data)``, made the cheaper way: each value set as Django's constructor sets it (a related
    record's id, the record itself kept on the instance as assigning it would; the fields ``data``
    leaves out take their defaults), without the constructor's generic handling of its arguments
    (as Django itself makes an instance when it unpickles one). Any other argument, or a model whose
    construction someone listens to, goes through the constructor."""
    fields = _Fields.of(model)
    values, related = {}, []
    for name, value in data.items():
        field = fields.by_name.get(name)
        if field is None:  # not a concrete field by its name (a many-to-many, an attname, a typo)
            return model(**data)
        if field.is_relation:
            if value is not None and not isinstance(value, field.related_model):
                return model(**data)  # Django's own error
            related.append((field, value))
            value = None if value is None else getattr(value, field.target_field.attname)
        values[field.attname] = value
    args = [values[name] if name in values else default() if call else default
            for name, (default, call) in zip(fields.attnames, fields.defaults)]
    if pre_init.receivers or post_init.receivers:
        instance = model(*args)
    else:
        instance = model.__new__(model)
        instance._state = ModelState()
        instance.__dict__.update(zip(fields.attnames, args))
    for field, value in related:
        field.set_cached_value(instance, value)
    return instance


# Checking a field's value (``Field.clean``: its type, choices, length, validators) depends on the value
# alone, and an import gives the same values again and again (kinds, statuses, roles, dates, languages):
# a value that a field has accepted as it is (cleaning leaves it unchanged) is not checked again by that
# field. Only short values of plain types are remembered, and at most so many a field.
_REMEMBERED_TYPES = frozenset({str, int, bool, date, datetime})
_REMEMBERED_LENGTH = 200
_REMEMBERED_VALUES = 10_000


def _clean_in_memory(instance: models.Model) -> None:
    """``full_clean()`` less its per-row queries (see above): each field's value checked
    (``clean_fields()``, but that a value a field has accepted before is not checked again, see
    above), then the model's ``clean()`` (its rules across fields), every time. A missing required
    relation is still refused; that a related record exists, and uniqueness, the database checks."""
    fields = _Fields.of(type(instance))
    values = instance.__dict__
    errors: dict[str, list] = {f.name: [f.error_messages["null"]] for f in fields.relations
                               if not f.null and values.get(f.attname) is None}
    # As Model.clean_fields() does it.
    for field, attname, accepted, blank, empty in fields.checked:
        value = values[attname] if attname in values else getattr(instance, attname)
        if blank and value in empty:
            continue
        if isinstance(value, DatabaseDefault):
            continue
        kind = value.__class__
        key = None
        if kind in _REMEMBERED_TYPES and (kind is not str or len(value) <= _REMEMBERED_LENGTH):
            key = (kind, value)
            if key in accepted:
                continue
        try:
            cleaned = field.clean(value, instance)
        except ValidationError as exc:
            errors.setdefault(field.name, []).extend(exc.error_list)
            continue
        if cleaned is not value:
            setattr(instance, attname, cleaned)
        elif key is not None and len(accepted) < _REMEMBERED_VALUES:
            accepted.add(key)
    try:
        instance.clean()
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def _insert_many(model: type[models.Model], instances: list, errors: dict[int, ValidationError], *, user,
                 reason: str, date=None) -> tuple[list, list[int]]:
    """Insert the instances not already refused in ``errors``, with the "created" history record of
    each (dated ``date``, default now); returns the list with None where refused, and the ids of the
    history records (in order)."""
    candidates = [(i, instance) for i, instance in enumerate(instances) if i not in errors]
    try:
        with transaction.atomic():
            history_ids = bulk.insert_instances(model, [instance for _, instance in candidates],
                                                history=bulk.History(_history_user(user), reason, date))
    except IntegrityError:
        for i, instance in candidates:
            instance.pk = None
            instance._state.adding = True
            try:
                instance.full_clean()
                instance.skip_history_when_saving = True  # its history is written with the others'
                with transaction.atomic():
                    instance.save(force_insert=True)
            except ValidationError as exc:
                errors[i] = exc
            except IntegrityError:
                errors[i] = ValidationError(
                    f"This {model._meta.verbose_name} conflicts with another one (a uniqueness or reference rule)."
                )
            finally:
                instance.__dict__.pop("skip_history_when_saving", None)
        saved = [instance for i, instance in candidates if i not in errors]
        history_ids = bulk.insert_history(model, saved, user=_history_user(user), reason=reason, keys=True,
                                          date=date)
    return [None if i in errors else instance for i, instance in enumerate(instances)], history_ids


def _create_many(model: type[models.Model], items: list[dict[str, Any]], *, user, reason: str):
    instances, errors = [], {}
    for i, data in enumerate(items):
        instance = _build(model, data)
        try:
            _clean_in_memory(instance)
        except ValidationError as exc:
            errors[i] = exc
        instances.append(instance)
    created, _ = _insert_many(model, instances, errors, user=user, reason=reason)
    return created, errors


@transaction.atomic
def actor_create_many(*, user=None, items: list[dict[str, Any]], reason: str = ""):
    return _create_many(Actor, items, user=user, reason=reason)


@transaction.atomic
def outlet_create_many(*, user=None, items: list[dict[str, Any]], reason: str = ""):
    return _create_many(Outlet, items, user=user, reason=reason)


@transaction.atomic
def tag_create_many(*, user=None, items: list[dict[str, Any]], reason: str = ""):
    return _create_many(Tag, items, user=user, reason=reason)


@transaction.atomic
def source_create_many(*, user=None, items: list[dict[str, Any]], reason: str = ""):
    return _create_many(Source, items, user=user, reason=reason)


@transaction.atomic
def review_create_many(*, user=None, items: list[dict[str, Any]], reason: str = ""):
    return _create_many(Review, items, user=user, reason=reason)


@transaction.atomic
def claim_create_many(*, user=None, items: list[dict[str, Any]], reason: str = ""):
    """Create many claims, each as ``claim_create`` would (same arguments, ``tags`` included), and
    optionally with its curation ``status`` and ``status_note`` as ``claim_set_status`` would set them:
    a status other than unverified needs the ``verify_claim`` permission (refused per claim otherwise);
    verifying records the user and the time. An item may give the claim's ``uid``.
    """
    may_set_status = can_set_claim_status(user)
    now = timezone.now()
    instances, tag_lists, errors = [], [], {}
    for i, data in enumerate(items):
        data = dict(data)
        tags = list(data.pop("tags", None) or [])
        status = data.pop("status", None) or Claim.Status.UNVERIFIED
        note = data.pop("status_note", "") or ""
        claim = _build(Claim, _claim_fields(**data, status=status, status_note=note))
        try:
            if status != Claim.Status.UNVERIFIED and not may_set_status:
                raise ValidationError({"status": "Changing a claim's status needs the “verify claim” permission "
                                                 "(the Editors group has it)."})
            if status == Claim.Status.VERIFIED:
                claim.verified_by, claim.verified_at = user, now
            if status != Claim.Status.UNVERIFIED:  # created with another status than the initial one
                claim.status_changed_by, claim.status_changed_at = _history_user(user), now
            _clean_in_memory(claim)
        except ValidationError as exc:
            errors[i] = exc
        instances.append(claim)
        tag_lists.append(tags)
    through = Claim.tags.through
    # The keys of the claims' tags, taken first: the claims may be written behind (bulk.WriteBehind), and
    # their tags with them.
    link_ids = bulk.reserve_ids(through, sum(len(tags) for i, tags in enumerate(tag_lists) if i not in errors))
    created, history_ids = _insert_many(Claim, instances, errors, user=user, reason=reason, date=now)

    links = [[claim.pk, tag.pk] for claim, tags in zip(created, tag_lists) if claim is not None for tag in tags]
    link_ids = bulk.insert_rows(through, [through._meta.get_field("claim"), through._meta.get_field("tag")], links,
                                ids=link_ids)
    # The tags each claim was created with, in the history of its tags (as simple-history records them).
    history_of = dict(zip((claim.pk for claim in created if claim is not None), history_ids))
    tag_history = Claim.history.model.tags.model
    bulk.insert_rows(
        tag_history, [tag_history._meta.get_field(name) for name in ("id", "claim", "tag", "history")],
        [[link_id, claim_id, tag_id, history_of[claim_id]] for link_id, (claim_id, tag_id) in zip(link_ids, links)],
        keys=False,
    )
    return created, errors


__all__ = [
    "DeleteProtected", "VERIFY_PERMISSION", "can_set_claim_status",
    "actor_create", "actor_update", "actor_delete",
    "outlet_create", "outlet_update", "outlet_delete",
    "tag_create", "tag_update", "tag_delete",
    "source_create", "source_update", "source_delete",
    "claim_create", "claim_update", "claim_set_status", "claim_delete", "claim_for_update", "record_for_update",
    "review_create", "review_update", "review_delete",
    "claim_relation_create", "claim_relation_update", "claim_relation_delete", "record_revert",
    "actor_create_many", "outlet_create_many", "tag_create_many", "source_create_many", "review_create_many",
    "claim_create_many", "suggestion_accept", "suggestion_dismiss", "can_act_on_suggestions",
]
