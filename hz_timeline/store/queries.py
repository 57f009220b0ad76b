"""Read side of the store: filters → SQL, keyset/offset pages, one event in full, facets.

User text never reaches SQL: terms become FTS5 phrases built from folded text with quotes
doubled, and every other value is a bound parameter.
"""

from __future__ import annotations

import functools
import json
import sqlite3
from dataclasses import dataclass, field, replace
from datetime import date

from .querylang import Compiled


EVENT_COLS = 'e.id, e.uid, e.start, e."end", e.year, e.precision, e.approx, e.title, e.summary, e.kind, e.n_mentions, e.n_sources, e.disputed'


@dataclass(frozen=True)
class Filter:
    """What the user is looking at. Empty filter = every dated event."""

    date_from: str | None = None  # inclusive ISO date
    date_to: str | None = None  # inclusive ISO date
    within: bool = False  # fully inside the range instead of overlapping it
    query: str | None = None
    entities: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()  # document paths
    precisions: tuple[str, ...] = ()
    exclude: tuple[str, ...] = field(default=())

    def describe(self) -> dict:
        out = {}
        for k in ("date_from", "date_to", "query"):
            v = getattr(self, k)
            if v:
                out[{"date_from": "from", "date_to": "to"}.get(k, k)] = v
        if self.within:
            out["within"] = True
        for k in ("entities", "tags", "kinds", "sources", "precisions"):
            v = getattr(self, k)
            if v:
                out[k] = list(v)
        return out


def fts_phrase(term: str) -> str | None:
    """One term as an FTS5 phrase of folded tokens (None when it has no searchable characters)."""
    from .querylang import fts_phrase as phrase

    return phrase(term)


@functools.lru_cache(maxsize=256)
def _compiled(query: str, today: date):
    from . import querylang

    return querylang.compile(querylang.parse(query, strict=False, today=today))


def compiled(query: str | None):
    """The query language (``querylang``) compiled leniently: bad syntax reads as text, never raises."""
    return _compiled(query, date.today()) if query and query.strip() else None


def fts_expression(query: str) -> str | None:
    """The FTS5 expression of a query's text terms (ANDed at the top level), or None."""
    c = compiled(query)
    return c.fts if c else None


def where(f: Filter, probe: bool = False) -> tuple[str, list]:
    """SQL conditions (over ``events e``) and parameters for a filter.

    ``probe``: test the text match row by row (``EXISTS ... rowid = e.id``) instead of as a set,
    which is faster when walking the date index for a term found in many events.
    """
    clauses, params = [], []
    if f.date_from:
        clauses.append("e.start >= ?" if f.within else 'e."end" >= ?')
        params.append(f.date_from)
    if f.date_to:
        clauses.append('e."end" <= ?' if f.within else "e.start <= ?")
        params.append(f.date_to)
    c = compiled(f.query)
    if c is not None:
        s, p = c.conditions(probe)
        clauses.extend(s)
        params.extend(p)
    for names, table, col, key in (
        (f.entities, "event_entities", "entity_id", "entities"),
        (f.tags, "event_tags", "tag_id", "tags"),
    ):
        for name in names:
            clauses.append(f"e.id IN (SELECT x.event_id FROM {table} x JOIN {key} k ON k.id = x.{col} WHERE k.name = ?)")
            params.append(name)
    if f.kinds:
        clauses.append(f"e.kind IN ({','.join('?' * len(f.kinds))})")
        params.extend(f.kinds)
    if f.precisions:
        clauses.append(f"e.precision IN ({','.join('?' * len(f.precisions))})")
        params.extend(f.precisions)
    if f.sources:
        clauses.append(
            "e.id IN (SELECT m.event_id FROM mentions m JOIN documents d ON d.id = m.document_id"
            f" WHERE d.path IN ({','.join('?' * len(f.sources))}))"
        )
        params.extend(f.sources)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


class Queries:
    conn: sqlite3.Connection

    def count(self, f: Filter = Filter()) -> int:
        c = compiled(f.query)
        if c is not None and c.fts and not c.rest and f == Filter(query=f.query):
            # Text only: count in the index itself (every event has exactly one index row), with the
            # lean expression (the same rows without redundant alternatives: 杭州 less its 杭州市).
            return self.conn.execute("SELECT count(*) FROM events_fts WHERE events_fts MATCH ?", (c.match,)).fetchone()[0]
        w, p = where(f)
        return self.conn.execute(f"SELECT count(*) FROM events e{w}", p).fetchone()[0]

    # A text match found in many events is run by walking the date index and testing each row
    # against the text index (cost ~ b * page / share of matching events, b ~ 25 us per probe);
    # a rarer one by fetching its matches first and sorting them (cost ~ a * matches, a ~ 1 us).
    # The crossover is at sqrt(b/a * page * events) matches: ~50k of 1M events, ~16k of 100k.
    # Counting the matches up to that cap is the (cheap, exact) frequency estimate.
    PROBE_COST = 2500  # b/a * page
    PROBE_MIN = 2000
    PROBE_OFFSET_MAX = 200  # past this offset, walking the date index costs more than sorting the matches

    def _probe(self, f: Filter) -> bool:
        """Whether date-ordered pages should walk the date index and probe the text index per row."""
        c = compiled(f.query)
        if c is None or not c.fts or f.entities or f.tags or f.sources:
            return False
        row_level = ('(e."end" ', "(e.start ", "e.kind = ", "e.precision = ")  # dates, kind:, precision:
        if any(not s.startswith(row_level) for s, _ in c.rest):
            return False  # other set filters (entity:, tag:, source:, OR, NOT): fetch matches first
        cache = self.__dict__.setdefault("_probe_cache", {})
        top = self.conn.execute("SELECT max(id) FROM events").fetchone()[0] or 0
        key = (c.match, top)
        if key not in cache:
            if len(cache) > 256:
                cache.clear()
            cap = max(self.PROBE_MIN, int((self.PROBE_COST * top) ** 0.5))
            n = self.conn.execute(
                "SELECT count(*) FROM (SELECT 1 FROM events_fts WHERE events_fts MATCH ? LIMIT ?)",
                (c.match, cap)).fetchone()[0]
            cache[key] = n >= cap
        return cache[key]

    def page(self, f: Filter = Filter(), offset: int = 0, limit: int = 100, order: str = "date") -> list[dict]:
        """Events in date order (start, end, uid), a window of the filtered list.

        ``order="relevance"``: best text matches first (bm25), then date; date order without text.
        """
        c = compiled(f.query)
        if order == "relevance" and c is not None and c.fts:
            # Ranked by the full expression: bm25 scores the matches of every alternative.
            w, p = where(replace(f, query=None))
            conds, cp = Compiled(rest=c.rest).conditions()
            cond = " AND ".join(["events_fts MATCH ?", *([f"({w[7:]})"] if w else []), *conds])
            sql = (f"SELECT {EVENT_COLS} FROM events_fts JOIN events e ON e.id = events_fts.rowid WHERE {cond}"
                   ' ORDER BY bm25(events_fts), e.start, e."end", e.uid LIMIT ? OFFSET ?')
            return [dict(r) for r in self.conn.execute(sql, [c.fts, *p, *cp, limit, offset])]
        if order not in ("date", "relevance"):
            raise ValueError(order)
        # Walking the date index and probing the text index row by row suits the first pages of a
        # frequent term; its cost grows with the offset (45 s at row 29,000 of 57,000 matches at 1M),
        # so deeper pages are read from the set of matches instead (~0.1 s). Same rows either way.
        probe = offset < self.PROBE_OFFSET_MAX and self._probe(f)
        w, p = where(f, probe=probe)
        sql = f'SELECT {EVENT_COLS} FROM events e{w} ORDER BY e.start, e."end", e.uid LIMIT ? OFFSET ?'
        return [dict(r) for r in self.conn.execute(sql, [*p, limit, offset])]

    def after(self, f: Filter, key: tuple[str, str, str] | None, limit: int = 100) -> list[dict]:
        """Keyset page: the events after (start, end, uid)."""
        w, p = where(f, probe=self._probe(f))
        if key:
            w += (" AND " if w else " WHERE ") + '(e.start, e."end", e.uid) > (?, ?, ?)'
            p = [*p, *key]
        sql = f'SELECT {EVENT_COLS} FROM events e{w} ORDER BY e.start, e."end", e.uid LIMIT ?'
        return [dict(r) for r in self.conn.execute(sql, [*p, limit])]

    def position(self, f: Filter, uid: str) -> int | None:
        """Index of an event in the filtered order (for jumping to it)."""
        row = self.conn.execute('SELECT start, "end" FROM events WHERE uid = ?', (uid,)).fetchone()
        if not row:
            return None
        w, p = where(f)
        w += (" AND " if w else " WHERE ") + '(e.start, e."end", e.uid) < (?, ?, ?)'
        return self.conn.execute(f"SELECT count(*) FROM events e{w}", [*p, row[0], row[1], uid]).fetchone()[0]

    def years(self, f: Filter = Filter()) -> list[tuple[int, int]]:
        """(year, count) of events starting in each year.

        Without a filter the ``events_year`` index is the answer. With one, grouping through that
        index visits every event's row in year order (0.7 s at 1M events); ``+e.year`` stops the
        planner from using it, so a date range is counted in the covering ``events_span_year``
        index (35 ms for a year at 1M) and other filters from their own sets.
        """
        w, p = where(f)
        group = "+e.year" if w else "e.year"
        return [tuple(r) for r in self.conn.execute(
            f"SELECT e.year, count(*) FROM events e{w} GROUP BY {group} ORDER BY e.year", p)]

    def facet(self, f: Filter, name: str, limit: int = 50) -> list[tuple[str, int]]:
        """Value counts of one facet (entities, tags, kinds, precisions, sources) under a filter."""
        w, p = where(f)
        base = f"SELECT e.id FROM events e{w}"
        if name == "kinds":
            sql = f"SELECT kind, count(*) FROM events e{w} GROUP BY kind ORDER BY 2 DESC LIMIT ?"
        elif name == "precisions":
            sql = f"SELECT precision, count(*) FROM events e{w} GROUP BY precision ORDER BY 2 DESC LIMIT ?"
        elif name == "entities":
            sql = f"SELECT k.name, count(*) FROM event_entities x JOIN entities k ON k.id = x.entity_id WHERE x.event_id IN ({base}) GROUP BY k.name ORDER BY 2 DESC, 1 LIMIT ?"
        elif name == "tags":
            sql = f"SELECT k.name, count(*) FROM event_tags x JOIN tags k ON k.id = x.tag_id WHERE x.event_id IN ({base}) GROUP BY k.name ORDER BY 2 DESC, 1 LIMIT ?"
        elif name == "sources":
            sql = f"SELECT d.path, count(DISTINCT m.event_id) FROM mentions m JOIN documents d ON d.id = m.document_id WHERE m.event_id IN ({base}) GROUP BY d.path ORDER BY 2 DESC, 1 LIMIT ?"
        else:
            raise ValueError(name)
        return [tuple(r) for r in self.conn.execute(sql, [*p, limit])]

    def event(self, uid: str) -> dict | None:
        """One event in full: entities, tags, mentions with their documents, disputes."""
        row = self.conn.execute(f"SELECT {EVENT_COLS} FROM events e WHERE e.uid = ?", (uid,)).fetchone()
        return self._full(dict(row)) if row else None

    def _full(self, ev: dict) -> dict:
        c = self.conn
        ev_id = ev["id"]
        ev["entities"] = [
            {"name": r[0], "type": r[1]}
            for r in c.execute("SELECT k.name, k.type FROM event_entities x JOIN entities k ON k.id = x.entity_id WHERE x.event_id = ? ORDER BY k.name", (ev_id,))
        ]
        ev["tags"] = [r[0] for r in c.execute("SELECT k.name FROM event_tags x JOIN tags k ON k.id = x.tag_id WHERE x.event_id = ? ORDER BY k.name", (ev_id,))]
        ev["mentions"] = [
            {
                "document": r["path"], "document_title": r["doc_title"], "outlet": r["outlet"], "published": r["published"],
                "start_char": r["start_char"], "end_char": r["end_char"], "quote": r["quote"],
                "time_text": r["time_text"], "time_start_char": r["time_start_char"], "time_end_char": r["time_end_char"],
                "start": r["start"], "end": r["end"], "precision": r["precision"], "approx": bool(r["approx"]),
                "resolution": r["resolution"], "explanation": r["explanation"],
                "merge_score": r["merge_score"], "merge_reasons": json.loads(r["merge_reasons"] or "[]"),
            }
            for r in c.execute(
                "SELECT m.*, d.path, d.title AS doc_title, d.outlet, d.published FROM mentions m"
                " JOIN documents d ON d.id = m.document_id WHERE m.event_id = ? ORDER BY m.id", (ev_id,))
        ]
        ev["disputes"] = [
            {"event": r[0], "reason": r[1]}
            for r in c.execute(
                "SELECT e.uid, d.reason FROM disputes d JOIN events e ON e.id = CASE WHEN d.event_a = ? THEN d.event_b ELSE d.event_a END"
                " WHERE d.event_a = ? OR d.event_b = ? ORDER BY e.start, e.uid", (ev_id, ev_id, ev_id))
        ]
        return ev

    def iter_events(self, f: Filter = Filter(), batch: int = 500):
        """Every filtered event in full, in date order, without holding them all in memory."""
        key = None
        while True:
            rows = self.after(f, key, batch)
            if not rows:
                return
            for r in rows:
                yield self._full(r)
            last = rows[-1]
            key = (last["start"], last["end"], last["uid"])

    def documents(self) -> list[dict]:
        return [dict(r) for r in self.conn.execute(
            "SELECT d.id, d.path, d.title, d.outlet, d.published, d.published_precision, d.published_source, d.script,"
            " d.chars, (SELECT count(*) FROM mentions m WHERE m.document_id = d.id) AS mentions FROM documents d ORDER BY d.path")]

    def document(self, path: str) -> dict | None:
        row = self.conn.execute("SELECT * FROM documents WHERE path = ?", (path,)).fetchone()
        if not row:
            return None
        doc = dict(row)
        doc["mentions"] = [dict(r) for r in self.conn.execute(
            'SELECT m.start_char, m.end_char, m.time_start_char, m.time_end_char, m.time_text, m.start, m."end",'
            " m.precision, m.resolution, e.uid AS event FROM mentions m LEFT JOIN events e ON e.id = m.event_id"
            " WHERE m.document_id = ? ORDER BY m.start_char", (doc["id"],))]
        return doc

    def stats(self) -> dict:
        c = self.conn
        return {
            "documents": c.execute("SELECT count(*) FROM documents").fetchone()[0],
            "events": c.execute("SELECT count(*) FROM events").fetchone()[0],
            "mentions": c.execute("SELECT count(*) FROM mentions").fetchone()[0],
            "undated_mentions": c.execute("SELECT count(*) FROM mentions WHERE event_id IS NULL").fetchone()[0],
            "disputes": c.execute("SELECT count(*) FROM disputes").fetchone()[0],
        }
