"""import_claims against hostile files: every bad record is a problem with its file and line, never a
traceback; the size limits of factbase.models.limits are checked before a record is built; a record
far larger than any valid one is refused without being held in memory; updates have a history reason.
"""

import csv
import io
import json
import re
import tracemalloc
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from factbase import interchange
from factbase.interchange import RECORD_MAX_BYTES, Problem
from factbase.models import Actor, Claim, Outlet, Review, Source, Tag
from factbase.models.limits import (
    CLAIM_TEXT_MAX_LENGTH,
    NAME_MAX_LENGTH,
    NAMES_MAX_COUNT,
    NOTE_MAX_LENGTH,
    PASSAGE_MAX_LENGTH,
    SOURCE_TEXT_MAX_LENGTH,
    SUMMARY_MAX_LENGTH,
)
from tests.factbase.test_import_export import TEXT, export, good_record, refused, run_import, write_ndjson
from tests.factbase.test_seed import all_row_counts

pytestmark = pytest.mark.django_db

SPEAKER = {"name": "Jane Minister", "kind": "person"}
SOURCE = {"url": "https://example.org/fuel", "title": "Fuel prices frozen", "published_on": "2022-01-08"}
DEEP = 100_000


def line(record, *, ascii=False) -> bytes:
    return json.dumps(record, ensure_ascii=ascii).encode("utf-8", "surrogatepass")


def good(n=0) -> bytes:
    return line(good_record(n))


WINTER = good(1).index(b"winter") + 1  # its column


def with_key(key, value) -> dict:
    record = good_record(1)
    record[key] = value
    return record


def write_file(tmp_path, fmt: str, bad: bytes):
    """Three records, the second ``bad``: as NDJSON (it is on line 2) or as a JSON list (line 3)."""
    records = [good(0), bad, good(2)]
    if fmt == "ndjson":
        data = b"\n".join(records) + b"\n"
    else:
        data = b"[\n" + b",\n".join(records) + b"\n]\n"
    path = tmp_path / f"claims.{fmt}"
    path.write_bytes(data)
    return path


def where(fmt: str) -> str:
    return "claims.ndjson:2" if fmt == "ndjson" else "claims.json:3"


def paraphrase(**span):
    return good_record(1, kind="paraphrase", text="No fuel price rise", span=span)


def too_long(length: int) -> str:
    return f"At most {length} characters (this has {length + 1})."


# (what, the bad record as bytes, the problem reported after "file:line: ")
HOSTILE = [
    # NUL anywhere: PostgreSQL cannot store it in a text, nor in jsonb (aliases, authors)
    ("NUL in a text", line(good_record(1, text="We will\x00 not")), "text: A text may not contain the NUL character."),
    ("NUL in a key", line(with_key("te\x00xt", "x")), "te\\x00xt: Unknown field."),
    ("NUL in an alias", line(good_record(1, speaker={**SPEAKER, "aliases": ["J.\x00"]})),
     "speaker.aliases[0]: A text may not contain the NUL character."),
    ("NUL in an author", line(good_record(1, source={**SOURCE, "authors": ["A. Writer\x00"]})),
     "source.authors[0]: A text may not contain the NUL character."),
    ("NUL in a span", line(paraphrase(start=0, end=3, exact="T\x00e")),
     "span.exact: A text may not contain the NUL character."),
    ("NUL in a tag", line(good_record(1, tags=["en\x00ergy"])), "tags[0].slug: A text may not contain the NUL character."),
    ("NUL in a source's text", line(good_record(1, source={**SOURCE, "text": TEXT + "\x00"})),
     "source.text: A text may not contain the NUL character."),
    ("NUL unescaped", good(1).replace(b"winter", b"win\x00ter", 1), "Not valid JSON: Invalid control character at"),
    # bytes that are not UTF-8, lone surrogates
    ("not UTF-8", good(1).replace(b"winter", b"win\xffter", 1), f"Not UTF-8 text: the byte 0xff at column {WINTER + 3}"),
    ("a lone surrogate, escaped", line(good_record(1, text="\ud800 winter"), ascii=True),
     "Not valid JSON: no low surrogate in string"),
    ("a lone surrogate in UTF-8", line(good_record(1, text="\ud800 winter")),
     "Not UTF-8 text: a lone surrogate at column 11"),  # {"text": "\ud800
    # nesting
    ("a record nested 100,000 deep", b"[" * DEEP + b"]" * DEEP, "Nested too deeply: more than 1024 levels"),
    ("a field nested 100,000 deep", b'{"text": ' + b"[" * DEEP + b"]" * DEEP + b"}",
     "Nested too deeply: more than 1024 levels"),
    ("objects nested 1,000 deep", b'{"speaker": ' + b'{"a": ' * 1000 + b"1" + b"}" * 1000 + b"}",
     "speaker.a: Unknown field."),
    # numbers
    ("a number too large for a double", good(1)[:-1] + b', "span": {"start": 1e999, "end": 2, "exact": "x"}}',
     "Not valid JSON: number is infinity when parsed as double"),
    ("a number of 5,000 digits", b'{"text": 1' + b"0" * 5000 + b"}", "Not valid JSON: number is infinity"),
    ("an offset past any text", line(paraphrase(start=2 ** 62, end=2 ** 62 + 1, exact="x")),
     f"span.start: Give an offset into the source's text: a whole number from 0 to {SOURCE_TEXT_MAX_LENGTH}."),
    # wrong types, at every level
    ("a list for a record", b"[1, 2]", "Give an object, not a list."),
    ("a text for a record", b'"a claim"', "Give an object, not a text."),
    ("a text for the speaker", line(good_record(1, speaker="Jane")), "speaker: Give an object, not a text."),
    ("a list for a name", line(good_record(1, speaker={"name": ["Jane"], "kind": "person"})),
     "speaker.name: Give a text, not a list."),
    ("a text for aliases", line(good_record(1, speaker={**SPEAKER, "aliases": "J."})),
     "speaker.aliases: Give a list of texts, not a text."),
    ("a number among authors", line(good_record(1, source={**SOURCE, "authors": ["A. Writer", 7]})),
     "source.authors[1]: Give a text, not a number."),
    ("a list for a source's outlet", line(good_record(1, source={**SOURCE, "outlet": [1]})),
     "source.outlet: Give an object, not a list."),
    ("an object for a tag's slug", line(good_record(1, tags=[{"slug": {"a": 1}}])),
     "tags[0].slug: Give a text, not an object."),
    ("a list for a span", line(good_record(1, span=[])), "span: Give an object, not a list."),
    ("a number for a date", line(good_record(1, stated_on=20220107)),
     "stated_on: Give a date as YYYY-MM-DD, not a number."),
    ("other digits in a date", line(good_record(1, stated_on="２０２２-01-07")), "stated_on: Give a date as YYYY-MM-DD."),
    ("a text for reviews", line(good_record(1, reviews="false")), "reviews: Give a list of reviews."),
    ("a list for a reviewer's aliases",
     line(good_record(1, reviews=[{"rating": "false", "reviewer": {"name": "Desk", "kind": "organization",
                                                                   "aliases": [["x"]]}}])),
     "reviews[0].reviewer.aliases[0]: Give a text, not a list."),
    # the limits of factbase.models.limits
    ("a claim's text too long", line(good_record(1, text="x" * (CLAIM_TEXT_MAX_LENGTH + 1))),
     "text: " + too_long(CLAIM_TEXT_MAX_LENGTH)),
    ("a passage too long", line(good_record(1, kind="paraphrase", passage="x" * (PASSAGE_MAX_LENGTH + 1))),
     "passage: " + too_long(PASSAGE_MAX_LENGTH)),
    ("a span too long", line(paraphrase(start=0, end=PASSAGE_MAX_LENGTH + 1, exact="x" * (PASSAGE_MAX_LENGTH + 1))),
     # a slice of the source may be as long as the source; a paraphrase's passage is refused by the model's rule
     f"passage: A passage has at most {PASSAGE_MAX_LENGTH} characters (this has {PASSAGE_MAX_LENGTH + 1})."),
    ("a source's text too long", line(good_record(1, source={**SOURCE, "text": "x" * (SOURCE_TEXT_MAX_LENGTH + 1)})),
     "source.text: " + too_long(SOURCE_TEXT_MAX_LENGTH)),
    ("a status note too long", line(good_record(1, status="unverified", status_note="x" * (NOTE_MAX_LENGTH + 1))),
     "status_note: " + too_long(NOTE_MAX_LENGTH)),
    ("a review's summary too long",
     line(good_record(1, reviews=[{"rating": "false", "reviewer": SPEAKER, "summary": "x" * (SUMMARY_MAX_LENGTH + 1)}])),
     "reviews[0].summary: " + too_long(SUMMARY_MAX_LENGTH)),
    ("a name too long", line(good_record(1, speaker={"name": "x" * (NAME_MAX_LENGTH + 1), "kind": "person"})),
     "speaker.name: " + too_long(NAME_MAX_LENGTH)),
    ("an alias too long", line(good_record(1, speaker={**SPEAKER, "aliases": ["x" * (NAME_MAX_LENGTH + 1)]})),
     "speaker.aliases[0]: " + too_long(NAME_MAX_LENGTH)),
    ("an author too long", line(good_record(1, source={**SOURCE, "authors": ["x" * (NAME_MAX_LENGTH + 1)]})),
     "source.authors[0]: " + too_long(NAME_MAX_LENGTH)),
    ("too many aliases", line(good_record(1, speaker={**SPEAKER, "aliases": [f"J{i}" for i in range(NAMES_MAX_COUNT + 1)]})),
     f"speaker.aliases: At most {NAMES_MAX_COUNT} names (this has {NAMES_MAX_COUNT + 1})."),
    ("too many authors", line(good_record(1, source={**SOURCE, "authors": [f"A{i}" for i in range(NAMES_MAX_COUNT + 1)]})),
     f"source.authors: At most {NAMES_MAX_COUNT} names (this has {NAMES_MAX_COUNT + 1})."),
]


@pytest.mark.parametrize("fmt", ["ndjson", "json"])
@pytest.mark.parametrize(("bad", "expected"), [case[1:] for case in HOSTILE], ids=[case[0] for case in HOSTILE])
def test_a_hostile_record_is_a_problem_of_its_line_and_nothing_is_written(tmp_path, fmt, bad, expected):
    problems = refused(write_file(tmp_path, fmt, bad))
    assert f"{where(fmt)}: {expected}" in problems, problems
    assert "Traceback" not in problems
    assert set(all_row_counts().values()) == {0}


@pytest.mark.parametrize("fmt", ["ndjson", "json"])
def test_the_records_around_a_hostile_one_are_imported_with_skip_invalid(tmp_path, fmt):
    out, err = run_import(write_file(tmp_path, fmt, line(good_record(1, speaker={**SPEAKER, "aliases": ["\x00"]}))),
                          "--skip-invalid")
    assert f"{where(fmt)}: speaker.aliases[0]: A text may not contain the NUL character." in err
    assert "2 claims created" in out
    assert sorted(Claim.objects.values_list("speaker_role", flat=True)) == ["Minister of Energy 0", "Minister of Energy 2"]


# --- CSV -----------------------------------------------------------------------------------------

CSV_HEADER = ["text", "speaker", "speaker_kind", "speaker_aliases", "source_url", "source_title", "span_start"]


def csv_row(n, **cells) -> bytes:
    values = {"text": f"Claim {n}", "speaker": "Jane Minister", "speaker_kind": "person", "speaker_aliases": "",
              "source_url": f"https://example.org/{n}", "source_title": f"Article {n}", "span_start": "", **cells}
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([values[name] for name in CSV_HEADER])
    return out.getvalue().encode("utf-8")


def write_csv(tmp_path, bad: bytes):
    path = tmp_path / "claims.csv"
    path.write_bytes(",".join(CSV_HEADER).encode() + b"\r\n" + csv_row(1) + bad + csv_row(3))
    return path


@pytest.mark.parametrize(("bad", "expected"), [
    (csv_row(2, text="Claim\x00 2"), "claims.csv:3: text: A text may not contain the NUL character."),
    (csv_row(2, speaker_aliases="J.|M\x00"), "claims.csv:3: speaker.aliases[1]: A text may not contain the NUL "
                                             "character."),
    (csv_row(2, text="x" * (CLAIM_TEXT_MAX_LENGTH + 1)), "claims.csv:3: text: " + too_long(CLAIM_TEXT_MAX_LENGTH)),
    (csv_row(2, text="Claim é 2").replace("é".encode(), b"\xe9"),
     "claims.csv:3: Not UTF-8 text: the byte 0xe9 at column 7 (invalid continuation byte). The rest of the file was "
     "not read."),
    # int("²") fails although "²".isdigit(): a row that its reading cannot convert
    (csv_row(2, span_start="²"), "claims.csv:3: span.start: Give an offset into the source's text: a whole number "
                                 "from 0 to 1000000."),
], ids=["NUL in a text", "NUL in an alias", "a text too long", "not UTF-8", "a digit int() refuses"])
def test_a_hostile_csv_row_is_a_problem_of_its_line_and_nothing_is_written(tmp_path, bad, expected):
    problems = refused(write_csv(tmp_path, bad))
    assert expected in problems, problems
    assert set(all_row_counts().values()) == {0}


# --- records far larger than any valid one -------------------------------------------------------

HUGE = b'{"text": "' + b"x" * RECORD_MAX_BYTES + b'"}'


def test_the_bound_on_a_record_leaves_room_for_two_of_the_longest_source_texts_in_the_longest_json():
    # A character outside the BMP, escaped as JSON escapes it, is 12 bytes: "\ud83d\ude00".
    assert len(json.dumps("😀")) - 2 == interchange.JSON_BYTES_PER_CHARACTER
    longest = len(json.dumps({"text": "😀" * SOURCE_TEXT_MAX_LENGTH}))
    assert 2 * longest < RECORD_MAX_BYTES < 2 * longest + (2 << 20)


@pytest.mark.parametrize("fmt", ["ndjson", "json"])
def test_a_record_longer_than_any_valid_one_is_refused_by_its_line_and_the_import_goes_on(tmp_path, fmt):
    out, err = run_import(write_file(tmp_path, fmt, HUGE), "--skip-invalid")
    assert f"{where(fmt)}: This record is longer than any valid record can be (more than {RECORD_MAX_BYTES:,} " \
           f"bytes): it was not read." in err
    assert "2 claims created" in out


def test_a_csv_row_longer_than_any_valid_record_is_refused_and_ends_the_reading(tmp_path):
    bad = b'"' + b"x" * RECORD_MAX_BYTES + b'",Jane,person,,,,\r\n'
    out, err = run_import(write_csv(tmp_path, bad), "--skip-invalid")
    assert f"claims.csv:3: This record is longer than any valid record can be (more than {RECORD_MAX_BYTES:,} " \
           f"bytes): it was not read. A source's text is given once a file (or read from a text_file). The rest " \
           f"of the file was not read." in err
    assert "1 claims created" in out


class Endless(io.RawIOBase):
    """A stream of ``size`` bytes of ``b"x"`` after ``head``, then ``tail``: made as it is read."""

    def __init__(self, head: bytes, size: int, tail: bytes):
        self.head, self.left, self.tail = head, size, tail

    def readable(self):
        return True

    def readinto(self, buffer):
        if self.head:
            n = min(len(buffer), len(self.head))
            buffer[:n], self.head = self.head[:n], self.head[n:]
            return n
        if self.left:
            n = min(len(buffer), self.left)
            buffer[:n] = b"x" * n
            self.left -= n
            return n
        n = min(len(buffer), len(self.tail))
        buffer[:n], self.tail = self.tail[:n], self.tail[n:]
        return n


@pytest.mark.parametrize(("fmt", "head", "tail", "line"), [
    ("ndjson", b'{"text": "', b'"}\n' + good(), 2),
    ("json", b'[{"text": "', b'"},\n' + good() + b"]", 2),
])
def test_a_200_mb_record_is_read_past_without_being_held(fmt, head, tail, line):
    stream = io.BufferedReader(Endless(head, 200 << 20, tail), buffer_size=1 << 20)
    tracemalloc.start()
    try:
        rows = list(interchange.read_records(stream, fmt))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [(n, type(value)) for n, value in rows] == [(1, Problem), (line, dict)]
    assert rows[0][1].message.startswith("This record is longer than any valid record can be")
    assert rows[1][1]["text"] == good_record()["text"]
    assert peak < 3 * RECORD_MAX_BYTES  # the 200 MB are never held at once


def test_a_text_file_that_is_not_utf8_or_too_long_is_a_problem_of_its_line(tmp_path):
    (tmp_path / "latin1.txt").write_bytes("Déjà vu.".encode("latin-1"))
    (tmp_path / "long.txt").write_text("x" * (SOURCE_TEXT_MAX_LENGTH + 1))
    (tmp_path / "nul.txt").write_text("a\x00b")
    records = [good_record(n, source={"url": f"https://example.org/{name}", "text_file": f"{name}.txt"})
               for n, name in enumerate(["latin1", "long", "nul"])]
    problems = refused(write_ndjson(tmp_path / "claims.ndjson", records))
    assert "claims.ndjson:1: source.text_file: latin1.txt is not UTF-8 text (invalid continuation byte)." in problems
    assert f"claims.ndjson:2: source.text_file: At most {SOURCE_TEXT_MAX_LENGTH} characters (this file has more)." \
        in problems
    assert "claims.ndjson:3: source.text_file: nul.txt contains the NUL character: a text may not." in problems


def test_the_messages_show_what_a_terminal_would_not_escaped(tmp_path):
    problems = refused(write_ndjson(tmp_path / "claims.ndjson", [good_record(status="\x1b[2Jverified")]))
    assert "claims.ndjson:1: status: “\\x1b[2Jverified” is not one of" in problems
    assert "\x1b" not in problems


def test_import_problems_are_read_back_in_order_of_lines(tmp_path):
    # Problems of several kinds on several lines, in one file: each with its own line.
    lines = [good(0), b"[" * DEEP, line(good_record(2, text="\x00")), b"", b'{"text": 1e999}', good(5)]
    path = tmp_path / "claims.ndjson"
    path.write_bytes(b"\n".join(lines) + b"\n")
    assert re.findall(r"claims\.ndjson:([0-9]+): ", refused(path)) == ["2", "3", "5"]


def test_reading_from_standard_input_is_bytes_too(tmp_path, monkeypatch):
    data = good(0) + b"\n" + good(1).replace(b"winter", b"win\xffter", 1) + b"\n"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_claims", "-", "--progress", "no", stdout=StringIO(), stderr=err)
    assert f"<stdin>:2: Not UTF-8 text: the byte 0xff at column {WINTER + 3}" in err.getvalue()


# --- what an import writes: a history reason for what it updates, as for what it creates ----------

def test_records_updated_by_an_import_have_its_reason_in_their_history(tmp_path, editor):
    record = good_record(tags=[{"slug": "energy", "name": "Energy"}], outlet={"name": "Channel 5", "kind": "broadcaster"},
                         reviews=[{"rating": "false", "reviewer": {"name": "Fact Desk", "kind": "organization"},
                                   "summary": "Prices rose."}])
    run_import(write_ndjson(tmp_path / "first.ndjson", [record]), "--user", editor.username)
    (exported,) = [json.loads(text) for text in export(tmp_path).splitlines()]
    exported["speaker"]["description"] = "Minister of Energy since 2020."
    exported["source"]["title"] = "Fuel prices frozen for the winter"
    exported["outlet"]["kind"] = "website"
    exported["tags"][0]["name"] = "Energy policy"
    exported["speaker_role"] = "Minister"
    exported["reviews"][0]["summary"] = "Prices rose in December."
    out, _ = run_import(write_ndjson(tmp_path / "second.ndjson", [exported]), "--user", editor.username)
    assert "1 claims updated" in out and "1 sources updated" in out and "1 reviews updated" in out
    for model in (Actor, Source, Outlet, Tag, Claim, Review):
        latest = model.history.order_by("-history_id").first()
        assert (latest.history_type, latest.history_user, latest.history_change_reason) == (
            "~", editor, "Imported from second.ndjson"), model


def test_an_update_keeps_the_reason_the_services_give_it(tmp_path, editor):
    run_import(write_ndjson(tmp_path / "first.ndjson", [good_record()]))
    (exported,) = [json.loads(text) for text in export(tmp_path).splitlines()]
    exported["status"], exported["status_note"] = "verified", "Checked."
    run_import(write_ndjson(tmp_path / "second.ndjson", [exported]), "--user", editor.username)
    assert Claim.history.order_by("-history_id").first().history_change_reason == "Status set to verified: Checked."


def test_history_written_outside_an_import_gets_no_reason_of_it(tmp_path, source, actor):
    from factbase import services

    run_import(write_ndjson(tmp_path / "first.ndjson", [good_record()]))
    services.actor_update(actor=actor, data={"description": "Changed in the admin."})
    assert actor.history.order_by("-history_id").first().history_change_reason is None


def test_the_docs_give_the_bound_on_a_record_as_it_is():
    page = (Path(__file__).resolve().parents[2] / "docs" / "importing.md").read_text(encoding="utf-8")
    assert f"(more than {RECORD_MAX_BYTES:,} bytes: two of the longest source texts" in page
    assert f"more than {interchange.JSON_MAX_DEPTH} levels of lists and objects" in page


def test_a_file_that_cannot_be_read_is_refused_without_a_traceback(tmp_path, monkeypatch):
    from factbase.management.commands import import_claims

    path = write_ndjson(tmp_path / "claims.ndjson", [good_record()])

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr(import_claims, "open", denied, raising=False)
    with pytest.raises(CommandError, match=f"Cannot read {path}: Permission denied."):
        run_import(path)
    assert not Claim.objects.exists()
