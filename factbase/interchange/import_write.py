"""Import, stages 4 and 5: each claim matched to the one it updates (by ``uid``, else by source, speaker and
text), the new claims created (``services.claim_create_many``), the changed ones updated (``claim_update``,
``claim_set_status``), and their reviews created or updated."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from factbase import provenance, services
from factbase.interchange import ClaimRecord
from factbase.interchange.import_refusals import CLAIM_FIELDS, REVIEW_FIELDS, refusal_problems
from factbase.interchange.import_relations import selectors_claims_by_uid
from factbase.models import Claim, Review, Source


class WritingStage:
    """The ``Importer``'s writing of a chunk's claims and reviews (``_write_claims``)."""

    def _load_source_texts(self, ready) -> None:
        """The texts of the sources this chunk's claims quote (each claim's span is found in them)."""
        missing = {}
        for _, record in ready:
            instance = record.source_entry.instance
            if "text" not in instance.__dict__:
                missing[instance.pk] = instance
        for batch in self._in_batches(list(missing)):
            for pk, text in Source.objects.filter(pk__in=batch).values_list("pk", "text"):
                missing[pk].text = text

    def _claim_values(self, record: ClaimRecord) -> dict[str, Any]:
        source = record.source_entry.instance
        stated_on, precision = record.stated_on, record.stated_on_precision
        if record.stated is not None:
            if source.published_on is None:
                raise ValidationError({"stated": f"The source has no publication date to resolve "
                                                 f"“{record.stated}” against: give stated_on."})
            try:
                stated_on, precision = provenance.resolve_date(record.stated, source.published_on)
            except provenance.DateExpressionError:
                raise ValidationError({"stated": f"Cannot tell the date from “{record.stated}”: give stated_on "
                                                 f"(YYYY-MM-DD) and its precision."}) from None
        return {
            "text": record.text, "kind": record.kind, "speaker": record.speaker_entry.instance,
            "speaker_role": record.speaker_role, "stated_on": stated_on, "stated_on_precision": precision,
            "outlet": record.outlet_entry.instance if record.outlet_entry else None, "source": source,
            "span_exact": record.passage,
        }

    def _match(self, ready) -> dict[int, Claim]:
        """For each record (by index in ``ready``), the claim of the database it updates."""
        matched: dict[int, Claim] = {}
        uids = [record.uid for _, record in ready if record.uid is not None]
        by_uid = {c.uid: c for c in selectors_claims_by_uid(uids)}
        natural, taken = [], set()
        for i, (_, record) in enumerate(ready):
            claim = by_uid.get(record.uid) if record.uid is not None else None
            if claim is not None:
                matched[i] = claim
                taken.add(claim.pk)
            elif record.speaker_entry.existed and record.source_entry.existed:
                natural.append(i)
        if natural:
            candidates = defaultdict(list)
            texts = sorted({ready[i][1].text for i in natural})
            speakers = sorted({ready[i][1].speaker_entry.instance.pk for i in natural})
            sources = sorted({ready[i][1].source_entry.instance.pk for i in natural})
            for batch in self._in_batches(texts):
                for claim in (Claim.objects.filter(text__in=batch, speaker_id__in=speakers, source_id__in=sources)
                              .order_by("id")):
                    candidates[(claim.source_id, claim.speaker_id, claim.text)].append(claim)
            for i in natural:
                record = ready[i][1]
                key = (record.source_entry.instance.pk, record.speaker_entry.instance.pk, record.text)
                for claim in candidates.get(key, []):
                    if claim.pk not in self.claimed and claim.pk not in taken:
                        matched[i] = claim
                        taken.add(claim.pk)
                        break
        return matched

    def _status_problem(self, status: str) -> tuple[str, str] | None:
        if self.may_set_status:
            return None
        return ("status", f"Setting the status to “{status}” needs a user with the verify_claim permission (an "
                          f"Editor): give one with --user.")

    def _write_claims(self, ready) -> None:
        matched = self._match(ready)
        new_items, new_records = [], []
        updates = []
        seen_uids: dict = {}
        for i, (source, record) in enumerate(ready):
            if record.uid is not None:
                if record.uid in seen_uids:
                    self._refuse(source, record.line, [("uid", f"Line {seen_uids[record.uid]} has the same uid.")])
                    continue
                seen_uids[record.uid] = record.line
            claim = matched.get(i)
            if claim is not None and claim.pk in self.claimed:
                self._refuse(source, record.line, [("uid", "An earlier record of the files is the same claim.")])
                continue
            try:
                values = self._claim_values(record)
            except ValidationError as exc:
                self._refuse(source, record.line, refusal_problems(exc, CLAIM_FIELDS))
                continue
            if claim is None:
                if record.status not in (None, Claim.Status.UNVERIFIED) and (problem := self._status_problem(record.status)):
                    self._refuse(source, record.line, [problem])
                    continue
                item = {**values, "span_hint": record.span_hint, "tags": self._tags(record) or [],
                        "status": record.status, "status_note": record.status_note or ""}
                if record.uid is not None:
                    item["uid"] = record.uid
                new_items.append(item)
                new_records.append((source, record))
            else:
                self.claimed.add(claim.pk)
                updates.append((source, record, claim, values))

        created, errors = services.claim_create_many(user=self.user, items=new_items, reason=self.reason) \
            if new_items else ([], {})
        reviews_for = []
        for i, ((source, record), claim) in enumerate(zip(new_records, created)):
            if claim is None:
                self._refuse(source, record.line, refusal_problems(errors[i], CLAIM_FIELDS))
                continue
            self.claimed.add(claim.pk)
            self.report.stats["claims created"] += 1
            reviews_for.append((source, record, claim, []))
            if record.relations:
                self.pending_relations.append((source, record.line, claim, record.relations))

        existing_reviews = defaultdict(list)
        ids = [claim.pk for _, record, claim, _ in updates if record.reviews is not None]
        for batch in self._in_batches(ids):
            for review in Review.objects.filter(claim_id__in=batch).order_by("id"):
                existing_reviews[review.claim_id].append(review)
        tags_now = defaultdict(set)
        ids = [claim.pk for _, record, claim, _ in updates if record.tags is not None]
        through = Claim.tags.through
        for batch in self._in_batches(ids):
            for claim_id, tag_id in through.objects.filter(claim_id__in=batch).values_list("claim_id", "tag_id"):
                tags_now[claim_id].add(tag_id)
        for source, record, claim, values in updates:
            claim = self._update_claim(source, record, claim, values, tags_now[claim.pk])
            if claim is not None:
                reviews_for.append((source, record, claim, existing_reviews.get(claim.pk, [])))
                if record.relations:
                    self.pending_relations.append((source, record.line, claim, record.relations))
        self._write_reviews(reviews_for)

    def _tags(self, record: ClaimRecord):
        return None if record.tag_entries is None else [entry.instance for entry in record.tag_entries]

    def _update_claim(self, source, record, claim, values, current_tags) -> Claim | None:
        changes = {}
        for name, value in values.items():
            if name in ("speaker", "outlet", "source"):  # compared by id: no query for the related row
                if getattr(claim, f"{name}_id") != (value.pk if value is not None else None):
                    changes[name] = value
                continue
            current = getattr(claim, name)
            if name == "span_exact":
                if record.kind == Claim.Kind.PARAPHRASE and provenance.normalize(current) == provenance.normalize(value):
                    continue
                if record.kind == Claim.Kind.DIRECT_QUOTE:
                    continue  # found from the text itself
            if current != value:
                changes[name] = value
        if record.span_hint is not None and record.span_hint != claim.span_start and not changes:
            # Another occurrence of a repeated phrase: only a change if it is found elsewhere.
            wanted = record.text if record.kind == Claim.Kind.DIRECT_QUOTE else record.passage
            found = provenance.find_quote(values["source"].text, wanted, near=record.span_hint) if wanted else None
            if found is not None and found.start != claim.span_start:
                changes["span_hint"] = record.span_hint
                if record.kind == Claim.Kind.PARAPHRASE:
                    changes["span_exact"] = record.passage
        tags = self._tags(record)
        if tags is not None and {t.pk for t in tags} != current_tags:
            changes["tags"] = tags
        status_change = None
        if record.status is not None:
            note = record.status_note if record.status_note is not None else ""
            will_be = claim.status
            if changes.keys() & set(Claim.ATTRIBUTION_FIELDS) and claim.status == Claim.Status.VERIFIED:
                will_be = Claim.Status.UNVERIFIED
            if record.status != will_be or (note and note != claim.status_note):
                status_change = (record.status, note)
        if not changes and status_change is None:
            self.report.unchanged += 1
            return claim
        if status_change is not None and (problem := self._status_problem(status_change[0])):
            self._refuse(source, record.line, [problem])
            return None
        try:
            with transaction.atomic():
                if changes:
                    claim = services.claim_update(claim=claim, user=self.user, data=changes)
                if status_change is not None:
                    claim = services.claim_set_status(claim=claim, user=self.user, status=status_change[0],
                                                      note=status_change[1])
        except ValidationError as exc:
            self._refuse(source, record.line, refusal_problems(exc, CLAIM_FIELDS))
            return None
        except PermissionDenied as exc:
            self._refuse(source, record.line, [("status", str(exc))])
            return None
        self.report.stats["claims updated"] += 1
        return claim

    def _write_reviews(self, reviews_for) -> None:
        items, owners = [], []
        for source, record, claim, existing in reviews_for:
            if not record.reviews:
                continue
            unmatched = list(existing)
            keys_seen = {}
            for i, (review, (reviewer, published)) in enumerate(zip(record.reviews, record.review_entries)):
                path = f"reviews[{i}]"
                key = (reviewer.instance.pk if reviewer else None, published.instance.pk if published else None)
                if key in keys_seen:
                    self._refuse(source, record.line, [(path, f"reviews[{keys_seen[key]}] has the same reviewer and "
                                                              f"source: one review each.")])
                    continue
                keys_seen[key] = i
                data = {"reviewer": reviewer.instance if reviewer else None,
                        "source": published.instance if published else None,
                        "rating": review.rating, "rating_text": review.rating_text, "summary": review.summary,
                        "reviewed_on": review.reviewed_on}
                match = next((r for r in unmatched if (r.reviewer_id, r.source_id) == key), None)
                if match is None:
                    items.append({"claim": claim, **data})
                    owners.append((source, record.line, path))
                    continue
                unmatched.remove(match)
                changes = {name: value for name, value in data.items()
                           if (getattr(match, f"{name}_id") != (value.pk if value is not None else None)
                               if name in ("reviewer", "source") else getattr(match, name) != value)}
                if not changes:
                    continue
                try:
                    services.review_update(review=match, user=self.user, data=changes)
                except ValidationError as exc:
                    self._refuse(source, record.line, refusal_problems(exc, REVIEW_FIELDS, prefix=path))
                    continue
                self.report.stats["reviews updated"] += 1
        if not items:
            return
        created, errors = services.review_create_many(user=self.user, items=items, reason=self.reason)
        for i, ((source, line, path), review) in enumerate(zip(owners, created)):
            if review is None:
                self._refuse(source, line, refusal_problems(errors[i], REVIEW_FIELDS, prefix=path))
            else:
                self.report.stats["reviews created"] += 1
