"""Version 2 representations: version 1's, with the names the naming rule gives (README, "Naming").

Version 2 is derived from version 1, not copied: ``derived(serializer_class)`` is a version-1
serializer with the version-2 brief forms (``BRIEF_FORMS``) wherever it embeds a related record, so a
field added to version 1 is in version 2 as well. What differs:

- a brief source's ``title`` is the source's own title (empty when it has none), as in its full
  form; ``display_title`` is the never-empty label (version 1 gives the label in both).
"""

from __future__ import annotations

import copy

from rest_framework import serializers

from api.fields import BriefRelatedField
from api.v1 import serializers as v1


class BriefSourceSerializer(v1.BriefSourceSerializer):
    title = serializers.CharField(read_only=True, help_text="The source's own title; empty when it has none.")
    display_title = serializers.CharField(
        read_only=True, help_text="The title, or for a source without one its URL or date: never empty.",
    )

    class Meta(v1.BriefSourceSerializer.Meta):
        pass


#: version 1's brief form -> version 2's
BRIEF_FORMS = {v1.BriefSourceSerializer: BriefSourceSerializer}

_derived: dict[type, type] = {}


def derived(serializer_class):
    """``serializer_class`` (a version-1 serializer) as version 2 represents it: a subclass, of the same name
    (so the schema's components keep their names), whose embedded records take their version-2 brief forms."""
    if serializer_class is None or serializer_class in BRIEF_FORMS.values() or getattr(serializer_class, "_v2", False):
        return serializer_class
    if serializer_class in BRIEF_FORMS:
        return BRIEF_FORMS[serializer_class]
    if not _embeds_a_brief_form(serializer_class):
        return serializer_class  # the same in both versions (and the same component in the schema)
    found = _derived.get(serializer_class)
    if found is None:
        found = _derived[serializer_class] = type(serializer_class.__name__, (V2FieldsMixin, serializer_class), {
            "__module__": __name__, "__doc__": serializer_class.__doc__, "_v2": True,
        })
    return found


_embeds: dict[type, bool] = {}


def _embeds_a_brief_form(serializer_class) -> bool:
    """Whether a serializer embeds (at any depth) a record whose brief form differs in version 2."""
    found = _embeds.get(serializer_class)
    if found is None:
        _embeds[serializer_class] = False  # a serializer that embeds itself
        try:
            fields = serializer_class().fields.values()
        except Exception:  # noqa: BLE001 - a serializer that needs arguments: derive it, to be safe
            fields, found = (), True
        for field in fields:
            if isinstance(field, serializers.ManyRelatedField):
                field = field.child_relation
            if isinstance(field, serializers.ListSerializer):
                field = field.child
            if isinstance(field, BriefRelatedField):
                found = found or field.brief_serializer in BRIEF_FORMS or _embeds_a_brief_form(field.brief_serializer)
            elif isinstance(field, serializers.BaseSerializer):
                found = found or _embeds_a_brief_form(type(field))
        _embeds[serializer_class] = found = bool(found)
    return found


def _to_v2(field) -> None:
    """Points ``field`` (a field of a version-2 serializer) at the version-2 brief forms."""
    if isinstance(field, serializers.ManyRelatedField):
        field = field.child_relation
    if isinstance(field, BriefRelatedField):
        field.brief_serializer = derived(field.brief_serializer)
    elif isinstance(field, serializers.ListSerializer):
        _to_v2(field.child)
    elif isinstance(field, serializers.BaseSerializer) and not getattr(field, "_v2", False):
        field.__class__ = derived(field.__class__)


class V2FieldsMixin:
    _v2 = True

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            _to_v2(field)
        return fields


def derived_instance(serializer):
    """A serializer class or instance (as a schema names it) in its version-2 form."""
    if isinstance(serializer, type):
        return derived(serializer)
    if isinstance(serializer, serializers.ListSerializer):
        child = derived_instance(serializer.child)
        if child is serializer.child:
            return serializer
        serializer = copy.copy(serializer)
        serializer.child = child
        return serializer
    if isinstance(serializer, serializers.BaseSerializer) and derived(type(serializer)) is not type(serializer):
        serializer = copy.copy(serializer)
        serializer.__dict__.pop("fields", None)
        serializer.__class__ = derived(type(serializer))
    return serializer
