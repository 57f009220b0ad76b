"""Schema v1 of events.db and the checks that tell our database from a foreign one."""

from __future__ import annotations

import sqlite3

APP_ID = "hz-timeline"
SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    title TEXT, outlet TEXT, url TEXT,
    published TEXT, published_precision TEXT, published_source TEXT,
    script TEXT, format TEXT,
    sha256 TEXT NOT NULL,
    chars INTEGER NOT NULL,
    text TEXT NOT NULL,
    imported_at TEXT NOT NULL
);
-- uid is unique through the separate index UID_INDEX (a bulk load drops it: see Store.drop_bulk_indexes);
-- databases created before that keep an inline UNIQUE here instead, and no events_uid
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    uid TEXT NOT NULL,
    start TEXT NOT NULL,
    "end" TEXT NOT NULL,
    year INTEGER NOT NULL,
    precision TEXT NOT NULL,
    approx INTEGER NOT NULL DEFAULT 0,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    kind TEXT NOT NULL,
    n_mentions INTEGER NOT NULL DEFAULT 0,
    n_sources INTEGER NOT NULL DEFAULT 0,
    disputed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS events_order ON events (start, "end", uid);
CREATE INDEX IF NOT EXISTS events_year ON events (year);
-- covers per-year counts under a date filter without touching the table
CREATE INDEX IF NOT EXISTS events_span_year ON events (start, "end", year);
CREATE TABLE IF NOT EXISTS mentions (
    id INTEGER PRIMARY KEY,
    event_id INTEGER REFERENCES events(id),
    document_id INTEGER NOT NULL REFERENCES documents(id),
    start_char INTEGER NOT NULL, end_char INTEGER NOT NULL,
    quote TEXT NOT NULL,
    time_text TEXT NOT NULL, time_start_char INTEGER NOT NULL, time_end_char INTEGER NOT NULL,
    start TEXT, "end" TEXT, precision TEXT, approx INTEGER NOT NULL DEFAULT 0,
    resolution TEXT NOT NULL, explanation TEXT,
    title TEXT, kind TEXT, entities TEXT, tags TEXT,
    merge_score REAL, merge_reasons TEXT
);
CREATE INDEX IF NOT EXISTS mentions_event ON mentions (event_id);
CREATE INDEX IF NOT EXISTS mentions_document ON mentions (document_id, start_char);
CREATE TABLE IF NOT EXISTS entities (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, type TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS event_entities (
    event_id INTEGER NOT NULL REFERENCES events(id), entity_id INTEGER NOT NULL REFERENCES entities(id),
    PRIMARY KEY (event_id, entity_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS event_entities_entity ON event_entities (entity_id, event_id);
CREATE TABLE IF NOT EXISTS tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS event_tags (
    event_id INTEGER NOT NULL REFERENCES events(id), tag_id INTEGER NOT NULL REFERENCES tags(id),
    PRIMARY KEY (event_id, tag_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS event_tags_tag ON event_tags (tag_id, event_id);
-- A rowid table: disputes are appended as found; the pair's uniqueness lives in a small index
-- (two ints per entry) instead of ordering the long reasons by pair, which made every insert
-- land on a random page of the whole table. (Stores made before keep their WITHOUT ROWID table.)
CREATE TABLE IF NOT EXISTS disputes (
    event_a INTEGER NOT NULL REFERENCES events(id), event_b INTEGER NOT NULL REFERENCES events(id),
    reason TEXT NOT NULL, UNIQUE (event_a, event_b));
CREATE INDEX IF NOT EXISTS disputes_b ON disputes (event_b);
-- MinHash values of each event's wording with the event's start, to find near-identical statements
-- nearest in time with a bounded index range scan per value (importers.events.sketch)
CREATE TABLE IF NOT EXISTS sketch_keys (
    hash INTEGER NOT NULL, start TEXT NOT NULL, event_id INTEGER NOT NULL REFERENCES events(id),
    PRIMARY KEY (hash, start, event_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sketch_keys_event ON sketch_keys (event_id);
-- events whose search-index row is out of date; a bulk import indexes them in batches (Store.flush_index)
CREATE TABLE IF NOT EXISTS fts_pending (event_id INTEGER PRIMARY KEY);
CREATE VIRTUAL TABLE IF NOT EXISTS events_fts USING fts5 (body, tokenize = 'unicode61 remove_diacritics 0');
"""


UID_INDEX = "CREATE UNIQUE INDEX IF NOT EXISTS events_uid ON events (uid)"


def uid_inline(conn: sqlite3.Connection) -> bool:
    """Whether ``events.uid`` is unique by a constraint in the table definition (the first layout),
    which no bulk load can drop, rather than by the ``events_uid`` index."""
    return any(r[3] == "u" for r in conn.execute("PRAGMA main.index_list(events)"))


def inspect(conn: sqlite3.Connection) -> tuple[str, int | None]:
    """('empty'|'ours'|'foreign', schema version) for an open connection."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if not tables:
        return "empty", None
    if "meta" not in tables:
        return "foreign", None
    rows = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    if rows.get("app") != APP_ID:
        return "foreign", None
    return "ours", int(rows.get("schema_version", 0))
