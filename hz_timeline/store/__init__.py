"""The SQLite store (events.db through sqlite-utils): opening, writing documents and events.

Every document is written in one transaction, so an interrupted import leaves the database as it
was before that document. Queries live in ``queries``; the search index text in ``index_text``.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils

from ..errors import StoreError
from ..importers.events import Profile, Verdict, compare, profile, same_statement, sketch
from ..models import DateSpan, Document, Entity, Event, Mention
from ..text import fold_for_index
from .queries import Filter, Queries
from .schema import APP_ID, SCHEMA, SCHEMA_VERSION, inspect

__all__ = ["Store", "Filter", "StoreError"]

PRECISION_ORDER = {p: i for i, p in enumerate(("day", "week", "month", "season", "quarter", "half", "year", "range", "decade"))}


INDEXED_QUOTES = 50  # statements of one event in the search index
# An import that wrote this many events, and at least 1/OPTIMIZE_SHARE of the store, ends by
# compacting the search index (``Store.after_import``).
OPTIMIZE_MIN_EVENTS = 1000
OPTIMIZE_SHARE = 50
PROFILE_QUOTES = 20  # statements of one event compared when merging
_COMPLETE = re.compile(r"[。！？!?…」』”\"]\s*$")


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
        self._counts: tuple[dict[str, int], int] | None = None  # entity event counts, per document
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
        """Add what a same-version database may lack (indexes added later); every statement is IF NOT EXISTS."""
        have = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master")}
        if {"events_span_year", "disputes_b", "event_sketch"} <= have:
            return
        try:
            with self.conn:
                self.conn.executescript(SCHEMA)
        except sqlite3.OperationalError:
            pass  # locked or read-only: the database still works without the newer indexes

    def _create(self) -> None:
        self._pragmas()
        try:
            with self.conn:
                self.conn.executescript(SCHEMA)
                self.conn.executemany(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                    [("app", APP_ID), ("schema_version", str(SCHEMA_VERSION)), ("created_at", _now())],
                )
        except sqlite3.OperationalError as e:
            raise StoreError(f"{self.path}: cannot create the database ({e})") from None

    def close(self) -> None:
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

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

    def add_document(self, doc: Document, candidates: list[Event], undated: list[Mention]) -> dict:
        """Write a document with its candidates, merging them into existing events. One transaction.

        Returns counts: {'skipped': bool, 'mentions': n, 'events_new': n, 'events_merged': n}.
        """
        try:
            with self.conn:
                old = self.conn.execute("SELECT id, sha256 FROM documents WHERE path = ?", (doc.path,)).fetchone()
                if old and old["sha256"] == doc.sha256:
                    return {"skipped": True, "mentions": 0, "events_new": 0, "events_merged": 0}
                if old:
                    self._remove_document(old["id"])
                return self._insert_document(doc, candidates, undated)
        except BaseException as e:
            self._profiles.clear()  # the transaction rolled back: cached profiles may describe nothing
            if isinstance(e, sqlite3.OperationalError):
                raise StoreError(f"{self.path}: {e}") from None
            raise

    def remove_document(self, path: str) -> int:
        """Take a document and its mentions out; drop events left with no source. Returns mentions removed."""
        row = self.conn.execute("SELECT id FROM documents WHERE path = ?", (path,)).fetchone()
        if not row:
            raise StoreError(f"no document {path!r} in {self.path}")
        with self.conn:
            return self._remove_document(row["id"])

    def _remove_document(self, doc_id: int) -> int:
        c = self.conn
        events = [r[0] for r in c.execute("SELECT DISTINCT event_id FROM mentions WHERE document_id = ? AND event_id IS NOT NULL", (doc_id,))]
        n = c.execute("DELETE FROM mentions WHERE document_id = ?", (doc_id,)).rowcount
        c.execute("DELETE FROM documents WHERE id = ?", (doc_id,))
        for ev in events:
            self._refresh_event(ev)
        return n

    def _insert_document(self, doc: Document, candidates: list[Event], undated: list[Mention]) -> dict:
        c = self.conn
        self._counts = None
        cur = c.execute(
            "INSERT INTO documents (path, title, outlet, url, published, published_precision, published_source,"
            " script, format, sha256, chars, text, imported_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (doc.path, doc.title, doc.outlet, doc.url, doc.published, doc.published_precision, doc.published_source,
             doc.script, doc.format, doc.sha256, len(doc.text), doc.text, _now()),
        )
        doc_id = cur.lastrowid
        stats = {"skipped": False, "mentions": 0, "events_new": 0, "events_merged": 0}
        touched: set[int] = set()
        own: list[tuple[int, Event]] = []  # events created from this document
        for cand in candidates:
            target, verdict, disputes = self._match(cand, doc_id, own)
            if target is None:
                target = self._new_event(cand)
                own.append((target, cand))
                stats["events_new"] += 1
            else:
                stats["events_merged"] += 1
            self._insert_mention(cand.mentions[0], doc_id, target, cand, verdict)
            for other, v in disputes:
                a, b = sorted((target, other))
                c.execute("INSERT OR IGNORE INTO disputes (event_a, event_b, reason) VALUES (?,?,?)", (a, b, "; ".join(v.reasons)))
                c.execute("UPDATE events SET disputed = 1 WHERE id = ?", (other,))
            touched.add(target)
            stats["mentions"] += 1
        for m in undated:
            self._insert_mention(m, doc_id, None, None, None)
            stats["mentions"] += 1
        for ev in touched:
            self._refresh_event(ev)
        return stats

    def _match(self, cand: Event, doc_id: int, own: list[tuple[int, Event]]):
        """Best existing event for a candidate, and events it disputes."""
        # The same statement repeated in one document (headline, abstract, body) is one event.
        for ev_id, ev in own:
            if same_statement(cand, ev):
                return ev_id, Verdict("same", 1.0, ("repeated in the same document",)), []
        best: tuple[int, Verdict] | None = None
        disputes = []
        common = self._common(cand)
        mine = replace(profile(cand), common=common)
        for ev_id in self._candidate_pool(cand, doc_id, common):
            theirs = self._profile(ev_id)
            if theirs is None:
                continue
            v = compare(mine, theirs)
            if v.relation == "same" and (best is None or v.score > best[1].score):
                best = (ev_id, v)
            elif v.relation == "dispute":
                disputes.append((ev_id, v))
        disputes = sorted(disputes, key=lambda d: -d[1].score)[:3]
        if best:
            return best[0], best[1], disputes
        return None, None, disputes

    def _common(self, cand: Event) -> frozenset:
        """Entities of the candidate found in more than 2% of events (and at least 20): weak evidence."""
        if not cand.entities:
            return frozenset()
        if self._counts is None:
            total = self.conn.execute("SELECT max(id) FROM events").fetchone()[0] or 0
            self._counts = ({}, max(20, total // 50))
        counts, limit = self._counts
        for e in cand.entities:
            if e.name not in counts:
                row = self.conn.execute(
                    "SELECT count(*) FROM event_entities x JOIN entities en ON en.id = x.entity_id WHERE en.name = ?",
                    (e.name,)).fetchone()
                counts[e.name] = row[0]
        return frozenset(e.name for e in cand.entities if counts[e.name] > limit)

    POOL = 300  # candidates per route; nearest in time first

    def _candidate_pool(self, cand: Event, doc_id: int, common: frozenset = frozenset()) -> list[int]:
        """Events that could be the same as (or disputed by) a candidate.

        Every merge rule but near-identical wording needs shared actors or places, so indexed
        look-ups find them: events sharing a specific (not common) actor or place, nearest in time
        first, and, for wording, overlapping dates plus a few of the candidate's four-character
        pieces in the search index. Common names are left to the wording route: they match
        thousands of events and prove little.
        """
        c = self.conn
        ids: set[int] = set()
        names = sorted({e.name for e in cand.entities} - common)
        if names:
            q = ",".join("?" * len(names))
            ids.update(r[0] for r in c.execute(
                f"SELECT DISTINCT e.id FROM entities en JOIN event_entities x ON x.entity_id = en.id"
                f" JOIN events e ON e.id = x.event_id WHERE en.name IN ({q})"
                " ORDER BY abs(julianday(e.start) - julianday(?)) LIMIT ?", (*names, cand.start, self.POOL)))
        # Near-identical wording (a repost, a lightly edited copy): events sharing a MinHash value.
        hashes = sketch(profile(cand).grams)
        if hashes:
            q = ",".join("?" * len(hashes))
            # Two shared values of eight: Jaccard >= 0.5 is found 96% of the time, 0.3 three times in
            # four; the most similar first, so a templated corpus cannot flood the comparison.
            ids.update(r[0] for r in c.execute(
                f"SELECT event_id FROM event_sketch WHERE hash IN ({q}) GROUP BY event_id HAVING count(*) >= 2"
                " ORDER BY count(*) DESC LIMIT ?", (*hashes, self.POOL // 6)))
        if not ids:
            return []
        # Never merge two statements of one document.
        q = ",".join("?" * len(ids))
        same_doc = {r[0] for r in c.execute(
            f"SELECT DISTINCT event_id FROM mentions WHERE document_id = ? AND event_id IN ({q})", (doc_id, *ids))}
        return sorted(ids - same_doc)

    def _profile(self, ev_id: int) -> Profile | None:
        """Merge profile of a stored event, cached until the event changes (None: no such event)."""
        p = self._profiles.get(ev_id)
        if p is None:
            ev = self._event_for_compare(ev_id)
            if ev is None:
                return None
            p = self._profiles[ev_id] = profile(ev)
        return p

    def _event_for_compare(self, ev_id: int) -> Event | None:
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

    def _new_event(self, cand: Event) -> int:
        uid = cand.id
        while self.conn.execute("SELECT 1 FROM events WHERE uid = ?", (uid,)).fetchone():
            uid = uid + "x"
        cur = self.conn.execute(
            'INSERT INTO events (uid, start, "end", year, precision, title, summary, kind) VALUES (?,?,?,?,?,?,?,?)',
            (uid, cand.start, cand.end, int(cand.start[:4]), cand.precision, cand.title, cand.summary, cand.kind),
        )
        return cur.lastrowid

    def _insert_mention(self, m: Mention, doc_id: int, event_id: int | None, cand: Event | None, verdict: Verdict | None):
        s = m.span
        self.conn.execute(
            "INSERT INTO mentions (event_id, document_id, start_char, end_char, quote, time_text, time_start_char,"
            ' time_end_char, start, "end", precision, approx, resolution, explanation, title, kind, entities, tags,'
            " merge_score, merge_reasons) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (event_id, doc_id, m.start_char, m.end_char, m.quote, m.time_text, m.time_start_char, m.time_end_char,
             s.start, s.end, s.precision, int(s.approx), s.resolution, s.explanation,
             cand.title if cand else None, cand.kind if cand else None,
             json.dumps([[e.name, e.type] for e in cand.entities], ensure_ascii=False) if cand else None,
             json.dumps(list(cand.tags), ensure_ascii=False) if cand else None,
             verdict.score if verdict else None,
             json.dumps(list(verdict.reasons), ensure_ascii=False) if verdict else None),
        )

    def _refresh_event(self, ev_id: int) -> None:
        """Recompute an event from its mentions (or drop it when none are left)."""
        c = self.conn
        self._profiles.pop(ev_id, None)
        rows = c.execute(
            "SELECT m.*, d.published AS doc_published FROM mentions m JOIN documents d ON d.id = m.document_id"
            " WHERE m.event_id = ? ORDER BY m.id", (ev_id,)).fetchall()
        c.execute("DELETE FROM event_entities WHERE event_id = ?", (ev_id,))
        c.execute("DELETE FROM event_tags WHERE event_id = ?", (ev_id,))
        c.execute("DELETE FROM events_fts WHERE rowid = ?", (ev_id,))
        c.execute("DELETE FROM event_sketch WHERE event_id = ?", (ev_id,))
        if not rows:
            c.execute("DELETE FROM disputes WHERE event_a = ? OR event_b = ?", (ev_id, ev_id))
            c.execute("DELETE FROM events WHERE id = ?", (ev_id,))
            return
        # Title and summary come from a complete statement (abstracts are often cut short).
        complete = [r for r in rows if _COMPLETE.search(r["quote"])]
        # Among them the shortest is the most focused statement of what happened.
        first = min(complete, key=lambda r: (len(r["quote"]), r["id"])) if complete else max(rows, key=lambda r: len(r["quote"]))
        # The most precise statement dates the event; ties go to the first source.
        best = min(rows, key=lambda r: (PRECISION_ORDER.get(r["precision"], 99), r["id"]))
        ents: dict[str, str] = {}
        tags: list[str] = []
        for r in rows:
            for name, typ in json.loads(r["entities"] or "[]"):
                ents.setdefault(name, typ)
            for t in json.loads(r["tags"] or "[]"):
                if t not in tags:
                    tags.append(t)
        n_sources = len({r["document_id"] for r in rows})
        disputed = c.execute("SELECT 1 FROM disputes WHERE event_a = ? OR event_b = ? LIMIT 1", (ev_id, ev_id)).fetchone() is not None
        c.execute(
            'UPDATE events SET start=?, "end"=?, year=?, precision=?, approx=?, title=?, summary=?, kind=?,'
            " n_mentions=?, n_sources=?, disputed=? WHERE id=?",
            (best["start"], best["end"], int(best["start"][:4]), best["precision"], best["approx"], first["title"],
             first["quote"], first["kind"], len(rows), n_sources, int(disputed), ev_id),
        )
        for name, typ in ents.items():
            c.execute("INSERT OR IGNORE INTO entities (name, type) VALUES (?, ?)", (name, typ))
            c.execute("INSERT OR IGNORE INTO event_entities (event_id, entity_id) SELECT ?, id FROM entities WHERE name = ?", (ev_id, name))
        for t in tags:
            c.execute("INSERT OR IGNORE INTO tags (name) VALUES (?)", (t,))
            c.execute("INSERT OR IGNORE INTO event_tags (event_id, tag_id) SELECT ?, id FROM tags WHERE name = ?", (ev_id, t))
        # Index each distinct statement once, and at most INDEXED_QUOTES of them: an event retold by
        # hundreds of outlets must not make every later merge re-index hundreds of quotes.
        quotes = list(dict.fromkeys(r["quote"] for r in rows))[:INDEXED_QUOTES]
        body = " ".join([first["title"] or ""] + quotes + list(ents) + self._aliases(ents))
        c.execute("INSERT INTO events_fts (rowid, body) VALUES (?, ?)", (ev_id, fold_for_index(body)))
        c.executemany("INSERT OR IGNORE INTO event_sketch (hash, event_id) VALUES (?, ?)",
                      [(h, ev_id) for h in sketch(self._profile(ev_id).grams)])

    def _aliases(self, names) -> list[str]:
        from ..importers.events import load_knowledge

        by_name = load_knowledge().names
        return [alias for n in names for alias in by_name.get(n, ())]
