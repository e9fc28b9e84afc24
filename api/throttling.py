"""Request rates per anonymous client (by address) and per user.

The rates are ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (set from ``DJANGO_THROTTLE_ANON`` and
``DJANGO_THROTTLE_USER``). DRF's own classes read the rates once, at import; these read them on
every request, so that a test or a benchmark can change them with the settings alone.
A throttled request gets 429 with a ``Retry-After`` header (seconds).
"""

from rest_framework import throttling
from rest_framework.settings import api_settings


class _CurrentRatesMixin:
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class AnonThrottle(_CurrentRatesMixin, throttling.AnonRateThrottle):
    """Anonymous requests, counted per client address."""


class UserThrottle(_CurrentRatesMixin, throttling.UserRateThrottle):
    """Authenticated requests, counted per user."""
