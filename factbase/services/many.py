"""Many records at once, for imports: the ``*_create_many`` services, which keep the rules of creating
records one by one and check them another way (in memory, and by the database when a batch is inserted).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models.base import ModelState
from django.db.models.expressions import DatabaseDefault
from django.db.models.signals import post_init, pre_init
from django.utils import timezone

from factbase.interchange import bulk
from factbase.models import Actor, Claim, Outlet, Review, Source, Tag
from factbase.services.base import _history_user
from factbase.services.claims import _claim_fields, can_set_claim_status


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
