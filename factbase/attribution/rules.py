"""The extractor's rules (see the package's docstring for what was chosen and why)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from factbase.provenance import Span

DIRECT_QUOTE = "direct_quote"
PARAPHRASE = "paraphrase"

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


@dataclass(frozen=True)
class Attribution:
    """One attribution: ``content`` is what was said (a quote without its quotation marks, or the reported
    statement, without a leading "that"), ``kind`` is ``"direct_quote"`` or ``"paraphrase"``
    (``Claim.Kind``'s values); ``cue`` the words that attribute ("said", "told", "according to");
    ``speaker`` the mention as written; ``speaker_name`` the person or body it refers to, as fully named
    in the text; ``role`` the title the text gives; ``outlet`` where it was said, when the text names
    it; ``date_phrase`` the date in the attributing clause, in a form ``resolve_date`` understands."""

    content: Span
    kind: str
    cue: Span | None = None
    speaker: Span | None = None
    speaker_name: str = ""
    role: str = ""
    outlet: str = ""
    date_phrase: str = ""


@lru_cache(maxsize=1)
def _lexicon() -> tuple[frozenset, frozenset, frozenset]:
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


# --- text structure --------------------------------------------------------------------------------

_OPENERS = "\u201c\u201e\u00ab"
_CLOSERS = "\u201d\u00bb"
_MARK = re.compile(r"''|``|[\"\u201c\u201d\u201e\u00ab\u00bb]|(?<![\w\u2019'])\u2018|\u2019(?![\w])")
_ABBREV = frozenset(
    "mr mrs ms dr sen rep gov gen lt col sgt st jr sr u.s u.n u.k no vs v jan feb mar apr jun jul aug sep "
    "sept oct nov dec inc corp co ltd prof rev adm capt maj cmdr ft mt d.c e.g i.e a.m p.m".split()
)
_ABBREV_RE = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|Sen|Rep|Gov|Gen|Lt|Col|Sgt|St|Jr|Sr|Prof|Rev|Adm|Capt|Maj|[A-Z])\.")
_WORD = re.compile(r"[\w][\w'\u2019.\-]*[\w]|[\w]")


@dataclass
class Quote:
    start: int  # the opening mark
    end: int  # after the closing mark (or the paragraph's end when it is left open)
    inner_start: int
    inner_end: int
    closed: bool


def paragraphs(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", text)]


def find_quotes(text: str, start: int, end: int) -> list[Quote]:
    """Pairs of double quotation marks in one paragraph ('' and `` as NYT writes them; a single
    curly quote pair only when it opens at a word start and closes at a word end)."""
    quotes: list[Quote] = []
    opened: tuple[int, str] | None = None
    for m in _MARK.finditer(text, start, end):
        mark, pos = m.group(0), m.start()
        single = mark in "\u2018\u2019"
        if opened is None:
            if mark in _CLOSERS or mark == "\u2019":
                continue
            if mark in ('"', "''") and pos + len(mark) < end and text[pos + len(mark)].isspace():
                continue  # a straight mark before a space closes nothing that was opened here
            opened = (pos, mark)
            continue
        open_pos, open_mark = opened
        if single != (open_mark in "\u2018\u2019"):
            continue  # a single mark inside a double quote (or the reverse) is nested
        if mark in _OPENERS or mark == "``" or mark == "\u2018":
            if open_mark in ('"', "''") or mark == open_mark:
                # a new opening mark: the previous opening was not closed before it
                opened = (pos, mark)
            continue
        quotes.append(Quote(open_pos, pos + len(mark), open_pos + len(open_mark), pos, True))
        opened = None
    if opened is not None and opened[1] not in "\u2018\u2019":
        open_pos, open_mark = opened
        inner = open_pos + len(open_mark)
        if end - inner > 20:
            quotes.append(Quote(open_pos, end, inner, end, False))
    return quotes


def sentence_ends(text: str, start: int, end: int, quotes: list[Quote]) -> list[int]:
    """Offsets where sentences of the paragraph end (never inside a quote)."""
    ends = []
    inside = [(q.start, q.end) for q in quotes]
    for m in re.finditer(r"[.!?]+(?:''|[\"'\u201d\u2019)])*(?=\s+(?:''|``|[\"\u201c'\u2018(])?[A-Z0-9])", text[start:end]):
        pos = start + m.end()
        if any(s < pos < e for s, e in inside):
            continue
        word = re.search(r"([\w.]+)[.!?]+[\"'\u201d\u2019)]*$", text[max(start, pos - 12):pos])
        if word and (word.group(1).lower().rstrip(".") in _ABBREV or len(word.group(1)) == 1):
            continue
        ends.append(pos)
    ends.append(end)
    return ends


# --- speakers, roles, outlets, dates ----------------------------------------------------------------

_PRONOUNS = frozenset("he she they i we it you".split())
_SUBJECT_PRONOUNS = {"he", "she", "they", "i", "we", "it"}
_TITLES = frozenset("""
president vice prime minister foreign defense defence interior secretary sen senator rep representative
gov governor mayor chairman chairwoman chair spokesman spokeswoman spokesperson ceo director general gen
judge justice ambassador deputy chief leader king queen pope speaker attorney adm col lt dr mr mrs ms
former candidate nominee presidential democratic republican gop party state minority majority
press official officials commander head founder executive professor prof analyst economist expert
adviser advisor aide campaign manager chairperson house senate white u.s us treasury first lady rev
pastor cardinal sheikh emir prince princess crown national security council commissioner inspector
superintendent sheriff officer lawyer counsel co-founder editor correspondent reporter host anchor
""".split())
_HONORIFICS = frozenset("mr mrs ms dr mr. mrs. ms. dr.".split())
_DETERMINERS = frozenset("the a an this that these those his her their its our my one another some many".split())
_SKIP_BEFORE_CUE = frozenset("""also has have had is was were are be been would will later previously then not did
does do repeatedly once recently even publicly still just already never often could may might should can must
reportedly allegedly initially first last again further privately frequently long flatly quickly
monday tuesday wednesday thursday friday saturday sunday today yesterday tonight earlier
""".split())
_CLAUSE_BREAKERS = frozenset("""that and but or because while when if although though as since after before so
which where whether than
""".split())
_OUTLET_HINTS = frozenset("""tv news times post journal radio agency cnn bbc nbc abc cbs fox msnbc reuters ap afp
interfax tass ria bloomberg politico daily magazine network channel gazette tribune herald press wire
television broadcaster newspaper guardian telegraph independent npr pbs cnbc axios breitbart hill
""".split())
_PLATFORMS = frozenset("twitter facebook instagram telegram youtube tiktok".split())
_WEEKDAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
_MONTHS = ("January|February|March|April|May|June|July|August|September|October|November|December|"
           "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec")
_DATE = re.compile(
    rf"\b(?:(?:[Oo]n|[Ll]ast)\s+)?(?:{_WEEKDAYS})\b"
    rf"|\b(?:[Oo]n\s+)?(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?\b"
    rf"|\b(?:[Oo]n\s+)?\d{{1,2}}\s+(?:{_MONTHS})(?:\s+\d{{4}})?\b"
    rf"|\b(?:[Tt]oday|[Yy]esterday)\b"
    rf"|\b[Ii]n\s+(?:{_MONTHS})(?:\s+\d{{4}})?\b"
)


def _date_in_frame(text: str, start: int, end: int, anchor: int) -> str:
    """The date of the attributing words ``text[start:end]``: after the speaker (``anchor``), or before
    it as an opening phrase ("On Friday, X said") or right next to it ("X on Friday said"); not a date
    of the events the sentence reports before its speaker."""
    for m in _DATE.finditer(text, start, end):
        between = text[m.end():anchor]
        if m.start() >= anchor or re.fullmatch(r"\s*,?\s*|,\s*[^,]{0,60}", between):
            phrase = re.sub(r"\s+", " ", m.group(0))
            phrase = re.sub(r"^last\s+", "on ", phrase)
            return re.sub(r"\b(" + _MONTHS + r")\.", r"\1", phrase)
    return ""


def _outlet(segment: str) -> str:
    """An outlet named in the attributing words: "told Dozhd TV", "on Khabar 24", "in an interview with
    CNN" (not "in a Facebook post", not "told reporters")."""
    for m in re.finditer(
        r"\b(told|to|on|with|in an interview with|in an interview on|in|wrote in|writing in)\s+"
        r"((?:[Tt]he\s+)?(?:[A-Z][\w'\u2019&.\-]*|\d+)(?:\s+(?:[A-Z][\w'\u2019&.\-]*|\d+|of|and))*)",
        segment,
    ):
        name = re.sub(r"\s+(of|and)$", "", m.group(2)).strip(" .")
        words = [w.lower().strip(".'\u2019") for w in name.split()]
        if not words or re.fullmatch(rf"(?:the\s+)?(?:{_WEEKDAYS}|{_MONTHS})\b.*", name, re.I):
            continue
        if words[-1] in _PLATFORMS or words[0] in _PLATFORMS:
            continue
        acronym = any(re.fullmatch(r"[A-Z]{2,5}", w.strip(".")) for w in name.split())
        if m.group(1) == "on" or acronym or any(w in _OUTLET_HINTS for w in words):
            return name
    return ""


def _tokens(segment: str) -> list[re.Match]:
    return list(_WORD.finditer(segment))


def _is_cap(word: str) -> bool:
    return word[:1].isupper()


def split_role(mention: str) -> tuple[str, str]:
    """``"Armenian Prime Minister Nikol Pashinyan"`` → ``("Armenian Prime Minister", "Nikol Pashinyan")``:
    the name is the trailing run of capitalised words that are not titles."""
    words = mention.split()
    i = len(words)
    while i > 0 and _is_cap(words[i - 1]) and words[i - 1].lower().rstrip(".") not in _TITLES:
        i -= 1
    if i == len(words):
        return "", mention
    name_words = words[i:]
    while name_words and name_words[0].lower() in _HONORIFICS:
        name_words = name_words[1:]
    role_words = [w for w in words[:i] if w.lower() not in _HONORIFICS]
    while role_words and role_words[0].lower() in _DETERMINERS:
        role_words = role_words[1:]
    role = " ".join(role_words).rstrip(",")
    return role, " ".join(name_words)


def speaker_before(text: str, lo: int, cue_start: int, relaxed: bool = False) -> tuple[int, int] | None:
    """The speaker noun phrase right before a cue (``lo`` bounds the search): a name, a title, a
    pronoun, or a lower-case noun that PolNeAR's sources end with; auxiliaries and adverbs between it and
    the cue are skipped ("Trump has also said"). ``relaxed`` (next to a quotation): any short noun phrase
    that fills the whole segment will do ("the 43-year-old asked")."""
    heads = _lexicon()[1]
    segment = text[lo:cue_start]
    toks = _tokens(segment)
    j = len(toks)
    while j > 0 and toks[j - 1].group(0).lower() in _SKIP_BEFORE_CUE or (
        j > 0 and toks[j - 1].group(0).lower().endswith("ly") and not _is_cap(toks[j - 1].group(0))
    ):
        j -= 1
    if j == 0:
        return None
    between = segment[toks[j - 1].end():]
    if re.search(r"[,;:()\"\u201c\u201d]", between) and not re.fullmatch(r"\s*,\s*who\s*", between):
        return None
    last = toks[j - 1].group(0)
    low = last.lower()
    if low in _PRONOUNS or low == "who":
        return lo + toks[j - 1].start(), lo + toks[j - 1].end()
    if not (_is_cap(last) or low in heads or low.rstrip("s") in heads):
        first = toks[0].group(0)
        if relaxed and j <= 5 and not segment[:toks[0].start()].strip() and not re.search(r"[,;:()]", segment) \
                and (first.lower() in _DETERMINERS or _is_cap(first)) and low not in _CLAUSE_BREAKERS:
            return lo + toks[0].start(), lo + toks[j - 1].end()
        return None
    if low in _CLAUSE_BREAKERS or low in _DETERMINERS:
        return None
    i = j - 1
    while i > 0:
        prev = toks[i - 1]
        gap = segment[prev.end():toks[i].start()]
        word = prev.group(0)
        if gap.strip() not in ("", "'s", "\u2019s", "-", "&"):
            # "Trump, the nominee, said": an appositive between commas stays with the name before it
            break
        lowp = word.lower()
        if lowp in _CLAUSE_BREAKERS or lowp in _PRONOUNS or lowp in _SKIP_BEFORE_CUE:
            break
        if not _is_cap(word) and lowp not in _DETERMINERS and lowp not in ("of", "for", "at", "and") \
                and lowp not in _TITLES and lowp not in heads and not lowp.endswith(("'s", "\u2019s")):
            # a lower-case modifier ("campaign spokesman", "senior officials") is kept, up to 3
            if j - i > 4 or re.search(r"(ed|ing)$", lowp):
                break
        i -= 1
        if j - i >= 10:
            break
    # drop trailing/leading function words
    while i < j - 1 and toks[i].group(0).lower() in ("of", "for", "at", "and", "on", "in"):
        i += 1
    return lo + toks[i].start(), lo + toks[j - 1].end()


def speaker_after(text: str, start: int, hi: int) -> tuple[int, int, str] | None:
    """The speaker after an inverted cue: ``said Jennifer Brick Murtazashvili, Central and South Asia
    expert at the University of Pittsburgh`` → the name's offsets and the appositive as the role."""
    stops = {"in", "on", "at", "during", "of", "to", "after", "before", "about", "who", "when", "as", "last",
             "this", "told", "from", "while", "and", "but", "because", "with", "that", "which", "earlier",
             "later", "recently", "yesterday", "today", "tonight", "said", "says", "adding", "noting", "saying"}
    weekdays = set(_WEEKDAYS.lower().split("|"))
    toks = []
    for m in re.finditer(r"[\w'\u2019\-]+\.?|[^\w\s]", text[start:hi]):
        word = m.group(0)
        low = word.lower().rstrip(".")
        if not re.match(r"[\w]", word):
            break  # a comma, a colon, a quotation mark...
        if toks and (low in stops or low in weekdays):
            break
        toks.append(m)
        if word.endswith(".") and not _ABBREV_RE.fullmatch(word) and low not in _ABBREV:
            break  # a full stop, not an abbreviation
        if len(toks) >= 9:
            return None
    if not toks:
        return None
    words = [t.group(0).rstrip(".") if i == len(toks) - 1 and not _ABBREV_RE.fullmatch(t.group(0)) else t.group(0)
             for i, t in enumerate(toks)]
    s = start + toks[0].start()
    e = start + toks[-1].start() + len(words[-1])
    while words and words[-1].lower() in _DETERMINERS | {"of", "the"}:
        words.pop()
        return None
    low0 = words[0].lower()
    heads = _lexicon()[1]
    if low0 in _CLAUSE_BREAKERS or (low0 not in _DETERMINERS and not _is_cap(words[0])
                                      and low0 not in _PRONOUNS and low0 not in heads
                                      and not (len(words) <= 4 and (words[-1].lower() in heads
                                                                    or any(_is_cap(w) for w in words)))):
        return None
    role = ""
    rest = text[e:hi]
    ap = re.match(r",\s*((?:the\s+|a\s+|an\s+)?[^,.;:()\"\u201c\u201d]{3,120}?)\s*(?:[,.;]|$)", rest)
    if ap and not re.match(r"(?:who|which|that|adding|saying|noting|and|but|in|on|according)\b", ap.group(1)):
        role = re.sub(r"^(?:a|an)\s+", "", ap.group(1).strip())
    return s, e, role


_NAME_STOP = frozenset("""While But And When After Before As If On In At The This That Although Since Speaking
Writing Asked According Meanwhile However Still Yet So Then Later Earlier Former Mr Mrs Ms Dr Sen Rep Gov Mr. Mrs.
Ms. Dr. Sen. Rep. Gov. A An Some Many Other Most Even Only For From With Without By Of To Is Was Like Unlike
Here There What Why How Who It Its Their His Her Our We They He She I You Let Under Over Into Upon Dear""".split())
# Words that make a capitalised sequence an organisation or a place, not a person.
_ORG_WORDS = frozenset("""organization organisation council party union treaty agency department ministry university
committee news times post bank institute center centre pact alliance administration republican democratic
democrats republicans states kingdom federation army forces court house senate congress commission association
foundation company corp inc group church school college street airport station police service office
government campaign network tv radio magazine journal press security international national federal
republic city county state district region war day act bill law nations united""".split())


_INTRO_WORDS = frozenset("""on in at during after before later earlier last this then but and so yet still however
meanwhile here even as when while although though if since because alongside hours days weeks months years
with without despite in for from by or also instead indeed now today yesterday asked speaking writing""".split())


class NameIndex:
    """Person-name mentions in a text, to resolve a pronoun, a surname or a title to a full name."""

    def __init__(self, text: str, names: Iterable[str]):
        self.mentions: list[tuple[int, str]] = []
        self.roles: list[tuple[int, str, str]] = []  # (offset, title as written before the name, name)
        self.known = {n.strip() for n in names if n and n.strip()}
        for m in re.finditer(r"\b[A-Z][a-z\u00c0-\u024f'\u2019\-]+(?:\s+(?:[A-Z]\.\s*)?[A-Z][\w\u00c0-\u024f'\u2019\-]+){1,3}",
                             text):
            role, name = split_role(m.group(0))
            words = name.split()
            while words and words[0] in _NAME_STOP:
                words = words[1:]
            name = " ".join(words)
            if len(words) >= 2 and not any(w.lower() in _TITLES or w.lower() in _OUTLET_HINTS
                                           or w.lower().strip(".") in _ORG_WORDS for w in words):
                offset = m.start() + m.group(0).rfind(name)
                self.mentions.append((offset, re.sub(r"(?:'s|\u2019s)$", "", name)))
                if role:
                    self.roles.append((offset, role.lower(), self.mentions[-1][1]))
        for known in self.known:
            for m in re.finditer(r"\b" + re.escape(known) + r"\b", text):
                self.mentions.append((m.start(), known))
        self.mentions.sort()

    def full_name(self, mention: str, at: int) -> str:
        words = re.sub(r"(?:'s|\u2019s)$", "", mention).split()
        if not words:
            return ""
        low = words[-1].lower()
        before = [name for pos, name in self.mentions if pos < at]
        if low in _SUBJECT_PRONOUNS | {"who"} and len(words) == 1:
            if low in ("he", "she", "who") and before:
                return before[-1]
            return ""
        if _is_cap(words[-1]):
            surname = words[-1]
            role, name = split_role(" ".join(words))
            if len(name.split()) >= 2:
                return name
            for name in reversed(before):
                if name.split()[-1] == surname and len(name.split()) > 1:
                    return name
            for known in sorted(self.known, key=lambda k: (-len(k.split()), k)):
                if known.split()[-1] == surname:
                    return known
            role, name = split_role(" ".join(words))
            return name
        head = low.rstrip(".")
        if head in _TITLES:
            # "the country's president" → the last person named with that title before it
            for pos, role, name in reversed(self.roles):
                if pos < at and head in role.split():
                    return name
        return mention


# --- the rules --------------------------------------------------------------------------------------

_CUE_WORD = re.compile(r"[A-Za-z]+")
_OBJECT = re.compile(
    r"\s*(?:(?:the\s+|a\s+|an\s+)?(?:[A-Z][\w'\u2019.\-]*\s*){1,5}|reporters|him|her|them|us|me|supporters|"
    r"the\s+\w+(?:\s+\w+)?|a\s+\w+(?:\s+\w+)?|an\s+\w+(?:\s+\w+)?|\w+)\s*"
)


def _is_cue(word: str, near_quote: bool = False) -> bool:
    return word.lower() in _lexicon()[2 if near_quote else 0]


@dataclass
class _Frame:
    cue: tuple[int, int]
    speaker: tuple[int, int] | None
    role: str = ""
    frame: tuple[int, int] = (0, 0)  # the attributing words (for the outlet and the date)


def _cue_in(text: str, start: int, end: int, first: bool = True, near_quote: bool = False) -> list[tuple[int, int]]:
    found = []
    for m in _CUE_WORD.finditer(text, start, end):
        word = m.group(0)
        if word.lower() == "according" and re.match(r"\s+to\b", text[m.end():m.end() + 4]):
            found.append((m.start(), m.end() + 3))
        elif _is_cue(word, near_quote) and not (word[0].isupper() and m.start() > start and text[m.start() - 1] == " "
                                    and word.lower() not in ("said", "says")):
            found.append((m.start(), m.end()))
    return found if not first else found[:1]


def frame_after(text: str, start: int, hi: int) -> _Frame | None:
    """``..." Trump said in a statement.`` / ``..." said Trump, the nominee.`` right after a quote."""
    m = re.match(r"[\s,.\-\u2013\u2014]*", text[start:hi])
    p = start + m.end()
    window_end = min(hi, p + 200)
    cues = _cue_in(text, p, window_end, first=False, near_quote=True)
    for cs, ce in cues[:2]:
        if text[cs:ce].lower() == "according to":
            sp = speaker_after(text, ce, hi)
            if sp:
                return _Frame((cs, ce), (sp[0], sp[1]), sp[2], (p, hi))
            continue
        if cs == p or re.fullmatch(r"\s*", text[p:cs]):
            sp = speaker_after(text, ce, hi)
            if sp:
                return _Frame((cs, ce), (sp[0], sp[1]), sp[2], (p, hi))
            continue
        before = text[p:cs]
        if re.search(r"[;!?]|\.(?=\s+[A-Z\"\u201c])|\.$", _ABBREV_RE.sub("", before)):
            continue
        ap = re.fullmatch(r"\s*([^,]{2,60}?),\s+([^,]{2,120}?),\s*", before)
        if ap and len(ap.group(1).split()) <= 6:
            # "Seth McKee, a political scientist at Texas Tech University, told The Hill."
            sp = clause_subject(text, p, p + ap.end(1))
            if sp is not None:
                role = re.sub(r"^(?:a|an)\s+", "", ap.group(2).strip())
                return _Frame((cs, ce), sp, role, (p, hi))
        if len(before.split()) > 12:
            continue
        sp = speaker_before(text, p, cs, relaxed=True)
        if sp is None:
            continue
        return _Frame((cs, ce), sp, "", (p, hi))
    m = re.match(r"\s*(he|she|they|I|we|(?:[A-Z][\w'\u2019\-]+\s+){0,2}[A-Z][\w'\u2019\-]+)\s+([a-z]+ed)\b", text[p:window_end])
    if m and not cues:
        # "...," she elaborated: a verb in the past right after the quote and its speaker
        return _Frame((p + m.start(2), p + m.end(2)), (p + m.start(1), p + m.end(1)), "", (p, hi))
    return None


def frame_before(text: str, lo: int, end: int, carried: tuple[int, int] | None = None) -> _Frame | None:
    """``Trump said: "..."`` / ``Trump told CNN, "..."`` right before a quote (``end`` is the quote's
    opening mark)."""
    segment = text[lo:end]
    if not re.search(r"[,:\u2014\-]\s*$|\b\w+\s*$", segment):
        return None
    cues = _cue_in(text, lo, end, first=False, near_quote=True)
    colon = re.search(r":\s*$", segment)
    if colon and not any(len(text[ce:end].split()) <= 8 for _, ce in cues):
        # "Rep. Trey Gowdy (R-S.C.): "..."", "X delivered a blunt message to Trump: "...""
        sp = clause_subject(text, lo, lo + colon.start())
        if sp is not None:
            return _Frame((lo + colon.start(), lo + colon.start() + 1), sp, "", (lo, end))
    for cs, ce in reversed(cues):
        tail = text[ce:end]
        if len(tail.split()) > 8 or re.search(r"[.;!?]\s", tail):
            continue
        if text[cs:ce].lower() == "according to":
            return _Frame((cs, ce), speaker_after(text, ce, end)[:2] if speaker_after(text, ce, end) else None,
                          "", (lo, end))
        word = text[cs:ce].lower()
        if word.endswith("ed") and re.search(r"\b(?:is|are|was|were|be|been|being)\s+(?:\w+ly\s+)?$", text[lo:cs]):
            continue  # "Trump was asked": the speaker is not Trump
        inv = re.fullmatch(r"\s*", text[lo:cs])
        if inv is not None and re.match(r"\s+[A-Z]", text[ce:end]):
            # "Continued Stone: "..."": the cue first, then its speaker
            sp = speaker_after(text, ce, end)
            if sp is not None and re.fullmatch(r"\s*[:,]?\s*", text[sp[1]:end]):
                return _Frame((cs, ce), sp[:2], sp[2], (lo, end))
        ap = re.search(r"(?:^|[.;]\s+|,\s+)((?:[^,]{2,60}?)),\s+([^,]{3,120}?),\s*$", text[lo:cs])
        if ap and len(ap.group(1).split()) <= 6:
            # "her senior policy adviser, Jake Sullivan, said:"
            sp = clause_subject(text, lo + ap.start(1), lo + ap.end(1))
            if sp is not None:
                return _Frame((cs, ce), sp, ap.group(2).strip(), (lo, end))
        if word.endswith("ing") or re.search(r"\bto\s+$", text[lo:cs]):
            # "The campaign emailed supporters saying:", "Trump went on to say:": the clause's subject
            sp = clause_subject(text, lo, cs)
            if sp is None and word.endswith("ing") and carried is not None:
                # "...," he said, adding, "...": the speaker of the quote before
                return _Frame((cs, ce), carried, "", (lo, end))
        else:
            sp = speaker_before(text, lo, cs, relaxed=True)
        if sp is None and re.search(r"\b(?:and|but)\s+(?:\w+ly\s+|later\s+|then\s+|also\s+)*$", text[lo:cs]):
            # "Wilkerson brought up the bombing and later said, "..."": the clause's subject
            sp = clause_subject(text, lo, cs)
        if sp is None:
            continue
        return _Frame((cs, ce), sp, "", (lo, end))
    return None


def clause_subject(text: str, lo: int, hi: int) -> tuple[int, int] | None:
    """The noun phrase that opens a clause, after opening adverbials ("On Friday,", "At the debate,",
    "Here", "Even"): the subject of a participle ("..., saying") or of "went on to say"."""
    segment = text[lo:hi]
    offset = 0
    for _ in range(2):
        m = re.match(r"\s*([^,]{1,80}),\s+", segment[offset:])
        if not m:
            break
        words = m.group(1).split()
        first = words[0].lower() if words else ""
        if len(words) <= 8 and (first in _INTRO_WORDS or first.endswith("ly") or re.match(r"\d", first)):
            offset += m.end()
        else:
            break
    heads = _lexicon()[1]
    toks = list(re.finditer(r"[\w'\u2019\-]+\.?", segment[offset:]))
    k = 0
    while k < len(toks) and (toks[k].group(0).rstrip(".") in _NAME_STOP and toks[k].group(0).lower() not in _DETERMINERS
                             or toks[k].group(0).lower() in _INTRO_WORDS):
        k += 1
    taken = []
    for t in toks[k:]:
        word = t.group(0)
        low = word.lower().rstrip(".")
        gap = segment[offset + (taken[-1].end() if taken else 0):offset + t.start()]
        if taken and gap.strip() not in ("", "-"):
            break
        if _is_cap(word) or low in _DETERMINERS or low in heads or low in _TITLES or low.endswith(("'s", "\u2019s")) \
                or (low in _PRONOUNS and not taken):
            taken.append(t)
            if low in _PRONOUNS:
                break
        elif taken and low in ("of", "for", "at") and len(taken) < 6:
            taken.append(t)
        else:
            break
        if len(taken) >= 8:
            break
    while taken and taken[-1].group(0).lower() in {"of", "for", "at"} | _DETERMINERS:
        taken.pop()
    if not taken:
        return None
    last = taken[-1].group(0)
    end = taken[-1].end() - (1 if last.endswith(".") and not _ABBREV_RE.fullmatch(last) else 0)
    return lo + offset + taken[0].start(), lo + offset + end


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in " \t\r\n":
        start += 1
    while end > start and text[end - 1] in " \t\r\n":
        end -= 1
    return start, end


class _Builder:
    def __init__(self, text: str, names: Iterable[str]):
        self.text = text
        self.index = NameIndex(text, names)
        self.out: list[Attribution] = []
        self.last_speaker: tuple[Span | None, str, str] | None = None
        self.paragraph_no = 0
        self.last_paragraph = -10

    def span(self, start: int, end: int) -> Span:
        return Span(start, end, self.text[start:end])

    def add(self, content: tuple[int, int], kind: str, frame: _Frame | None,
            role: str = "", carried: tuple[Span | None, str, str] | None = None) -> int | None:
        text = self.text
        start, end = _trim(text, *content)
        if kind == PARAPHRASE:
            m = re.match(r"that\s+", text[start:end])
            if m:
                start += m.end()
            while end > start and text[end - 1] in ".;:,":
                end -= 1
        if end - start < 2:
            return None
        speaker = None
        name = ""
        cue = None
        outlet = date_phrase = ""
        if frame is not None:
            cue = self.span(*frame.cue)
            if frame.speaker is not None:
                s, e = frame.speaker
                s, e = _trim(text, s, e)
                mention = text[s:e]
                mention_clean = re.sub(r"(?:'s|\u2019s)$", "", mention)
                speaker = self.span(s, e)
                title_role, _ = split_role(mention_clean)
                role = role or frame.role or title_role
                if mention.lower() == "who":
                    # "the country's president, who has vowed": the noun phrase before the comma
                    m = re.search(r"((?:\b(?:the|a|an|his|her|its|their)\s+)?(?:[\w'\u2019\-]+\s+){0,3}?[\w'\u2019\-]+)\s*,\s*$",
                                  text[max(0, s - 80):s])
                    if m:
                        det = list(re.finditer(r"\b(?:the|a|an|his|her|its|their)\s", m.group(1)))
                        if det:
                            m = re.search("(" + re.escape(m.group(1)[det[-1].start():]) + r")\s*,\s*$", text[max(0, s - 80):s])
                    if m:
                        ns = max(0, s - 80) + m.start(1)
                        speaker = self.span(ns, ns + len(m.group(1)))
                        mention_clean = m.group(1)
                name = self.index.full_name(mention_clean, s)
                if not name or name.lower() in _PRONOUNS:
                    name = ""
            fs, fe = frame.frame
            outlet = _outlet(text[fs:fe])
            date_phrase = _date_in_frame(text, fs, fe, frame.speaker[0] if frame.speaker else frame.cue[0])
            self.last_speaker = (speaker, name, role)
            self.last_paragraph = self.paragraph_no
        elif carried is not None:
            speaker, name, role = carried
        role = re.sub(r"^(?:the|a|an)\s+", "", role.strip(" ,;:.")) if role else ""
        self.out.append(Attribution(
            content=self.span(start, end), kind=kind, cue=cue, speaker=speaker, speaker_name=name,
            role=role, outlet=outlet, date_phrase=date_phrase,
        ))
        return len(self.out) - 1

    def extend(self, index: int, end: int) -> None:
        """The content of attribution ``index`` runs on to ``end`` (a quote continued in the next
        paragraph)."""
        old = self.out[index]
        start, end = _trim(self.text, old.content.start, end)
        self.out[index] = replace(old, content=self.span(start, end))


def _sentence_bounds(ends: list[int], start: int, pos: int) -> tuple[int, int]:
    prev = start
    for e in ends:
        if e > pos:
            return prev, e
        prev = e
    return prev, ends[-1]


def extract(text: str, *, names: Iterable[str] = ()) -> list[Attribution]:
    """The attributions in ``text``, in the order of their content. ``names`` are known speakers' names
    and aliases (a gazetteer), which help to recognise a speaker written in the text."""
    if not text or not text.strip():
        return []
    builder = _Builder(text, names)
    open_quote: int | None = None  # the attribution a following quote-only paragraph continues
    last_colon: tuple[int, int] | None = None  # a paragraph's last sentence when it ends with a colon
    for paragraph_no, (p_start, p_end) in enumerate(paragraphs(text)):
        builder.paragraph_no = paragraph_no
        quotes = find_quotes(text, p_start, p_end)
        ends = sentence_ends(text, p_start, p_end, quotes)
        covered: list[tuple[int, int]] = []
        if quotes and open_quote is not None and quotes[0].start == p_start and (
                len(quotes) == 1 and re.fullmatch(r"[\s.,]*", text[quotes[0].end:p_end])):
            # a paragraph that is only a quote continues the quote of the paragraph before
            q = quotes[0]
            builder.extend(open_quote, q.inner_end)
            covered.append((q.start, q.end))
            _paraphrases(builder, text, p_start, p_end, ends, quotes, covered)
            continue
        open_quote = None
        i = 0
        prev_colon = last_colon
        last_colon = None
        last_sentence = _sentence_bounds(ends, p_start, p_end - 1)
        if text[p_start:p_end].rstrip().endswith(":") and not any(q.end > last_sentence[0] for q in quotes):
            last_colon = (last_sentence[0], len(text[:p_end].rstrip()))
        while i < len(quotes):
            q = quotes[i]
            s_start, _ = _sentence_bounds(ends, p_start, q.start)
            prev_end = quotes[i - 1].end if i > 0 else p_start
            after_hi = quotes[i + 1].start if i + 1 < len(quotes) else p_end
            after_sentence_end = next((e for e in ends if e > q.end), p_end)
            after_hi_frame = min(after_hi, after_sentence_end)
            lead = text[max(prev_end, s_start):q.start]
            last = builder.out[-1] if builder.out and builder.last_paragraph == paragraph_no else None
            carried = (last.speaker.start, last.speaker.end) if last is not None and last.speaker else None
            frame_b = frame_before(text, max(prev_end, s_start), q.start, carried)
            starts_sentence = re.fullmatch(r"[\s(\-\u2014]*", lead) is not None or (
                frame_b is None and re.search(r"[:\u2014]\s*$", lead) is not None)
            frame = None
            if starts_sentence and q.closed:
                frame = frame_after(text, q.end, after_hi_frame)
            if frame is None and frame_b is not None and (
                    re.search(r"[,:\u2014]\s*$", lead) or (frame_b.cue[1] == len(lead.rstrip()) + max(prev_end, s_start)
                                                     and text[q.inner_start:q.inner_start + 1].isupper()
                                                     and len(text[q.inner_start:q.inner_end].split()) >= 4)):
                frame = frame_b
            if frame is None and starts_sentence and q.start == p_start and prev_colon is not None:
                # "In a 1963 speech, he declared:" closing the paragraph before
                frame = frame_before(text, *prev_colon)
            words = len(text[q.inner_start:q.inner_end].split())
            j = i
            if frame is not None:
                while j + 1 < len(quotes):
                    gap = text[quotes[j].end:quotes[j + 1].start]
                    frame_in_gap = frame.cue[0] >= quotes[j].end and frame.cue[1] <= quotes[j + 1].start
                    nxt = quotes[j + 1]
                    nxt_hi = quotes[j + 2].start if j + 2 < len(quotes) else p_end
                    if nxt.closed and frame_after(text, nxt.end, min(nxt_hi, next((e for e in ends if e > nxt.end), p_end))):
                        break  # the next quote has its own frame
                    if re.fullmatch(r"\s*", gap) or (
                        frame_in_gap and len(gap.split()) <= 15 and len(_cue_in(text, quotes[j].end, quotes[j + 1].start, first=False)) == 1
                        and re.fullmatch(r"[^\"\u201c\u201d]{0,200}?[,.:]\s*", gap)
                    ):
                        j += 1
                    else:
                        break
            last = quotes[j]
            if frame is not None and (words >= 2 or j > i or frame.cue[0] >= q.end):
                index = builder.add((q.inner_start, last.inner_end), DIRECT_QUOTE, frame)
                covered.append((min(q.start, frame.frame[0]), max(last.end, frame.frame[1])))
                if index is not None and re.fullmatch(r"[^\"\u201c\u201d]*", text[max(last.end, frame.frame[1]):p_end]):
                    open_quote = index
            elif frame is None and starts_sentence and j == i and builder.out and i > 0 \
                    and builder.last_paragraph == paragraph_no and builder.out[-1].content.end >= quotes[i - 1].inner_end - 1 \
                    and builder.out[-1].content.start >= p_start and len(text[quotes[i - 1].end:q.start].split()) <= 12:
                # "A," she said. "B." after a frame before A: B goes on with A
                builder.extend(len(builder.out) - 1, q.inner_end)
                covered.append((quotes[i - 1].start, q.end))
            elif frame is None and words >= 6 and starts_sentence and q.start == p_start \
                    and builder.last_speaker is not None and j == i and i == 0 and builder.last_paragraph == paragraph_no - 1:
                # a quote standing alone after someone spoke: theirs (PolNeAR often leaves its source out)
                index = builder.add((q.inner_start, last.inner_end), DIRECT_QUOTE, None, carried=builder.last_speaker)
                covered.append((q.start, last.end))
            i = j + 1
        _paraphrases(builder, text, p_start, p_end, ends, quotes, covered)
    builder.out.sort(key=lambda a: (a.content.start, a.content.end))
    return builder.out


def _starts_sentence(text: str, p_start: int, pos: int, ends: list[int]) -> bool:
    return pos == p_start or any(re.fullmatch(r"\s*", text[e:pos]) for e in ends if e <= pos)


def _paraphrases(builder: _Builder, text: str, p_start: int, p_end: int, ends: list[int],
                 quotes: list[Quote], covered: list[tuple[int, int]]) -> None:
    s_start = p_start
    for s_end in ends:
        start, end = s_start, s_end
        s_start = s_end
        if any(cs <= start + 1 and end - 1 <= ce for cs, ce in covered):
            continue
        if any(max(cs, start) < min(ce, end) for cs, ce in covered):
            continue
        _paraphrase_in(builder, text, start, end, quotes)


def _in_quote(pos: int, quotes: list[Quote]) -> bool:
    return any(q.start <= pos < q.end for q in quotes)


def _paraphrase_in(builder: _Builder, text: str, start: int, end: int, quotes: list[Quote]) -> None:
    start, end = _trim(text, start, end)
    # "..., according to local police." ends the sentence: an attribution of its own (a verb cue earlier
    # in the sentence may make another)
    tail_acc = re.search(r"[,(\u2014.]?\s*\b(according to)\s+([^,;:()]{2,80}?)\s*[.)]?\s*$", text[start:end], re.I)
    verb_end = end
    if tail_acc and not _in_quote(start + tail_acc.start(1), quotes) and tail_acc.start() > 10:
        cs, ce = start + tail_acc.start(1), start + tail_acc.end(1)
        sp = speaker_after(text, ce, end)
        if sp is None:
            sp = (start + tail_acc.start(2), start + tail_acc.end(2), "")
        frame = _Frame((cs, ce), sp[:2], sp[2], (cs, end))
        builder.add((start, start + tail_acc.start()), PARAPHRASE, frame)
        verb_end = start + tail_acc.start()
    cues = [(cs, ce) for cs, ce in _cue_in(text, start, verb_end, first=False) if not _in_quote(cs, quotes)]
    for cs, ce in reversed(cues):
        # "CONTENT, Michel notes." / "CONTENT, said X, ROLE." first: the frame closes the sentence
        lead = text[start:cs]
        tail = text[ce:verb_end]
        if len(tail.split()) <= 20 and re.search(r",\s*(?:[\w'\u2019.\-]+\s+){0,6}$", lead) and cs - start > 10 \
                and not re.search(r"\bthat\b", tail) and re.search(r"[.!?]?\s*$", tail):
            comma = lead.rfind(",")
            sp = speaker_before(text, start + comma + 1, cs)
            if (sp and text[sp[0]:sp[1]].lower() != "who") or re.fullmatch(r",\s*", lead[comma:]):
                if _paraphrase_at(builder, text, start, verb_end, cs, ce):
                    return
        break
    for cs, ce in cues:
        if _paraphrase_at(builder, text, start, verb_end, cs, ce):
            return


def _paraphrase_at(builder: _Builder, text: str, start: int, end: int, cs: int, ce: int) -> bool:
    cue_text = text[cs:ce].lower()
    if cue_text.endswith("ed") and re.search(r"\b(?:is|are|was|were|be|been|being)\s+(?:\w+ly\s+)?$", text[start:cs]):
        return False  # a passive ("is considered", "should be noted") names no speaker before it
    if cue_text in ("states", "notes", "claims", "reports", "calls") and not re.search(
            r"(?:\b(?:he|she|it|they)|[A-Z][\w'\u2019\-]*)\s+(?:\w+ly\s+)?$", text[start:cs]):
        return False  # "member states", "the notes": a noun, not a verb
    if cue_text == "according to":
        if re.fullmatch(r"\W*", text[start:cs]):
            m = re.search(r",", text[ce:end])
            if not m:
                return False
            sp = speaker_after(text, ce, ce + m.start())
            frame = _Frame((cs, ce), sp[:2] if sp else None, "", (cs, ce + m.end()))
            builder.add((ce + m.end(), end), PARAPHRASE, frame)
            return True
        m = re.search(r"[,(\u2014]\s*$", text[start:cs])
        if not m:
            return False
        sp = speaker_after(text, ce, end)
        frame = _Frame((cs, ce), sp[:2] if sp else None, sp[2] if sp else "", (cs, end))
        builder.add((start, start + m.start()), PARAPHRASE, frame)
        return True
    sp, role = None, ""
    # "CONTENT, X said." / "CONTENT, said X, ROLE."
    m = re.search(r",\s*$", text[start:cs])
    if m and cs - start > 10:
        sp_after = speaker_after(text, ce, end)
        rest = text[sp_after[1]:end] if sp_after else ""
        if sp_after and len(text[ce:end].split()) <= 25 and re.match(r"\s*(?:[,.;:!?]|$|(?:in|on|at|during|after|before|about|who|when|as|last|this|from|while)\b)", rest) \
                and not re.search(r"\bthat\b", rest[:30]):
            frame = _Frame((cs, ce), sp_after[:2], sp_after[2], (cs, end))
            builder.add((start, start + m.start()), PARAPHRASE, frame)
            return True
    # "NAME, APPOSITIVE, said (that) CONTENT"
    ap = re.search(r"(?:^|,\s+|\.\s+)((?:[A-Z][\w'\u2019.\-]*\s+){0,6}[A-Z][\w'\u2019\-]*),\s+([^,]{3,120}?),\s*"
                   r"(?:(?:also|later|then|has|had|have|previously|recently)\s+)*$", text[start:cs])
    if ap:
        sp = clause_subject(text, start + ap.start(1), start + ap.end(1))
        role = ap.group(2).strip()
        role = re.sub(r"^(?:a|an)\s+", "", role)
    if sp is None:
        if cue_text.endswith("ing"):
            # "..., announcing the deployment": the participle's subject is the clause's
            return False
        comma = text.rfind(",", start, cs)
        lo = comma + 1 if comma >= 0 and cs - comma < 80 else start
        sp = speaker_before(text, lo if not text[lo:cs].strip().lower().startswith("who") else start, cs)
        if sp is None and comma >= 0:
            sp = speaker_before(text, start, cs)
        if sp is None:
            return False
        before_speaker = text[start:sp[0]]
        tail = text[ce:end]
        if re.fullmatch(r"[\s.,;:!?]*", tail) or (
                re.search(r",\s*$", before_speaker) and len(tail.split()) <= 8 and not re.search(r"\bthat\b", tail)
                and re.match(r"\s+(?:(?:in|on|at|during|after|before|last|this|from|with)\b|reporters\b|"
                             r"(?:the\s+)?[A-Z0-9]|(?:" + _WEEKDAYS + r")\b)", tail)):
            # "CONTENT, X said (in a statement)."
            m = re.search(r",\s*$", before_speaker)
            if m and sp[0] - start > 10:
                frame = _Frame((cs, ce), sp, "", (sp[0], end))
                builder.add((start, start + m.start()), PARAPHRASE, frame)
                return True
            return False
    # "X said (that) CONTENT": skip the object and adjuncts of the cue
    c = ce
    om = re.match(r"\s*(?:to\s+)?(?:reporters|him|her|them|us|me|supporters|the\s+crowd|an?\s+\w+|"
                  r"(?:the\s+)?(?:[A-Z][\w'\u2019.\-]*\s*){1,4})\s*(?=that\b|,|in\b|on\b)", text[c:end])
    if om and cue_text in ("told", "tells", "telling", "assured", "warned", "reminded", "informed"):
        c += om.end()
    dm = re.match(rf"\s*(?:on|last)\s+(?:{_WEEKDAYS}|(?:{_MONTHS})\.?\s+\d{{1,2}})\b,?", text[c:end])
    if dm:
        c += dm.end()
    am = re.match(r"\s*,?\s*(?:(?:in|on|during|at)\s+(?:an?\s+|the\s+|his\s+|her\s+)?[\w'\u2019\-]+"
                  r"(?:\s+[\w'\u2019\-]+){0,3}?\s*,?\s*)?(?=that\b)", text[c:end])
    if am:
        c += am.end()
    if end - c < 8:
        return False
    frame = _Frame((cs, ce), sp, role, (start, c))
    builder.add((c, end), PARAPHRASE, frame)
    return True
