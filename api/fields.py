"""Serializer fields shared by every API version."""

from __future__ import annotations

from rest_framework import serializers

MAX_BIGINT = 2**63 - 1


class BriefRelatedField(serializers.PrimaryKeyRelatedField):
    """A related record: written as its id, read as its brief form (id, url, name or title, kind).

    ``serializer`` is the brief serializer class used for reading.
    """

    default_error_messages = {
        **serializers.PrimaryKeyRelatedField.default_error_messages,
        "incorrect_type": "Give the id (a whole number) of the related record, not {data_type}.",
        "does_not_exist": "There is no record with id {pk_value}.",
    }

    def __init__(self, serializer, **kwargs):
        self.brief_serializer = serializer
        super().__init__(**kwargs)

    def use_pk_only_optimization(self):
        return False

    def to_representation(self, value):
        return self.brief_serializer(value, context=self.context).data

    def to_internal_value(self, data):
        if isinstance(data, str) and data.strip().isdigit():
            data = int(data.strip())
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not 1 <= data <= MAX_BIGINT:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)

    def get_choices(self, cutoff=None):
        queryset = self.get_queryset()
        if queryset is None:
            return {}
        if cutoff is not None:
            queryset = queryset[:cutoff]
        return {item.pk: self.display_value(item) for item in queryset}


class NameListField(serializers.ListField):
    """A list of names (aliases, authors); the model checks they are distinct and trimmed."""

    def __init__(self, **kwargs):
        kwargs.setdefault("child", serializers.CharField(max_length=200, trim_whitespace=False))
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 100)
        super().__init__(**kwargs)
