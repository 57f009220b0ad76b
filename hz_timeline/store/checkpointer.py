"""Checkpoints of the write-ahead log in a thread of their own, while an import writes.

In WAL mode every commit appends pages to ``events.db-wal``; a checkpoint copies them into the
database file and syncs both files. SQLite runs one after any commit that leaves the log past
``wal_autocheckpoint`` pages, in the committing thread: the copying and above all the waits for
the disk were the writer's, and the writer is what an import waits for (a million structured
events: about 5 of its 25 seconds were spent in commits waiting, not working). Here a thread
with its own connection runs a passive checkpoint every ``period`` seconds; a passive checkpoint
never blocks the writer or readers nor waits for them. The writer's own checkpoints then find
the log already copied and synced and only restart it. Durability is unchanged: the same syncs
happen (``synchronous=NORMAL``), in another thread. The sqlite3 module lets go of the GIL
while SQLite works, so the thread runs beside the writer.
"""

from __future__ import annotations

import sqlite3
import threading


def db_file(conn: sqlite3.Connection) -> str:
    """The main database's file, '' for an in-memory or temporary one."""
    return next((r[2] for r in conn.execute("PRAGMA database_list") if r[1] == "main"), "") or ""


class BackgroundCheckpoint:
    """Passive checkpoints of ``conn``'s database every ``period`` seconds between ``start`` and
    ``stop`` (or as a context manager); nothing for a database that is not a file in WAL mode."""

    def __init__(self, conn: sqlite3.Connection, period: float = 0.25):
        self.path = db_file(conn) if conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal" else ""
        self.period = period
        self.rounds = 0  # checkpoints that copied something (for tests and benchmarks)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread. Not before this process has forked its workers: a child forked while
        the thread is inside SQLite inherits SQLite's locks held, and hangs at its first use."""
        if self.path and self._thread is None and not self._stop.is_set():
            self._thread = threading.Thread(target=self._run, name="hz-checkpoint", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> BackgroundCheckpoint:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _run(self) -> None:
        try:
            conn = sqlite3.connect(self.path, timeout=0, isolation_level=None)
        except sqlite3.Error:
            return  # the writer's own checkpoints still run
        try:
            conn.execute("PRAGMA synchronous=NORMAL")
            last = None
            while not self._stop.wait(self.period):
                try:
                    _, log, done = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                except sqlite3.Error:
                    continue  # busy (the writer checkpointing): next round
                if done > 0 and (log, done) != last:
                    self.rounds += 1
                last = (log, done)
        except sqlite3.Error:
            pass
        finally:
            conn.close()
