"""Filters for every list (django-filter), shared by every API version.

A filter value that does not parse (a malformed date, an unknown status, a word where an id goes)
is refused with 400 naming the parameter; so is a parameter that no filter of the list knows, or a
single-valued one given twice: nothing a client asks for is silently left out.
"""

from __future__ import annotations

import uuid

from django import forms
from django.core.validators import RegexValidator, validate_slug
from django.db.models import Exists, OuterRef, Q
from django_filters import rest_framework as filters
from django_filters.widgets import QueryArrayWidget
from rest_framework.exceptions import ValidationError

from api import selection
from api.numbers import iso_date, iso_datetime, parse_id
from api.pagination import COUNT_PARAM, CURSOR_PARAM, ORDERING_PARAM, PAGE_SIZE_PARAM
from factbase import selectors
from factbase.models import Actor, Claim, ClaimRelation, Outlet, Review, Source, Tag
from factbase.models.source import LANGUAGE_REGEX

PAGINATION_PARAMS = (CURSOR_PARAM, PAGE_SIZE_PARAM, ORDERING_PARAM, COUNT_PARAM)
ALWAYS_ALLOWED = ("format",)  # DRF's renderer choice, e.g. ?format=json in a browser
UNNAMED = "(a parameter without a name)"


class MultipleIdField(forms.Field):
    """One or more ids, each in the digits 0-9: ``?speaker=3&speaker=5`` (or ``?speaker=3,5``)."""

    widget = QueryArrayWidget

    def to_python(self, value):
        if value in (None, "", []):
            return []
        values = value if isinstance(value, (list, tuple)) else [value]
        ids = []
        for item in values:
            pk = parse_id(str(item))
            if pk is None:
                # The client's text goes in ``params``, never in the message itself: django-filter formats
                # the message with ``%``, and "%s" in the text was a TypeError (a 500).
                raise forms.ValidationError("“%(value)s” is not an id (a whole number from 1, in the digits 0-9).",
                                            code="invalid", params={"value": str(item).strip()[:30]})
            ids.append(pk)
        if len(ids) > 100:
            raise forms.ValidationError("Give at most 100 ids.", code="max_length")
        return ids


class MultipleSlugField(forms.Field):
    """One or more slugs: ``?tag=a&tag=b`` (or ``?tag=a,b``)."""

    widget = QueryArrayWidget

    def to_python(self, value):
        if value in (None, "", []):
            return []
        values = [part for item in (value if isinstance(value, (list, tuple)) else [value])
                  for part in str(item).split(",")]
        for item in values:
            if len(item) > 100:
                raise forms.ValidationError("A slug has at most 100 characters.", code="max_length")
            validate_slug(item)
        if len(values) > 20:
            raise forms.ValidationError("Give at most 20 slugs.", code="max_length")
        return list(dict.fromkeys(values))


class IdField(forms.Field):
    """One id, in the digits 0-9."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        pk = parse_id(str(value))
        if pk is None:
            raise forms.ValidationError("“%(value)s” is not an id (a whole number from 1, in the digits 0-9).",
                                        code="invalid", params={"value": str(value).strip()[:30]})
        return pk


class IsoDateField(forms.DateField):
    """A date written ``YYYY-MM-DD`` in the digits 0-9 (ISO 8601), and nothing else: not "01/07/2022" (whose
    month is the reader's guess), nor another script's digits."""

    default_error_messages = {"invalid": "Enter a valid date, as YYYY-MM-DD (ISO 8601) in the digits 0-9."}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        parsed = iso_date(value) if isinstance(value, str) else None
        if parsed is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return parsed


class IsoDateFilter(filters.DateFilter):
    field_class = IsoDateField


class IdFilter(filters.Filter):
    field_class = IdField


class IsoDateTimeField(forms.DateTimeField):
    """A moment in ISO 8601 with its time zone (``2024-05-01T12:00:00Z``, ``...+02:00``), in the digits 0-9. A
    time without a zone is refused: it would be a guess of the server's zone."""

    default_error_messages = {"invalid": "Enter a date and time in ISO 8601 with a time zone, as "
                                         "2024-05-01T12:00:00Z or 2024-05-01T14:00:00+02:00 (encode + as %%2B)."}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        parsed = iso_datetime(value) if isinstance(value, str) else None
        if parsed is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return parsed


class IsoDateTimeFilter(filters.DateTimeFilter):
    field_class = IsoDateTimeField


class StrictBooleanField(forms.Field):
    """``true`` or ``false`` (any case; also 1 and 0); anything else is refused, not ignored."""

    VALUES = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        parsed = self.VALUES.get(str(value).strip().lower()) if isinstance(value, str) else None
        if parsed is None:
            raise forms.ValidationError("Enter true or false.", code="invalid")
        return parsed


class StrictBooleanFilter(filters.BooleanFilter):
    """A boolean filter whose bad value is a 400 (django-filter's widget reads one as "no filter")."""

    field_class = StrictBooleanField

    def __init__(self, *args, **kwargs):
        kwargs["widget"] = forms.TextInput
        super().__init__(*args, **kwargs)


class MultipleUUIDField(forms.Field):
    """One or more UUIDs: ``?uid=...&uid=...`` (or comma-separated)."""

    widget = QueryArrayWidget

    def to_python(self, value):
        if value in (None, "", []):
            return []
        values = value if isinstance(value, (list, tuple)) else [value]
        uids = []
        for item in values:
            text = str(item).strip(" ")
            try:
                if not text.isascii() or len(text) > 45:
                    raise ValueError
                uids.append(uuid.UUID(text))
            except ValueError:
                raise forms.ValidationError("“%(value)s” is not a UUID (e.g. 0b5e9bd4-6c1f-4e3c-9a55-2f4d1c1e7a10).",
                                            code="invalid", params={"value": text[:45]}) from None
        if len(uids) > 100:
            raise forms.ValidationError("Give at most 100 UUIDs.", code="max_length")
        return uids


class MultipleIdFilter(filters.Filter):
    """Rows whose ``field_name`` is any of the given ids."""

    field_class = MultipleIdField
    multiple = True

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(**{f"{self.field_name}__in": value})


class AllTagsFilter(filters.Filter):
    """Claims with every one of the given tags (by slug)."""

    field_class = MultipleSlugField

    def filter(self, qs, value):
        for slug in value or ():
            qs = qs.filter(tags__slug=slug)
        return qs


def _language_filter(field_name: str, help_text: str):
    return filters.CharFilter(
        field_name=field_name, max_length=16, help_text=help_text,
        validators=[RegexValidator(LANGUAGE_REGEX, "Enter a language code such as en or pt-BR.")],
    )


class MultipleUUIDFilter(MultipleIdFilter):
    """Rows whose ``field_name`` is any of the given UUIDs."""

    field_class = MultipleUUIDField


MAX_FORM_CLASSES = 256


class FilterSet(filters.FilterSet):
    """Base of every filterset: ``examples`` gives an example value for each parameter (OpenAPI). Every list
    takes ``updated_after`` / ``updated_before``: what changed since a client's last visit (with
    ``ordering=updated_at``)."""

    updated_after = IsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte",
        help_text="Records last changed at or after this moment: ISO 8601 with a time zone "
                  "(`2024-05-01T12:00:00Z`, or an offset with its `+` encoded as `%2B`); a time without a zone "
                  "is refused (400).")
    updated_before = IsoDateTimeFilter(
        field_name="updated_at", lookup_expr="lte",
        help_text="Records last changed at or before this moment (ISO 8601 with a time zone, as `updated_after`).")

    examples: dict[str, object] = {}

    def __init__(self, data=None, *args, **kwargs):
        # django-filter deep-copies every filter, and its form every form field, for each request: for a
        # list of claims that was half of a filtered page's time. Only the filters a parameter names can
        # filter (an absent one leaves the queryset as it is), so only they are copied; a filter whose widget
        # reads suffixed names (``name_min``) is kept by its prefix. The class keeps them all (the schema,
        # the list of allowed parameters).
        if data is not None:
            keys = list(data.keys())
            self.base_filters = {name: filter_ for name, filter_ in type(self).base_filters.items()
                                 if any(key == name or key.startswith(name) for key in keys)}
        super().__init__(data, *args, **kwargs)

    #: (filterset class, names of its filters in use) -> the form class django-filter builds from them
    _form_classes: dict = {}

    def get_form_class(self):
        # django-filter builds a form class for every request, each of its fields made and labelled anew
        # (a tenth of a filtered page's time); the class depends only on which filters are in use, so it is
        # built once for each choice. A form made from it still copies its fields, as every Django form does.
        key = (type(self), tuple(self.filters))
        form_class = self._form_classes.get(key)
        if form_class is None:
            if len(self._form_classes) >= MAX_FORM_CLASSES:  # each choice of parameters is one: keep them bounded
                self._form_classes.clear()
            form_class = self._form_classes[key] = super().get_form_class()
        return form_class

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.examples = {"updated_after": "2022-01-08T00:00:00Z", "updated_before": "2030-01-01T00:00:00Z",
                        **cls.__dict__.get("examples", {})}


class ClaimFilterSet(FilterSet):
    speaker = MultipleIdFilter(field_name="speaker_id",
                               help_text="The speaker's id; repeat it for claims by any of several speakers.")
    speaker_name = filters.CharFilter(method="filter_speaker_name", max_length=200,
                                      help_text="Part of the speaker's name or of one of their aliases, in any case "
                                                "or Unicode form (full-width, composed or decomposed).")
    outlet = MultipleIdFilter(field_name="outlet_id",
                              help_text="The id of the outlet where the statement was made (repeatable).")
    outlet_name = filters.CharFilter(method="filter_outlet_name", max_length=200,
                                     help_text="Part of the name of the outlet where the statement was made, in any "
                                               "case or Unicode form.")
    source = MultipleIdFilter(field_name="source_id",
                              help_text="The id of the source that reports the claim (repeatable).")
    uid = MultipleUUIDFilter(field_name="uid",
                             help_text="The claim's stable UUID (`uid`); repeat it for any of several claims.")
    rating = filters.MultipleChoiceFilter(
        choices=Review.Rating.choices, method="filter_rating",
        help_text="Claims with a review of this rating (repeatable: a review of any of the given ratings).")
    has_review = StrictBooleanFilter(method="filter_has_review",
                                     help_text="`true`: claims with at least one review; `false`: claims without.")
    status = filters.MultipleChoiceFilter(choices=Claim.Status.choices, distinct=False,
                                          help_text="Curation status (repeatable: any of the given).")
    kind = filters.ChoiceFilter(choices=Claim.Kind.choices, help_text="Direct quote or paraphrase.")
    tag = AllTagsFilter(help_text="A tag's slug: claims with that tag; repeat it for claims with every one of "
                                  "several tags.")
    language = _language_filter("source__language", "The language code of the claim's source, e.g. en.")
    stated_after = IsoDateFilter(method="filter_stated", lookup_expr="gte",
                                 help_text="Stated on or after this date (ISO 8601); undated claims are left out.")
    stated_before = IsoDateFilter(method="filter_stated", lookup_expr="lte",
                                  help_text="Stated on or before this date (ISO 8601); undated claims are left out.")
    # Whether a claim has what the facets count in their bucket without a value (api/facets.py).
    has_outlet = StrictBooleanFilter(method="filter_has_outlet",
                                     help_text="true: claims made in a known outlet; false: claims without an outlet.")
    has_date = StrictBooleanFilter(method="filter_has_date",
                                   help_text="true: claims with a date (`stated_on`); false: undated claims.")
    has_tag = StrictBooleanFilter(method="filter_has_tag",
                                  help_text="true: claims with a tag; false: claims without any.")
    related_to = IdFilter(
        method="filter_related_to",
        help_text="A claim's id: the claims related to it (GET /claim-relations/), whichever side of the relation "
                  "they are on.",
    )
    q = filters.CharFilter(
        method="filter_q", max_length=500,
        help_text=(
            "Full-text search over the claim's text and its speaker's name and aliases, in web search syntax: "
            "words (all must match), \"a quoted phrase\", -excluded, `or`. Whole words, any case; English stop "
            "words (the, of, ...) are left out. On PostgreSQL words are stemmed (`protest` finds `protesters`) "
            "and `ordering=relevance` ranks by it; on SQLite a word matches only as written, without ranking."
        ),
    )

    examples = {
        "speaker": [1], "speaker_name": "tokayev", "outlet": [1], "source": [1], "status": ["unverified"],
        "kind": "direct_quote", "tag": ["kazakhstan-unrest-2022"], "language": "en",
        "has_outlet": False, "has_date": True, "has_tag": True,
        "stated_after": "2022-01-01", "stated_before": "2022-01-31", "q": "deadly force", "related_to": 1,
        "outlet_name": "khabar", "uid": ["0b5e9bd4-6c1f-4e3c-9a55-2f4d1c1e7a10"], "rating": ["unsupported"],
        "has_review": True,
    }

    class Meta:
        model = Claim
        fields = []

    def filter_speaker_name(self, queryset, name, value):
        return selectors.claims_by_speaker_name(queryset, value)

    def filter_outlet_name(self, queryset, name, value):
        return selectors.claims_by_outlet_name(queryset, value)

    def filter_rating(self, queryset, name, value):
        return selectors.claims_reviewed(queryset, ratings=value) if value else queryset

    def filter_has_review(self, queryset, name, value):
        return queryset if value is None else selectors.claims_reviewed(queryset, negated=not value)

    def filter_stated(self, queryset, name, value):
        lookup = self.filters[name].lookup_expr
        return selectors.claims_stated(queryset, **{"after" if lookup == "gte" else "before": value})

    def filter_q(self, queryset, name, value):
        return selectors.claim_search(queryset, value)

    def filter_has_outlet(self, queryset, name, value):
        return queryset.filter(outlet__isnull=not value)

    def filter_has_date(self, queryset, name, value):
        return queryset.filter(stated_on__isnull=not value)

    def filter_has_tag(self, queryset, name, value):
        tagged = Exists(Claim.tags.through.objects.filter(claim_id=OuterRef("pk")))
        return queryset.filter(tagged if value else ~tagged)

    def filter_related_to(self, queryset, name, value):
        return selectors.claims_related_to(queryset, value)


class ActorFilterSet(FilterSet):
    q = filters.CharFilter(method="filter_q", max_length=200,
                           help_text="Part of the actor's name or of one of their aliases, in any case or "
                                     "Unicode form.")
    kind = filters.ChoiceFilter(choices=Actor.Kind.choices, help_text="Person or organization.")
    wikidata_id = filters.CharFilter(max_length=20, help_text="The Wikidata item, e.g. Q123.")
    examples = {"q": "tokayev", "kind": "person", "wikidata_id": "Q123"}

    class Meta:
        model = Actor
        fields = []

    def filter_q(self, queryset, name, value):
        return queryset.filter(selectors.actor_name_matches(value))


class OutletFilterSet(FilterSet):
    q = filters.CharFilter(method="filter_q", max_length=200,
                           help_text="Part of the outlet's name, in any case or Unicode form.")
    kind = filters.ChoiceFilter(choices=Outlet.Kind.choices, help_text="What kind of outlet.")
    examples = {"q": "khabar", "kind": "broadcaster"}

    class Meta:
        model = Outlet
        fields = []

    def filter_q(self, queryset, name, value):
        return queryset.filter(selectors.name_matches(value))


class SourceFilterSet(FilterSet):
    q = filters.CharFilter(method="filter_q", max_length=200,
                           help_text="Part of the source's title or URL, in any case or Unicode form.")
    outlet = MultipleIdFilter(field_name="outlet_id",
                              help_text="The id of the outlet that published the source (repeatable).")
    language = _language_filter("language", "The source's language code, e.g. en.")
    published_after = IsoDateFilter(field_name="published_on", lookup_expr="gte",
                                    help_text="Published on or after this date (ISO 8601).")
    published_before = IsoDateFilter(field_name="published_on", lookup_expr="lte",
                                     help_text="Published on or before this date (ISO 8601).")
    examples = {"q": "kazakhstan", "outlet": [1], "language": "en",
                "published_after": "2022-01-01", "published_before": "2022-12-31"}

    class Meta:
        model = Source
        fields = []

    def filter_q(self, queryset, name, value):
        return queryset.filter(selectors.name_matches(value))


class ReviewFilterSet(FilterSet):
    claim = MultipleIdFilter(field_name="claim_id", help_text="The reviewed claim's id (repeatable).")
    reviewer = MultipleIdFilter(field_name="reviewer_id", help_text="The reviewer's id (repeatable).")
    source = MultipleIdFilter(field_name="source_id",
                              help_text="The id of the source where the review was published (repeatable).")
    rating = filters.MultipleChoiceFilter(choices=Review.Rating.choices, distinct=False, help_text="The rating (repeatable).")
    reviewed_after = IsoDateFilter(field_name="reviewed_on", lookup_expr="gte",
                                   help_text="Reviewed on or after this date (ISO 8601).")
    reviewed_before = IsoDateFilter(field_name="reviewed_on", lookup_expr="lte",
                                    help_text="Reviewed on or before this date (ISO 8601).")
    examples = {"claim": [1], "reviewer": [1], "source": [1], "rating": ["unsupported"],
                "reviewed_after": "2022-01-01", "reviewed_before": "2022-12-31"}

    class Meta:
        model = Review
        fields = []


class ClaimRelationFilterSet(FilterSet):
    claim = MultipleIdFilter(method="filter_claim",
                             help_text="A claim's id: its relations, whichever side it is on (repeatable).")
    type = filters.MultipleChoiceFilter(choices=ClaimRelation.Type.choices, distinct=False,
                                        help_text="The relation's type, as stored (repeatable).")
    examples = {"claim": [1], "type": ["same_statement"]}

    class Meta:
        model = ClaimRelation
        fields = []

    def filter_claim(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(Q(claim_id__in=value) | Q(related_claim_id__in=value))


class TagFilterSet(FilterSet):
    q = filters.CharFilter(method="filter_q", max_length=100,
                           help_text="Part of the tag's name or slug, in any case or Unicode form.")
    examples = {"q": "kazakhstan"}

    class Meta:
        model = Tag
        fields = []

    def filter_q(self, queryset, name, value):
        return queryset.filter(selectors.name_matches(value))


def check_query_params(request, allowed: dict[str, bool]) -> None:
    """Refuse (400) a parameter not in ``allowed`` (name -> may repeat), or a single one given twice."""
    errors = {}
    for name in request.query_params:
        if name not in allowed and name not in ALWAYS_ALLOWED:
            known = ", ".join(sorted(allowed)) or "none"
            # A parameter without a name ("?=x") is keyed so that the error still names something.
            errors[name[:100] or UNNAMED] = [f"Unknown parameter. This list takes: {known}."]
        elif not allowed.get(name, False) and len(request.query_params.getlist(name)) > 1:
            errors[name] = ["Give this parameter once."]
    if errors:
        raise ValidationError(errors)


def allowed_params(filterset_class, *, paginated: bool = True) -> dict[str, bool]:
    allowed = {}
    if filterset_class is not None:
        for name, filter_ in filterset_class.base_filters.items():
            allowed[name] = isinstance(filter_, (filters.MultipleChoiceFilter, MultipleIdFilter, AllTagsFilter))
    if paginated:
        allowed.update({name: False for name in PAGINATION_PARAMS})
    return allowed


class FilterBackend(filters.DjangoFilterBackend):
    """django-filter's backend, also refusing unknown and repeated parameters (400). An empty value (``?kind=``,
    as an HTML form sends) is a filter left out, for every filter alike (``?status=`` was a 400)."""

    def get_filterset_kwargs(self, request, queryset, view):
        kwargs = super().get_filterset_kwargs(request, queryset, view)
        data = kwargs["data"].copy()
        for name in list(data):
            values = [value for value in data.getlist(name) if value != ""]
            if values:
                data.setlist(name, values)
            else:
                del data[name]
        kwargs["data"] = data
        return kwargs

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        # A view whose action takes other parameters than a list's (claims/facets/) says which; a list also
        # takes ?fields=/?omit=, which the view reads (api.selection).
        allowed = getattr(view, "allowed_query_params", None)
        params = allowed(filterset_class) if allowed is not None else None
        if params is None:
            params = {**allowed_params(filterset_class), **dict.fromkeys(selection.PARAMS, False)}
        check_query_params(request, params)
        if filterset_class is None or not any(name in filterset_class.base_filters for name in request.query_params):
            # No filter asked for: the filterset would leave the queryset as it is, after building and
            # validating its form (a sixth of a first page's time).
            return queryset
        return super().filter_queryset(request, queryset, view)
