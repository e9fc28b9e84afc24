"""The attribution extractor (factbase.attribution): who said what, where and when, found in a plain
text, and the scorer of `make bench-extract` (bench/extract.py) on a tiny brat corpus written here.

Pure functions: no database. The sentences are written for these tests (no corpus text is copied).
"""

import json
import random
from datetime import date
from pathlib import Path

import pytest

from factbase.attribution import DIRECT_QUOTE, PARAPHRASE, Attribution, extract
from factbase.provenance import find_quote, resolve_date

ROOT = Path(__file__).resolve().parents[2]
SEED_TEXT = ROOT / "fixtures" / "seed" / "000_48f74acf3997d020.txt"
SEED_JSON = ROOT / "fixtures" / "seed" / "seed.json"


def one(text: str, **kwargs) -> Attribution:
    found = extract(text, **kwargs)
    assert len(found) == 1, found
    return found[0]


def assert_spans_slice(text: str, found: list[Attribution]) -> None:
    for a in found:
        for span in (a.content, a.cue, a.speaker):
            if span is not None:
                assert 0 <= span.start <= span.end <= len(text)
                assert text[span.start:span.end] == span.exact
        assert a.kind in (DIRECT_QUOTE, PARAPHRASE)
    starts = [a.content.start for a in found]
    assert starts == sorted(starts)


# --- direct quotes ---------------------------------------------------------------------------------

def test_quote_then_speaker_and_cue():
    text = '"The plan is dead," Senator Jane Roe said on Monday.'
    a = one(text)
    assert a.kind == DIRECT_QUOTE
    assert a.content.exact == "The plan is dead,"  # without its quotation marks
    assert a.cue.exact == "said"
    assert a.speaker.exact == "Senator Jane Roe"
    assert a.speaker_name == "Jane Roe"
    assert a.role == "Senator"
    assert a.date_phrase == "on Monday"


def test_quote_then_inverted_cue_with_appositive_role():
    text = '"The plan is dead," said Jane Roe, a professor of economics at Plainfield College.'
    a = one(text)
    assert a.speaker.exact == "Jane Roe"
    assert a.role == "professor of economics at Plainfield College"


@pytest.mark.parametrize("tail, role", [
    ("a former adviser to Mr. Ivers.", "former adviser to Mr. Ivers"),
    ("for example.", ""),
    ("casting herself as a reformer.", ""),
])
def test_role_is_a_description_of_the_speaker(tail, role):
    assert one(f'"The plan is dead," said Jane Roe, {tail}').role == role


def test_speaker_and_cue_then_quote():
    text = 'Jane Roe said: "The budget will be balanced by next spring."'
    a = one(text)
    assert a.kind == DIRECT_QUOTE
    assert a.content.exact == "The budget will be balanced by next spring."
    assert a.speaker.exact == "Jane Roe"


def test_quote_split_by_he_said_is_one_stretch():
    text = "\u201cWe will win this fight,\u201d the mayor said. \u201cNobody will stop us.\u201d"
    a = one(text)
    assert a.kind == DIRECT_QUOTE
    assert a.content.exact.startswith("We will win this fight")
    assert a.content.exact.endswith("Nobody will stop us.")
    assert a.speaker.exact == "the mayor"


def test_quote_split_with_comma_frame():
    text = '"The roads are closed," he said, "and the schools will stay shut until Monday."'
    a = one(text)
    assert a.content.exact.endswith("until Monday.")
    assert a.speaker.exact == "he"


def test_two_quotes_with_their_own_speakers_stay_apart():
    text = ('"Taxes will rise," said Ana Lopes. "They will not," added Mark Ivers, the opposition leader.')
    first, second = extract(text)
    assert first.content.exact == "Taxes will rise,"
    assert first.speaker_name == "Ana Lopes"
    assert second.content.exact == "They will not,"
    assert second.speaker_name == "Mark Ivers"
    assert second.role == "opposition leader"


def test_quote_only_paragraph_continues_the_quote_before():
    text = ('"The harvest was the worst in a decade," farmer Tom Vale said.\n\n'
            '"We lost most of the wheat and half of the barley to the floods."')
    a = one(text)
    assert a.content.exact.endswith("to the floods.")
    assert a.speaker_name == "Tom Vale"


def test_nyt_double_apostrophes_are_quotation_marks():
    text = "''The vote was fair and the count was clean,'' Ms. Ana Lopes said."
    a = one(text)
    assert a.kind == DIRECT_QUOTE
    assert a.content.exact == "The vote was fair and the count was clean,"
    assert a.speaker_name == "Ana Lopes"


def test_short_scare_quote_is_not_a_direct_quote():
    text = 'The senator called the plan "a disaster" and left the room.'
    assert all(a.kind != DIRECT_QUOTE for a in extract(text))


def test_participle_cue_takes_the_subject_of_the_clause():
    text = ('In Plainfield, Mayor Ana Lopes opened the new bridge on Monday, saying, '
            '"This bridge will carry the city for a century."')
    a = one(text)
    assert a.kind == DIRECT_QUOTE
    assert a.speaker_name == "Ana Lopes"


def test_colon_frame_and_unnamed_spokesman():
    text = 'The schedule was so odd that a spokesman for Mark Ivers could only quip: "The holiday was booked."'
    a = one(text)
    assert a.content.exact == "The holiday was booked."
    assert a.speaker.exact == "a spokesman for Mark Ivers"
    assert a.speaker_name != "Mark Ivers"  # the spokesman is not Ivers


def test_quote_signed_by_the_next_paragraph():
    text = '"We will balance the budget without raising taxes on anyone."\n\n- Ana Lopes.\n\nThe claim is disputed.'
    a = one(text)
    assert a.kind == DIRECT_QUOTE
    assert a.speaker_name == "Ana Lopes"


@pytest.mark.parametrize("dash", ["\u2015", "\u2014", "-", "--"])
def test_quote_signed_in_its_own_paragraph(dash):
    text = ('Readers answered the question.\n\n'
            f'"The new bridge saved me an hour a day and I will vote for whoever built it." {dash} Ana M. Lopes.\n\n'
            f'"Nobody asked the people who live under it." {dash}\u00a0Tom Vale\n\n'
            'The bridge opened in May -- Tom Vale was there.')
    quotes = [a for a in extract(text) if a.kind == DIRECT_QUOTE]
    assert [(a.content.exact, a.speaker_name) for a in quotes] == [
        ("The new bridge saved me an hour a day and I will vote for whoever built it.", "Ana M. Lopes"),
        ("Nobody asked the people who live under it.", "Tom Vale"),
    ]


def test_a_dash_after_a_quote_inside_a_sentence_signs_nothing():
    text = 'He called the bridge "a gift" -- Tom Vale disagreed with that.'
    assert all(a.kind != DIRECT_QUOTE for a in extract(text))


# --- paraphrases -----------------------------------------------------------------------------------

def test_said_that_clause_leaves_that_out():
    a = one("Ana Lopes said on Friday that prices would fall.")
    assert a.kind == PARAPHRASE
    assert a.content.exact == "prices would fall"
    assert a.cue.exact == "said"
    assert a.date_phrase == "on Friday"


def test_adding_that_is_a_second_statement_of_the_same_speaker():
    text = '"We will win," Ana Lopes said, adding that the vote would be close.'
    quote, added = extract(text)
    assert quote.kind == DIRECT_QUOTE and quote.content.exact == "We will win,"
    assert added.kind == PARAPHRASE and added.content.exact == "the vote would be close"
    assert added.cue.exact == "adding" and added.speaker_name == "Ana Lopes"
    first, second = extract("Mark Ivers said taxes would rise, arguing that the deficit was too large.")
    assert (first.content.exact, second.content.exact) == ("taxes would rise", "the deficit was too large")


def test_content_then_speaker_said():
    a = one("The strike will end before the holidays, a union spokesman said.")
    assert a.content.exact == "The strike will end before the holidays"
    assert a.speaker.exact == "a union spokesman"


def test_content_then_said_speaker_with_role():
    text = ("The country has moved away from its old foreign policy, said Mira Olsen, "
            "a researcher at the Institute for Regional Studies.")
    a = one(text)
    assert a.content.exact == "The country has moved away from its old foreign policy"
    assert a.speaker.exact == "Mira Olsen"
    assert a.role == "researcher at the Institute for Regional Studies"


@pytest.mark.parametrize("text, content, speaker", [
    ("According to the ministry, the bridge will reopen in May.", "the bridge will reopen in May", "the ministry"),
    ("The bridge will reopen in May, according to city engineers.", "The bridge will reopen in May",
     "city engineers"),
])
def test_according_to(text, content, speaker):
    a = one(text)
    assert a.cue.exact.lower() == "according to"
    assert a.content.exact == content
    assert a.speaker.exact == speaker


def test_told_outlet_and_told_reporters():
    a = one("Mark Ivers told Radio Meridian that the strike would end soon.")
    assert a.outlet == "Radio Meridian"
    assert a.content.exact == "the strike would end soon"
    b = one("Mark Ivers told reporters that the strike would end soon.")
    assert b.outlet == ""  # reporters are not an outlet
    c = one("Prices will fall next year, Ana Lopes told Dozhd TV.")
    assert c.content.exact == "Prices will fall next year"
    assert c.outlet == "Dozhd TV"


@pytest.mark.parametrize("text, outlet", [
    ("Mark Ivers told CNN's Jake Tapper on Sunday that the strike would end.", "CNN"),
    ("Mark Ivers said on Capitol Hill that the strike would end.", ""),
    ("Mark Ivers told the FBI that the strike would end.", ""),
    ("Mark Ivers told Fox News Tuesday that the strike would end.", "Fox News"),
])
def test_outlet_is_the_medium_only(text, outlet):
    assert one(text).outlet == outlet


def test_outlet_on_named_channel_but_not_a_facebook_post():
    assert one("Speaking on Khabar 24, Dauren Abayev said the troops would leave.").outlet == "Khabar 24"
    assert one("In a Facebook post, Mark Ivers said the strike would end soon.").outlet == ""


def test_name_with_its_place_and_appositive_role():
    a = one("Republican Rep. Lee Zeldin of New York, a supporter of the bill, said it would pass.")
    assert a.speaker_name == "Lee Zeldin"
    assert a.role == "supporter of the bill"
    assert a.content.exact == "it would pass"


def test_role_before_the_name():
    a = one("Armenian Prime Minister Nikol Pashinyan said the alliance would send troops.")
    assert a.speaker.exact == "Armenian Prime Minister Nikol Pashinyan"
    assert a.speaker_name == "Nikol Pashinyan"
    assert a.role == "Armenian Prime Minister"


@pytest.mark.parametrize("text, name, role", [
    ("Former ambassador to Norway Ana Lopes said the talks would resume.", "Ana Lopes", "Former ambassador to Norway"),
    ("Journalist Mark Ivers notes that the talks would resume.", "Mark Ivers", "Journalist"),
    ("An aide to Mark Ivers said the talks would resume.", "aide to Mark Ivers", ""),
])
def test_name_and_role_of_a_titled_speaker(text, name, role):
    a = one(text)
    assert (a.speaker_name, a.role) == (name, role)


def test_pronoun_after_a_surname_met_alone_is_the_full_name():
    text = ("Secretary of State Ana Lopes arrived on Friday. Lopes warned against escalation. "
            "However, she noted that the talks would resume.")
    assert extract(text)[-1].speaker_name == "Ana Lopes"


def test_pronoun_and_surname_resolve_to_the_full_name():
    a = one("Nikol Pashinyan arrived on Tuesday. He said the talks had failed.")
    assert a.speaker.exact == "He"
    assert a.speaker_name == "Nikol Pashinyan"
    b = one("Nikol Pashinyan arrived. Later, Pashinyan said the talks had failed.")
    assert b.speaker.exact == "Pashinyan"
    assert b.speaker_name == "Nikol Pashinyan"


def test_gazetteer_names_a_surname_met_alone():
    text = "Tokayev said the order had been restored."
    assert one(text).speaker_name == "Tokayev"
    assert one(text, names=["Kassym-Yomart Tokayev", "Tokayev"]).speaker_name == "Kassym-Yomart Tokayev"


def test_a_large_gazetteer_of_other_names_changes_nothing():
    text = SEED_TEXT.read_text(encoding="utf-8")
    others = [f"Person Number{i}" for i in range(20_000)]
    assert extract(text, names=others) == extract(text)


def test_title_resolves_to_the_person_named_with_it():
    text = ("Kazakh President Kassym-Yomart Tokayev met the envoys. Troops arrived at the request of "
            "the country's president, who has vowed to restore order.")
    a = one(text)
    assert a.speaker_name == "Kassym-Yomart Tokayev"
    assert "restore order" in a.content.exact


@pytest.mark.parametrize("text, phrase", [
    ("On Friday, Ana Lopes said prices would fall.", "On Friday"),
    ("On January 6, the minister Ana Lopes said prices would fall.", "On January 6"),
    ("Ana Lopes said on Jan. 6 that prices would fall.", "on Jan 6"),
    ("Ana Lopes said prices would fall.", ""),
])
def test_date_phrase_resolves(text, phrase):
    a = one(text)
    assert a.date_phrase == phrase
    if phrase:
        resolved, _ = resolve_date(a.date_phrase, date(2022, 1, 8))
        assert resolved <= date(2022, 1, 8)


def test_date_of_the_reported_events_is_not_the_statement_date():
    text = ("Troops arrived in the capital on January 6 at the request of the country's president, "
            "who has vowed to restore order.")
    assert one(text).date_phrase == ""


def test_passive_names_no_speaker():
    assert extract("An attack on one member is considered an attack on all.") == []


@pytest.mark.parametrize("text, attributed", [
    ("The council has maintained a low profile since the vote.", False),
    ("The council has maintained that the vote was fair.", True),
    ("She refused to intervene in the strike in 2020.", False),
    ("She refused to comment on the strike in 2020.", True),
])
def test_acts_that_are_not_speech_are_not_attributions(text, attributed):
    assert bool(extract(text)) == attributed


# --- the seed article --------------------------------------------------------------------------------

def test_seed_article_claims_are_suggested_with_their_speaker():
    text = SEED_TEXT.read_text(encoding="utf-8")
    claims = json.loads(SEED_JSON.read_text(encoding="utf-8"))["claims"]
    names = sorted({n for c in claims for n in [c["speaker"]["name"], *c["speaker"].get("aliases", [])]})
    found = extract(text, names=names)
    assert_spans_slice(text, found)
    matched = []
    for claim in claims:
        span = find_quote(text, claim["text"]) or find_quote(text, claim.get("passage") or "")
        assert span is not None, claim["text"]
        speaker = claim["speaker"]
        keys = {speaker["name"].lower(), speaker["name"].split()[-1].lower(),
                *(alias.lower() for alias in speaker.get("aliases", []))}
        for a in found:
            if a.content.start < span.end and span.start < a.content.end:
                said_by = f"{a.speaker_name} {a.speaker.exact if a.speaker else ''}".lower()
                # the speaker's name or surname in what was found, or what was found in the name
                # ("local police" for "Local police in Kazakhstan")
                found_name = a.speaker_name.lower()
                if any(key in said_by for key in keys) or (found_name and found_name in speaker["name"].lower()):
                    matched.append(claim["text"])
                    break
    cues = {a.cue.exact for a in found if a.cue is not None}
    assert not cues & {"maintained", "refused"}, "a low profile, a refusal to intervene: not statements"
    print(f"seed: {len(matched)} of {len(claims)} claims suggested with the right speaker")
    assert len(claims) == 18
    assert len(matched) == 18, f"{len(matched)} of 18 seed claims with the right speaker"


# --- hostile input ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "",
    "   \n\n  ",
    "no quotes and no cues here at all",
    '"',
    '"""""',
    "\u201c\u201c\u201c said said said \u201d\u201d",
    'He said: "this quote never closes and runs on to the end of the paragraph',
    '"Unbalanced," she said. "And again," he said, "and "nested" "marks,"',
    "according to",
    "according to,",
    ", said",
    "said X, said Y, said Z.",
    "\u00abLe plan est mort\u00bb, a dit le ministre. \u201eDas ist gut\u201c, sagte er.",
    "Президент said “Мы победим всех врагов”.",
    "e\u0301 \u00e9 \u200b\u00ad said \U0001F600 \u201cemoji \U0001F600 quote here,\u201d he said.",
    "Mr. Mrs. Dr. Sen. said. said. said.",
    "\r\n\"Windows line ends,\" she said.\r\n",
])
def test_hostile_input_never_raises_and_spans_slice(text):
    found = extract(text)
    assert_spans_slice(text, found)


def test_huge_text_and_random_noise():
    rng = random.Random(15)
    alphabet = list("abcdefgh  ,.;:\"'\u201c\u201d\u2018\u2019\n") + ["said", "told", "according to", "He", "Ana Lopes"]
    noise = "".join(rng.choice(alphabet) for _ in range(20_000))
    assert_spans_slice(noise, extract(noise))
    article = ('"We will rebuild the bridge," Mayor Ana Lopes said on Monday. '
               "The works will take a year, according to city engineers.\n\n") * 400
    found = extract(article)
    assert_spans_slice(article, found)
    assert len(found) == 800


def test_deterministic():
    text = SEED_TEXT.read_text(encoding="utf-8")
    assert extract(text) == extract(text)
    assert extract(text, names=["Tokayev"]) == extract(text, names=["Tokayev"])


# --- the scorer of `make bench-extract` --------------------------------------------------------------

def _write_corpus(tmp_path: Path) -> Path:
    """A two-article brat corpus, one article annotated twice."""
    split = tmp_path / "data" / "dev"
    (split / "text").mkdir(parents=True)
    (split / "attributions").mkdir(parents=True)
    text_a = '"The harbour will reopen," Mayor Ana Lopes said. Prices will fall, officials said.'
    (split / "text" / "a.txt").write_text(text_a, encoding="utf-8")
    q_start = 0
    q_end = text_a.index(" Mayor")
    src = text_a.index("Mayor Ana Lopes")
    cue = text_a.index("said")
    p_start = text_a.index("Prices")
    p_end = text_a.index(", officials")
    o_start = text_a.index("officials")
    cue2 = text_a.rindex("said")
    ann = (
        f"T1\tContent {q_start} {q_end}\t{text_a[q_start:q_end]}\n"
        f"T2\tSource {src} {src + 15}\t{text_a[src:src + 15]}\n"
        f"T3\tCue {cue} {cue + 4}\tsaid\n"
        f"E1\tAttribution:T3 Content:T1 Cue:T3 Source:T2\n"
        f"T4\tContent {p_start} {p_end}\t{text_a[p_start:p_end]}\n"
        f"T5\tSource {o_start} {o_start + 9}\tofficials\n"
        f"T6\tCue {cue2} {cue2 + 4}\tsaid\n"
        f"E2\tAttribution:T6 Content:T4 Cue:T6 Source:T5\n"
    )
    (split / "attributions" / "a_ann1.ann").write_text(ann, encoding="utf-8")
    (split / "attributions" / "a_ann2.ann").write_text(ann, encoding="utf-8")
    text_b = 'He said: "Nobody was told about the closure of the harbour."'
    (split / "text" / "b.txt").write_text(text_b, encoding="utf-8")
    c_start = text_b.index('"')
    ann_b = (
        f"T1\tSource 0 2\tHe\n"
        f"T2\tCue 3 7\tsaid\n"
        f"T3\tContent {c_start} {len(text_b)}\t{text_b[c_start:]}\n"
        f"E1\tAttribution:T2 Content:T3 Cue:T2 Source:T1\n"
    )
    (split / "attributions" / "b_x.ann").write_text(ann_b, encoding="utf-8")
    return tmp_path


def test_scorer_on_a_tiny_brat_corpus(tmp_path):
    from bench import extract as bench

    result = bench.run(_write_corpus(tmp_path), "dev")
    assert result["articles"] == 2
    assert result["annotation_files"] == 3
    quotes = result["direct_quotes"]
    # a.txt's quote counts twice (two annotators) plus b.txt's: three gold direct quotes, all found
    assert quotes["attributions"] == 3
    assert quotes["content_overlap"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    assert quotes["content_exact"]["f1"] == 1.0
    # the speaker of b.txt is a pronoun: counted apart, not in the speaker figures
    assert quotes["pronoun_sources"]["attributions"] == 1
    assert quotes["speaker"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    everything = result["all"]
    assert everything["attributions"] == 5
    assert everything["content_overlap"]["recall"] == 1.0


def test_scorer_is_strict(tmp_path):
    """One suggestion matches one gold at most (greedy by overlap); exact strips only quotes,
    punctuation and white space; a wrong speaker is wrong."""
    from bench.extract import Gold, score_subset
    from factbase.provenance import Span

    text = '"Alpha beta gamma delta," Ana Lopes said. "Epsilon zeta," Mark Ivers said.'
    g1 = Gold(content=[(0, 25)], sources=[(26, 35)])
    mark = text.index("Mark")
    g2 = Gold(content=[(text.index('"Epsilon'), text.index(" Mark"))], sources=[(mark, mark + 10)])
    whole = Attribution(Span(1, text.index(" Mark") - 1, text[1:text.index(" Mark") - 1]), DIRECT_QUOTE,
                        speaker=Span(26, 35, "Ana Lopes"), speaker_name="Ana Lopes")
    tally = score_subset(text, [whole], [g1, g2])
    assert tally.overlap == 1  # one suggestion over two quotes matches only one of them
    assert tally.exact == 0
    inexact = Attribution(Span(1, 12, text[1:12]), DIRECT_QUOTE, speaker=Span(26, 35, "Ana Lopes"))
    tally = score_subset(text, [inexact], [g1])
    assert (tally.overlap, tally.exact, tally.speaker_right) == (1, 0, 1)
    exact_wrong_speaker = Attribution(Span(1, 24, text[1:24]), DIRECT_QUOTE, speaker_name="Mark Ivers")
    tally = score_subset(text, [exact_wrong_speaker], [g1])
    assert (tally.overlap, tally.exact, tally.speaker_right) == (1, 1, 0)
    surname_only = Attribution(Span(1, 24, text[1:24]), DIRECT_QUOTE, speaker_name="Lopes")
    assert score_subset(text, [surname_only], [g1]).speaker_right == 1


def test_scorer_refuses_test_split_and_missing_corpus(tmp_path, capsys):
    from bench import extract as bench

    with pytest.raises(SystemExit, match="test split"):
        bench.run(tmp_path, "test")
    with pytest.raises(SystemExit, match="not found"):
        bench.run(tmp_path, "dev")
    with pytest.raises(SystemExit, match="POLNEAR"):
        bench.main([str(tmp_path / "missing")])


@pytest.mark.parametrize("text, speaker", [
    ('Tom Vale met the mayor.\n\n"We will not back down on the bridge," Vale shot back with a grin.', "Vale"),
    ('Tom Vale met the mayor.\n\n"The bridge will be built by the spring," Vale answers.', "Vale"),
    ('Tom Vale met the mayor.\n\n"The bridge will be built by the spring," Vale points out.', "Vale"),
    ("Tom Vale met the mayor.\n\n''The plan was 'old-school,''' said Ana Lopes, who led the vote.", "Ana Lopes"),
])
def test_quote_then_speaker_and_a_verb_that_is_not_in_the_lexicon(text, speaker):
    quotes = [a for a in extract(text) if a.kind == DIRECT_QUOTE]
    assert len(quotes) == 1 and quotes[0].speaker.exact == speaker


def test_one_word_quote_after_said_and_a_comma():
    text = 'Asked whether she would run again, Ana Lopes shook her head and said, "No."'
    quotes = [a for a in extract(text) if a.kind == DIRECT_QUOTE]
    assert [(a.content.exact, a.speaker_name) for a in quotes] == [("No.", "Ana Lopes")]
    assert all(a.kind != DIRECT_QUOTE for a in extract('The senator called the plan "Orwellian."'))
