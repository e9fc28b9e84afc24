"""Pure functions about where a claim comes from: find a quote in a source text, resolve a date.

Nothing here touches the database, so every rule can be tested on plain strings.

Quotes are matched on a *normalized* copy of both texts (white space folded to one space,
typographic quotes, apostrophes and dashes made plain, case folded) while a map from each
normalized character back to its index in the original text is kept, so the span that is
returned slices the text exactly as it is stored.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

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


@dataclass(frozen=True)
class Span:
    """A slice of a source text: ``text[start:end] == exact``."""

    start: int
    end: int
    exact: str


def normalize_with_map(text: str) -> tuple[str, list[int]]:
    """Return the normalized text and, for each of its characters, the index it came from.

    The map has one extra entry at the end, ``len(text)``, so that an end offset can be mapped too.
    """
    out: list[str] = []
    index_map: list[int] = []
    for i, ch in enumerate(text):
        if ch in _INVISIBLE:
            continue
        if ch.isspace():
            if out and out[-1] != " ":
                out.append(" ")
                index_map.append(i)
            continue
        plain = _PLAIN.get(ch)
        if plain is None:
            plain = unicodedata.normalize("NFKC", ch).casefold()
        for p in plain:
            out.append(p)
            index_map.append(i)
    index_map.append(len(text))
    return "".join(out), index_map


def normalize(text: str) -> str:
    """The normalized form of a text, without the map; leading and trailing space removed."""
    return normalize_with_map(text)[0].strip()


def find_quote_all(text: str, quote: str) -> list[Span]:
    """Every place where ``quote`` occurs in ``text``, in order, despite typographic differences."""
    needle = normalize(quote)
    if not needle or not text:
        return []
    haystack, index_map = normalize_with_map(text)
    spans = []
    pos = haystack.find(needle)
    while pos != -1:
        start = index_map[pos]
        end = index_map[pos + len(needle) - 1] + 1
        spans.append(Span(start, end, text[start:end]))
        pos = haystack.find(needle, pos + 1)
    return spans


def find_quote(text: str, quote: str, near: int | None = None) -> Span | None:
    """Where ``quote`` occurs in ``text``, or None.

    A phrase may occur more than once. The rule: without a hint, the first occurrence; with a hint
    ``near`` (an offset into ``text``, e.g. the span the claim had before), the occurrence that starts
    closest to it, the earlier one on a tie.
    """
    spans = find_quote_all(text, quote)
    if not spans:
        return None
    if near is None:
        return spans[0]
    return min(spans, key=lambda s: (abs(s.start - near), s.start))


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
