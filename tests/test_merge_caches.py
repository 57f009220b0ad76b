"""The in-memory look-ups behind merging (the MinHash mirror in store/sketches.py, the actor
windows in store/actors.py) answer exactly what the tables would, through every kind of change;
what drops them; the quiet compare; the verdicts a merge keeps; and a big article import as a
bulk load."""

from __future__ import annotations

import random
import shutil
import sqlite3
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from hz_timeline.importers.events import Profile, compare
from hz_timeline.store import Store
from hz_timeline.store import importing
from hz_timeline.store.actors import ActorWindows, day
from hz_timeline.store.importing import ImportOptions, import_paths
from hz_timeline.store.sketches import SketchIndex

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from generate import write_corpus  # noqa: E402
from helpers import index_names as _indexes  # noqa: E402


# ---------------------------------------------------------------- MinHash mirror


def _sk(conn: sqlite3.Connection) -> SketchIndex:
    conn.execute("CREATE TABLE sketch_keys (hash INTEGER, start TEXT, event_id INTEGER, PRIMARY KEY (hash, start, event_id))"
                 " WITHOUT ROWID")
    conn.execute("CREATE INDEX sketch_keys_event ON sketch_keys (event_id)")
    return SketchIndex(conn)


def _from_table(sk: SketchIndex, hashes, start) -> list:
    """What ``nearest`` answers from the table (the mirror set aside), in its order."""
    saved, sk._stored = sk._stored, None
    try:
        return list(sk.nearest(hashes, start).items())
    finally:
        sk._stored = saved


def test_the_mirror_answers_what_the_table_does_through_every_change():
    rnd = random.Random(7)
    conn = sqlite3.connect(":memory:")
    conn.isolation_level = None
    sk = _sk(conn)
    values = list(range(12))  # few values, so lists are long and ties common
    starts = [f"20{y:02d}-{m:02d}-01" for y in range(10, 14) for m in (1, 6, 12)]
    events: set[int] = set()
    checked = 0
    for step in range(600):
        if step % 50 == 0:
            assert sk.mirror()
        conn.execute("BEGIN")
        # Half the transactions are documents of a group: a savepoint whose changes to stored
        # values are held (stage) until the group commits (apply), or rolled back alone.
        document = rnd.random() < 0.5
        if document:
            conn.execute("SAVEPOINT d")
            sk.stage()
        for _ in range(rnd.randint(1, 4)):
            op = rnd.random()
            if op < 0.45 or not events:
                ev = max(events, default=0) + 1
                events.add(ev)
                sk.add(ev, rnd.choice(starts), rnd.sample(values, 4), buffer=rnd.random() < 0.5)
            elif op < 0.75:
                ev = rnd.choice(sorted(events))
                new = rnd.sample(values, 4)
                sk.update(ev, rnd.choice(starts), [new] if rnd.random() < 0.5 else None, lambda v=new: v)
            else:
                ev = rnd.choice(sorted(events))
                sk.drop(ev)
                events.discard(ev)
        if document and rnd.random() < 0.15:
            conn.execute("ROLLBACK TO d")
            conn.execute("RELEASE d")
            sk.rollback(document=True)
            conn.execute("COMMIT")
            sk.commit()
            assert sk.mirror()
            events = {r[0] for r in conn.execute("SELECT DISTINCT event_id FROM sketch_keys")} | set(sk._of)
        elif rnd.random() < 0.1:
            conn.execute("ROLLBACK")
            sk.rollback()
            assert sk._stored is None  # a rollback drops the mirror ...
            assert sk.mirror()  # ... and it is read again
            events = {r[0] for r in conn.execute("SELECT DISTINCT event_id FROM sketch_keys")} | set(sk._of)
        else:
            if document:
                conn.execute("RELEASE d")
                sk.staged()
            if rnd.random() < 0.2:
                sk.written(sk.write())
            sk.apply()
            conn.execute("COMMIT")
            sk.commit()
        for _ in range(3):
            hashes, start = rnd.sample(values, 4), rnd.choice(starts)
            assert list(sk.nearest(hashes, start).items()) == _from_table(sk, hashes, start)
            checked += 1
        rows = sorted((h, s, ev) for ev, rs in sk._rows.items() for h, s in rs)
        assert rows == conn.execute("SELECT hash, start, event_id FROM sketch_keys ORDER BY 1, 2, 3").fetchall()
    assert checked == 1800


def test_the_mirror_is_not_kept_for_a_table_too_big_or_dates_it_cannot_order(monkeypatch):
    sk = _sk(sqlite3.connect(":memory:"))
    sk.add(1, "2020-01-01", [1, 2, 3], buffer=False)
    monkeypatch.setattr(SketchIndex, "MIRROR_MAX", 2)
    assert not sk.mirror()
    monkeypatch.setattr(SketchIndex, "MIRROR_MAX", 10)
    assert sk.mirror()
    sk.add(2, "2020-01-01", [4, 5, 6, 7, 8, 9, 10, 11], buffer=False)  # past the limit: dropped
    assert sk._stored is None and sk.nearest([1, 4], "2020-01-01") == {1: 1, 2: 1}
    sk2 = _sk(sqlite3.connect(":memory:"))
    sk2.conn.execute("INSERT INTO sketch_keys VALUES (1, '2020-1-1', 1)")  # not ISO: string order differs
    assert not sk2.mirror() and sk2.nearest([1], "2020-01-01") == {1: 1}


# ---------------------------------------------------------------- actor windows


def _reference(conn: sqlite3.Connection, ents: list[int], start: str, limit: int, recent: int) -> list[int]:
    """The actor route straight from the tables: each entity's ``recent`` latest events, the
    ``limit`` nearest in days (ties: the latest first)."""
    rows: dict[int, str] = {}
    for ent in ents:
        rows.update(conn.execute(
            "SELECT x.event_id, e.start FROM event_entities x JOIN events e ON e.id = x.event_id"
            " WHERE x.entity_id = ? ORDER BY x.event_id DESC LIMIT ?", (ent, recent)).fetchall())
    d = day(start)
    return sorted(rows, key=lambda ev: (abs(day(rows[ev]) - d), -ev))[:limit]


def test_actor_windows_answer_what_the_tables_do_through_imports_changes_and_removals(tmp_path, monkeypatch):
    calls = []
    real = ActorWindows.nearest

    def checked(self, ents, start, limit):
        got = real(self, ents, start, limit)
        assert sorted(got) == sorted(_reference(self.conn, ents, start, limit, self.recent))
        calls.append(len(got))
        return got

    monkeypatch.setattr(ActorWindows, "nearest", checked)
    happened: dict[str, int] = {}

    def counted(name):
        fn = getattr(ActorWindows, name)

        def wrapper(self, *args):
            happened[name] = happened.get(name, 0) + 1
            return fn(self, *args)
        monkeypatch.setattr(ActorWindows, name, wrapper)

    for name in ("_evict", "_drop", "_load"):
        counted(name)
    # Small windows, so they fill, evict and reload within a small corpus.
    monkeypatch.setattr(Store, "RECENT", 6)
    monkeypatch.setattr(Store, "POOL", 4)
    corpus = tmp_path / "c"
    write_corpus(corpus, 40, target_chars=400, style="newsroom")
    db = tmp_path / "t.db"
    with Store(db) as s:
        rep = import_paths(s, [str(corpus)])
        assert rep.events_merged > 0
        # Changed files replace their mentions: links go, events are dropped or re-dated.
        files = sorted(corpus.iterdir())
        for f in files[::3]:
            text = f.read_text("utf-8")
            f.write_text(text[: len(text) // 2], "utf-8")
        for f in files[1::5]:
            f.unlink()
        rep = import_paths(s, [str(corpus)])
        assert rep.documents > 0
        more = tmp_path / "more"
        write_corpus(more, 15, target_chars=400, style="newsroom", seed=3)
        import_paths(s, [str(more)])
        moved = s.conn.execute("SELECT count(*) FROM events WHERE n_mentions > 1").fetchone()[0]
    # windows were filled, evicted from, dropped and read again; merges moved events
    assert len(calls) > 100 and sum(calls) > len(calls) and moved > 0
    assert happened["_evict"] > 0 and happened["_drop"] > 0 and happened["_load"] > len(happened)


def test_a_write_from_another_connection_or_a_bulk_write_drops_the_caches(tmp_path):
    corpus = tmp_path / "c"
    write_corpus(corpus, 6, target_chars=300, style="newsroom")
    db = tmp_path / "t.db"
    with Store(db) as a, Store(db) as b:
        import_paths(a, [str(corpus)])
        a.sketches.mirror()
        a.actors.nearest([1], "2020-01-01", 5)
        a.check_caches()
        assert a.sketches._stored is not None and a.actors._win
        import_paths(b, [str(corpus / sorted(p.name for p in corpus.iterdir())[0])], options=ImportOptions())
        with b.transaction():
            b.conn.execute("UPDATE events SET title = 'x' WHERE id = 1")
        a.check_caches()
        assert a.sketches._stored is None and not a.actors._win and not a._profiles


# ---------------------------------------------------------------- quiet compare

_names = st.frozensets(st.sampled_from("甲乙丙丁戊己"), max_size=3)
_grams = st.frozensets(st.sampled_from(["杭州", "州发", "发布", "布了", "机器", "器人", "人产", "产业"]), max_size=8)
_dates = st.sampled_from([("2020-01-01", "2020-12-31", "year"), ("2020-03-05", "2020-03-05", "day"),
                          ("2021-03-05", "2021-03-05", "day"), ("2020-03-01", "2020-03-31", "month")])


@st.composite
def _profiles(draw):
    s, e, p = draw(_dates)
    return Profile(s, e, p, draw(_grams), draw(_names), draw(_names), draw(st.frozensets(st.sampled_from("ab"))),
                   draw(_names))


@settings(max_examples=400, deadline=None)
@given(_profiles(), _profiles())
def test_a_quiet_compare_is_the_full_verdict_without_the_reasons_of_a_none(a, b):
    full, quiet = compare(a, b), compare(a, b, quiet=True)
    assert (quiet.relation, quiet.score) == (full.relation, full.score)
    if full.relation == "none":
        assert quiet.reasons in ((), full.reasons)  # the cheap early answer keeps its one reason
    else:
        assert quiet.reasons == full.reasons


# ---------------------------------------------------------------- bulk load of articles


def _state(db: Path) -> tuple:
    c = sqlite3.connect(db)
    try:
        return (c.execute('SELECT uid, start, "end", title, n_mentions, disputed FROM events ORDER BY uid').fetchall(),
                c.execute("SELECT e.uid, f.body FROM events_fts f JOIN events e ON e.id = f.rowid ORDER BY 1").fetchall(),
                c.execute("SELECT count(*) FROM disputes").fetchone())
    finally:
        c.close()


def test_a_big_article_import_is_a_bulk_load_with_the_same_result(tmp_path, monkeypatch):
    corpus = tmp_path / "c"
    write_corpus(corpus, 20, target_chars=400, style="newsroom")
    plain, bulk = tmp_path / "plain.db", tmp_path / "bulk.db"
    with Store(plain) as s:
        import_paths(s, [str(corpus)])
    size = sum(f.stat().st_size for f in corpus.iterdir())
    # 20 articles count as big when the threshold is one article's worth of events
    monkeypatch.setattr(importing, "BULK_MIN", size // importing.TEXT_PER_EVENT // 20)
    seen = []
    with Store(bulk) as s:
        import_paths(s, [str(corpus)], progress=lambda p: seen.append(set(Store.BULK_INDEXES) & _indexes(bulk)))
    assert seen and all(not x for x in seen)  # dropped for the whole import ...
    assert set(Store.BULK_INDEXES) <= _indexes(bulk)  # ... and back at its end
    assert _state(bulk) == _state(plain)
    # A small import into that store is no bulk load: the store outweighs it.
    extra = tmp_path / "extra"
    extra.mkdir()
    shutil.copy(sorted(corpus.iterdir())[0], extra / "again.txt")
    seen.clear()
    with Store(bulk) as s:
        import_paths(s, [str(extra)], progress=lambda p: seen.append(set(Store.BULK_INDEXES) & _indexes(bulk)))
    assert seen and all(x == set(Store.BULK_INDEXES) for x in seen)


# ---------------------------------------------------------------- verdicts of a merge


def _verdicts_by_compare(mine, pool, profiles):
    """What Store._match decided before it judged without reasons: compare every stored event."""
    best, disputes = None, []
    for ev_id in pool:
        v = compare(mine, profiles[ev_id], quiet=True)
        if v.relation == "same" and (best is None or v.score > best[1].score):
            best = (ev_id, v)
        elif v.relation == "dispute":
            disputes.append((ev_id, v))
    return best, sorted(disputes, key=lambda d: -d[1].score)[:3]


@settings(max_examples=150, deadline=None)
@given(_profiles(), st.lists(_profiles(), max_size=10), _names)
def test_a_merge_keeps_the_verdicts_compare_gives_with_their_reasons(mine, stored, common):
    """``_match`` formats reasons only for the match and the disputes it keeps, and compares
    interned copies of the profiles: the same choice, ties included, and the same verdicts."""
    from dataclasses import replace
    from hz_timeline.models import Event
    import tempfile

    with tempfile.TemporaryDirectory() as d, Store(Path(d) / "m.db") as s:
        pool = list(range(1, len(stored) + 1))
        profiles = dict(zip(pool, stored))
        s._profiles = dict(profiles)
        s._common = lambda cand: common
        s._candidate_pool = lambda *a: pool
        cand = Event("ev-x", mine.start, mine.end, mine.precision, "t", "s", "past", (), (), ())
        target, verdict, disputes, used = s._match(cand, mine, [], set(), [])
    assert used == replace(mine, common=common)
    best, want = _verdicts_by_compare(used, pool, profiles)
    assert (target, verdict) == (best if best else (None, None))
    assert disputes == want
