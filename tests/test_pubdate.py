"""infer_published: datelines near the top, then inference from the text."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from hz_timeline.importers.pubdate import infer_published


@pytest.mark.parametrize("text, expected", [
    ("一二线城市面临灵魂之问\n\nB站影视 2025-02-06 17:07 3\n\n摘要：杭州……", (dt.date(2025, 2, 6), "day", "dateline")),
    ("标题\n发布时间：2025年2月6日\n正文2018年……", (dt.date(2025, 2, 6), "day", "dateline")),
    ("标题\n2025年02月06日 10:00 来源：新华网\n正文", (dt.date(2025, 2, 6), "day", "dateline")),
    ("标题\n來源：新華網 2024-12-01\n正文", (dt.date(2024, 12, 1), "day", "dateline")),
    ("标题\n发表于 2023/7/8 09:30\n正文", (dt.date(2023, 7, 8), "day", "dateline")),
    ("标题\n日期：２０２４年３月５日\n正文", (dt.date(2024, 3, 5), "day", "dateline")),
    # wire-style datelines open a long paragraph
    ("新华社杭州2017年12月8日电 早在今年，有关方面就提出发展集成电路。2021年3月，项目开工。",
     (dt.date(2017, 12, 8), "day", "dateline")),
    ("本報台北2017年12月8日訊（記者 王明）早在今年，有關方面就提出發展集成電路。", (dt.date(2017, 12, 8), "day", "dateline")),
])
def test_dateline(text, expected):
    assert infer_published(text) == expected


def test_nothing_found():
    assert infer_published("") is None
    assert infer_published("杭州的故事，从来不是简单的逆袭爽文。占比1/5，达2.3亿。") is None


def test_a_date_before_a_word_starting_with_dian_is_not_a_wire_dateline():
    got = infer_published("会议2027年12月8日电视台播出，2020年3月发布。据悉，节目今年开播。")
    assert got is not None and got[2] == "inferred"


def test_dateline_far_down_is_not_a_dateline():
    text = "标题\n" + "杭州的故事。\n" * 100 + "2025-02-06 17:07\n"
    got = infer_published(text)
    assert got is not None and got[2] == "inferred"


def test_inferred_from_latest_past_date():
    text = "2018年，杭州出台指导意见。2021年，规划提出目标。2023年10月，公司完成融资。"
    assert infer_published(text) == (dt.date(2023, 10, 1), "month", "inferred")


def test_future_and_plan_dates_are_ignored():
    text = "2019年公司成立。海外订单排到2026年。公司计划2030年上市。"
    assert infer_published(text) == (dt.date(2019, 1, 1), "year", "inferred")


def test_whole_year_statistics_imply_the_next_year():
    text = "数据显示，2024年，杭州数字经济核心产业营收突破两万亿元。2月13日，省委召开座谈会。"
    assert infer_published(text) == (dt.date(2025, 2, 1), "month", "inferred")


def test_relative_words_alone_give_nothing():
    assert infer_published("去年，杭州出台新政策。今年春节期间很热闹。") is None


CORPUS = Path(__file__).parents[1] / "hz_timeline" / "corpus"


@pytest.mark.parametrize("name, year_month", [
    ("000_d8831ba4e348393e.txt", (2025, 2)),
    ("002_18927810a7d75723.txt", (2025, 2)),
    ("003_57f9601c68a9b53c.txt", (2025, 2)),
    ("004_2de12fa03cfc35a9.txt", (2025, 2)),
])
def test_sample_articles(name, year_month):
    path = CORPUS / name
    if not path.exists():
        pytest.skip("bundled corpus not present")
    got = infer_published(path.read_text("utf-8"))
    assert got is not None and (got[0].year, got[0].month) == year_month
