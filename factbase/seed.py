"""Load the seed dataset (``fixtures/seed/seed.json``) through the services.

Related records are named by natural keys: an actor by its name, an outlet by its name, a tag by its
slug, a source by the ``key`` the file gives it. Dates are written as the article gives them
("Friday", "Wednesday") and resolved against the source's publication date with
``provenance.resolve_date``. Loading is idempotent: a record that is already there as the file
describes it is left alone, so a second load changes nothing (and writes no history).
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path

from django.db import transaction

from factbase import provenance, services
from factbase.models import Actor, Claim, Outlet, Review, Source, Tag

SEED_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "seed"
SEED_FILE = SEED_DIR / "seed.json"


def _changed(instance, data: dict) -> dict:
    return {k: v for k, v in data.items() if getattr(instance, k) != v}


@transaction.atomic
def load_seed(path: Path = SEED_FILE, *, user=None) -> Counter:
    """Load the file; returns how many records of each kind were created and updated."""
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    stats: Counter = Counter()

    actors = {}
    for row in doc["actors"]:
        data = {k: row.get(k, default) for k, default in
                (("aliases", []), ("description", ""), ("wikidata_id", ""))}
        actor = Actor.objects.filter(name=row["name"], kind=row["kind"]).first()
        if actor is None:
            actor = services.actor_create(user=user, name=row["name"], kind=row["kind"], **data)
            stats["actors created"] += 1
        elif changes := _changed(actor, data):
            actor = services.actor_update(actor=actor, user=user, data=changes)
            stats["actors updated"] += 1
        actors[row["name"]] = actor

    outlets = {}
    for row in doc["outlets"]:
        data = {"kind": row["kind"], "url": row.get("url", ""), "description": row.get("description", "")}
        outlet = Outlet.objects.filter(name=row["name"]).first()
        if outlet is None:
            outlet = services.outlet_create(user=user, name=row["name"], **data)
            stats["outlets created"] += 1
        elif changes := _changed(outlet, data):
            outlet = services.outlet_update(outlet=outlet, user=user, data=changes)
            stats["outlets updated"] += 1
        outlets[row["name"]] = outlet

    tags = {}
    for row in doc["tags"]:
        data = {"name": row["name"], "description": row.get("description", "")}
        tag = Tag.objects.filter(slug=row["slug"]).first()
        if tag is None:
            tag = services.tag_create(user=user, slug=row["slug"], **data)
            stats["tags created"] += 1
        elif changes := _changed(tag, data):
            tag = services.tag_update(tag=tag, user=user, data=changes)
            stats["tags updated"] += 1
        tags[row["slug"]] = tag

    sources = {}
    for row in doc["sources"]:
        text = (Path(path).parent / row["text_file"]).read_text(encoding="utf-8") if row.get("text_file") else ""
        data = {
            "title": row.get("title", ""), "url": row.get("url", ""), "authors": row.get("authors", []),
            "outlet": outlets[row["outlet"]] if row.get("outlet") else None,
            "published_on": date.fromisoformat(row["published_on"]) if row.get("published_on") else None,
            "language": row.get("language", ""), "text": text,
        }
        if data["url"]:
            source = Source.objects.filter(url=data["url"]).first()
        else:
            source = Source.objects.filter(url="", title=data["title"], published_on=data["published_on"],
                                           outlet=data["outlet"]).first()
        if source is None:
            source = services.source_create(user=user, **data)
            stats["sources created"] += 1
        elif changes := _changed(source, data):
            source = services.source_update(source=source, user=user, data=changes)
            stats["sources updated"] += 1
        sources[row["key"]] = source

    for row in doc["claims"]:
        source = sources[row["source"]]
        speaker = actors[row["speaker"]]
        if row.get("stated"):
            stated_on, precision = provenance.resolve_date(row["stated"], source.published_on)
        else:
            stated_on, precision = None, ""
        data = {
            "speaker": speaker, "speaker_role": row.get("speaker_role", ""), "kind": row["kind"],
            "text": row["text"], "source": source, "stated_on": stated_on, "stated_on_precision": precision,
            "outlet": outlets[row["outlet"]] if row.get("outlet") else None,
        }
        if row["kind"] == Claim.Kind.PARAPHRASE:
            data["span_exact"] = row.get("passage", "")
        wanted_tags = {tags[slug] for slug in row.get("tags", [])}
        claim = Claim.objects.filter(source=source, speaker=speaker, text=row["text"]).first()
        if claim is None:
            claim = services.claim_create(user=user, tags=wanted_tags, **data)
            stats["claims created"] += 1
        else:
            changes = _changed(claim, data)
            if row["kind"] == Claim.Kind.PARAPHRASE and "span_exact" in changes:
                # The stored passage is the slice of the text the passage was found at.
                if provenance.normalize(claim.span_exact) == provenance.normalize(data["span_exact"]):
                    del changes["span_exact"]
            if set(claim.tags.all()) != wanted_tags:
                changes["tags"] = wanted_tags
            if changes:
                claim = services.claim_update(claim=claim, user=user, data=changes)
                stats["claims updated"] += 1

        for review_row in row.get("reviews", []):
            review_data = {
                "reviewer": actors[review_row["reviewer"]] if review_row.get("reviewer") else None,
                "source": sources[review_row["source"]] if review_row.get("source") else None,
                "rating": review_row["rating"], "rating_text": review_row.get("rating_text", ""),
                "summary": review_row.get("summary", ""),
                "reviewed_on": date.fromisoformat(review_row["reviewed_on"]) if review_row.get("reviewed_on") else None,
            }
            review = Review.objects.filter(claim=claim, reviewer=review_data["reviewer"],
                                           source=review_data["source"]).first()
            if review is None:
                services.review_create(user=user, claim=claim, **review_data)
                stats["reviews created"] += 1
            elif changes := _changed(review, review_data):
                services.review_update(review=review, user=user, data=changes)
                stats["reviews updated"] += 1
    return stats
