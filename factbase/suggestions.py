"""Suggested claims: the attributions the extractor finds in a source's text, as claims an editor may
accept, edit or dismiss (issue #15). Domain only: the admin, the API and ``manage.py suggest_claims``
show them; ``services.suggestion_accept`` and ``services.suggestion_dismiss`` act on them.

``factbase.attribution.extract`` finds the attributions (pure functions over the text). Here each becomes
a ``Suggestion``: its speaker matched to an ``Actor`` by name and aliases (or proposed as a new actor), its
outlet matched to an ``Outlet`` by name (or named as written), its date phrase resolved against the
source's publication date (``provenance.resolve_date``, with its precision), and the source's claims
that overlap it listed.

**Keys.** A suggestion's ``key`` is a digest of its source's id, its content span and its content text: the
same for the same text on every call, so a page, the API and a later request name the same suggestion. An
edit of the source's text that moves or changes the content gives it another key (an old key is then
"stale", and refused by the services).

**What is left out** (``suggestions_for_source``):

- what is already a claim of the source: a claim whose text is the suggestion's content (compared in
  ``provenance.normalize``, without surrounding quotation marks and punctuation), or whose span covers at
  least half of the shorter of the two spans (the same passage, however each was cut). A smaller overlap
  (a paraphrase's passage that touches a quote) does not hide the suggestion: the claim is listed in its
  ``overlaps``, for the editor to judge;
- what an editor dismissed (``SuggestionDismissal``): its key, or the same content text.

**The gazetteer** (the known names given to the extractor, and the actors a speaker is matched to) is
bounded: when the database has at most ``GAZETTEER_ALL_ACTORS`` actors, all of them (one query of at most
that many short rows); beyond, the actors who already speak in this source's claims, and the actors whose
exact name is one of the capitalised phrases of the text (at most ``GAZETTEER_CANDIDATES`` of them, looked
up in the (name, kind) index). So a database of a million actors costs the same few queries; what it
misses there is an actor named in the text only by an alias, who then comes as a "new actor" proposal
(accepting it finds the actor of that exact name and kind if there is one, rather than duplicating it).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from factbase import attribution, provenance
from factbase.models import Actor, Claim, Outlet, Source, SuggestionDismissal

#: up to this many actors, the gazetteer is every actor of the database
GAZETTEER_ALL_ACTORS = 5000
#: beyond, at most so many capitalised phrases of a text are looked up as actors' names
GAZETTEER_CANDIDATES = 2000
#: a claim whose span covers at least this share of the shorter span is the same passage
SAME_PASSAGE_SHARE = 0.5

_STRIP = " \t\n\"'.,;:!?-()[]"
_UPPER = "A-Z\u00c0-\u00de\u0400-\u042f"  # Latin (with accents) and Cyrillic capitals
_CAPITALISED = re.compile(rf"\b[{_UPPER}][\w'\u2019\-]*(?:\s+[{_UPPER}][\w'\u2019\-]*){{0,4}}")


@dataclass(frozen=True)
class Suggestion:
    """One suggested claim. ``actor`` is the matched speaker (None: ``speaker_name`` is proposed as a new
    actor; an empty name: the extractor could not tell who spoke); ``outlet`` the matched outlet (None:
    ``outlet_name`` as written, or no outlet); ``stated_on`` the date ``date_phrase`` resolves to (None:
    no phrase, no publication date, or a phrase ``provenance.resolve_date`` does not understand)."""

    key: str
    content: provenance.Span
    kind: str
    cue: str = ""
    cue_span: provenance.Span | None = None
    speaker_mention: str = ""
    speaker_span: provenance.Span | None = None
    speaker_name: str = ""
    actor: Actor | None = None
    role: str = ""
    outlet_name: str = ""
    outlet: Outlet | None = None
    date_phrase: str = ""
    stated_on: date | None = None
    stated_on_precision: str = ""
    overlaps: tuple[Claim, ...] = field(default_factory=tuple)

    @property
    def new_actor_name(self) -> str:
        """The name of the actor that accepting this suggestion creates ("" when it matched one)."""
        return "" if self.actor is not None else self.speaker_name

    @property
    def speaker_label(self) -> str:
        """Who spoke, as an editor reads it: the matched actor's name, else the name or mention as written."""
        if self.actor is not None:
            return self.actor.name
        return self.speaker_name or self.speaker_mention

    def history_reason(self) -> str:
        """The reason kept in the history of the claim made from this suggestion."""
        cue = f"“{self.cue}”" if self.cue else "no cue"
        return f"Accepted suggestion: {cue} by {self.speaker_label or 'an unnamed speaker'} (extractor)"


def suggestion_key(source_id, content: provenance.Span) -> str:
    """The stable key of a suggestion: a digest of its source, its content span and its content text."""
    raw = f"{source_id or ''}|{content.start}|{content.end}|{content.exact}"
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:20]


def comparable(text: str) -> str:
    """A text as suggestions compare it with claims: ``provenance.normalize``, without surrounding quotation
    marks, punctuation and white space."""
    return provenance.normalize(text).strip(_STRIP)


# --- matching names --------------------------------------------------------------------------------

class ActorIndex:
    """Actors by their names and aliases in ``provenance.normalize``, and a person by the last word of a
    name of several words (a surname)."""

    def __init__(self, actors: Iterable[Actor]):
        self.actors = list(actors)
        self.by_name: dict[str, list[Actor]] = {}
        self.by_surname: dict[str, list[Actor]] = {}
        for actor in self.actors:
            for name in (actor.name, *(actor.aliases or [])):
                folded = provenance.normalize(name)
                if not folded:
                    continue
                self.by_name.setdefault(folded, []).append(actor)
                words = folded.split()
                if len(words) > 1 and actor.kind == Actor.Kind.PERSON:
                    self.by_surname.setdefault(words[-1], []).append(actor)

    def names(self) -> list[str]:
        """Every name and alias, for the extractor's gazetteer."""
        return [name for actor in self.actors for name in (actor.name, *(actor.aliases or [])) if name]

    @staticmethod
    def _one(found: list[Actor] | None) -> Actor | None:
        if not found:
            return None
        distinct = {actor.pk: actor for actor in found}
        return next(iter(distinct.values())) if len(distinct) == 1 else None

    def match(self, *names: str) -> Actor | None:
        """The actor one of ``names`` (in order) names: a name or alias of exactly one actor; else a single
        word that is exactly one person's surname. None when no name, or several actors, fit."""
        for name in names:
            folded = provenance.normalize(name or "")
            folded = re.sub(r"'s\Z", "", folded).strip(_STRIP)
            if not folded:
                continue
            found = self._one(self.by_name.get(folded))
            if found is not None:
                return found
            if len(folded.split()) == 1:
                found = self._one(self.by_surname.get(folded))
                if found is not None:
                    return found
        return None


def _candidates(text: str) -> list[str]:
    """The capitalised phrases of ``text`` and their tails (``Kazakh President Kassym-Jomart Tokayev`` gives
    the phrase, ``President Kassym-Jomart Tokayev``, ...), at most ``GAZETTEER_CANDIDATES``."""
    found: dict[str, None] = {}
    for match in _CAPITALISED.finditer(text):
        words = match.group(0).split()
        for i in range(len(words)):
            for j in range(len(words), i, -1):
                found.setdefault(" ".join(words[i:j]), None)
                if len(found) >= GAZETTEER_CANDIDATES:
                    return list(found)
    return list(found)


_ACTOR_FIELDS = ("id", "name", "kind", "aliases")


def gazetteer(text: str, *, source: Source | None = None) -> ActorIndex:
    """The actors a text's speakers are matched to (see the module's docstring): at most three queries."""
    actors = list(Actor.objects.only(*_ACTOR_FIELDS).order_by("pk")[:GAZETTEER_ALL_ACTORS + 1])
    if len(actors) <= GAZETTEER_ALL_ACTORS:
        return ActorIndex(actors)
    found: dict[int, Actor] = {}
    if source is not None and source.pk is not None:
        speaking = Actor.objects.only(*_ACTOR_FIELDS).filter(claims__source=source).distinct()
        found.update((actor.pk, actor) for actor in speaking)
    names = _candidates(text)
    if names:
        found.update((actor.pk, actor) for actor in Actor.objects.only(*_ACTOR_FIELDS).filter(name__in=names))
    return ActorIndex(sorted(found.values(), key=lambda actor: actor.pk))


def _outlets(names: Iterable[str]) -> dict[str, Outlet]:
    """Outlets by their name in ``provenance.normalize``: one query for all the names."""
    folded = {provenance.normalize(name) for name in names if name and name.strip()}
    if not folded:
        return {}
    return {outlet.names_folded: outlet for outlet in Outlet.objects.filter(names_folded__in=folded)}


def _resolved(phrase: str, published_on: date | None) -> tuple[date | None, str]:
    if not phrase or published_on is None:
        return None, ""
    try:
        return provenance.resolve_date(phrase, published_on)
    except provenance.DateExpressionError:
        return None, ""


_NOT_NAMES = frozenset("a an the he she they it we i you his her their this that one".split())


def _as_name(mention: str) -> str:
    """A mention that reads as a proper name (every word capitalised, not a pronoun or an article), else ""."""
    words = mention.split()
    if not words or words[0].casefold() in _NOT_NAMES or not all(word[:1].isupper() for word in words):
        return ""
    return mention


# --- suggestions -----------------------------------------------------------------------------------

def _overlap(a_start: int, a_end: int, b_start: int, b_end: int) -> int:
    return max(0, min(a_end, b_end) - max(a_start, b_start))


def overlapping(content: provenance.Span, claims: Iterable[Claim]) -> list[Claim]:
    """The claims whose span overlaps ``content``."""
    return [claim for claim in claims if claim.span_start is not None
            and _overlap(content.start, content.end, claim.span_start, claim.span_end) > 0]


def is_recorded(suggestion: Suggestion, claims: Iterable[Claim], texts: dict[int, str] | None = None) -> bool:
    """Whether ``suggestion`` is already one of ``claims`` (see the module's docstring). ``texts``: each claim's
    ``comparable`` text by id, when the caller compares many suggestions with the same claims."""
    content = suggestion.content
    wanted = comparable(content.exact)
    for claim in claims:
        text = texts[claim.pk] if texts is not None else comparable(claim.text)
        if wanted and text == wanted:
            return True
        if claim.span_start is not None:
            shared = _overlap(content.start, content.end, claim.span_start, claim.span_end)
            shorter = min(content.end - content.start, claim.span_end - claim.span_start)
            if shared and shorter and shared >= SAME_PASSAGE_SHARE * shorter:
                return True
    return False


def suggest(text: str, *, published_on: date | None = None, source_id=None, actors: ActorIndex | None = None,
            claims: Iterable[Claim] = ()) -> list[Suggestion]:
    """Every suggestion the extractor makes for ``text``, in the text's order, already-recorded ones
    included (each with its ``overlaps`` among ``claims``). One query, for the outlets named."""
    if not text:
        return []
    actors = actors if actors is not None else ActorIndex(())
    claims = list(claims)
    found = attribution.extract(text, names=actors.names())
    outlets = _outlets(a.outlet for a in found)
    suggestions = []
    seen: set[str] = set()
    for item in found:
        content = item.content
        key = suggestion_key(source_id, content)
        if key in seen or not content.exact.strip():
            continue
        seen.add(key)
        mention = item.speaker.exact if item.speaker is not None else ""
        stated_on, precision = _resolved(item.date_phrase, published_on)
        suggestions.append(Suggestion(
            key=key, content=content, kind=item.kind,
            cue=item.cue.exact if item.cue is not None else "", cue_span=item.cue,
            speaker_mention=mention, speaker_span=item.speaker, speaker_name=item.speaker_name or _as_name(mention),
            actor=actors.match(item.speaker_name, mention),
            role=item.role, outlet_name=item.outlet,
            outlet=outlets.get(provenance.normalize(item.outlet)) if item.outlet else None,
            date_phrase=item.date_phrase, stated_on=stated_on, stated_on_precision=precision,
            overlaps=tuple(overlapping(content, claims)),
        ))
    return suggestions


def suggestions_for_text(text: str, *, published_on: date | None = None) -> list[Suggestion]:
    """The suggestions for a text that is not (yet) a source (``manage.py suggest_claims``): speakers
    matched to the database's actors."""
    return suggest(text, published_on=published_on, actors=gazetteer(text))


def suggestions_for_source(source: Source, *, include_recorded: bool = False) -> list[Suggestion]:
    """The suggestions for ``source`` (its text as given: a caller that acts on them holds its row lock),
    leaving out those that are already claims (unless ``include_recorded``) and those dismissed. A fixed
    number of queries, whatever the text: the gazetteer (one to three), the source's claims, the
    dismissals, the outlets."""
    text = source.text or ""
    if not text.strip():
        return []
    claims = list(Claim.objects.filter(source_id=source.pk).only("id", "text", "kind", "span_start", "span_end")
                  .order_by("span_start", "id"))
    dismissed = list(SuggestionDismissal.objects.filter(source_id=source.pk).values_list("key", "content"))
    dismissed_keys = {key for key, _ in dismissed}
    dismissed_texts = {comparable(content) for _, content in dismissed} - {""}
    claim_texts = {claim.pk: comparable(claim.text) for claim in claims}
    found = suggest(text, published_on=source.published_on, source_id=source.pk,
                    actors=gazetteer(text, source=source), claims=claims)
    kept = []
    for suggestion in found:
        if suggestion.key in dismissed_keys or comparable(suggestion.content.exact) in dismissed_texts:
            continue
        if not include_recorded and is_recorded(suggestion, claims, claim_texts):
            continue
        kept.append(suggestion)
    return kept


def find_suggestion(source: Source, key: str) -> Suggestion | None:
    """The suggestion of ``source`` with this key, as ``suggestions_for_source`` lists it, or None."""
    if not isinstance(key, str) or not key:
        return None
    return next((s for s in suggestions_for_source(source) if s.key == key), None)
