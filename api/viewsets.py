"""The one base class of every resource's viewset, shared by every API version (NetBox style).

A resource's viewset only names its selector, filterset, serializer and service prefix. This class:

- reads through ``factbase.selectors`` (joins and prefetches made there) and pages with keyset
  pagination over the orderings that ``selectors.ORDERINGS`` gives the resource;
- writes through ``factbase.services`` (``<prefix>_create``, ``<prefix>_update``, ``<prefix>_delete``),
  each request's write in one transaction, the service's ``ValidationError`` reported by API field
  names (400), ``DeleteProtected`` as 409;
- answers conditional requests: ``ETag`` on every single-record response, 304 for a matching
  ``If-None-Match``, 412 for a stale ``If-Match`` on ``PUT``, ``PATCH`` and ``DELETE``;
- serves ``GET <resource>/{id}/history/``: every recorded change, who made it and what it changed (who may
  read it, a deleted record's in particular: ``api.permissions.history_access``);
- takes ``change_reason`` with every write (a body field; for ``DELETE`` a JSON body or
  ``?change_reason=``), given to the service as the history record's ``reason``;
- serves ``POST <resource>/{id}/revert/``: the record's fields back as they were in one of its versions,
  through ``services.record_revert`` (the update services, every rule applying), a new version;
- renders lists and records as CSV too (``?format=csv`` or ``Accept: text/csv``): a list as its page
  (the next page in the ``Link`` header), in the columns ``csv_table`` gives; an error stays JSON;
- gives only the fields a read asks for (``?fields=``/``?omit=``, ``api.selection``), and asks the selector
  for only the embeds (``embeds``) of those fields.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404
from django.utils.cache import patch_vary_headers
from drf_orjson_renderer.renderers import ORJSONRenderer
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.settings import api_settings

from api.conditional import check_if_match, etag_for, not_modified
from api.exceptions import validation_error_from_django
from api.filters import allowed_params, check_query_params
from api.numbers import MAX_BIGINT, whole_number
from api.permissions import HISTORY_ALL, HISTORY_NONE, CanChangeRecord, history_access
from api.renderers import CSVRenderer, CSVTable, flat_table
from api.selection import parse_selection, selection_asked
from factbase import selectors, services


class FactbaseViewSet(viewsets.ModelViewSet):
    #: the selector giving the resource's queryset (``factbase.selectors.<name>_list``)
    selector = None
    #: the name of the record in the services: ``services.<service_prefix>_create`` etc.
    service_prefix: str = ""
    #: the key of the resource's orderings in ``selectors.ORDERINGS``
    orderings_key: str = ""
    #: a sentence added to the ``ordering`` parameter's description in the schema
    ordering_description: str = ""
    #: the serializer of one version of a record in ``history/`` (the API version's)
    history_serializer_class = None
    #: the body of ``revert/`` and of a ``DELETE`` (``change_reason``) (the API version's)
    revert_serializer_class = None
    delete_serializer_class = None
    #: the serializer of a record in a list, when it differs from ``serializer_class``
    list_serializer_class = None
    #: reads a list's page, or one record, straight into the serializer's representation (see
    #: ``api.v1.readers``); None: the serializer represents model instances
    reader_class = None
    #: field of the representation -> the selector's ``embed`` that reads it (a join, a prefetch, a count):
    #: a read that leaves the field out (``?fields=``/``?omit=``) leaves the embed out too
    embeds: dict[str, str] = {}

    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]
    renderer_classes = [*api_settings.DEFAULT_RENDERER_CLASSES, CSVRenderer]

    # --- reading -----------------------------------------------------------------------------------

    def get_queryset(self):
        return type(self).selector(**self.selector_kwargs())

    def selector_kwargs(self) -> dict:
        """The selector's arguments for this request: the embeds of the fields it shows."""
        if not self.embeds:
            return {}
        if self.get_reader() is not None:  # the database writes the records: their rows alone are read
            return {"embed": []}
        selection = self.field_selection()
        if selection is None:
            return {}
        return {"embed": [embed for name, embed in self.embeds.items() if name in selection]}

    # --- ?fields= and ?omit= -----------------------------------------------------------------------

    def field_selection(self) -> list[str] | None:
        """The top-level fields this read shows (``?fields=``/``?omit=``), in the representation's order; None:
        all of them (no selection asked, or a write, which answers the whole record)."""
        if "_selection" not in self.__dict__:
            # None until parsed: a refused selection (400) is refused once, and the error page (the browsable
            # API's builds its forms with get_serializer()) shows all the fields.
            self._selection = None
            if getattr(self, "action", None) in ("list", "retrieve") and selection_asked(self.request):
                self._selection = parse_selection(self.request, self.representation_names())
        return self._selection

    def representation_names(self) -> list[str]:
        """The top-level names of a record's representation for this request (its format's)."""
        if self.data_format() not in (None, "csv"):
            raise ValidationError({"fields": [f"fields and omit choose among the fields of the JSON and CSV "
                                              f"representations, not {self.data_format()}."]})
        return serializer_field_names(self.get_serializer_class())

    def get_serializer(self, *args, **kwargs):
        selection = self.field_selection()
        if selection is not None:
            kwargs.setdefault("selected_fields", selection)
        return super().get_serializer(*args, **kwargs)

    def get_serializer_class(self):
        action = getattr(self, "action", None)
        if action == "history":
            return self.history_serializer_class
        if action == "revert":
            return self.serializer_class
        if action == "list" and self.list_serializer_class is not None:
            return self.list_serializer_class
        return self.serializer_class

    def get_orderings(self):
        if getattr(self, "action", None) == "history":
            return selectors.HISTORY_ORDERINGS
        return selectors.ORDERINGS[self.orderings_key]

    def resolve_ordering(self, name, keys):
        """The sort keys for ordering ``name`` (a view may refuse it, or substitute another)."""
        return keys

    def filter_queryset(self, queryset):
        # Filters belong to lists; a single record is found by its id alone.
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    def _lookup_pk(self):
        """The id in the URL: digits 0-9 alone (``/claims/١/`` names no record), 1 to the largest bigint."""
        value = self.kwargs.get(self.lookup_url_kwarg or self.lookup_field, "")
        pk = whole_number(value) if isinstance(value, str) else None
        if pk is None or not 1 <= pk <= MAX_BIGINT:
            raise Http404
        return pk

    def get_object(self, *, lock: bool = False):
        """The record named in the URL; ``lock`` (inside a write's transaction) holds its row until the
        write commits, so that nobody changes it between the If-Match check and the service's save. The
        lock is taken as the services take it (``services.record_for_update``: a claim after its source)."""
        queryset = self.get_queryset()
        pk = self._lookup_pk()
        try:
            if lock:
                services.record_for_update(queryset.model, pk)
            instance = queryset.get(pk=pk)
        except queryset.model.DoesNotExist:
            raise Http404 from None
        self.check_object_permissions(self.request, instance)
        return instance

    def representation(self, instance):
        return self.get_serializer(instance).data

    def get_reader(self):
        """This request's reader (``reader_class``), or None when the serializer must do the work: another
        action than list and retrieve, a download format or URL format suffix, or a serializer the reader
        does not match."""
        if "_reader" not in self.__dict__:
            reader = None
            if (self.reader_class is not None and getattr(self, "action", None) in ("list", "retrieve")
                    and self.data_format() is None and not self.format_kwarg and self.renders_json_as_is()):
                serializer_class = self.get_serializer_class()
                if self.reader_class.supports(serializer_class):
                    reader = self.reader_class(serializer_class, self.request, fields=self.field_selection())
                    reader = reader if reader.usable() else None
            self._reader = reader
        return self._reader

    def page_query(self, ordered, limit: int):
        """The query of a page: the first ``limit`` rows of ``ordered`` (filtered, annotated with the sort keys
        and ordered by the paginator)."""
        return ordered[:limit]

    def renders_json_as_is(self) -> bool:
        """Whether this response's renderer writes a reader's pre-built JSON as it is: the JSON renderer,
        without an ``indent`` in the accepted media type (the browsable API renders the serializer's data)."""
        renderer = getattr(self.request, "accepted_renderer", None)
        media_type = getattr(self.request, "accepted_media_type", "") or ""
        return isinstance(renderer, ORJSONRenderer) and "indent" not in media_type

    def fetch_page(self, queryset, keys: list[str]) -> list:
        """The rows of a page (``queryset`` ordered and sliced by the paginator), each with the values of
        the sort keys ``keys`` as attributes: model instances, or the reader's representations."""
        reader = self.get_reader()
        if reader is None:
            return list(queryset)
        return reader.read(queryset, tuple(keys))

    # --- other formats than JSON -------------------------------------------------------------------

    def data_format(self) -> str | None:
        """The format of the response's body when it is a download format (``csv``, ``jsonld``), else None."""
        renderer = getattr(self.request, "accepted_renderer", None)
        return renderer.format if getattr(renderer, "data_format", False) else None

    def csv_table(self, rows) -> CSVTable:
        """A page of records as CSV: the serializer's fields, a related record's as ``field.subfield``."""
        serializer = self.get_serializer(rows, many=True)
        return flat_table(serializer.data, columns=csv_columns(serializer.child))

    def list(self, request, *args, **kwargs):
        rows = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        if self.data_format() == "csv":
            return Response(self.csv_table(rows), headers=self.paginator.get_link_header())
        reader = self.get_reader()
        data = reader.results(rows) if reader is not None else self.get_serializer(rows, many=True).data
        return self.get_paginated_response(data)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        renderer = getattr(response, "accepted_renderer", None)
        if response.status_code >= 400 and getattr(renderer, "data_format", False):
            # An error is JSON whatever format was asked for: a client must be able to read it.
            json_renderer = self.get_renderers()[0]
            response.accepted_renderer, response.accepted_media_type = json_renderer, json_renderer.media_type
        if len(self.renderer_classes) > 2:
            patch_vary_headers(response, ["Accept"])
        return response

    def reload(self, instance):
        """The record as the selector reads it (with its joins), after a service wrote it."""
        return self.get_queryset().get(pk=instance.pk)

    def retrieve(self, request, *args, **kwargs):
        reader = self.get_reader()
        if reader is not None:
            data = reader.read_one(self._lookup_pk())
            if data is None:
                raise Http404
            self.check_object_permissions(request, data)
        else:
            data = self.representation(self.get_object())
        etag = etag_for(data)
        if not_modified(request, etag):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        return Response(data, headers={"ETag": etag})

    # --- writing -----------------------------------------------------------------------------------

    def service(self, verb: str):
        return getattr(services, f"{self.service_prefix}_{verb}")

    def field_names(self, serializer) -> dict[str, str]:
        """Model field -> API field, for the fields that the API names differently (``url`` -> ...)."""
        return {field.source: name for name, field in serializer.fields.items()
                if not field.read_only and field.source and field.source != name and field.source != "*"}

    def call_service(self, serializer, verb: str, **kwargs):
        try:
            return self.service(verb)(user=self.request.user, **kwargs)
        except DjangoValidationError as exc:
            raise validation_error_from_django(exc, self.field_names(serializer)) from None

    def service_data(self, serializer) -> dict:
        data = dict(serializer.validated_data)
        data.pop("change_reason", None)
        return data

    @staticmethod
    def change_reason(serializer) -> str | None:
        return serializer.validated_data.get("change_reason") or None

    def perform_create(self, serializer):
        serializer.instance = self.call_service(serializer, "create", **self.service_data(serializer),
                                                reason=self.change_reason(serializer))

    def perform_update(self, serializer):
        serializer.instance = self.call_service(
            serializer, "update", **{self.service_prefix: serializer.instance}, data=self.service_data(serializer),
            reason=self.change_reason(serializer),
        )

    def perform_destroy(self, instance, reason: str | None = None):
        try:
            self.service("delete")(**{self.service_prefix: instance}, user=self.request.user, reason=reason)
        except DjangoValidationError as exc:
            raise validation_error_from_django(exc) from None

    def delete_reason(self, request) -> str | None:
        """A ``DELETE``'s ``change_reason``: in a JSON body (as NetBox takes ``changelog_message``) or, for
        clients that send no body with a DELETE, as ``?change_reason=``; not both. Any other parameter or
        field is refused (400)."""
        check_query_params(request, {"change_reason": False})
        body = request.data if request.data not in (None, "") else {}
        serializer = self.delete_serializer_class(data=body)
        serializer.is_valid(raise_exception=True)
        in_body = serializer.validated_data.get("change_reason")
        in_query = request.query_params.get("change_reason")
        if in_body is not None and in_query is not None:
            raise ValidationError({"change_reason": ["Give the reason once: in the body or in the query, not both."]})
        if in_query is not None:
            query = self.delete_serializer_class(data={"change_reason": in_query})
            query.is_valid(raise_exception=True)
            in_body = query.validated_data.get("change_reason")
        return in_body or None

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            self.perform_create(serializer)
        data = self.representation(self.reload(serializer.instance))
        return Response(data, status=status.HTTP_201_CREATED,
                        headers={"ETag": etag_for(data), "Location": self.location(serializer.instance)})

    def location(self, instance) -> str:
        """The new record's URL, whatever the format of the body (a CSV or JSON-LD body has no ``url`` to
        take it from: a POST with ``Accept: text/csv`` was a KeyError, a 500)."""
        url = reverse(f"{self.basename}-detail", kwargs={"pk": instance.pk}, request=self.request)
        return url.split("?", 1)[0]  # DRF keeps a ?format= in the URLs it reverses

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        with transaction.atomic():
            instance = self.get_object(lock=True)
            check_if_match(request, etag_for(self.representation(instance)))
            serializer = self.get_serializer(instance, data=request.data, partial=partial)
            serializer.is_valid(raise_exception=True)
            self.perform_update(serializer)
        data = self.representation(self.reload(serializer.instance))
        return Response(data, headers={"ETag": etag_for(data)})

    def destroy(self, request, *args, **kwargs):
        with transaction.atomic():
            instance = self.get_object(lock=True)
            check_if_match(request, etag_for(self.representation(instance)))
            self.perform_destroy(instance, reason=self.delete_reason(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    # --- revert ------------------------------------------------------------------------------------

    @action(detail=True, methods=["post"], filterset_class=None, filter_backends=[], pagination_class=None,
            permission_classes=[CanChangeRecord])
    def revert(self, request, *args, **kwargs):
        """The record's fields (a claim's tags, span and status too) back as they were in version
        ``history_id``, through the update services: every rule applies (a quote must still be in its
        source's text; a claim's status goes back only for a user allowed to set it). A new version."""
        with transaction.atomic():
            instance = self.get_object(lock=True)  # a deleted record: 404 (it is not brought back)
            check_if_match(request, etag_for(self.representation(instance)))
            serializer = self.revert_serializer_class(data=request.data)
            serializer.is_valid(raise_exception=True)
            history_id = serializer.validated_data["history_id"]
            try:
                instance = services.record_revert(record=instance, history_id=history_id, user=request.user,
                                                  reason=serializer.validated_data.get("change_reason") or None)
            except DjangoValidationError as exc:
                raise validation_error_from_django(exc, self.field_names(self.get_serializer())) from None
        data = self.representation(self.reload(instance))
        return Response(data, headers={"ETag": etag_for(data)})

    # --- history -----------------------------------------------------------------------------------

    @action(detail=True, methods=["get"], filterset_class=None, filter_backends=[])
    def history(self, request, *args, **kwargs):
        """Who reads it is ``api.permissions.history_access`` (setting ``DJANGO_API_HISTORY_ACCESS``). By default a
        live record's history is public, as the record is; a deleted record's history is read only by a user
        with the model's *view* permission (editors and contributors): it holds what was deleted, perhaps
        because it should not have been published. Anyone else gets 404, as for an id that never existed, so
        that nobody learns that a record was there."""
        check_query_params(request, allowed_params(None))
        pk = self._lookup_pk()
        model = self.get_queryset().model
        access = history_access(request.user, model)
        if access == HISTORY_NONE:
            self.permission_denied(request, message="Reading history needs the model's view permission.")
        if access != HISTORY_ALL and not model._default_manager.filter(pk=pk).exists():
            raise Http404
        records = self.paginate_queryset(selectors.history_list(model, pk))
        if not records and not request.query_params.get("cursor"):
            raise Http404  # no such record, and none ever was
        previous = selectors.history_previous(records)
        data = [
            {
                "history_id": record.history_id,
                "type": selectors.HISTORY_TYPES.get(record.history_type, record.history_type),
                "date": record.history_date,
                "user": record.history_user.get_username() if record.history_user else None,
                "reason": record.history_change_reason or "",
                "changes": selectors.history_changes(record, previous.get(record.history_id)),
            }
            for record in records
        ]
        return self.get_paginated_response(self.get_serializer(data, many=True).data)


_field_names: dict[type, list[str]] = {}


def serializer_field_names(serializer_class) -> list[str]:
    """The names of the fields a serializer class gives on a read, in order (found once a class)."""
    names = _field_names.get(serializer_class)
    if names is None:
        names = _field_names[serializer_class] = [
            name for name, field in serializer_class().fields.items() if not field.write_only]
    return names


def csv_columns(serializer, prefix: str = "") -> list[str]:
    """The CSV columns of a serializer's records (as ``api.renderers.flatten`` makes them)."""
    from rest_framework import serializers as drf_serializers

    from api.fields import BriefRelatedField

    columns = []
    for name, field in serializer.fields.items():
        if field.write_only:
            continue
        if isinstance(field, BriefRelatedField):
            columns += csv_columns(field.brief_serializer(), f"{prefix}{name}.")
        elif isinstance(field, drf_serializers.Serializer):
            columns += csv_columns(field, f"{prefix}{name}.")
        else:
            columns.append(f"{prefix}{name}")
    return columns
