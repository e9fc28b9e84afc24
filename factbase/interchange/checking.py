"""Checking one record on its own: ``parse_claim`` turns a decoded record (a dict, from any container)
into a ``ClaimRecord``, or raises ``RecordError`` with every problem found, each at its field's path. Pure
functions, no database; the importer checks what needs the database (references, quotes in texts).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date
from typing import Any

from factbase.interchange.format import (
    ACTOR_KEYS,
    ACTOR_KINDS,
    CLAIM_IMPORT_KEYS,
    CLAIM_KEYS,
    CLAIM_KINDS,
    ISO_DATE,
    MAX_LENGTHS,
    OUTLET_KEYS,
    OUTLET_KINDS,
    OUTLET_V2_KEYS,
    PRECISIONS,
    RATINGS,
    RELATION_KEYS,
    RELATION_SHOWN_TYPES,
    RELATIONS_MAX_COUNT,
    REVIEW_KEYS,
    SLUG,
    SOURCE_EXTRA_KEYS,
    SOURCE_KEYS,
    SPAN_KEYS,
    STATUSES,
    TAG_KEYS,
    V2_KEYS,
    WIKIDATA_ID,
    YEAR_OR_MONTH,
)
from factbase.interchange.records import (
    ActorRef,
    ClaimRecord,
    OutletRef,
    RecordError,
    ReviewRecord,
    SourceRef,
    TagRef,
    shown_text,
)
from factbase.models.limits import NAMES_MAX_COUNT, SOURCE_TEXT_MAX_LENGTH


class _Problems:
    def __init__(self, cache: dict | None = None):
        self.items: list[tuple[str, str]] = []
        self.cache = cache  # see _parsed

    def add(self, path: str, message: str) -> None:
        self.items.append((path, message))


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _choices(values: Iterable[str]) -> str:
    return ", ".join(values)


_KNOWN: dict[tuple[int, int], frozenset] = {}  # by the ids of the (module-level) tuples of keys


def _object(value, path, problems, keys, *, extra=()) -> dict | None:
    if not isinstance(value, dict):
        problems.add(path, f"Give an object, not {_type_name(value)}.")
        return None
    known = _KNOWN.get((id(keys), id(extra)))
    if known is None:
        known = _KNOWN[(id(keys), id(extra))] = frozenset((*keys, *extra))
    if not known.issuperset(value):
        for key in value:
            if key not in known:
                problems.add(_join(path, shown_text(str(key))),
                             f"Unknown field. The fields are: {_choices((*keys, *extra))}.")
    return value


def _type_name(value) -> str:
    if value is None:
        return "null"
    return {bool: "true or false", int: "a number", float: "a number", str: "a text", list: "a list",
            dict: "an object"}.get(type(value), type(value).__name__)


def _text(obj, key, path, problems, *, required=False, default: str | None = "", max_length=None) -> str | None:
    value = obj.get(key)
    if value.__class__ is str and "\x00" not in value and (max_length is None or len(value) <= max_length) \
            and (not required or value.strip()):
        return value  # the usual case, checked as below
    if key not in obj or obj[key] is None:
        if required:
            problems.add(_join(path, key), "This field is required.")
        return default
    value = obj[key]
    if not isinstance(value, str):
        problems.add(_join(path, key), f"Give a text, not {_type_name(value)}.")
        return default
    if "\x00" in value:
        problems.add(_join(path, key), "A text may not contain the NUL character.")
        return default
    if required and not value.strip():
        problems.add(_join(path, key), "This field may not be empty.")
        return default
    if max_length is not None and len(value) > max_length:
        problems.add(_join(path, key), f"At most {max_length} characters (this has {len(value)}).")
        return default
    return value


def _choice(obj, key, path, problems, values, *, default=None, required=False) -> str | None:
    if key not in obj or obj[key] is None:
        if required:
            problems.add(_join(path, key), f"This field is required: one of {_choices(values)}.")
        return default
    value = obj[key]
    if value not in values:
        shown = shown_text(value) if isinstance(value, str) else _type_name(value)
        problems.add(_join(path, key), f"“{shown}” is not one of: {_choices(values)}.")
        return default
    return value


def parse_date(value: str) -> date:
    """An ISO date (YYYY-MM-DD); ValueError with a reason otherwise (``2022-02-30``: no such day)."""
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        raise ValueError("Give a date as YYYY-MM-DD.")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"There is no such day: {value}.") from None


def _date(obj, key, path, problems) -> date | None:
    value = obj.get(key)
    if value is None or value == "":
        return None
    try:
        return parse_date(value)
    except ValueError as exc:
        problems.add(_join(path, key), str(exc))
        return None


def _names(obj, key, path, problems) -> list[str] | None:
    """A list of names (aliases, authors): at most ``NAMES_MAX_COUNT``, each a text of at most
    ``NAME_MAX_LENGTH`` characters."""
    value = obj[key]
    path = _join(path, key)
    if not isinstance(value, list):
        problems.add(path, f"Give a list of texts, not {_type_name(value)}.")
        return None
    if len(value) > NAMES_MAX_COUNT:
        problems.add(path, f"At most {NAMES_MAX_COUNT} names (this has {len(value)}).")
        return None
    limit, before = MAX_LENGTHS["name"], len(problems.items)
    for i, item in enumerate(value):
        if item.__class__ is str and len(item) <= limit and "\x00" not in item:
            continue
        if not isinstance(item, str):
            problems.add(f"{path}[{i}]", f"Give a text, not {_type_name(item)}.")
        elif "\x00" in item:
            problems.add(f"{path}[{i}]", "A text may not contain the NUL character.")
        else:
            problems.add(f"{path}[{i}]", f"At most {limit} characters (this has {len(item)}).")
    return value if len(problems.items) == before else None


# --- records -------------------------------------------------------------------------------------

CACHED_OBJECTS = 50_000  # at most so many objects kept by a cache (see _parsed)
CACHED_TEXT_LENGTH = 1000  # an object with a longer text (a source's) is not kept


def _frozen(value: dict, nested: bool = False) -> tuple:
    """A hashable copy of an object read from JSON (TypeError when it holds an unhashable value, a
    text too long to keep, or objects in objects in it: a source's outlet is as deep as a related
    record goes; deeper is not valid, and is parsed to say so)."""
    items = tuple(value.items())
    for _, item in items:
        if item.__class__ is str and len(item) > CACHED_TEXT_LENGTH:
            raise TypeError("not kept")
    try:
        hash(items)
    except TypeError:  # lists (aliases, authors) and objects (a source's outlet) in it
        if nested:
            raise
        return tuple((name, _frozen(item, nested=True) if item.__class__ is dict else
                      tuple(item) if item.__class__ is list else item) for name, item in items)
    return items


def _parsed(parse, value, path, problems):
    """``parse(value, path, problems)``, or the result of parsing an equal object before (with the
    ``cache`` given to ``parse_claim``): the records of a file describe the same speakers, outlets and
    tags again and again. Only what was read without a problem is kept; the results are not changed
    by their readers."""
    cache = problems.cache
    if cache is None or value.__class__ is not dict:
        return parse(value, path, problems)
    try:
        key = (parse, _frozen(value))
        found = cache.get(key)
    except TypeError:  # an unhashable value (an object where a text belongs): parse it to say so
        return parse(value, path, problems)
    if found is not None:
        return found
    before = len(problems.items)
    result = parse(value, path, problems)
    if result is not None and len(problems.items) == before and len(cache) < CACHED_OBJECTS:
        cache[key] = result
    return result


def parse_actor(value, path, problems) -> ActorRef | None:
    obj = _object(value, path, problems, ACTOR_KEYS)
    if obj is None:
        return None
    stated = {}
    name = _text(obj, "name", path, problems, default=None, max_length=MAX_LENGTHS["actor.name"])
    kind = _choice(obj, "kind", path, problems, ACTOR_KINDS)
    wikidata_id = _text(obj, "wikidata_id", path, problems, default=None,
                        max_length=MAX_LENGTHS["actor.wikidata_id"])
    if wikidata_id and not WIKIDATA_ID.match(wikidata_id):
        problems.add(_join(path, "wikidata_id"), "A Wikidata id is Q followed by digits, e.g. Q123.")
        wikidata_id = None
    if name is not None and not name.strip():
        problems.add(_join(path, "name"), "This field may not be empty.")
        name = None
    if not wikidata_id and (name is None or kind is None):
        problems.add(path, "Name the actor by its name and kind (person or organization), or by its wikidata_id.")
        return None
    for key, val in (("name", name), ("kind", kind)):
        if val is not None:
            stated[key] = val
    if "wikidata_id" in obj:
        stated["wikidata_id"] = wikidata_id or ""
    if "aliases" in obj:
        aliases = _names(obj, "aliases", path, problems)
        if aliases is not None:
            stated["aliases"] = aliases
    if "description" in obj:
        stated["description"] = _text(obj, "description", path, problems, max_length=MAX_LENGTHS["actor.description"])
    return ActorRef(name=name, kind=kind, stated=stated)


def _respelled(obj: dict, record: str, path: str, problems) -> dict:
    """``obj`` with its version-2 keys (``V2_KEYS``) under their version-1 names; both names of one field
    with different values are a problem (the same value twice is fine)."""
    renames = V2_KEYS[record]
    if not any(new in obj for new in renames.values()):
        return obj
    obj = dict(obj)
    for old, new in renames.items():
        if new not in obj:
            continue
        value = obj.pop(new)
        if old in obj and obj[old] != value:
            problems.add(_join(path, new), f"Give {new} or {old} (its name in version 1 of the format), not both "
                                           f"with different values.")
        obj[old] = value
    return obj


def parse_outlet(value, path, problems) -> OutletRef | None:
    obj = _object(value, path, problems, OUTLET_KEYS, extra=OUTLET_V2_KEYS)
    if obj is None:
        return None
    obj = _respelled(obj, "outlet", path, problems)
    name = _text(obj, "name", path, problems, required=True, default=None, max_length=MAX_LENGTHS["outlet.name"])
    if name is None:
        return None
    stated = {"name": name}
    if "kind" in obj:
        stated["kind"] = _choice(obj, "kind", path, problems, OUTLET_KINDS, default="other")
    for key in ("url", "description"):
        if key in obj:
            stated[key] = _text(obj, key, path, problems, max_length=MAX_LENGTHS[f"outlet.{key}"])
    return OutletRef(name=name, stated=stated)


def parse_source(value, path, problems) -> SourceRef | None:
    obj = _object(value, path, problems, SOURCE_KEYS, extra=SOURCE_EXTRA_KEYS)
    if obj is None:
        return None
    obj = _respelled(obj, "source", path, problems)
    stated: dict[str, Any] = {}
    url = _text(obj, "url", path, problems, max_length=MAX_LENGTHS["source.url"]) or ""
    title = _text(obj, "title", path, problems, max_length=MAX_LENGTHS["source.title"]) or ""
    published_on = _date(obj, "published_on", path, problems)
    if not url and not title and published_on is None:
        problems.add(path, "Name the source by its url, or by its title and/or published_on.")
        return None
    for key, val in (("url", url), ("title", title), ("published_on", published_on)):
        if key in obj:
            stated[key] = val
    if "language" in obj:
        stated["language"] = _text(obj, "language", path, problems, max_length=MAX_LENGTHS["source.language"])
    if "authors" in obj:
        authors = _names(obj, "authors", path, problems)
        if authors is not None:
            stated["authors"] = authors
    if "outlet" in obj:
        stated["outlet"] = None if obj["outlet"] is None else _parsed(parse_outlet, obj["outlet"],
                                                                     _join(path, "outlet"), problems)
    if "text" in obj and "text_file" in obj:
        problems.add(_join(path, "text_file"), "Give the text or a text_file, not both.")
    elif "text" in obj:
        stated["text"] = _text(obj, "text", path, problems, max_length=MAX_LENGTHS["source.text"])
    elif "text_file" in obj:
        stated["text_file"] = _text(obj, "text_file", path, problems, required=True,
                                    max_length=MAX_LENGTHS["source.text_file"])
    return SourceRef(url=url, title=title, published_on=published_on, stated=stated)


def parse_tag(value, path, problems) -> TagRef | None:
    if isinstance(value, str):
        value = {"slug": value}
    obj = _object(value, path, problems, TAG_KEYS)
    if obj is None:
        return None
    slug = _text(obj, "slug", path, problems, required=True, default=None, max_length=MAX_LENGTHS["tag.slug"])
    if slug is None:
        return None
    if not SLUG.match(slug):
        problems.add(_join(path, "slug"), "A slug is letters, digits, hyphens and underscores.")
        return None
    stated = {"slug": slug}
    if "name" in obj:
        stated["name"] = _text(obj, "name", path, problems, required=True, max_length=MAX_LENGTHS["tag.name"])
    if "description" in obj:
        stated["description"] = _text(obj, "description", path, problems, max_length=MAX_LENGTHS["tag.description"])
    return TagRef(slug=slug, stated=stated)


def parse_review(value, path, problems) -> ReviewRecord | None:
    obj = _object(value, path, problems, REVIEW_KEYS)
    if obj is None:
        return None
    rating = _choice(obj, "rating", path, problems, RATINGS, required=True)
    reviewer = None if obj.get("reviewer") is None else _parsed(parse_actor, obj["reviewer"], _join(path, "reviewer"),
                                                                problems)
    source = None if obj.get("source") is None else _parsed(parse_source, obj["source"], _join(path, "source"),
                                                            problems)
    if obj.get("reviewer") is None and obj.get("source") is None:
        problems.add(path, "A review names its reviewer or the source where it was published (or both).")
    review = ReviewRecord(
        rating=rating,
        rating_text=_text(obj, "rating_text", path, problems, max_length=MAX_LENGTHS["review.rating_text"]),
        summary=_text(obj, "summary", path, problems, max_length=MAX_LENGTHS["review.summary"]),
        reviewed_on=_date(obj, "reviewed_on", path, problems),
        reviewer=reviewer, source=source,
    )
    return review if rating is not None else None


def _stated_on(obj, problems) -> tuple[date | None, str]:
    """``stated_on`` and ``stated_on_precision``. Without a precision, "2022", "2022-03" and
    "2022-03-15" say year, month and day."""
    value = obj.get("stated_on")
    precision = _choice(obj, "stated_on_precision", "", problems, ("", *PRECISIONS), default="")
    if value is None or value == "":
        if precision:
            problems.add("stated_on", "Give the date, or leave the precision empty.")
        return None, ""
    if not isinstance(value, str):
        problems.add("stated_on", f"Give a date as YYYY-MM-DD, not {_type_name(value)}.")
        return None, ""
    shorthand = YEAR_OR_MONTH.fullmatch(value)
    if shorthand:
        implied = "month" if shorthand[2] else "year"
        if precision and precision != implied:
            problems.add("stated_on", f"{value} is a {implied}: give the first day (YYYY-MM-DD) with precision "
                                      f"{precision}, or precision {implied}.")
            return None, ""
        try:
            return date(int(shorthand[1]), int(shorthand[2] or 1), 1), implied
        except ValueError:
            problems.add("stated_on", f"There is no such month: {value}.")
            return None, ""
    try:
        parsed = parse_date(value)
    except ValueError as exc:
        problems.add("stated_on", str(exc))
        return None, ""
    return parsed, precision or "day"


def _span(obj, problems) -> tuple[int | None, str | None]:
    """The span's start (a hint) and its exact text; ``end`` must agree with them."""
    value = obj.get("span")
    if value is None:
        return None, None
    span = _object(value, "span", problems, SPAN_KEYS)
    if span is None:
        return None, None
    start, end, exact = span.get("start"), span.get("end"), span.get("exact")
    ok = True
    for key, val in (("start", start), ("end", end)):
        if isinstance(val, bool) or not isinstance(val, int) or not 0 <= val <= SOURCE_TEXT_MAX_LENGTH:
            problems.add(f"span.{key}", f"Give an offset into the source's text: a whole number from 0 to "
                                        f"{SOURCE_TEXT_MAX_LENGTH}.")
            ok = False
    if not isinstance(exact, str) or not exact:
        problems.add("span.exact", "Give the text of the source between start and end.")
        ok = False
    elif _text(span, "exact", "span", problems, max_length=MAX_LENGTHS["claim.span.exact"]) is not exact:
        ok = False
    if ok and end - start != len(exact):
        problems.add("span", f"end - start ({end - start}) is not the length of exact ({len(exact)}).")
        ok = False
    return (start, exact) if ok else (None, None)


def parse_claim(value, cache: dict | None = None) -> ClaimRecord:
    """A record as read from a file (a dict) checked and typed; ``RecordError`` lists every problem.

    ``cache``: a dict kept from one record of a file to the next, in which the speakers, outlets and
    tags read are kept to be found again (the same object, read once, for the same description)."""
    problems = _Problems(cache)
    obj = _object(value, "", problems, CLAIM_KEYS, extra=CLAIM_IMPORT_KEYS)
    if obj is None:
        raise RecordError(problems.items)

    uid = None
    if obj.get("uid") not in (None, ""):
        try:
            uid = uuid.UUID(str(obj["uid"])) if isinstance(obj["uid"], str) else None
        except ValueError:
            uid = None
        if uid is None:
            problems.add("uid", "Give a UUID, e.g. 0d5f4a1e-2b8c-4e7a-9f61-3c2d1b0a9e87.")

    text = _text(obj, "text", "", problems, required=True, max_length=MAX_LENGTHS["claim.text"])
    kind = _choice(obj, "kind", "", problems, CLAIM_KINDS, default="direct_quote")
    if obj.get("speaker") is None:
        problems.add("speaker", "A claim needs its speaker: an actor named by name and kind, or wikidata_id.")
        speaker = None
    else:
        speaker = _parsed(parse_actor, obj["speaker"], "speaker", problems)
    if obj.get("source") is None:
        problems.add("source", "A claim needs its source: the document that reports it.")
        source = None
    else:
        source = _parsed(parse_source, obj["source"], "source", problems)
    outlet = None if obj.get("outlet") is None else _parsed(parse_outlet, obj["outlet"], "outlet", problems)

    stated_on, precision = _stated_on(obj, problems)
    stated = None
    if obj.get("stated") is not None:
        stated = _text(obj, "stated", "", problems, default=None, max_length=MAX_LENGTHS["claim.stated"])
        if obj.get("stated_on") not in (None, ""):
            problems.add("stated", "Give stated (the date as the source words it) or stated_on, not both.")

    span_hint, span_exact = _span(obj, problems)
    passage = ""
    if obj.get("passage") not in (None, ""):
        passage = _text(obj, "passage", "", problems, max_length=MAX_LENGTHS["claim.passage"])
        if obj.get("span") is not None:
            problems.add("passage", "Give the passage or the span, not both.")
    elif span_exact is not None:
        passage = span_exact
    if kind == "direct_quote" and obj.get("passage") not in (None, ""):
        problems.add("passage", "A direct quote is looked for in the source by its text: leave passage out.")
    if kind == "direct_quote":
        passage = ""

    status = _choice(obj, "status", "", problems, STATUSES) if "status" in obj else None
    status_note = _text(obj, "status_note", "", problems, max_length=MAX_LENGTHS["claim.status_note"]) \
        if "status_note" in obj else None

    tags = None
    if "tags" in obj:
        if not isinstance(obj["tags"], list):
            problems.add("tags", "Give a list of tags (objects with a slug, or slugs).")
        else:
            tags = [_parsed(parse_tag, tag, f"tags[{i}]", problems) for i, tag in enumerate(obj["tags"])]
            tags = [tag for tag in tags if tag is not None]
            slugs = [tag.slug for tag in tags]
            if len(set(slugs)) != len(slugs):
                problems.add("tags", "A tag is listed twice.")
    reviews = None
    if "reviews" in obj:
        if not isinstance(obj["reviews"], list):
            problems.add("reviews", "Give a list of reviews.")
        else:
            reviews = [parse_review(review, f"reviews[{i}]", problems) for i, review in enumerate(obj["reviews"])]
            reviews = [review for review in reviews if review is not None]

    relations = None
    if "relations" in obj:
        relations = _relations(obj["relations"], problems)

    speaker_role = _text(obj, "speaker_role", "", problems, max_length=MAX_LENGTHS["claim.speaker_role"])
    if problems.items:
        raise RecordError(problems.items)
    return ClaimRecord(
        uid=uid, text=text, kind=kind, speaker=speaker, source=source, speaker_role=speaker_role,
        stated_on=stated_on, stated_on_precision=precision, stated=stated, outlet=outlet, passage=passage,
        span_hint=span_hint, status=status, status_note=status_note, tags=tags, reviews=reviews, relations=relations,
    )


def _relations(value, problems) -> list[tuple[str, uuid.UUID]] | None:
    """A record's ``relations``: a list of ``{"type", "claim": uid}``."""
    if not isinstance(value, list):
        problems.add("relations", "Give a list of relations: objects with a type and a claim (its uid).")
        return None
    if len(value) > RELATIONS_MAX_COUNT:
        problems.add("relations", f"List at most {RELATIONS_MAX_COUNT} relations (this lists {len(value)}).")
        return None
    relations = []
    for i, item in enumerate(value):
        path = f"relations[{i}]"
        obj = _object(item, path, problems, RELATION_KEYS)
        if obj is None:
            continue
        relation_type = _choice(obj, "type", path, problems, RELATION_SHOWN_TYPES, required=True)
        other = None
        if isinstance(obj.get("claim"), str):
            try:
                other = uuid.UUID(obj["claim"])
            except ValueError:
                other = None
        if other is None:
            problems.add(_join(path, "claim"), "Give the related claim's uid, e.g. 0d5f4a1e-2b8c-4e7a-9f61-3c2d1b0a9e87.")
        if relation_type is not None and other is not None:
            relations.append((relation_type, other))
    return relations
