"""Shard files: a chunk of structured events as a small SQLite file that the writer copies in bulk.

A worker process parses a chunk (``importers.structured``) and writes its rows here, numbered
from 0 (``rel``), instead of sending them back through a pipe. The single writer then ATTACHes
the file and copies each table with one ``INSERT … SELECT`` (``bulk_import.copy_shard``): the
rows never become Python objects in the writer (only the event ids, to be looked up), which is
what made the writer the bottleneck of a big structured import. A shard is a scratch file (no journal, no sync): if anything goes
wrong it is simply built again.

Tables (standard library only, so this stays cheap to import in workers):

* ``ev``: one row per distinct event id in the chunk (its first occurrence), with the folded
  search-index body; ``rel`` follows the order of the ids.
* ``men``: every mention, pointing at its event's ``rel``.
* ``ent`` / ``tag``: the entities (name, type) and tags of each ``ev`` row.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
from dataclasses import dataclass, field

from ..importers.structured import EventChunk
from ..models import Document

SHARD_SCHEMA = """
CREATE TABLE ev (rel INTEGER PRIMARY KEY, uid TEXT, start TEXT, "end" TEXT, year INTEGER, precision TEXT,
                 title TEXT, summary TEXT, kind TEXT, n_mentions INTEGER, n_sources INTEGER, body TEXT);
CREATE TABLE men (rel INTEGER, start_char INTEGER, end_char INTEGER, quote TEXT, time_text TEXT,
                  time_start_char INTEGER, time_end_char INTEGER, start TEXT, "end" TEXT, precision TEXT,
                  resolution TEXT, explanation TEXT, title TEXT, kind TEXT, entities TEXT, tags TEXT);
CREATE TABLE ent (rel INTEGER, name TEXT, type TEXT);
CREATE TABLE tag (rel INTEGER, name TEXT);
"""


@dataclass(frozen=True)
class Shard:
    """What the writer needs besides the file: the chunk's document and what can't be copied blind."""

    path: str  # the shard file
    document: Document
    rows: int  # events in the chunk, repeats included
    events: int  # distinct event ids (rows of ``ev``)
    repeated: tuple[int, ...]  # rels whose id came more than once in the chunk (recomputed after)
    disputes: dict[str, tuple] = field(default_factory=dict)
    uids: tuple[str, ...] = ()  # the event ids of ``ev`` in ``rel`` order


_PARAMS = 999  # bound values per statement (SQLite's smallest limit)


def _insert(conn: sqlite3.Connection, table: str, rows: list[tuple]) -> None:
    """Insert ``rows`` (of equal length) in order, many to a statement: what each row costs on
    its own in ``executemany`` is paid once per batch (a sixth of a worker's time)."""
    if not rows:
        return
    width = len(rows[0])
    per = max(1, _PARAMS // width)
    row = "(" + ",".join("?" * width) + ")"
    batch = f"INSERT INTO {table} VALUES " + ",".join([row] * per)
    flat = itertools.chain.from_iterable
    full = len(rows) - len(rows) % per
    for i in range(0, full, per):
        conn.execute(batch, tuple(flat(rows[i : i + per])))
    if full < len(rows):
        conn.execute(f"INSERT INTO {table} VALUES " + ",".join([row] * (len(rows) - full)), tuple(flat(rows[full:])))


def build_shard(chunk: EventChunk, path: str) -> Shard:
    """Write ``chunk`` to a new shard file at ``path`` (replaced if it exists)."""
    if os.path.exists(path):
        os.unlink(path)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.executescript(SHARD_SCHEMA)
        # Events are numbered in the order of their ids: the writer then inserts into the store's
        # index of ids in key order rather than all over it (when a bulk load has not dropped it).
        uids = sorted({row[0] for row in chunk.rows})
        rel_of = {uid: rel for rel, uid in enumerate(uids)}
        repeated: set[int] = set()
        ev, men, ent, tag = [], [], [], []
        add_ev, add_men, add_ent, add_tag = ev.append, men.append, ent.append, tag.append
        for uid, start, end, precision, title, summary, kind, ents, tags, mentions, n_sources, body, ents_json, \
                tags_json in chunk.rows:
            rel = rel_of[uid]
            if rel >= 0:
                rel_of[uid] = ~rel  # seen: a later row with this id only adds mentions
                add_ev((rel, uid, start, end, int(start[:4]), precision, title, summary, kind, len(mentions),
                        n_sources, body))
                for n, t in ents:
                    add_ent((rel, n, t))
                for t in tags:
                    add_tag((rel, t))
            else:
                rel = ~rel
                repeated.add(rel)
            for m in mentions:
                add_men((rel, *m, title, kind, ents_json, tags_json))
        ev.sort()  # appended to the table in key order, not inserted all over it
        conn.execute("BEGIN")
        for table, rows in (("ev", ev), ("men", men), ("ent", ent), ("tag", tag)):
            _insert(conn, table, rows)
        conn.execute("COMMIT")
    finally:
        conn.close()
    return Shard(path, chunk.document, len(chunk.rows), len(ev), tuple(sorted(repeated)), chunk.disputes, tuple(uids))
