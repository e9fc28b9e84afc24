"""The suggested claims of a source in the admin: the page, Accept, Edit (the prefilled add form), Dismiss."""

from urllib.parse import parse_qsl, urlsplit

import pytest
from django.contrib.auth.models import Permission, User
from django.contrib.messages import get_messages
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from factbase import services
from factbase.admin.suggestions import suggestions_context
from factbase.models import Claim, SuggestionDismissal
from tests.factbase.test_admin import claim_form
from tests.suggestion_fakes import (  # noqa: F401 - fixtures
    ANONYMOUS, PARAPHRASE, QUOTE, TEXT, fake_extractor, suggest_source,
)

pytestmark = pytest.mark.django_db


def page_url(source):
    return reverse("admin:factbase_source_suggestions", args=[source.pk])


def rows_of(response):
    return {row.suggestion.content.exact: row for row in response.context["suggestions"]}


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def jane(db):
    return services.actor_create(name="Jane Doe", kind="person")


def test_the_page_lists_the_suggestions_with_their_context_and_actions(client, editor, fake_extractor,
                                                                      suggest_source, jane):
    client.force_login(editor)
    response = client.get(page_url(suggest_source))
    assert response.status_code == 200
    page = response.content.decode()
    assert set(rows_of(response)) == {QUOTE, PARAPHRASE, ANONYMOUS}
    assert '<mark class="factbase-span">We will win this election,</mark>' in page
    assert "said Jane Doe, the mayor of Springfield" in page  # the text after it
    assert reverse("admin:factbase_actor_change", args=[jane.pk]) in page  # the matched actor, linked
    assert "new actor: <strong>John Roe</strong>" in page and "new outlet: Channel 5" in page
    assert "2022-01-07 (day)" in page
    assert page.count('class="factbase-accept"') == 3 and page.count("factbase-edit") == 3
    assert page.count('class="factbase-dismiss"') == 3
    assert "Suggested claims (3)" in page


def test_the_source_page_links_to_its_suggestions(client, editor, suggest_source):
    client.force_login(editor)
    response = client.get(reverse("admin:factbase_source_change", args=[suggest_source.pk]))
    assert page_url(suggest_source) in response.content.decode()


def test_accept_makes_the_claim_and_returns_to_the_page(client, editor, fake_extractor, suggest_source, jane):
    client.force_login(editor)
    row = rows_of(client.get(page_url(suggest_source)))[QUOTE]
    response = client.post(row.accept_url, {"next": page_url(suggest_source)})
    assert response.status_code == 302 and response["Location"] == page_url(suggest_source)
    claim = Claim.objects.get(text=QUOTE)
    assert (claim.speaker, claim.status, claim.stated_on.isoformat()) == (jane, "unverified", "2022-01-07")
    assert claim.history.latest().history_change_reason == "Accepted suggestion: “said” by Jane Doe (extractor)"
    assert any(f"Claim #{claim.pk}" in m or f">#{claim.pk}<" in m for m in messages_of(response))
    after = client.get(page_url(suggest_source))
    assert QUOTE not in rows_of(after)


def test_a_stale_accept_says_so_and_changes_nothing(client, editor, fake_extractor, suggest_source):
    client.force_login(editor)
    url = reverse("admin:factbase_source_suggestion_accept", args=[suggest_source.pk, "0123456789abcdef0123"])
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == page_url(suggest_source)
    assert any("is not a suggestion of this source now" in m for m in messages_of(response))
    assert Claim.objects.count() == 0
    assert client.get(url).status_code == 405  # only POST acts


def test_next_must_be_this_site(client, editor, fake_extractor, suggest_source):
    client.force_login(editor)
    row = rows_of(client.get(page_url(suggest_source)))[QUOTE]
    response = client.post(row.dismiss_url, {"next": "https://evil.example/"})
    assert response["Location"] == page_url(suggest_source)


def test_dismiss_hides_the_suggestion(client, contributor, fake_extractor, suggest_source):
    client.force_login(contributor)
    row = rows_of(client.get(page_url(suggest_source)))[PARAPHRASE]
    response = client.post(row.dismiss_url)
    assert response.status_code == 302
    assert SuggestionDismissal.objects.get().user == contributor
    assert PARAPHRASE not in rows_of(client.get(page_url(suggest_source)))
    assert any("dismissed" in m for m in messages_of(response))


def test_edit_opens_the_add_form_filled_in_and_saving_it_records_the_suggestion(
        client, editor, fake_extractor, suggest_source, jane):
    channel = services.outlet_create(name="Channel 5", kind="broadcaster")
    john = services.actor_create(name="John Roe", kind="person")
    client.force_login(editor)
    row = rows_of(client.get(page_url(suggest_source)))[PARAPHRASE]
    response = client.get(row.edit_url)
    assert response.status_code == 200
    form = response.context["adminform"].form
    for name, value in (("source", str(suggest_source.pk)), ("text", PARAPHRASE), ("kind", "paraphrase"),
                        ("speaker", str(john.pk)), ("span_exact", PARAPHRASE), ("stated_on", "2022-01-04"),
                        ("stated_on_precision", "day"), ("outlet", str(channel.pk)),
                        ("change_reason", "Accepted suggestion: “told” by John Roe (extractor)")):
        assert str(form[name].value()) == value, name
    # The page renders those values (the editor sees them), and saving the form as it is makes the claim.
    query = dict(parse_qsl(urlsplit(row.edit_url).query))
    saved = client.post(reverse("admin:factbase_claim_add"), claim_form(**query))
    assert saved.status_code == 302, saved.context["errors"] if saved.context else saved
    claim = Claim.objects.get(text=PARAPHRASE)
    assert (claim.speaker, claim.outlet, claim.kind, claim.span_exact) == (john, channel, "paraphrase", PARAPHRASE)
    assert claim.history.latest().history_change_reason == "Accepted suggestion: “told” by John Roe (extractor)"


def test_who_may_only_read_sources_sees_the_list_but_cannot_act(client, fake_extractor, suggest_source):
    viewer = User.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_source"))
    client.force_login(viewer)
    response = client.get(page_url(suggest_source))
    assert response.status_code == 200
    assert 'class="factbase-accept"' not in response.content.decode()
    assert "needs the “add claim” permission" in response.content.decode()
    row = rows_of(response)[QUOTE]
    assert client.post(row.accept_url).status_code == 403
    assert client.post(row.dismiss_url).status_code == 403
    assert Claim.objects.count() == 0 and SuggestionDismissal.objects.count() == 0


def test_a_reader_without_admin_access_is_sent_to_log_in(client, reader, fake_extractor, suggest_source):
    client.force_login(reader)
    response = client.get(page_url(suggest_source))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    staff = User.objects.create_user("staff-only", is_staff=True)
    client.force_login(staff)
    assert client.get(page_url(suggest_source)).status_code == 403  # staff, but no permission on sources


def test_an_unknown_source_goes_back_to_the_admin(client, editor):
    client.force_login(editor)
    response = client.get(reverse("admin:factbase_source_suggestions", args=[999999]))
    assert response.status_code == 302


def test_the_list_includes_inside_another_form_with_formaction_buttons(editor, fake_extractor, suggest_source):
    request = RequestFactory().get("/admin/factbase/source/1/change/")
    request.user = editor
    context = suggestions_context(request, suggest_source, next_url="/back/", in_form=True)
    html = render_to_string("admin/factbase/source/_suggestions.html", context, request=request)
    assert "<form" not in html
    assert html.count('formaction="') == 6 and 'value="/back/"' in html


def test_a_source_without_text_says_so(client, editor, db):
    source = services.source_create(title="No text", published_on="2022-01-08")
    client.force_login(editor)
    response = client.get(page_url(source))
    assert "text is not held" in response.content.decode()
