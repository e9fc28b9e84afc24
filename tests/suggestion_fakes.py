"""A text with known attributions, for the tests of suggested claims: the extractor (``factbase.attribution``)
is replaced by one that returns these, so the tests hold whatever the real extractor's rules become."""

from __future__ import annotations

import pytest

from factbase import attribution, services
from factbase.attribution import Attribution
from factbase.provenance import Span

TEXT = (
    "“We will win this election,” said Jane Doe, the mayor of Springfield, on Friday.\n\n"
    "Critics were not convinced. The city will raise taxes next year, John Roe told Channel 5 on Tuesday.\n\n"
    "“Nobody asked us,” a resident said."
)
PUBLISHED_ON = "2022-01-08"  # a Saturday: "on Friday" is 2022-01-07, "on Tuesday" 2022-01-04

QUOTE = "We will win this election,"
PARAPHRASE = "The city will raise taxes next year"
ANONYMOUS = "Nobody asked us,"


def span(text: str, part: str, after: int = 0) -> Span:
    start = text.index(part, after)
    return Span(start, start + len(part), part)


def attributions(text: str = TEXT) -> list[Attribution]:
    """What a good extractor finds in ``TEXT``: a quote by Jane Doe (role, date), a paraphrase by John Roe on
    an outlet, and a quote whose speaker is not named."""
    return [
        Attribution(content=span(text, QUOTE), kind=attribution.DIRECT_QUOTE, cue=span(text, "said"),
                    speaker=span(text, "Jane Doe"), speaker_name="Jane Doe", role="mayor of Springfield",
                    date_phrase="on Friday"),
        Attribution(content=span(text, PARAPHRASE), kind=attribution.PARAPHRASE, cue=span(text, "told"),
                    speaker=span(text, "John Roe"), speaker_name="John Roe", outlet="Channel 5",
                    date_phrase="on Tuesday"),
        Attribution(content=span(text, ANONYMOUS), kind=attribution.DIRECT_QUOTE,
                    cue=span(text, "said", text.index(ANONYMOUS)), speaker=span(text, "a resident"),
                    speaker_name=""),
    ]


@pytest.fixture
def fake_extractor(monkeypatch):
    """``factbase.attribution.extract`` answering ``attributions()`` for ``TEXT`` or a text that holds its
    sentences (an edit of it), nothing for another text; the names it was given are kept in ``calls``."""
    calls = []

    def extract(text, *, names=()):
        calls.append(list(names))
        return attributions(text) if all(part in text for part in (QUOTE, PARAPHRASE, ANONYMOUS)) else []

    monkeypatch.setattr(attribution, "extract", extract)
    return calls


@pytest.fixture
def suggest_source(db):
    return services.source_create(title="Springfield votes", published_on=PUBLISHED_ON, language="en", text=TEXT)
