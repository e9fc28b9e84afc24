"""The mechanics every service shares: a row validated and saved with its author and the reason for the
change (``_save``), given fields set as their Python types (``_apply``), a write that changes nothing left
unwritten (``_snapshot``), a delete refused while protected records point to the row (``DeleteProtected``),
and a reason checked before any of it (``_check_reason``).

The services of each model are these mechanics with that model's rules around them (the other modules of
this package); ``_create``, ``_update`` and ``_delete`` are the whole of them for a model with no rule of
its own beyond its row.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models

from factbase.models.limits import CHANGE_REASON_MAX_LENGTH


class DeleteProtected(Exception):
    """A record cannot be deleted while other records point to it."""

    def __init__(self, message: str, *, blocking: dict[str, int]):
        super().__init__(message)
        self.message = message
        self.blocking = blocking


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
