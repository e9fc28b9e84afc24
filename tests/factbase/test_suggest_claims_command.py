"""manage.py suggest_claims: a text's suggested claims as interchange records, which import_claims loads."""

import json
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from factbase import services
from factbase.models import Actor, Claim, Outlet, Source
from tests.suggestion_fakes import ANONYMOUS, PARAPHRASE, QUOTE, TEXT, fake_extractor  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def suggest(tmp_path, text=TEXT, *options):
    article = tmp_path / "article.txt"
    article.write_text(text, encoding="utf-8")
    out = tmp_path / "suggested.ndjson"
    call_command("suggest_claims", str(article), "--published-on", "2022-01-08", "-o", str(out), *options)
    return out, [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def test_suggestions_are_written_as_records_and_import_back_as_claims(tmp_path, fake_extractor, editor):
    jane = services.actor_create(name="Jane Doe", kind="person", aliases=["Mayor Doe"])
    out, records = suggest(tmp_path, TEXT, "--title", "Springfield votes", "--language", "en", "--outlet", "Daily")
    assert [r["text"] for r in records] == [QUOTE, PARAPHRASE]  # the third names no speaker: left out
    quote, paraphrase = records
    assert quote["speaker"] == {"name": "Jane Doe", "kind": "person"}
    assert (quote["stated_on"], quote["stated_on_precision"], quote["speaker_role"]) == ("2022-01-07", "day",
                                                                                           "mayor of Springfield")
    assert quote["source"]["text"] == TEXT and "text" not in paraphrase["source"]  # the text once
    assert quote["span"] == {"start": TEXT.index(QUOTE), "end": TEXT.index(QUOTE) + len(QUOTE), "exact": QUOTE}
    assert quote["note"].startswith("Accepted suggestion: “said” by Jane Doe")
    assert paraphrase["kind"] == "paraphrase" and paraphrase["outlet"] == {"name": "Channel 5"}

    call_command("import_claims", str(out), "--user", "editor")
    source = Source.objects.get(title="Springfield votes")
    assert (source.text, source.published_on, source.language, source.outlet.name) == (
        TEXT, date(2022, 1, 8), "en", "Daily")
    imported = {c.text: c for c in Claim.objects.filter(source=source)}
    assert set(imported) == {QUOTE, PARAPHRASE}
    assert imported[QUOTE].speaker == jane and imported[QUOTE].span_start == TEXT.index(QUOTE)
    assert imported[QUOTE].stated_on == date(2022, 1, 7)
    john = imported[PARAPHRASE]
    assert john.speaker.name == "John Roe" and john.kind == "paraphrase" and john.span_exact == PARAPHRASE
    assert john.outlet == Outlet.objects.get(name="Channel 5")
    assert Actor.objects.filter(name="Jane Doe").count() == 1
    # Imported again: nothing changes.
    call_command("import_claims", str(out), "--user", "editor")
    assert Claim.objects.filter(source=source).count() == 2


def test_json_output_and_an_obvious_quote_with_the_real_extractor(tmp_path, editor):
    article = tmp_path / "article.txt"
    article.write_text('"We will win," said Jane Doe.', encoding="utf-8")
    out = tmp_path / "suggested.json"
    call_command("suggest_claims", str(article), "--published-on", "2022-01-08", "--title", "Obvious", "-o", str(out))
    records = json.loads(out.read_text())["claims"]
    assert len(records) == 1 and records[0]["text"].strip(" ,") == "We will win"
    call_command("import_claims", str(out))
    claim = Claim.objects.get()
    assert "Jane Doe" in claim.speaker.name and claim.source.title == "Obvious"


def test_bad_arguments_are_refused(tmp_path, fake_extractor):
    article = tmp_path / "article.txt"
    article.write_bytes(b"\xff\xfe not utf-8")
    with pytest.raises(CommandError, match="UTF-8"):
        call_command("suggest_claims", str(article), "--published-on", "2022-01-08")
    with pytest.raises(CommandError, match="published-on"):
        call_command("suggest_claims", str(article), "--published-on", "2022-02-30")
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("suggest_claims", str(tmp_path / "missing.txt"), "--published-on", "2022-01-08")
    with pytest.raises(CommandError, match="format"):
        call_command("suggest_claims", str(article), "--published-on", "2022-01-08", "-o", str(tmp_path / "x.csv"))
