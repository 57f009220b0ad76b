"""Read queries the UI needs beyond ``store.queries`` (tags of a page of rows, text matches).

Kept here, taking a Store, so the TUI does not reach into the store module; candidates to move
into ``Queries`` later.
"""

from __future__ import annotations

from ..store.queries import EVENT_COLS, Filter, where


def tags_for(store, ids: list[int]) -> dict[int, list[str]]:
    """Tag names of each event id (for the markers of one page of timeline rows)."""
    if not ids:
        return {}
    out: dict[int, list[str]] = {}
    q = ",".join("?" * len(ids))
    for ev_id, name in store.conn.execute(
        f"SELECT x.event_id, k.name FROM event_tags x JOIN tags k ON k.id = x.tag_id WHERE x.event_id IN ({q})"
        " ORDER BY k.name", ids):
        out.setdefault(ev_id, []).append(name)
    return out


def before(store, f: Filter, key: tuple[str, str, str], limit: int = 100) -> list[dict]:
    """Keyset page backwards: the events before (start, end, uid), nearest first."""
    w, p = where(f)
    w += (" AND " if w else " WHERE ") + '(e.start, e."end", e.uid) < (?, ?, ?)'
    sql = f'SELECT {EVENT_COLS} FROM events e{w} ORDER BY e.start DESC, e."end" DESC, e.uid DESC LIMIT ?'
    return [dict(r) for r in store.conn.execute(sql, [*p, *key, limit])]


def key_of(row: dict) -> tuple[str, str, str]:
    return (row["start"], row["end"], row["uid"])


def contains(store, f: Filter, uid: str) -> bool:
    """Whether the event is in the filter (one row looked up, its text tested in place)."""
    w, p = where(f, probe=True)
    w += (" AND " if w else " WHERE ") + "e.uid = ?"
    return store.conn.execute(f"SELECT 1 FROM events e{w} LIMIT 1", [*p, uid]).fetchone() is not None


PROBE_OFFSET_MAX = 200  # past this offset, walking the date index costs more than sorting the matches


def page_at(store, f: Filter, offset: int, limit: int) -> list[dict]:
    """``store.page(f, offset, limit)`` with the same rows, fast at any offset.

    ``page`` walks the date index and probes the text index row by row for a frequent search
    term: right for the first page, but the walk grows with the offset (45 s for row 29,000 of a
    57,000-match term at 1M events). Deeper pages are read from the set of matches instead (~0.1 s).
    """
    if offset < PROBE_OFFSET_MAX or not store._probe(f):
        return store.page(f, offset, limit)
    w, p = where(f)
    sql = f'SELECT {EVENT_COLS} FROM events e{w} ORDER BY e.start, e."end", e.uid LIMIT ? OFFSET ?'
    return [dict(r) for r in store.conn.execute(sql, [*p, limit, offset])]
