"""Writes: every change to the domain goes through these functions.

The admin, the API and the management commands all call them, so a claim entered any way obeys the
same rules. Each function is atomic: it either makes its whole change or none of it, and raises
``django.core.exceptions.ValidationError`` (keyed by field), ``PermissionDenied`` or
``DeleteProtected`` when a rule refuses the change.

Row-level rules live in the models (database constraints, then ``clean()``); the rules here span
rows or depend on who is asking.

**Locks.** A claim's span must slice its source's text, a rule over two rows: every write of a claim
(create, update, status, delete) and every edit of a source take the source's row lock first
(``SELECT ... FOR UPDATE``), then the claim's, in that order, within one transaction; two sources in
id order. So a claim is never checked against a text that another transaction is changing, and no
two writers wait for each other in a circle. (The database checks the rule too: migration 0008.)

**A write that changes nothing writes nothing**: no history record, no new ``updated_at`` (so the
record's ETag stays as it was).

The services' modules, one idea each (every public name is importable from this package, as
``services.claim_create``); each imports only from those above it:

- ``base``: the mechanics every service shares (a row validated and saved with its author and reason, a
  write that changes nothing left unwritten, a delete refused while records point to the row:
  ``DeleteProtected``);
- ``records``: actors, outlets, tags and reviews, whose rules are their rows' own;
- ``sources``: sources, and their claims' spans found again when a source's text changes;
- ``claims``: claims, their locks, their curation status (``VERIFY_PERMISSION``) and their deletion;
- ``relations``: relations between claims;
- ``revert``: a record put back as one of its versions had it, through its update service;
- ``suggestions``: a suggested claim accepted or dismissed;
- ``many``: many records at once, for imports (the ``*_create_many`` services).
"""

from factbase.services.base import DeleteProtected  # noqa: F401
from factbase.services.records import (  # noqa: F401
    BULK_BATCH_SIZE,
    actor_create,
    actor_delete,
    actor_update,
    outlet_create,
    outlet_delete,
    outlet_update,
    review_create,
    review_delete,
    review_update,
    tag_create,
    tag_delete,
    tag_update,
)
from factbase.services.sources import (  # noqa: F401
    RELOCATED_REASON,
    source_create,
    source_delete,
    source_update,
)
from factbase.services.claims import (  # noqa: F401
    VERIFY_PERMISSION,
    can_set_claim_status,
    claim_create,
    claim_delete,
    claim_for_update,
    claim_set_status,
    claim_update,
    record_for_update,
)
from factbase.services.relations import (  # noqa: F401
    claim_relation_create,
    claim_relation_delete,
    claim_relation_update,
)
from factbase.services.revert import (  # noqa: F401
    CLAIM_STATUS_FIELDS,
    SERVICE_PREFIXES,
    record_revert,
)
from factbase.services.suggestions import (  # noqa: F401
    ADD_CLAIM_PERMISSION,
    SUGGESTION_FIELDS,
    can_act_on_suggestions,
    suggestion_accept,
    suggestion_dismiss,
)
from factbase.services.many import (  # noqa: F401
    actor_create_many,
    claim_create_many,
    outlet_create_many,
    review_create_many,
    source_create_many,
    tag_create_many,
)

__all__ = [
    "DeleteProtected", "VERIFY_PERMISSION", "can_set_claim_status",
    "actor_create", "actor_update", "actor_delete",
    "outlet_create", "outlet_update", "outlet_delete",
    "tag_create", "tag_update", "tag_delete",
    "source_create", "source_update", "source_delete",
    "claim_create", "claim_update", "claim_set_status", "claim_delete", "claim_for_update", "record_for_update",
    "review_create", "review_update", "review_delete",
    "claim_relation_create", "claim_relation_update", "claim_relation_delete", "record_revert",
    "actor_create_many", "outlet_create_many", "tag_create_many", "source_create_many", "review_create_many",
    "claim_create_many", "suggestion_accept", "suggestion_dismiss", "can_act_on_suggestions",
]
