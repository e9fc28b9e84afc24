"""A record put back as one of its versions had it (``record_revert``), through the model's own update
service, so that every rule of a change applies to a revert too.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction

from factbase.models import Actor, Claim, ClaimRelation, Outlet, Review, Source, Tag
from factbase.services.base import _check_reason, _save
from factbase.services.claims import can_set_claim_status, claim_for_update, claim_set_status
# The update services, found by name (``SERVICE_PREFIXES``) in this module's globals by ``record_revert``.
from factbase.services.claims import claim_update  # noqa: F401
from factbase.services.records import actor_update, outlet_update, review_update, tag_update  # noqa: F401
from factbase.services.relations import claim_relation_update  # noqa: F401
from factbase.services.sources import source_update  # noqa: F401


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
