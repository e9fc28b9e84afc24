"""Import, stage 6: once every record is in, the relations between claims that the records list and the
database lacks (``services.claim_relation_create``), each other claim found by its ``uid``."""

from __future__ import annotations

from collections.abc import Iterator

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models.expressions import RawSQL

from factbase import services
from factbase.interchange.import_refusals import refusal_problems
from factbase.interchange.import_resolve import IN_BATCH
from factbase.models import Claim, ClaimRelation
from factbase.models.relation import INVERSE, SYMMETRIC_TYPES


class RelationsStage:
    """The ``Importer``'s last step: ``_write_relations()``."""

    def _write_relations(self) -> None:
        """The relations the records list (``pending_relations``), each made unless the database has it: the
        other claim found by its uid, a directed type read from the claim it points at turned around."""
        pending, self.pending_relations = self.pending_relations, []
        if not pending:
            return
        stored_type = {inverse: relation_type for relation_type, inverse in INVERSE.items()}
        uids = sorted({uid for *_, relations in pending for _, uid in relations}, key=str)
        by_uid = {claim.uid: claim for claim in selectors_claims_by_uid(uids)}
        involved = sorted({claim.pk for _, _, claim, _ in pending} | {claim.pk for claim in by_uid.values()})
        existing = set()
        for batch in self._in_batches(involved):
            rows = ClaimRelation.objects.filter(claim_id__in=batch).values_list("claim_id", "related_claim_id", "type")
            existing.update(_relation_key(*row) for row in rows)
        for source, line, claim, relations in pending:
            for i, (shown, uid) in enumerate(relations):
                other = by_uid.get(uid)
                if other is None:
                    self._refuse(source, line, [(f"relations[{i}].claim", f"No claim has the uid {uid}: neither in the "
                                                                           f"files nor in the database.")])
                    continue
                if shown in stored_type:
                    first, second, relation_type = other, claim, stored_type[shown]
                else:
                    first, second, relation_type = claim, other, shown
                key = _relation_key(first.pk, second.pk, relation_type)
                if key in existing:
                    continue
                try:
                    services.claim_relation_create(claim=first, related_claim=second, type=relation_type, user=self.user,
                                                   reason=self.reason or None)
                except ValidationError as exc:
                    self._refuse(source, line, refusal_problems(exc, {}, prefix=f"relations[{i}]"))
                    continue
                existing.add(key)
                self.report.stats["relations created"] += 1


def _relation_key(claim_id: int, related_id: int, relation_type: str) -> tuple:
    """A relation as it is stored once: a symmetric one whichever way round."""
    if relation_type in SYMMETRIC_TYPES:
        claim_id, related_id = sorted((claim_id, related_id))
    return (claim_id, related_id, relation_type)


def selectors_claims_by_uid(uids: list) -> Iterator[Claim]:
    """The claims with these uids. On PostgreSQL one array parameter (``= ANY``) rather than thousands
    of ``IN`` placeholders, which cost more to build and parse than the lookup itself."""
    if not uids:
        return
    if connection.vendor == "postgresql":
        yield from Claim.objects.filter(uid__in=RawSQL("SELECT unnest(%s::uuid[])", [[str(u) for u in uids]]))
        return
    for i in range(0, len(uids), IN_BATCH):
        yield from Claim.objects.filter(uid__in=uids[i:i + IN_BATCH])
