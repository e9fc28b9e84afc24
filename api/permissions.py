"""Who may do what: anyone reads; writes need a user with the model's add/change/delete permission."""

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
