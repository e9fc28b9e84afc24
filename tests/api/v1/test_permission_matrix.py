"""Who may write what: every role against every write of the API and every page of the admin.

Roles: anonymous, an authenticated user without rights (``reader``), a contributor (add and change),
an editor (add, change, delete, status), a superuser. Each case checks the answer *and* the records:
a refused write leaves them as they were, an allowed one changes them.

- API: create, replace (PUT), update part (PATCH) and delete on each of the 6 resources (5 x 6 x 4 =
  120 cases), and the claim status change (5 cases);
- admin: the add, change and delete pages of each of the 6 models (5 x 6 x 3 = 90 cases); the delete
  page is also confirmed (POST), and only those allowed actually delete.
"""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from factbase import services
from factbase.models import Actor, Claim, Outlet, Review, Source, Tag

from .helpers import url

ROLES = ["anonymous", "reader", "contributor", "editor", "superuser"]
RESOURCES = ["claims", "actors", "outlets", "sources", "reviews", "tags"]
ACTIONS = ["create", "update", "partial_update", "delete"]

ALLOWED = {
    "anonymous": set(),
    "reader": set(),
    "contributor": {"create", "update", "partial_update"},
    "editor": set(ACTIONS),
    "superuser": set(ACTIONS),
}
SUCCESS = {"create": 201, "update": 200, "partial_update": 200, "delete": 204}
DENIED = {"anonymous": 401, "reader": 403, "contributor": 403, "editor": 403, "superuser": 403}

TEXT = "The mayor said: “The bridge opens in May.” Nobody believed it."


class World:
    """Records for one case: a speaker and a source to point to, and a deletable record of each kind."""

    def __init__(self):
        self.speaker = services.actor_create(name="Mayor Example", kind=Actor.Kind.PERSON)
        self.source = services.source_create(title="Bridge news", text=TEXT, published_on="2022-01-08",
                                             language="en")
        claim = services.claim_create(speaker=self.speaker, source=self.source, text="The bridge opens in May.")
        self.targets = {
            # Nothing points to any of these, so each may be deleted.
            "claims": services.claim_create(speaker=self.speaker, source=self.source,
                                            text="Nobody believed it.", kind="paraphrase"),
            "actors": services.actor_create(name="Lone Actor", kind=Actor.Kind.PERSON),
            "outlets": services.outlet_create(name="Lone Outlet", kind="newspaper"),
            "sources": services.source_create(title="Lone source", text="Nothing quoted here."),
            "reviews": services.review_create(claim=claim, reviewer=self.speaker, rating="unsupported",
                                              rating_text="no evidence"),
            "tags": services.tag_create(name="Bridges", slug="bridges"),
        }

    def create_payload(self, resource):
        return {
            "claims": {"speaker": self.speaker.pk, "source": self.source.pk, "kind": "paraphrase",
                       "text": "The mayor promised a bridge."},
            "actors": {"name": "New Actor", "kind": "organization"},
            "outlets": {"name": "New Outlet", "kind": "website", "website": "https://example.org/"},
            "sources": {"title": "New source", "text": "Some text."},
            "reviews": {"claim": self.targets["claims"].pk, "reviewer": self.speaker.pk, "rating": "false",
                        "rating_text": "wrong"},
            "tags": {"name": "New tag", "slug": "new-tag"},
        }[resource]

    def put_payload(self, resource):
        return {
            "claims": {"speaker": self.speaker.pk, "source": self.source.pk, "kind": "paraphrase",
                       "text": "Changed: nobody believed it."},
            "actors": {"name": "Changed Actor", "kind": "person"},
            "outlets": {"name": "Changed Outlet", "kind": "newspaper"},
            "sources": {"title": "Changed source", "text": "Nothing quoted here."},
            "reviews": {"claim": self.targets["reviews"].claim_id, "reviewer": self.speaker.pk,
                        "rating": "mixed", "rating_text": "Changed"},
            "tags": {"name": "Changed tag", "slug": "bridges"},
        }[resource]

    PATCH = {
        "claims": {"text": "Changed: nobody believed it."},
        "actors": {"name": "Changed Actor"},
        "outlets": {"name": "Changed Outlet"},
        "sources": {"title": "Changed source"},
        "reviews": {"rating_text": "Changed"},
        "tags": {"name": "Changed tag"},
    }


MODELS = {"claims": Claim, "actors": Actor, "outlets": Outlet, "sources": Source, "reviews": Review, "tags": Tag}
# The field each write above changes, and its value afterwards.
CHANGED = {"claims": ("text", "Changed: nobody believed it."), "actors": ("name", "Changed Actor"),
           "outlets": ("name", "Changed Outlet"), "sources": ("title", "Changed source"),
           "reviews": ("rating_text", "Changed"), "tags": ("name", "Changed tag")}


@pytest.fixture
def world(db):
    return World()


@pytest.fixture
def client_for(request):
    def make(role):
        return request.getfixturevalue("anon_client" if role == "anonymous" else f"{role}_client")
    return make


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize("role", ROLES)
def test_api_write_matrix(client_for, world, role, resource, action):
    client = client_for(role)
    model = MODELS[resource]
    target = world.targets[resource]
    before = model.objects.count()
    field, new_value = CHANGED[resource]
    old_value = getattr(target, field)

    if action == "create":
        response = client.post(url(resource), world.create_payload(resource))
    elif action == "update":
        response = client.put(url(resource, target.pk), world.put_payload(resource))
    elif action == "partial_update":
        response = client.patch(url(resource, target.pk), World.PATCH[resource])
    else:
        response = client.delete(url(resource, target.pk))

    allowed = action in ALLOWED[role]
    expected = SUCCESS[action] if allowed else DENIED[role]
    assert response.status_code == expected, (role, resource, action, response.content)
    if response.status_code != 204:
        assert response.json(), "every answer has a JSON body"

    exists = model.objects.filter(pk=target.pk).exists()
    if action == "create":
        assert model.objects.count() == before + (1 if allowed else 0)
    elif action == "delete":
        assert exists is not allowed
        assert model.objects.count() == before - (1 if allowed else 0)
    else:
        assert exists
        assert getattr(model.objects.get(pk=target.pk), field) == (new_value if allowed else old_value)
    if not allowed and role == "anonymous":
        assert response["WWW-Authenticate"] == "Token"


STATUS_ALLOWED = {"anonymous": 401, "reader": 403, "contributor": 403, "editor": 200, "superuser": 200}


@pytest.mark.parametrize("role", ROLES)
def test_api_status_change_matrix(client_for, world, role):
    claim = world.targets["claims"]
    response = client_for(role).post(url("claims", claim.pk, "status"), {"status": "verified", "note": "Checked."})
    assert response.status_code == STATUS_ALLOWED[role], response.content
    claim.refresh_from_db()
    if response.status_code == 200:
        assert claim.status == "verified" and response.json()["status"] == "verified"
    else:
        assert claim.status == "unverified"
        assert response.json()["detail"]


# --- the admin -------------------------------------------------------------------------------------

ADMIN_MODELS = {"claims": "claim", "actors": "actor", "outlets": "outlet", "sources": "source",
                "reviews": "review", "tags": "tag"}
# What each role gets on each page: "login" (sent to the login page), 200, or 403.
ADMIN_EXPECTED = {
    "anonymous": {"add": "login", "change": "login", "delete": "login"},
    "reader": {"add": "login", "change": "login", "delete": "login"},  # not staff
    "contributor": {"add": 200, "change": 200, "delete": 403},
    "editor": {"add": 200, "change": 200, "delete": 200},
    "superuser": {"add": 200, "change": 200, "delete": 200},
}


@pytest.fixture
def admin_client_for(client, request):
    def make(role):
        if role != "anonymous":
            client.force_login(request.getfixturevalue(role))
        return client
    return make


def _admin_url(resource, page, pk=None):
    return reverse(f"admin:factbase_{ADMIN_MODELS[resource]}_{page}", args=[] if page == "add" else [pk])


@pytest.mark.parametrize("page", ["add", "change", "delete"])
@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize("role", ROLES)
def test_admin_page_matrix(admin_client_for, world, role, resource, page):
    client = admin_client_for(role)
    target = world.targets[resource]
    path = _admin_url(resource, page, target.pk)
    expected = ADMIN_EXPECTED[role][page]

    response = client.get(path)
    if expected == "login":
        assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login")), path
    else:
        assert response.status_code == expected, (role, path)

    if page == "delete":
        # Confirming the deletion deletes only for those allowed.
        response = client.post(path, {"post": "yes"})
        exists = MODELS[resource].objects.filter(pk=target.pk).exists()
        if expected == 200:
            assert response.status_code == 302 and not exists
        else:
            assert response.status_code in (302, 403) and exists
            if expected == 403:
                assert response.status_code == 403


def test_the_matrix_roles_are_what_they_say(reader, contributor, editor, superuser):
    """The fixtures behind the roles: a reader has no permission at all and is not staff."""
    assert not reader.is_staff and not User.objects.get(pk=reader.pk).get_all_permissions()
    assert contributor.has_perm("factbase.add_claim") and not contributor.has_perm("factbase.delete_claim")
    assert editor.has_perm("factbase.delete_claim") and editor.has_perm("factbase.verify_claim")
    assert not contributor.has_perm("factbase.verify_claim")
    assert superuser.is_superuser
