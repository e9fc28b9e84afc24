"""The JSON parser of request bodies: DRF's, refusing (400) what no field can take and no database can store.

- a document nested deeper than ``MAX_DEPTH`` arrays and objects: no body of this API goes past three
  levels (an object, a list of names, a name), and Python's parser recurses once a level (a body of
  100,000 ``[`` was a ``RecursionError``, a 500);
- a string with a lone surrogate (``"\\ud800"``): valid JSON, but not text that UTF-8, and so no
  database, can hold.

(``NaN`` and ``Infinity`` DRF refuses already; a number too large for a float, ``1e400``, is read as
infinity and refused by the serializers, naming the field: ``api.serializers.StrictInputMixin``.)

``json_problem`` checks a parsed document without recursion; the cursors of the paginator and the write
serializers (for infinite numbers) use it too.
"""

from __future__ import annotations

import math

from rest_framework import parsers
from rest_framework.exceptions import ParseError

#: the deepest nesting of arrays and objects a JSON body may have (the outer object is level 1)
MAX_DEPTH = 32

NESTED_TOO_DEEPLY = (f"the document is nested deeper than {MAX_DEPTH} levels (arrays and objects within each "
                     f"other); no field of this API takes that.")


def _storable_text(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def json_problem(document, max_depth: int = MAX_DEPTH, *, finite: bool = False) -> str | None:
    """What makes a parsed JSON ``document`` unfit (too deep, a lone surrogate; with ``finite``, an infinite
    number), or None. Iterative: a document of any depth is walked without recursion.
    """
    stack = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if not _storable_text(value):
                return "a string contains a lone surrogate (an escape from \\ud800 to \\udfff)."
        elif isinstance(value, float):
            if finite and not math.isfinite(value):
                return "a number is too large to be read (e.g. 1e400)."
        elif isinstance(value, (dict, list)):
            if depth > max_depth:
                return NESTED_TOO_DEEPLY
            if isinstance(value, dict):
                for key, item in value.items():
                    stack.append((key, depth))
                    stack.append((item, depth + 1))
            else:
                stack.extend((item, depth + 1) for item in value)
    return None


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing what ``json_problem`` finds (400 rather than a 500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            # Python's parser gave up on a document nested past its recursion limit (about 1,000 levels).
            raise ParseError(f"JSON parse error - {NESTED_TOO_DEEPLY}") from None
        problem = json_problem(data)
        if problem:
            raise ParseError(f"JSON parse error - {problem}")
        return data
