"""Table-driven tests for the Chinese temporal-expression engine (cases in tests/data/date_cases.yaml)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml

from hz_timeline.importers.dates import find_dates, parse_user_date
from hz_timeline.models import PRECISIONS, RESOLUTIONS

DATA = Path(__file__).parent / "data"


def _load_cases():
    cases = []
    for path in sorted(DATA.glob("date_*.yaml")):
        with open(path, encoding="utf-8") as f:
            cases.extend(yaml.safe_load(f)["cases"])
    return cases


CASES = _load_cases()


def _ref(value):
    if value is None:
        return None
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def test_case_table_is_big_enough():
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    assert len(CASES) >= 300
    assert sum(1 for c in CASES if not c["expected"]) >= 60
    cats = {c["category"] for c in CASES}
    assert {"explicit", "pub", "narrative", "parts", "festival", "range", "negative", "vague"} <= cats


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case):
    text = case["text"]
    found = find_dates(text, _ref(case.get("ref")))
    got = [(e.text, e.span.start, e.span.end, e.span.precision, e.span.resolution, e.span.approx) for e in found]
    want = [(x["text"], x.get("start"), x.get("end"), x.get("precision", "*"), x["resolution"], x.get("approx", False))
            for x in case["expected"]]
    # precision may be left out of unresolved expectations
    got_cmp = [g if w[3] != "*" else g[:3] + ("*",) + g[4:] for g, w in zip(got, want)] + got[len(want):]
    assert got_cmp == want, "\n".join(e.span.explanation for e in found)
    # offsets: each expected text is found left to right and must equal the slice
    pos = 0
    for e in found:
        start = text.index(e.text, pos)
        assert (e.start_char, e.end_char) == (start, start + len(e.text))
        assert text[e.start_char:e.end_char] == e.text
        pos = e.end_char


def test_every_span_is_well_formed():
    for case in CASES:
        for e in find_dates(case["text"], _ref(case.get("ref"))):
            s = e.span
            assert s.precision in PRECISIONS and s.resolution in RESOLUTIONS
            assert s.explanation and "\n" not in s.explanation
            if s.resolution == "unresolved":
                assert s.start is None and s.end is None
            else:
                assert s.start <= s.end


NARRATIVE = (
    "1999年，宁波的财政收入超过杭州，当时宁波放话两年之后全面超越杭州。"
    "2017年，因为资金链断裂，公司的产品无法交付。同年，浙江印发了行动计划。"
    "2018年初，公司拿到新融资。同一年，代表团赴美考察。四年后，产品实现量产。"
    "去年3月28日新车发布，今年春节期间又成为热点。五年前，网友还在嘲讽。"
)


def test_narrative_chain():
    found = {e.text: e for e in find_dates(NARRATIVE, dt.date(2025, 2, 6))}
    assert found["两年之后"].span.start == "2001-01-01"
    assert found["同年"].span.start == "2017-01-01" and found["同年"].span.resolution == "relative-to-narrative"
    assert "2017年" in found["同年"].span.explanation
    assert found["同一年"].span.start == "2018-01-01"
    assert found["四年后"].span.start == "2022-01-01"
    assert found["去年3月28日"].span.start == "2024-03-28"
    assert found["今年春节期间"].span.start == "2025-01-28" and found["今年春节期间"].span.end == "2025-02-03"
    assert found["五年前"].span.start == "2020-01-01"
    # 当时 ("at that time") points back at a date close by: here 1999年 in the same sentence
    assert found["当时"].span.start == "1999-01-01" and found["当时"].span.resolution == "relative-to-narrative"


def test_anaphora_far_from_any_date_stays_vague():
    text = "2017年,公司成立。" + "后来发生了很多事情,大家都很忙碌。" * 3 + "当时谁也没想到会这样。"
    [_, when] = find_dates(text, dt.date(2025, 2, 6))
    assert when.text == "当时" and when.span.resolution == "unresolved"


def test_day_words_against_a_month_precise_publication_date():
    [e] = find_dates("今天我们参观了工厂。", dt.date(2025, 3, 31), ref_precision="month")
    assert (e.span.start, e.span.end, e.span.precision, e.span.approx) == ("2025-03-01", "2025-03-31", "month", True)
    [e] = find_dates("今天我们参观了工厂。", dt.date(2025, 3, 31))
    assert (e.span.start, e.span.precision) == ("2025-03-31", "day")


def test_narrative_chain_without_reference_keeps_pubdate_words_unresolved():
    found = {e.text: e for e in find_dates(NARRATIVE, None)}
    assert found["同年"].span.start == "2017-01-01"
    assert found["去年3月28日"].span.resolution == "unresolved"
    assert found["五年前"].span.start is None


def test_narrative_anchor_is_nearest_preceding():
    text = "2010年公司成立。2016年上市。次年，营收破亿。"
    found = find_dates(text, None)
    assert [e.text for e in found] == ["2010年", "2016年", "次年"]
    assert found[-1].span.start == "2017-01-01"


def test_offsets_with_surrogates_and_fullwidth():
    text = "😀前言：２０２５年２月，𠀋杭州；2024年底。"
    found = find_dates(text, dt.date(2025, 2, 6))
    assert [e.text for e in found] == ["２０２５年２月", "2024年底"]
    for e in found:
        assert text[e.start_char:e.end_char] == e.text


def test_offsets_in_long_text():
    body = "杭州的故事。" * 500 + "2014年，杭州提出口号。" + "占比1/5。" * 300 + "去年3月28日发布。"
    found = find_dates(body, dt.date(2025, 2, 6))
    assert [e.text for e in found] == ["2014年", "去年3月28日"]
    for e in found:
        assert body[e.start_char:e.end_char] == e.text


def test_empty_and_nonsense():
    assert find_dates("") == []
    assert find_dates("年月日") == []
    assert find_dates("一二三四五六七八九十") == []


def test_datetime_ref_is_accepted():
    [e] = find_dates("去年", dt.datetime(2025, 2, 6, 17, 7))
    assert e.span.start == "2024-01-01"


def test_seed_articles_have_no_trap_dates():
    seeds = Path(__file__).parents[1] / "hz_timeline" / "corpus"
    files = sorted(seeds.glob("*.txt"))
    if not files:
        pytest.skip("no bundled corpus")
    traps = ("1/5", "1/11", "2.3亿", "4.6万", "35:1", "第48期", "8K", "GPT-4o", "3000名", "1:3")
    for f in files:
        text = f.read_text("utf-8")
        for e in find_dates(text, dt.date(2025, 2, 6)):
            assert not any(t in e.text for t in traps), (f.name, e.text)
            around = text[max(0, e.start_char - 1):e.end_char + 1]
            assert "/" not in around or "-" in e.text, (f.name, around)


# ---------------------------------------------------------------------------- parse_user_date

TODAY = dt.date(2025, 2, 6)


@pytest.mark.parametrize("s, start, end, precision", [
    ("2014", "2014-01-01", "2014-12-31", "year"),
    ("2014-03", "2014-03-01", "2014-03-31", "month"),
    ("2014-03-05", "2014-03-05", "2014-03-05", "day"),
    ("2014/3/5", "2014-03-05", "2014-03-05", "day"),
    ("2014年", "2014-01-01", "2014-12-31", "year"),
    ("2014年3月", "2014-03-01", "2014-03-31", "month"),
    ("2025年2月13日", "2025-02-13", "2025-02-13", "day"),
    ("2014..2018", "2014-01-01", "2018-12-31", "range"),
    ("2014-2018", "2014-01-01", "2018-12-31", "range"),
    ("2014-03..2015-06", "2014-03-01", "2015-06-30", "range"),
    ("2014年至2018年", "2014-01-01", "2018-12-31", "range"),
    ("去年", "2024-01-01", "2024-12-31", "year"),
    ("今年春节", "2025-01-29", "2025-01-29", "day"),
    ("last year", "2024-01-01", "2024-12-31", "year"),
    ("Last Year", "2024-01-01", "2024-12-31", "year"),
    ("yesterday", "2025-02-05", "2025-02-05", "day"),
    ("today", "2025-02-06", "2025-02-06", "day"),
    ("this month", "2025-02-01", "2025-02-28", "month"),
    ("3 years ago", "2022-01-01", "2022-12-31", "year"),
    ("２０１４", "2014-01-01", "2014-12-31", "year"),
    ("March 2014", "2014-03-01", "2014-03-31", "month"),
    ("5 March 2014", "2014-03-05", "2014-03-05", "day"),
])
def test_parse_user_date(s, start, end, precision):
    span = parse_user_date(s, TODAY)
    assert span is not None, s
    assert (span.start, span.end, span.precision) == (start, end, precision)


@pytest.mark.parametrize("s", ["", "   ", "hello", "杭州", "1/5", "2014-13", "2014-02-30", "2018..2014", "第48期", "abc..def"])
def test_parse_user_date_rejects(s):
    assert parse_user_date(s, TODAY) is None


def test_parse_user_date_default_today_is_used_for_user_input():
    assert parse_user_date("2014") is not None
    assert parse_user_date("去年") is not None


def test_spans_serialise():
    [e] = find_dates("去年3月28日", dt.date(2025, 2, 6))
    assert json.loads(json.dumps(e.span.__dict__))["start"] == "2024-03-28"
    assert e.span.explanation == "去年3月28日 → 2024-03-28, publication date 2025-02-06"


def test_prefilter_never_changes_matches():
    """The (?=[first][second]) speed filter in front of the big regex must be a pure optimisation."""
    import random

    from hz_timeline.importers import dates as D

    texts = [c["text"] for c in CASES] + [NARRATIVE]
    corpus = Path(__file__).parents[1] / "hz_timeline" / "corpus"
    texts += [p.read_text("utf-8") for p in sorted(corpus.glob("*.txt"))]
    alphabet = ("0123456789０１２３４５６７８９〇零一二三四五六七八九十两兩年月日号周週今去前明后後同当當次上下本旬"
                "初中底末季度半春夏秋冬节期间以来至到-/.第近连续世纪代千禧个個天星期礼拜过未")
    rnd = random.Random(7)
    texts += ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 14))) for _ in range(3000)]
    for t in texts:
        a = [(m.span(), m.lastgroup) for m in D._MAIN.finditer(t)]
        b = [(m.span(), m.lastgroup) for m in D._MAIN_UNFILTERED.finditer(t)]
        assert a == b, t


def test_explanations_name_the_publication_date_as_far_as_it_is_known():
    [e] = find_dates("去年3月28日发布", dt.date(2025, 2, 28), ref_precision="month")
    assert e.span.start == "2024-03-28" and e.span.explanation.endswith("publication date 2025-02")
    [e] = find_dates("去年3月28日发布", dt.datetime(2025, 2, 6, 17, 7))
    assert e.span.explanation.endswith("publication date 2025-02-06")
