"""Cue words and source head nouns learned from PolNeAR's train split (lexicon.json, rebuilt by
bench/build_cues.py), and the search for cues in a text."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

# A cue head word is used when PolNeAR's train split annotates it as a cue at least this often
# (as a share of its occurrences) and at least MIN_CUE_COUNT times.
CUE_RATIO = 0.25
# Right next to a quotation, a word that is a cue this often will do ("...," Kelly charged).
QUOTE_CUE_RATIO = 0.2
MIN_CUE_COUNT = 4
# Cues that are only cues next to a speaker-like subject; never taken alone from the lexicon.
_NOT_CUES = frozenset({"re", "s", "according", "to", "in", "for", "a", "the", "an", "on", "of", "that"})
_EXTRA_CUES = frozenset({
    "said", "says", "say", "told", "tells", "wrote", "writes", "added", "adds", "stated", "states",
    "tweeted", "declared", "insisted", "argued", "argues", "claimed", "claims", "explained", "noted",
    "notes", "warned", "warns", "asked", "asks", "announced", "replied", "responded", "acknowledged",
    "admitted", "conceded", "recalled", "predicted", "suggested", "emphasized", "stressed", "posted",
    "saying", "adding", "telling", "noting", "arguing", "writing", "explaining", "warning", "vowed",
    "promised", "believes", "thinks", "contended", "countered", "complained", "exclaimed", "joked",
    "boasted", "quipped", "continued", "reiterated", "confirmed", "denied", "reported", "report",
    "reports", "observed", "remarked", "testified", "lamented", "mused", "cautioned", "urged",
})

# Source "heads" in the lexicon that are function words or time words, never a speaker before a cue.
_NOT_HEADS = frozenset("""to in of on at by for with from that which this whose whom his her its their my our
your him them me us it here over under said and a s n year years week month today ago recently seriously time
night decades involved alike average most all more each both few left""".split())

_LEXICON_PATH = Path(__file__).with_name("lexicon.json")


@lru_cache(maxsize=1)
def lexicon() -> tuple[frozenset, frozenset, frozenset]:
    """(cue words, source head nouns, cue words next to a quotation, where a weaker cue will do)."""
    data = json.loads(_LEXICON_PATH.read_text(encoding="utf-8"))

    def cues_at(ratio: float) -> frozenset:
        return frozenset({
            word for word, stats in data["cues"].items()
            if word.isalpha() and word not in _NOT_CUES and stats["cue"] >= MIN_CUE_COUNT
            and stats["cue"] >= ratio * max(1, stats["occurrences"])
        } | _EXTRA_CUES)

    heads = frozenset(word for word in data["source_heads"] if word.isalpha() and word not in _NOT_HEADS)
    return cues_at(CUE_RATIO), heads, cues_at(QUOTE_CUE_RATIO)



_WORD_RUN = re.compile(r"[A-Za-z]+")


def cue_in(text: str, start: int, end: int, first: bool = True, near_quote: bool = False) -> list[tuple[int, int]]:
    """The cues in ``text[start:end]``, in order, as (start, end): reporting words of the lexicon (a
    capitalised one only at the start of the stretch or after something else than a space, so that a
    name such as "Says" or "Notes" is not taken; "Said" and "Says" always), and "according to".
    ``near_quote``: next to a quotation, where a weaker cue will do. ``first``: only the first."""
    cues = lexicon()[2 if near_quote else 0]
    found = []
    for m in _WORD_RUN.finditer(text, start, end):
        word = m.group(0)
        low = word.lower()
        if low == "according":
            if text.startswith(" to", m.end()) and not text[m.end() + 3:m.end() + 4].isalpha():
                found.append((m.start(), m.end() + 3))
            else:
                continue
        elif low not in cues or text[m.start() - 1:m.start()] in ("'", "\u2019"):
            continue  # not a cue, or the end of a contraction ("I've", "they're")
        elif word[0].isupper() and m.start() > start and text[m.start() - 1] == " " and low not in ("said", "says"):
            continue
        else:
            found.append((m.start(), m.end()))
        if first:
            break
    return found
