"""Who is speaking, as written and as named: speaker noun phrases, roles, outlets, dates, and the
resolution of a pronoun, a surname or a title to the full name met earlier in the text."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable

from factbase.attribution.cues import lexicon
from factbase.attribution.text import ABBREVIATIONS, ABBREV_RE, WORD

# --- speakers, roles, outlets, dates ----------------------------------------------------------------

# How far from a cue the words of its frame are looked for (characters): bounds the work on a long
# sentence.
_WINDOW = 300
PRONOUNS = frozenset("he she they i we it you".split())
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
journalist scholar researcher historian pollster strategist activist author writer columnist commentator
fellow consultant
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
_OUTLET_HINTS = frozenset("""tv news times post journal radio agency cnn bbc nbc abc cbs fox msnbc reuters ap afp upi
politico cnbc npr pbs rt cbc dw tass interfax ria bloomberg axios univision telemundo c-span newsmax wsj hbo
interfax tass ria bloomberg politico daily magazine network channel gazette tribune herald press wire
television broadcaster newspaper guardian telegraph independent npr pbs cnbc axios breitbart
""".split())
_PLATFORMS = frozenset("twitter facebook instagram telegram youtube tiktok".split())
WEEKDAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
MONTHS = ("January|February|March|April|May|June|July|August|September|October|November|December|"
           "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec")
_DATE = re.compile(
    rf"\b(?:(?:[Oo]n|[Ll]ast)\s+)?(?:{WEEKDAYS})\b"
    rf"|\b(?:[Oo]n\s+)?(?:{MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?\b"
    rf"|\b(?:[Oo]n\s+)?\d{{1,2}}\s+(?:{MONTHS})(?:\s+\d{{4}})?\b"
    rf"|\b(?:[Tt]oday|[Yy]esterday)\b"
    rf"|\b[Ii]n\s+(?:{MONTHS})(?:\s+\d{{4}})?\b"
)


def date_in_frame(text: str, start: int, end: int, anchor: int) -> str:
    """The date of the attributing words ``text[start:end]``: after the speaker (``anchor``), or before
    it as an opening phrase ("On Friday, X said") or right next to it ("X on Friday said"); not a date
    of the events the sentence reports before its speaker."""
    for m in _DATE.finditer(text, start, end):
        between = text[m.end():anchor]
        if m.start() >= anchor or re.fullmatch(r"\s*,?\s*|,\s*[^,]{0,60}", between):
            phrase = re.sub(r"\s+", " ", m.group(0))
            phrase = re.sub(r"^last\s+", "on ", phrase)
            phrase = re.sub(r"\b(" + MONTHS + r")\.", r"\1", phrase)
            return re.sub(r"\bSept\b", "Sep", phrase)  # the abbreviation resolve_date knows
    return ""


def outlet_in(segment: str) -> str:
    """An outlet named in the attributing words: "told Dozhd TV", "on Khabar 24", "in an interview with
    CNN" (not "in a Facebook post", not "told reporters")."""
    for m in re.finditer(
        r"\b(told|to|on|with|in an interview with|in an interview on|in|wrote in|writing in)\s+"
        r"((?:[Tt]he\s+)?(?:[A-Z][\w'\u2019&.\-]*|\d+)(?:\s+(?:[A-Z][\w'\u2019&.\-]*|\d+|of|and))*)",
        segment,
    ):
        name = m.group(2)
        # the outlet's own name: not a weekday or a month after it, not its possessive ("CNN's Jake Tapper")
        name = re.split(rf"\s+(?:{WEEKDAYS}|{MONTHS})\b", name)[0]
        possessive = re.search(r"(?:'s|\u2019s)\b|(?<=[sS])['\u2019](?=\s|$)", name)
        if possessive:
            name = name[:possessive.start()]
        name = re.sub(r"\s+(of|and)$", "", name).strip(" .")
        of = re.search(r"\s+of\s+", name)
        if of and any(w.lower().strip(".") in _OUTLET_HINTS for w in name[of.end():].split()):
            name = name[of.end():]  # "Chris Wallace of Fox News"
        kept = []
        for w in name.split():
            if kept and (w.lower().strip(".") in _TITLES or w.lower() in ("senior", "investigative", "political")):
                break  # "NBC News Senior Investigative Correspondent X": the outlet ends before the title
            kept.append(w)
        name = " ".join(kept)
        words = [w.lower().strip(".'\u2019") for w in name.split()]
        if name.lower() == "the hill":
            return name
        if not words or re.fullmatch(rf"(?:the\s+)?(?:{WEEKDAYS}|{MONTHS})\b.*", name, re.I):
            continue
        if words[-1] in _PLATFORMS or words[0] in _PLATFORMS:
            continue
        # a medium's name ("TV", "News", "CNN"), or a channel's number after "on" ("on Khabar 24")
        numbered = any(w.isdigit() for w in words) and any(w[:1].isalpha() for w in words) and name[:1].isupper()
        if any(w in _OUTLET_HINTS for w in words) or (m.group(1) == "on" and numbered):
            return name
    return ""


def _tokens(segment: str) -> list[re.Match]:
    return list(WORD.finditer(segment))


def _is_cap(word: str) -> bool:
    return word[:1].isupper()


def split_role(mention: str) -> tuple[str, str]:
    """``"Armenian Prime Minister Nikol Pashinyan"`` → ``("Armenian Prime Minister", "Nikol Pashinyan")``:
    the name is the trailing run of capitalised words that are not titles."""
    words = mention.split()
    i = len(words)
    while i > 0 and _is_cap(words[i - 1]) and words[i - 1].lower().rstrip(".") not in _TITLES:
        if i >= 2 and words[i - 2] in ("to", "of", "for", "at", "in"):
            break  # "Ambassador to Kazakhstan William Courtney": "Kazakhstan" belongs to the title
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
    heads = lexicon()[1]
    lo = max(lo, cue_start - _WINDOW)
    segment = text[lo:cue_start]
    party = re.search(r"\s*\([A-Z][A-Za-z.\-]{0,12}\)\s*$", segment)
    if party is not None and party.start() > 0:
        # "Rep. Earl Blumenauer (D-Ore.) said": the party and state in brackets after the name
        return speaker_before(text, lo, lo + party.start(), relaxed)
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
    if low in PRONOUNS or low == "who":
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
        if lowp in _CLAUSE_BREAKERS or lowp in PRONOUNS or lowp in _SKIP_BEFORE_CUE:
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
             "later", "recently", "yesterday", "today", "tonight", "said", "says", "adding", "noting", "saying",
             "was", "is", "are", "were", "has", "have", "had", "will", "would", "could", "should", "can", "may",
             "might", "did", "does", "do"}
    weekdays = set(WEEKDAYS.lower().split("|"))
    toks = []
    for m in re.finditer(r"[\w'\u2019\-]+\.?|[^\w\s]", text[start:min(hi, start + _WINDOW)]):
        word = m.group(0)
        low = word.lower().rstrip(".")
        if not re.match(r"[\w]", word):
            break  # a comma, a colon, a quotation mark...
        if toks and (low in stops or low in weekdays):
            break
        toks.append(m)
        if word.endswith(".") and not ABBREV_RE.fullmatch(word) and low not in ABBREVIATIONS:
            break  # a full stop, not an abbreviation
        if len(toks) >= 9:
            return None
    if not toks:
        return None
    words = [t.group(0).rstrip(".") if i == len(toks) - 1 and not ABBREV_RE.fullmatch(t.group(0)) else t.group(0)
             for i, t in enumerate(toks)]
    s = start + toks[0].start()
    e = start + toks[-1].start() + len(words[-1])
    while words and words[-1].lower() in _DETERMINERS | {"of", "the"}:
        words.pop()
        return None
    low0 = words[0].lower()
    heads = lexicon()[1]
    if low0 in PRONOUNS and len(words) > 1:
        return None  # "said it would pass": a clause, not a speaker
    if low0 in _CLAUSE_BREAKERS or (low0 not in _DETERMINERS and not _is_cap(words[0])
                                      and low0 not in PRONOUNS and low0 not in heads
                                      and not (words[-1].lower() in heads or _is_cap(words[-1]))):
        return None
    role = ""
    rest = text[e:min(hi, e + _WINDOW)]
    # abbreviations ("Mr.", "M.I.T.", "Ft.") do not end the appositive: their dots are masked
    masked = ABBREV_RE.sub(lambda a: a.group(0)[:-1] + "\x00", rest)
    ap = re.match(r",\s*((?:the\s+|a\s+|an\s+)?[^,.;:()\"\u201c\u201d]{3,120}?)\s*(?:[,.;]|$)", masked)
    if ap and not re.match(r"(?:who|which|that|adding|saying|noting|and|but|in|on|according)\b", ap.group(1)):
        role = re.sub(r"^(?:a|an)\s+", "", rest[ap.start(1):ap.end(1)].strip())
    return s, e, role


_NAME_STOP = frozenset("""While But And When After Before As If On In At The This That Although Since Speaking
Writing Asked According Meanwhile However Still Yet So Then Later Earlier Former Mr Mrs Ms Dr Sen Rep Gov Mr. Mrs.
Ms. Dr. Sen. Rep. Gov. A An Some Many Other Most Even Only For From With Without By Of To Is Was Like Unlike
Here There What Why How Who It Its Their His Her Our We They He She I You Let Under Over Into Upon Dear
Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April June July August
September October November December""".split())
# Words that make a capitalised sequence an organisation or a place, not a person.
_ORG_WORDS = frozenset("""organization organisation council party union treaty agency department ministry university
committee news times post bank institute center centre pact alliance administration republican democratic
democrats republicans states kingdom federation army forces court house senate congress commission association
foundation company corp inc group church school college street airport station police service office
government campaign network tv radio magazine journal press security international national federal
republic city county state district region war day act bill law nations united""".split())


INTRO_WORDS = frozenset("""on in at during after before later earlier last this then but and so yet still however
meanwhile here even as when while although though if since because alongside hours days weeks months years
with without despite in for from by or also instead indeed now today yesterday asked speaking writing""".split())


_CAPITALISED = re.compile(
    r"\b[A-Z][a-z\u00c0-\u024f'\u2019\-]+(?:\s+(?:[A-Z]\.\s*)?[A-Z][\w\u00c0-\u024f'\u2019\-]+){1,3}"
)


class NameIndex:
    """Person-name mentions in a text, to resolve a pronoun, a surname or a title to a full name."""

    def __init__(self, text: str, names: Iterable[str]):
        self.mentions: list[tuple[int, str]] = []
        self.roles: list[tuple[int, str, str]] = []  # (offset, title as written before the name, name)
        # only the gazetteer's names whose last word is in the text (a database of many actors is not
        # searched name by name)
        words = set(re.findall(r"[\w'\u2019\-]+", text))
        self.known = {
            n.strip() for n in names
            if n and n.strip() and n.split()[-1].strip(".,;:()") in words
        }
        for m in _CAPITALISED.finditer(text):
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
        # person-like: a name whose surname is also written alone ("Tokayev"), or that comes with a title
        # or from the gazetteer (not "New Mexico" nor "American History")
        written = Counter(re.findall(r"[\w'\u2019\-]+", text))
        in_full = Counter(name.split()[-1] for _, name in self.mentions if len(name.split()) > 1)
        alone = {surname for surname, count in in_full.items() if written[surname] > count}
        titled = {name for _, _, name in self.roles}
        self.people = {name for _, name in self.mentions
                       if name.split()[-1] in alone or name in titled or name in self.known}

    def full_name(self, mention: str, at: int) -> str:
        words = re.sub(r"(?:'s|\u2019s)$", "", mention).split()
        if not words:
            return ""
        low = words[-1].lower()
        before = self.mentions[max(0, bisect_left(self.mentions, (at, "")) - 200):bisect_left(self.mentions, (at, ""))]
        before = [name for _, name in before]
        if low in _SUBJECT_PRONOUNS | {"who"} and len(words) == 1:
            if low in ("he", "she", "who") and before:
                # the nearest person-like name before it, else the nearest name; a surname met alone
                # ("Blinken") is resolved in turn to the full name before it
                name = next((name for name in reversed(before) if name in self.people), before[-1])
                if len(name.split()) == 1:
                    name = self.full_name(name, at)
                return name
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


def clause_subject(text: str, lo: int, hi: int) -> tuple[int, int] | None:
    """The noun phrase that opens a clause, after opening adverbials ("On Friday,", "At the debate,",
    "Here", "Even"): the subject of a participle ("..., saying") or of "went on to say"."""
    lo = max(lo, hi - 2 * _WINDOW)
    segment = text[lo:hi]
    offset = 0
    for _ in range(2):
        m = re.match(r"\s*([^,]{1,80}),\s+", segment[offset:])
        if not m:
            break
        words = m.group(1).split()
        first = words[0].lower() if words else ""
        if len(words) <= 8 and (first in INTRO_WORDS or first.endswith("ly") or re.match(r"\d", first)):
            offset += m.end()
        else:
            break
    heads = lexicon()[1]
    toks = list(re.finditer(r"[\w'\u2019\-]+\.?", segment[offset:]))
    k = 0
    while k < len(toks) and (toks[k].group(0).rstrip(".") in _NAME_STOP and toks[k].group(0).lower() not in _DETERMINERS
                             or toks[k].group(0).lower() in INTRO_WORDS):
        k += 1
    taken = []
    for t in toks[k:]:
        word = t.group(0)
        low = word.lower().rstrip(".")
        gap = segment[offset + (taken[-1].end() if taken else 0):offset + t.start()]
        if taken and gap.strip() not in ("", "-"):
            break
        if _is_cap(word) or low in _DETERMINERS or low in heads or low in _TITLES or low.endswith(("'s", "\u2019s")) \
                or (low in PRONOUNS and not taken):
            taken.append(t)
            if low in PRONOUNS:
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
    end = taken[-1].end() - (1 if last.endswith(".") and not ABBREV_RE.fullmatch(last) else 0)
    return lo + offset + taken[0].start(), lo + offset + end


_SUBJECT_VERB = re.compile(
    r"\b((?:[A-Z][\w'\u2019.\-]*\s+){0,3}[A-Z][\w'\u2019\-]+|[Hh]e|[Ss]he|[Tt]hey|[Ww]e|I)\s+"
    r"(?:(?:also|then|later|quickly|again|repeatedly|had|has|have|was|is|will|would|\w+ly)\s+)?"
    r"(?:[a-z]+ed|[a-z]+s|took|made|sent|gave|held|went|spoke|wrote|told|said|put|came|began|got|ran|won|lost|led|met|"
    r"left|brought|set|shot|stood|sang|threw|drew|hit|read|rang|chose|fought|struck)\b"
)


def verb_subject(text: str, lo: int, hi: int) -> tuple[int, int] | None:
    """The subject of the first verb of a clause that has a name or a pronoun before it ("In Columbia,
    Sanders stepped up his emphasis on ..., saying"): the speaker of a participle that ends the clause."""
    for m in _SUBJECT_VERB.finditer(text, max(lo, hi - 2 * _WINDOW), hi):
        words = list(re.finditer(r"\S+", m.group(1)))
        while words and (words[0].group(0).rstrip(".") in _NAME_STOP or words[0].group(0).lower() in INTRO_WORDS):
            words = words[1:]
        if not words or words[-1].group(0).lower() in INTRO_WORDS:
            continue
        return m.start(1) + words[0].start(), m.end(1)
    return None


def without_place(mention: str) -> str:
    """"Rep. Lee Zeldin of New York" → "Rep. Lee Zeldin": a name's "of ..." (but "Secretary of State
    Antony Blinken" keeps its title whole)."""
    m = re.match(r"(.*?([A-Z][\w'\u2019\-]+))\s+of\s+[A-Z]", mention)
    if m and m.group(2).lower() not in _TITLES and m.group(2).lower() not in _ORG_WORDS:
        return m.group(1)
    return mention
