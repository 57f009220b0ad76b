"""A small hand-made events.db for the TUI tests (no date extractor involved).

Three articles (simplified, traditional, with markup and escape codes in them) plus a filler
article so the timeline has more than one page of rows. One event is reported by two sources
(merged), and two statements disagree about a year (disputed).
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from pathlib import Path

from hz_timeline.models import DateSpan, Document, Entity, Event, Mention
from hz_timeline.store import Store

FILLER = 240  # > 2 pages of 100 rows


def _doc(path, text, title, outlet, published, script="simplified"):
    return Document(path=path, text=text, sha256=hashlib.sha256(text.encode()).hexdigest(), title=title,
                    outlet=outlet, published=published, published_precision="day", published_source="given",
                    script=script)


def _event(doc: Document, n: int, sentence: str, time_text: str, start: str, end: str, precision: str,
           title: str, kind: str = "past", entities=(), tags=(), resolution="explicit", explanation=""):
    a = doc.text.index(sentence)
    t = doc.text.index(time_text, a)
    span = DateSpan(start, end, precision, False, resolution, explanation or f"{time_text} → {start[:len(start)]}")
    m = Mention(doc.path, a, a + len(sentence), sentence, time_text, t, t + len(time_text), span)
    return Event(id=f"{Path(doc.path).stem}-{n:03d}", start=start, end=end, precision=precision, title=title,
                 summary=sentence, kind=kind, entities=tuple(Entity(*e) for e in entities), tags=tuple(tags),
                 mentions=(m,))


TEXT_A = (
    "杭州的人工智能之路\n"
    "2017年，杭州发布了城市大脑计划，交通拥堵明显缓解。\n"
    "2018年3月，阿里巴巴在杭州成立达摩院，投入千亿元研发。\n"
    "去年，深度求索公司发布了新的大模型，引起全球关注。\n"
    "2025年2月13日，杭州市政府宣布新的人工智能产业政策。\n"
    "标题里有 [bold red]x[/] 标记，也有控制符\x1b[31m红色\x1b[0m。2023年12月，这条语句只是测试。\n"
)

TEXT_B = (
    "杭州為何成為創新之都\n"
    "2018年3月，阿里巴巴在杭州成立達摩院，投入千億元研發。\n"
    "2016年，杭州發布了城市大腦計劃，交通擁堵明顯緩解。\n"
    "2030年，杭州計劃建成全球人工智能創新高地。\n"
)

TEXT_C = (
    "数字经济报告\n"
    "预计2026年，杭州数字经济核心产业增加值将达到7000亿元。\n"
    "2024年，杭州数字经济核心产业增加值为5000亿元。\n"
)


def build(path: Path) -> Path:
    a = _doc("news/xinhua-hangzhou.txt", TEXT_A, "杭州的人工智能之路", "新华社", "2025-02-06")
    b = _doc("news/mingpao-hangzhou.txt", TEXT_B, "杭州為何成為創新之都", "明報", "2025-02-08", "traditional")
    c = _doc("news/report.txt", TEXT_C, "数字经济报告", "浙江日报", "2025-01-20")
    brain = [("杭州", "place"), ("城市大脑", "product")]
    damo = [("阿里巴巴", "org"), ("杭州", "place"), ("达摩院", "org")]
    events_a = [
        _event(a, 1, "2017年，杭州发布了城市大脑计划，交通拥堵明显缓解。", "2017年", "2017-01-01", "2017-12-31", "year",
               "杭州发布城市大脑计划", entities=brain, tags=["智慧城市"]),
        _event(a, 2, "2018年3月，阿里巴巴在杭州成立达摩院，投入千亿元研发。", "2018年3月", "2018-03-01", "2018-03-31", "month",
               "阿里巴巴在杭州成立达摩院", entities=damo, tags=["人工智能", "科研"]),
        _event(a, 3, "去年，深度求索公司发布了新的大模型，引起全球关注。", "去年", "2024-01-01", "2024-12-31", "year",
               "深度求索发布新的大模型", entities=[("深度求索", "org")], tags=["人工智能"],
               resolution="relative-to-pubdate", explanation="去年 → 2024, publication date 2025-02-06"),
        _event(a, 4, "2025年2月13日，杭州市政府宣布新的人工智能产业政策。", "2025年2月13日", "2025-02-13", "2025-02-13", "day",
               "杭州宣布人工智能产业政策", kind="plan", entities=[("杭州市政府", "org")], tags=["政策", "人工智能"]),
        _event(a, 5, "2023年12月，这条语句只是测试。", "2023年12月", "2023-12-01", "2023-12-31", "month",
               "标题 [bold red]x[/] 与 \x1b[31m红色\x1b[0m", entities=[("[b]实体[/b]", "other")], tags=["[i]tag[/i]"]),
    ]
    events_b = [
        _event(b, 1, "2018年3月，阿里巴巴在杭州成立達摩院，投入千億元研發。", "2018年3月", "2018-03-01", "2018-03-31", "month",
               "阿里巴巴在杭州成立達摩院", entities=damo, tags=["人工智能"]),
        _event(b, 2, "2016年，杭州發布了城市大腦計劃，交通擁堵明顯緩解。", "2016年", "2016-01-01", "2016-12-31", "year",
               "杭州發布城市大腦計劃", entities=brain, tags=["智慧城市"]),
        _event(b, 3, "2030年，杭州計劃建成全球人工智能創新高地。", "2030年", "2030-01-01", "2030-12-31", "year",
               "杭州計劃建成人工智能創新高地", kind="plan", entities=[("杭州", "place")], tags=["人工智能"]),
    ]
    events_c = [
        _event(c, 1, "预计2026年，杭州数字经济核心产业增加值将达到7000亿元。", "2026年", "2026-01-01", "2026-12-31", "year",
               "数字经济增加值将达7000亿元", kind="forecast", tags=["数字经济"]),
        _event(c, 2, "2024年，杭州数字经济核心产业增加值为5000亿元。", "2024年", "2024-01-01", "2024-12-31", "year",
               "数字经济增加值5000亿元", kind="statistic", tags=["数字经济"]),
    ]
    # Filler: one statement a line, each on its own day so none of them merge.
    lines, fill = ["填充稿件"], []
    day0 = date(2020, 1, 1)
    for i in range(FILLER):
        d = (day0 + timedelta(days=3 * i)).isoformat()
        y, m, dd = d.split("-")
        lines.append(f"{int(y)}年{int(m)}月{int(dd)}日，第{i:03d}号填充事件发生在某地。")
    filler_text = "\n".join(lines) + "\n"
    f = _doc("news/filler.txt", filler_text, "填充稿件", "测试社", "2023-01-01")
    for i, line in enumerate(lines[1:]):
        d = (day0 + timedelta(days=3 * i)).isoformat()
        time_text = line.split("，")[0]
        fill.append(_event(f, i, line, time_text, d, d, "day", f"第{i:03d}号填充事件", tags=["填充"]))
    with Store(path) as store:
        store.add_document(a, events_a, [])
        store.add_document(b, events_b, [])
        store.add_document(c, events_c, [])
        store.add_document(f, fill, [])
    return path
