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
from rest_framework import serializers
from rest_framework.exceptions import NotAuthenticated, PermissionDenied, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.reverse import reverse
from rest_framework.utils.urls import remove_query_param

from api.filters import PAGINATION_PARAMS, check_query_params
from api.numbers import parse_id
from api.pagination import CURSOR_PARAM, Cursor, KeysetPagination, decode_cursor
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
        link = super()._link(cursor)
        if link is None:
            return None
        return remove_query_param(link, AFTER_PARAM)

    def get_schema_operation_parameters(self, view):
        return [p for p in super().get_schema_operation_parameters(view) if p["name"] != "ordering"]


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="The field's name.")
    old = serializers.JSONField(allow_null=True, help_text="Its value before (null in a record's first version).")
    new = serializers.JSONField(allow_null=True, help_text="Its value after.")


class ChangeSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The change's place in the feed (`?after=` starts after it).")
    resource = serializers.CharField(help_text="The resource of the record: `claims`, `actors`, ... as in its URL.")
    object_id = serializers.IntegerField(help_text="The record's id.")
    url = serializers.URLField(
        allow_null=True,
        help_text="The record's address in this API, for every change, its delete included (the address then "
                  "answers 404: a mirror deletes the record it keeps under it).")
    history_url = serializers.URLField(allow_null=True, help_text="The record's history.")
    history_id = serializers.IntegerField(
        help_text="The version's id in the record's history. For one record, a greater `history_id` is always a "
                  "later version: a mirror may skip a change older than the version it holds.")
    type = serializers.ChoiceField(choices=["created", "changed", "deleted"], help_text="What happened.")
    date = serializers.DateTimeField(help_text="When the change was written (not when it was committed).")
    user = serializers.CharField(allow_null=True,
                                 help_text="The username of who did it; null when not recorded or withheld.")
    reason = serializers.CharField(allow_null=True, allow_blank=True,
                                   help_text="Why, when a reason was recorded; null when withheld.")
    changes = FieldChangeSerializer(
        many=True, allow_null=True,
        help_text="Each field that changed, from what to what (as in the record's history); empty for a delete. "
                  "Null when withheld: the record was deleted since and its contents are not for this user "
                  "(`DJANGO_API_HISTORY_ACCESS`).")


class ChangeFeedView(GenericAPIView):
    """Every create, change and delete of every resource, oldest first, so that a mirror can follow along."""

    serializer_class = ChangeSerializer
    pagination_class = FeedPagination
    filter_backends = []
    #: the version's router: its resources are the feed's (resource name = route prefix)
    router = None
    schema_forbidden = True  # 403 in the schema: DJANGO_API_HISTORY_ACCESS=private

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

        queryset = selectors.change_list(model_names)
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
            if version is None:
                continue  # its history row is gone
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

