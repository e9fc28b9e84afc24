"""A refusal by the services (``ValidationError``) as problems of a record: each message at the path its
field has in the record."""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


# Where a model's field is found in a record, for reporting a refusal by the services.
CLAIM_FIELDS = {"span_exact": "passage", "span_start": "span", "span_end": "span", NON_FIELD_ERRORS: ""}
REVIEW_FIELDS = {NON_FIELD_ERRORS: ""}  # also for actors, outlets, sources and tags


def refusal_problems(exc: ValidationError, field_names: dict[str, str], prefix: str = "") -> list[tuple[str, str]]:
    if hasattr(exc, "error_dict"):
        out = []
        for name, messages in exc.message_dict.items():
            path = field_names.get(name, name)
            path = f"{prefix}.{path}" if prefix and path else (prefix or path)
            out += [(path, message) for message in messages]
        return out
    return [(prefix, message) for message in exc.messages]
