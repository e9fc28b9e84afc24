"""Regenerate factbase/attribution/lexicon.json from PolNeAR's TRAIN split (never dev, never test).

    python bench/build_cues.py /path/to/PolNeAR

The lexicon holds what the rules of factbase.attribution cannot guess: for every word that heads an
annotated cue at least MIN_CUE times, how often it is a cue and how often it occurs at all (the
extractor keeps the words that are cues often enough), and the lower-case head nouns of annotated
sources ("officials", "spokesman") that may stand before a cue as its speaker.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.extract import find_split, parse_ann  # noqa: E402

MIN_CUE = 4
MIN_SOURCE = 3
SKIP = {"has", "have", "had", "also", "is", "was", "were", "are", "be", "been", "would", "will", "later",
        "previously", "then", "not", "did", "does", "do", "it", "repeatedly", "once", "recently", "even",
        "publicly", "still", "just", "already", "he", "she", "they", "i", "we", "never", "often", "could",
        "may", "might", "should", "can", "must", "'s", "’s"}
WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]*|:")


def main(corpus: str) -> None:
    folder = find_split(Path(corpus), "train")
    cue_heads: Counter = Counter()
    totals: Counter = Counter()
    source_heads: Counter = Counter()
    seen_texts = set()
    for ann_path in sorted((folder / "attributions").glob("*.ann")):
        article = ann_path.stem.rsplit("_", 1)[0]
        text = (folder / "text" / f"{article}.txt").read_text(encoding="utf-8")
        if article not in seen_texts:
            seen_texts.add(article)
            totals.update(w.lower() for w in WORD.findall(text))
        for gold in parse_ann(ann_path.read_text(encoding="utf-8")):
            if gold.cue:
                words = [w.lower() for s, e in gold.cue for w in WORD.findall(text[s:e])]
                words = [w for w in words if w not in SKIP] or words
                if words:
                    head = "according to" if words[:2] == ["according", "to"] else words[0]
                    cue_heads[head] += 1
            for s, e in gold.sources:
                words = WORD.findall(text[s:e])
                if words and words[-1].islower() and words[-1] != ":":
                    source_heads[words[-1]] += 1
    n_files = len(list((folder / "attributions").glob("*.ann")))
    scale = n_files / max(1, len(seen_texts))  # cues are counted per annotation file, words per text
    cues = {
        w: {"cue": c, "occurrences": round(totals.get(w, c) * scale) if w != "according to" else c}
        for w, c in sorted(cue_heads.items(), key=lambda kv: -kv[1]) if c >= MIN_CUE and w != ":"
    }
    lexicon = {
        "about": "Learned from PolNeAR's train split by bench/build_cues.py: cue head words (times annotated "
                 "as a cue, times the word occurs, both per annotation file) and lower-case source head nouns.",
        "cues": cues,
        "source_heads": {w: c for w, c in sorted(source_heads.items(), key=lambda kv: -kv[1]) if c >= MIN_SOURCE},
    }
    out = ROOT / "factbase" / "attribution" / "lexicon.json"
    out.write_text(json.dumps(lexicon, indent=0, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{out}: {len(cues)} cues, {len(lexicon['source_heads'])} source heads")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python bench/build_cues.py /path/to/PolNeAR")
    main(sys.argv[1])
