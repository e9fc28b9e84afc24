"""Version 2 endpoints: version 1's viewsets, each derived by ``v2_view()``.

A version-2 view is its version-1 view with the version-2 serializers (``api.v2.serializers.derived``),
the version-2 spelling of the interchange format in its CSV (``ClaimCSVMixin.interchange_spelling``), and
its reader compiling the version-2 serializer (``api.readers``: the declaration is the serializer). Every
other behaviour (filters, pages, writes, history, conditional requests) is version 1's: a field, a
filter or an action added to version 1 is in version 2 without a line here.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers

from api.v1 import views as v1
from api.v2.serializers import derived, derived_instance


class V2ViewMixin:
    """Version 2's representations for a version-1 view."""

    interchange_spelling = "v2"

    def get_serializer_class(self):
        return derived(super().get_serializer_class())

    def schema_serializer(self, serializer):
        """The serializer that a schema names (``extend_schema(responses=...)`` included) in version 2 (see
        ``api.schema.AutoSchema.resolve_serializer``)."""
        return derived_instance(serializer)


_views: dict[type, type] = {}


def v2_view(view_class: type) -> type:
    """``view_class`` (a version-1 view) in version 2: a subclass of the same name with ``V2ViewMixin``, and
    its reader (if it has one) compiling version 2's serializer."""
    found = _views.get(view_class)
    if found is None:
        attrs = {"__module__": __name__, "__doc__": view_class.__doc__}
        found = _views[view_class] = type(view_class.__name__, (V2ViewMixin, view_class), attrs)
    return found


def url_name(key: str) -> str:
    """A link of the API root: its version-1 key (``claims``) with ``_url``, as every link is named."""
    return f"{key}_url"


class ApiRootView(v1.ApiRootView):
    """The resources of API version 2, and its schema and docs."""

    @extend_schema(
        summary="List the resources",
        description="Links to each resource's list, the change feed, and this version's OpenAPI schema and "
                    "documentation (each named for what it links to, with `_url`).",
        responses=inline_serializer("ApiRoot", {
            url_name(name): serializers.URLField(help_text=text) for name, (route, text) in v1.ROOT_LINKS.items()
        }),
    )
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response.data = {url_name(key): value for key, value in response.data.items()}
        return response
