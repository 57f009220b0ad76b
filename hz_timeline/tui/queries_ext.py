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
