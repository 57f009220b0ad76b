"""Dated statements → events: statements, titles, kinds, entities, tags, merging and disputes.

Small hand-written texts for every rule, then the bundled corpus's four headline events.
"""

from __future__ import annotations

import hashlib
from datetime import date

import pytest

from hz_timeline.importers.dates import find_dates
from hz_timeline.importers.events import compare, extract, find_entities, find_tags, load_knowledge, make_title, same_statement
from hz_timeline.models import Document
from hz_timeline.store import Filter, Store

KB = load_knowledge()


def doc(text: str, path="a.txt", published="2025-02-06") -> Document:
    return Document(path, text, hashlib.sha256((path + text).encode()).hexdigest(), published=published)


def cands(text: str, path="a.txt", ref=date(2025, 2, 6)):
    d = doc(text, path)
    return extract(d, find_dates(text, ref), KB)


def test_one_mention_per_dated_statement_with_exact_offsets():
    text = "导语。\n2014年,杭州提出数字经济口号。2017年,浙江出台“机器人+”计划,2018年宇树科技交货。前不久,市长表态。"
    events, undated = cands(text)
    assert [e.start[:4] for e in events] == ["2014", "2017", "2018"]
    for e in events:
        m = e.mentions[0]
        assert text[m.start_char:m.end_char] == m.quote
        assert text[m.time_start_char:m.time_end_char] == m.time_text
        assert m.start_char <= m.time_start_char < m.time_end_char <= m.end_char
    assert events[1].mentions[0].quote == "2017年,浙江出台“机器人+”计划"
    assert events[2].mentions[0].quote == "2018年宇树科技交货。"
    assert [m.time_text for m in undated] == ["前不久"]


def test_same_date_twice_in_a_sentence_stays_one_statement():
    events, _ = cands("2017年,浙江出台计划,并在2017年推广到全省。")
    assert len(events) == 1


def test_dateline_is_not_an_event():
    events, _ = cands("标题\n\nB站影视 2025-02-06 17:07 3\n\n2014年,杭州提出数字经济口号。")
    assert [e.start for e in events] == ["2014-01-01"]


@pytest.mark.parametrize("text, dated", [
    ("21世纪最重要的是什么？人才。", []),  # a century: 2001-2100
    ("21世紀最重要的是什麼?人才。", []),
    ("近百年来，杭州的城市格局不断变化。", []),
    ("1949年至今，杭州的城市面积扩大了数十倍。", []),  # 76 years to the publication date
    ("20世纪90年代，杭州开始发展信息产业。", ["1990-01-01"]),  # a decade is a date
    ("2014年至2024年，杭州数字经济规模翻了两番。", ["2014-01-01"]),
])
def test_a_span_of_more_than_fifty_years_dates_no_event(text, dated):
    events, undated = cands(text)
    assert [e.start for e in events] == dated
    # the statement is kept, as an undated mention, with its span
    assert len(events) + len(undated) == 1


@pytest.mark.parametrize("quote, time_text, title", [
    ("2014年,杭州正式打出“打造全国数字经济第一城”的口号。", "2014年", "杭州正式打出“打造全国数字经济第一城”的口号"),
    ("数据显示,2023年杭州数字经济核心产业增加值占GDP比重达28.3%。", "2023年", "杭州数字经济核心产业增加值占GDP比重达28.3%"),
    ("但千禧年以後的杭州,卻迸發出了超乎人們想象的能量。", "千禧年", "但千禧年以後的杭州"),
    ("对了,《黑神话·悟空》的开发团队游科互动,当初选择从深圳搬到杭州。", "当初", "《黑神话·悟空》的开发团队游科互动"),
    ("2025年的杭州却用魔幻现实打了所有人的脸。", "2025年", "杭州却用魔幻现实打了所有人的脸"),
])
def test_titles_are_short_and_keep_the_script(quote, time_text, title):
    t = make_title(quote, time_text, KB)
    assert t == title and len(t) <= 30


@pytest.mark.parametrize("text, kind", [
    ("2026年,杭州计划建成新的研发中心。", "plan"),
    ("预计2026年,产业规模有望突破3000亿元。", "forecast"),
    ("2024年,杭州人工智能产业规模突破2000亿元。", "statistic"),
    ("2017年,宇树科技的机器狗无法交付。", "past"),
    ("海外订单排到2026年。", "forecast"),
])
def test_kinds(text, kind):
    [e] = cands(text)[0]
    assert e.kind == kind


def test_entities_from_aliases_in_any_script_and_patterns():
    ents = {(e.name, e.type) for e in find_entities("宇樹科技(Unitree)與DeepSeek在寧波;创始人王兴兴说,《黑神话:悟空》与云帆科技的合作", KB)}
    assert ("宇树科技", "org") in ents and ("深度求索", "org") in ents and ("宁波", "place") in ents
    assert ("王兴兴", "person") in ents and ("黑神话：悟空", "product") in ents and ("云帆科技", "org") in ents
    assert not any(n.endswith("科技圈") for n, _ in ents)
    assert not {n for n, _ in find_entities("误入科技圈的穷小子,国家重大科技项目", KB)} & {"误入科技", "国家重大科技"}


def test_tags_by_rules_and_word_boundaries_for_latin():
    assert set(find_tags("脑机接口企业强脑科技完成融资", KB)) >= {"bci", "funding"}
    assert "ai" not in find_tags("He said it was fair", KB)


def _event(text, path):
    events = cands(text, path)[0]
    assert len(events) == 1, events
    return events[0]


def test_compare_merges_same_event_across_scripts_and_outlets():
    a = _event("春晚上,宇树科技的机器人扭秧歌惊艳全场。", "a.txt")
    b = _event("杭州宇樹科技的機器人在春晚舞蹈《秧BOT》中精彩亮相。", "b.txt")
    v = compare(a, b, KB)
    assert v.relation == "same" and any("宇树科技" in r for r in v.reasons)


def test_compare_disputes_same_story_with_other_date():
    a = _event("2020年,杭州通过招商引资向中昊芯英伸出了橄榄枝。", "a.txt")
    b = _event("2024年,杭州招引中昊芯英,说服企业落户。", "b.txt")
    v = compare(a, b, KB)
    assert v.relation == "dispute" and "incompatible dates" in v.reasons[0]


def test_compare_keeps_unrelated_statements_apart():
    a = _event("2024年,杭州完成实际利用外资65.42亿美元。", "a.txt")
    b = _event("2024年,杭州新引进35岁以下大学生32.5万人。", "b.txt")
    assert compare(a, b, KB).relation == "none"
    c = _event("2017年,宇树科技资金链断裂,无法交付。", "c.txt")
    d = _event("2018年初,宇树科技拿到新融资后顺利交货。", "d.txt")
    assert compare(c, d, KB).relation == "none"


def test_truncated_abstract_is_the_same_statement_but_an_extension_is_not():
    full = _event("2025年,宇树科技的机器狗登上舞台收获2亿播放量。", "a.txt")
    cut = _event("2025年,宇树科技的机器狗登上舞台收获2", "a.txt")
    longer = _event("2025年,宇树科技的机器狗登上舞台收获2亿播放量的细节公布。", "a.txt")
    assert same_statement(full, cut)
    assert not same_statement(full, longer)


# ------------------------------------------------------------ the bundled corpus


def _find(store, query, year):
    rows = store.page(Filter(query=query, date_from=f"{year}-01-01", date_to=f"{year}-12-31"), 0, 50)
    return [store.event(r["uid"]) for r in rows]


def test_corpus_headline_events_stand_with_dates_and_sources(sample_db):
    with Store(sample_db) as s:
        ningbo = _find(s, "宁波 超越", 1999)
        assert ningbo and ningbo[0]["start"].startswith("1999")
        slogan = _find(s, "数字经济第一城", 2014)
        assert slogan and slogan[0]["precision"] == "year"
        plan = _find(s, "机器人+", 2017)
        assert plan and plan[0]["start"] == "2017-01-01"
        gala = [e for e in _find(s, "宇树 春晚", 2025) if e["start"] == "2025-01-28"]
        assert gala and max(e["n_sources"] for e in gala) >= 3


def test_corpus_disputes_are_visible(sample_db):
    with Store(sample_db) as s:
        rows = s.page(Filter(query="中昊芯英"), 0, 50)
        disputed = [s.event(r["uid"]) for r in rows if r["disputed"]]
        years = {e["start"][:4] for e in disputed}
        assert {"2020", "2024"} <= years


def test_sketch_finds_near_identical_wording_and_not_unrelated_text():
    from hz_timeline.importers.events import _bigrams, sketch

    a = sketch(_bigrams("杭州市数字经济核心产业营收突破两万亿元,增加值6305亿元,占全市GDP比重达28.8%"))
    b = sketch(_bigrams("杭州市數字經濟核心產業營收突破兩萬億元,增加值6305億元,佔全市GDP比重達28.8%"))
    c = sketch(_bigrams("宁波的财政收入超过杭州,GDP距离杭州也只是一步之遥"))
    assert len(a) == 8 and len(set(a) & set(b)) >= 6  # the same statement in the other script
    assert len(set(a) & set(c)) <= 1
    assert sketch(frozenset()) == []


def test_store_merges_a_repost_without_shared_entities(tmp_path):
    text = "2019年,一家不知名的小公司在城郊悄悄完成了第一台样机的组装调试工作。"
    a = doc(text, "a.txt")
    b = doc("转载:" + text, "b.txt")
    with Store(tmp_path / "e.db") as s:
        for d in (a, b):
            events, undated = extract(d, find_dates(d.text, date(2025, 2, 6)), KB)
            s.add_document(d, events, undated)
        [row] = s.page(Filter())
        assert row["n_sources"] == 2
        assert "near-identical wording" in s.event(row["uid"])["mentions"][1]["merge_reasons"][0]


@pytest.mark.parametrize("quote, time_text, title", [
    ("在余杭区未来科技城,DeepSeek公司的逆袭堪称教科书级操作。", "2023年", "DeepSeek公司的逆袭堪称教科书级操作"),
    ("但在今年1月的美國CES展上,“小派科技”帶着頭顯亮相。", "今年1月", "“小派科技”帶着頭顯亮相"),
    ("在杭州。", "", "杭州"),
])
def test_scene_setting_clauses_are_not_titles(quote, time_text, title):
    assert make_title(quote, time_text, KB) == title


def test_a_date_alone_in_its_clause_does_not_make_an_empty_statement():
    events, _ = cands("2018年底,团队回国。那时候,团队笃定人工智能会成为未来20年发展的主要赛道。")
    quotes = [e.mentions[0].quote for e in events]
    assert "那时候" not in quotes
    assert any(q.startswith("那时候,团队笃定") for q in quotes)


def test_names_do_not_count_as_shared_wording():
    a = _event("2017年,宇树科技资金紧张。", "a.txt")
    b = _event("2018年,宇树科技完成新一轮融资。", "b.txt")
    assert compare(a, b, KB).relation == "none"
