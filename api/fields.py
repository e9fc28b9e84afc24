"""Serializer fields shared by every API version."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import get_script_prefix
from rest_framework import serializers
from rest_framework.reverse import reverse

from api.numbers import ASCII_SPACE, MAX_BIGINT, iso_date, parse_id, whole_number
from factbase.models.limits import NAME_MAX_LENGTH, NAMES_MAX_COUNT


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
        # One brief serializer for the whole response, not one built (and its fields deep-copied) for
        # every related record of every row: that construction was most of a list's time.
        brief = self.__dict__.get("_brief")
        if brief is None:
            brief = self.__dict__["_brief"] = self.brief_serializer(context=self.context)
        return brief.to_representation(value)

    def to_internal_value(self, data):
        if isinstance(data, str):
            # An id as text is read when it is written in the digits 0-9 ("١" names no record).
            pk = parse_id(data)
            if pk is not None:
                data = pk
            elif whole_number(data.strip(ASCII_SPACE)) is not None:
                self.fail("does_not_exist", pk_value=data.strip(ASCII_SPACE)[:30])
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


class WholeNumberField(serializers.IntegerField):
    """DRF's ``IntegerField``, taking a JSON number or digits 0-9 in a string, not ``true`` (which DRF reads as
    1) nor another script's digits (which ``int()`` reads: "١" is 1)."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, str) and whole_number(data.strip(ASCII_SPACE), signed=True) is None:
            self.fail("invalid")
        return super().to_internal_value(data)


class IsoDateField(serializers.DateField):
    """A date written ``YYYY-MM-DD`` in the digits 0-9 (ISO 8601). DRF's also takes "2022-1-7", a newline
    after the date, and the digits of other scripts."""

    def to_internal_value(self, value):
        if isinstance(value, str) and iso_date(value) is None:
            self.fail("invalid", format="YYYY-MM-DD (in the digits 0-9)")
        return super().to_internal_value(value)


class NameListField(serializers.ListField):
    """A list of names (aliases, authors); the model checks they are distinct and trimmed."""

    def __init__(self, **kwargs):
        kwargs.setdefault("child", serializers.CharField(max_length=NAME_MAX_LENGTH, trim_whitespace=False))
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", NAMES_MAX_COUNT)
        super().__init__(**kwargs)


_url_prefixes: dict[tuple, str] = {}
_MAX_URL_PREFIXES = 1000  # a bound, should clients send many different Host headers
_PLACEHOLDER = 0


def detail_url_prefix(view_name: str, request, host: str | None = None) -> str | None:
    """The URL of record ``pk`` of ``view_name`` is this prefix then ``f"{pk}/"``: the URL of record 0 is
    reversed once for each view, API version, scheme, host and script prefix (and kept for the
    process). None when the URL has another shape (then reverse each URL as usual). ``host`` is
    ``request.get_host()``, for a caller that already has it."""
    key = (view_name, getattr(request, "version", None), request.scheme, host or request.get_host(),
           get_script_prefix())
    prefix = _url_prefixes.get(key)
    if prefix is None:
        # Without the ``?format=`` DRF keeps in the URLs it reverses: a record's URL is the same whatever format
        # it was asked in (and the same whichever request made the prefix first).
        placeholder_url = reverse(view_name, kwargs={"pk": _PLACEHOLDER}, request=request).split("?", 1)[0]
        head, _, tail = placeholder_url.rpartition(f"/{_PLACEHOLDER}/")
        if tail or not head:
            return None
        if len(_url_prefixes) >= _MAX_URL_PREFIXES:
            _url_prefixes.clear()
        prefix = _url_prefixes[key] = head + "/"
    return prefix


class DetailURLField(serializers.HyperlinkedIdentityField):
    """A record's API URL, as ``HyperlinkedIdentityField`` gives it, without a ``reverse()`` a record.

    The URL is ``detail_url_prefix()`` with the record's id, found once for each serializer (the
    request's host is read once, not for every row). The result is the same string that
    ``reverse()`` gives. With ``suffix``, a route under the record's URL (``view_name`` names it,
    ``detail_view_name`` the record's own): ``suffix="history/"`` gives ``.../claims/7/history/``.
    """

    def __init__(self, *, suffix: str = "", detail_view_name: str | None = None, **kwargs):
        self.suffix = suffix
        self.detail_view_name = detail_view_name or kwargs.get("view_name")
        super().__init__(**kwargs)

    def to_representation(self, value):
        prefix = self.__dict__.get("_prefix", False)
        if prefix is False:
            request = self.context.get("request")
            prefix = None
            if (request is not None and not self.context.get("format") and self.lookup_field == "pk"
                    and self.lookup_url_kwarg == "pk"):
                prefix = detail_url_prefix(self.detail_view_name, request)
            self.__dict__["_prefix"] = prefix
        if prefix is None:
            return super().to_representation(value)
        return serializers.Hyperlink(f"{prefix}{value.pk}/{self.suffix}", value)


class FilteredListURLField(serializers.URLField):
    """The URL of a list of this API filtered to the record: ``view_name``'s list with ``param`` set to the
    record's ``attribute`` (``/api/v1/claims/?speaker=7``). The list's URL is reversed once a serializer."""

    def __init__(self, *, view_name: str, param: str, attribute: str = "pk", **kwargs):
        self.view_name, self.param, self.attribute = view_name, param, attribute
        kwargs.update(source="*", read_only=True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        base = self.__dict__.get("_base")
        if base is None:
            request = self.context.get("request")
            base = self.__dict__["_base"] = reverse(self.view_name, request=request).split("?", 1)[0]
        return f"{base}?{urlencode({self.param: getattr(value, self.attribute)})}"


class ClaimCountField(serializers.IntegerField):
    """How many claims point to the record: the selector's ``claim_count`` annotation (one subquery for a
    page), counted with a query of its own for a record read without it."""

    def __init__(self, **kwargs):
        kwargs.update(read_only=True)
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        count = getattr(instance, "claim_count", None)
        return instance.claims.count() if count is None else count
