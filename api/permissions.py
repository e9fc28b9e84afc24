"""Who may do what: anyone reads; writes need a user with the model's add/change/delete permission. Who reads
history (``/history/``, the change feed, deleted records) is ``history_access``."""

from django.conf import settings
from rest_framework import permissions

from factbase import services


class ModelPermissionsOrReadOnly(permissions.DjangoModelPermissionsOrAnonReadOnly):
    """Reads are open to everyone. A write needs an authenticated user (else 401) holding the model
    permission for it: ``add`` for POST, ``change`` for PUT and PATCH, ``delete`` for DELETE (else 403).
    """

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": [], "HEAD": [], "OPTIONS": [],
    }

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True  # what the parent answers too, without building the view's queryset to ask
        return super().has_permission(request, view)


class CanChangeRecord(ModelPermissionsOrReadOnly):
    """A write that changes a record though it is a POST (``revert/``): the model's *change* permission."""

    perms_map = {**ModelPermissionsOrReadOnly.perms_map, "POST": ["%(app_label)s.change_%(model_name)s"]}


class CanSetClaimStatus(permissions.BasePermission):
    """Verifying, disputing or rejecting a claim needs the ``verify_claim`` permission."""

    message = "Changing a claim's status needs the “verify claim” permission (the Editors group has it)."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and services.can_set_claim_status(request.user))


class CanActOnSuggestions(permissions.BasePermission):
    """Accepting or dismissing a suggested claim needs the permission to add claims."""

    message = "Accepting or dismissing a suggested claim needs the “add claim” permission (the Editors and " \
              "Contributors groups have it)."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and services.can_act_on_suggestions(request.user))


#: what ``history_access`` grants: nothing; the history of live records (and in the feed, that a record was
#: deleted, without its contents); everything, deleted records' history and contents included
HISTORY_NONE, HISTORY_LIVE, HISTORY_ALL = "none", "live", "all"


def history_access(user, model) -> str:
    """The one rule (setting ``DJANGO_API_HISTORY_ACCESS``) of who may read the history of ``model``'s records,
    their changes in the feed, and what was in a deleted one: ``HISTORY_ALL`` for a user with the model's *view*
    permission (editors, contributors, superusers) or when the setting is ``public``; otherwise
    ``HISTORY_LIVE`` when it is ``live`` (the default), ``HISTORY_NONE`` when it is ``private``."""
    opts = model._meta
    if settings.API_HISTORY_ACCESS == "public" or (
            user and user.is_authenticated and user.has_perm(f"{opts.app_label}.view_{opts.model_name}")):
        return HISTORY_ALL
    return HISTORY_LIVE if settings.API_HISTORY_ACCESS == "live" else HISTORY_NONE


def history_access_description() -> str:
    """The rule in words, for the schema."""
    return (
        "Who may read it is one setting, `DJANGO_API_HISTORY_ACCESS`: `live` (the default: anyone reads the history "
        "of live records, and in the feed every change, but a record deleted since shows only its id and the type "
        "of each change, not what it held; users with the model's *view* permission, such as editors, read "
        "everything), `public` (anyone reads everything), `private` (only users with the view permission; anyone "
        "else gets 401 or 403)."
    )
