"""The extractor's rules: the frame of a quote, the paraphrase patterns, and ``extract`` (see the
package's docstring for what was chosen and why)."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, replace

from factbase.attribution.cues import cue_in, lexicon
from factbase.attribution.mentions import (
    INTRO_WORDS,
    clause_subject,
    verb_subject,
    without_place,
    date_in_frame,
    MONTHS,
    NameIndex,
    outlet_in,
    PRONOUNS,
    speaker_after,
    speaker_before,
    split_role,
    WEEKDAYS,
)
from factbase.attribution.text import Quote, ABBREV_RE, find_quotes, paragraphs, sentence_ends
from factbase.provenance import Span

DIRECT_QUOTE = "direct_quote"
PARAPHRASE = "paraphrase"


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


# --- the rules --------------------------------------------------------------------------------------


@dataclass
class _Frame:
    cue: tuple[int, int]
    speaker: tuple[int, int] | None
    role: str = ""
    frame: tuple[int, int] = (0, 0)  # the attributing words (for the outlet and the date)


def frame_after(text: str, start: int, hi: int) -> _Frame | None:
    """``..." Trump said in a statement.`` / ``..." said Trump, the nominee.`` right after a quote."""
    # a stray closing mark is skipped too (NYT's ''... 'old-school,''' said X)
    m = re.match(r"[\s,.\-\u2013\u2014]*(?:'(?=\s))?[\s,.]*", text[start:hi])
    p = start + m.end()
    window_end = min(hi, p + 200)
    cues = cue_in(text, p, window_end, first=False, near_quote=True)
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
        if re.search(r"[;!?]|\.(?=\s+[A-Z\"\u201c])|\.$", ABBREV_RE.sub("", before)):
            continue
        aged = re.fullmatch(r"\s*((?:[A-Z][\w'\u2019.\-]*\s+){1,3}[A-Z][\w'\u2019\-]+),\s+\d{1,3},\s+(.{2,160}?),?\s*",
                            before)
        if aged and len(aged.group(2).split()) <= 20:
            # "...," Jane Roe, 67, a retired nurse in Allentown, Pa., said: a name, an age, who she is
            role = re.sub(r"^(?:a|an)\s+", "", aged.group(2).strip())
            return _Frame((cs, ce), (p + aged.start(1), p + aged.end(1)), role, (p, hi))
        ap = re.fullmatch(r"\s*([^,]{2,60}?),\s+([^,]{2,120}?),\s*", before)
        if ap and len(ap.group(1).split()) <= 6:
            # "Seth McKee, a political scientist at Texas Tech University, told The Hill."
            sp = clause_subject(text, p, p + ap.end(1))
            if sp is not None:
                role = re.sub(r"^(?:a|an)\s+", "", ap.group(2).strip())
                return _Frame((cs, ce), sp, role, (p, hi))
            if re.fullmatch(r"(?:the|a|an|his|her|their|its)\s+[\w\-]+(?:\s+[\w\-]+){0,4}", ap.group(1)) \
                    and re.fullmatch(r"(?:[A-Z][\w'\u2019.\-]*\s+){1,3}[A-Z][\w'\u2019\-]+", ap.group(2)):
                # "...," the assailant, John McGraw, told ...: the name in apposition is the speaker
                role = re.sub(r"^(?:the|a|an)\s+", "", ap.group(1))
                return _Frame((cs, ce), (p + ap.start(2), p + ap.end(2)), role, (p, hi))
        if len(before.split()) > 12:
            continue
        sp = speaker_before(text, p, cs, relaxed=True)
        party = re.search(r"\s*\([A-Z][\w.\-]{0,12}\)\s*$", before)
        if sp is None and party is not None and party.start() > 0:
            # "...," Rep. Earl Blumenauer (D-Ore.) said: the party and state in brackets after the name
            sp = speaker_before(text, p, p + party.start(), relaxed=True)
        if sp is None:
            continue
        return _Frame((cs, ce), sp, "", (p, hi))
    m = re.match(r"\s*(he|she|they|I|we|(?:[A-Z][\w'\u2019\-]+\s+){0,2}[A-Z][\w'\u2019\-]+)\s+"
                 r"([a-z]+ed|[a-z]+\s+back(?=\s*[.,]|\s+with\b)|[a-z]+[^s\W]s\s+out(?=\s*[.,])"
                 r"|[a-z]{2,}[^s\W]s(?=\s*\.))\b",
                 text[p:window_end])
    if m and not cues:
        # "...," she elaborated: a verb in the past right after the quote and its speaker
        return _Frame((p + m.start(2), p + m.end(2)), (p + m.start(1), p + m.end(1)), "", (p, hi))
    m = re.match(r"([a-z]+(?:ed|[^s]s))\s+(?=[A-Z])", text[p:window_end])
    if m:
        # "...," opined the Plain Dealer / "...," exclaimed Jane Roe / "...," declares Jane Roe
        sp = speaker_after(text, p + m.end(1), hi)
        if sp is not None and not any(cs < sp[1] for cs, _ in cues):
            return _Frame((p + m.start(1), p + m.end(1)), sp[:2], sp[2], (p, hi))
    return None


_DETERMINERS_AND_FUNCTION = frozenset("the a an this that these those his her their its of for to in on at and".split())


def frame_before(text: str, lo: int, end: int, carried: tuple[int, int] | None = None) -> _Frame | None:
    """``Trump said: "..."`` / ``Trump told CNN, "..."`` right before a quote (``end`` is the quote's
    opening mark)."""
    lo = max(lo, end - 400)
    segment = text[lo:end]
    if not re.search(r"[,:\u2014\-]\s*$|\b\w+\s*$", segment):
        return None
    cues = cue_in(text, lo, end, first=False, near_quote=True)
    colon = re.search(r":\s*$", segment)
    if colon and not any(len(text[ce:end].split()) <= 8 for _, ce in cues):
        # "Rep. Trey Gowdy (R-S.C.): "..."", "X delivered a blunt message to Trump: "...""; "a spokesman
        # could only quip: "..."": the last word before the colon may be a verb, with its subject before it
        sp = None
        verb = re.search(r"\b([a-z]+)\s*$", text[lo:lo + colon.start()])
        if verb is not None and not re.search(r"(?:s|ing)$", verb.group(1)) or (verb and verb.group(1) in lexicon()[2]):
            sp = speaker_before(text, lo, lo + verb.start(1), relaxed=True)
            if sp is not None and text[sp[0]:sp[1]].split()[-1].lower() in _DETERMINERS_AND_FUNCTION:
                sp = None
        if sp is None:
            dash = max(text.rfind(" - ", lo, lo + colon.start()), text.rfind(" \u2014 ", lo, lo + colon.start()))
            # "HEADLINE - Frank Newport and Jim Harter: "..."": a newsletter names its source after a dash
            sp = clause_subject(text, dash + 3 if dash >= 0 else lo, lo + colon.start())
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
        ap = re.search(r"(?:^|[.;]\s+|,\s+)((?:[^,]{2,60}?)),\s+([^,]{3,120}?),\s*(?:\w+ly\s+)?$", text[lo:cs])
        if ap and len(ap.group(1).split()) <= 6 and not word.endswith("ing") \
                and ap.group(1).split()[0].lower() not in INTRO_WORDS:
            # "her senior policy adviser, Jake Sullivan, said:"
            sp = clause_subject(text, lo + ap.start(1), lo + ap.end(1))
            if sp is not None:
                return _Frame((cs, ce), sp, ap.group(2).strip(), (lo, end))
        if word.endswith("ing") or re.search(r"\bto\s+$", text[lo:cs]):
            # "The campaign emailed supporters saying:", "Trump went on to say:": the clause's subject
            sp = verb_subject(text, lo, cs) or clause_subject(text, lo, cs)
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


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in " \t\r\n":
        start += 1
    while end > start and text[end - 1] in " \t\r\n":
        end -= 1
    return start, end


# ", adding that ...": a second statement of the same speaker in the same sentence
_PARTICIPLE_CLAUSE = re.compile(
    r",\s+(?:and\s+)?(adding|saying|noting|arguing|explaining|insisting|warning|stressing|claiming|suggesting)"
    r"(?:\s+that)?[,:]?\s+"
)


_NOT_ROLE_START = frozenset("""in on at for with by to from who whom which what that as when while where if but and or
because after before since during however meanwhile also still though although two three some many one""".split())
_NOT_ROLE_END = frozenset("the a an of by for to in on at and or with from".split())


def _plausible_role(role: str) -> bool:
    """A title or a description of a person ("Armenian Prime Minister", "senior fellow at the Brookings
    Institution"), not an adverbial ("in a statement", "for example") nor a clause ("who has ...")."""
    words = role.split()
    if not words or len(words) > 25 or words[0].lower() in _NOT_ROLE_START or words[-1].lower() in _NOT_ROLE_END:
        return False
    if len(words) == 1 and (words[0].lower().rstrip(".") in ("mr", "mrs", "ms", "dr", "year", "years")
                            or words[0].isdigit()):
        return False
    if words[0].lower().endswith("ing") and words[0].lower() not in ("acting", "outgoing", "ruling", "leading"):
        return False  # "casting herself as ...", "echoing Erdogan": what the speaker did, not who they are
    return not re.search(r"\b(?:should|would|could|will|said|says|is|are|was|were|has|have|had)\b", role)


# "a spokesman for X", "an aide to X": someone acting for the person named, not that person
_AGENT_OF = re.compile(
    r"(?:(?i:the|a|an|one|two|three|several|some)\s+)?(?:[a-z][\w\-]*\s+){0,3}"
    r"(?:spokes\w+|aides?|advis[eo]rs?|representatives?|lawyers?|attorneys?|officials?|staffers?|members?|"
    r"friends?|supporters?|sources?|consultants?|strategists?|allies|ally|associates?|employees?|"
    r"people|someone|somebody|person)\s+(?:for|of|to|at|with|from|close\s+to)\s+"
)


def _antecedent(text: str, who: int) -> tuple[int, int] | None:
    """The noun phrase a relative "who" at ``who`` refers to: the words before its comma, from the last
    determiner ("the country's president, who"), or up to four words."""
    lo = max(0, who - 80)
    m = re.search(r"((?:[\w'\u2019\-]+\s+){0,4}[\w'\u2019\-]+)\s*,\s*$", text[lo:who])
    if not m:
        return None
    start = lo + m.start(1)
    determiners = list(re.finditer(r"\b(?:the|a|an|his|her|its|their)\s", m.group(1)))
    if determiners:
        start += determiners[-1].start()
    return start, lo + m.end(1)


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
            follow = _PARTICIPLE_CLAUSE.search(text, start, end)
            if follow is not None and frame is not None and follow.start() - start > 10:
                # "X said A, adding that B": two statements
                first = self.add((start, follow.start()), kind, frame, role, carried)
                second = find_quotes(text, follow.end(), end)
                if len(second) == 1 and second[0].start == follow.end() and second[0].closed \
                        and re.fullmatch(r"[\s.,;:!?]*", text[second[0].end:end]):
                    # "..., adding, "He lost all of the Latino vote."": a quote
                    self.add((second[0].inner_start, second[0].inner_end), DIRECT_QUOTE,
                             replace(frame, cue=follow.span(1), frame=(follow.start(1), follow.end())), role, carried)
                else:
                    self.add((follow.end(), end), kind,
                             replace(frame, cue=follow.span(1), frame=(follow.start(1), follow.end())), role, carried)
                return first
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
                # "As Professor Foner put it": the opening "As" is not part of the speaker
                lead = re.match(r"(?:(?:As|When|While|If|But|And|So|Then|Yet|Still|Even|Also|Here|Now)\s+)+(?=\S)",
                                text[s:e])
                if lead and lead.end() < e - s:
                    s += lead.end()
                mention = text[s:e]
                mention_clean = re.sub(r"(?:'s|\u2019s)$", "", mention)
                mention_clean = without_place(mention_clean)
                speaker = self.span(s, e)
                title_role, _ = split_role(mention_clean)
                role = role or frame.role or title_role
                if mention.lower() == "who":
                    # "the country's president, who has vowed": the noun phrase before the comma
                    antecedent = _antecedent(text, s)
                    if antecedent is not None:
                        speaker = self.span(*antecedent)
                        mention_clean = speaker.exact
                if _AGENT_OF.match(mention_clean):
                    # "a spokesman for Bernie Sanders" is not Sanders: the mention is all the text says
                    name = re.sub(r"^(?i:the|a|an)\s+", "", mention_clean)
                    role = frame.role
                else:
                    name = self.index.full_name(mention_clean, s)
                if not name or name.lower() in PRONOUNS:
                    name = ""
            fs, fe = frame.frame
            outlet = outlet_in(text[fs:fe])
            date_phrase = date_in_frame(text, fs, fe, frame.speaker[0] if frame.speaker else frame.cue[0])
            self.last_speaker = (speaker, name, role)
            self.last_paragraph = self.paragraph_no
        elif carried is not None:
            speaker, name, role = carried
        if role:
            role = re.sub(r"^(?:the|a|an)\s+", "", role.strip(" ,;:"))
            if role.endswith(".") and not ABBREV_RE.search(role[-5:]):
                role = role.rstrip(".")
            if not _plausible_role(role):
                role = ""
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
    """The sentence (of a paragraph that starts at ``start`` and whose sentences end at ``ends``) that
    holds ``pos``."""
    k = bisect_right(ends, pos)
    if k >= len(ends):
        return (ends[-2] if len(ends) > 1 else start), ends[-1]
    return (ends[k - 1] if k > 0 else start), ends[k]


def _next_end(ends: list[int], pos: int, default: int) -> int:
    """The first sentence end after ``pos``."""
    k = bisect_right(ends, pos)
    return ends[k] if k < len(ends) else default


# the signature after a quote that fills its paragraph: "..." ― Jane A. Roe. (a dash, a name, nothing else)
_SIGNATURE = re.compile(r"[\s.,]*(?P<dash>[\u2013\u2014\u2015]|--?)\s*"
                        r"((?:[A-Z][\w'\u2019\-]*\.?\s+){0,3}[A-Z][\w'\u2019\-]+)\s*\.?\s*")

# verbs of speaking whose object may be the words themselves ("he says "..."", "they chanted "..."")
_SPEECH_VERB = re.compile(r"(?:say|says|said|wrote|writes|write|added|adds|yelled|yells|shouted|shouts|chanted|chants"
                          r"|declared|declares|tweeted|tweets|replied|replies|responded|responds|joked|jokes"
                          r"|stated|states|exclaimed|exclaims|told|asked|asks|screamed|screams)")

# verbs of shouting, whose object is the words shouted wherever the sentence goes on ("chanted "..." as")
_SHOUT_VERB = re.compile(r"(?:chant|chants|chanted|chanting|yell|yells|yelled|yelling|shout|shouts|shouted|shouting"
                         r"|scream|screams|screamed|screaming)")


def extract(text: str, *, names: Iterable[str] = ()) -> list[Attribution]:
    """The attributions in ``text``, in the order of their content. ``names`` are known speakers' names
    and aliases (a gazetteer), which help to recognise a speaker written in the text."""
    if not text or not text.strip():
        return []
    builder = _Builder(text, names)
    open_quote: int | None = None  # the attribution a following quote-only paragraph continues
    last_colon: tuple[int, int] | None = None  # a paragraph's last sentence when it ends with a colon
    all_paragraphs = paragraphs(text)
    for paragraph_no, (p_start, p_end) in enumerate(all_paragraphs):
        builder.paragraph_no = paragraph_no
        next_paragraph = all_paragraphs[paragraph_no + 1] if paragraph_no + 1 < len(all_paragraphs) else None
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
            after_sentence_end = _next_end(ends, q.end, p_end)
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
            cue_adjacent = frame_b is not None and frame_b.cue[1] == len(lead.rstrip()) + max(prev_end, s_start)
            ends_sentence = q.closed and re.fullmatch(r"[\s.,!?]*", text[q.end:after_sentence_end]) is not None
            if frame is None and frame_b is not None and (
                    re.search(r"[,:\u2014]\s*$", lead) or (cue_adjacent
                                                     and text[q.inner_start:q.inner_start + 1].isupper()
                                                     and len(text[q.inner_start:q.inner_end].split()) >= 4)
                    or (cue_adjacent and ends_sentence and len(text[q.inner_start:q.inner_end].split()) >= 2
                        and _SPEECH_VERB.fullmatch(text[frame_b.cue[0]:frame_b.cue[1]].lower()) is not None)
                    or (cue_adjacent and q.closed
                        and _SHOUT_VERB.fullmatch(text[frame_b.cue[0]:frame_b.cue[1]].lower()) is not None)):
                # "Trump says "the whole game has become screwed up."": a cue right before a quote that
                # closes the sentence frames it even without a comma
                frame = frame_b
            if frame is None and starts_sentence and q.start == p_start and prev_colon is not None:
                # "In a 1963 speech, he declared:" closing the paragraph before
                frame = frame_before(text, *prev_colon)
            if frame is None and q.start == p_start and next_paragraph is not None \
                    and re.fullmatch(r"[\s.,]*", text[q.end:p_end]):
                # a quote, then a paragraph that signs it: "- Hillary Clinton."
                sign = re.match(r"\s*[-\u2013\u2014]\s*(?=[A-Z])", text[next_paragraph[0]:next_paragraph[1]])
                if sign:
                    dash = next_paragraph[0] + sign.start()
                    sp = speaker_after(text, next_paragraph[0] + sign.end(), next_paragraph[1])
                    if sp is not None:
                        frame = _Frame((dash, dash + 1), sp[:2], sp[2], next_paragraph)
            if frame is None and q.start == p_start and q.closed and len(quotes) == i + 1:
                # a quote, then its signature in the same paragraph: "..." ― Jane Roe.
                sign = _SIGNATURE.fullmatch(text, q.end, p_end)
                if sign:
                    sp = speaker_after(text, sign.start(2), p_end)
                    if sp is not None and sp[1] >= sign.end(2) - 1:
                        frame = _Frame(sign.span("dash"), sp[:2], sp[2], (sign.start("dash"), p_end))
            words = len(text[q.inner_start:q.inner_end].split())
            j = i
            if frame is not None:
                while j + 1 < len(quotes):
                    gap = text[quotes[j].end:quotes[j + 1].start]
                    frame_in_gap = frame.cue[0] >= quotes[j].end and frame.cue[1] <= quotes[j + 1].start
                    nxt = quotes[j + 1]
                    nxt_hi = quotes[j + 2].start if j + 2 < len(quotes) else p_end
                    nxt_end = min(nxt_hi, _next_end(ends, nxt.end, p_end))
                    if nxt.closed and frame_after(text, nxt.end, nxt_end):
                        break  # the next quote has its own frame
                    if re.fullmatch(r"\s*", gap) or (
                        frame_in_gap and len(gap.split()) <= 40
                        and len(cue_in(text, quotes[j].end, quotes[j + 1].start, first=False)) == 1
                        and re.fullmatch(r"[^\"\u201c\u201d]{0,200}?[,.:]\s*", gap)
                    ):
                        j += 1
                    else:
                        break
            last = quotes[j]
            one_word_said = (frame is not None and frame is frame_b and words == 1 and ends_sentence
                             and re.search(r"[,:]\s*$", lead) is not None
                             and re.fullmatch(r"[\s,:]*", text[frame_b.cue[1]:q.start]) is not None
                             and text[q.inner_start:q.inner_start + 1].isupper())
            if frame is not None and (words >= 2 or j > i or frame.cue[0] >= q.end or one_word_said):
                index = builder.add((q.inner_start, last.inner_end), DIRECT_QUOTE, frame)
                covered.append((min(q.start, frame.frame[0]), max(last.end, frame.frame[1])))
                follow = None
                if frame.frame[1] > last.end:
                    follow = _PARTICIPLE_CLAUSE.search(text, last.end, frame.frame[1])
                if follow is not None and frame.cue[0] >= last.end and follow.start() >= frame.cue[1]:
                    # ""...," he said, adding that B."
                    builder.add((follow.end(), frame.frame[1]), PARAPHRASE,
                                replace(frame, cue=follow.span(1), frame=(follow.start(1), follow.end())))
                if index is not None and re.fullmatch(r"[^\"\u201c\u201d]*", text[max(last.end, frame.frame[1]):p_end]):
                    open_quote = index
            elif frame is None and starts_sentence and j == i and builder.out and i > 0 \
                    and builder.last_paragraph == paragraph_no \
                    and builder.out[-1].content.end >= quotes[i - 1].inner_end - 1 \
                    and builder.out[-1].content.start >= p_start and len(text[quotes[i - 1].end:q.start].split()) <= 12:
                # "A," she said. "B." after a frame before A: B goes on with A
                builder.extend(len(builder.out) - 1, q.inner_end)
                covered.append((quotes[i - 1].start, q.end))
            elif frame is None and words >= 6 and starts_sentence and q.start == p_start \
                    and builder.last_speaker is not None and j == i and i == 0 \
                    and builder.last_paragraph == paragraph_no - 1:
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
    covered = sorted(covered)
    covered_starts = [cs for cs, _ in covered]
    reach = []  # the furthest end of the covered stretches so far, for each of them in order
    for _, ce in covered:
        reach.append(max(ce, reach[-1]) if reach else ce)
    s_start = p_start
    for s_end in ends:
        start, end = s_start, s_end
        s_start = s_end
        k = bisect_right(covered_starts, end - 1) - 1  # the covered stretches that start before the end
        if k >= 0 and reach[k] > start:
            continue  # a quote's attribution already covers part of the sentence
        _paraphrase_in(builder, text, start, end, quotes)


def _in_quote(pos: int, quotes: list[Quote]) -> bool:
    """Whether ``pos`` is inside one of the paragraph's ``quotes`` (in order, apart)."""
    lo, hi = 0, len(quotes)
    while lo < hi:  # the last quote that starts at or before pos
        mid = (lo + hi) // 2
        if quotes[mid].start <= pos:
            lo = mid + 1
        else:
            hi = mid
    return lo > 0 and quotes[lo - 1].start <= pos < quotes[lo - 1].end


_GARBLED_CUE = re.compile(r"[?!,.]\s+([a-z]{2,5})\s+([A-Z][\w'\u2019\-]+)\s*\.?\s*$")
_FUNCTION_WORDS = frozenset("""and the of to by for with from in on at as or but nor so yet than then was is are were
be its his her our their a an that this""".split())


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
    cues = [(cs, ce) for cs, ce in cue_in(text, start, verb_end, first=False) if not _in_quote(cs, quotes)]
    if len(cues) > 12:
        cues = cues[:10] + cues[-2:]  # a run-on "sentence" (a list, a table): the first cues and the last
    garbled = _GARBLED_CUE.search(text, start, verb_end)
    if not cues and garbled and garbled.group(1) not in _FUNCTION_WORDS \
            and builder.index.full_name(garbled.group(2), garbled.start(2)) != garbled.group(2):
        # "did Tokayev not trust the army? tha Murtazashvili.": a cue lost to bad text, between the
        # statement and the surname of someone named before
        cs, ce = garbled.span(1)
        frame = _Frame((cs, ce), garbled.span(2), "", (cs, verb_end))
        builder.add((start, garbled.start()), PARAPHRASE, frame)
        return
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


# What may follow the speaker of "CONTENT, said X": the sentence's end, a comma, an adjunct.
_AFTER_INVERTED_SPEAKER = re.compile(
    r"\s*(?:[,.;:!?]|$|(?:in|on|at|during|after|before|about|who|when|as|last|this|from|while)\b)"
)


# cues that attribute only a clause ("maintained that ..."), never a noun ("maintained a low profile")
_CLAUSE_ONLY_CUES = frozenset({"maintain", "maintains", "maintained", "maintaining"})
# a refusal is an attribution when what is refused is an act of speech ("refused to comment")
_REFUSAL_CUES = frozenset({"refuse", "refuses", "refused", "refusing"})
_SPEECH_ACTS = frozenset("""say comment answer discuss disclose reveal release confirm deny rule endorse back support
disavow condemn apologize apologise name specify identify explain elaborate speculate respond reply testify talk
speak tell acknowledge admit concede retract withdraw sign agree commit promise pledge""".split())


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
        if sp_after and len(text[ce:end].split()) <= 25 and re.match(_AFTER_INVERTED_SPEAKER, rest) \
                and not re.search(r"\bthat\b", rest[:30]):
            frame = _Frame((cs, ce), sp_after[:2], sp_after[2], (cs, end))
            builder.add((start, start + m.start()), PARAPHRASE, frame)
            return True
    # "NAME, APPOSITIVE, said (that) CONTENT"
    ap = re.search(r"(?:^|,\s+|\.\s+)((?:(?:[A-Z][\w'\u2019.\-]*|of|the|and)\s+){0,6}[A-Z][\w'\u2019\-]*),"
                   r"\s+([^,]{3,120}?),\s*"
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
                             r"(?:the\s+)?[A-Z0-9]|(?:" + WEEKDAYS + r")\b)", tail)):
            # "CONTENT, X said (in a statement)."
            m = re.search(r",\s*$", before_speaker)
            if m and sp[0] - start > 10:
                frame = _Frame((cs, ce), sp, "", (sp[0], end))
                builder.add((start, start + m.start()), PARAPHRASE, frame)
                return True
            return False
    if cue_text in _CLAUSE_ONLY_CUES and not re.match(r"\s*,?\s*that\b", text[ce:end]):
        return False  # "it has maintained a low profile": not a statement without "that"
    refusal = re.match(r"\s+to\s+([a-z]+)", text[ce:end]) if cue_text in _REFUSAL_CUES else None
    if refusal and refusal.group(1) not in _SPEECH_ACTS:
        return False  # "She refused to intervene": a refusal to act, not to say
    # "X said (that) CONTENT": skip the object and adjuncts of the cue
    c = ce
    om = re.match(r"\s*(?:to\s+)?(?:reporters|him|her|them|us|me|supporters|the\s+crowd|an?\s+\w+|"
                  r"(?:the\s+)?(?:[A-Z][\w'\u2019.\-]*\s*){1,4})\s*(?=that\b|,|in\b|on\b)", text[c:end])
    if om and cue_text in ("told", "tells", "telling", "assured", "warned", "reminded", "informed"):
        c += om.end()
    dm = re.match(rf"\s*(?:on|last)\s+(?:{WEEKDAYS}|(?:{MONTHS})\.?\s+\d{{1,2}})\b,?", text[c:end])
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
