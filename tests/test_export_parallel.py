"""The parallel json/jsonl export (store.bulk.JsonWorkers) writes exactly the bytes of the single query."""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import hz_timeline.export as hz_export
import hz_timeline.store.bulk as bulk
from hz_timeline.export import ExportError, OutputClosed, export
from hz_timeline.store import Filter, Store
from hz_timeline.text import fold_for_index

N = bulk.PARALLEL_MIN + 4_000  # big enough for the real threshold (the CLI tests)
EXE = shutil.which("hz-timeline", path=str(Path(sys.executable).parent)) or "hz-timeline"


@pytest.fixture(scope="module")
def big_db(tmp_path_factory) -> Path:
    """N events with entities, tags, mentions and disputes; a third share one start date, many share
    (start, end) too, so part boundaries fall inside runs of ties."""
    path = tmp_path_factory.mktemp("parallel") / "events.db"
    Store(path).close()
    rng = random.Random(8)
    conn = sqlite3.connect(path)
    docs = [(i, f"news/{i:03d}.txt", f"报道 {i}" if i % 5 else None, f"2019-0{1 + i % 9}-01" if i % 4 else None)
            for i in range(1, 41)]
    conn.executemany("INSERT INTO documents (id, path, title, published, sha256, chars, text, imported_at)"
                     " VALUES (?, ?, ?, ?, 'x', 10, '正文', '2024-01-01')", docs)
    ents = [(i, f"实体{i}" if i % 3 else f"Org \"{i}\"", ("org", "place", "person")[i % 3]) for i in range(1, 61)]
    conn.executemany("INSERT INTO entities (id, name, type) VALUES (?, ?, ?)", ents)
    conn.executemany("INSERT INTO tags (id, name) VALUES (?, ?)", [(i, t) for i, t in enumerate(
        ["ai", "robotics", "chips", "funding", "政策"], 1)])
    events, mentions, ee, et, fts = [], [], [], [], []
    for i in range(1, N + 1):
        if i % 3 == 0:
            start = "2015-01-01"
            end = rng.choice(["2015-01-01", "2015-12-31", "2016-06-30"])
        else:
            y = rng.randint(1990, 2030)
            start = f"{y}-{rng.randint(1, 12):02d}-01"
            end = start if rng.random() < 0.7 else f"{y + rng.randint(0, 3)}-12-31"
        uid = f"ev-{rng.getrandbits(40):010x}"
        title = rng.choice(["杭州发布新政", "Quote \" and \\ backslash", "控制\u0001字符", "emoji 🚀 事件", "标题"]) + f" {i}"
        kind = rng.choice(["past", "plan", "forecast"])
        events.append((i, uid, start, end, int(start[:4]), rng.choice(["day", "month", "year"]), i % 11 == 0,
                       title, f"摘要 {i}", kind))
        for j in range(rng.choice([1, 1, 1, 2, 3])):
            mentions.append((i, rng.randint(1, 40), j, j + 5, f"引文{i}-{j}", "去年", start, end, "year", "relative"))
        for e in rng.sample(range(1, 61), rng.randint(0, 3)):
            ee.append((i, e))
        for t in rng.sample(range(1, 6), rng.randint(0, 2)):
            et.append((i, t))
        fts.append((i, fold_for_index(title)))
    conn.executemany('INSERT INTO events (id, uid, start, "end", year, precision, approx, title, summary, kind,'
                     " n_mentions, n_sources) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 1)", events)
    conn.executemany('INSERT INTO mentions (event_id, document_id, start_char, end_char, quote, time_text,'
                     ' time_start_char, time_end_char, start, "end", precision, resolution)'
                     " VALUES (?, ?, ?, ?, ?, ?, 0, 2, ?, ?, ?, ?)", mentions)
    conn.executemany("INSERT INTO event_entities VALUES (?, ?)", ee)
    conn.executemany("INSERT INTO event_tags VALUES (?, ?)", et)
    conn.executemany("INSERT INTO events_fts (rowid, body) VALUES (?, ?)", fts)
    conn.executemany("INSERT OR IGNORE INTO disputes VALUES (?, ?, ?)",
                     [(a, a + 1 + rng.randint(0, 50), f"理由 {a}") for a in rng.sample(range(1, N - 60), 300)])
    conn.commit()
    conn.close()
    return path


FILTERS = [
    Filter(),
    Filter(date_from="2010-01-01", date_to="2020-12-31"),
    Filter(date_from="2015-01-01", date_to="2015-12-31", within=True),
    Filter(tags=("ai",)),
    Filter(entities=("实体1",), kinds=("past", "plan")),
    Filter(query="杭州"),
]


def run(db: Path, f: Filter, fmt: str, out: Path) -> bytes:
    with Store(db) as s:
        n = export(s, f, fmt, str(out))
    data = out.read_bytes()
    # exported_at differs between runs; everything else must be the same bytes
    lines = [ln for ln in data.split(b"\n") if not ln.startswith(b'  "exported_at"')]
    if fmt == "json":
        doc = json.loads(data)
        assert n == doc["count"] == len(doc["events"])  # the header's count is what was written
    else:
        assert n == data.count(b"\n")
    return b"\n".join(lines)


@pytest.fixture
def spied(monkeypatch):
    """Small thresholds so every filter runs in parts; records each started JsonWorkers."""
    started = []
    real = bulk.JsonWorkers.start.__func__

    def start(cls, *a, **k):
        w = real(cls, *a, **k)
        started.append((w, [wk.proc for wk in w.workers] if w else []))
        return w

    monkeypatch.setattr(bulk.JsonWorkers, "start", classmethod(start))
    monkeypatch.setattr(hz_export, "PARALLEL_MIN", 10)
    monkeypatch.setattr(hz_export, "parallel_workers", lambda: 3)
    monkeypatch.setattr(bulk, "PARTS_PER_WORKER", 3)
    return started


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_parallel_export_is_byte_identical(big_db, tmp_path, monkeypatch, spied, fmt):
    for f in FILTERS:
        monkeypatch.setattr(hz_export, "parallel_workers", lambda: 1)
        single = run(big_db, f, fmt, tmp_path / "single")
        monkeypatch.setattr(hz_export, "parallel_workers", lambda: 3)
        parallel = run(big_db, f, fmt, tmp_path / "parallel")
        workers, procs = spied[-1]
        assert workers is not None and len(workers.parts) > 3 and len(procs) == 3, f  # it did run in parts
        assert parallel == single, f
        assert all(p.poll() is not None for p in procs)  # and the workers are gone
    assert len(spied) == len(FILTERS)


def test_parallel_export_of_a_database_with_an_awkward_name(big_db, tmp_path, monkeypatch, spied):
    folder = tmp_path / "a b#c?d%20 数据"
    folder.mkdir()
    db = folder / "my events.db"
    db.write_bytes(big_db.read_bytes())
    monkeypatch.setattr(hz_export, "parallel_workers", lambda: 1)
    single = run(db, Filter(kinds=("plan",)), "jsonl", tmp_path / "single")
    monkeypatch.setattr(hz_export, "parallel_workers", lambda: 2)
    assert run(db, Filter(kinds=("plan",)), "jsonl", tmp_path / "parallel") == single
    assert spied[-1][0] is not None


def test_bounds_cut_runs_of_ties_exactly(big_db):
    with Store(big_db) as s:
        cur = s.conn.cursor()
        bounds = bulk._bounds(cur, "", [], 9)
        assert bounds == sorted(bounds) and len(set(bounds)) == len(bounds) == 8
        assert sum(b[0] == "2015-01-01" for b in bounds) >= 2  # boundaries inside the run of one start
        parts = [[json.loads(r[0])["id"] for r in s.conn.execute(sql, p)] for sql, p in bulk._parts(cur, "", [], bounds)]
        assert sum(map(len, parts)) == N and min(map(len, parts)) > N // 20
        assert [uid for part in parts for uid in part] == [json.loads(b)["id"] for b in bulk.iter_json(s.conn)]


def test_no_parts_for_a_tiny_selection(big_db):
    with Store(big_db) as s:
        cur = s.conn.cursor()
        for f in (Filter(date_from="2040-01-01"), Filter(query="引文1-0 OR 标题 AND 杭州 AND 控制")):
            w, p = bulk.where(f)
            assert s.count(f) < 4 and bulk._bounds(cur, w, p, 4) == []


def test_probe_sees_a_commit_by_another_connection(big_db, tmp_path):
    db = tmp_path / "copy.db"
    db.write_bytes(big_db.read_bytes())
    with Store(db) as s:
        probe = bulk.SnapshotProbe(s.conn)
        assert probe.unchanged()
        s.conn.execute("SELECT count(*) FROM events").fetchone()
        assert probe.unchanged()  # reading changes nothing
        with sqlite3.connect(db) as other:
            other.execute("UPDATE events SET title = 'changed' WHERE id = 1")
        assert not probe.unchanged()
        probe.close()
    with sqlite3.connect(":memory:") as mem:
        assert not bulk.SnapshotProbe(mem).unchanged()  # not a file: no workers


def test_a_changed_snapshot_falls_back_to_one_query(big_db, tmp_path, monkeypatch, spied):
    monkeypatch.setattr(hz_export, "parallel_workers", lambda: 1)
    single = run(big_db, Filter(), "jsonl", tmp_path / "single")
    monkeypatch.setattr(hz_export, "parallel_workers", lambda: 3)
    monkeypatch.setattr(bulk.SnapshotProbe, "unchanged", lambda self: False)
    assert run(big_db, Filter(), "jsonl", tmp_path / "fallback") == single
    assert spied[-1] == (None, [])


def test_a_commit_before_the_workers_start_is_not_exported(big_db, tmp_path, monkeypatch, spied):
    """The workers would read a newer snapshot than the count in the header: the probe notices, and
    the export reads its own snapshot through one query."""
    db = tmp_path / "copy.db"
    db.write_bytes(big_db.read_bytes())
    monkeypatch.setattr(hz_export, "parallel_workers", lambda: 1)
    before = run(db, Filter(), "json", tmp_path / "before")
    real = bulk.JsonWorkers.start

    def start_after_a_commit(*a, **k):
        with sqlite3.connect(db) as other:
            other.execute("UPDATE events SET title = 'changed meanwhile' WHERE id = 5")
            other.execute("DELETE FROM event_tags WHERE event_id = 6")
        return real(*a, **k)

    monkeypatch.setattr(bulk.JsonWorkers, "start", start_after_a_commit)
    monkeypatch.setattr(hz_export, "parallel_workers", lambda: 2)
    assert run(db, Filter(), "json", tmp_path / "during") == before
    assert spied[-1] == (None, [])
    assert b"changed meanwhile" in run(db, Filter(), "json", tmp_path / "after")


def test_workers_that_cannot_start_fall_back_to_one_query(big_db, tmp_path, monkeypatch, spied):
    monkeypatch.setattr(hz_export, "parallel_workers", lambda: 1)
    single = run(big_db, Filter(tags=("chips",)), "json", tmp_path / "single")
    monkeypatch.setattr(hz_export, "parallel_workers", lambda: 2)
    monkeypatch.setattr(bulk, "_WORKER", tmp_path / "missing.py")
    assert run(big_db, Filter(tags=("chips",)), "json", tmp_path / "fallback") == single
    assert spied[-1] == (None, [])


def test_a_failing_part_fails_the_export_atomically(big_db, tmp_path, monkeypatch, spied):
    real = bulk._parts

    def broken(*a):
        parts = real(*a)
        parts[4] = ("SELECT no_such_column FROM events", [])
        return parts

    monkeypatch.setattr(bulk, "_parts", broken)
    out = tmp_path / "x.json"
    out.write_bytes(b"previous")
    with pytest.raises(ExportError, match="no_such_column"):
        run(big_db, Filter(), "json", out)
    assert out.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]
    workers, procs = spied[-1]
    assert procs and all(p.poll() is not None for p in procs) and workers.workers == []


def test_closed_stdout_stops_the_workers(big_db, monkeypatch, spied):
    class Reader:  # `| head`: takes a little, then goes away
        def __init__(self):
            self.n = 0

        def write(self, b):
            self.n += len(b)
            if self.n > 100_000:
                raise BrokenPipeError(32, "Broken pipe")
            return len(b)

        def flush(self):
            pass

    monkeypatch.setattr(sys, "stdout", type("Out", (), {"buffer": Reader()})())
    with Store(big_db) as s, pytest.raises(OutputClosed):
        export(s, Filter(), "jsonl", "-")
    workers, procs = spied[-1]
    assert procs and all(p.poll() is not None for p in procs) and workers.workers == []


def test_cli_streams_a_parallel_export_and_stops_quietly(big_db, tmp_path, monkeypatch):
    """The real command on more events than the threshold: same bytes as one query, and `| head` is quiet."""
    monkeypatch.setattr(hz_export, "parallel_workers", lambda: 1)
    single = run(big_db, Filter(), "jsonl", tmp_path / "single")
    p = subprocess.run([EXE, "export", "--db", str(big_db), "-f", "jsonl"], capture_output=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.rstrip(b"\n") == single.rstrip(b"\n")
    code = ("import subprocess, sys\n"
            f"p = subprocess.Popen([{EXE!r}, 'export', '--db', {str(big_db)!r}, '-f', 'json'],"
            " stdout=subprocess.PIPE, stderr=subprocess.PIPE)\n"
            "p.stdout.read(10); p.stdout.close(); err = p.stderr.read(); p.wait()\n"
            "sys.stdout.write(repr((p.returncode, err)))\n")
    q = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    rc, err = eval(q.stdout)  # noqa: S307 - our own repr
    assert rc == 141 and b"Traceback" not in err and b"Broken pipe" not in err
