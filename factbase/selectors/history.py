"""History: the recorded versions of one record, and what each changed from the version before it.
"""

from __future__ import annotations

from django.db.models import F, Q, QuerySet

from factbase.selectors.orderings import SortKey


HISTORY_ORDERINGS: dict[str, list[SortKey]] = {
    "-date": [SortKey("_key_date", F("history_date"), True, "datetime"),
              SortKey("_key_history_id", F("history_id"), True, "int")],
}
HISTORY_TYPES = {"+": "created", "~": "changed", "-": "deleted"}
_NOT_DIFFED = {"created_at", "updated_at"}


def history_list(model, pk) -> QuerySet:
    """Every recorded version of one record (it may since have been deleted), with its author."""
    return model.history.filter(id=pk).select_related("history_user")


def _plain(value, owner: str):
    """A value from a historical record as JSON: dates as ISO text, a many-to-many as sorted ids."""
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(row, dict) for row in value):
            return sorted(v for row in value for k, v in row.items() if k != owner)
        return [_plain(item, owner) for item in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (str, int, float, bool, dict)) or value is None:
        return value
    return str(value)


def history_changes(record, previous, m2m: dict | None = None) -> list[dict]:
    """Which fields ``record`` changed from ``previous`` (None for the first version): field, old, new.

    Foreign keys are given as ids, many-to-many fields (a claim's tags) as sorted lists of ids; the
    automatic ``id``, ``created_at`` and ``updated_at`` are left out. ``m2m``: the many-to-many values of
    ``record`` and ``previous`` read beforehand (``history_m2m_values``), else each is read now.
    """
    if record.history_type == "-":
        return []
    owner = record.instance_type._meta.model_name
    values = m2m
    m2m = sorted(field.name for field in getattr(record, "_history_m2m_fields", []))
    columns = [f for f in record.tracked_fields if f.name not in _NOT_DIFFED and f.name != "id"]
    changes = []
    for field in columns:
        new = _plain(getattr(record, field.attname), owner)
        old = None if previous is None else _plain(getattr(previous, field.attname), owner)
        if previous is None and new in (None, "", []):
            continue
        if old != new:
            changes.append({"field": field.name, "old": old, "new": new})
    if m2m and values is not None:
        for name in m2m:
            new = values[name].get(record.history_id, [])
            old = None if previous is None else values[name].get(previous.history_id, [])
            if (previous is None and new) or (previous is not None and old != new):
                changes.append({"field": name, "old": old, "new": new})
    elif m2m:
        if previous is None:
            for name in m2m:
                manager = getattr(record, name)
                through = [f.name for f in manager.model._meta.fields
                           if f.editable and f.name not in ("id", "m2m_history_id", "history")]
                value = _plain(list(manager.values(*through)), owner)
                if value:
                    changes.append({"field": name, "old": None, "new": value})
        else:
            delta = record.diff_against(previous, included_fields=m2m)
            changes += [{"field": c.field, "old": _plain(c.old, owner), "new": _plain(c.new, owner)}
                        for c in delta.changes]
    return sorted(changes, key=lambda change: change["field"])


def history_previous(records: list) -> dict:
    """For each record (newest first, all of one object), the version before it: one extra query."""
    previous = {}
    for newer, older in zip(records, records[1:]):
        previous[newer.history_id] = older
    if records:
        oldest = records[-1]
        previous[oldest.history_id] = (
            type(oldest).objects.filter(id=oldest.id)
            .filter(Q(history_date__lt=oldest.history_date)
                    | Q(history_date=oldest.history_date, history_id__lt=oldest.history_id))
            .order_by("-history_date", "-history_id").first()
        )
    return previous


def history_m2m_values(history_model, history_ids) -> dict[str, dict[int, list]]:
    """The many-to-many values (a claim's tags) of the versions ``history_ids``, as ``history_changes`` gives
    them (sorted ids): field -> version -> ids. One query a many-to-many field, whatever the number of versions."""
    values = {}
    owner = history_model.instance_type._meta.model_name
    for field in getattr(history_model, "_history_m2m_fields", []):
        through = getattr(history_model, field.name).model
        target = next(f.attname for f in through._meta.fields
                      if f.editable and f.name not in ("id", "m2m_history_id", "history", owner))
        by_version: dict[int, list] = {history_id: [] for history_id in history_ids}
        for history_id, value in through.objects.filter(history_id__in=list(history_ids)).values_list(
                "history_id", target):
            by_version[history_id].append(value)
        values[field.name] = {history_id: sorted(ids) for history_id, ids in by_version.items()}
    return values
