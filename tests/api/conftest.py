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
