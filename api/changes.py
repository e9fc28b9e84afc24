"""The change feed, ``GET /api/<version>/changes/``: every create, change and delete of every resource, oldest
first, for mirrors (what is listed, and in which order: ``factbase.changes``).

A client stores the ``next`` link of the last page it read (or the ``id`` of the last change it applied, to
start again with ``?after=``) and follows it later: it sees every change exactly once. ``next`` is never null
once a change was listed: at the end of the feed it names the same place, to poll.

Who reads what is ``api.permissions.history_access``: by default anyone reads the feed, but a change of a record
deleted since shows only which record, when and what happened (``changes``, ``user`` and ``reason`` are null),
so that a mirror can delete it without learning what it held.
"""

from __future__ import annotations

from django.urls import NoReverseMatch
from rest_framework.exceptions import NotAuthenticated, PermissionDenied, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.reverse import reverse
from rest_framework.utils.urls import remove_query_param

from api.filters import PAGINATION_PARAMS, check_query_params
from api.numbers import parse_id
from api.pagination import CURSOR_PARAM, Cursor, KeysetPagination, decode_cursor, encode_cursor
from api.permissions import HISTORY_LIVE, HISTORY_NONE, history_access
from factbase import selectors

FEED_ORDERING = "feed"
RESOURCE_PARAM = "resource"
AFTER_PARAM = "after"


class FeedPagination(KeysetPagination):
    """Keyset pagination in the feed's one order; ``next`` is never null once a position is known (the end of
    the feed is where to poll again), and there is no ``ordering`` parameter."""

    def paginate_queryset(self, queryset, request, view=None):
        start = getattr(view, "start_after", None)
        rows = super().paginate_queryset(queryset, request, view)
        token = request.query_params.get(CURSOR_PARAM)
        cursor = decode_cursor(token, FEED_ORDERING, selectors.CHANGE_KEYS) if token else None
        if self.next_cursor is None and not (cursor and cursor.reverse):
            if rows:
                self.next_cursor = Cursor(FEED_ORDERING, [rows[-1]._key_txid, rows[-1]._key_id])
            elif cursor is not None:
                self.next_cursor = Cursor(FEED_ORDERING, cursor.values, inclusive=cursor.inclusive)
            elif start is not None:
                self.next_cursor = Cursor(FEED_ORDERING, start)
        return rows

    def _link(self, cursor):
        """The page at ``cursor``: the request's parameters but ``after`` (the cursor says where) and those left
        empty (``?resource=`` is one left out), so that the same feed always links to the same place."""
        link = super()._link(cursor)
        if link is None:
            return None
        link = remove_query_param(link, AFTER_PARAM)
        for name, values in self.request.query_params.lists():
            if name != CURSOR_PARAM and all(value == "" for value in values):
                link = remove_query_param(link, name)
        return link

    def get_schema_operation_parameters(self, view):
        parameters = [p for p in super().get_schema_operation_parameters(view) if p["name"] != "ordering"]
        for parameter in parameters:
            if parameter["name"] == CURSOR_PARAM:
                parameter["description"] = ("Where the page starts: copy it from a response's `next` (or `previous`) "
                                            "link, and keep the last `next` to come back for what changed since.")
                parameter["example"] = encode_cursor(Cursor(FEED_ORDERING, [761, 92]))
        return parameters


class ChangeFeedView(GenericAPIView):
    """Every create, change and delete of every resource, oldest first, so that a mirror can follow along."""

    serializer_class = None  # the version's (api.v1.serializers.ChangeSerializer)
    pagination_class = FeedPagination
    filter_backends = []
    #: the version's router: its resources are the feed's (resource name = route prefix)
    router = None
    schema_forbidden = True  # 403 in the schema: DJANGO_API_HISTORY_ACCESS=private
    schema_is_list = True  # a page of changes (api.schema.AutoSchema)

    def get_orderings(self):
        return {FEED_ORDERING: selectors.CHANGE_KEYS}

    def resolve_ordering(self, name, keys):
        return keys

    def resources(self) -> dict[str, tuple[str, type]]:
        """model_name -> (resource, basename, model) of every resource of the router with a history."""
        found = {}
        for prefix, viewset, basename in self.router.registry:
            serializer = getattr(viewset, "serializer_class", None)
            model = getattr(getattr(serializer, "Meta", None), "model", None)
            if model is not None and hasattr(model, "history"):
                found[model._meta.model_name] = (prefix, basename, model)
        return found

    def get(self, request, *args, **kwargs):
        check_query_params(request, {**{name: False for name in PAGINATION_PARAMS if name != "ordering"},
                                     RESOURCE_PARAM: True, AFTER_PARAM: False})
        resources = self.resources()
        by_name = {resource: model_name for model_name, (resource, _, _) in resources.items()}
        asked = [value for value in request.query_params.getlist(RESOURCE_PARAM) if value != ""]
        unknown = [value for value in asked if value not in by_name]
        if unknown:
            raise ValidationError({RESOURCE_PARAM: [
                f"“{unknown[0][:50]}” is not a resource. Choose among: {', '.join(sorted(by_name))}."]})
        model_names = [by_name[value] for value in asked] if asked else list(resources)
        access = {name: history_access(request.user, resources[name][2]) for name in model_names}
        model_names = [name for name in model_names if access[name] != HISTORY_NONE]
        if not model_names:
            if not request.user or not request.user.is_authenticated:
                raise NotAuthenticated("Reading the change feed needs an account with the view permission.")
            raise PermissionDenied("Reading the change feed needs the view permission of a resource.")

        everything = not asked and len(model_names) == len(resources)
        queryset = selectors.change_list(None if everything else model_names)
        self.start_after = self.after_position(request)
        if self.start_after is not None:
            queryset = queryset.filter(txid__gte=self.start_after[0]).exclude(
                txid=self.start_after[0], id__lte=self.start_after[1])
        changes = self.paginate_queryset(queryset)
        versions = selectors.change_versions(
            changes, check_live={name for name in model_names if access[name] == HISTORY_LIVE})
        data = []
        for change in changes:
            version = versions.get((change.model, change.history_id))
            if version is None or change.model not in resources:
                continue  # its history row is gone, or its model has no resource (yet) in this version
            resource, basename, _ = resources[change.model]
            record = version.record
            withheld = not version.live
            data.append({
                "id": change.id,
                "resource": resource,
                "object_id": record.id,
                "url": self._reverse(f"{basename}-detail", record.id),
                "history_url": self._reverse(f"{basename}-history", record.id),
                "history_id": record.history_id,
                "type": selectors.HISTORY_TYPES.get(record.history_type, record.history_type),
                "date": record.history_date,
                "user": None if withheld or not record.history_user else record.history_user.get_username(),
                "reason": None if withheld else record.history_change_reason or "",
                "changes": [] if record.history_type == "-" else None if withheld else version.changes,
            })
        return self.get_paginated_response(self.get_serializer(data, many=True).data)

    def _reverse(self, name, pk):
        try:
            return reverse(name, kwargs={"pk": pk}, request=self.request).split("?", 1)[0]
        except NoReverseMatch:
            return None

    def after_position(self, request):
        """``?after=<change id>``: the feed from after that change (its id as a change gave it)."""
        value = request.query_params.get(AFTER_PARAM, "")
        if value == "":
            return None
        if request.query_params.get(CURSOR_PARAM):
            raise ValidationError({AFTER_PARAM: ["Give after or cursor, not both."]})
        pk = parse_id(value)
        change = selectors.change_list().filter(pk=pk).values_list("txid", "id").first() if pk else None
        if change is None:
            raise ValidationError({AFTER_PARAM: ["Give the id of a change listed in the feed."]})
        return list(change)
