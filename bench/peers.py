"""The peers of `make bench` (issue #16 item 4): the same claims served by Datasette, from a SQLite copy of
the benchmark database, and by the floor, a bare Django view (bench/floor/) that runs one SQL statement.

Pure functions (the Datasette URL of a Factbase URL, the SQLite copy's schema) and the copy itself.
bench/README.md says what each side returns."""

from __future__ import annotations

import json
import sqlite3
import time
import urllib.parse
from pathlib import Path

#: The copy's database name in Datasette's URLs is the file's stem: /claims/claims.json
SQLITE_NAME = "claims.sqlite3"
DATASETTE_TABLE = "/claims/claims"
#: Datasette's JSON of a table page as Factbase's is: 50 rows as objects, newest first (stated_key is
#: Factbase's ordering key, COALESCE(stated_on, '0001-01-01')), no total count (Factbase counts only with
#: count=true), no facets.
DATASETTE_PAGE = f"{DATASETTE_TABLE}.json?_shape=objects&_nocount=1&_nofacet=1&_size="
#: Settings of the Datasette under test: production-like (no debug, no suggested facets: they are
#: queries Factbase does not run), its defaults otherwise.
DATASETTE_SETTINGS = {"suggest_facets": False, "default_page_size": 50}

SCHEMA = [
    # The claims as Datasette would serve them from a flat copy: the names of the speaker, outlet and
    # source joined in, tags and reviews as JSON text (sqlite-utils' way with many-to-many).
    """CREATE TABLE claims (
        id INTEGER PRIMARY KEY, uid TEXT NOT NULL, text TEXT NOT NULL, kind TEXT NOT NULL,
        speaker_id INTEGER NOT NULL, speaker_name TEXT NOT NULL, speaker_kind TEXT NOT NULL,
        speaker_role TEXT NOT NULL, stated_on TEXT, stated_on_precision TEXT NOT NULL, stated_key TEXT NOT NULL,
        outlet_id INTEGER, outlet_name TEXT, outlet_kind TEXT,
        source_id INTEGER NOT NULL, source_title TEXT NOT NULL, source_url TEXT NOT NULL,
        span_start INTEGER, span_end INTEGER, span_exact TEXT NOT NULL,
        status TEXT NOT NULL, status_note TEXT NOT NULL, verified_at TEXT, status_changed_at TEXT,
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL, tags TEXT NOT NULL, reviews TEXT NOT NULL)""",
    # PostgreSQL's indexes for a) to d), in the order Datasette reads them: it sorts by the one column
    # asked for, then by the primary key ascending (Factbase: the key, then id, both descending).
    "CREATE INDEX claim_stated_key_id ON claims (stated_key DESC, id)",
    "CREATE INDEX claim_speaker_stated_key ON claims (speaker_id, stated_key DESC, id)",
    # c): full text over the claim's text and its speaker's name, as Factbase's search_vector holds them.
    "CREATE VIRTUAL TABLE claims_fts USING fts5 (text, speaker_name, content=\"claims\", content_rowid=\"id\")",
    "CREATE TABLE bench_dataset (claims INTEGER NOT NULL, seed INTEGER NOT NULL, loaded_at TEXT NOT NULL)",
]

COLUMNS = ("id", "uid", "text", "kind", "speaker_id", "speaker_name", "speaker_kind", "speaker_role", "stated_on",
           "stated_on_precision", "stated_key", "outlet_id", "outlet_name", "outlet_kind", "source_id",
           "source_title", "source_url", "span_start", "span_end", "span_exact", "status", "status_note",
           "verified_at", "status_changed_at", "created_at", "updated_at", "tags", "reviews")

#: The rows of the copy, read from PostgreSQL in id order.
SELECT_ROWS = """SELECT c.id, c.uid::text, c.text, c.kind, c.speaker_id, a.name, a.kind, c.speaker_role,
  c.stated_on::text, c.stated_on_precision, COALESCE(c.stated_on, '0001-01-01')::text, c.outlet_id, o.name, o.kind,
  c.source_id, s.title, s.url, c.span_start, c.span_end, c.span_exact, c.status, c.status_note,
  to_char(c.verified_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
  to_char(c.status_changed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
  to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
  to_char(c.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
  COALESCE((SELECT json_agg(t.name ORDER BY t.name) FROM factbase_claim_tags ct
            JOIN factbase_tag t ON t.id = ct.tag_id WHERE ct.claim_id = c.id), '[]')::text,
  COALESCE((SELECT json_agg(json_build_object('rating', r.rating, 'rating_text', r.rating_text, 'reviewer', ra.name)
                            ORDER BY COALESCE(r.reviewed_on, '0001-01-01') DESC, r.id)
            FROM factbase_review r LEFT JOIN factbase_actor ra ON ra.id = r.reviewer_id
            WHERE r.claim_id = c.id), '[]')::text
FROM factbase_claim c JOIN factbase_actor a ON a.id = c.speaker_id
LEFT JOIN factbase_outlet o ON o.id = c.outlet_id JOIN factbase_source s ON s.id = c.source_id
ORDER BY c.id"""


def datasette_path(factbase_path: str) -> str:
    """The Datasette URL that asks for what a Factbase URL of a) to d) asks for: the same page size,
    ordering (newest first), filter (speaker) or word (q); one claim by id as Datasette's row JSON."""
    parts = urllib.parse.urlsplit(factbase_path)
    segments = [s for s in parts.path.split("/") if s]
    if segments[:3] != ["api", "v1", "claims"]:
        raise ValueError(f"not a claims URL: {factbase_path}")
    if len(segments) == 4:
        return f"{DATASETTE_TABLE}/{segments[3]}.json?_shape=objects"
    args = urllib.parse.parse_qs(parts.query)
    unknown = set(args) - {"page_size", "ordering", "speaker", "q"}
    if unknown or args.get("ordering", ["-stated_on"]) != ["-stated_on"]:
        raise ValueError(f"no Datasette equivalent for {factbase_path}")
    path = DATASETTE_PAGE + args.get("page_size", ["50"])[0] + "&_sort_desc=stated_key"
    if "speaker" in args:
        path += "&speaker_id=" + urllib.parse.quote(args["speaker"][0])
    if "q" in args:
        path += "&_search=" + urllib.parse.quote(args["q"][0])
    return path


def datasette_data_line(line: str) -> str:
    """A line of a wrk input (bench/wrk.lua: a path, or RANGE<TAB>template<TAB>low<TAB>high) for Datasette."""
    fields = line.split("\t")
    if fields[0] == "RANGE":
        return "\t".join(["RANGE", datasette_path(fields[1].replace("{}", "0")).replace("/0.json", "/{}.json"),
                          *fields[2:]])
    return datasette_path(fields[0])


def copy_is_current(path: Path, marker: dict) -> bool:
    """Whether the SQLite copy at ``path`` was made from the dataset that ``marker`` (bench_dataset) describes."""
    if not path.exists():
        return False
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            row = db.execute("SELECT claims, seed, loaded_at FROM bench_dataset").fetchone()
    except sqlite3.Error:
        return False
    return row is not None and list(row) == [marker["claims"], marker["seed"], str(marker["loaded_at"])]


def create_schema(db: sqlite3.Connection) -> None:
    for statement in SCHEMA:
        db.execute(statement)


def fill(db: sqlite3.Connection, rows, marker: dict) -> int:
    """Insert ``rows`` (tuples in COLUMNS order), build the full-text index, write the marker. Returns the rows."""
    count = 0
    insert = f"INSERT INTO claims ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= 5000:
            db.executemany(insert, batch)
            count += len(batch)
            batch = []
    if batch:
        db.executemany(insert, batch)
        count += len(batch)
    db.execute("INSERT INTO claims_fts (claims_fts) VALUES ('rebuild')")
    db.execute("INSERT INTO bench_dataset VALUES (?, ?, ?)",
               [marker["claims"], marker["seed"], str(marker["loaded_at"])])
    db.commit()
    db.execute("ANALYZE")
    db.commit()
    return count


def make_copy(conn, path: Path, marker: dict) -> dict:
    """Make the SQLite copy of the benchmark's claims at ``path`` from the PostgreSQL connection ``conn``
    (anew: a copy being written is a temporary file renamed at the end)."""
    started = time.monotonic()
    temporary = path.with_suffix(".tmp")
    temporary.unlink(missing_ok=True)
    db = sqlite3.connect(temporary)
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    create_schema(db)
    with conn.cursor(name="bench_sqlite_copy") as cursor:
        cursor.itersize = 5000
        cursor.execute(SELECT_ROWS)
        count = fill(db, cursor, marker)
    db.execute("VACUUM")
    db.close()
    temporary.replace(path)
    return {"rows": count, "seconds": round(time.monotonic() - started, 1), "bytes": path.stat().st_size}


def sample_row(path: Path, claim_id: int) -> dict:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        db.row_factory = sqlite3.Row
        row = db.execute("SELECT * FROM claims WHERE id = ?", [claim_id]).fetchone()
    return {k: (json.loads(row[k]) if k in ("tags", "reviews") else row[k]) for k in row.keys()} if row else {}
