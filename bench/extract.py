"""`make bench-extract`: score factbase.attribution.extract on PolNeAR (train or dev, never test).

    python bench/extract.py /path/to/PolNeAR [--split dev|train] [--json bench/extract-results.json]
    POLNEAR_DIR=/path/to/PolNeAR python bench/extract.py

The corpus folder is PolNeAR's repository (``data/<split>/text/<article>.txt`` and
``data/<split>/attributions/<article>_<annotator>.ann``, brat standoff); ``data`` itself or the split's
folder are accepted too. Every annotator's file is scored (an article annotated twice counts twice);
the extractor runs once per text.

How it is scored (a strict reader, as issue #15 asks, in the manner of BBC R&D's Citron):

- **Gold attributions** are brat ``Attribution`` events (``Attribution-no-source`` too) with their
  ``Content`` (possibly in several fragments), ``Source`` and ``Cue``. ``Discard``/``Discuss`` marks are
  ignored.
- **Direct quote** (subset a): a gold attribution whose content, with white space and trailing
  punctuation trimmed, begins with an opening and ends with a closing quotation mark (read from its
  first to its last character when it is in fragments, as in ``"A," he said of X. "B."``), or whose
  every fragment lies inside one quoted stretch of the text (a pair of quotation marks within a
  paragraph). The predictions of subset a are the suggestions of kind ``direct_quote``.
  Subset b is every attribution against every suggestion.
- **Matching**: within a subset, every (suggestion, gold) pair whose content spans overlap is ranked by
  the number of characters they share; greedily, the largest first, each suggestion and each gold is
  used at most once. A matched suggestion counts for *overlap* precision and recall.
- **Exact**: a matched pair whose texts are equal once surrounding quotes, punctuation and white space
  are stripped (and inner white space folded). A gold in fragments ("A," he said. "B.") is matched
  exactly by its fragments joined, or by the whole stretch from its first to its last character (the
  issue allows a suggestion to give the whole stretch). A paraphrase's content is scored with a
  "that" right before it included (PolNeAR's content spans include the complementizer; the extractor
  leaves it out, so that the suggested claim reads well).
- **Speaker**: right when the suggestion's speaker mention overlaps a gold Source span, or the
  suggestion's ``speaker_name`` (or mention) and the gold source share a surname (the last word of a
  capitalised name). Speaker precision = right speakers / suggestions (those matched to a gold without
  a source, or with a pronoun-only source, left out); recall = right speakers / golds with a
  non-pronoun source. Golds whose source is only a pronoun ("he", "they"...) are reported apart.
- **Speed**: words (whitespace-separated) of the distinct texts divided by the time ``extract`` took,
  on the clock and in CPU time (which a busy machine disturbs less).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from factbase.attribution import DIRECT_QUOTE, extract  # noqa: E402

OPEN_QUOTES = "\"\u201c\u201e\u00ab'\u2018"
CLOSE_QUOTES = "\"\u201d\u00bb'\u2019"
STRIP = " \t\r\n\"'\u201c\u201d\u201e\u00ab\u00bb\u2018\u2019.,;:!?-\u2013\u2014\u2026()[]"
PRONOUNS = frozenset(
    "i me my we us our you your he him his she her it its they them their this that these those "
    "one who which someone somebody".split()
)


@dataclass
class Gold:
    content: list[tuple[int, int]]
    sources: list[tuple[int, int]] = field(default_factory=list)
    cue: list[tuple[int, int]] = field(default_factory=list)
    quote: bool = False
    pronoun_source: bool = False

    @property
    def start(self) -> int:
        return min(s for s, _ in self.content)

    @property
    def end(self) -> int:
        return max(e for _, e in self.content)


def _spans(field_text: str) -> list[tuple[int, int]]:
    spans = []
    for part in field_text.split(";"):
        start, end = part.split()
        spans.append((int(start), int(end)))
    return spans


def parse_ann(ann: str) -> list[Gold]:
    """The attributions of a brat file: one per ``Attribution`` event that has a content."""
    spans: dict[str, tuple[str, list[tuple[int, int]]]] = {}
    events = []
    for line in ann.splitlines():
        if not line.strip():
            continue
        parts = line.split("\t")
        ident = parts[0]
        if ident.startswith("T") and len(parts) >= 2:
            label, _, offsets = parts[1].partition(" ")
            try:
                spans[ident] = (label, _spans(offsets))
            except ValueError:
                continue
        elif ident.startswith("E") and len(parts) >= 2:
            events.append(parts[1].split())
    golds = []
    for args in events:
        content, sources, cue = [], [], []
        for arg in args[1:]:
            role, _, ref = arg.partition(":")
            role = role.rstrip("0123456789")
            if ref not in spans:
                continue
            if role == "Content":
                content.extend(spans[ref][1])
            elif role == "Source":
                sources.extend(spans[ref][1])
            elif role == "Cue":
                cue.extend(spans[ref][1])
        if content:
            golds.append(Gold(sorted(content), sorted(sources), sorted(cue)))
    return golds


def quoted_stretches(text: str) -> list[tuple[int, int]]:
    """Stretches between a pair of double quotation marks, paragraph by paragraph (marks included)."""
    stretches = []
    for para in re.finditer(r"[^\n]+", text):
        opened = None
        for m in re.finditer(r"[\"\u201c\u201d\u201e\u00ab\u00bb]", para.group(0)):
            ch, pos = m.group(0), para.start() + m.start()
            if opened is None:
                if ch in "\u201d\u00bb":
                    continue
                opened = pos
            elif ch in "\u201c\u201e\u00ab" and text[opened] != '"':
                opened = pos
            else:
                stretches.append((opened, pos + 1))
                opened = None
    return stretches


def _is_quote_fragment(text: str, start: int, end: int) -> bool:
    piece = text[start:end].strip().rstrip(".,;:!?\u2026 ").strip()
    piece = text[start:end].strip()
    if not piece or piece[0] not in OPEN_QUOTES:
        return False
    tail = piece.rstrip(".,;:!?\u2026 -\u2014)")
    return bool(tail) and (tail[-1] in CLOSE_QUOTES or piece[-1] in CLOSE_QUOTES)


def classify(text: str, golds: list[Gold]) -> None:
    stretches = quoted_stretches(text)
    for gold in golds:
        if _is_quote_fragment(text, gold.start, gold.end):
            # from its first to its last character ("A," he said. "B."), it begins and ends with quotation marks
            gold.quote = True
        else:
            gold.quote = all(
                any(qs <= s and e <= qe for qs, qe in stretches) for s, e in gold.content
            )
        if gold.sources:
            words = [w.lower() for s, e in gold.sources for w in re.findall(r"[\w']+", text[s:e])]
            gold.pronoun_source = bool(words) and all(w in PRONOUNS for w in words)


def clean(value: str) -> str:
    return re.sub(r"\s+", " ", value.strip(STRIP)).strip(STRIP).casefold()


def _overlap(a: tuple[int, int], golds_spans: list[tuple[int, int]]) -> int:
    return sum(max(0, min(a[1], e) - max(a[0], s)) for s, e in golds_spans)


def _surname(name: str) -> str:
    words = [w for w in re.findall(r"[A-Z][\w'\-]+", name) if w.lower() not in PRONOUNS]
    if not words:
        return ""
    last = words[-1]
    if last.endswith("'s") or last.endswith("\u2019s"):
        last = last[:-2]
    return last.lower()


def speaker_right(text: str, pred, gold: Gold) -> bool:
    if pred.speaker is not None and any(
        max(pred.speaker.start, s) < min(pred.speaker.end, e) for s, e in gold.sources
    ):
        return True
    source_words = {w.lower() for s, e in gold.sources for w in re.findall(r"[\w'\-]+", text[s:e])}
    for name in (pred.speaker_name, pred.speaker.exact if pred.speaker else ""):
        surname = _surname(name)
        if surname and surname in source_words:
            return True
    return False


def scored_content(text: str, pred) -> tuple[int, int]:
    """The suggestion's content as scored: with a "that" right before a paraphrase included."""
    start, end = pred.content.start, pred.content.end
    if pred.kind != DIRECT_QUOTE:
        m = re.search(r"\bthat\s+$", text[max(0, start - 10):start])
        if m:
            start = max(0, start - 10) + m.start()
    return start, end


@dataclass
class Tally:
    preds: int = 0
    golds: int = 0
    overlap: int = 0
    exact: int = 0
    speaker_preds: int = 0
    speaker_golds: int = 0
    speaker_right: int = 0
    pronoun_golds: int = 0
    pronoun_matched: int = 0
    pronoun_right: int = 0

    def add(self, other: "Tally") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def score_subset(text: str, preds: list, golds: list[Gold], errors: list | None = None) -> Tally:
    tally = Tally(preds=len(preds), golds=len(golds))
    pairs = []
    for i, pred in enumerate(preds):
        span = scored_content(text, pred)
        for j, gold in enumerate(golds):
            shared = _overlap(span, gold.content)
            if shared > 0:
                pairs.append((-shared, i, j))
    pairs.sort()
    used_p, used_g, matches = set(), set(), {}
    for _, i, j in pairs:
        if i in used_p or j in used_g:
            continue
        used_p.add(i)
        used_g.add(j)
        matches[i] = j
    tally.overlap = len(matches)
    speaker_excluded = 0
    for i, j in matches.items():
        pred, gold = preds[i], golds[j]
        start, end = scored_content(text, pred)
        mine = clean(text[start:end])
        whole = clean(text[gold.start:gold.end])
        joined = clean(" ".join(clean(text[s:e]) for s, e in gold.content))
        exact = mine in (whole, joined) or clean(pred.content.exact) in (whole, joined)
        tally.exact += exact
        right = speaker_right(text, pred, gold)
        if not gold.sources:
            speaker_excluded += 1
        elif gold.pronoun_source:
            speaker_excluded += 1
            tally.pronoun_matched += 1
            tally.pronoun_right += right
        else:
            tally.speaker_right += right
        if errors is not None:
            if not exact:
                errors.append(("inexact", text[start:end], text[gold.start:gold.end]))
            if gold.sources and not gold.pronoun_source and not right:
                errors.append(("speaker", pred.speaker.exact if pred.speaker else None, pred.speaker_name,
                               " | ".join(text[s:e] for s, e in gold.sources), pred.cue.exact if pred.cue else None,
                               text[max(0, pred.content.start - 60):pred.content.end + 60]))
    if errors is not None:
        for i, pred in enumerate(preds):
            if i not in matches:
                errors.append(("fp", pred.kind, pred.content.exact, pred.cue.exact if pred.cue else None))
        for j, gold in enumerate(golds):
            if j not in used_g:
                cue = " ".join(text[s:e] for s, e in gold.cue)
                errors.append(("fn", " ... ".join(text[s:e] for s, e in gold.content), cue,
                               text[max(0, gold.start - 100):gold.start] + "[[" + text[gold.start:gold.end][:60] + "]]"
                               + text[gold.end:gold.end + 100]))
    tally.speaker_preds = len(preds) - speaker_excluded
    tally.speaker_golds = sum(1 for g in golds if g.sources and not g.pronoun_source)
    tally.pronoun_golds = sum(1 for g in golds if g.pronoun_source)
    return tally


def score_document(text: str, preds: list, golds: list[Gold], errors: dict | None = None) -> dict[str, Tally]:
    classify(text, golds)
    quotes = [g for g in golds if g.quote]
    quote_preds = [p for p in preds if p.kind == DIRECT_QUOTE]
    return {
        "direct_quotes": score_subset(text, quote_preds, quotes, errors["direct_quotes"] if errors else None),
        "all": score_subset(text, preds, golds, errors["all"] if errors else None),
    }


def prf(right: int, preds: int, golds: int) -> dict[str, float]:
    p = right / preds if preds else 0.0
    r = right / golds if golds else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    # four decimals, so that a rounding can never hide a miss of a target (0.8497 is not 0.850)
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}


def summary(tally: Tally) -> dict:
    return {
        "attributions": tally.golds,
        "suggestions": tally.preds,
        "content_overlap": prf(tally.overlap, tally.preds, tally.golds),
        "content_exact": prf(tally.exact, tally.preds, tally.golds),
        "speaker": prf(tally.speaker_right, tally.speaker_preds, tally.speaker_golds),
        "pronoun_sources": {
            "attributions": tally.pronoun_golds,
            "matched": tally.pronoun_matched,
            "speaker_overlaps_pronoun_or_surname": tally.pronoun_right,
        },
    }


def find_split(corpus: Path, split: str) -> Path:
    for candidate in (corpus / "data" / split, corpus / split, corpus):
        if (candidate / "text").is_dir() and (candidate / "attributions").is_dir():
            return candidate
    raise SystemExit(
        f"PolNeAR's {split} split was not found under {corpus} (expected data/{split}/text and "
        f"data/{split}/attributions). Get the corpus: git clone https://github.com/networkdynamics/PolNeAR "
        "and pass its folder: make bench-extract POLNEAR=/path/to/PolNeAR (or set POLNEAR_DIR)."
    )


def run(corpus: Path, split: str, errors_out: Path | None = None) -> dict:
    if split == "test":
        raise SystemExit("The test split is never scored here: use train (to tune) or dev (to report).")
    folder = find_split(corpus, split)
    totals = {"direct_quotes": Tally(), "all": Tally()}
    cache: dict[str, list] = {}
    words = 0
    seconds = cpu_seconds = 0.0
    texts: dict[str, str] = {}
    errors = {"direct_quotes": [], "all": []} if errors_out else None
    ann_files = sorted((folder / "attributions").glob("*.ann"))
    for ann_path in ann_files:
        article = ann_path.stem.rsplit("_", 1)[0]
        text_path = folder / "text" / f"{article}.txt"
        if not text_path.exists():
            continue
        if article not in cache:
            text = text_path.read_text(encoding="utf-8")
            texts[article] = text
            t0, c0 = time.perf_counter(), time.process_time()
            cache[article] = extract(text)
            seconds += time.perf_counter() - t0
            cpu_seconds += time.process_time() - c0
            words += len(text.split())
        text = texts[article]
        golds = parse_ann(ann_path.read_text(encoding="utf-8"))
        for name, tally in score_document(text, cache[article], golds, errors).items():
            totals[name].add(tally)
    if errors_out and errors:
        with errors_out.open("w", encoding="utf-8") as out:
            for name, rows in errors.items():
                counts = Counter(row[0] for row in rows)
                out.write(f"== {name} {dict(counts)}\n")
                for row in rows:
                    out.write(json.dumps([name, *row], ensure_ascii=False) + "\n")
    return {
        "split": split,
        "articles": len(cache),
        "annotation_files": len(ann_files),
        "words": words,
        "seconds": round(seconds, 3),
        "words_per_second": round(words / seconds) if seconds else None,
        "cpu_seconds": round(cpu_seconds, 3),
        "words_per_cpu_second": round(words / cpu_seconds) if cpu_seconds else None,
        "direct_quotes": summary(totals["direct_quotes"]),
        "all": summary(totals["all"]),
    }


def table(result: dict) -> str:
    lines = [
        f"PolNeAR {result['split']}: {result['articles']} articles, {result['annotation_files']} annotation "
        f"files, {result['words']} words; extract: {result['seconds']} s, {result['words_per_second']} words/s "
        f"(CPU {result['cpu_seconds']} s, {result['words_per_cpu_second']} words/s)",
        "",
        f"{'subset':<14} {'gold':>5} {'sugg':>5}  {'measure':<16} {'P':>6} {'R':>6} {'F1':>7}",
    ]
    for name in ("direct_quotes", "all"):
        s = result[name]
        for measure in ("content_overlap", "content_exact", "speaker"):
            m = s[measure]
            lines.append(
                f"{name:<14} {s['attributions']:>5} {s['suggestions']:>5}  {measure:<16} "
                f"{m['precision']:>6.3f} {m['recall']:>6.3f} {m['f1']:>7.4f}"
            )
        pr = s["pronoun_sources"]
        lines.append(
            f"{'':<14} pronoun-only sources (apart): {pr['attributions']} attributions, {pr['matched']} matched, "
            f"{pr['speaker_overlaps_pronoun_or_surname']} with the speaker mention on the pronoun or the surname"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", default=os.environ.get("POLNEAR_DIR", ""),
                        help="PolNeAR's folder (default: $POLNEAR_DIR)")
    parser.add_argument("--split", default="dev", choices=["dev", "train"])
    parser.add_argument("--json", default=str(ROOT / "bench" / "extract-results.json"),
                        help="where to write the figures ('' for nowhere)")
    parser.add_argument("--errors", default="", help="write every mismatch to this file (for tuning)")
    args = parser.parse_args(argv)
    if not args.corpus:
        raise SystemExit(
            "No PolNeAR folder given: make bench-extract POLNEAR=/path/to/PolNeAR, or set POLNEAR_DIR "
            "(git clone https://github.com/networkdynamics/PolNeAR)."
        )
    corpus = Path(args.corpus)
    if not corpus.is_dir():
        raise SystemExit(f"PolNeAR folder {corpus} does not exist (make bench-extract POLNEAR=/path/to/PolNeAR).")
    result = run(corpus, args.split, Path(args.errors) if args.errors else None)
    print(table(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
