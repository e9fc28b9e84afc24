"""Request rates per anonymous client (by address) and per user.

The rates are ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (set from ``DJANGO_THROTTLE_ANON`` and
``DJANGO_THROTTLE_USER``), read on every request, so that a test or a benchmark can change them with the
settings alone. A throttled request gets 429 with a ``Retry-After`` header (seconds).

**How requests are counted.** A rate of N a period allows N requests in each window of that period
(windows start at whole multiples of the period since the epoch: each minute, hour or day); the
429's ``Retry-After`` is the time left in the window. Each request adds one to its window's counter
with the cache's atomic increment (``INCR`` in Redis), so requests that arrive together are each
counted, whatever the number of processes and threads. DRF's own throttles read a list of recent
request times, add one and write it back: two requests that meet both read the same list and one is
lost, so a burst of concurrent requests passes the limit (encode/django-rest-framework#5181; its
documentation says as much), and the list, pickled in and out of the cache on every request, is as
long as the rate. A counter costs the same at any rate. What a window allows at its edge: N requests
at the end of one window and N at the start of the next.
"""

from rest_framework import throttling
from rest_framework.settings import api_settings


class CountingThrottle(throttling.SimpleRateThrottle):
    """A fixed-window counter in the cache: one atomic increment a request."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_end = (window + 1) * self.duration
        counter = f"{key}:{window}"
        count = None
        for _ in range(2):
            try:
                count = self.cache.incr(counter)
                break
            except ValueError:
                # The window's first request makes its counter, with its expiry; when another request made
                # it meanwhile (or the cache dropped it under memory pressure), count again.
                if self.cache.add(counter, 1, self.duration):
                    count = 1
                    break
        if count is None:  # the counter vanished twice (a cache that keeps nothing): let the request through
            return True
        return count <= self.num_requests

    def wait(self):
        return self.window_end - self.now


class AnonThrottle(CountingThrottle, throttling.AnonRateThrottle):
    """Anonymous requests, counted per client address."""


class UserThrottle(CountingThrottle, throttling.UserRateThrottle):
    """Authenticated requests, counted per user."""
