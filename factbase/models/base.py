"""Pieces shared by every model."""

import json

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

from factbase import provenance

from .limits import NAME_MAX_LENGTH, NAMES_MAX_COUNT


class UnicodeJSONEncoder(json.JSONEncoder):
    """Store JSON as UTF-8 text rather than ``\\uXXXX`` escapes.

    SQLite keeps a JSONField as text: with escapes, a search for a non-ASCII alias (``Токаев``)
    would never match there while it matches on PostgreSQL's jsonb. Both databases must answer alike.
    """

    def __init__(self, *args, **kwargs):
        kwargs["ensure_ascii"] = False
        super().__init__(*args, **kwargs)


def validate_string_list(value):
    """A list of distinct, non-empty strings (aliases, authors). (No error code here is "invalid": the
    JSON field would put its own message, "Value must be valid JSON.", in place of ours.)"""
    if not isinstance(value, list):
        raise ValidationError("Enter a list of names.", code="not_a_list")
    if len(value) > NAMES_MAX_COUNT:
        raise ValidationError("List at most %(limit)d names (this lists %(count)d).", code="max_length",
                              params={"limit": NAMES_MAX_COUNT, "count": len(value)})
    seen = set()
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise ValidationError("Each name must be a non-empty text.", code="empty_name")
        if len(item) > NAME_MAX_LENGTH:
            raise ValidationError("A name has at most %(limit)d characters (one has %(count)d).", code="max_length",
                                  params={"limit": NAME_MAX_LENGTH, "count": len(item)})
        if item != item.strip():
            raise ValidationError("Names may not start or end with white space: %(name)r.",
                                  code="padded_name", params={"name": item})
        key = provenance.normalize(item)
        if key in seen:
            raise ValidationError("%(name)s is listed twice.", code="duplicate", params={"name": item})
        seen.add(key)


def StringListField(**kwargs):  # noqa: N802 - a field factory reads like a field class
    """A JSON list of names, as text that both databases search alike."""
    kwargs.setdefault("default", list)
    kwargs.setdefault("blank", True)
    kwargs.setdefault("validators", [validate_string_list])
    return models.JSONField(encoder=UnicodeJSONEncoder, **kwargs)


class FoldedNamesField(models.TextField):
    """A record's names (the fields ``of``: a name, or a list of names) as ``provenance.normalize``
    folds them, one a line: what the name filters and searches compare with, so that both databases
    match a name alike (``ТОКАЕВ``, ``Ｔｏｋａｙｅｖ`` or a decomposed accent find the same actor).

    Kept by the model, never edited: set when the record is validated (``clean()``, which every service
    and the bulk importer call) and when it is saved.
    """

    def __init__(self, *args, of: tuple[str, ...] = (), **kwargs):
        self.of = tuple(of)
        kwargs.update(editable=False, blank=True, default="")
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        for key in ("editable", "blank", "default"):
            kwargs.pop(key, None)
        kwargs["of"] = self.of
        return name, path, args, kwargs

    def folded(self, instance) -> str:
        names = []
        for source in self.of:
            value = getattr(instance, source)
            for name in value if isinstance(value, list) else [value]:
                if isinstance(name, str) and name:
                    names.append(provenance.normalize(name))
        return "\n".join(names)

    def pre_save(self, instance, add):
        value = self.folded(instance)
        setattr(instance, self.attname, value)
        return value


def folded_contains(value: str, prefix: str = "") -> Q:
    """Records whose names (their ``FoldedNamesField``, ``names_folded``) contain ``value``, compared in
    the one normalisation of ``provenance.normalize``."""
    return Q(**{f"{prefix}names_folded__contains": provenance.normalize(value)})


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def clean(self):
        super().clean()
        for field in self._meta.concrete_fields:
            if isinstance(field, FoldedNamesField):
                setattr(self, field.attname, field.folded(self))


# The date that an unknown date sorts as: earlier than any real date, on every database.
UNDATED_SORTS_AS = "0001-01-01"


def date_sort_key(field: str):
    """A date column as a sort key in which an unknown (NULL) date counts as earlier than any date.

    Keyset pagination needs a total order without NULLs (PostgreSQL and SQLite place NULLs
    differently, and a NULL never compares). The same expression is indexed (see the models'
    ``Meta.indexes``) and used by ``factbase.selectors``: the literal is inlined, not a bound
    parameter, so that both databases recognise the indexed expression in a query.
    """
    return Coalesce(models.F(field), RawSQL(f"'{UNDATED_SORTS_AS}'", (), output_field=models.DateField()),
                    output_field=models.DateField())


class RandomUUID(models.Func):
    """A random (version 4) UUID made by the database: the default of a column that rows written
    without the ORM (``COPY``, raw ``INSERT``) still fill. PostgreSQL has ``gen_random_uuid()``;
    SQLite gets one from ``randomblob()``, as the 32 hex digits Django stores a UUID as there."""

    template = "gen_random_uuid()"
    output_field = models.UUIDField()

    def __init__(self):
        super().__init__()

    def as_sqlite(self, compiler, connection, **extra_context):
        return (
            "(lower(hex(randomblob(4)) || hex(randomblob(2)) || '4' || substr(hex(randomblob(2)), 2)"
            " || substr('89ab', 1 + (abs(random()) %% 4), 1) || substr(hex(randomblob(2)), 2)"
            " || hex(randomblob(6))))",
            [],
        )
