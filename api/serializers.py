"""What every write serializer of every API version does with its input: take it all, or refuse it.

A write either stores what it was sent or is refused with a 400 naming why; nothing sent is silently
dropped. ``StrictInputMixin`` refuses, each named by its field:

- a field the serializer does not know;
- a read-only field sent with another value than the record's (``status_note`` in a ``PATCH``: it is
  written with ``POST /claims/{id}/status/``). Sent back with the value the record has, as the API gave
  it, it is accepted and ignored, so a client may ``PUT`` back what it read (an embedded record, or a list
  of them, also as its id or their ids, as related records are written). On create, "the record's
  value" is a new record's: the model field's default (``"status": "unverified"``, ``"status_note": ""``),
  ``null`` for what the server gives (id, url, uid, times, span);
- a number too large for a float (``1e400``, which JSON parsers read as infinity): a text field would
  store ``"inf"``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from django.core.exceptions import FieldDoesNotExist
from rest_framework import serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject

from api.parsers import json_problem

READ_ONLY_DEFAULT = "This field is read-only: the server sets it."
READ_ONLY_ADVICE = " Leave it out, or send the value the record has."
INFINITE_NUMBER = "A number too large to be read (e.g. 1e400)."
UNNAMED = "(a field without a name)"


def same_json(a, b) -> bool:
    """Whether two JSON values are the same (``1`` is neither ``1.0`` nor ``true``; key order does not matter)."""
    def canonical(value):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)

    try:
        return canonical(a) == canonical(b)
    except (TypeError, ValueError):
        return False


def as_ids(value):
    """An embedded record (or a list of them) as its id (their ids), as a client writes related records: a
    read-only embed sent back that way (a claim's ``reviews`` as ids) is the record's value too."""
    if isinstance(value, Mapping) and "id" in value:
        return value["id"]
    if isinstance(value, list) and value and all(isinstance(item, Mapping) and "id" in item for item in value):
        return [item["id"] for item in value]
    return value


class StrictInputMixin:
    """For a ``Serializer``: refuses unknown fields, read-only fields with another value than the record's,
    and infinite numbers (see the module's docstring). ``read_only_reasons`` says, for a read-only field,
    why it cannot be written and where it is set."""

    read_only_reasons: dict[str, str] = {}

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            writable = ", ".join(name for name, field in self.fields.items() if not field.read_only)
            # (A field without a name, "": {...}, is keyed so that the error still names something.)
            errors = {str(key)[:100] or UNNAMED: [f"Unknown field. The fields you can write are: {writable}."]
                      for key in data if key not in self.fields}
            for name, value in data.items():
                field = self.fields.get(name)
                if field is None:
                    continue
                if field.read_only:
                    current = self.current_value(name)
                    if not same_json(value, current) and not same_json(value, as_ids(current)):
                        errors[name] = [self.read_only_reasons.get(name, READ_ONLY_DEFAULT) + READ_ONLY_ADVICE]
                elif json_problem(value, finite=True) is not None:  # the parser refused the rest already
                    errors[name] = [INFINITE_NUMBER]
            if errors:
                raise serializers.ValidationError(dict(sorted(errors.items())))
        return super().to_internal_value(data)

    def current_value(self, name: str):
        """The value of read-only field ``name`` as the API gives it for the record being written; for a new
        record (or a serializer of no model), the model field's default, or null."""
        field = self.fields[name]
        instance = getattr(self, "instance", None)
        if instance is None:
            model = getattr(getattr(self, "Meta", None), "model", None)
            try:
                model_field = model._meta.get_field(field.source) if model is not None else None
            except FieldDoesNotExist:  # not a model field (url, span, display_title)
                model_field = None
            if model_field is None or (model_field.has_default() and callable(model_field.default)):
                return None  # given by the server (a new uid each time, say)
            default = model_field.get_default()  # "" for text without a default, None for times
            return None if default is None else field.to_representation(default)
        try:
            attribute = field.get_attribute(instance)
        except SkipField:
            return None
        check = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
        return None if check is None else field.to_representation(attribute)
