"""The actor route of merging: of the events linked to an entity (actor or place), the ``recent``
most recently stored, and of those the ones nearest in time to a statement.

``Store._candidate_pool`` asks ``nearest``. Each entity's window is read from ``event_entities``
on first use and then kept in memory sorted by date, so a look-up is a bisection and a short
slice per entity instead of a query that joins ``recent`` events per entity and sorts them. The
store tells the windows what it changes (a new event, a new or lost link, new dates, a dropped
event); a lost link or a dropped event only drops the windows involved, which are read again when
next needed. Writes the store does not make through these calls (bulk writes, another connection)
and rolled-back transactions drop every window (``Store.forget_caches``).

Ranking: by distance in days from the statement's start, then the more recently stored first.
A start that is not an ISO date counts as farthest.
"""

from __future__ import annotations

import sqlite3
from bisect import bisect_left, insort
from datetime import date

_FAR = 1 << 30  # days from anything, for a start that is not a date
_ID_BITS = 40  # a ranking key is distance << _ID_BITS | (_ID_MASK - event id)
_ID_MASK = (1 << _ID_BITS) - 1


def day(start: str) -> int:
    try:
        return date.fromisoformat(start).toordinal()
    except (ValueError, TypeError):
        return -_FAR


class _Window:
    __slots__ = ("ids", "by_day")

    def __init__(self, ids: list[int], by_day: list[tuple[int, int]]):
        self.ids = ids  # ascending event ids, at most ``recent``
        self.by_day = by_day  # sorted (day, event id) of the same events


class ActorWindows:
    MAX_WINDOWS = 100_000  # entities held at once; past that all are dropped and read again

    def __init__(self, conn: sqlite3.Connection, recent: int):
        self.conn = conn
        self.recent = recent
        self._win: dict[int, _Window] = {}
        self._in: dict[int, set[int]] = {}  # event id -> entity ids of the windows holding it
        self._day: dict[int, int] = {}  # event id -> its day, for events held in a window

    # ------------------------------------------------------------ look-up

    def nearest(self, entity_ids: list[int], start: str, limit: int) -> list[int]:
        """Of the ``recent`` most recently stored events of each entity, the ``limit`` nearest
        in time to ``start`` (by distance in days, then the most recently stored first)."""
        d = day(start)
        keys: set[int] = set()
        for ent in entity_ids:
            w = self._win.get(ent) or self._load(ent)
            lst = w.by_day
            if not lst:
                continue
            i = bisect_left(lst, (d, -1))
            lo, hi = max(0, i - limit), min(len(lst), i + limit)
            # Widen over equal days at the edges: the tie-break (newest first) may prefer them.
            while lo > 0 and lst[lo - 1][0] == lst[lo][0]:
                lo -= 1
            while hi < len(lst) and lst[hi][0] == lst[hi - 1][0]:
                hi += 1
            keys.update(abs(dd - d) << _ID_BITS | (_ID_MASK - ev) for dd, ev in lst[lo:hi])
        # (sorting a few hundred ints in C beats heapq.nsmallest's loop in Python: 7 against 18 us for 200)
        return [_ID_MASK - (k & _ID_MASK) for k in sorted(keys)[:limit]]

    def _load(self, ent: int) -> _Window:
        if len(self._win) >= self.MAX_WINDOWS:
            self.forget()
        rows = self.conn.execute(
            "SELECT x.event_id, e.start FROM event_entities x JOIN events e ON e.id = x.event_id"
            " WHERE x.entity_id = ? ORDER BY x.event_id DESC LIMIT ?", (ent, self.recent)).fetchall()
        ids, by_day = [], []
        for ev, start in reversed(rows):
            dd = self._day.get(ev)
            if dd is None:
                dd = self._day[ev] = day(start)
            ids.append(ev)
            by_day.append((dd, ev))
            self._in.setdefault(ev, set()).add(ent)
        by_day.sort()
        w = self._win[ent] = _Window(ids, by_day)
        return w

    # ------------------------------------------------------------ changes (inside a transaction)

    def linked(self, ev: int, start: str, entity_ids) -> None:
        """``ev`` (new, or stored before) is now linked to these entities."""
        dd = None
        for ent in entity_ids:
            w = self._win.get(ent)
            if w is None:
                continue  # read from the table when needed, this link included
            ids = w.ids
            if ids and ev <= ids[-1]:
                if ent in self._in.get(ev, ()):
                    continue  # linked already
                if len(ids) >= self.recent and ev < ids[0]:
                    continue  # older than every event in a full window: not among the recent
                insort(ids, ev)
            else:
                ids.append(ev)
            if dd is None:
                dd = self._day.get(ev)
                if dd is None:
                    dd = self._day[ev] = day(start)
            insort(w.by_day, (dd, ev))
            self._in.setdefault(ev, set()).add(ent)
            if len(ids) > self.recent:
                self._evict(ent, w, ids.pop(0))

    def unlinked(self, ev: int, entity_ids) -> None:
        """``ev`` lost these links: their windows are read again when needed (an older event
        may take the place)."""
        for ent in entity_ids:
            if ent in self._in.get(ev, ()):
                self._drop(ent)

    def moved(self, ev: int, start: str) -> None:
        """``ev`` has a new start."""
        old = self._day.get(ev)
        if old is None:
            return
        new = self._day[ev] = day(start)
        for ent in self._in.get(ev, ()):
            lst = self._win[ent].by_day
            lst.pop(bisect_left(lst, (old, ev)))
            insort(lst, (new, ev))

    def dropped(self, ev: int) -> None:
        """``ev`` is deleted."""
        for ent in list(self._in.get(ev, ())):
            self._drop(ent)
        self._day.pop(ev, None)

    def forget(self) -> None:
        self._win.clear()
        self._in.clear()
        self._day.clear()

    # ------------------------------------------------------------ internals

    def _evict(self, ent: int, w: _Window, ev: int) -> None:
        w.by_day.pop(bisect_left(w.by_day, (self._day[ev], ev)))
        self._release(ev, ent)

    def _drop(self, ent: int) -> None:
        w = self._win.pop(ent, None)
        if w is not None:
            for ev in w.ids:
                self._release(ev, ent)

    def _release(self, ev: int, ent: int) -> None:
        held = self._in.get(ev)
        if held is not None:
            held.discard(ent)
            if not held:
                del self._in[ev]
                self._day.pop(ev, None)
