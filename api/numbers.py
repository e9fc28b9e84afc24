"""Whole numbers and dates as clients write them: with the ASCII digits 0-9 alone.

``str.isdigit()`` is true for characters that ``int()`` refuses (``"²"``), and ``int()`` reads the digits
of other scripts as numbers (``"١"`` and ``"１"`` are 1): testing with one and converting with the
other made a 500 of some inputs and served a record or a page the client did not name for others.
An id, a page size, a numeric filter or a date is written in 0-9 here, or it is not one.
"""

from __future__ import annotations

import re
from datetime import date

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
