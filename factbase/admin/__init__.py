"""Curation: the Django admin for editors (Django's admin imports this package; each module registers its
models).

Every write goes through ``factbase.services`` (creates, updates, status changes, deletes, and the
reviews and relations to other claims edited inline on a claim), so a record entered here obeys the
same rules as one entered through the API. Every change form has a "Reason for this change" field,
kept in the record's history (as the API's ``change_reason``). Every admin is a ``SimpleHistoryAdmin``: each
record's history (who changed what, and which fields) is one click away.

When a service refuses a change (``ValidationError`` by field, ``PermissionDenied``), the admin
shows the refusal as a form error on the page it came from and saves nothing: the request runs in
one transaction, the refusal rolls it back, and the page is rendered again from the submitted data
with the service's errors attached to the forms they belong to (see ``ServiceModelAdmin``).

- ``base``: ``ServiceModelAdmin``, saves and deletes through the services, refusals as form errors;
- ``record_claims``: a record's claims on its page, and the links to them;
- ``records``: actors, outlets, tags; ``sources``: sources; ``reviews``: reviews;
- ``claims``: claims, with their list's filters in ``claim_filters``;
- ``workbench``: the source's page as the editor's workbench, and the claim forms' source panel;
- ``suggestions``: a source's suggested claims.
"""

from django.contrib import admin

from factbase.admin import claims, records, reviews, sources  # noqa: F401 - each registers its admins

admin.site.site_header = "Factbase curation"
admin.site.site_title = "Factbase curation"
admin.site.index_title = "Curation"
