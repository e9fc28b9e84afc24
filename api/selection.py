"""``?fields=`` and ``?omit=``: a read gives only the fields a client asks for (as NetBox's ``fields``/``omit``
and Datasette's ``_col``/``_nocol``), on every list and every record of every resource, in JSON and CSV.

The names are the top-level names of the representation (for a claim in JSON: ``id``, ``text``,
``speaker``...; in CSV, the top-level names of its columns: ``speaker`` keeps ``speaker.name`` and the
other ``speaker.`` columns), comma-separated. ``fields`` keeps those fields, ``omit`` leaves them out; the
fields kept come in the order of the representation, whatever the order asked. An unknown name, both
parameters at once, or one given twice, is a 400 naming the parameter (and listing the names it takes).
An empty value is the parameter left out, as for the filters.

What is not shown is not read either: the views give the selectors only the embeds (joins, prefetches,
counts) of the fields kept, and the claim reader reads only their columns.
"""

from __future__ import annotations

from rest_framework.exceptions import ValidationError

FIELDS = "fields"
OMIT = "omit"
PARAMS = (FIELDS, OMIT)
_SHOWN_UNKNOWN = 10  # at most so many unknown names are repeated in an error
_NAME_SHOWN = 60  # characters of each


def selection_asked(request) -> bool:
    return any(request.query_params.get(name, "") != "" for name in PARAMS)


def parse_selection(request, names: list[str]) -> list[str] | None:
    """The names of ``names`` (a representation's top-level names, in order) that this request asks to see,
    in that order; None when it asks for no selection. Raises ``ValidationError`` (400)."""
    params = request.query_params
    for name in PARAMS:
        if len(params.getlist(name)) > 1:
            raise ValidationError({name: ["Give this parameter once (the names separated by commas)."]})
    given = {name: params.get(name, "") for name in PARAMS if params.get(name, "") != ""}
    if not given:
        return None
    valid = ", ".join(names)
    if len(given) > 1:
        both = "Give fields (the fields to show) or omit (the fields to leave out), not both."
        raise ValidationError({FIELDS: [both], OMIT: [both]})
    [(param, value)] = given.items()
    asked = list(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    if not asked:
        raise ValidationError({param: [f"Name at least one field, separated by commas. The fields are: {valid}."]})
    unknown = [name for name in asked if name not in names]
    if unknown:
        shown = ", ".join(name[:_NAME_SHOWN] for name in unknown[:_SHOWN_UNKNOWN])
        more = f" (and {len(unknown) - _SHOWN_UNKNOWN} more)" if len(unknown) > _SHOWN_UNKNOWN else ""
        raise ValidationError({param: [f"Unknown field(s): {shown}{more}. The fields are: {valid}."]})
    if param == FIELDS:
        return [name for name in names if name in asked]
    return [name for name in names if name not in asked]


def parameters_description(action: str) -> tuple[str, str]:
    """The schema's descriptions of ``fields`` and ``omit``."""
    what = "each record of the page" if action == "list" else "the record"
    fields = (f"Show only these fields of {what}: top-level names of the representation, separated by commas "
              "(e.g. `id,text,speaker`), given in the representation's order whatever the order asked. In CSV, the "
              "top-level names of the columns (`speaker` keeps the `speaker.` columns). What is not shown is not "
              "read: leaving out an embedded record or a count leaves out its query or join. An unknown name, or "
              "`fields` with `omit`, is a 400 that lists the names. Writes ignore it (they answer the whole "
              "record, whose ETag `If-Match` compares).")
    omit = (f"Leave these fields out of {what}: top-level names, separated by commas (e.g. `reviews,tags`); "
            "the others keep their order. As `fields`, the other way round; not with `fields`.")
    return fields, omit
