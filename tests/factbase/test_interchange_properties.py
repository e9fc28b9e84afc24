"""Property-based tests (Hypothesis) of reading and parsing records: hostile records, made from valid
ones by putting text of every Unicode category (NUL, lone surrogates, controls), nesting, extreme
numbers and values of the wrong type anywhere, and by breaking their bytes. Whatever comes in, the
reader and the parser raise nothing but the documented record errors, each with its line, and what
they accept can be stored (no NUL, no lone surrogate, no text over its limit).
"""

import copy
import csv
import dataclasses
import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from factbase import interchange
from factbase.interchange import ClaimRecord, Problem, RecordError, parse_claim
from factbase.interchange.importer import import_files

EXAMPLES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TEXT = "The minister said: “We will not raise fuel prices this winter.” Critics answered that the promise was empty."
RECORDS = [
    {"uid": "0d5f4a1e-2b8c-4e7a-9f61-3c2d1b0a9e87", "text": "We will not raise fuel prices this winter.",
     "kind": "direct_quote",
     "speaker": {"name": "Jane Minister", "kind": "person", "aliases": ["J. Minister"], "description": "Minister.",
                 "wikidata_id": "Q4242"},
     "speaker_role": "Minister of Energy", "stated_on": "2022-01-07", "stated_on_precision": "day",
     "outlet": {"name": "Channel 5", "kind": "broadcaster", "url": "", "description": ""},
     "source": {"url": "https://example.org/fuel", "title": "Fuel prices frozen", "published_on": "2022-01-08",
                "language": "en", "authors": ["A. Writer"], "outlet": {"name": "Daily Planet", "kind": "newspaper"},
                "text": TEXT},
     "span": {"start": 20, "end": 62, "exact": "We will not raise fuel prices this winter."},
     "status": "unverified", "status_note": "",
     "tags": [{"slug": "energy", "name": "Energy", "description": ""}, "winter"],
     "reviews": [{"rating": "false", "rating_text": "Not so", "summary": "Prices rose.", "reviewed_on": "2022-02-01",
                  "reviewer": {"name": "Fact Desk", "kind": "organization"},
                  "source": {"url": "https://factdesk.example.org/fuel", "title": "Fact check"}}]},
    {"text": "the promise was empty", "kind": "paraphrase", "speaker": {"wikidata_id": "Q42"},
     "source": {"published_on": "2022-01-08", "text_file": "article.txt"}, "passage": "the promise was empty",
     "stated": "Friday", "note": "a comment"},
]
FIELD_NAMES = sorted({*interchange.CLAIM_KEYS, *interchange.CLAIM_IMPORT_KEYS, *interchange.ACTOR_KEYS,
                      *interchange.OUTLET_KEYS, *interchange.SOURCE_KEYS, *interchange.SOURCE_IMPORT_KEYS,
                      *interchange.TAG_KEYS, *interchange.REVIEW_KEYS, *interchange.SPAN_KEYS})

# Text from every Unicode category, lone surrogates (category Cs) included, and the usual suspects.
characters = st.one_of(st.characters(), st.characters(categories=["Cs"]),
                       st.sampled_from(["\x00", "\ufeff", "\u2028", "\n", "\r", '"', "\\", "²", "٣", "\x1b", "😀"]))
texts = st.text(characters, max_size=12)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), texts)
# Written into the JSON as they are (Python's json cannot write them, or would recurse to write them).
RAW = st.one_of(
    st.integers(2, 3000).map(lambda n: "[" * n + "]" * n),
    st.integers(2, 1500).map(lambda n: '{"a": ' * n + "1" + "}" * n),
    st.sampled_from(["1e999", "-1e999", "1" + "0" * 5000, "NaN", "Infinity", "-0", "18446744073709551616",
                     str(2 ** 62), "0.1e-999999", '"\\ud800"', '"\\udfff\\ud800"', '"\\u0000"']),
)
# CSV offsets: digits of other scripts ("²".isdigit(), but int("²") fails), signs, numbers too large.
OFFSETS = st.one_of(texts, st.sampled_from(["²", "１２", "٣", "-1", "+3", "99999999999999999999", "1e3", "0"]))
LIMITS = sorted({value for value in interchange.MAX_LENGTHS.values() if value <= 20_000})
values = st.one_of(
    st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(FIELD_NAMES) | texts, inner, max_size=3), max_leaves=8),
    RAW.map(lambda raw: ("raw", raw)),
    st.sampled_from(LIMITS).map(lambda n: "x" * (n + 1)),
    st.lists(st.just("alias"), min_size=99, max_size=102).map(lambda names: [f"{n}{i}" for i, n in enumerate(names)]),
)


def objects_in(value):
    """Every dict in ``value`` (itself included)."""
    found = [value] if isinstance(value, dict) else []
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    for child in children:
        found += objects_in(child)
    return found


@st.composite
def hostile_records(draw):
    """A valid record with one to three of its fields (at any level) replaced, added or removed; as the
    record, and the raw values to write in place of the markers that stand for them."""
    record = copy.deepcopy(draw(st.sampled_from(RECORDS)))
    raws = {}
    for _ in range(draw(st.integers(1, 3))):
        target = draw(st.sampled_from(objects_in(record)))
        own = [st.sampled_from(sorted(target))] if target else []
        key = draw(st.one_of(*own, st.sampled_from(FIELD_NAMES), texts))
        if draw(st.integers(0, 4)) == 0:
            target.pop(key, None)
            continue
        value = draw(values)
        if isinstance(value, tuple):
            marker = f"@raw{len(raws)}@"
            raws[marker] = value[1]
            value = marker
        target[key] = value
    return record, raws


@st.composite
def hostile_lines(draw) -> bytes:
    """A hostile record as one line of JSON, its bytes broken now and then."""
    record, raws = draw(hostile_records())
    text = json.dumps(record, ensure_ascii=draw(st.booleans()))
    for marker, raw in raws.items():
        text = text.replace(json.dumps(marker), raw)
    data = text.encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 5)) == 0:  # a byte changed, or some left out (never a line break)
        at = draw(st.integers(0, len(data) - 1))
        byte = draw(st.binary(min_size=0, max_size=2).filter(lambda b: b"\n" not in b))
        data = data[:at] + byte + data[at + draw(st.integers(0, 2)):]
    return data


def problems_of_stored_values(record: ClaimRecord) -> list[str]:
    """What the database could not store, or the models would refuse, in what the parser accepted."""
    found = []

    def visit(value, path):
        if isinstance(value, str):
            if "\x00" in value:
                found.append(f"{path}: NUL")
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                found.append(f"{path}: a lone surrogate")
        elif isinstance(value, dict):
            for key, item in value.items():
                visit(item, f"{path}.{key}")
        elif isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                visit(item, f"{path}[{i}]")
        elif dataclasses.is_dataclass(value):
            for f in dataclasses.fields(value):
                visit(getattr(value, f.name), f"{path}.{f.name}")
        elif isinstance(value, float) or (isinstance(value, int) and not isinstance(value, bool)
                                          and abs(value) > 2 ** 31):
            found.append(f"{path}: the number {value!r}")

    visit(record, "record")
    limits = interchange.MAX_LENGTHS
    if len(record.text) > limits["claim.text"] or len(record.passage) > limits["claim.passage"]:
        found.append("a text over its limit")
    for name in [*record.speaker.stated.get("aliases", []), *record.source.stated.get("authors", [])]:
        if len(name) > limits["name"]:
            found.append(f"a name over its limit: {len(name)}")
    if len(record.source.stated.get("text") or "") > limits["source.text"]:
        found.append("a source text over its limit")
    return found


def check(line: int, value, lines: int) -> None:
    """A record as read: a problem with its line, or a value that the parser refuses with record errors
    only, or accepts as something that can be stored."""
    assert isinstance(line, int) and 1 <= line <= lines
    if isinstance(value, Problem):
        assert value.line == line and value.message
        return
    try:
        record = parse_claim(value)
    except RecordError as exc:
        assert exc.problems
        for path, message in exc.problems:
            assert isinstance(path, str) and isinstance(message, str) and message
            assert path.isprintable() and "\x00" not in message
        return
    assert problems_of_stored_values(record) == []


@EXAMPLES
@given(st.lists(st.one_of(hostile_lines(), st.binary(max_size=40).filter(lambda b: b"\n" not in b)), max_size=6))
def test_ndjson_every_line_is_a_record_or_a_problem_of_that_line(lines):
    data = b"\n".join(lines) + b"\n"
    rows = list(interchange.read_records(io.BytesIO(data), "ndjson"))
    blank = [not (text.removeprefix(b"\xef\xbb\xbf") if n == 1 else text).strip()  # a BOM begins the file
             for n, text in enumerate(lines, start=1)]
    assert [line for line, _ in rows] == [n for n, is_blank in enumerate(blank, start=1) if not is_blank]
    for line, value in rows:
        check(line, value, len(lines))


@EXAMPLES
@given(st.lists(hostile_lines(), min_size=1, max_size=5), st.sampled_from([",\n", ", ", ",\n\n  ", "\n,\n"]),
       st.booleans())
def test_json_every_element_is_a_record_or_a_problem_of_its_lines(elements, separator, wrapped):
    head = '{"about": "hostile",\n "claims": [\n' if wrapped else "[\n"
    data = head.encode() + separator.encode().join(elements) + b"\n]" + (b"}" if wrapped else b"") + b"\n"
    lines = data.count(b"\n") + 1
    rows = list(interchange.read_records(io.BytesIO(data), "json"))
    assert rows
    for line, value in rows:
        check(line, value, lines)
    # Where no element is broken, each gives one row, on the line it begins on.
    starts = [head.count("\n") + 1 + i * separator.count("\n") for i in range(len(elements))]
    if all(_is_json(element) for element in elements):
        assert [line for line, _ in rows] == starts


def _is_json(data: bytes) -> bool:
    try:
        json.loads(data.decode("utf-8"), parse_constant=lambda name: 1 / 0)
    except (ValueError, RecursionError, ZeroDivisionError):
        return False
    return True


@EXAMPLES
@given(st.lists(st.fixed_dictionaries({column: OFFSETS if column.startswith("span_") else texts
                                       for column in interchange.CSV_COLUMNS}), max_size=5))
def test_csv_every_row_is_a_record_or_a_problem_of_its_line(rows):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(interchange.CSV_COLUMNS)
    for row in rows:
        writer.writerow([row[column] for column in interchange.CSV_COLUMNS])
    data = out.getvalue().encode("utf-8", "surrogatepass")
    for line, value in interchange.read_records(io.BytesIO(data), "csv"):
        check(line, value, data.count(b"\n") + 1)
    # As text, a line also ends at a lone "\r" (universal newlines).
    lines = len(io.StringIO(out.getvalue(), newline="").readlines()) + 1
    for line, value in interchange.read_records(io.StringIO(out.getvalue(), newline=""), "csv"):
        check(line, value, lines)


@EXAMPLES
@given(values.filter(lambda value: not isinstance(value, tuple)))
def test_the_parser_raises_only_record_errors_whatever_it_is_given(value):
    check(1, value, 1)


@EXAMPLES
@given(hostile_records())
def test_a_text_stream_is_read_as_a_binary_one(record_and_raws):
    record, raws = record_and_raws
    text = json.dumps(record, ensure_ascii=False)
    for marker, raw in raws.items():
        text = text.replace(json.dumps(marker), raw)
    from_text = list(interchange.read_records(io.StringIO(text + "\n"), "ndjson"))
    from_bytes = list(interchange.read_records(io.BytesIO(text.encode("utf-8", "surrogatepass") + b"\n"), "ndjson"))
    assert [(line, type(value)) for line, value in from_text] == [(line, type(value)) for line, value in from_bytes]


@pytest.mark.django_db
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(lines=st.lists(hostile_lines(), min_size=1, max_size=4))
def test_the_importer_reports_every_hostile_record_by_its_line_and_raises_nothing(tmp_path, lines):
    (tmp_path / "article.txt").write_text(TEXT, encoding="utf-8")
    path = tmp_path / "claims.ndjson"
    path.write_bytes(b"\n".join(lines) + b"\n")
    report = import_files([path], skip_invalid=True, reason="Hostile")
    for problem in report.problems:
        assert problem.file == str(path) and 1 <= problem.line <= len(lines)
        assert str(problem).startswith(f"{path}:{problem.line}: ")
    assert report.records == sum(1 for n, text in enumerate(lines, start=1)
                                 if (text.removeprefix(b"\xef\xbb\xbf") if n == 1 else text).strip())
