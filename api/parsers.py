from rest_framework import parsers
from rest_framework.exceptions import ParseError


def _storable(value) -> bool:
    """Whether every string in a parsed JSON document can be stored (no lone surrogate like ``"\\ud800"``)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        return all(_storable(k) and _storable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_storable(item) for item in value)
    return True


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing text that no database can store (400 rather than a 500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if not _storable(data):
            raise ParseError("JSON parse error - a string contains a lone surrogate (an escape from \\ud800 to \\udfff).")
        return data
