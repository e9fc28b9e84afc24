"""Routes of API version 2, mounted at /api/v2/ in the ``v2`` namespace (see api/urls.py).

Version 2 has every route of version 1, derived from version 1's own list: each viewset of version 1's
router with its version-2 form (``api.v2.views.v2_view``), each other view of version 1 likewise (or
its own version-2 view: the root, the exports, the schema and docs), so a route added to version 1 is
here too. URLs in responses are reversed in the request's namespace, so they point into /api/v2/.
"""

from django.urls import URLPattern
from rest_framework.generics import GenericAPIView
from rest_framework.routers import SimpleRouter

from api.docs import RedocView, SchemaView, SwaggerView
from api.v1 import urls as v1_urls
from api.v2 import exports, views

router = SimpleRouter()
for prefix, viewset, basename in v1_urls.router.registry:
    router.register(prefix, views.v2_view(viewset), basename=basename)

#: version 2's own views, by name; every other route is version 1's, derived
OWN = {
    "api-root": views.ApiRootView.as_view(),
    "schema": SchemaView.as_view(api_version="v2"),
    "docs": SwaggerView.as_view(url_name="schema", template_name="api/swagger_ui.html"),
    "redoc": RedocView.as_view(url_name="schema", template_name="api/redoc.html"),
}


def _derived(pattern: URLPattern) -> URLPattern:
    callback = pattern.callback
    if pattern.name in OWN:
        callback = OWN[pattern.name]
    else:
        view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
        if view_class in exports.EXPORTS:
            callback = exports.EXPORTS[view_class].as_view(**getattr(callback, "initkwargs", {}))
        elif isinstance(view_class, type) and issubclass(view_class, GenericAPIView):
            callback = views.v2_view(view_class).as_view(**getattr(callback, "initkwargs", {}))
    return URLPattern(pattern.pattern, callback, pattern.default_args, pattern.name)


_router_names = {p.name for p in v1_urls.router.urls}
urlpatterns = []
for _pattern in v1_urls.urlpatterns:
    if isinstance(_pattern, URLPattern) and _pattern.name in _router_names:
        continue  # the router's routes, derived above
    urlpatterns.append(_derived(_pattern) if isinstance(_pattern, URLPattern) else _pattern)
_root = 1 if urlpatterns and getattr(urlpatterns[0], "name", None) == "api-root" else 0
urlpatterns[_root:_root] = router.urls
