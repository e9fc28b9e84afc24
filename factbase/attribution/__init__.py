"""Attributions in a news text: who said what, where and when, found by pure functions over a string.

``extract(text)`` lists the attributions a text holds, each as spans of the text (the content, the cue,
the speaker as written) with what the text tells about them (the speaker's name when the mention is a
pronoun or a title, the role, the outlet, the date phrase). Nothing here touches the database: the
gazetteer of known names is passed in, and ``factbase.suggestions`` turns attributions into suggested
claims (actors matched, dates resolved, already-recorded claims left out).

What was chosen, and why:

- **Rules over a string, plus a small lexicon learned from a public corpus.** No tagger or parser:
  spaCy's or Stanza's English models are downloads of their own (not wheels on PyPI that pin and ship
  with their data), and they cost tens of milliseconds per thousand words, while the patterns of news
  attribution are few and regular ("...," X said; X said that ...; according to X). ``lexicon.json``
  holds the cue words of PolNeAR's *train* split with how often each is annotated as a cue against how
  often it occurs (``bench/build_cues.py`` regenerates it): a word is a cue when it is one at least a
  quarter of the time (a fifth right next to a quotation), plus a hand list of reporting verbs; and the
  lower-case head nouns that sources end with ("officials", "spokesman"). PolNeAR's dev split only
  measures (``make bench-extract``, bench/README.md); its test split is never read.
- **Direct quotes** are pairs of quotation marks in a paragraph (curly, straight, NYT's ``''``, single
  ones that open before a capital; a paragraph that ends inside a quote continues into the next, as
  news writing does). A quote that opens its sentence is attributed by the cue and speaker right after
  it (``"...," Trump said`` / ``said Trump, the nominee``), otherwise by the words right before it
  (``Trump said: "..."``, ``Trump told CNN, "..."``, a colon closing the paragraph before, a paragraph
  after it that signs it: ``- Hillary Clinton.``, or a dash and a name closing the quote's own
  paragraph: ``"..." ― Jane Roe``). Without a comma, a verb of speaking right before a
  quote that closes the sentence (``Trump says "..."``) and a verb of shouting right before any quote
  (``the crowd chanted "..." as``) frame it. A name may carry its party in brackets
  (``Rep. Earl Blumenauer (D-Ore.) said``), an age (``Jane Roe, 67, a retired nurse, said``) or a
  noun in apposition before it (``the assailant, John McGraw, told``). A quote split by its frame (``"A," he said. "B."``)
  is one attribution whose content runs from A to B (the issue allows the whole stretch), and a
  paragraph that is only a quote goes on with the quote before it. A quote in the middle of a sentence
  that has no frame of its own (``called it "rigged"``) is left to the paraphrase rules.
- **Paraphrases**, in each sentence no quote's attribution covers: ``X said (that) ...``,
  ``..., X said``, ``..., said X, ROLE``, ``NAME, ROLE, said ...``, ``according to X, ...`` and
  ``..., according to X`` (which may stand beside another attribution of the same sentence), and
  ``..., adding that ...`` as a second statement of the same speaker. The content is the reported
  statement **without** the leading "that", so that a suggested claim reads well; PolNeAR's content
  spans include it, and the benchmark scores with it put back. A passive ("is considered") names no
  speaker and is left out; so are acts that are not speech ("maintained a low profile", "refused to
  intervene": "maintained" takes only a "that" clause, "refused to" only a verb of speech).
- **Speakers**: the noun phrase next to the cue (a name with its title, a pronoun, "a spokesman for
  ..."; the subject of the clause for a participle, "..., saying"). ``speaker_name`` is the person it
  refers to: a pronoun or "who" resolves to the nearest preceding full name (organisations left out),
  a surname ("Pashinyan") to the nearest earlier full name ending with it, or to a name of the
  gazetteer ``names``, a title ("the country's president") to the last person named with that title;
  "a spokesman for X" stays a spokesman. ``role`` is the title before the name ("Armenian Prime
  Minister") or the appositive after it ("said X, Central and South Asia expert at ..."). ``outlet`` is
  a medium named in the attributing words ("told Dozhd TV", "on Khabar 24"; not "in a Facebook post"
  nor "told reporters"). ``date_phrase`` is a date of the attributing clause (not one of the events it
  reports), written so that ``factbase.provenance.resolve_date`` resolves it ("on Friday", "On January
  6"; "Jan." loses its dot).
- Messy text: a statement that ends "... army? tha Murtazashvili." (a cue lost to bad text before the
  surname of someone named earlier) is still attributed.
- Every span slices the text it came from (``text[span.start:span.end] == span.exact``); the same text
  always gives the same attributions; the work is linear in the text (frames are looked for near their
  cue), about 100,000 words a second.
- The package: ``text`` (paragraphs, quotation marks, sentence ends), ``cues`` (the lexicon and the
  search for cues), ``mentions`` (speakers, roles, outlets, dates, names), ``rules`` (the frames of
  quotes, the paraphrase patterns, ``extract``).
"""

from factbase.attribution.rules import DIRECT_QUOTE, PARAPHRASE, Attribution, extract

__all__ = ["DIRECT_QUOTE", "PARAPHRASE", "Attribution", "extract"]
