"""The MinHash look-up behind merging: which stored events share wording with a statement.

Each event has eight MinHash values of its wording (``importers.events.sketch``); ``sketch_keys``
holds them with the event's start, keyed by value, so the events nearest in time that share a
value are one bounded index range scan away. Every value is a random place in that index, so
writing them per document would dirty a page per value; instead the values of events created
during a bulk import wait here in memory (looked up just the same) and are written sorted, in one
go, with the search-index rows (``Store.flush_index``). Those events are in ``fts_pending`` until
then, so values lost to a crash are recomputed from the stored mentions by the next flush.
"""

from __future__ import annotations

import sqlite3
from bisect import bisect_left, insort
from typing import Callable

SLOT_BITS = 31  # a value's slot (which of the eight hash functions) is in its high bits


class SketchIndex:
    NEAR = 8  # events per value on each side of the statement's date

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self._by_hash: dict[int, list[tuple[str, int]]] = {}  # value -> sorted (start, event id)
        self._of: dict[int, tuple[str, list[int]]] = {}  # event id -> (start, values), not yet written
        self._txn: set[int] = set()  # buffered events changed by the open transaction

    # ------------------------------------------------------------ look-up

    def nearest(self, hashes: list[int], start: str) -> dict[int, int]:
        """event id -> how many of ``hashes`` it shares, among the NEAR events on either side of
        ``start`` for each value (stored and buffered)."""
        seen: dict[int, int] = {}
        if not hashes:
            return seen
        sql = " UNION ALL ".join(
            "SELECT * FROM (SELECT event_id FROM sketch_keys WHERE hash = ? AND start >= ? ORDER BY start LIMIT ?)"
            " UNION ALL SELECT * FROM (SELECT event_id FROM sketch_keys WHERE hash = ? AND start < ?"
            " ORDER BY start DESC LIMIT ?)" for _ in hashes)
        args = [a for h in hashes for a in (h, start, self.NEAR, h, start, self.NEAR)]
        for (ev,) in self.conn.execute(sql, args):
            seen[ev] = seen.get(ev, 0) + 1
        if self._by_hash:
            for h in hashes:
                lst = self._by_hash.get(h)
                if lst:
                    i = bisect_left(lst, (start, -1))
                    for _, ev in lst[max(0, i - self.NEAR): i + self.NEAR]:
                        seen[ev] = seen.get(ev, 0) + 1
        return seen

    # ------------------------------------------------------------ changes (inside a transaction)

    def add(self, ev: int, start: str, hashes: list[int], buffer: bool) -> None:
        """A new event's values: buffered (bulk import) or written now."""
        if buffer:
            self._put(ev, start, hashes)
        else:
            self.conn.executemany("INSERT OR IGNORE INTO sketch_keys (hash, start, event_id) VALUES (?, ?, ?)",
                                  [(h, start, ev) for h in hashes])

    def update(self, ev: int, start: str, added: list[list[int]] | None, recompute: Callable[[], list[int]]) -> None:
        """An event changed: with ``added`` (the values of statements merged into it) its values
        become the element-wise minimum (a MinHash of a union); without, ``recompute()``."""
        if ev in self._of:
            _, old = self._of[ev]
            values = _merge(old, added) if added is not None else recompute()
            self._remove(ev)
            self._put(ev, start, values)
            return
        c = self.conn
        rows = c.execute("SELECT hash, start FROM sketch_keys WHERE event_id = ?", (ev,)).fetchall()
        if added is not None and rows:
            values = set(_merge([h for h, _ in rows], added))
        else:
            values = set(recompute())
        # Rewrite only what changes: each row is a random write into a big index.
        keep = {h for h, st in rows if st == start and h in values}
        gone = [(h, st, ev) for h, st in rows if h not in keep]
        if gone:
            c.executemany("DELETE FROM sketch_keys WHERE hash = ? AND start = ? AND event_id = ?", gone)
        c.executemany("INSERT OR IGNORE INTO sketch_keys (hash, start, event_id) VALUES (?, ?, ?)",
                      [(h, start, ev) for h in sorted(values - keep)])

    def drop(self, ev: int) -> None:
        if ev in self._of:
            self._remove(ev)
        self.conn.execute("DELETE FROM sketch_keys WHERE event_id = ?", (ev,))

    def buffered(self, ev: int) -> bool:
        return ev in self._of

    def write(self) -> list[int]:
        """Inside a transaction: write every buffered value, in index order. Returns the events
        written; call ``written`` with them once the transaction has committed."""
        rows = sorted((h, start, ev) for ev, (start, hs) in self._of.items() for h in hs)
        self.conn.executemany("INSERT OR IGNORE INTO sketch_keys (hash, start, event_id) VALUES (?, ?, ?)", rows)
        return list(self._of)

    def written(self, events: list[int]) -> None:
        for ev in events:
            if ev in self._of:
                self._remove(ev)

    # ------------------------------------------------------------ transactions

    def commit(self) -> None:
        self._txn.clear()

    def rollback(self) -> None:
        """The transaction rolled back: forget what it buffered. (An event buffered earlier and
        changed in it is forgotten too; it is in fts_pending, so the next flush recomputes it.)"""
        for ev in list(self._txn):
            if ev in self._of:
                self._remove(ev)
        self._txn.clear()

    # ------------------------------------------------------------ memory

    def _put(self, ev: int, start: str, hashes: list[int]) -> None:
        self._of[ev] = (start, list(hashes))
        for h in hashes:
            insort(self._by_hash.setdefault(h, []), (start, ev))
        self._txn.add(ev)

    def _remove(self, ev: int) -> None:
        start, hashes = self._of.pop(ev)
        for h in hashes:
            lst = self._by_hash[h]
            lst.pop(bisect_left(lst, (start, ev)))
            if not lst:
                del self._by_hash[h]
        self._txn.add(ev)


def _merge(values: list[int], added: list[list[int]]) -> list[int]:
    slots = {h >> SLOT_BITS: h for h in values}
    for hashes in added:
        for h in hashes:
            if h < slots.get(h >> SLOT_BITS, h + 1):
                slots[h >> SLOT_BITS] = h
    return sorted(slots.values())
