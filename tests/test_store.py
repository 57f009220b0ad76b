"""The store on databases in tmp_path: schema, refusing foreign files, merging, re-import, removal."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from hz_timeline.errors import StoreError
from hz_timeline.models import DateSpan, Document, Entity, Event, Mention
from hz_timeline.store import Filter, Store


def doc(path: str, text: str, published="2025-02-06") -> Document:
    return Document(path=path, text=text, sha256=hashlib.sha256(text.encode()).hexdigest(), title=path, published=published)


def cand(d: Document, quote: str, start: str, end: str, precision="year", entities=(), time_text=None) -> Event:
    a = d.text.index(quote)
    t = time_text or quote[:5]
    ts = d.text.index(t, a)
    m = Mention(d.path, a, a + len(quote), quote, t, ts, ts + len(t), DateSpan(start, end, precision, resolution="explicit"))
    return Event(f"ev-{d.sha256[:8]}-{a}", start, end, precision, quote[:10], quote, "past",
                 tuple(Entity(n, "org") for n in entities), ("ai",), (m,))


def test_new_database_has_schema_version_and_wal(tmp_path):
    path = tmp_path / "e.db"
    with Store(path) as s:
        assert s.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        meta = dict(s.conn.execute("SELECT key, value FROM meta"))
    assert meta["app"] == "hz-timeline" and meta["schema_version"] == "1"


def test_refuses_foreign_sqlite_and_non_sqlite_files(tmp_path):
    foreign = tmp_path / "other.db"
    c = sqlite3.connect(foreign)
    c.execute("CREATE TABLE stuff (x)")
    c.commit()
    c.close()
    with pytest.raises(StoreError, match="not an hz-timeline"):
        Store(foreign)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(StoreError, match="not an SQLite database"):
        Store(junk)
    assert junk.read_bytes().startswith(b"this is not")  # untouched
    with pytest.raises(StoreError, match="no such database"):
        Store(tmp_path / "missing.db", create=False)


def test_refuses_newer_schema(tmp_path):
    path = tmp_path / "e.db"
    with Store(path) as s:
        with s.conn:
            s.conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="newer than this program"):
        Store(path)


def test_locked_database_is_a_clean_error(tmp_path):
    path = tmp_path / "e.db"
    Store(path).close()
    blocker = sqlite3.connect(path)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with Store(path) as s:
            s.conn.execute("PRAGMA busy_timeout = 100")
            d = doc("a.txt", "1999年,宁波说两年后超越杭州。")
            with pytest.raises(StoreError, match="locked"):
                s.add_document(d, [cand(d, "1999年,宁波说两年后超越杭州。", "1999-01-01", "1999-12-31")], [])
    finally:
        blocker.rollback()
        blocker.close()


def test_merges_same_event_across_documents_and_counts_sources(tmp_path):
    a = doc("a.txt", "1999年,宁波的财政收入超过杭州,宁波唱出高调:两年之后全面超越杭州。")
    b = doc("b.txt", "1999年,寧波的財政收入超過杭州,寧波唱出高調:兩年之後全面超越杭州!")
    with Store(tmp_path / "e.db") as s:
        s.add_document(a, [cand(a, a.text, "1999-01-01", "1999-12-31", entities=("宁波",))], [])
        stats = s.add_document(b, [cand(b, b.text, "1999-01-01", "1999-12-31", entities=("宁波",))], [])
        assert stats["events_merged"] == 1 and stats["events_new"] == 0
        [row] = s.page(Filter())
        assert row["n_sources"] == 2 and row["n_mentions"] == 2
        ev = s.event(row["uid"])
        assert [m["document"] for m in ev["mentions"]] == ["a.txt", "b.txt"]
        assert ev["mentions"][1]["merge_reasons"]


def test_two_statements_of_one_document_never_merge(tmp_path):
    text = "2017年,浙江出台机器人计划。2017年,浙江出台机器人计划的细则。"
    d = doc("a.txt", text)
    q1, q2 = "2017年,浙江出台机器人计划。", "2017年,浙江出台机器人计划的细则。"
    with Store(tmp_path / "e.db") as s:
        s.add_document(d, [cand(d, q1, "2017-01-01", "2017-12-31"), cand(d, q2, "2017-01-01", "2017-12-31")], [])
        assert s.count() == 2


def test_dispute_links_incompatible_dates(tmp_path):
    a = doc("a.txt", "2020年,杭州开始接触中昊芯英,请团队来杭州落地。")
    b = doc("b.txt", "2024年,杭州开始接触中昊芯英,请团队来杭州落地发展。")
    with Store(tmp_path / "e.db") as s:
        s.add_document(a, [cand(a, a.text, "2020-01-01", "2020-12-31", entities=("中昊芯英",))], [])
        s.add_document(b, [cand(b, b.text, "2024-01-01", "2024-12-31", entities=("中昊芯英",))], [])
        rows = s.page(Filter())
        assert len(rows) == 2 and all(r["disputed"] for r in rows)
        ev = s.event(rows[0]["uid"])
        assert ev["disputes"][0]["event"] == rows[1]["uid"]
        assert "incompatible dates" in ev["disputes"][0]["reason"]


@pytest.mark.parametrize("layout", ["rowid", "without rowid (stores made before)"])
def test_disputes_are_kept_once_per_pair_in_either_table_layout(tmp_path, layout):
    a = doc("a.txt", "2020年,杭州开始接触中昊芯英,请团队来杭州落地。")
    b = doc("b.txt", "2024年,杭州开始接触中昊芯英,请团队来杭州落地发展。")
    c = doc("c.txt", "2024年,杭州开始接触中昊芯英,请团队来杭州落地发展壮大。")
    with Store(tmp_path / "e.db") as s:
        if layout != "rowid":
            with s.conn:
                s.conn.execute("DROP TABLE disputes")
                s.conn.execute("CREATE TABLE disputes (event_a INTEGER NOT NULL REFERENCES events(id), event_b INTEGER"
                               " NOT NULL REFERENCES events(id), reason TEXT NOT NULL, PRIMARY KEY (event_a, event_b))"
                               " WITHOUT ROWID")
                s.conn.execute("CREATE INDEX disputes_b ON disputes (event_b)")
        for d, start, end in ((a, "2020-01-01", "2020-12-31"), (b, "2024-01-01", "2024-12-31"), (c, "2024-01-01", "2024-12-31")):
            s.add_document(d, [cand(d, d.text, start, end, entities=("中昊芯英",))], [])
        # c merges into b's event, which is disputed by a's already: still one pair
        assert [tuple(r) for r in s.conn.execute("SELECT event_a, event_b FROM disputes")] == [(1, 2)]
        with pytest.raises(sqlite3.IntegrityError):
            s.conn.execute("INSERT INTO disputes (event_a, event_b, reason) VALUES (1, 2, 'again')")
        assert s.event(s.page(Filter())[0]["uid"])["disputes"]


def test_reimport_unchanged_skips_and_changed_replaces(tmp_path):
    a = doc("a.txt", "2014年,杭州提出数字经济。")
    with Store(tmp_path / "e.db") as s:
        s.add_document(a, [cand(a, a.text, "2014-01-01", "2014-12-31")], [])
        assert s.add_document(a, [cand(a, a.text, "2014-01-01", "2014-12-31")], [])["skipped"]
        a2 = doc("a.txt", "2015年,杭州提出数字经济。")
        s.add_document(a2, [cand(a2, a2.text, "2015-01-01", "2015-12-31")], [])
        rows = s.page(Filter())
        assert [r["start"] for r in rows] == ["2015-01-01"]
        assert s.stats()["documents"] == 1 and s.stats()["mentions"] == 1


def test_remove_document_drops_orphaned_events_only(tmp_path):
    a = doc("a.txt", "1999年,宁波的财政收入超过杭州,宁波唱出高调。")
    b = doc("b.txt", "1999年,寧波的財政收入超過杭州,寧波唱出高調。")
    c = doc("c.txt", "2017年,浙江出台机器人计划。")
    with Store(tmp_path / "e.db") as s:
        for d in (a, b, c):
            s.add_document(d, [cand(d, d.text, d.text[:4] + "-01-01", d.text[:4] + "-12-31", entities=("宁波",))], [])
        assert s.count() == 2
        s.remove_document("a.txt")
        rows = s.page(Filter())
        assert len(rows) == 2 and rows[0]["n_sources"] == 1
        s.remove_document("c.txt")
        assert s.count() == 1
        with pytest.raises(StoreError):
            s.remove_document("nope.txt")


def test_filters_overlap_within_and_search_across_scripts(tmp_path):
    a = doc("a.txt", "2017年,浙江出台机器人计划。2018年底,寧波大學成立實驗室。")
    with Store(tmp_path / "e.db") as s:
        s.add_document(a, [
            cand(a, "2017年,浙江出台机器人计划。", "2017-01-01", "2017-12-31"),
            cand(a, "2018年底,寧波大學成立實驗室。", "2018-10-01", "2018-12-31", precision="month"),
        ], [])
        assert s.count(Filter(date_from="2017-06-01", date_to="2017-06-30")) == 1
        assert s.count(Filter(date_from="2017-06-01", date_to="2017-06-30", within=True)) == 0
        assert s.count(Filter(query="宁波")) == 1  # simplified query, traditional text
        assert s.count(Filter(query="波")) == 1  # one character
        assert s.count(Filter(query="机器人计划")) == 1
        assert s.count(Filter(query="機器人")) == 1
        assert s.count(Filter(query='"; DROP TABLE events; --')) == 0
        assert s.count(Filter(query="宁波 -实验室")) == 0
        assert s.years() == [(2017, 1), (2018, 1)]
