"""Relations between claims: both claims locked while a relation is written, a claim related to itself or a
relation the claims already have refused (on ``related_claim``).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction

from factbase.models import Claim, ClaimRelation
from factbase.services.base import _apply, _check_reason, _delete, _save, _snapshot


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
