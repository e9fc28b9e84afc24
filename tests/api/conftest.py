"""Fixtures for the API tests: clients in each role, and throttles out of the way."""

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

HIGH_RATES = {"anon": "100000/minute", "user": "100000/minute"}


@pytest.fixture(autouse=True)
def api_settings(settings):
    """Rates high enough that only the throttling tests meet them (they lower them again)."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": dict(HIGH_RATES)}
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast users
    cache.clear()
    yield settings
    cache.clear()


def _client_for(user):
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def anon_client():
    return APIClient()


@pytest.fixture
def editor_client(editor):
    return _client_for(editor)


@pytest.fixture
def contributor_client(contributor):
    return _client_for(contributor)


@pytest.fixture
def reader_client(reader):
    return _client_for(reader)


@pytest.fixture
def superuser_client(superuser):
    return _client_for(superuser)


@pytest.fixture
def keep_the_test_connection():
    """Like Django's test client: a request sent to the WSGI application itself (schemathesis, a hand-made
    environ) must not close the connection that holds the test's transaction."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
