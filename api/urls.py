"""Mounts each API version under its own namespace (DRF's NamespaceVersioning).

A new version is a new package (serializers, views, urls) and one line here. Any other path under
/api/ (an unknown version, a mistyped resource) answers 404 with a JSON body, whatever the method and
whether or not a session sent its CSRF token (nothing is written there, so there is nothing to guard).
"""

from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, include, path, re_path, resolve
from django.views.decorators.csrf import csrf_exempt

from factbase.plumbing.error_views import page_not_found

VERSIONS = ["v1", "v2"]
SAFE_METHODS = ("GET", "HEAD")


@csrf_exempt
def versions(request):
    if request.method not in SAFE_METHODS:
        response = JsonResponse({"detail": f"Method \"{request.method[:20]}\" not allowed: the versions are read "
                                           f"with GET."}, status=405)
        response["Allow"] = ", ".join(SAFE_METHODS)
        return response
    return JsonResponse({"versions": {v: request.build_absolute_uri(f"{v}/") for v in VERSIONS}})


@csrf_exempt
def not_found(request, *args, **kwargs):
    # As APPEND_SLASH would (this catch-all matches first): /api/v1/claims -> /api/v1/claims/
    if request.method in ("GET", "HEAD") and not request.path_info.endswith("/"):
        try:
            match = resolve(request.path_info + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not not_found:
            query = request.META.get("QUERY_STRING", "")
            return HttpResponsePermanentRedirect(request.path + "/" + (f"?{query}" if query else ""))
    return page_not_found(request, None)


urlpatterns = [
    path("", versions, name="api-versions"),
    path("v1/", include(("api.v1.urls", "v1"), namespace="v1")),
    path("v2/", include(("api.v2.urls", "v2"), namespace="v2")),
    re_path(r"^.*$", not_found),
]
