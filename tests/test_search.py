"""Search on a small hand-made store: CJK of any length, both scripts, folding, aliases, the query
language end to end through Store, injection attempts, and the CLI."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hz_timeline.errors import UsageError
from hz_timeline.models import DateSpan, Document, Entity, Event, Mention
from hz_timeline.store import Filter, Store
from hz_timeline.store.querylang import highlight_spans, parse

EXE = str(Path(sys.executable).with_name("hz-timeline"))


def doc(path, text, outlet=None):
    return Document(path=path, text=text, sha256=hashlib.sha256(text.encode()).hexdigest(), title=f"{path} title",
                    outlet=outlet, published="2025-02-06")


def cand(d, quote, start, end, precision="year", entities=(), tags=(), kind="past"):
    a = d.text.index(quote)
    t = quote[:5]
    m = Mention(d.path, a, a + len(quote), quote, t, a, a + len(t), DateSpan(start, end, precision, resolution="explicit"))
    return Event(f"ev-{d.sha256[:8]}-{a}", start, end, precision, quote[:12], quote, kind,
                 tuple(Entity(n, "org") for n in entities), tuple(tags), (m,))


E1 = "1999年,宁波的财政收入超过杭州,宁波唱出高调。"
E2 = "2017年,浙江出台机器人产业计划,宇树科技受益。"
E3 = "2018年底,寧波大學成立人工智慧實驗室。"
E4 = "2025年1月20日,深度求索发布DeepSeek-R1模型。"
E5 = "2019年,Unitree发布四足机器狗。"
E6 = "2023年,ＡＢＣ Ｃｏｍｐａｎｙ在杭州设立总部。"
E7 = "2023年7月,深度求索在杭州注册成立。"  # no entity recorded: only query-side alias widening finds it


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("search") / "e.db"
    a = doc("news/a.txt", E1 + E2, outlet="浙江日报")
    b = doc("news/b.txt", E3, outlet="聯合報")
    c = doc("tech/c.txt", E4 + E5 + E6 + E7, outlet="36氪")
    with Store(path) as s:
        s.add_document(a, [
            cand(a, E1, "1999-01-01", "1999-12-31", entities=("宁波",), tags=("city-rivalry",)),
            cand(a, E2, "2017-01-01", "2017-12-31", entities=("宇树科技",), tags=("robotics",), kind="plan"),
        ], [])
        s.add_document(b, [cand(b, E3, "2018-10-01", "2018-12-31", "month", entities=("寧波大學",), tags=("ai",))], [])
        s.add_document(c, [
            cand(c, E4, "2025-01-20", "2025-01-20", "day", entities=("深度求索",), tags=("ai",)),
            cand(c, E5, "2019-01-01", "2019-12-31", entities=("宇树科技",), tags=("robotics",)),
            cand(c, E6, "2023-01-01", "2023-12-31"),
            cand(c, E7, "2023-07-01", "2023-07-31", "month"),
        ], [])
        assert s.count() == 7
    s = Store(path)
    yield s
    s.close()


def found(store, query, **kw) -> set[str]:
    """Which of E1..E7 a query finds (by their quote), checked against count() and every plan."""
    rows = store.page(Filter(query=query, **kw), 0, 100)
    names = {f"E{i}" for i, e in enumerate((E1, E2, E3, E4, E5, E6, E7), 1) for r in rows if r["summary"] == e}
    assert store.count(Filter(query=query, **kw)) == len(rows)
    return names


@pytest.mark.parametrize("query,expected", [
    # CJK of any length, as substrings
    ("波", {"E1", "E3"}),
    ("宁波", {"E1", "E3"}),
    ("财政收入", {"E1"}),
    ("唱出高调", {"E1"}),
    ("人工智慧實驗室", {"E3"}),
    # either script finds both
    ("寧波", {"E1", "E3"}),
    ("宁波大学", {"E3"}),
    ("实验室", {"E3"}),
    ("機器人", {"E2"}),
    # full-width and case
    ("ＡＢＣ", {"E6"}),
    ("abc company", {"E6"}),
    ("ABC", {"E6"}),
    ("deepseek-r1", {"E4"}),
    ("ｄｅｅｐｓｅｅｋ－ｒ１", {"E4"}),
    # aliases widen the search
    ("DeepSeek", {"E4", "E7"}),
    ("Unitree", {"E2", "E5"}),
    ("宇树", {"E2", "E5"}),
    # the language
    ("财政 OR 实验室", {"E1", "E3"}),
    ("宁波 -实验室", {"E1"}),
    ("杭州 宁波", {"E1"}),
    ('"宁波唱出"', {"E1"}),
    ('"唱出宁波"', set()),
    ("(财政 OR 实验室) -大学", {"E1"}),
    ("-宁波", {"E2", "E4", "E5", "E6", "E7"}),
    ("宁波 OR tag:robotics", {"E1", "E2", "E3", "E5"}),
    # fields alone and with text
    ("tag:robotics", {"E2", "E5"}),
    ("tag:ROBOTICS", {"E2", "E5"}),
    ("-tag:ai tag:robotics", {"E2", "E5"}),
    ("entity:深度求索", {"E4"}),
    ("entity:deepseek", {"E4"}),  # an alias names the canonical entity
    ("entity:宁波大学", {"E3"}),  # simplified name, traditional entity
    ("entity:Unitree", {"E2", "E5"}),
    ("kind:plan", {"E2"}),
    ("precision:day", {"E4"}),
    ("precision:month", {"E3", "E7"}),
    ("source:tech/", {"E4", "E5", "E6", "E7"}),
    ("source:36氪", {"E4", "E5", "E6", "E7"}),  # outlet
    ("source:联合报", {"E3"}),  # outlet in the other script
    ("source:a.txt 宁波", {"E1"}),
    # dates
    ("2017..2019", {"E2", "E3", "E5"}),
    ("from:2023", {"E4", "E6", "E7"}),
    ("to:1999", {"E1"}),
    ("year:2018", {"E3"}),
    ("from:2018-11 to:2019", {"E3", "E5"}),
    ("2023-07..2023-07 杭州", {"E6", "E7"}),  # ranges overlap: E6 is the whole of 2023
    ("tag:robotics 2017..2019", {"E2", "E5"}),
    ("unitree tag:robotics 2017..2019", {"E2", "E5"}),
])
def test_queries(store, query, expected):
    assert found(store, query) == expected


def test_query_combines_with_filter_fields(store):
    assert found(store, "宁波", date_from="2018-01-01") == {"E3"}
    assert found(store, "宁波", tags=("city-rivalry",)) == {"E1"}
    assert found(store, "tag:ai", kinds=("past",)) == {"E3", "E4"}


def test_probe_plan_gives_the_same_answers(store, monkeypatch):
    """Common terms walk the date index and probe the text index per row: same rows, same order."""
    queries = ["宁波", "杭州", "DeepSeek", "宁波 -实验室", "杭州 from:2023", "财政 OR 实验室", "杭州 kind:past"]
    expected = {q: [r["uid"] for r in store.page(Filter(query=q))] for q in queries}
    monkeypatch.setattr(Store, "PROBE_MIN", 1)
    monkeypatch.setattr(Store, "PROBE_COST", 0)
    store.__dict__.pop("_probe_cache", None)
    try:
        for q in queries:
            assert store._probe(Filter(query=q)), q
            assert [r["uid"] for r in store.page(Filter(query=q))] == expected[q]
            first = store.page(Filter(query=q), 0, 1)
            if first:
                key = (first[0]["start"], first[0]["end"], first[0]["uid"])
                assert [r["uid"] for r in store.after(Filter(query=q), key)] == expected[q][1:]
    finally:
        store.__dict__.pop("_probe_cache", None)


def test_relevance_order_and_years_position(store):
    rows = store.page(Filter(query="宁波"), order="relevance")
    assert {r["summary"] for r in rows} == {E1, E3}
    assert rows[0]["summary"] == E1  # 宁波 three times (quote, title, entity) beats once
    assert store.page(Filter(query="宁波 from:2018"), order="relevance")[0]["summary"] == E3
    assert store.page(Filter(query="tag:robotics"), order="relevance") == store.page(Filter(query="tag:robotics"))
    assert store.years(Filter(query="宁波")) == [(1999, 1), (2018, 1)]
    uid = store.page(Filter(query="宁波"))[1]["uid"]
    assert store.position(Filter(query="宁波"), uid) == 1
    assert {n for n, _ in store.facet(Filter(query="DeepSeek"), "tags")} == {"ai"}


LEAN_QUERIES = ["杭州", "宁波", "寧波", "DeepSeek", "Unitree", "宇树", "杭州 OR 杭州市", "杭州 杭州市", "杭州市",
                "(杭州 OR 宁波) -杭州市", "宁波 -实验室", "杭州 from:2023", "tag:ai OR 杭州", "-杭州", "财政 OR 实验室"]


@pytest.mark.parametrize("query", LEAN_QUERIES)
def test_lean_expression_finds_exactly_the_full_expressions_rows(store, query):
    """Counting and filtering use the lean FTS expression; ranking the full one: same rows, same order."""
    from hz_timeline.store.queries import compiled

    c = compiled(query)
    if c.fts:
        def ids(expr):
            return [r[0] for r in store.conn.execute(
                "SELECT rowid FROM events_fts WHERE events_fts MATCH ? ORDER BY rowid", (expr,))]
        assert ids(c.lean) == ids(c.fts)
        if not c.rest:  # relevance is ranked by the full expression (bm25 scores every alternative)
            full = store.conn.execute(
                "SELECT e.id FROM events_fts JOIN events e ON e.id = events_fts.rowid WHERE events_fts MATCH ?"
                ' ORDER BY bm25(events_fts), e.start, e."end", e.uid', (c.fts,))
            assert [r["id"] for r in store.page(Filter(query=query), order="relevance")] == [r[0] for r in full]
    rows = store.page(Filter(query=query))
    assert store.count(Filter(query=query)) == len(rows)


_TOKS = ["a", "b", "c", "杭", "州", "市"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bodies=st.lists(st.lists(st.sampled_from(_TOKS), max_size=8), min_size=1, max_size=12),
       phrases=st.lists(st.lists(st.sampled_from(_TOKS), min_size=1, max_size=4), min_size=1, max_size=5))
def test_lean_phrases_match_the_same_rows_in_fts5(bodies, phrases):
    """An OR of phrases and its lean form select the same rows of a real FTS5 table."""
    from hz_timeline.store.querylang import _phrase_sql, lean_phrases

    c = sqlite3.connect(":memory:")
    c.execute("CREATE VIRTUAL TABLE t USING fts5 (body, tokenize = 'unicode61 remove_diacritics 0')")
    c.executemany("INSERT INTO t (rowid, body) VALUES (?, ?)", [(i + 1, " ".join(b)) for i, b in enumerate(bodies)])

    def ids(ps):
        expr = " OR ".join(_phrase_sql(p) for p in ps)
        return [r[0] for r in c.execute("SELECT rowid FROM t WHERE t MATCH ? ORDER BY rowid", (expr,))]

    lean = lean_phrases(phrases)
    assert lean and all(p in phrases for p in lean)
    assert ids(lean) == ids(phrases)


def test_optimized_index_gives_the_same_answers(tmp_path, store):
    """Compacting the index (after big imports, or ``hz-timeline optimize``) changes no result."""
    queries = ["宁波", "杭州", "DeepSeek", "宁波 -实验室", "人工智慧實驗室", "财政 OR 实验室", "abc company"]
    copy = tmp_path / "copy.db"
    src = sqlite3.connect(store.path)
    dst = sqlite3.connect(copy)
    src.backup(dst)
    src.close()
    dst.close()
    with Store(copy) as s:
        before = {q: ([r["uid"] for r in s.page(Filter(query=q))], [r["uid"] for r in s.page(Filter(query=q), order="relevance")])
                  for q in queries}
        assert s.optimize_index() >= 0
        s.conn.execute("INSERT INTO events_fts (events_fts) VALUES ('integrity-check')")
        after = {q: ([r["uid"] for r in s.page(Filter(query=q))], [r["uid"] for r in s.page(Filter(query=q), order="relevance")])
                 for q in queries}
    assert after == before


@pytest.mark.parametrize("query", [
    '"; DROP TABLE events; --',
    "' OR 1=1 --",
    "x') OR 1=1 --",
    'tag:"x\' OR \'1\'=\'1"',
    "entity:%",
    "source:%",
    "source:_",
    "kind:past' OR '1'='1",
    "body:宁波",  # FTS5 column filter syntax is text here
    "宁波*",
    "NEAR(宁波 杭州)",
    "^宁波",
    '宁波" OR "杭州',
    "a AND OR NOT b",
    "\x00\x1b[31m x",
    "宁波 " * 200,
])
def test_injection_attempts_return_nothing_and_raise_nothing(store, query):
    f = Filter(query=query)
    n = store.count(f)
    store.page(f)
    store.page(f, order="relevance")
    store.years(f)
    assert n <= 2  # at most the two events that do say 宁波
    assert store.count() == 7  # the tables are all still there
    assert store.conn.execute("SELECT count(*) FROM events_fts").fetchone()[0] == 7


@pytest.mark.parametrize("query", ["(((((", ")))", '"', "-", "，。！", "OR", "AND"])
def test_nothing_searchable_is_no_constraint(store, query):
    assert store.count(Filter(query=query)) == 7
    assert len(store.page(Filter(query=query), order="relevance")) == 7


def test_bad_syntax_is_a_usage_error_not_an_sql_error(store):
    with pytest.raises(UsageError, match="unclosed quote at column 4"):
        parse('宁波 "abc')
    with pytest.raises(UsageError, match='unknown field "foo:"'):
        parse("foo:bar")
    assert store.count(Filter(query='宁波 "abc')) == 0  # the store reads it leniently


def test_highlight_on_stored_text(store):
    ev = store.page(Filter(query="宁波"))[1]
    assert [ev["summary"][a:b] for a, b in highlight_spans(ev["summary"], "宁波 实验室")] == ["寧波", "實驗室"]


def test_index_covers_aliases_and_stays_in_sync_on_removal(tmp_path):
    d = doc("x.txt", "2024年,黑神话悟空的制作方游戏科学在杭州。")
    with Store(tmp_path / "e.db") as s:
        s.add_document(d, [cand(d, d.text, "2024-01-01", "2024-12-31", entities=("游戏科学",))], [])
        assert s.count(Filter(query="Game Science")) == 1  # an alias written into the index
        assert s.count(Filter(query='"game science"')) == 1
        s.remove_document("x.txt")
        assert s.count(Filter(query="杭州")) == 0
        assert s.conn.execute("SELECT count(*) FROM events_fts").fetchone()[0] == 0


def run(*args, check=True):
    env = {**os.environ, "HZ_TIMELINE_DB": ""}
    p = subprocess.run([EXE, *args], capture_output=True, text=True, env=env, timeout=120)
    if check and p.returncode != 0:
        raise AssertionError(f"exit {p.returncode}\nstdout: {p.stdout}\nstderr: {p.stderr}")
    return p


def test_cli_search_end_to_end(store):
    db = str(store.path)
    data = json.loads(run("search", "tag:robotics 2017..2019", "--db", db, "--json").stdout)
    assert data["count"] == 2 and [e["start"] for e in data["events"]] == ["2017-01-01", "2019-01-01"]
    data = json.loads(run("search", "DeepSeek", "--db", db, "--json", "--order", "relevance").stdout)
    assert data["count"] == 2
    out = run("search", "寧波 -实验室", "--db", db)
    assert "宁波" in out.stdout and "1 of 1 event(s)" in out.stderr
    bad = run("search", '宁波 "abc', "--db", db, check=False)
    assert bad.returncode == 2 and "unclosed quote at column 4" in bad.stderr and "Traceback" not in bad.stderr
    bad = run("search", "foo:bar", "--db", db, check=False)
    assert bad.returncode == 2 and 'unknown field "foo:"' in bad.stderr
    inj = run("search", '"; DROP TABLE events; --"', "--db", db, "--json")
    assert json.loads(inj.stdout)["count"] == 0
