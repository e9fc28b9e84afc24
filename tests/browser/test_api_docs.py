"""The integrator's path, in a real browser cut off from the internet: the Swagger UI and Redoc pages
list every operation and load nothing from outside the server, "Try it out" runs a filtered list
against the server, and the browsable API shows a claim's JSON."""

import json
from urllib.parse import urlsplit

import pytest

from factbase.models import Actor, Claim

try:
    from playwright.sync_api import expect
except ImportError:  # the ``browser`` fixture skips (or fails) with the reason
    expect = None

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESOURCES = ["claims", "actors", "outlets", "sources", "reviews", "tags"]
# What every resource offers (operation ids as drf-spectacular names them: <resource>_<action>).
ACTIONS = ["list", "create", "retrieve", "update", "partial_update", "destroy", "history_list"]


def schema_operations(tab, version="v1"):
    """(method, path, tag, operation id) of every operation in the served OpenAPI schema."""
    schema = tab.page.request.get(tab.base_url + f"/api/{version}/schema/?format=json").json()
    return {
        (method.upper(), path, (operation.get("tags") or ["default"])[0], operation["operationId"])
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    }


def assert_only_the_server_was_asked(tab, live_server):
    assert urlsplit(live_server.url).hostname == "127.0.0.1"
    assert tab.outside_requests == [], f"requests left 127.0.0.1: {tab.outside_requests}"


def claims_spoken_by(name_part):
    """The claims the ``speaker_name`` filter should find: a part of the speaker's name or of an alias."""
    part = name_part.casefold()
    speakers = [a.pk for a in Actor.objects.all()
                if part in a.name.casefold() or any(part in alias.casefold() for alias in a.aliases)]
    return set(Claim.objects.filter(speaker__in=speakers).values_list("pk", flat=True))


def shot_name(name, version):
    return name if version == "v1" else f"{name}-{version}"


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_swagger_ui_lists_every_operation_and_tries_a_filtered_claim_list(open_tab, seeded, live_server, version):
    tab = open_tab()
    page = tab.page
    tab.goto(f"/api/{version}/docs/")
    expect(page.locator(".opblock").first).to_be_visible()
    expected = schema_operations(tab, version)

    listed = page.locator(".opblock").evaluate_all("""blocks => blocks.map(block => [
        block.querySelector('.opblock-summary-method').textContent,
        block.querySelector('.opblock-summary-path').dataset.path,
        block.id])""")
    assert {(method, path) for method, path, _ in listed} == {(method, path) for method, path, _, _ in expected}
    for resource in RESOURCES:
        expect(page.locator(f'.opblock-tag[data-tag="{resource}"]')).to_be_visible()
        for action in ACTIONS:
            expect(page.locator(f"#operations-{resource}-{resource}_{action}")).to_be_visible()
    tab.shot(shot_name("api-01-swagger-ui-operations", version),
             between=(page.locator(".information-container"), page.locator(".opblock-tag-section").last))

    operation = page.locator("#operations-claims-claims_list")
    operation.locator(".opblock-summary-control").click()
    operation.locator("button.try-out__btn").click()
    # Only what the user types is sent: the parameters' examples do not come along.
    expect(operation.locator('tr[data-param-name="cursor"] input')).to_have_value("")
    operation.locator('tr[data-param-name="speaker_name"] input').fill("tokayev")
    operation.locator("button.execute").click()

    response = operation.locator(".live-responses-table tr.response")
    expect(response.locator(".response-col_status")).to_have_text("200")
    expect(operation.locator(".request-url pre")).to_have_text(
        f"{live_server.url}/api/{version}/claims/?speaker_name=tokayev")
    body = json.loads(response.locator(".highlight-code code").first.text_content())
    found = {claim["id"] for claim in body["results"]}
    assert found == claims_spoken_by("tokayev") and len(found) == 3
    assert {claim["speaker"]["name"] for claim in body["results"]} == {"Kassym-Yomart Tokayev"}
    assert body["next"] is None
    tab.shot(shot_name("api-02-swagger-try-it-out-claims-by-speaker", version), between=(operation, response))

    assert_only_the_server_was_asked(tab, live_server)


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_redoc_lists_every_operation_without_the_internet(open_tab, seeded, live_server, version):
    tab = open_tab()
    page = tab.page
    tab.goto(f"/api/{version}/redoc/")
    expect(page.locator('[data-section-id="tag/claims"]')).to_be_attached()
    expected = schema_operations(tab, version)

    menu = set(page.locator("[data-item-id]").evaluate_all("items => items.map(i => i.dataset.itemId)"))
    for _, _, tag, operation_id in expected:
        assert (f"tag/{tag}/operation/{operation_id}" in menu or f"operation/{operation_id}" in menu), operation_id
    for resource in RESOURCES:
        assert f"tag/{resource}" in menu
        for action in ACTIONS:
            assert f"tag/{resource}/operation/{resource}_{action}" in menu
    tab.shot(shot_name("api-03-redoc", version), full_page=False)

    page.locator('[data-item-id="tag/claims"]').click()
    page.locator('[data-item-id="tag/claims/operation/claims_list"]').click()
    section = page.locator('[data-section-id="tag/claims/operation/claims_list"]')
    expect(section).to_be_in_viewport()
    expect(section).to_contain_text("speaker_name")
    tab.shot(shot_name("api-04-redoc-claims-list", version), full_page=False)

    assert_only_the_server_was_asked(tab, live_server)


def test_the_browsable_api_shows_a_claims_json(open_tab, seeded, live_server):
    tab = open_tab()
    page = tab.page
    claim = Claim.objects.get(text="I think the question is, did Tokayev not trust the army?")

    response = tab.goto(f"/api/v1/claims/{claim.pk}/")
    assert "text/html" in response.request.headers["accept"]
    assert response.status == 200 and response.headers["content-type"].startswith("text/html")
    shown = page.locator(".response-info pre").text_content()
    assert shown.startswith("HTTP 200 OK")
    data = json.loads(shown[shown.index("{"):])
    assert data["id"] == claim.pk and data["text"] == claim.text
    assert data["speaker"]["name"] == "Jennifer Brick Murtazashvili"
    assert data["span"] == {"start": claim.span_start, "end": claim.span_end, "exact": claim.span_exact}
    tab.shot("api-05-browsable-api-claim")

    assert_only_the_server_was_asked(tab, live_server)
