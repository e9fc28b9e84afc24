"""The invariants of the data, checked on a live database (``manage.py check_integrity``).

Each check is one read (set-wise SQL where the rows are many) that lists the records breaking one rule:

- ``spans``: every claim's span slices its source's text exactly (``text[start:end] == exact``);
- ``quotes``: every direct quote from a source whose text we hold has its span (it was found there);
- ``verification``: a verified claim records who verified it and when; any other status records neither;
- ``status_changes``: a claim's ``status_changed_at``/``status_changed_by`` are the date and user of the
  latest version in its history whose status differs from the version before (the first version compared
  with ``unverified``), both null when its status never changed (a claim without history is left to
  ``history``);
- ``history``: every record has a history, the latest version in it is the record as it is (every
  tracked field, and a claim's tags), and a deleted record's history ends with its deletion;
- ``names``: each record's ``names_folded`` is its names as ``provenance.normalize`` folds them now.

Nothing is written. The database's constraints and triggers keep most of these true on every write;
this is how anyone can see that they held (after an import, a restore, a race, an old version's data).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import F, Q
from django.db.models.functions import Length, Substr

from factbase.models import Actor, Claim, ClaimRelation, Outlet, Review, Source, Tag
from factbase.models.base import FoldedNamesField

HISTORY_MODELS = (Actor, Outlet, Tag, Source, Claim, Review, ClaimRelation)


@dataclass
class Result:
    """What one check found: how many records it looked at, and which ones break the rule (ids, with a
    word on each, at most ``limit`` of them kept; ``count`` is all of them)."""

    name: str
    rule: str
    checked: int = 0
    count: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, example: str, limit: int) -> None:
        self.count += 1
        if len(self.examples) < limit:
            self.examples.append(example)

    @property
    def ok(self) -> bool:
        return self.count == 0


def check_spans(limit: int) -> Result:
    result = Result("spans", "every claim's span is the source's text between its start and end")
    with_span = Claim.objects.filter(span_start__isnull=False)
    result.checked = with_span.count()
    broken = (with_span.annotate(_slice=Substr("source__text", F("span_start") + 1, F("span_end") - F("span_start")))
              .exclude(_slice=F("span_exact")).order_by("pk").values_list("pk", "source_id"))
    for pk, source_id in broken.iterator(chunk_size=2000):
        result.add(f"claim #{pk} (source #{source_id})", limit)
    return result


def check_quotes(limit: int) -> Result:
    result = Result("quotes", "every direct quote from a source whose text is held has its span")
    quotes = Claim.objects.filter(kind=Claim.Kind.DIRECT_QUOTE).annotate(_text_length=Length("source__text"))
    held = quotes.filter(_text_length__gt=0)
    result.checked = held.count()
    for pk, source_id in held.filter(span_start__isnull=True).order_by("pk").values_list("pk", "source_id"):
        result.add(f"claim #{pk} (source #{source_id}) has no span", limit)
    return result


def check_verification(limit: int) -> Result:
    result = Result("verification", "a verified claim records who verified it and when; no other claim does")
    result.checked = Claim.objects.count()
    broken = Claim.objects.filter(
        (Q(status=Claim.Status.VERIFIED) & (Q(verified_at__isnull=True) | Q(verified_by__isnull=True)))
        | (~Q(status=Claim.Status.VERIFIED) & (Q(verified_at__isnull=False) | Q(verified_by__isnull=False)))
    ).order_by("pk").values_list("pk", "status", "verified_by_id", "verified_at")
    for pk, status, verifier, when in broken.iterator(chunk_size=2000):
        if status == Claim.Status.VERIFIED:
            missing = " and ".join(what for what, value in (("verifier", verifier), ("date", when)) if value is None)
            result.add(f"claim #{pk} is verified without its {missing}", limit)
        else:
            result.add(f"claim #{pk} is {status} but records a verification", limit)
    return result


def _latest_status_changes(history_table: str) -> str:
    """SQL: for each claim in the history, the date and user of its latest version whose status differs
    from the version before it (``id``, ``history_date``, ``history_user_id``, ``n`` = 1 for the latest)."""
    return (
        "SELECT id, history_date, history_user_id, "
        "ROW_NUMBER() OVER (PARTITION BY id ORDER BY history_date DESC, history_id DESC) AS n FROM ("
        "SELECT id, history_id, history_date, history_user_id, history_type, status, "
        "COALESCE(LAG(status) OVER (PARTITION BY id ORDER BY history_date, history_id), 'unverified') AS before "
        f"FROM {history_table}) versions WHERE history_type <> '-' AND status <> before"
    )


def check_status_changes(limit: int) -> Result:
    result = Result("status_changes", "a claim's status change (when, by whom) is its history's latest one")
    result.checked = Claim.objects.count()
    table, history_table = _quote(Claim._meta.db_table), _quote(Claim.history.model._meta.db_table)
    sql = (
        f"SELECT c.id, c.status_changed_at IS NULL, l.history_date IS NULL FROM {table} c "
        f"LEFT JOIN ({_latest_status_changes(history_table)}) l ON l.id = c.id AND l.n = 1 "
        f"WHERE EXISTS (SELECT 1 FROM {history_table} h WHERE h.id = c.id) "
        f"AND NOT ({_same('c.status_changed_at', 'l.history_date')} "
        f"AND {_same('c.status_changed_by_id', 'l.history_user_id')}) ORDER BY c.id"
    )
    for pk, unrecorded, never in _rows(sql):
        if never:
            what = "records a status change that its history does not have"
        elif unrecorded:
            what = "does not record the status change in its history"
        else:
            what = "records another status change (time or user) than the latest in its history"
        result.add(f"claim #{pk} {what}", limit)
    return result


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _same(left: str, right: str) -> str:
    """SQL: the two values are equal, NULLs included."""
    operator = "IS NOT DISTINCT FROM" if connection.vendor == "postgresql" else "IS"
    return f"{left} {operator} {right}"


def _rows(sql: str, params=()) -> Iterator[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while True:
            rows = cursor.fetchmany(2000)
            if not rows:
                return
            yield from rows


def _history_problems(model) -> Iterator[tuple[int, str]]:
    """(id, what) for each record of ``model`` whose history does not end in the record as it is, and for
    each deleted one whose history does not end in its deletion."""
    history = model.history.model
    table, history_table = _quote(model._meta.db_table), _quote(history._meta.db_table)
    tracked = [f for f in history.tracked_fields if not f.primary_key and f.name != "id"]
    columns = [_quote(f.column) for f in tracked]
    differs = " OR ".join(f"NOT ({_same(f'r.{c}', f'h.{c}')})" for c in columns) or "FALSE"
    latest = f"(SELECT max(h2.history_id) FROM {history_table} h2 WHERE h2.id = r.id)"
    yield from (
        (pk, "no history" if history_id is None else "its history ends in its deletion" if kind == "-"
         else "its latest version in the history is not the record as it is")
        for pk, history_id, kind in _rows(
            f"SELECT r.id, h.history_id, h.history_type FROM {table} r "
            f"LEFT JOIN {history_table} h ON h.history_id = {latest} "
            f"WHERE h.history_id IS NULL OR h.history_type = '-' OR {differs} ORDER BY r.id"
        )
    )
    gone = (f"SELECT h.id FROM {history_table} h WHERE h.history_id = (SELECT max(h2.history_id) FROM "
            f"{history_table} h2 WHERE h2.id = h.id) AND h.history_type <> '-' "
            f"AND NOT EXISTS (SELECT 1 FROM {table} r WHERE r.id = h.id) ORDER BY h.id")
    yield from ((pk, "deleted, but its history does not record the deletion") for (pk,) in _rows(gone))


def _claim_tag_problems() -> Iterator[tuple[int, str]]:
    """Claims whose tags are not the tags of their latest version in the history."""
    through = Claim.tags.through
    tag_history = Claim.history.model.tags.model
    history_table = _quote(Claim.history.model._meta.db_table)
    latest = (f"SELECT c.id AS claim_id, (SELECT max(h.history_id) FROM {history_table} h WHERE h.id = c.id) "
              f"AS history_id FROM {_quote(Claim._meta.db_table)} c")
    now = f"SELECT claim_id, tag_id FROM {_quote(through._meta.db_table)}"
    tag_column = _quote(tag_history._meta.get_field("tag").column)
    history_column = _quote(tag_history._meta.get_field("history").column)
    recorded = (f"SELECT l.claim_id, t.{tag_column} FROM ({latest}) l "
                f"JOIN {_quote(tag_history._meta.db_table)} t ON t.{history_column} = l.history_id")
    sql = (f"SELECT DISTINCT claim_id FROM (SELECT * FROM ({now}) a EXCEPT SELECT * FROM ({recorded}) b "
           f"UNION SELECT * FROM (SELECT * FROM ({recorded}) c EXCEPT SELECT * FROM ({now}) d) e) x ORDER BY 1")
    for (pk,) in _rows(sql):
        yield pk, "its tags are not those of its latest version in the history"


def check_history(limit: int) -> Result:
    result = Result("history", "every record's history ends in the record as it is (or in its deletion)")
    for model in HISTORY_MODELS:
        result.checked += model._default_manager.count()
        name = model._meta.verbose_name
        for pk, what in _history_problems(model):
            result.add(f"{name} #{pk}: {what}", limit)
    for pk, what in _claim_tag_problems():
        result.add(f"claim #{pk}: {what}", limit)
    return result


def check_names(limit: int) -> Result:
    result = Result("names", "each record's folded names are its names as they fold now")
    for model in (Actor, Outlet, Tag, Source):
        folded = next(f for f in model._meta.concrete_fields if isinstance(f, FoldedNamesField))
        rows = model._default_manager.order_by("pk").only("pk", folded.attname, *folded.of)
        for record in rows.iterator(chunk_size=2000):
            result.checked += 1
            if getattr(record, folded.attname) != folded.folded(record):
                result.add(f"{model._meta.verbose_name} #{record.pk}", limit)
    return result


CHECKS = {"spans": check_spans, "quotes": check_quotes, "verification": check_verification,
          "status_changes": check_status_changes, "history": check_history, "names": check_names}


def check_integrity(names=None, *, limit: int = 20) -> list[Result]:
    """Run the checks ``names`` (all by default), in order; each result lists at most ``limit`` examples."""
    return [CHECKS[name](limit) for name in (names or CHECKS)]
