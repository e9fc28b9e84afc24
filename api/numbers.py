"""Whole numbers and dates as clients write them: with the ASCII digits 0-9 alone.

``str.isdigit()`` is true for characters that ``int()`` refuses (``"²"``), and ``int()`` reads the digits
of other scripts as numbers (``"١"`` and ``"１"`` are 1): testing with one and converting with the
other made a 500 of some inputs and served a record or a page the client did not name for others.
An id, a page size, a numeric filter or a date is written in 0-9 here, or it is not one.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone

MAX_BIGINT = 2**63 - 1
#: white space a client may leave around a number (ASCII only: no Unicode spaces)
ASCII_SPACE = " \t\r\n"

_DIGITS = re.compile(r"[0-9]+")
_SIGNED = re.compile(r"-?[0-9]+")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
#: more digits than this (leading zeros aside) is past any number the API takes; int() is not asked to
#: read a string of 5,000 digits (Python refuses past 4,300, with a ValueError)
_MAX_DIGITS = 30


def whole_number(text: str, *, signed: bool = False) -> int | None:
    """The number ``text`` writes in ASCII digits (``-`` first when ``signed``), or None.

    Leading zeros are allowed (``"007"`` is 7); a number of more than 30 significant digits is None.
    """
    if not isinstance(text, str) or not (_SIGNED if signed else _DIGITS).fullmatch(text):
        return None
    negative = text.startswith("-")
    digits = text.lstrip("-").lstrip("0") or "0"
    if len(digits) > _MAX_DIGITS:
        return None
    return -int(digits) if negative else int(digits)


def parse_id(text: str) -> int | None:
    """A record's id (1 to the largest bigint) written in ASCII digits, ASCII white space around it allowed."""
    value = whole_number(text.strip(ASCII_SPACE)) if isinstance(text, str) else None
    return value if value is not None and 1 <= value <= MAX_BIGINT else None


def iso_date(text: str) -> date | None:
    """The date ``text`` writes as ``YYYY-MM-DD`` in ASCII digits, or None (not a date, or no such day)."""
    if not isinstance(text, str) or not _ISO_DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


# A date-time in ISO 8601 with a time zone: 2024-05-01T12:00:00Z, 2024-05-01T14:00:00.5+02:00.
_ISO_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
                           r"(Z|z|[+-][0-9]{2}:?[0-9]{2})")

_SPACED_OFFSET = re.compile(r"(?<=[0-9]) [0-9]{2}:?[0-9]{2}$")


def iso_datetime(text: str) -> datetime | None:
    """The moment ``text`` writes in ISO 8601 with a time zone (``Z`` or an offset), in UTC; None when it is not
    one, or names no time zone (a naive time is a guess of the server's zone, so it is refused), or falls
    outside the years 1 to 9999 in UTC."""
    if isinstance(text, str) and _SPACED_OFFSET.search(text):
        # An unencoded "+" in a query string arrives as a space: "12:00:00 02:00" was "12:00:00+02:00".
        text = text[:-len(_SPACED_OFFSET.search(text).group())] + "+" + _SPACED_OFFSET.search(text).group()[1:]
    if not isinstance(text, str) or not _ISO_DATETIME.fullmatch(text):
        return None
    try:
        parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1] in "Zz" else text)
        return parsed.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        return None
