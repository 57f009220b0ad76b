"""The MinHash look-up behind merging: which stored events share wording with a statement.

Each event has eight MinHash values of its wording (``importers.events.sketch``); ``sketch_keys``
holds them with the event's start, keyed by value, so the events nearest in time that share a
value are one bounded index range scan away. Every value is a random place in that index, so
writing them per document would dirty a page per value; instead the values of events created
during a bulk import wait here in memory (looked up just the same) and are written sorted, in one
go, with the search-index rows (``Store.flush_index``). Those events are in ``fts_pending`` until
then, so values lost to a crash are recomputed from the stored mentions by the next flush.

During an import the stored values can also be mirrored in memory (``mirror``): every look-up
then costs a few bisections instead of a sixteen-part query. The mirror follows every change
this index makes; a rollback, or a change it cannot see (a bulk write, another connection:
``Store.forget_caches``), drops it and look-ups go back to the table.
"""

from __future__ import annotations

import sqlite3
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter
from typing import Callable

SLOT_BITS = 31  # a value's slot (which of the eight hash functions) is in its high bits


class SketchIndex:
    NEAR = 8  # events per value on each side of the statement's date

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        # value -> (sorted keys (``_key``: start, event id), the event id of each): ``_Keys``
        self._by_hash: dict[int, _Keys] = {}
        self._of: dict[int, tuple[str, list[int]]] = {}  # event id -> (start, values), not yet written
        self._txn: set[int] = set()  # buffered events changed by the open transaction
        # Mirror of sketch_keys (None: not mirrored): value -> sorted keys (``_key``: start and
        # event id in one int, so bisection compares ints) with their event ids (``_Keys``), and
        # event id -> its (value, start) rows.
        self._stored: dict[int, _Keys] | None = None
        self._rows: dict[int, list[tuple[int, str]]] = {}
        # Changes to stored rows while mirrored, held for the commit of a group of documents
        # (``stage``): row -> whether it is to be there. The open document's, then its group's.
        self._doc: dict[tuple[int, str, int], bool] | None = None
        self._group: dict[tuple[int, str, int], bool] = {}

    # ------------------------------------------------------------ mirror

    MIRROR_MAX = 4_000_000  # rows (~150 bytes each in memory)

    def mirror(self) -> bool:
        """Load sketch_keys into memory if it has at most MIRROR_MAX rows. Returns whether it is mirrored."""
        if self._stored is not None:
            return True
        n = self.conn.execute("SELECT count(*) FROM sketch_keys").fetchone()[0]
        if n > self.MIRROR_MAX:
            return False
        stored: dict[int, _Keys] = {}
        rows: dict[int, list[tuple[int, str]]] = {}
        try:
            # In key order, so every list is built sorted.
            for h, start, ev in self.conn.execute("SELECT hash, start, event_id FROM sketch_keys ORDER BY hash, start, event_id"):
                k = _key(start, ev)
                keys, ids = stored.get(h) or stored.setdefault(h, (array("q"), array("q")))
                keys.append(k)
                ids.append(k & _EV_MASK)
                rows.setdefault(ev, []).append((h, start))
        except ValueError:
            return False
        self._stored, self._rows, self._size = stored, rows, n
        return True

    def forget(self) -> None:
        """Drop the mirror (look-ups query the table again); held changes are written first."""
        self.apply()
        self._stored, self._rows = None, {}

    def _mirror_add(self, ev: int, rows: list[tuple[int, str]]) -> None:
        if self._stored is None:
            return
        have = self._rows.setdefault(ev, [])
        keys: dict[str, int] = {}  # start -> _key(start, ev): an event's rows share one start
        e = ev & _EV_MASK
        try:
            for h, start in rows:
                if (h, start) not in have:  # INSERT OR IGNORE
                    k = keys.get(start)
                    if k is None:
                        k = keys[start] = _key(start, ev)
                    _insort(self._stored, h, k, e)
                    have.append((h, start))
                    self._size += 1
        except ValueError:
            self.forget()
        if self._size > self.MIRROR_MAX:
            self.forget()

    def _mirror_remove(self, ev: int, rows: list[tuple[int, str]]) -> None:
        if self._stored is None:
            return
        have = self._rows.get(ev, [])
        keys: dict[str, int] = {}  # as in _mirror_add
        for h, start in rows:
            if (h, start) in have:
                have.remove((h, start))
                k = keys.get(start)
                if k is None:
                    k = keys[start] = _key(start, ev)
                _pop(self._stored, h, k)
                self._size -= 1
        if not have:
            self._rows.pop(ev, None)

    # ------------------------------------------------------------ look-up

    def nearest(self, hashes: list[int], start: str) -> dict[int, int]:
        """event id -> how many of ``hashes`` it shares, among the NEAR events on either side of
        ``start`` for each value (stored and buffered)."""
        seen: dict[int, int] = {}
        if not hashes:
            return seen
        # Stored rows, then buffered ones, counted together: one count in the same first-seen order.
        found: list[int] = []  # event ids
        if self._stored is not None or self._by_hash:
            k0, near = _key(start, 0), self.NEAR
        if self._stored is not None:
            # The rows the query below would return, in its order: per value the NEAR from
            # ``start`` on, ascending, then the NEAR before it, descending.
            get = self._stored.get
            for h in hashes:
                pair = get(h)
                if pair:
                    keys, ids = pair
                    i = bisect_left(keys, k0)
                    found += ids[i: i + near]
                    if i:  # (a stop of -1 would mean the end of the list, hence None for the first)
                        found += ids[i - 1: i - near - 1 if i > near else None: -1]
        else:
            self._query(hashes, start, seen)
        if self._by_hash:
            get = self._by_hash.get
            for h in hashes:
                pair = get(h)
                if pair:
                    keys, ids = pair
                    i = bisect_left(keys, k0)
                    found += ids[i - near if i > near else 0: i + near]
        if not found:
            return seen
        if not seen:
            # Counting in C keeps the first-seen order, which ranks ties for the caller.
            return Counter(found)
        for ev, n in Counter(found).items():
            seen[ev] = seen.get(ev, 0) + n
        return seen

    def _query(self, hashes: list[int], start: str, seen: dict[int, int]) -> None:
        sql = " UNION ALL ".join(
            "SELECT * FROM (SELECT event_id FROM sketch_keys WHERE hash = ? AND start >= ? ORDER BY start LIMIT ?)"
            " UNION ALL SELECT * FROM (SELECT event_id FROM sketch_keys WHERE hash = ? AND start < ?"
            " ORDER BY start DESC LIMIT ?)" for _ in hashes)
        args = [a for h in hashes for a in (h, start, self.NEAR, h, start, self.NEAR)]
        for (ev,) in self.conn.execute(sql, args):
            seen[ev] = seen.get(ev, 0) + 1

    # ------------------------------------------------------------ changes (inside a transaction)

    def add(self, ev: int, start: str, hashes: list[int], buffer: bool) -> None:
        """A new event's values: buffered (bulk import) or written now."""
        if buffer:
            self._put(ev, start, hashes)
        else:
            self.conn.executemany("INSERT OR IGNORE INTO sketch_keys (hash, start, event_id) VALUES (?, ?, ?)",
                                  [(h, start, ev) for h in hashes])
            self._mirror_add(ev, [(h, start) for h in hashes])

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
        if self._stored is not None:
            rows = list(self._rows.get(ev, ()))
        else:
            rows = c.execute("SELECT hash, start FROM sketch_keys WHERE event_id = ?", (ev,)).fetchall()
        if added is not None and rows:
            values = set(_merge([h for h, _ in rows], added))
        else:
            values = set(recompute())
        # Rewrite only what changes: each row is a random write into a big index.
        keep = {h for h, st in rows if st == start and h in values}
        gone = [(h, st, ev) for h, st in rows if h not in keep]
        new = [(h, start, ev) for h in sorted(values - keep)]
        staged = self._doc if self._stored is not None else None
        if staged is not None:
            # Each row is a random write into a big index: held for the group's commit, where
            # they are written sorted, outside any document's savepoint.
            staged.update(dict.fromkeys(gone, False))
            staged.update(dict.fromkeys(new, True))
        else:
            if gone:
                c.executemany("DELETE FROM sketch_keys WHERE hash = ? AND start = ? AND event_id = ?", gone)
            c.executemany("INSERT OR IGNORE INTO sketch_keys (hash, start, event_id) VALUES (?, ?, ?)", new)
        if gone:
            self._mirror_remove(ev, [(h, st) for h, st, _ in gone])
        self._mirror_add(ev, [(h, start) for h, _, _ in new])

    def drop(self, ev: int) -> None:
        self.apply()  # (held rows of ``ev`` must not come back after the delete)
        if ev in self._of:
            self._remove(ev)
        self.conn.execute("DELETE FROM sketch_keys WHERE event_id = ?", (ev,))
        self._mirror_remove(ev, list(self._rows.get(ev, ())))

    def buffered(self, ev: int) -> bool:
        return ev in self._of

    def stored(self, ev: int) -> bool | None:
        """Whether the table holds values of ``ev``, if the mirror knows (None: ask the table)."""
        return None if self._stored is None else ev in self._rows

    def write(self) -> list[int]:
        """Inside a transaction: write every buffered value, in index order. Returns the events
        written; call ``written`` with them once the transaction has committed."""
        self.apply()
        rows = sorted((h, start, ev) for ev, (start, hs) in self._of.items() for h in hs)
        self.conn.executemany("INSERT OR IGNORE INTO sketch_keys (hash, start, event_id) VALUES (?, ?, ?)", rows)
        return list(self._of)

    def written(self, events: list[int]) -> None:
        """The transaction of ``write`` committed: the values are stored now."""
        of = self._of
        for ev in events:
            item = of.get(ev)
            if item is not None:
                start, hashes = item
                self._mirror_add(ev, [(h, start) for h in hashes])
        if len(events) == len(of) and all(ev in of for ev in events):
            # Every buffered event written, as ``write`` returns them: empty the buffer at once
            # rather than taking each key out of it.
            of.clear()
            self._by_hash.clear()
            self._txn.update(events)
            return
        for ev in events:
            if ev in of:
                self._remove(ev)

    # ------------------------------------------------------------ transactions

    def commit(self) -> None:
        self._txn.clear()

    def rollback(self, document: bool = False) -> None:
        """The transaction rolled back (``document``: only the open document's savepoint): forget
        what it buffered and held. (An event buffered earlier and changed in it is forgotten too;
        it is in fts_pending, so the next flush recomputes it.)"""
        self._doc = None
        if document:
            self.apply()  # the group's other documents stay: their changes are due
        self._group = {}
        for ev in list(self._txn):
            if ev in self._of:
                self._remove(ev)
        self._txn.clear()
        self.forget()  # it followed changes that are undone now

    # ------------------------------------------------------------ held changes (grouped documents)

    def stage(self) -> None:
        """A document's savepoint begins: hold its changes to stored rows (while mirrored)."""
        self._doc = {}

    def staged(self) -> None:
        """The document's savepoint was released: its held changes join its group's."""
        if self._doc:
            self._group.update(self._doc)
        self._doc = None

    def apply(self) -> None:
        """Inside the transaction: write every held change (before the group commits, or before
        anything that needs the table as the mirror has it)."""
        rows = self._group
        if self._doc:
            rows.update(self._doc)
            self._doc = {}
        if not rows:
            return
        self._group = {}
        gone = sorted(k for k, there in rows.items() if not there)
        new = sorted(k for k, there in rows.items() if there)
        if gone:
            self.conn.executemany("DELETE FROM sketch_keys WHERE hash = ? AND start = ? AND event_id = ?", gone)
        if new:
            self.conn.executemany("INSERT OR IGNORE INTO sketch_keys (hash, start, event_id) VALUES (?, ?, ?)", new)

    # ------------------------------------------------------------ memory

    def _put(self, ev: int, start: str, hashes: list[int]) -> None:
        self._of[ev] = (start, list(hashes))
        k = _key(start, ev) if hashes else 0
        e = k & _EV_MASK
        for h in hashes:
            _insort(self._by_hash, h, k, e)
        self._txn.add(ev)

    def _remove(self, ev: int) -> None:
        start, hashes = self._of.pop(ev)
        k = _key(start, ev) if hashes else 0
        for h in hashes:
            _pop(self._by_hash, h, k)
        self._txn.add(ev)


_EV_BITS = 36  # with a YYYYMMDD (27 bits) above: a signed 64-bit int
_EV_MASK = (1 << _EV_BITS) - 1


def _key(start: str, ev: int) -> int:
    """A mirror key: an ISO start as YYYYMMDD, then the event id; ints in the order of the
    table's (start, event_id), below 2**63. Anything but an ISO date, or an id past 2**36,
    raises ValueError (no mirror then)."""
    if len(start) != 10 or start[4] != "-" or start[7] != "-" or ev > _EV_MASK:
        raise ValueError(start)
    return int(start[:4] + start[5:7] + start[8:]) << _EV_BITS | ev


# A value's keys, sorted, and beside them the event id of each (``key & _EV_MASK``): a look-up
# slices out event ids without taking every key apart again. Both are blocks of 64-bit ints:
# bisecting a list of a few thousand int objects spread over the heap waits on memory at every
# step (a look-up 25 % slower), and so does counting event ids sliced from a list of them (each
# one's count reads its object): slices of an array are new ints, side by side (a look-up on
# the mirror of 10,000 articles 22 -> 18 us).
_Keys = tuple[array, array]


def _insort(table: dict[int, _Keys], h: int, k: int, ev: int) -> None:
    """Add key ``k`` of event ``ev`` (``k & _EV_MASK``) under value ``h``, after its equals as
    ``insort`` puts them."""
    pair = table.get(h)
    if pair is None:
        table[h] = (array("q", (k,)), array("q", (ev,)))
        return
    keys, ids = pair
    i = bisect_right(keys, k)
    keys.insert(i, k)
    ids.insert(i, ev)


def _pop(table: dict[int, _Keys], h: int, k: int) -> None:
    """Take key ``k`` (which is there) from under value ``h``."""
    keys, ids = table[h]
    i = bisect_left(keys, k)
    del keys[i]
    del ids[i]
    if not keys:
        del table[h]


def _merge(values: list[int], added: list[list[int]]) -> list[int]:
    slots = {h >> SLOT_BITS: h for h in values}
    for hashes in added:
        for h in hashes:
            if h < slots.get(h >> SLOT_BITS, h + 1):
                slots[h >> SLOT_BITS] = h
    return sorted(slots.values())
