"""Pure functions about where a claim comes from: find a quote in a source text, resolve a date.

Nothing here touches the database, so every rule can be tested on plain strings.

Quotes are matched on a *normalized* copy of both texts while a map from each normalized character
back to the characters of the original text it comes from is kept, so the span that is returned
slices the text exactly as it is stored. ``normalize`` is Factbase's one normalisation, used for
every comparison of quotes, names and texts: typographic quotes, apostrophes and dashes made plain,
invisible characters dropped, NFKC and case folding (a letter and its combining marks as one unit,
so composed and decomposed text match), white space folded to one space. A match begins and ends
on such a unit's edges: "e" is not found in "é", whichever way the "é" is written.

A source's normalized text is remembered (``normalized``): relocating every claim of a source after
an edit of its text costs one normalisation of the text, not one per claim.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from array import array
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

# Characters that differ only in typography. Each maps to its plain form.
_PLAIN = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u02bc": "'", "`": "'",
    "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2039": '"', "\u203a": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u2026": "...",
}
# Characters that are invisible in print and never part of what someone said.
_INVISIBLE = {"\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"}
_MARKS = frozenset({"Mn", "Mc", "Me"})


@dataclass(frozen=True)
class Span:
    """A slice of a source text: ``text[start:end] == exact``."""

    start: int
    end: int
    exact: str


def _is_mark(ch: str) -> bool:
    """Whether ``ch`` belongs to the character before it: a combining mark (an accent written apart from
    its letter, as decomposed text writes it), or a Hangul vowel or final consonant."""
    return unicodedata.category(ch) in _MARKS or "\u1160" <= ch <= "\u11ff"


def _fold(cluster: str) -> str:
    """The one normalisation of one character with its marks: typographic variants made plain, then
    NFKC and case folding (NFKC again after folding, which can decompose: "İ" folds to "i̇")."""
    plain = _PLAIN.get(cluster[0])
    if plain is not None:
        cluster = plain + cluster[1:]
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", cluster).casefold())


@dataclass(frozen=True)
class NormalizedText:
    """A text in its normalized form, with the way back to the text as stored.

    ``starts[k]`` and ``ends[k]`` are the slice of the original text that normalized character ``k``
    comes from: a character with its combining marks folds as one unit (composed "é" and decomposed
    "e" + U+0301 both fold to "é"), so a match may only begin and end on such a unit's edges.
    """

    text: str
    folded: str
    starts: array
    ends: array

    def is_unit_start(self, k: int) -> bool:
        return k == 0 or self.starts[k - 1] != self.starts[k]

    def is_unit_end(self, k: int) -> bool:
        return k == len(self.folded) - 1 or self.starts[k + 1] != self.starts[k]

    def find_all(self, quote: str) -> list[Span]:
        """Every place where ``quote`` occurs, in order (see ``find_quote_all``)."""
        needle = normalize(quote)
        if not needle or not self.folded:
            return []
        spans = []
        pos = self.folded.find(needle)
        while pos != -1:
            last = pos + len(needle) - 1
            if self.is_unit_start(pos) and self.is_unit_end(last):
                start, end = self.starts[pos], self.ends[last]
                spans.append(Span(start, end, self.text[start:end]))
            pos = self.folded.find(needle, pos + 1)
        return spans

    def find(self, quote: str, near: int | None = None) -> Span | None:
        """Where ``quote`` occurs, or None (see ``find_quote``)."""
        spans = self.find_all(quote)
        if not spans:
            return None
        if near is None:
            return spans[0]
        return min(spans, key=lambda s: (abs(s.start - near), s.start))


_INVISIBLE_CLASS = "".join(sorted(_INVISIBLE))
# A text is read as: (1) runs of plain ASCII words (printable, but the backquote, which is made plain)
# separated by single spaces, each character folding to one (its lower case), the run ending where a
# word ends; (2) white space; (3) invisible characters; (4) any other word.
_TOKEN = re.compile(
    rf"((?:[!-_a-~]+ )*[!-_a-~]+(?=[\s{_INVISIBLE_CLASS}]|\Z))|(\s+)|([{_INVISIBLE_CLASS}]+)|([^\s{_INVISIBLE_CLASS}]+)"
)
_WORD_CACHE_SIZE = 50_000
_folded_words: dict[str, tuple[str, tuple[int, ...] | None, tuple[int, ...] | None]] = {}


def _fold_word(word: str) -> tuple[str, tuple[int, ...] | None, tuple[int, ...] | None]:
    """A word (no white space, nothing invisible) folded one character with its marks at a time:
    ``(folded, starts, ends)``, the offsets relative to the word, both None when each character folds
    to exactly one. Remembered: the words of a text repeat, and most fold the same way every time."""
    result = _folded_words.get(word)
    if result is not None:
        return result
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i, n = 0, len(word)
    while i < n:
        j = i + 1
        while j < n and _is_mark(word[j]):
            j += 1
        folded = "".join(c for c in _fold(word[i:j]) if c not in _INVISIBLE and not c.isspace())
        out.append(folded)
        starts.extend([i] * len(folded))
        ends.extend([j] * len(folded))
        i = j
    folded = "".join(out)
    one_to_one = len(folded) == n and starts == list(range(n)) and ends == list(range(1, n + 1))
    result = (folded, None, None) if one_to_one else (folded, tuple(starts), tuple(ends))
    if len(_folded_words) >= _WORD_CACHE_SIZE:
        _folded_words.clear()
    _folded_words[word] = result
    return result


def _normalized(text: str) -> NormalizedText:
    """The work of ``normalized``: the text is read word by word (the runs of white space and of
    invisible characters between words are folded to one space, or dropped)."""
    out: list[str] = []
    starts, ends = array("l"), array("l")
    space_at = -1  # where the white space before the next word began, if there was some
    for match in _TOKEN.finditer(text):
        kind = match.lastindex
        if kind == 2:
            if space_at < 0:
                space_at = match.start()
            continue
        if kind == 3:
            continue
        word, i = match.group(kind), match.start()
        if kind == 1 or (word.isascii() and "`" not in word):
            folded, word_starts, word_ends = word.lower(), None, None
        else:
            folded, word_starts, word_ends = _fold_word(word)
            if not folded:
                continue
        if space_at >= 0:
            if out:
                out.append(" ")
                starts.append(space_at)
                ends.append(space_at + 1)
            space_at = -1
        out.append(folded)
        if word_starts is None:
            starts.extend(range(i, i + len(word)))
            ends.extend(range(i + 1, i + len(word) + 1))
        else:
            starts.extend([i + k for k in word_starts])
            ends.extend([i + k for k in word_ends])
    return NormalizedText(text, "".join(out), starts, ends)


@lru_cache(maxsize=4)
def normalized(text: str) -> NormalizedText:
    """``text`` normalized, remembered for the last few texts: a source's text is normalized once for
    all the claims that are looked for in it (an edit of the text relocates every claim's span)."""
    return _normalized(text)


def normalize_with_map(text: str) -> tuple[str, list[int]]:
    """Return the normalized text and, for each of its characters, the index it came from.

    The map has one extra entry at the end, ``len(text)``, so that an end offset can be mapped too.
    """
    result = normalized(text)
    return result.folded, [*result.starts, len(text)]


def normalize(text: str) -> str:
    """The one normalisation of Factbase, for every comparison of quotes, names and texts: typographic
    quotes, apostrophes and dashes made plain, invisible characters dropped, NFKC and case folding
    (a character and its combining marks as one), white space folded to one space; stripped."""
    return _normalized(text).folded.strip()


def find_quote_all(text: str, quote: str) -> list[Span]:
    """Every place where ``quote`` occurs in ``text``, in order, despite typographic differences."""
    if not text:
        return []
    return normalized(text).find_all(quote)


def find_quote(text: str, quote: str, near: int | None = None) -> Span | None:
    """Where ``quote`` occurs in ``text``, or None.

    A phrase may occur more than once. The rule: without a hint, the first occurrence; with a hint
    ``near`` (an offset into ``text``, e.g. the span the claim had before), the occurrence that starts
    closest to it, the earlier one on a tie.
    """
    if not text:
        return None
    return normalized(text).find(quote, near)


# --- dates ---------------------------------------------------------------------------------------

class Precision:
    DAY = "day"
    MONTH = "month"
    YEAR = "year"


_WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})


class DateExpressionError(ValueError):
    """The expression is not one this module understands."""


def truncate_date(value: date, precision: str) -> date:
    """The canonical date stored for a precision: the first of the month, or January 1."""
    if precision == Precision.YEAR:
        return value.replace(month=1, day=1)
    if precision == Precision.MONTH:
        return value.replace(day=1)
    return value


def resolve_date(expression: str, reference: date) -> tuple[date, str]:
    """Resolve a date as a source gives it against the source's own date.

    Returns ``(date, precision)``; month and year precision store the first day of the period.

    Understood: an ISO date ``2022-01-07``, ``today``, ``yesterday``, a weekday (``on Friday``: the most
    recent such day on or before the reference date, as news writing uses it), a day of a month with or
    without a year (``on January 6``, ``6 January 2022``; without a year, the latest such day on or
    before the reference date), a month (``in March 2019``, ``in March``), a year (``in 2019``).
    """
    text = expression.strip().lower().rstrip(".")
    text = re.sub(r"^(on|in|during|since|last)\s+", "", text)
    text = re.sub(r"^the\s+", "", text)

    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text)
    if m:
        return _date(int(m[1]), int(m[2]), int(m[3])), Precision.DAY
    if text == "today":
        return reference, Precision.DAY
    if text == "yesterday":
        return reference - timedelta(days=1), Precision.DAY
    if text in _WEEKDAYS:
        back = (reference.weekday() - _WEEKDAYS[text]) % 7
        return reference - timedelta(days=back), Precision.DAY

    m = re.fullmatch(r"([a-z]+)\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?", text) or None
    if m and m[1] in _MONTHS:
        return _day_in_month(int(m[2]), _MONTHS[m[1]], m[3], reference), Precision.DAY
    m = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([a-z]+)(?:,?\s+(\d{4}))?", text)
    if m and m[2] in _MONTHS:
        return _day_in_month(int(m[1]), _MONTHS[m[2]], m[3], reference), Precision.DAY

    m = re.fullmatch(r"([a-z]+)(?:\s+(\d{4}))?", text)
    if m and m[1] in _MONTHS:
        month = _MONTHS[m[1]]
        if m[2]:
            year = int(m[2])
        else:
            year = reference.year if month <= reference.month else reference.year - 1
        return _date(year, month, 1), Precision.MONTH
    m = re.fullmatch(r"(\d{4})", text)
    if m:
        return _date(int(m[1]), 1, 1), Precision.YEAR
    raise DateExpressionError(f"Cannot resolve the date expression {expression!r}.")


def _date(year: int, month: int, day: int) -> date:
    """A date, or DateExpressionError when there is no such day (2022-02-30, year 0)."""
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise DateExpressionError(str(exc)) from exc


def _day_in_month(day: int, month: int, year: str | None, reference: date) -> date:
    try:
        if year:
            return date(int(year), month, day)
        date(2000, month, day)  # a day that exists in some year (2000 was a leap year)
        year_ = reference.year
        while True:  # the latest such day on or before the reference: February 29 goes back to a leap year
            try:
                candidate = date(year_, month, day)
            except ValueError:
                year_ -= 1
                continue
            if candidate <= reference:
                return candidate
            year_ -= 1
    except ValueError as exc:
        raise DateExpressionError(str(exc)) from exc
