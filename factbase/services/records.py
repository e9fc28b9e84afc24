"""Actors, outlets, tags and reviews: records whose rules are their rows' own (the models' constraints and
``clean()``), so that their services are ``base``'s mechanics as they are. One more: deleting a tag takes
it off its claims, and each claim's history records that its tags changed.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from factbase.interchange import bulk
from factbase.models import Actor, Claim, Outlet, Review, Tag
from factbase.services.base import _check_reason, _create, _delete, _history_user, _update

#: how many claims' history records ``tag_delete`` writes at once
BULK_BATCH_SIZE = 1000


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
