"""Reading the containers: NDJSON, JSON and CSV files (or streams) to decoded records, each with its line
(``read_records``), a line that cannot be read a ``Problem`` of that line. A record too large is refused
without being held in memory; a CSV row becomes the record it stands for (``csv_row_to_record``).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from typing import Any

import orjson

from factbase.interchange.format import (
    ASCII_DIGITS,
    CSV_COLUMNS,
    CSV_COLUMNS_V1_BY_NAME,
    CSV_COLUMNS_V2,
    CSV_COLUMNS_V2_BY_V1,
    CSV_KNOWN_COLUMNS,
    CSV_REQUIRED,
    EXTENSIONS,
    FORMATS,
    RELATION_KEYS,
    csv_unescape_cell,
    split_list,
)
from factbase.interchange.records import Problem, shown_text
from factbase.models.limits import SOURCE_TEXT_MAX_LENGTH


def format_for(path: str, given: str | None = None) -> str:
    """The format named by ``given``, else by the file's extension; ValueError when neither says."""
    if given:
        if given not in FORMATS:
            raise ValueError(f"Unknown format {given!r}: choose one of {', '.join(FORMATS)}.")
        return given
    lowered = str(path).lower()
    for extension, fmt in EXTENSIONS.items():
        if lowered.endswith(extension):
            return fmt
    raise ValueError(f"Cannot tell the format of {path} from its extension ({', '.join(EXTENSIONS)}): "
                     f"give --format.")


# How large a record can be. Its largest part is a source's text, at most SOURCE_TEXT_MAX_LENGTH
# characters; in JSON a character takes at most 12 bytes (one outside the Basic Multilingual Plane
# written as two escapes, "\ud83d\ude00"; 4 in UTF-8 unescaped). A record gives at most its claim's
# source's text and a review's, with room to spare for the rest: a record (an NDJSON line, a JSON array
# element, a CSV row) longer than this cannot be valid, and is refused without being held in memory.
# (A stream of text, rather than bytes, is measured in characters.)
JSON_BYTES_PER_CHARACTER = 12
RECORD_MAX_BYTES = 2 * JSON_BYTES_PER_CHARACTER * SOURCE_TEXT_MAX_LENGTH + (1 << 20)
JSON_MAX_DEPTH = 1024  # orjson's: a record nested deeper is refused (a valid one is six levels deep)
_SKIP_CHUNK = 1 << 16  # bytes read at a time past the end of a record that is too long
_BOM = b"\xef\xbb\xbf"


def _too_large(limit: int = RECORD_MAX_BYTES) -> str:
    return (f"This record is longer than any valid record can be (more than {limit:,} bytes): it was not read. "
            f"A source's text is given once a file (or read from a text_file).")


class _Unreadable(Exception):
    """The rest of a file cannot be read from here on: ``line`` and why."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line, self.message = line, message


class _EncodedText:
    """A text stream (``io.StringIO``) read as the bytes of its text in UTF-8; a lone surrogate in it
    stays one (``surrogatepass``), to be refused as a record's other mistakes are."""

    def __init__(self, stream):
        self.stream = stream

    def readline(self, limit: int) -> bytes:
        return self.stream.readline(limit).encode("utf-8", "surrogatepass")

    def read(self, size: int) -> bytes:
        return self.stream.read(size).encode("utf-8", "surrogatepass")


def _binary(stream):
    return _EncodedText(stream) if isinstance(stream, io.TextIOBase) else stream


def _readline(stream, limit: int, line: int) -> bytes:
    try:
        return stream.readline(limit)
    except UnicodeDecodeError as exc:  # a text stream whose bytes are not its encoding's
        raise _Unreadable(line, f"Not UTF-8 text ({exc.reason}): the rest of the file was not read.") from None


def _lines(stream, limit: int = RECORD_MAX_BYTES) -> Iterator[tuple[int, bytes | None]]:
    """``(number, line)`` for each line of a binary stream; the line is None when it is longer than
    ``limit`` bytes: it is then read to its end a piece at a time, and not kept."""
    number = 0
    while True:
        line = _readline(stream, limit + 1, number + 1)
        if not line:
            return
        number += 1
        if number == 1 and line.startswith(_BOM):
            line = line[len(_BOM):]
        if len(line) > limit and not line.endswith(b"\n"):
            while line and not line.endswith(b"\n"):
                line = _readline(stream, _SKIP_CHUNK, number)
            yield number, None
            continue
        yield number, line


def _not_utf8(data: bytes, error: UnicodeDecodeError, column: int = 1) -> tuple[int, str]:
    """Where in ``data`` (a line within it, from 0) the bytes that are not UTF-8 are, and a message.
    ``column``: where ``data`` starts on its first line."""
    start = error.start
    line, line_start = data.count(b"\n", 0, start), data.rfind(b"\n", 0, start) + 1
    at = len(data[line_start:start].decode("utf-8", "replace")) + 1 + (column - 1 if line == 0 else 0)
    what = "a lone surrogate" if data[start] == 0xED and error.reason == "invalid continuation byte" else \
        f"the byte 0x{data[start]:02x}"
    return line, f"Not UTF-8 text: {what} at column {at} ({error.reason})."


def _json_problem(data: bytes, error: orjson.JSONDecodeError, column: int = 1) -> tuple[int, str]:
    """Why ``data`` (one record, or one line of NDJSON) is not valid JSON: the line within it (from 0)
    and a message. In the standard library's words where it finds the mistake too (they say what was
    expected: "Expecting ',' delimiter"), else in orjson's (a lone surrogate, NaN, a number too large).
    ``column``: where ``data`` starts on its first line."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _not_utf8(data, exc, column)
    if error.msg == "depth limit exceeded":
        return error.lineno - 1, f"Nested too deeply: more than {JSON_MAX_DEPTH} levels of lists and objects."
    line, at, message = error.lineno - 1, error.colno, error.msg
    try:
        json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        line, at, message = exc.lineno - 1, exc.colno, exc.msg
    except (ValueError, RecursionError):  # NaN, a number too long for it, nested too deeply for it
        pass
    return line, f"Not valid JSON: {message} (column {at + (column - 1 if line == 0 else 0)})."


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON value")


def read_records(stream, fmt: str) -> Iterator[tuple[int, Any]]:
    """``(line, record)`` for each record of a stream (binary, or text): a dict as read (not yet
    checked), or a ``Problem`` when the record cannot even be read (broken JSON, bytes that are not
    UTF-8, a record longer than ``RECORD_MAX_BYTES``, a wrong CSV header or row). Only what cannot be
    read past ends the reading of a file early, with a problem that says so (a JSON file whose brackets
    do not match, a CSV row that cannot be read); nothing else is raised."""
    stream = _binary(stream)
    if fmt == "ndjson":
        yield from _read_ndjson(stream)
    elif fmt == "json":
        yield from _read_json(stream)
    elif fmt == "csv":
        yield from _read_csv_lines(stream)
    else:
        raise ValueError(f"Unknown format {fmt!r}.")


def _read_ndjson(stream) -> Iterator[tuple[int, Any]]:
    try:
        for number, line in _lines(stream):
            if line is None:
                yield number, Problem(number, "", _too_large())
                continue
            if not line.strip():
                continue
            try:
                yield number, orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                yield number, Problem(number, "", _json_problem(line, exc)[1])
    except _Unreadable as exc:
        yield exc.line, Problem(exc.line, "", exc.message)


class _CsvLines:
    """The lines of a CSV file as text, for ``csv.reader``: a row (from ``row_start``, reset by
    ``next_row``) longer than ``RECORD_MAX_BYTES``, or bytes that are not UTF-8, end the reading
    (``_Unreadable``): where the next row begins cannot be known past them."""

    def __init__(self, stream):
        self.stream, self.number, self.size, self.row_start = stream, 0, 0, 1

    def __iter__(self):
        return self

    def next_row(self) -> None:
        self.size, self.row_start = 0, self.number + 1

    def __next__(self) -> str:
        line = _readline(self.stream, RECORD_MAX_BYTES + 1, self.number + 1)
        if not line:
            raise StopIteration
        self.number += 1
        if self.number == 1 and line.startswith(_BOM):
            line = line[len(_BOM):]
        self.size += len(line)
        if self.size > RECORD_MAX_BYTES:
            raise _Unreadable(self.row_start, _too_large() + " The rest of the file was not read.")
        try:
            return line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _Unreadable(self.number, _not_utf8(line, exc)[1] + " The rest of the file was not read.") \
                from None


def _read_csv_lines(stream) -> Iterator[tuple[int, Any]]:
    lines = _CsvLines(stream)
    try:
        for line, record in _read_csv(lines):
            lines.next_row()
            yield line, record
    except _Unreadable as exc:
        yield exc.line, Problem(exc.line, "", exc.message)
    except ValueError as exc:  # a cell that the row's reading could not convert (csv_row_to_record)
        line = lines.row_start
        yield line, Problem(line, "", f"This row cannot be read ({shown_text(str(exc), 200)}): the rest of the file "
                                      f"was not read.")


class _JsonDocument:
    """A JSON file read a block at a time: ``_read_json`` walks the list of records (or the object with
    ``"claims"``) here, and each element is cut out by its brackets and quotes and parsed on its own.
    So no element is held beyond ``RECORD_MAX_BYTES`` (a longer one is read past), and an element that
    is not valid JSON is reported and the next one read; only brackets that do not match (or the end
    of the file inside a value) stop the reading. An element alone on the rest of its line (as
    exports write them) is parsed at once."""

    BLOCK = 1 << 16
    _NOT_SPACE = re.compile(rb"[^ \t\r\n]")
    # Outside a text: all up to the next bracket, whole texts included (it stops at the quote of a
    # text that the block ends inside). Inside a text: the rest of it (its closing quote captured).
    _PASS = re.compile(rb'(?:[^"\[\]{}]++|"[^"\\]*+(?:\\.[^"\\]*+)*+")*+')
    _REST_OF_TEXT = re.compile(rb'[^"\\]*+(?:\\.[^"\\]*+)*+(")?')
    _SCALAR_END = re.compile(rb'[ \t\r\n,:\[\]{}"]')
    _CLOSING = {ord("["): ord("]"), ord("{"): ord("}")}
    _QUOTE = ord('"')

    def __init__(self, stream):
        self.stream = stream
        self.buf, self.pos, self.eof = b"", 0, False
        self.line, self.counted = 1, 0  # the line at buf[counted]
        self.carried = 0  # bytes of the line at buf[0] that were in earlier blocks

    def _next_block(self) -> bool:
        if self.eof:
            return False
        buf = self.buf
        self.line += buf.count(b"\n", self.counted)
        last = buf.rfind(b"\n")
        self.carried = len(buf) - last - 1 + (self.carried if last < 0 else 0)
        try:
            block = self.stream.read(self.BLOCK)
        except UnicodeDecodeError as exc:  # a text stream whose bytes are not its encoding's
            raise _Unreadable(self.line, f"Not UTF-8 text ({exc.reason}): the rest of the file was not read.") \
                from None
        if not buf and self.line == 1 and block.startswith(_BOM):
            block = block[len(_BOM):]
        self.buf, self.pos, self.counted, self.eof = block, 0, 0, not block
        return not self.eof

    def line_at(self, pos: int) -> int:
        self.line += self.buf.count(b"\n", self.counted, pos)
        self.counted = pos
        return self.line

    def column_at(self, pos: int) -> int:
        start = self.buf.rfind(b"\n", 0, pos) + 1
        return len(self.buf[start:pos].decode("utf-8", "replace")) + 1 + (self.carried if start == 0 else 0)

    def peek(self) -> int | None:
        """The next byte that is not white space (not taken); None at the end of the file."""
        while True:
            found = self._NOT_SPACE.search(self.buf, self.pos)
            if found:
                self.pos = found.start()
                return self.buf[self.pos]
            self.pos = len(self.buf)
            if not self._next_block():
                return None

    def fail(self, message: str) -> _Unreadable:
        line, column = self.line_at(self.pos), self.column_at(self.pos)
        return _Unreadable(line, f"Not valid JSON: {message} (column {column}). The rest of the file was not read.")

    def take(self, char: str) -> None:
        if self.peek() != ord(char):
            raise self.fail(f"Expecting '{char}'" + (" delimiter" if char == "," else ""))
        self.pos += 1

    def value(self, keep: bool = True) -> tuple[int, int, bytes | None]:
        """The next value: the line and column where it starts, and its bytes (None when not kept, or
        longer than ``RECORD_MAX_BYTES``: read to its end, and not held)."""
        first = self.peek()
        if first is None:
            raise self.fail("Expecting value")
        line, column = self.line_at(self.pos), self.column_at(self.pos)
        parts, size = [], 0
        levels = bytearray()  # the closing bracket each open level waits for
        scalar = first not in b'[{"'
        # a text (the value itself, or one that a block ends inside) is read on with its rest; its
        # opening quote, or a byte escaped across blocks, is stepped over first
        in_text, step = first == self._QUOTE, 1 if first == self._QUOTE else 0
        while True:
            buf, pos, end = self.buf, self.pos + step, None
            step = 0
            if scalar:
                found = self._SCALAR_END.search(buf, pos)
                end = found.start() if found else None
            else:
                if in_text:
                    rest = self._REST_OF_TEXT.match(buf, pos)
                    pos = rest.end()
                    if rest.group(1) is not None:
                        in_text = False
                        if not levels:
                            end = pos
                    elif pos < len(buf):  # stopped at a backslash that ends the block
                        pos, step = len(buf), 1
                while not in_text and end is None:
                    pos = self._PASS.match(buf, pos).end()
                    if pos == len(buf):
                        break
                    char = buf[pos]
                    if char == self._QUOTE:  # a text that goes on into the next block
                        rest = self._REST_OF_TEXT.match(buf, pos + 1)
                        in_text, step, pos = True, int(rest.end() < len(buf)), len(buf)
                        break
                    if char in self._CLOSING:
                        levels.append(self._CLOSING[char])
                    elif not levels or levels.pop() != char:
                        self.pos = pos
                        raise self.fail(f"'{chr(char)}' closes nothing here")
                    pos += 1
                    if not levels:
                        end = pos
            stop = len(buf) if end is None else end
            size += stop - self.pos
            if keep and size <= RECORD_MAX_BYTES:
                parts.append(buf[self.pos:stop])
            elif parts:
                parts = []
            self.pos = stop
            if end is not None or (not self._next_block() and scalar):
                kept = keep and size <= RECORD_MAX_BYTES
                return line, column, b"".join(parts) if kept else None
            if self.eof:
                raise self.fail("The file ends inside a value")

    def _alone_on_its_line(self):
        """The element that begins here when it is an object alone on the rest of its line (then
        perhaps a comma, or the list's end), else None."""
        buf, start = self.buf, self.pos
        if buf[start] != ord("{"):
            return None
        end = buf.find(b"\n", start)
        if end < 0:
            return None  # the line goes on in the next block: value() reads it
        while buf[end - 1] in b" \t\r\n":
            end -= 1
        if buf[end - 1] in b",]":
            end -= 1
        if end <= start or buf[end - 1] != ord("}"):
            return None
        try:
            value = orjson.loads(buf[start:end])
        except orjson.JSONDecodeError:
            return None  # read again by value(), which says what is wrong
        self.pos = end
        return value

    def elements(self) -> Iterator[tuple[int, Any]]:
        """The elements of the list that begins here, each as read or as a ``Problem``."""
        self.take("[")
        if self.peek() == ord("]"):
            self.pos += 1
            return
        while True:
            if self.peek() is None:
                raise self.fail("Expecting value")
            line = self.line_at(self.pos)
            record = self._alone_on_its_line()
            if record is not None:
                yield line, record
            else:
                line, column, data = self.value()
                if data is None:
                    yield line, Problem(line, "", _too_large())
                else:
                    try:
                        yield line, orjson.loads(data)
                    except orjson.JSONDecodeError as exc:
                        offset, message = _json_problem(data, exc, column)
                        yield line + offset, Problem(line + offset, "", message)
            char = self.peek()
            if char == ord("]"):
                self.pos += 1
                return
            self.take(",")


def _read_json(stream) -> Iterator[tuple[int, Any]]:
    document = _JsonDocument(stream)
    try:
        first = document.peek()
        if first == ord("["):
            yield from document.elements()
        elif first == ord("{"):
            document.pos += 1
            found = False
            if document.peek() == ord("}"):
                document.pos += 1
            else:
                while True:
                    if document.peek() != ord('"'):
                        raise document.fail("Expecting property name enclosed in double quotes")
                    key_line, _, data = document.value()
                    key = orjson.loads(data) if data is not None else "…"
                    document.take(":")
                    if key == "claims" and document.peek() == ord("["):
                        yield from document.elements()
                        found = True
                    elif key == "about":
                        document.value(keep=False)
                    else:
                        what = ("Give the claims as a list." if key == "claims" else
                                "Unknown field. A JSON file is a list of claims, or an object with \"claims\" "
                                "(a list) and \"about\" (a text).")
                        yield key_line, Problem(key_line, shown_text(key), what)
                        return
                    if document.peek() == ord("}"):
                        document.pos += 1
                        break
                    document.take(",")
            if not found:
                yield 1, Problem(1, "claims", "The object has no \"claims\" list.")
                return
        else:
            yield 1, Problem(1, "", "A JSON file is a list of claims, or an object with \"claims\".")
            return
        if document.peek() is not None:
            line = document.line_at(document.pos)
            yield line, Problem(line, "", "Not valid JSON: extra data after the end of the document.")
    except orjson.JSONDecodeError as exc:  # a key that is not a valid text
        line = document.line_at(document.pos)
        yield line, Problem(line, "", f"Not valid JSON: {exc.msg}. The rest of the file was not read.")
    except _Unreadable as exc:
        yield exc.line, Problem(exc.line, "", exc.message)


def _read_csv(stream) -> Iterator[tuple[int, Any]]:
    reader = csv.reader(stream)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        yield 1, Problem(1, "", f"Not valid CSV: {exc}.")
        return
    if header and header[0].startswith("\ufeff"):
        header[0] = header[0][1:]
    unknown = [name for name in header if name not in CSV_KNOWN_COLUMNS]
    given = {CSV_COLUMNS_V1_BY_NAME.get(name, name) for name in header}
    missing = [name for name in CSV_REQUIRED if name not in given]
    repeated = sorted({name for name in header if header.count(name) > 1})
    if unknown or missing or repeated:
        parts = []
        if unknown:
            parts.append(f"unknown column(s): {', '.join(shown_text(name) for name in unknown[:20])}")
        if missing:
            parts.append(f"missing column(s): {', '.join(missing)}")
        if repeated:
            parts.append(f"repeated column(s): {', '.join(shown_text(name) for name in repeated[:20])}")
        yield 1, Problem(1, "header", f"Wrong header ({'; '.join(parts)}). The columns are: {', '.join(CSV_COLUMNS)} "
                                      f"(or, in version 2 of the format: {', '.join(CSV_COLUMNS_V2)}).")
        return
    # Columns given under both names (version 1 and 2): a row must give them the same value.
    both = [(old, new) for old, new in CSV_COLUMNS_V2_BY_V1.items() if old in header and new in header]
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                yield line, Problem(line, "", f"This row has {len(row)} cells; the header has {len(header)}.")
                continue
            cells = dict(zip(header, map(csv_unescape_cell, row)))
            conflicts = [(old, new) for old, new in both if cells[old] != cells[new]]
            if conflicts:
                old, new = conflicts[0]
                yield line, Problem(line, new, f"Give {new} or {old} (its name in version 1 of the format), not both "
                                               f"with different values.")
                continue
            yield line, csv_row_to_record({CSV_COLUMNS_V1_BY_NAME.get(name, name): value
                                           for name, value in cells.items()})
    except csv.Error as exc:
        yield reader.line_num, Problem(reader.line_num, "", f"Not valid CSV: {exc}.")


def csv_row_to_record(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row as a record. An empty cell of a related record's detail (aliases, kind, language,
    ...) says nothing about it; an empty cell of the claim's own fields is empty."""
    def cell(name):
        return row.get(name, "")

    record: dict[str, Any] = {"text": cell("text"), "kind": cell("kind") or "direct_quote"}
    if cell("uid"):
        record["uid"] = cell("uid")
    speaker = {"name": cell("speaker"), "kind": cell("speaker_kind")}
    if cell("speaker_aliases"):
        speaker["aliases"] = split_list(cell("speaker_aliases"))
    for column, key in (("speaker_description", "description"), ("speaker_wikidata_id", "wikidata_id")):
        if cell(column):
            speaker[key] = cell(column)
    if not speaker["name"] and speaker.get("wikidata_id"):
        del speaker["name"]
    if not speaker["kind"]:
        del speaker["kind"]
    record["speaker"] = speaker
    record["speaker_role"] = cell("speaker_role")
    record["stated_on"] = cell("stated_on") or None
    record["stated_on_precision"] = cell("stated_on_precision")
    if cell("outlet"):
        record["outlet"] = {"name": cell("outlet")}
        if cell("outlet_kind"):
            record["outlet"]["kind"] = cell("outlet_kind")
    else:
        record["outlet"] = None
    source: dict[str, Any] = {"url": cell("source_url"), "title": cell("source_title"),
                              "published_on": cell("source_published_on") or None}
    if cell("source_language"):
        source["language"] = cell("source_language")
    if cell("source_authors"):
        source["authors"] = split_list(cell("source_authors"))
    if cell("source_outlet"):
        source["outlet"] = {"name": cell("source_outlet")}
    record["source"] = source
    if cell("span_start") or cell("span_end") or cell("span_exact"):
        span: dict[str, Any] = {"exact": cell("span_exact")}
        for key in ("start", "end"):
            value = cell(f"span_{key}")
            span[key] = int(value) if ASCII_DIGITS.fullmatch(value) else value  # "²".isdigit(), but int("²") fails
        record["span"] = span
    if cell("status"):
        record["status"] = cell("status")
    if "status_note" in row and (cell("status_note") or cell("status")):
        record["status_note"] = cell("status_note")
    if "tags" in row:
        record["tags"] = split_list(cell("tags"))
    if "relations" in row:
        record["relations"] = [dict(zip(RELATION_KEYS, item.split(":", 1))) if ":" in item else item
                               for item in split_list(cell("relations"))]
    return record
