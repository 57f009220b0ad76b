"""A bulk load of structured events drops the indexes on event dates and ids and builds them at the
end; meanwhile ids stay unique and are looked up in a map of the writer's (Store.drop_bulk_indexes).
Results are those of a load with every index in place: ids repeated within and across chunks,
disputes, a changed chunk imported again, articles imported alongside. A load killed with SIGKILL
gets its indexes back from the next writer; a database of the first layout (ids unique by an
inline constraint) keeps working."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from hz_timeline.store import Store
from hz_timeline.store import importing
from hz_timeline.store.importing import ImportOptions, import_paths

from helpers import count_documents, index_names as _indexes, kill_when, running
from test_shard import _dump, _ev

CORPUS = Path(__file__).resolve().parents[1] / "hz_timeline" / "corpus"


def _automerge(db: Path):
    c = sqlite3.connect(db)
    try:
        row = c.execute("SELECT v FROM events_fts_config WHERE k = 'automerge'").fetchone()
        return row and row[0]
    finally:
        c.close()


def _write(path: Path, events) -> Path:
    path.write_text("\n".join(json.dumps(e, ensure_ascii=False) for e in events) + "\n", "utf-8")
    return path


# Ids repeated inside a chunk and across chunks (chunk_size=3), a dispute with an event of an
# earlier chunk and one with an event that comes later.
EVENTS = [
    _ev("a", "2014-03", "杭州提出数字经济", [{"name": "杭州", "type": "place"}], ["数字经济"]),
    _ev("b", "2017", "浙江发布机器人+计划", [{"name": "浙江", "type": "place"}], ["机器人"],
        disputes=[{"event": "e", "reason": "后来的事件"}]),
    _ev("a", "2014-03-05", "杭州再次提出数字经济", [{"name": "杭州", "type": "place"}], ["政策"]),
    _ev("c", "2025-01-28", "宇樹機器人登上春晚", [{"name": "宇樹科技", "type": "org"}], ["春晚"], disputes=["a"]),
    _ev("b", "2017-12-08", "浙江省发布机器人+行动计划", [{"name": "浙江省", "type": "place"}], ["机器人"]),
    _ev("d", "2016", "湖畔山南资本投资宇树科技", [{"name": "宇树科技", "type": "org"}], ["funding"]),
    _ev("e", "2023", "宇树科技发布四足机器人", [{"name": "宇树科技", "type": "org"}], ["robotics"]),
    _ev("a", "2014", "杭州数字经济", [], []),
    _ev("f", "2020", "新事件", [], []),
]


def _load(tmp_path: Path, name: str, bulk: bool, monkeypatch, sources, jobs=1, seen=None) -> Path:
    monkeypatch.setattr(importing, "BULK_MIN", 1 if bulk else 10**9)
    db = tmp_path / f"{name}.db"
    with Store(db) as store:
        for src in sources:
            progress = (lambda p: seen.append(set(Store.BULK_INDEXES) & _indexes(db))) if seen is not None else None
            rep = import_paths(store, [str(s) for s in src], options=ImportOptions(chunk_size=3, jobs=jobs),
                               progress=progress)
            assert not rep.errors, rep.errors
    return db


@pytest.mark.parametrize("jobs", [1, 2])
def test_bulk_load_gives_the_rows_of_a_load_with_every_index(tmp_path, monkeypatch, jobs):
    src, again = tmp_path / "f.jsonl", tmp_path / "g.jsonl"
    _write(again, EVENTS)
    # The last chunk changed: two of its events lose their only mention (and go), one is new.
    changed = EVENTS[:6] + [_ev("e", "2023", "宇树科技发布新的四足机器人", [{"name": "宇树科技", "type": "org"}], ["robotics"]),
                            EVENTS[7], _ev("g", "2021", "又一个新事件")]
    dumps = []
    for bulk in (False, True):
        _write(src, EVENTS)
        seen = []
        db = _load(tmp_path, f"bulk{bulk}", bulk, monkeypatch, [[src]], jobs, seen)
        assert (not seen[0]) == bulk  # the indexes were dropped while the chunks were written
        _write(src, changed)
        # The same events from another file, and articles, in the same (bulk) load.
        _load(tmp_path, f"bulk{bulk}", bulk, monkeypatch, [[src], [again, CORPUS]], jobs)
        assert set(Store.BULK_INDEXES) <= _indexes(db)  # built again at the end
        assert _automerge(db) in (None, Store.FTS_AUTOMERGE)
        c = sqlite3.connect(db)
        assert c.execute("SELECT count(*) = count(DISTINCT uid) FROM events").fetchone()[0]
        c.close()
        dumps.append(_dump(db))
    plain, bulk = dumps
    assert plain == bulk
    uids = {r[0] for r in plain["events"]}
    assert set("abcdefg") <= uids and len(uids) > 10  # articles too
    assert {r[0]: r[9] for r in plain["events"]}["a"] == 6  # one event: three mentions from each file
    assert {d[:2] for d in plain["disputes"]} >= {("a", "c"), ("b", "e")}  # one with an event of a later chunk


def test_ids_stay_unique_and_the_map_follows_transactions_and_other_writers(tmp_path):
    with Store(tmp_path / "e.db") as s:
        ins = ('INSERT INTO events (id, uid, start, "end", year, precision, title, summary, kind)'
               " VALUES (?, ?, '2020-01-01', '2020-12-31', 2020, 'year', 't', 's', 'past')")
        with s.transaction():
            s.conn.execute(ins, (1, "x"))
        s.drop_bulk_indexes()
        assert "events_uid" not in _indexes(tmp_path / "e.db")
        assert s.event_ids(["x", "y"]) == {"x": 1}
        with pytest.raises(sqlite3.Error):  # what the unique index would have refused
            with s.transaction():
                s.conn.execute(ins, (2, "x"))
        with pytest.raises(RuntimeError):
            with s.transaction():
                s.conn.execute(ins, (3, "y"))
                s.conn.execute("DELETE FROM events WHERE uid = 'x'")
                assert s.event_ids(["x", "y"]) == {"y": 3}  # seen inside the transaction
                raise RuntimeError
        assert s.event_ids(["x", "y"]) == {"x": 1}  # and undone with it
        with s.transaction():
            s.conn.execute("UPDATE events SET uid = 'z' WHERE id = 1")
        assert s.event_ids(["x", "z"]) == {"z": 1}
        # Another writer meanwhile: the map follows it.
        other = sqlite3.connect(tmp_path / "e.db")
        other.execute(ins, (10, "q"))
        other.commit()
        with s.transaction():
            assert s.event_ids(["q"]) == {"q": 10}
        with pytest.raises(sqlite3.Error):
            with s.transaction():
                s.conn.execute(ins, (11, "q"))
        other.execute("DELETE FROM events WHERE id = 10")
        other.commit()
        other.close()
        assert s.event_ids(["q", "z"]) == {"z": 1}
        # Many events in one statement (a shard's copy): the map learns them at once, and an id
        # already stored fails the statement as the trigger would.
        many = ('INSERT INTO events (id, uid, start, "end", year, precision, title, summary, kind)'
                " SELECT value, 'm' || value, '2020-01-01', '2020-12-31', 2020, 'year', 't', 's', 'past'"
                " FROM json_each(?)")
        with s.transaction():
            with s.new_events([("m20", 20), ("m21", 21)], 2):
                s.conn.execute(many, ("[20, 21]",))
        assert s.event_ids(["m20", "m21", "z"]) == {"m20": 20, "m21": 21, "z": 1}
        with pytest.raises(sqlite3.IntegrityError):
            with s.transaction():
                with s.new_events([("m22", 22), ("z", 23)], 2):
                    s.conn.execute(many, ("[22, 23]",))
        assert s.event_ids(["m22", "z"]) == {"z": 1}
        with pytest.raises(sqlite3.Error):  # the trigger is back after new_events
            with s.transaction():
                s.conn.execute(ins, (30, "m20"))
        s.restore_indexes()
        assert s.event_ids(["x", "z"]) == {"z": 1}  # back to the index
        assert "events_uid" in _indexes(tmp_path / "e.db")
        with pytest.raises(sqlite3.IntegrityError):
            with s.transaction():
                s.conn.execute(ins, (2, "z"))


def test_a_bulk_load_cut_short_gets_its_indexes_back(tmp_path):
    db = tmp_path / "e.db"
    with Store(db) as s:
        s.drop_bulk_indexes()  # and the process dies: nothing puts them back
    assert not set(Store.BULK_INDEXES) & _indexes(db)
    assert _automerge(db) == 0
    Store(db).close()
    assert set(Store.BULK_INDEXES) <= _indexes(db)
    assert _automerge(db) == Store.FTS_AUTOMERGE
    plan = sqlite3.connect(db).execute("EXPLAIN QUERY PLAN SELECT id FROM events WHERE uid = 'x'").fetchall()
    assert "events_uid" in str(plan)
    c = sqlite3.connect(db)
    c.execute("DROP INDEX events_uid")  # only that one gone
    c.close()
    Store(db).close()
    assert "events_uid" in _indexes(db)


_KILLED = """
import sys, time
from hz_timeline.store import Store, importing
importing.BULK_MIN = 1
with Store(sys.argv[1]) as s:
    importing.import_paths(s, [sys.argv[2]], options=importing.ImportOptions(chunk_size=50, jobs=2),
                           progress=lambda p: time.sleep(0.05))
"""


def test_sigkill_mid_bulk_load_then_the_next_writer_repairs_and_a_rerun_finishes(tmp_path, monkeypatch):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from generate import write_events_jsonl

    src = tmp_path / "ev.jsonl"
    write_events_jsonl(src, 2000)
    lines = src.read_text("utf-8").splitlines()
    src.write_text("\n".join(lines + lines[:120]) + "\n", "utf-8")  # ids repeated across chunks
    ref = tmp_path / "ref.db"
    with Store(ref) as s:
        import_paths(s, [str(src)], options=ImportOptions(chunk_size=50))
    db = tmp_path / "e.db"
    proc = subprocess.Popen([sys.executable, "-c", _KILLED, str(db), str(src)], stderr=subprocess.PIPE)
    workers = kill_when(proc, lambda: db.exists() and count_documents(db) >= 5)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read()
    assert len(workers) == 2 and not running(workers, timeout=10), "the workers outlive their killed parent"
    assert "events_uid" not in _indexes(db) and _automerge(db) == 0, "killed before the load began or after it ended"
    monkeypatch.setattr(importing, "BULK_MIN", 1)
    with Store(db) as s:
        assert set(Store.BULK_INDEXES) <= _indexes(db) and _automerge(db) == Store.FTS_AUTOMERGE
        rep = import_paths(s, [str(src)], options=ImportOptions(chunk_size=50, jobs=2))
        assert rep.skipped >= 5 and not rep.errors
    assert set(Store.BULK_INDEXES) <= _indexes(db)
    c = sqlite3.connect(db)
    assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    c.close()
    assert _dump(db) == _dump(ref)


OLD_EVENTS = """CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    uid TEXT NOT NULL UNIQUE,
    start TEXT NOT NULL,
    "end" TEXT NOT NULL,
    year INTEGER NOT NULL,
    precision TEXT NOT NULL,
    approx INTEGER NOT NULL DEFAULT 0,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    kind TEXT NOT NULL,
    n_mentions INTEGER NOT NULL DEFAULT 0,
    n_sources INTEGER NOT NULL DEFAULT 0,
    disputed INTEGER NOT NULL DEFAULT 0
);"""


def test_a_database_of_the_first_layout_keeps_its_inline_constraint(tmp_path, monkeypatch):
    from hz_timeline.store.schema import APP_ID, SCHEMA, SCHEMA_VERSION

    old = tmp_path / "old.db"
    c = sqlite3.connect(old)
    c.executescript(OLD_EVENTS + SCHEMA)
    c.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", [("app", APP_ID), ("schema_version", str(SCHEMA_VERSION))])
    c.commit()
    c.close()
    src = _write(tmp_path / "f.jsonl", EVENTS)
    monkeypatch.setattr(importing, "BULK_MIN", 1)
    with Store(old) as s:
        import_paths(s, [str(src)], options=ImportOptions(chunk_size=3))
    assert "events_uid" not in _indexes(old) and "sqlite_autoindex_events_1" in _indexes(old)
    new = _load(tmp_path, "new", True, monkeypatch, [[src]])
    assert "events_uid" in _indexes(new)
    assert _dump(old) == _dump(new)
    with Store(old) as s, pytest.raises(sqlite3.IntegrityError):
        with s.transaction():
            s.conn.execute("INSERT INTO events (uid, start, \"end\", year, precision, title, summary, kind)"
                           " SELECT uid, start, \"end\", year, precision, title, summary, kind FROM events LIMIT 1")

