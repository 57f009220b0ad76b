"""Batched reader for exports: a handful of queries per page of events, not four per event.

``iter_records`` yields each filtered event as its export record (the ``hz-timeline/events``
v1 shape, exactly what ``export.event_record`` makes of ``Queries.event``) in (start, end, uid)
order. A page of events costs one keyset query plus one ``IN (...)`` query each for entities,
tags, mentions and disputes; documents, entity and tag names come from small per-export caches
(bounded, so memory stays flat however many events there are).

``json_chunks`` (and ``iter_json``) give the same records built as JSON text by SQLite itself, for
the json/jsonl formats; a big export builds them in parallel worker processes (``JsonWorkers``).
"""

from __future__ import annotations

import json
import os
import sqlite3
import struct
import subprocess
import sys
from pathlib import Path
from typing import IO, Iterator
from urllib.parse import quote

from .checkpointer import db_file as _db_file
from .queries import Filter, where

_COLS = 'e.id, e.uid, e.start, e."end", e.precision, e.title, e.summary, e.kind, e.approx'
_CACHE_MAX = 100_000  # rows per lookup cache before it is emptied and refilled on demand


class _Lookup:
    """id → row of a small table (documents, entities, tags), fetched on demand a page at a time."""

    def __init__(self, cur: sqlite3.Cursor, sql: str):
        self.cur, self.sql, self.rows = cur, sql, {}

    def load(self, ids: set[int]) -> dict:
        missing = [i for i in ids if i not in self.rows]
        if missing:
            if len(self.rows) + len(missing) > _CACHE_MAX:
                self.rows = {}
                missing = list(ids)
            for i in range(0, len(missing), 900):
                part = missing[i:i + 900]
                for r in self.cur.execute(self.sql.format(",".join("?" * len(part))), part):
                    self.rows[r[0]] = r[1:]
        return self.rows


def iter_records(conn: sqlite3.Connection, f: Filter = Filter(), batch: int = 1000) -> Iterator[tuple[dict, bool]]:
    """(export record, approx) for every filtered event, in (start, end, uid) order, ``batch`` at a time.

    ``approx`` is not part of the v1 record but the human-readable formats show it ("~2018").
    """
    w, p = where(f)
    cur = conn.cursor()
    cur.row_factory = None  # plain tuples: several times cheaper than sqlite3.Row at a million rows
    docs = _Lookup(cur, "SELECT id, path, title, published FROM documents WHERE id IN ({})")
    ents = _Lookup(cur, "SELECT id, name, type FROM entities WHERE id IN ({})")
    tags = _Lookup(cur, "SELECT id, name FROM tags WHERE id IN ({})")
    has_disputes = cur.execute("SELECT 1 FROM disputes LIMIT 1").fetchone() is not None
    key: tuple | None = None
    while True:
        ww, pp = w, p
        if key:
            ww += (" AND " if ww else " WHERE ") + '(e.start, e."end", e.uid) > (?, ?, ?)'
            pp = [*p, *key]
        rows = cur.execute(f'SELECT {_COLS} FROM events e{ww} ORDER BY e.start, e."end", e.uid LIMIT ?',
                           [*pp, batch]).fetchall()
        if not rows:
            return
        recs: dict[int, dict] = {}
        for eid, uid, start, end, precision, title, summary, kind, _ in rows:
            recs[eid] = {"id": uid, "start": start, "end": end, "precision": precision, "title": title,
                         "summary": summary, "kind": kind, "entities": [], "tags": [], "mentions": [],
                         "disputes": []}
        ids = list(recs)
        marks = ",".join("?" * len(ids))

        pairs = cur.execute(f"SELECT event_id, entity_id FROM event_entities WHERE event_id IN ({marks})", ids).fetchall()
        names = ents.load({e for _, e in pairs})
        pairs = sorted(((ev, names[e]) for ev, e in pairs), key=lambda t: (t[0], t[1][0]))
        for ev, (name, typ) in pairs:
            recs[ev]["entities"].append({"name": name, "type": typ})

        pairs = cur.execute(f"SELECT event_id, tag_id FROM event_tags WHERE event_id IN ({marks})", ids).fetchall()
        names = tags.load({t for _, t in pairs})
        for ev, name in sorted((ev, names[t][0]) for ev, t in pairs):
            recs[ev]["tags"].append(name)

        ms = cur.execute(
            'SELECT event_id, id, document_id, start_char, end_char, quote, time_text, start, "end", precision,'
            f" resolution FROM mentions WHERE event_id IN ({marks})", ids).fetchall()
        ms.sort(key=lambda t: (t[0], t[1]))
        dd = docs.load({m[2] for m in ms})
        for ev, _, doc, sc, ec, quote, tt, start, end, prec, res in ms:
            path, title, published = dd[doc]
            recs[ev]["mentions"].append({
                "document": path, "document_title": title, "published": published, "start_char": sc,
                "end_char": ec, "quote": quote, "time_text": tt, "start": start, "end": end, "precision": prec,
                "resolution": res})

        if has_disputes:
            found = []
            for a, b, uid_a, start_a, uid_b, start_b, reason in cur.execute(
                    "SELECT d.event_a, d.event_b, ea.uid, ea.start, eb.uid, eb.start, d.reason FROM disputes d"
                    " JOIN events ea ON ea.id = d.event_a JOIN events eb ON eb.id = d.event_b"
                    f" WHERE d.event_a IN ({marks}) OR d.event_b IN ({marks})", ids + ids):
                if a in recs:
                    found.append((a, start_b, uid_b, reason))
                if b in recs:
                    found.append((b, start_a, uid_a, reason))
            found.sort(key=lambda t: (t[1], t[2]))
            for ev, _, other, reason in found:
                recs[ev]["disputes"].append({"event": other, "reason": reason})

        for r in rows:
            yield recs[r[0]], bool(r[8])
        last = rows[-1]
        key = (last[2], last[3], last[1])


# The same records built as JSON text by SQLite itself, for the json/jsonl formats: no Python object
# per event. Events are read in rowid order, so the per-event lookups into mentions, event_entities
# and event_tags walk their indexes nearly sequentially, and SQLite's external sorter (temporary
# files, bounded memory) puts the records in (start, end, uid) order; the unary + keeps the planner
# from walking events_order instead, which would make every lookup a random one.
_JSON_RECORD = """
SELECT CAST(json_object(
  'id', e.uid, 'start', e.start, 'end', e."end", 'precision', e.precision, 'title', e.title,
  'summary', e.summary, 'kind', e.kind,
  'entities', (SELECT json_group_array(json_object('name', k.name, 'type', k.type)) FROM
      (SELECT k.name, k.type FROM event_entities x JOIN entities k ON k.id = x.entity_id
       WHERE x.event_id = e.id ORDER BY k.name) k),
  'tags', (SELECT json_group_array(t.name) FROM
      (SELECT t.name FROM event_tags x JOIN tags t ON t.id = x.tag_id WHERE x.event_id = e.id ORDER BY t.name) t),
  'mentions', (SELECT json_group_array(json_object(
        'document', d.path, 'document_title', d.title, 'published', d.published, 'start_char', m.start_char,
        'end_char', m.end_char, 'quote', m.quote, 'time_text', m.time_text, 'start', m.start, 'end', m."end",
        'precision', m.precision, 'resolution', m.resolution)) FROM
      (SELECT m.document_id, m.start_char, m.end_char, m.quote, m.time_text, m.start, m."end", m.precision,
              m.resolution FROM mentions m WHERE m.event_id = e.id ORDER BY m.id) m
      JOIN documents d ON d.id = m.document_id),
  'disputes', {disputes}) AS BLOB)
FROM events e{where} ORDER BY +e.start, +e."end", +e.uid
"""
# Few events are disputed: the set of those that are is built once (an uncorrelated IN list), and
# only they run the lookup; the others get the same empty array.
_JSON_DISPUTES = """CASE WHEN e.id IN (SELECT event_a FROM disputes UNION ALL SELECT event_b FROM disputes) THEN
     (SELECT json_group_array(json_object('event', o.uid, 'reason', o.reason)) FROM
      (SELECT o.uid, d.reason FROM disputes d JOIN events o
         ON o.id = CASE WHEN d.event_a = e.id THEN d.event_b ELSE d.event_a END
       WHERE d.event_a = e.id OR d.event_b = e.id ORDER BY o.start, o.uid) o)
   ELSE json('[]') END"""

# Parallel json/jsonl (big exports): the filtered events are cut into contiguous runs ("parts") of
# the (start, end, uid) order, two per worker process (json_worker.py, one per core). Each worker
# builds and sorts one part at a time on its own read-only connection and streams it through a pipe
# when the parent gets to it; the parent takes the parts strictly in order, so the bytes are those of
# the single query. Processes, not threads: see json_worker.py. A part reads the events table in
# rowid order like the single query (its bounds are tested per row, never walked in the index), so
# each part costs one more pass over the pages its events live on: few parts. Memory stays flat: a
# worker holds a frame of records and SQLite's default caches, the parent one frame; the rest of a
# sorted part waits in SQLite's sorter (temporary files) until the parent reads it.
PARALLEL_MIN = 20_000  # events; below this one query is faster than starting workers
PARTS_PER_WORKER = 2  # a worker builds its next part while another's is read
CHUNK = 500  # records a frame
_WORKER = Path(__file__).with_name("json_worker.py")
_FRAME = struct.Struct("<cII")


def parallel_workers() -> int:
    """Worker processes a big json/jsonl export uses: one per available core, at most 4 (1: none)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(4, cores))


def _json_sql(cur: sqlite3.Cursor, w: str) -> str:
    has_disputes = cur.execute("SELECT 1 FROM disputes LIMIT 1").fetchone() is not None
    return _JSON_RECORD.format(where=w, disputes=_JSON_DISPUTES if has_disputes else "json('[]')")


class SnapshotProbe:
    """Tells whether anything was committed to ``conn``'s database file between its opening and ``unchanged()``.

    Opened before ``conn`` begins its read transaction; if ``unchanged()`` after other connections
    have begun theirs, they all read exactly ``conn``'s snapshot (``PRAGMA data_version`` changes
    with every commit by another connection).
    """

    def __init__(self, conn: sqlite3.Connection):
        self.conn = None
        path = _db_file(conn)
        if path:
            try:
                self.conn = sqlite3.connect(f"file:{quote(path)}?mode=ro", uri=True, timeout=5, isolation_level=None)
                self.version = self._version()
            except sqlite3.Error:
                self.close()

    def _version(self) -> int:
        return self.conn.execute("PRAGMA data_version").fetchone()[0]

    def unchanged(self) -> bool:
        try:
            return self.conn is not None and self._version() == self.version
        except sqlite3.Error:
            return False

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class WorkerError(sqlite3.OperationalError):
    """A worker process failed (its message), or died."""


def _read(fh: IO[bytes], size: int) -> bytes:
    data = fh.read(size)
    while len(data) < size:
        more = fh.read(size - len(data))
        if not more:
            raise WorkerError("an export worker exited unexpectedly")
        data += more
    return data


def _frame(fh: IO[bytes]) -> tuple[bytes, int, bytes]:
    kind, size, n = _FRAME.unpack(_read(fh, _FRAME.size))
    data = _read(fh, size) if size else b""
    if kind == b"X":
        raise WorkerError(data.decode("utf-8", "replace"))
    return kind, n, data


class _Worker:
    def __init__(self, path: str):
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-S", str(_WORKER), path],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.out: IO[bytes] = self.proc.stdout

    def send(self, job: dict) -> None:
        try:
            self.proc.stdin.write(json.dumps(job).encode() + b"\n")
            self.proc.stdin.flush()
        except OSError:  # not our output's broken pipe: the worker's
            raise WorkerError("an export worker exited unexpectedly") from None

    def stop(self) -> None:
        for pipe in (self.proc.stdin, self.proc.stdout):
            try:
                pipe.close()
            except OSError:
                pass
        if self.proc.poll() is None:
            self.proc.kill()  # it may be deep in building or sorting a part
        self.proc.wait()


class JsonWorkers:
    """A json/jsonl export cut into parts that worker processes build in parallel, on ``conn``'s snapshot.

    ``start`` returns None (nothing left running) when the export is too small to cut, when workers
    cannot run here, or when ``probe`` cannot vouch that they read the same snapshot as ``conn``; the
    caller then reads through ``conn`` alone.
    """

    def __init__(self, workers: list[_Worker], parts: list[tuple[str, list]]):
        self.workers, self.parts = workers, parts

    @classmethod
    def start(cls, conn: sqlite3.Connection, f: Filter, n: int, probe: SnapshotProbe) -> JsonWorkers | None:
        path = _db_file(conn)
        if n < 2 or not path or not sys.executable:
            return None
        w, p = where(f)
        cur = conn.cursor()
        cur.row_factory = None
        bounds = _bounds(cur, w, p, PARTS_PER_WORKER * n)
        if not bounds:
            return None
        parts = _parts(cur, w, p, bounds)
        workers: list[_Worker] = []
        try:
            for _ in range(min(n, len(parts))):
                workers.append(_Worker(path))
            for wk in workers:
                if _frame(wk.out)[0] != b"R":
                    raise WorkerError("unexpected message from an export worker")
            if probe.unchanged():
                return cls(workers, parts)
        except (OSError, WorkerError):
            pass
        cls(workers, parts).close()
        return None

    def chunks(self, sep: bytes) -> Iterator[tuple[bytes, int]]:
        """The parts' records, strictly in order, as (records joined by ``sep``, how many). A worker
        gets its next part as soon as the parent has read its last one."""
        owner: list[_Worker] = []

        def give(wk: _Worker) -> None:
            sql, params = self.parts[len(owner)]
            wk.send({"sql": sql, "params": params, "sep": sep.decode(), "chunk": CHUNK})
            owner.append(wk)

        for wk in self.workers:
            give(wk)
        for i in range(len(self.parts)):
            wk = owner[i]
            while (frame := _frame(wk.out))[0] == b"D":
                yield frame[2], frame[1]
            if frame[0] != b"E":
                raise WorkerError("unexpected message from an export worker")
            if len(owner) < len(self.parts):
                give(wk)

    def close(self) -> None:
        for wk in self.workers:
            wk.stop()
        self.workers = []


def _bounds(cur: sqlite3.Cursor, w: str, p: list, parts: int) -> list[tuple]:
    """Up to ``parts - 1`` increasing (start, end, uid) keys cutting the filtered events into parts.

    Taken from the events_order index between the first and the last filtered event (so a date range
    is cut evenly); other filters are assumed spread alike. Any keys are correct, only balance suffers.
    """
    key = 'e.start, e."end", e.uid'
    lo = cur.execute(f"SELECT {key} FROM events e{w} ORDER BY {key} LIMIT 1", p).fetchone()
    hi = cur.execute(f'SELECT {key} FROM events e{w} ORDER BY e.start DESC, e."end" DESC, e.uid DESC LIMIT 1',
                     p).fetchone()
    if not lo or parts < 2:
        return []
    n = cur.execute(f"SELECT count(*) FROM events e WHERE ({key}) >= (?, ?, ?) AND ({key}) <= (?, ?, ?)",
                    [*lo, *hi]).fetchone()[0]
    step = n // parts
    if step < 1:
        return []
    out, op = [tuple(lo)], ">="  # chained: each key is after the previous one in SQLite's own order
    for _ in range(parts - 1):
        r = cur.execute(f"SELECT {key} FROM events e WHERE ({key}) {op} (?, ?, ?) ORDER BY {key} LIMIT 1 OFFSET ?",
                        [*out[-1], step - 1]).fetchone()
        if not r or tuple(r) == tuple(hi):
            break
        out.append(tuple(r))
        op = ">"
    return out[1:]


def _parts(cur: sqlite3.Cursor, w: str, p: list, bounds: list[tuple]) -> list[tuple[str, list]]:
    """The query and parameters of each part: keys in (bounds[i-1], bounds[i]]."""
    key, parts = '(+e.start, +e."end", +e.uid)', []  # +: test each row's key, don't walk the index
    for lo, hi in zip([None, *bounds], [*bounds, None]):
        cl, pp = [], list(p)
        if lo:
            cl.append(f"{key} > (?, ?, ?)")
            pp += lo
        if hi:
            cl.append(f"{key} <= (?, ?, ?)")
            pp += hi
        parts.append((_json_sql(cur, (w + " AND " if w else " WHERE ") + " AND ".join(cl)), pp))
    return parts


def json_chunks(conn: sqlite3.Connection, f: Filter, sep: bytes,
                workers: JsonWorkers | None = None) -> Iterator[tuple[bytes, int]]:
    """The records of ``iter_json`` joined by ``sep`` a chunk at a time, as (bytes, number of records).

    With ``workers`` (``JsonWorkers.start``ed for this filter) the parts are built in parallel; same bytes.
    """
    if workers is not None:
        yield from workers.chunks(sep)
        return
    w, p = where(f)
    cur = conn.cursor()
    cur.row_factory = None
    cur.execute(_json_sql(cur, w), p)
    while rows := cur.fetchmany(CHUNK):
        yield sep.join([r[0] for r in rows]), len(rows)


def iter_json(conn: sqlite3.Connection, f: Filter = Filter()) -> Iterator[bytes]:
    """Each filtered event's export record as compact JSON (UTF-8), in (start, end, uid) order.

    Same records as ``iter_records`` (tests hold them equal), several times faster for big exports.
    """
    w, p = where(f)
    cur = conn.cursor()
    cur.row_factory = None
    for (blob,) in cur.execute(_json_sql(cur, w), p):
        yield blob
