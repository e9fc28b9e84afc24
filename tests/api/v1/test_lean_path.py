"""The lean read path gives the client exactly what DRF's generic path gives.

Brief related records come from one brief serializer a response, URLs from one ``reverse()`` a
response, and JSON from orjson; each must produce the same bytes as the generic way.
"""

import json

from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from api.v1.serializers import ClaimSerializer
from factbase.selectors import claim_list


def test_detail_urls_equal_those_that_reverse_gives(seed):
    request = APIRequestFactory().get("/api/v1/claims/")
    from rest_framework.request import Request
    from rest_framework.versioning import NamespaceVersioning

    drf_request = Request(request)
    drf_request.version, drf_request.versioning_scheme = "v1", NamespaceVersioning()
    generic = serializers.HyperlinkedIdentityField(view_name="claim-detail")
    generic.bind("url", serializers.Serializer(context={"request": drf_request}))
    data = ClaimSerializer(claim_list(), many=True, context={"request": drf_request}).data
    for claim, row in zip(claim_list(), data):
        assert row["url"] == generic.to_representation(claim)
        assert row["url"].endswith(f"/api/v1/claims/{claim.pk}/")


def test_the_list_renders_as_drf_json_would(anon_client, seed):
    response = anon_client.get("/api/v1/claims/?page_size=500")
    body = response.content
    parsed = json.loads(body)
    assert len(parsed["results"]) == 18
    # Compact and UTF-8, as DRF's own JSONRenderer writes it (ensure_ascii off, no spaces).
    assert body == json.dumps(parsed, ensure_ascii=False, separators=(",", ":")).encode()
    assert "’" in body.decode()  # typographic apostrophes stay as they are, not \\u2019


def test_brief_forms_are_the_same_for_every_row(anon_client, seed):
    results = anon_client.get("/api/v1/claims/?page_size=500").json()["results"]
    speakers = {}
    for row in results:
        speaker = row["speaker"]
        assert set(speaker) == {"id", "url", "name", "kind"}
        assert speakers.setdefault(speaker["id"], speaker) == speaker
        assert speaker["url"].endswith(f"/api/v1/actors/{speaker['id']}/")
        assert [set(t) for t in row["tags"]] == [{"id", "url", "name", "slug"}] * len(row["tags"])
