"""The SQLite store (events.db through sqlite-utils): opening, writing documents and events.

Every document is written in one transaction, so an interrupted import leaves the database as it
was before that document. Queries live in ``queries``; the search index text in ``index_text``.
"""

from __future__ import annotations

import functools
import json
import os
import re
import sqlite3
import sys
import time
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable

import sqlite_utils

from ..errors import StoreError
from ..importers.structured import BODY_SEP, index_bodies
from ..importers.events import Profile, Verdict, judge_kept, profile, profiles, reasons, same_statement, sketch
from ..models import DateSpan, Document, Entity, Event, Mention
from ..text import fold_for_index
from .queries import Filter, Queries
from .actors import ActorWindows
from .schema import APP_ID, SCHEMA, SCHEMA_VERSION, UID_INDEX, inspect, uid_inline
from .sketches import SketchIndex

__all__ = ["Store", "Filter", "StoreError"]

PRECISION_ORDER = {p: i for i, p in enumerate(("day", "week", "month", "season", "quarter", "half", "year", "range", "decade"))}


INDEXED_QUOTES = 50  # statements of one event in the search index
# An import that wrote this many events, and at least 1/OPTIMIZE_SHARE of the store, ends by
# compacting the search index (``Store.after_import``).
OPTIMIZE_MIN_EVENTS = 1000
OPTIMIZE_SHARE = 50
PROFILE_QUOTES = 20  # statements of one event compared when merging
_COMPLETE = re.compile(r"[。！？!?…」』”\"]\s*$")


def prepare_candidates(candidates: list[Event]) -> list[tuple[Profile, list[int], tuple[str, str]]]:
    """Each candidate's merge profile, MinHash sketch and its mention row's entities and tags as
    JSON (``_names_json``): pure functions of the candidate, so an import worker computes them and
    the single writer does not."""
    return [(p, sketch(p.grams), _names_json(c)) for p, c in zip(profiles(candidates), candidates)]


def _names_json(cand: Event) -> tuple[str, str]:
    """The ``entities`` and ``tags`` columns of a candidate's mention row."""
    return _dumps([[e.name, e.type] for e in cand.entities]), _dumps(list(cand.tags))


def _interned(p: Profile, common: frozenset) -> Profile:
    """``replace(p, common=common)`` with its strings interned. Merging compares every statement
    with dozens of cached profiles; equal strings that are one object compare by identity, without
    reading either (profiles arrive unpickled from the workers, each with its own copies), which
    makes ``judge`` about a quarter cheaper."""
    i = sys.intern
    key, places, actions = p.key, p.places, p.actions  # often empty: nothing to intern then
    return Profile(i(p.start), i(p.end), i(p.precision), frozenset(map(i, p.grams)),
                   frozenset(map(i, key)) if key else key, frozenset(map(i, places)) if places else places,
                   frozenset(map(i, actions)) if actions else actions, common)


# JSON of a mention's entities or tags, parsed (read-only: the lists are shared)
_parsed = functools.lru_cache(maxsize=1 << 16)(json.loads)

# json.dumps(obj, ensure_ascii=False), without making an encoder per call as json.dumps does for
# any argument but the defaults (three per mention written)
_dumps = json.JSONEncoder(ensure_ascii=False).encode


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


class Store(Queries):
    """One open events.db. Not shared between threads: each worker opens its own."""

    def __init__(self, path: str | Path, create: bool = True, readonly: bool = False):
        self.path = Path(path)
        if not create and not self.path.exists():
            raise StoreError(f"{self.path}: no such database")
        if self.path.exists() and self.path.is_dir():
            raise StoreError(f"{self.path}: is a directory, not a database")
        try:
            if readonly:
                conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=5)
            else:
                conn = sqlite3.connect(str(self.path), timeout=5)
            conn.row_factory = sqlite3.Row
            state, version = inspect(conn)
        except sqlite3.DatabaseError as e:
            raise StoreError(f"{self.path}: not an SQLite database ({e})") from None
        if state == "foreign":
            raise StoreError(f"{self.path}: is an SQLite database, but not an hz-timeline one; refusing to touch it")
        if state == "ours" and version and version > SCHEMA_VERSION:
            raise StoreError(f"{self.path}: schema v{version} is newer than this program (v{SCHEMA_VERSION}); upgrade hz-timeline")
        self.conn = conn
        self.db = sqlite_utils.Database(conn)
        self._profiles: dict[int, Profile] = {}
        self._rows: dict[int, list[tuple]] = {}  # event id -> its mention rows (_event_rows)
        self._rows_held = 0
        # What a merge would read back of an event it recomputes, for events written lately:
        # [start, end, whether a dispute names it, its entity ids, its tag ids] (``_refresh_event``;
        # the ids in tuples, a third of the size of sets), kept and dropped with ``_rows``.
        self._state: dict[int, list] = {}
        self._top_id: int | None = None  # the highest event id, if known (``_common``)
        self._mention_rows: list[tuple] = []  # written by _write_mentions
        self._mention_id = 0  # id of the last of them
        self._pend_rows: dict[int, None] | None = None  # fts_pending rows due at a document's end (_insert_document)
        self._counts: dict[str, int] = {}  # entity name -> events, counted when the store had _counted events
        self._counted = -1
        self._ids: dict[tuple[str, str], int] = {}  # (table, name) -> id of entities and tags
        # A bulk import sets this: search-index rows are then written in batches (flush_index)
        # instead of in every document's transaction; fts_pending remembers what is due.
        self.defer_index = False
        # A bulk load sets this too: flush_index then writes only the MinHash values, and the
        # search-index rows all wait for the load's last flush (an event merged into many times
        # is indexed once, not once per flush). _pended: events due since the last flush.
        self.defer_search = False
        self._pended: set[int] = set()
        # While a bulk load has dropped the index on event ids: every stored id -> its event
        # (drop_bulk_indexes), and the database's data_version it was read at (None: read it again).
        self._uid_map: dict[str, int] | None = None
        self._uid_version: int | None = None
        self.sketches = SketchIndex(conn)
        self.actors = ActorWindows(conn, self.RECENT)
        self._data_version: int | None = None  # PRAGMA data_version when the caches were last checked
        # Documents committed together (group_documents): whether on, and the open group's
        # [monotonic start, documents in it] (None: no group open).
        self._grouping = False
        self._group: list | None = None
        if state == "empty" and not readonly:
            self._create()
        elif not readonly:
            self._pragmas()
            self._upgrade()

    def _pragmas(self) -> None:
        try:
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.conn.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.OperationalError as e:
            raise StoreError(f"{self.path}: {e}") from None

    def _upgrade(self) -> None:
        """Add what a same-version database may lack (tables and indexes added later, and the
        indexes a bulk load killed before its end had dropped); every statement is IF NOT EXISTS.
        Such a load's search-index settings are put back, and index rows left pending by an
        interrupted import are written."""
        have = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master")}
        try:
            # (the bulk-load indexes too: a bulk load drops them and rebuilds them at its end)
            if not {*self.BULK_INDEXES[:-1], "disputes_b", "sketch_keys", "fts_pending"} <= have or (
                    "events_uid" not in have and not uid_inline(self.conn)):
                with self.conn:
                    self._build_indexes()
                    if "event_sketch" in have:  # the first layout had no start: carry the values over
                        self.conn.execute("INSERT OR IGNORE INTO sketch_keys (hash, start, event_id) SELECT s.hash,"
                                          " e.start, s.event_id FROM event_sketch s JOIN events e ON e.id = s.event_id")
                        self.conn.execute("DROP TABLE event_sketch")
            if self.conn.execute("SELECT 1 FROM events_fts_config WHERE k = 'automerge' AND v = 0").fetchone():
                with self.conn:
                    self._fts_automerge(self.FTS_AUTOMERGE)
            if self.conn.execute("SELECT 1 FROM fts_pending LIMIT 1").fetchone():
                self.flush_index()
        except (sqlite3.OperationalError, sqlite3.IntegrityError):
            # locked or read-only (or, after a bug, ids that are not unique): the database still
            # works without the newer tables and indexes
            pass

    def _build_indexes(self) -> None:
        """Create whatever table or index of the schema is missing (every statement is IF NOT
        EXISTS), the unique index on event ids too unless the table has its own. SQLite may
        sort for an index in helper threads: the time of a bulk load's last step halves. It
        sorts in pieces spilled to temporary files and merges them; kept in memory instead
        (``temp_store=MEMORY``, which an import sets) the same sorts take 2.5 times as long, so
        they get files here. Changing ``temp_store`` drops the connection's temporary objects:
        none may be needed across this call (``restore_indexes`` drops the uid map first)."""
        c = self.conn
        threads = c.execute("PRAGMA threads").fetchone()[0]
        temp_store = c.execute("PRAGMA temp_store").fetchone()[0]
        c.execute(f"PRAGMA threads = {max(threads, min(4, os.cpu_count() or 1))}")
        try:
            if temp_store == 2 and not c.in_transaction:
                c.execute("PRAGMA temp_store = FILE")
            c.executescript(SCHEMA)
            if not uid_inline(c):
                c.execute(UID_INDEX)
        finally:
            c.execute(f"PRAGMA threads = {threads}")
            if c.execute("PRAGMA temp_store").fetchone()[0] != temp_store and not c.in_transaction:
                c.execute(f"PRAGMA temp_store = {temp_store}")

    def _create(self) -> None:
        self._pragmas()
        try:
            with self.conn:
                self.conn.executescript(SCHEMA)
                self.conn.execute(UID_INDEX)
                self.conn.executemany(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                    [("app", APP_ID), ("schema_version", str(SCHEMA_VERSION)), ("created_at", _now())],
                )
        except sqlite3.OperationalError as e:
            raise StoreError(f"{self.path}: cannot create the database ({e})") from None

    @contextmanager
    def transaction(self, document: bool = False):
        """One write transaction; on rollback the caches that may describe rolled-back rows go.

        ``document``: the transaction of one document (``add_document``), a savepoint in a group
        of documents committed together while ``group_documents`` is on. Any other transaction
        first commits the open group: it never shares a group's."""
        if document and self._grouping:
            with self._document_savepoint():
                yield self.conn
            return
        self.commit_documents()
        try:
            with self.conn:
                self._begin_write()
                yield self.conn
        except BaseException:
            self._rolled_back()
            raise
        self.sketches.commit()

    def _rolled_back(self, document: bool = False) -> None:
        self._profiles.clear()
        self._forget_rows()
        self._ids.clear()
        self.sketches.rollback(document)
        self.actors.forget()
        self._uid_version = None  # the map may hold what was rolled back

    # ------------------------------------------------------------ grouped commits

    GROUP_SECONDS = 1.0  # a group of documents is committed once it is this old
    GROUP_DOCUMENTS = 256  # or holds this many

    def group_documents(self, on: bool) -> None:
        """Commit documents in groups (on) or each on its own (off, the default; turning it off
        commits the open group).

        A bulk load of articles turns it on. Each document is still a transaction of its own, a
        savepoint: one that fails is rolled back alone. But every commit writes out each page its
        transaction changed, and a document changes a hundred pages all over the indexes, so
        committing about once a second rather than per document halves what is written. A crash
        loses the documents of the open group, at most a second's work: the database is as it
        was at the last commit, and a rerun imports them (unchanged files are skipped by hash,
        the others were never stored)."""
        if not on:
            self.commit_documents()
        self._grouping = on

    def commit_documents(self) -> None:
        """Commit the open group of documents, if any."""
        g, self._group = self._group, None
        if g is None:
            return
        try:
            self.sketches.apply()
            self.conn.commit()
        except sqlite3.Error as e:
            self._lost_group(g[1], e)
        self.sketches.commit()

    def _lost_group(self, n: int, e: BaseException) -> None:
        if self.conn.in_transaction:
            self.conn.rollback()
        self._rolled_back()
        raise StoreError(f"{self.path}: the last {n} document(s) imported could not be saved ({e}); the database is as"
                         " it was before them: run the import again to finish") from None

    @contextmanager
    def _document_savepoint(self):
        c = self.conn
        if self._group is None:
            self._begin_write()
            self._group = [time.monotonic(), 0]
        g = self._group
        try:
            c.execute("SAVEPOINT hz_document")
            self.check_caches()  # (the id map, after a document rolled back)
            self.sketches.stage()
            yield c
        except BaseException as e:
            if not c.in_transaction:  # SQLite rolled the whole transaction back (disk full, I/O error)
                self._group = None
                if g[1]:
                    self._lost_group(g[1], e)
                self._rolled_back()
                raise
            c.execute("ROLLBACK TO hz_document")
            c.execute("RELEASE hz_document")
            self._rolled_back(document=True)
            raise
        c.execute("RELEASE hz_document")
        self.sketches.staged()
        g[1] += 1
        if g[1] >= self.GROUP_DOCUMENTS or time.monotonic() - g[0] >= self.GROUP_SECONDS:
            self.commit_documents()

    def close(self) -> None:
        try:
            self.commit_documents()
        finally:
            self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------ bulk loads

    # Indexes the app reads and an import does not (on event dates, and tags to events), and last
    # the unique one on event ids, which a bulk load replaces by a map in memory.
    BULK_INDEXES = ("events_order", "events_span_year", "events_year", "event_tags_tag", "events_uid")
    FTS_AUTOMERGE = 4  # FTS5's default

    def drop_bulk_indexes(self) -> None:
        """For a bulk load: drop ``BULK_INDEXES``. Events arrive in no date or id order, so every
        insert lands on a random page of each, and each document's commit writes those pages
        out again; building them once at the end sorts instead (``restore_indexes``, also run by
        the next writer to open the store if the load is killed). Queries work without them,
        only slower.

        Event ids stay unique, and cheap to look up for the writer (``event_ids``): a dict in this
        process maps every stored id to its event. Temporary triggers on ``events`` report each
        insert and delete to it (an insert of an id already there fails, as it would with the
        index); every transaction takes the write lock first and reads the map again if another
        connection has written since, or if the last transaction rolled back. A database whose
        ids are unique by an inline constraint (the first layout) keeps it: only the other
        indexes go."""
        c = self.conn
        try:
            with c:
                for name in self.BULK_INDEXES[:-1]:
                    c.execute(f"DROP INDEX IF EXISTS {name}")
                # FTS5 merges the search index's segments a little after every transaction; the load
                # ends by merging them all into one (after_import), which makes those steps wasted
                # work (a tenth of the writer's): none meanwhile (restore_indexes, _upgrade).
                self._fts_automerge(0)
            if uid_inline(c) or self._uid_map is not None:
                return
            self._uid_map, self._uid_version = {}, None
            # The dict's own methods, called straight from SQL (a million inserts: no Python code
            # in between): setdefault gives back the id already there, which must be the new one.
            c.create_function("hz_uid_set", 2, self._uid_map.setdefault)
            c.create_function("hz_uid_pop", 2, self._uid_map.pop)
            with self.transaction():
                c.execute(self._UID_INSERT)
                c.execute("CREATE TEMP TRIGGER IF NOT EXISTS hz_uid_delete AFTER DELETE ON main.events"
                          " BEGIN SELECT hz_uid_pop(old.uid, NULL); END")
                c.execute("CREATE TEMP TRIGGER IF NOT EXISTS hz_uid_update AFTER UPDATE OF uid, id ON main.events"
                          f" BEGIN SELECT hz_uid_pop(old.uid, NULL); {self._UID_ADD} END")
                c.execute("DROP INDEX IF EXISTS events_uid")
        except sqlite3.OperationalError as e:
            self._drop_uid_map()
            raise StoreError(f"{self.path}: {e}") from None

    _UID_ADD = "SELECT RAISE(ABORT, 'UNIQUE constraint failed: events.uid') WHERE hz_uid_set(new.uid, new.id) != new.id;"
    _UID_INSERT = f"CREATE TEMP TRIGGER IF NOT EXISTS hz_uid_insert AFTER INSERT ON main.events BEGIN {_UID_ADD} END"

    @contextmanager
    def new_events(self, ids, count: int):
        """Inside a transaction: around one statement that inserts ``count`` events, ``ids``
        ((uid, row id), ...), uids not stored (``event_ids``) nor repeated. During a bulk load the
        uid map learns them all at once rather than one by one from its trigger (a tenth of
        the writer's work on a million events); if one was there after all, this fails as the
        trigger would have."""
        m = self._uid_map
        if m is None:
            yield
            return
        self.conn.execute("DROP TRIGGER temp.hz_uid_insert")  # (back with a rollback, or below)
        yield
        n = len(m)
        m.update(ids)
        if len(m) != n + count:
            raise sqlite3.IntegrityError("UNIQUE constraint failed: events.uid")
        self.conn.execute(self._UID_INSERT)

    def _drop_uid_map(self) -> None:
        """Back to looking ids up in ``events`` (outside a transaction)."""
        if self._uid_map is not None:
            for name in ("insert", "delete", "update"):
                self.conn.execute(f"DROP TRIGGER IF EXISTS temp.hz_uid_{name}")
            self._uid_map = self._uid_version = None

    def event_ids(self, uids) -> dict[str, int]:
        """uid -> row id of those of ``uids`` that are stored."""
        m = self._uid_map
        if m is not None:
            if not self.conn.in_transaction:
                self.check_caches()
            return {u: m[u] for u in m.keys() & uids}
        out: dict[str, int] = {}
        uids = list(uids)
        for i in range(0, len(uids), 500):
            part = uids[i : i + 500]
            out.update((r[1], r[0]) for r in self.conn.execute(
                f"SELECT id, uid FROM events WHERE uid IN ({','.join('?' * len(part))})", part))
        return out

    def _fts_automerge(self, value: int) -> None:
        """Set FTS5's automerge (kept in the database: the next writer after a killed bulk load
        finds 0, which nothing else sets, and puts the default back in ``_upgrade``)."""
        self.conn.execute("INSERT INTO events_fts (events_fts, rank) VALUES ('automerge', ?)", (value,))

    def restore_indexes(self) -> None:
        """End a bulk load (``drop_bulk_indexes``): create whatever index of the schema is missing
        (every statement is IF NOT EXISTS), put FTS5's automerge back and drop the uid map."""
        try:
            # Nothing is inserted any more: ids stay unique without the map, and the index build
            # may drop temporary objects such as its triggers (_build_indexes).
            self._drop_uid_map()
            with self.conn:
                self._build_indexes()
                self._fts_automerge(self.FTS_AUTOMERGE)
        except sqlite3.IntegrityError as e:  # a bug: the uid map kept ids unique all along
            raise StoreError(f"{self.path}: event ids are not unique, the index on them cannot be built ({e})") from None
        except sqlite3.OperationalError as e:
            raise StoreError(f"{self.path}: {e}") from None

    # ------------------------------------------------------------ search index upkeep

    def optimize_index(self) -> float:
        """Merge the search index into one segment (FTS5 ``optimize``); returns the seconds taken.

        Every write transaction adds a segment to the index and FTS5 merges them only in part
        (``automerge``), so after an import a term's list of events is spread over a dozen or so
        segments that every lookup visits. One segment makes per-row checks (the date-ordered
        pages of frequent terms) about three times cheaper and rare-term look-ups about twice;
        results are the same either way. It rewrites the whole index: 2-3 s per million events.
        """
        t0 = time.perf_counter()
        try:
            with self.conn:
                self.conn.execute("INSERT INTO events_fts (events_fts) VALUES ('optimize')")
        except sqlite3.OperationalError as e:
            raise StoreError(f"{self.path}: {e}") from None
        return time.perf_counter() - t0

    def after_import(self, events_written: int) -> bool:
        """Compact the search index after a big import (at least OPTIMIZE_MIN_EVENTS events written
        and 1/OPTIMIZE_SHARE of those stored), so the cost stays small beside the import's own.
        Returns whether it did. A busy or read-only database is left as it is: it works the same."""
        if events_written < OPTIMIZE_MIN_EVENTS:
            return False
        total = self.conn.execute("SELECT max(id) FROM events").fetchone()[0] or 0
        if events_written * OPTIMIZE_SHARE < total:
            return False
        try:
            self.optimize_index()
        except StoreError:
            return False
        return True

    # ------------------------------------------------------------ writes

    def document_sha(self, path: str) -> str | None:
        row = self.conn.execute("SELECT sha256 FROM documents WHERE path = ?", (path,)).fetchone()
        return row[0] if row else None

    def add_document(self, doc: Document, candidates: list[Event], undated: list[Mention],
                     prepared: list[tuple[Profile, list[int]]] | None = None) -> dict:
        """Write a document with its candidates, merging them into existing events. One transaction.

        ``prepared`` (from ``prepare_candidates``, computed by an import worker) is each candidate's
        merge profile and MinHash sketch. Returns counts: {'skipped': bool, 'mentions': n,
        'events_new': n, 'events_merged': n}.
        """
        try:
            with self.transaction(document=True):
                old = self.conn.execute("SELECT id, sha256 FROM documents WHERE path = ?", (doc.path,)).fetchone()
                if old and old["sha256"] == doc.sha256:
                    return {"skipped": True, "mentions": 0, "events_new": 0, "events_merged": 0}
                if old:
                    self._remove_document(old["id"])
                stats = self._insert_document(doc, candidates, undated, prepared or prepare_candidates(candidates))
                if not self.defer_index:
                    self._write_index()
                return stats
        except sqlite3.OperationalError as e:
            raise StoreError(f"{self.path}: {e}") from None

    # ------------------------------------------------------------ merge caches

    def _begin_write(self) -> None:
        """At the start of a write transaction: take the write lock (nobody else writes until it
        ends), then check the caches against what the database holds now."""
        if not self.conn.in_transaction:
            self.conn.execute("BEGIN IMMEDIATE")
        self.check_caches()

    def check_caches(self) -> None:
        """Drop the merge caches if another connection has written since they were last checked,
        and read the id map of a bulk load (drop_bulk_indexes) again if it may be stale (another
        connection's write, or a rollback)."""
        v = self.conn.execute("PRAGMA data_version").fetchone()[0]
        if v != self._data_version:
            if self._data_version is not None:
                self.forget_caches()
            self._data_version = v
        if self._uid_map is not None and v != self._uid_version:
            self._uid_map.clear()
            self._uid_map.update(self.conn.execute("SELECT uid, id FROM main.events"))
            self._uid_version = v

    def forget_caches(self, sketches: bool = True) -> None:
        """Something changed events without going through the merge caches (a bulk write, another
        connection): drop what may describe them. ``sketches=False`` keeps the mirror of the
        MinHash table, for writes that leave it alone."""
        self._profiles.clear()
        self._forget_rows()
        self._counts, self._counted = {}, -1
        self.actors.forget()
        if sketches:
            self.sketches.forget()

    def remove_document(self, path: str) -> int:
        """Take a document and its mentions out; drop events left with no source. Returns mentions removed."""
        row = self.conn.execute("SELECT id FROM documents WHERE path = ?", (path,)).fetchone()
        if not row:
            raise StoreError(f"no document {path!r} in {self.path}")
        with self.transaction():
            n = self._remove_document(row["id"])
            if not self.defer_index:
                self._write_index()
            return n

    def _remove_document(self, doc_id: int) -> int:
        c = self.conn
        self._forget_rows()  # (mentions go below, not through _insert_mention)
        events = [r[0] for r in c.execute("SELECT DISTINCT event_id FROM mentions WHERE document_id = ? AND event_id IS NOT NULL", (doc_id,))]
        n = c.execute("DELETE FROM mentions WHERE document_id = ?", (doc_id,)).rowcount
        c.execute("DELETE FROM documents WHERE id = ?", (doc_id,))
        for ev in events:
            self._refresh_event(ev)
        return n

    def _document_row(self, doc: Document) -> int:
        """Inside a transaction: insert the document's row; returns its id."""
        return self.conn.execute(
            "INSERT INTO documents (path, title, outlet, url, published, published_precision, published_source,"
            " script, format, sha256, chars, text, imported_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (doc.path, doc.title, doc.outlet, doc.url, doc.published, doc.published_precision, doc.published_source,
             doc.script, doc.format, doc.sha256, len(doc.text), doc.text, _now()),
        ).lastrowid

    def _insert_document(self, doc: Document, candidates: list[Event], undated: list[Mention],
                         prepared: list[tuple[Profile, list[int], tuple[str, str]]]) -> dict:
        # Rows that nothing reads before the document ends are written at its end, several to a
        # statement: its mentions (``_write_mentions``) and its events' fts_pending rows (``_pend``).
        self._mention_rows, self._pend_rows = [], {}
        try:
            stats = self._insert_rows(doc, candidates, undated, prepared)
            if self._pend_rows:
                self.conn.executemany("INSERT OR IGNORE INTO fts_pending (event_id) VALUES (?)",
                                      ((i,) for i in self._pend_rows))
            return stats
        finally:
            self._mention_rows, self._pend_rows = [], None

    def _insert_rows(self, doc: Document, candidates: list[Event], undated: list[Mention],
                     prepared: list[tuple[Profile, list[int], tuple[str, str]]]) -> dict:
        c = self.conn
        doc_id = self._document_row(doc)
        # The document's mention rows are written together at its end (``_write_mentions``), with
        # the ids SQLite would give them one by one: the next after the highest.
        self._mention_id = c.execute("SELECT max(id) FROM mentions").fetchone()[0] or 0
        stats = {"skipped": False, "mentions": 0, "events_new": 0, "events_merged": 0}
        touched: set[int] = set()  # events with a mention from this document: never merge into them again
        stale: dict[int, list[tuple[Profile, list[int]]]] = {}  # events to recompute, with what merged into them
        own: list[tuple[int, Event]] = []  # events created from this document
        for cand, (prof, hashes, names) in zip(candidates, prepared):
            target, verdict, disputes, mine = self._match(cand, prof, hashes, touched, own)
            if target is None:
                target = self._new_event(cand, doc_id, mine, hashes, bool(disputes), names)
                own.append((target, cand))
                stats["events_new"] += 1
            else:
                self._insert_mention(cand.mentions[0], doc_id, target, cand, verdict, names)
                stale.setdefault(target, []).append((mine, hashes))
                stats["events_merged"] += 1
            for other, v in disputes:
                a, b = sorted((target, other))
                c.execute("INSERT OR IGNORE INTO disputes (event_a, event_b, reason) VALUES (?,?,?)", (a, b, "; ".join(v.reasons)))
                for ev in (a, b):
                    st = self._state.get(ev)
                    if st is not None:
                        st[2] = True
                # (most are flagged already: a row left as it is is not written)
                c.execute("UPDATE events SET disputed = 1 WHERE id = ? AND disputed = 0", (other,))
            touched.add(target)
            stats["mentions"] += 1
        for m in undated:
            self._insert_mention(m, doc_id, None, None, None)
            stats["mentions"] += 1
        self._write_mentions()
        for ev in sorted(stale):
            self._refresh_event(ev, stale[ev])
        return stats

    def _match(self, cand: Event, prof: Profile, hashes: list[int], touched: set[int], own: list[tuple[int, Event]]):
        """Best existing event for a candidate, the events it disputes, and its merge profile."""
        common = self._common(cand)
        mine = _interned(prof, common)
        # The same statement repeated in one document (headline, abstract, body) is one event.
        for ev_id, ev in own:
            if same_statement(cand, ev):
                return ev_id, Verdict("same", 1.0, ("repeated in the same document",)), [], mine
        # What compare(mine, theirs) says when it is a match or a dispute, its reasons formatted
        # only for the verdicts kept.
        best = None
        best_score = 0.0
        found = []
        cached = self._profiles
        for ev_id in self._candidate_pool(cand, hashes, common, touched):
            theirs = cached.get(ev_id) or self._profile(ev_id)
            if theirs is None:
                continue
            j = judge_kept(mine, theirs)
            if j is None:
                continue
            if j[0] == "same":
                if best is None or j[1] > best_score:
                    best, best_score = (ev_id, theirs, j), j[1]
            else:
                found.append((ev_id, theirs, j))
        found.sort(key=lambda d: -d[2][1])
        disputes = [(ev_id, Verdict("dispute", j[1], reasons(mine, theirs, j))) for ev_id, theirs, j in found[:3]]
        if best:
            ev_id, theirs, j = best
            return ev_id, Verdict("same", j[1], reasons(mine, theirs, j)), disputes, mine
        return None, None, disputes, mine

    def _common(self, cand: Event) -> frozenset:
        """Entities of the candidate found in more than 2% of events (and at least 20): weak evidence.

        Counts are cached and taken again once the store has grown by a tenth."""
        if not cand.entities:
            return frozenset()
        total = self._top_id
        if total is None:  # (then kept up to date by _new_event)
            total = self._top_id = self.conn.execute("SELECT max(id) FROM events").fetchone()[0] or 0
        if self._counted < 0 or total > self._counted * 1.1 + 50:
            self._counts, self._counted = {}, total
        counts, limit = self._counts, max(20, total // 50)
        for e in cand.entities:
            if e.name not in counts:
                row = self.conn.execute(
                    "SELECT count(*) FROM event_entities x JOIN entities en ON en.id = x.entity_id WHERE en.name = ?",
                    (e.name,)).fetchone()
                counts[e.name] = row[0]
        return frozenset(e.name for e in cand.entities if counts[e.name] > limit)

    RECENT = 200  # events per actor looked at: the most recently stored
    POOL = 40  # candidates through shared actors: of those, the nearest in time
    WORDING = 12  # candidates through shared wording

    def _candidate_pool(self, cand: Event, hashes: list[int], common: frozenset, exclude: set[int]) -> list[int]:
        """Events that could be the same as (or disputed by) a candidate, found with bounded index
        look-ups, so the cost per candidate does not grow with the store.

        Every merge rule but near-identical wording needs shared actors or places: events sharing
        a specific (not common) actor or place: of the ``RECENT`` most recently stored for each, the
        ``POOL`` nearest in time. Common names are left to the wording route: they match thousands of events and
        prove little. Wording: events sharing at least two of the eight MinHash values, looked up
        as the ``NEAR`` events on either side of the candidate's date for each value.
        """
        ids: set[int] = set()
        ents = [i for i in (self._entity_id(n) for n in sorted({e.name for e in cand.entities} - common)) if i is not None]
        if ents:
            ids.update(self.actors.nearest(ents, cand.start, self.POOL))
        if hashes:
            # Two shared values of eight: Jaccard >= 0.5 is found 96% of the time, 0.3 three times in
            # four. A templated corpus makes some values very common: only the nearest in time count.
            seen = self.sketches.nearest(hashes, cand.start)
            # (reverse=True keeps ties in first-seen order, as a key of -count would)
            ids.update(sorted([ev for ev, n in seen.items() if n >= 2], key=seen.__getitem__, reverse=True)[: self.WORDING])
        # Never merge two statements of one document.
        return sorted(ids - exclude)

    def _entity_id(self, name: str) -> int | None:
        """Row id of an entity, if stored (unlike ``_name_id``, never creates one)."""
        i = self._ids.get(("entities", name))
        if i is None:
            row = self.conn.execute("SELECT id FROM entities WHERE name = ?", (name,)).fetchone()
            if row is None:
                return None
            i = self._ids[("entities", name)] = row[0]
        return i

    PROFILE_CACHE = 200_000

    def _profile(self, ev_id: int) -> Profile | None:
        """Merge profile of a stored event, cached until the event changes (None: no such event)."""
        p = self._profiles.get(ev_id)
        if p is None:
            ev = self._event_for_compare(ev_id)
            if ev is None:
                return None
            if len(self._profiles) >= self.PROFILE_CACHE:
                self._profiles.clear()
            p = self._profiles[ev_id] = _interned(profile(ev), frozenset())
        return p

    def _event_for_compare(self, ev_id: int) -> Event | None:
        self._write_mentions()
        row = self.conn.execute('SELECT uid, start, "end", precision, title, summary, kind FROM events WHERE id = ?', (ev_id,)).fetchone()
        if row is None:
            return None
        mentions = tuple(
            Mention("", 0, 0, r["quote"], r["time_text"], 0, 0, DateSpan(r["start"], r["end"], r["precision"]))
            for r in self.conn.execute("SELECT quote, time_text, start, \"end\", precision FROM mentions WHERE event_id = ?"
                                       " ORDER BY id LIMIT ?", (ev_id, PROFILE_QUOTES))
        )
        ents = tuple(Entity(r[0], r[1]) for r in self.conn.execute(
            "SELECT en.name, en.type FROM event_entities ee JOIN entities en ON en.id = ee.entity_id WHERE ee.event_id = ?", (ev_id,)))
        return Event(row["uid"], row["start"], row["end"], row["precision"], row["title"], row["summary"], row["kind"], ents, (), mentions)

    def _new_event(self, cand: Event, doc_id: int, mine: Profile, hashes: list[int], disputed: bool,
                   names: tuple[str, str] | None = None) -> int:
        """Write a candidate as a new event with its one mention: the rows ``_refresh_event`` would
        compute from that mention, without reading them back."""
        c = self.conn
        m = cand.mentions[0]
        s = m.span
        uid = cand.id
        while self.event_ids((uid,)):
            uid = uid + "x"
        ev_id = c.execute(
            'INSERT INTO events (uid, start, "end", year, precision, approx, title, summary, kind, n_mentions, n_sources,'
            " disputed) VALUES (?,?,?,?,?,?,?,?,?,1,1,?)",
            (uid, s.start, s.end, int(s.start[:4]), s.precision, int(s.approx), cand.title, m.quote, cand.kind,
             int(disputed))).lastrowid
        if self._top_id is not None and ev_id > self._top_id:
            self._top_id = ev_id
        self._hold_rows(ev_id, [])  # (_insert_mention adds the one row)
        self._insert_mention(m, doc_id, ev_id, cand, None, names)
        ents: dict[str, str] = {}
        for e in cand.entities:
            ents.setdefault(e.name, e.type)
        ent_ids, tag_ids = self._link(ev_id, s.start, ents, cand.tags)
        self._keep_state(ev_id, [s.start, s.end, False, ent_ids, tag_ids])  # (its disputes come next)
        self._pend(ev_id)
        # what _profile would compute from the stored rows
        stored = replace(mine, common=frozenset()) if mine.common else mine
        self.sketches.add(ev_id, s.start, hashes, buffer=self.defer_index)
        if len(self._profiles) < self.PROFILE_CACHE:
            self._profiles[ev_id] = stored
        return ev_id

    def _link(self, ev_id: int, start: str, ents: dict[str, str], tags) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Link a new event to these entities and tags; returns their ids."""
        c = self.conn
        ent_ids: list[int] = []
        tag_ids: list[int] = []
        if ents:
            ent_ids = [self._name_id("entities", name, typ) for name, typ in ents.items()]
            c.executemany("INSERT OR IGNORE INTO event_entities (event_id, entity_id) VALUES (?, ?)",
                          [(ev_id, i) for i in ent_ids])
            self.actors.linked(ev_id, start, ent_ids)
        if tags:
            tag_ids = [self._name_id("tags", t) for t in dict.fromkeys(tags)]
            c.executemany("INSERT OR IGNORE INTO event_tags (event_id, tag_id) VALUES (?, ?)",
                          [(ev_id, i) for i in tag_ids])
        return tuple(set(ent_ids)), tuple(set(tag_ids))

    def _relink(self, ev_id: int, start: str, ents: dict[str, str], tags: list[str],
                have_now: tuple[tuple[int, ...], tuple[int, ...]] | None = None) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Make an event's entity and tag links these, touching only the links that change (a
        merge seldom brings a new name, and every link lives in two indexes). ``have_now``: its
        entity and tag ids now, if known. Returns them as they are made."""
        c = self.conn
        out = []
        for k, (table, link, col, want) in enumerate((
                ("entities", "event_entities", "entity_id", {self._name_id("entities", n, t) for n, t in ents.items()}),
                ("tags", "event_tags", "tag_id", {self._name_id("tags", t) for t in tags}))):
            out.append(tuple(want))
            if have_now is not None:
                have = set(have_now[k])
            else:
                have = {r[0] for r in c.execute(f"SELECT {col} FROM {link} WHERE event_id = ?", (ev_id,))}
            if have - want:
                c.executemany(f"DELETE FROM {link} WHERE event_id = ? AND {col} = ?", [(ev_id, i) for i in have - want])
                if table == "entities":
                    self.actors.unlinked(ev_id, have - want)
            if want - have:
                c.executemany(f"INSERT INTO {link} (event_id, {col}) VALUES (?, ?)", [(ev_id, i) for i in sorted(want - have)])
                if table == "entities":
                    self.actors.linked(ev_id, start, sorted(want - have))
        return out[0], out[1]

    def _name_id(self, table: str, name: str, typ: str | None = None) -> int:
        """Row id of an entity or tag by name, created on first use (cached; the cache is
        dropped when a transaction rolls back)."""
        key = (table, name)
        i = self._ids.get(key)
        if i is None:
            if typ is None:
                self.conn.execute(f"INSERT OR IGNORE INTO {table} (name) VALUES (?)", (name,))
            else:
                self.conn.execute(f"INSERT OR IGNORE INTO {table} (name, type) VALUES (?, ?)", (name, typ))
            i = self._ids[key] = self.conn.execute(f"SELECT id FROM {table} WHERE name = ?", (name,)).fetchone()[0]
        return i

    def _insert_mention(self, m: Mention, doc_id: int, event_id: int | None, cand: Event | None,
                        verdict: Verdict | None, names: tuple[str, str] | None = None) -> None:
        """Inside ``_insert_document``: a mention row, due for ``_write_mentions``. ``names``: the
        candidate's ``_names_json``, if computed already."""
        s = m.span
        ents = tags = None
        if cand is not None:
            ents, tags = names or _names_json(cand)
        self._mention_id += 1
        row_id = self._mention_id
        self._mention_rows.append(
            (row_id, event_id, doc_id, m.start_char, m.end_char, m.quote, m.time_text, m.time_start_char,
             m.time_end_char, s.start, s.end, s.precision, int(s.approx), s.resolution, s.explanation,
             cand.title if cand else None, cand.kind if cand else None, ents, tags,
             verdict.score if verdict else None, _dumps(list(verdict.reasons)) if verdict else None))
        held = self._rows.get(event_id) if event_id is not None else None
        if held is not None:
            # (the strings that repeat from row to row held once: a row is then ~0.6 KB, not 1.1)
            i = sys.intern
            held.append((row_id, doc_id, m.quote, i(s.start), i(s.end), i(s.precision), int(s.approx),
                         cand.title if cand else None, cand.kind if cand else None,
                         i(ents) if ents else ents, i(tags) if tags else tags))
            self._rows_held += 1

    def _write_mentions(self) -> None:
        """Write the mention rows ``_insert_mention`` holds (one statement for a document's rows,
        not one each). Anything that reads mentions back calls this first."""
        rows = self._mention_rows
        if rows:
            self._mention_rows = []
            self.conn.executemany(
                "INSERT INTO mentions (id, event_id, document_id, start_char, end_char, quote, time_text,"
                ' time_start_char, time_end_char, start, "end", precision, approx, resolution, explanation, title,'
                " kind, entities, tags, merge_score, merge_reasons) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                rows)

    # Each merge recomputes the event from all its statements: reading them back, an event retold
    # a hundred times is read a hundred times. The rows of events written or read lately are held
    # in memory instead (``_rows``: event id -> its rows, as the query below gives them), kept up
    # to date by _insert_mention and dropped with the other caches (a rollback, a write that does
    # not go through here, another connection's write), or when they hold MENTION_CACHE rows.
    MENTION_CACHE = 100_000
    _ROWS = 'SELECT id, document_id, quote, start, "end", precision, approx, title, kind, entities, tags FROM mentions'

    def _forget_rows(self) -> None:
        self._rows.clear()
        self._rows_held = 0
        self._state.clear()
        self._top_id = None

    def _event_rows(self, ev_id: int) -> list[tuple]:
        rows = self._rows.get(ev_id)
        if rows is None:
            self._write_mentions()
            rows = [tuple(r) for r in self.conn.execute(f"{self._ROWS} WHERE event_id = ? ORDER BY id", (ev_id,))]
            self._hold_rows(ev_id, rows)
        return rows

    def _hold_rows(self, ev_id: int, rows: list[tuple]) -> None:
        if self._rows_held + len(rows) > self.MENTION_CACHE:
            self._rows.clear()
            self._rows_held = 0
        self._rows[ev_id] = rows
        self._rows_held += len(rows)

    def _refresh_event(self, ev_id: int, added: list[tuple[Profile, list[int]]] | None = None) -> None:
        """Recompute an event from its mentions (or drop it when none are left).

        ``added``: the profiles and sketches of mentions just merged in. The event's sketch is then
        the element-wise minimum of its stored one and theirs (a MinHash of a union), and its cached
        profile the union of the old one and theirs, instead of being recomputed.
        """
        c = self.conn
        old_profile = self._profiles.pop(ev_id, None)
        rows = self._event_rows(ev_id)
        self._pend(ev_id)
        if not rows:
            self._rows.pop(ev_id, None)
            self._state.clear()  # (its disputes go: other events may be left with none)
            self._top_id = None
            c.execute("DELETE FROM event_entities WHERE event_id = ?", (ev_id,))
            c.execute("DELETE FROM event_tags WHERE event_id = ?", (ev_id,))
            self.sketches.drop(ev_id)
            c.execute("DELETE FROM disputes WHERE event_a = ? OR event_b = ?", (ev_id, ev_id))
            c.execute("DELETE FROM events WHERE id = ?", (ev_id,))
            self.actors.dropped(ev_id)
            return
        # Title and summary come from a complete statement (abstracts are often cut short).
        # (rows: id, document_id, quote, start, end, precision, approx, title, kind, entities, tags)
        complete = [r for r in rows if _COMPLETE.search(r[2])]
        # Among them the shortest is the most focused statement of what happened.
        first = min(complete, key=lambda r: (len(r[2]), r[0])) if complete else max(rows, key=lambda r: len(r[2]))
        # The most precise statement dates the event; ties go to the first source.
        best = min(rows, key=lambda r: (PRECISION_ORDER.get(r[5], 99), r[0]))
        ents, tags = self._names(rows)
        n_sources = len({r[1] for r in rows})
        start, end, precision, approx, title, quote, kind = best[3], best[4], best[5], best[6], first[7], first[2], first[8]
        st = self._state.get(ev_id)
        if st is not None:
            disputed, cur = st[2], (st[0], st[1])
        else:
            # Two EXISTS, not one OR: SQLite answers an OR by collecting every match from both indexes first.
            disputed = bool(c.execute("SELECT EXISTS (SELECT 1 FROM disputes WHERE event_a = ?)"
                                      " OR EXISTS (SELECT 1 FROM disputes WHERE event_b = ?)", (ev_id, ev_id)).fetchone()[0])
            cur = c.execute('SELECT start, "end" FROM events WHERE id = ?', (ev_id,)).fetchone()
        if cur is not None and (cur[0], cur[1]) == (start, end):
            # Dates unchanged (the usual merge): leave the three date indexes alone.
            c.execute("UPDATE events SET precision=?, approx=?, title=?, summary=?, kind=?, n_mentions=?, n_sources=?,"
                      " disputed=? WHERE id=?", (precision, approx, title, quote, kind, len(rows), n_sources,
                                                 int(disputed), ev_id))
        else:
            self.actors.moved(ev_id, start)
            c.execute(
                'UPDATE events SET start=?, "end"=?, year=?, precision=?, approx=?, title=?, summary=?, kind=?,'
                " n_mentions=?, n_sources=?, disputed=? WHERE id=?",
                (start, end, int(start[:4]), precision, approx, title, quote, kind, len(rows), n_sources,
                 int(disputed), ev_id),
            )
        links = self._relink(ev_id, start, ents, tags, (st[3], st[4]) if st is not None else None)
        self._keep_state(ev_id, [start, end, disputed, *links])
        self.sketches.update(ev_id, start, [h for _, h in added] if added is not None else None,
                             lambda: sketch(self._profile(ev_id).grams))
        if added and old_profile is not None and len(rows) <= PROFILE_QUOTES:
            ps = [old_profile, *(p for p, _ in added)]
            i = sys.intern  # as _interned does (the sets are unions of interned ones already)
            self._profiles[ev_id] = Profile(
                i(start), i(end), i(precision), frozenset().union(*(p.grams for p in ps)),
                frozenset().union(*(p.key for p in ps)), frozenset().union(*(p.places for p in ps)),
                frozenset().union(*(p.actions for p in ps)))

    def _keep_state(self, ev_id: int, state: list) -> None:
        if len(self._state) >= self.PROFILE_CACHE:
            self._state.clear()
        self._state[ev_id] = state

    @staticmethod
    def _names(rows) -> tuple[dict[str, str], list[str]]:
        """Entities (name -> type, first seen first) and tags of an event's mention rows (rows
        ending in the entities and the tags, as JSON)."""
        ents: dict[str, str] = {}
        tags: dict[str, None] = {}
        # The statements of one event mostly name the same actors: a list already taken in adds
        # nothing (first seen wins), and one seen in another event need not be parsed again.
        done_ents: set[str] = set()
        done_tags: set[str] = set()
        for r in rows:
            e, t = r[-2], r[-1]
            if e and e not in done_ents:
                done_ents.add(e)
                for name, typ in _parsed(e):
                    ents.setdefault(name, typ)
            if t and t not in done_tags:
                done_tags.add(t)
                tags.update(dict.fromkeys(_parsed(t)))
        return ents, list(tags)

    # ------------------------------------------------------------ search index

    INDEX_BATCH = 2000  # pending events indexed per transaction by flush_index
    FLUSH_EVERY = 10_000  # a bulk import flushes when this many events are pending

    def _write_index(self, limit: int | None = None, ids: list[int] | None = None,
                     bodies: dict[int, str] | None = None) -> int:
        """Inside a transaction: bring the search-index rows of (up to ``limit``) pending events up
        to date, or of ``ids`` (given ``bodies``: their ``search_bodies``, if computed elsewhere).
        Returns how many were written."""
        c = self.conn
        if ids is None:
            sql = "SELECT event_id FROM fts_pending ORDER BY event_id" + (f" LIMIT {int(limit)}" if limit else "")
            ids = [r[0] for r in c.execute(sql)]
        if bodies is None:
            bodies = search_bodies(c, ids)
        c.executemany("DELETE FROM events_fts WHERE rowid = ?", ((i,) for i in ids))
        c.executemany("INSERT INTO events_fts (rowid, body) VALUES (?, ?)", ((i, bodies[i]) for i in ids if i in bodies))
        for ev_id in ids:
            if ev_id in bodies:
                has = self.sketches.buffered(ev_id) or self.sketches.stored(ev_id)
                if has is None:
                    has = c.execute("SELECT 1 FROM sketch_keys WHERE event_id = ? LIMIT 1", (ev_id,)).fetchone()
                if not has:
                    # buffered values lost with an interrupted import (or never computed)
                    start = c.execute("SELECT start FROM events WHERE id = ?", (ev_id,)).fetchone()[0]
                    self.sketches.add(ev_id, start, sketch(self._profile(ev_id).grams), buffer=False)
        c.executemany("DELETE FROM fts_pending WHERE event_id = ?", ((i,) for i in ids))
        return len(ids)

    def flush_index(self, bodies: Callable[[list[list[int]]], Iterable[dict[int, str] | None]] | None = None) -> int:
        """Write every pending search-index row, ``INDEX_BATCH`` events per transaction (a bulk
        import calls this every so often and at its end; opening a store finishes what an
        interrupted import left). Returns how many were written. With ``defer_search`` only the
        MinHash values are written (the rows wait for the last flush, once it is off).

        ``bodies``: given the pending events in batches, the ``search_bodies`` of each batch in
        order (or None for one to build here), computed elsewhere from the committed database:
        the end of a bulk load has them built by the idle import workers while this connection
        writes."""
        total = 0
        try:
            with self.transaction():
                written = self.sketches.write()
            self.sketches.written(written)
            self._pended.clear()
            if self.defer_search:
                return 0
            if bodies is not None:
                ids = [r[0] for r in self.conn.execute("SELECT event_id FROM fts_pending ORDER BY event_id")]
                batches = [ids[i : i + self.INDEX_BATCH] for i in range(0, len(ids), self.INDEX_BATCH)]
                for batch, got in zip(batches, bodies(batches)):
                    with self.transaction():
                        total += self._write_index(ids=batch, bodies=got)
            while True:
                with self.transaction():
                    n = self._write_index(self.INDEX_BATCH)
                total += n
                if n < self.INDEX_BATCH:
                    return total
        except sqlite3.OperationalError as e:
            raise StoreError(f"{self.path}: {e}") from None

    def _pend(self, ev_id: int) -> None:
        """Inside a transaction: the event's search-index row is out of date."""
        if self._pend_rows is not None:
            self._pend_rows[ev_id] = None
        else:
            self.conn.execute("INSERT OR IGNORE INTO fts_pending (event_id) VALUES (?)", (ev_id,))
        if self.defer_search:
            self._pended.add(ev_id)

    def index_pending(self) -> int:
        """Events due for the next flush (``defer_search``: those changed since the last one,
        whose rows are kept for the end of the load)."""
        if self.defer_search:
            return len(self._pended)
        return self.conn.execute("SELECT count(*) FROM fts_pending").fetchone()[0]


def search_bodies(conn: sqlite3.Connection, ids: list[int]) -> dict[int, str]:
    """The folded search-index text of each of ``ids`` still stored (``conn``: any connection to
    the store, rows as ``sqlite3.Row``): its title, each distinct statement once and at most
    INDEXED_QUOTES of them (an event retold by hundreds of outlets must not make every merge
    re-index hundreds of quotes), entity names and aliases. Two queries per 500 events and one
    folding pass over all the texts (``index_bodies``): a third of the time of a query and
    ``fold_for_index`` per event."""
    titles: dict[int, str] = {}
    rows: dict[int, list] = {}
    for i in range(0, len(ids), 500):
        part = ids[i : i + 500]
        q = ",".join("?" * len(part))
        titles.update(conn.execute(f"SELECT id, title FROM events WHERE id IN ({q})", part))
        for r in conn.execute(f"SELECT event_id, quote, entities, tags FROM mentions WHERE event_id IN ({q})"
                           " ORDER BY event_id, id", part):
            rows.setdefault(r[0], []).append(r)
    texts, alone = [], {}
    for ev_id, title in titles.items():
        mine = rows.get(ev_id, [])
        quotes = list(dict.fromkeys(r["quote"] for r in mine))[:INDEXED_QUOTES]
        ents, _ = Store._names(mine)
        text = " ".join([title or ""] + quotes + list(ents) + _aliases(ents))
        if BODY_SEP in text:  # (index_bodies' separator: a text holding it is folded alone)
            alone[ev_id] = fold_for_index(text)
        texts.append(text.replace(BODY_SEP, ""))
    out = dict(zip(titles, index_bodies(texts)))
    out.update(alone)
    return out


def _aliases(names) -> list[str]:
    from ..importers.events import load_knowledge

    by_name = load_knowledge().names
    return [alias for n in names for alias in by_name.get(n, ())]
