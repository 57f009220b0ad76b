"""Merging at scale: the MinHash look-up (store/sketches.py), search-index rows written in batches
during a bulk import, and what happens to both when an import is interrupted."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
from pathlib import Path

import pytest

from hz_timeline.importers.events import _bigrams, compare, profile, sketch
from hz_timeline.models import DateSpan, Document, Entity, Event, Mention
from hz_timeline.store import Store, prepare_candidates
from hz_timeline.store.importing import ImportOptions, import_paths
from hz_timeline.store.sketches import SketchIndex

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from generate import write_corpus  # noqa: E402


def _doc(path: str, text: str) -> Document:
    return Document(path=path, text=text, sha256=hashlib.sha256(text.encode()).hexdigest(), title=path,
                    published="2025-02-06")


def _cand(d: Document, quote: str, start: str, end: str, entities=(), places=()) -> Event:
    a = d.text.index(quote)
    t = quote[:5]
    m = Mention(d.path, a, a + len(quote), quote, t, a, a + 5, DateSpan(start, end, "day", resolution="explicit"))
    ents = tuple(Entity(n, "org") for n in entities) + tuple(Entity(n, "place") for n in places)
    return Event(f"ev-{d.sha256[:8]}-{a}", start, end, "day", quote[:10], quote, "past", ents, (), (m,))


def _state(db: Path) -> tuple:
    """Everything merging and search produce, in a comparable form."""
    c = sqlite3.connect(db)
    try:
        events = c.execute('SELECT uid, start, "end", title, n_mentions, n_sources, disputed FROM events ORDER BY uid').fetchall()
        fts = c.execute("SELECT e.uid, f.body FROM events_fts f JOIN events e ON e.id = f.rowid ORDER BY e.uid").fetchall()
        keys = c.execute("SELECT s.hash, s.start, e.uid FROM sketch_keys s JOIN events e ON e.id = s.event_id"
                         " ORDER BY 1, 2, 3").fetchall()
        pending = c.execute("SELECT count(*) FROM fts_pending").fetchone()[0]
        return events, fts, keys, pending
    finally:
        c.close()


# ---------------------------------------------------------------- SketchIndex


def _sk(conn: sqlite3.Connection) -> SketchIndex:
    conn.execute("CREATE TABLE sketch_keys (hash INTEGER, start TEXT, event_id INTEGER, PRIMARY KEY (hash, start, event_id))"
                 " WITHOUT ROWID")
    conn.execute("CREATE INDEX sketch_keys_event ON sketch_keys (event_id)")
    return SketchIndex(conn)


def test_nearest_counts_shared_values_from_stored_and_buffered_events():
    sk = _sk(sqlite3.connect(":memory:"))
    sk.add(1, "2020-01-01", [10, 20, 30], buffer=False)
    sk.add(2, "2020-02-01", [10, 20, 99], buffer=True)
    sk.add(3, "2020-03-01", [77, 88], buffer=True)
    assert sk.nearest([10, 20, 30], "2020-01-15") == {1: 3, 2: 2}
    assert sk.nearest([], "2020-01-15") == {}


def test_nearest_takes_only_the_events_closest_in_time_for_each_value():
    sk = _sk(sqlite3.connect(":memory:"))
    for i in range(40):  # one very common value, one event a month
        sk.add(i, f"{2000 + i // 12}-{i % 12 + 1:02d}-01", [5], buffer=i % 2 == 0)
    near = sk.nearest([5], "2001-06-15")  # event 17 is 2001-06-01
    # NEAR on each side among the stored (odd) events and NEAR on each side among the buffered (even)
    assert SketchIndex.NEAR == 8 and sorted(near) == list(range(2, 34))


def test_rollback_forgets_what_the_transaction_buffered_and_write_persists_the_rest():
    conn = sqlite3.connect(":memory:")
    sk = _sk(conn)
    sk.add(1, "2020-01-01", [1, 2], buffer=True)
    sk.commit()
    sk.add(2, "2020-01-01", [1, 2], buffer=True)
    sk.rollback()
    assert sk.nearest([1, 2], "2020-01-01") == {1: 2}
    written = sk.write()
    sk.written(written)
    assert written == [1] and not sk.buffered(1)
    assert conn.execute("SELECT hash, start, event_id FROM sketch_keys ORDER BY hash").fetchall() == [
        (1, "2020-01-01", 1), (2, "2020-01-01", 1)]


def test_update_takes_the_minimum_per_slot_and_rewrites_only_changed_rows():
    conn = sqlite3.connect(":memory:")
    sk = _sk(conn)
    a = sketch(_bigrams("杭州市发布人工智能产业发展三年行动计划"))
    b = sketch(_bigrams("宁波市发布数字经济产业发展三年行动计划"))
    sk.add(7, "2020-01-01", a, buffer=False)
    sk.update(7, "2020-01-01", [b], recompute=lambda: pytest.fail("not recomputed when values are added"))
    stored = sorted(h for (h,) in conn.execute("SELECT hash FROM sketch_keys WHERE event_id = 7"))
    assert stored == sorted(min(x, y) for x, y in zip(a, b))
    # the same for a buffered event, and a new date moves every value
    sk.add(8, "2020-01-01", a, buffer=True)
    sk.update(8, "2021-05-05", [b], recompute=lambda: [])
    assert sk.nearest(stored, "2021-05-05")[8] == len(stored)
    sk.update(7, "2022-01-01", None, recompute=lambda: [42])
    assert conn.execute("SELECT hash, start FROM sketch_keys WHERE event_id = 7").fetchall() == [(42, "2022-01-01")]


def test_changes_to_stored_values_wait_for_the_group_commit_and_a_rolled_back_document_loses_only_its_own():
    conn = sqlite3.connect(":memory:")
    sk = _sk(conn)
    a = sketch(_bigrams("杭州市发布人工智能产业发展三年行动计划"))
    b = sketch(_bigrams("宁波市发布数字经济产业发展三年行动计划"))
    merged = sorted(min(x, y) for x, y in zip(a, b))
    sk.add(7, "2020-01-01", a, buffer=False)
    assert sk.mirror()

    def table():
        return sorted(h for (h,) in conn.execute("SELECT hash FROM sketch_keys WHERE event_id = 7"))

    sk.stage()  # a document of a group
    sk.update(7, "2020-01-01", [b], recompute=lambda: [])
    assert table() == sorted(a)  # held back...
    assert sk.nearest(merged, "2020-01-01") == {7: 8}  # ...but looked up as if written
    sk.staged()
    sk.stage()  # the next document changes it again, then fails
    sk.update(7, "2020-01-01", None, recompute=lambda: [42])
    sk.rollback(document=True)
    assert table() == merged  # the first document's change written, the failed one's not
    # a group's commit writes what its documents held; a lost group writes nothing
    for value, end, want in ((42, sk.apply, [42]), (43, sk.rollback, [42])):
        assert sk.mirror()
        sk.stage()
        sk.update(7, "2020-01-01", None, recompute=lambda v=value: [v])
        sk.staged()
        end()
        assert table() == want


# ---------------------------------------------------------------- merging rules


def test_the_same_wording_about_different_actors_or_places_is_two_events():
    d1 = _doc("a.txt", "2020年3月5日，星河科技在杭州发布了机器人产业基金。")
    d2 = _doc("b.txt", "2020年3月5日，云帆集团在杭州发布了机器人产业基金。")
    d3 = _doc("c.txt", "2020年3月5日，星河科技在杭州发布了机器人产业基金。")
    q = lambda d: d.text  # noqa: E731
    a = _cand(d1, q(d1), "2020-03-05", "2020-03-05", ["星河科技"], ["杭州"])
    b = _cand(d2, q(d2), "2020-03-05", "2020-03-05", ["云帆集团"], ["杭州"])
    c = _cand(d3, q(d3), "2020-03-05", "2020-03-05", ["星河科技"], ["杭州"])
    assert compare(a, b).relation == "none"
    assert compare(a, c).relation == "same"
    # places: the same statement set in two cities is neither one event nor a dispute
    d4 = _doc("d.txt", "2018年，宁波出台《关于加快机器人发展的若干意见》。")
    d5 = _doc("e.txt", "2020年，温州出台《关于加快机器人发展的若干意见》。")
    x = _cand(d4, q(d4), "2018-01-01", "2018-12-31", ["关于加快机器人发展的若干意见"], ["宁波"])
    y = _cand(d5, q(d5), "2020-01-01", "2020-12-31", ["关于加快机器人发展的若干意见"], ["温州"])
    assert compare(x, y).relation == "none"
    z = _cand(d5, q(d5), "2020-01-01", "2020-12-31", ["关于加快机器人发展的若干意见"], ["宁波"])
    assert compare(x, z).relation == "dispute"


def test_prepared_candidates_are_what_the_store_would_compute():
    d = _doc("a.txt", "2020年3月5日，星河科技在杭州发布了机器人产业基金。")
    c = _cand(d, d.text, "2020-03-05", "2020-03-05", ["星河科技"], ["杭州"])
    [(p, hs, names)] = prepare_candidates([c])
    assert p == profile(c) and hs == sketch(p.grams)
    # the mention row's entities and tags columns
    assert [json.loads(x) for x in names] == [[[e.name, e.type] for e in c.entities], list(c.tags)]


# ---------------------------------------------------------------- bulk import, interrupted or not


def test_bulk_import_gives_the_same_store_as_document_by_document(tmp_path):
    corpus = tmp_path / "c"
    write_corpus(corpus, 30, target_chars=300, style="newsroom")
    bulk, single = tmp_path / "bulk.db", tmp_path / "single.db"
    with Store(bulk) as s:
        rep = import_paths(s, [str(corpus)], options=ImportOptions(jobs=2))
        assert rep.events_merged > 0 and not rep.errors
    with Store(single) as s:
        s.FLUSH_EVERY = 1  # flush after every document: nothing waits in memory
        import_paths(s, [str(corpus)])
    a, b = _state(bulk), _state(single)
    assert a[3] == b[3] == 0  # nothing left pending
    assert a[0] == b[0] and a[1] == b[1] and a[2] == b[2]


def test_an_interrupted_bulk_import_is_searchable_and_mergeable_after_reopening(tmp_path):
    corpus = tmp_path / "c"
    write_corpus(corpus, 12, target_chars=300, style="newsroom")
    ref, cut = tmp_path / "ref.db", tmp_path / "cut.db"
    with Store(ref) as s:
        import_paths(s, [str(corpus)])
    s = Store(cut)
    s.defer_index = True  # what import_paths does; then the process dies before flushing
    from hz_timeline.store.importing import _extract, prepare

    from hz_timeline.importers.readers import read_path

    for f in sorted(corpus.iterdir()):
        doc = prepare(read_path(f, str(f))[0])
        s.add_document(doc, *_extract(doc))
    assert s.index_pending() > 0
    assert s.conn.execute("SELECT count(*) FROM events_fts").fetchone()[0] == 0
    s.conn.close()  # no flush: the buffered sketch values are lost with the process
    with Store(cut) as s2:  # a writer opening the store finishes the job
        assert s2.index_pending() == 0
    a, b = _state(ref), _state(cut)
    assert a[0] == b[0] and a[1] == b[1] and a[3] == b[3] == 0
    assert {(h, st, u) for h, st, u in b[2]} == set(a[2])


def test_a_store_of_the_first_layout_keeps_its_sketch_values(tmp_path):
    db = tmp_path / "old.db"
    with Store(db) as s:
        d = _doc("a.txt", "2020年3月5日，星河科技在杭州发布了机器人产业基金。")
        s.add_document(d, [_cand(d, d.text, "2020-03-05", "2020-03-05", ["星河科技"])], [])
        keys = s.conn.execute("SELECT hash, event_id FROM sketch_keys ORDER BY 1").fetchall()
        with s.conn:  # back to the first layout: event_sketch without dates
            s.conn.execute("CREATE TABLE event_sketch (hash INTEGER NOT NULL, event_id INTEGER NOT NULL,"
                           " PRIMARY KEY (hash, event_id)) WITHOUT ROWID")
            s.conn.execute("INSERT INTO event_sketch SELECT hash, event_id FROM sketch_keys")
            s.conn.execute("DROP TABLE sketch_keys")
    with Store(db) as s:
        tables = {r[0] for r in s.conn.execute("SELECT name FROM sqlite_master")}
        assert "event_sketch" not in tables
        assert s.conn.execute("SELECT hash, event_id FROM sketch_keys ORDER BY 1").fetchall() == keys
        assert {r[0] for r in s.conn.execute("SELECT start FROM sketch_keys")} == {"2020-03-05"}
