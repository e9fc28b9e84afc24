"""The change feed's reads (``factbase/changes.py`` writes it): the changes a page may list (on PostgreSQL,
only those of transactions every snapshot sees as finished), in the feed's one order, and the versions they
name with what each changed.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL

from factbase.selectors.history import history_changes, history_m2m_values
from factbase.selectors.matching import is_postgresql
from factbase.selectors.orderings import SortKey


#: the feed's one order: by transaction, then in the order each wrote its changes
CHANGE_KEYS = [SortKey("_key_txid", F("txid"), False, "int"), SortKey("_key_id", F("id"), False, "int")]


def change_list(model_names=None) -> QuerySet:
    """The changes the feed may list: on PostgreSQL only those of transactions that every snapshot sees as
    finished (``txid`` below ``FEED_HORIZON_SQL``: see factbase/changes.py); ``model_names``
    (``model_name`` of the models) narrows them to those models' records."""
    from factbase.models import Change

    queryset = Change.objects.all()
    if model_names is not None:
        queryset = queryset.filter(model__in=list(model_names))
    if is_postgresql():
        queryset = queryset.filter(txid__lt=RawSQL(FEED_HORIZON_SQL, ()))
    return queryset


#: The feed's horizon on PostgreSQL: the lowest transaction id that this statement's snapshot sees as running
#: and that may write to this database; with none, the snapshot's xmax (every id below it has finished).
#: ``pg_snapshot_xmin(pg_current_snapshot())`` would do, but transaction ids are the cluster's: a long write in
#: another database of the same server would hold this feed back. A running transaction is left out only when
#: ``pg_stat_activity`` shows it in another database; one it does not show (a prepared transaction, a session
#: this role may not see, one that ended meanwhile) counts as ours, so the horizon is never past a transaction
#: that could still commit a change here.
FEED_HORIZON_SQL = """(
    SELECT COALESCE(min(x::text::bigint), pg_snapshot_xmax(pg_current_snapshot())::text::bigint)
    FROM pg_snapshot_xip(pg_current_snapshot()) AS x
    WHERE NOT EXISTS (
        SELECT 1 FROM pg_stat_activity a
        WHERE a.backend_xid::text::bigint = mod(x::text::bigint, 4294967296)
          AND a.datid <> (SELECT oid FROM pg_database WHERE datname = current_database())
    )
)"""


@dataclass
class FeedVersion:
    """A change of the feed, read: the model, the version (a historical record) and what it changed."""

    model: type
    record: object
    changes: list[dict]
    live: bool


def change_versions(changes, *, check_live=()) -> dict[tuple[str, int], FeedVersion]:
    """The versions the changes name, by ``(model, history_id)``, with what each changed. Per model on the page:
    one query for its versions (with their authors and the id of the version before each), one for those
    previous versions, one a many-to-many field; and, for the models in ``check_live``, one for which of the
    records still exist. None of it grows with the number of changes."""
    from django.apps import apps
    from django.db.models import Subquery

    by_model: dict[str, list[int]] = {}
    for change in changes:
        by_model.setdefault(change.model, []).append(change.history_id)
    versions = {}
    for model_name, history_ids in by_model.items():
        try:
            model = apps.get_model("factbase", model_name)
        except LookupError:
            continue
        history_model = model.history.model
        before = (history_model.objects.filter(id=OuterRef("id"))
                  .filter(Q(history_date__lt=OuterRef("history_date"))
                          | Q(history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id")))
                  .order_by("-history_date", "-history_id").values("history_id")[:1])
        records = list(history_model.objects.filter(history_id__in=history_ids).select_related("history_user")
                       .annotate(_previous_id=Subquery(before)))
        wanted = {record._previous_id for record in records if record.history_type != "-" and record._previous_id}
        previous = history_model.objects.in_bulk(list(wanted)) if wanted else {}
        m2m = history_m2m_values(history_model, [*(r.history_id for r in records), *previous])
        live = None
        if model_name in check_live:
            live = set(model._default_manager.filter(pk__in={record.id for record in records})
                       .values_list("pk", flat=True))
        for record in records:
            before_record = previous.get(record._previous_id) if record.history_type != "-" else None
            versions[model_name, record.history_id] = FeedVersion(
                model, record, history_changes(record, before_record, m2m), live is None or record.id in live)
    return versions
