"""Helpers for the version 1 API tests."""

import pytest
from django.db import connection

BASE = "/api/v1/"

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="tests the SQLite path")


def url(resource, pk=None, suffix=""):
    path = f"{BASE}{resource}/"
    if pk is not None:
        path += f"{pk}/"
    if suffix:
        path += f"{suffix}/"
    return path


def ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def walk(client, first_url, key="id"):
    """Follow ``next`` links from ``first_url``; then, from the last page, ``previous`` links back.

    Returns (ids seen going forward, ids seen going back in display order, pages forward).
    """
    forward, pages, page_url, last = [], 0, first_url, None
    while page_url:
        response = client.get(page_url)
        assert response.status_code == 200, response.content
        body = response.json()
        forward += [row[key] for row in body["results"]]
        pages += 1
        assert pages < 1000, "the pages never end"
        last, page_url = body, body["next"]
    backward_pages = []
    page_url = last["previous"]
    count = 0
    while page_url:
        response = client.get(page_url)
        assert response.status_code == 200, response.content
        body = response.json()
        backward_pages.insert(0, [row[key] for row in body["results"]])
        page_url = body["previous"]
        count += 1
        assert count < 1000
    backward = [pk for page in backward_pages for pk in page] + [row[key] for row in last["results"]]
    return forward, backward, pages
