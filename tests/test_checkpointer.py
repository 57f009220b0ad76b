"""What an import runs beside its writer: checkpoints of the write-ahead log in a thread of their
own (``store.checkpointer``), started only after the workers are forked, and workers at a lower
scheduling priority than the writer."""

from __future__ import annotations

import os
import sqlite3
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from hz_timeline.store import Store, importing
from hz_timeline.store.checkpointer import BackgroundCheckpoint
from hz_timeline.store.importing import ImportOptions, import_paths

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from generate import write_events_jsonl  # noqa: E402


def test_the_thread_copies_the_log_while_the_writer_commits(tmp_path):
    db = tmp_path / "e.db"
    with Store(db) as s:
        s.conn.execute("PRAGMA wal_autocheckpoint=0")  # only the thread copies
        s.conn.execute("CREATE TABLE t (x TEXT)")
        with BackgroundCheckpoint(s.conn, period=0.01) as ck:
            for i in range(50):
                with s.conn:
                    s.conn.executemany("INSERT INTO t VALUES (?)", (("杭州" * 200,) for _ in range(50)))
                time.sleep(0.005)
            deadline = time.monotonic() + 10
            while ck.rounds < 3 and time.monotonic() < deadline:
                time.sleep(0.01)
        assert ck.rounds >= 3
        assert not any(t.name == "hz-checkpoint" for t in threading.enumerate())
        # everything committed is in the database file: a reader of the file alone sees it all
        s.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        assert s.conn.execute("SELECT count(*) FROM t").fetchone()[0] == 2500
        assert s.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_nothing_runs_for_a_database_in_memory():
    c = sqlite3.connect(":memory:")
    ck = BackgroundCheckpoint(c)
    ck.start()
    assert ck._thread is None
    ck.stop()


def test_the_thread_starts_after_the_workers_are_forked_and_stops_with_the_import(tmp_path, monkeypatch):
    # A child forked while the thread is inside SQLite would inherit SQLite's locks held, and hang.
    seen = []

    class Pool(ProcessPoolExecutor):
        def submit(self, fn, *args, **kw):
            if not seen:
                seen.append([t.name for t in threading.enumerate()])
            return super().submit(fn, *args, **kw)

    monkeypatch.setattr(importing, "ProcessPoolExecutor", Pool)
    started = []
    real = BackgroundCheckpoint.start
    monkeypatch.setattr(BackgroundCheckpoint, "start", lambda self: started.append(seen[:]) or real(self))
    src = write_events_jsonl(tmp_path / "ev.jsonl", 300)
    with Store(tmp_path / "e.db") as s:
        rep = import_paths(s, [str(src)], options=ImportOptions(chunk_size=50, jobs=2))
    assert not rep.errors and rep.events_new == 300
    assert seen and "hz-checkpoint" not in seen[0]
    assert started == [seen]  # started once, after the first hand-over (which forks the workers)
    assert not any(t.name == "hz-checkpoint" for t in threading.enumerate())


def test_workers_run_at_a_lower_priority_than_the_writer():
    with ProcessPoolExecutor(max_workers=1, initializer=importing._worker_init) as pool:
        assert pool.submit(os.nice, 0).result() == min(19, os.nice(0) + importing.WORKER_NICE)
