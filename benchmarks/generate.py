"""Deterministic synthetic corpora for benchmarks and tests (no network, no data files).

``article(i)`` assembles a Chinese news article from varied sentence templates: a dateline,
then statements with shifting dates in many forms (2014年3月5日, 2014年3月, 去年, 2014年初,
上半年, 2014—2016年 ...), entities from a fixed cast, filler without dates; about one article
in five is in traditional script. ``write_corpus`` writes N of them as files (optionally in a
mix of formats and encodings: Markdown with front matter, HTML pages, GBK, Big5, UTF-16, CRLF).
``event(i)`` / ``write_events_jsonl`` produce structured events in the export shape
(``hz-timeline/events`` v1), one per line. Everything depends only on the index and the seed.

    python benchmarks/generate.py articles OUT_DIR -n 10000
    python benchmarks/generate.py events OUT.jsonl -n 1000000
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
from pathlib import Path

ORGS = ["阿里巴巴", "网易", "海康威视", "浙江大学", "杭州市政府", "宇树科技", "深度求索", "吉利控股集团", "娃哈哈集团",
        "之江实验室", "蚂蚁集团", "西湖大学", "浙江省政府", "大华股份", "云深处科技", "群核科技", "强脑科技", "游戏科学"]
PEOPLE = ["董事长王建国", "院长李明", "市长张华", "总经理陈静", "创始人梁峰", "教授赵磊", "负责人周敏"]
PLACES = ["杭州", "宁波", "温州", "绍兴", "上海", "深圳", "余杭区", "滨江区", "西湖区", "未来科技城"]
THINGS = ["数字经济", "人工智能", "机器人", "芯片", "新能源汽车", "跨境电商", "云计算", "大模型", "智能制造", "生物医药"]
VERBS = ["发布", "启动", "宣布", "推出", "建成", "签署", "设立", "落地", "完成", "公布"]
OBJECTS = ["战略合作协议", "产业基金", "研发中心", "三年行动计划", "人才新政", "开源模型", "产业园", "融资", "新总部", "扶持政策"]
NUMBERS = ["3亿元", "12亿元", "50亿元", "200家", "1.5万人", "30%", "两倍", "100个", "8.6%", "1200亿元"]

# Sentence templates: {d} is a date expression, the rest are slots filled from the cast.
TEMPLATES = [
    "{d}，{org}在{place}{verb}了{thing}{obj}。",
    "{d}，{person}表示，{org}将继续加大在{thing}领域的投入。",
    "据{org}介绍，{d}{place}{thing}产业规模增长{num}。",
    "早在{d}，{place}就提出发展{thing}的目标。",
    "{org}于{d}{verb}{obj}，总投资{num}。",
    "{d}，{place}出台《{thing}{obj}》，明确了发展路线。",
    "到{d}，{place}{thing}企业数量达到{num}。",
    "{person}在{d}举行的发布会上说，{org}的{thing}业务增长迅速。",
    "{d}起，{org}在{place}{verb}{obj}，吸引了{num}参与。",
    "{place}计划在{d}前{verb}{thing}{obj}。",
]
FILLERS = [
    "业内人士认为，这一举措对区域经济具有深远影响。",
    "记者在现场看到，不少企业代表参加了活动。",
    "专家指出，产业链协同是下一阶段的重点。",
    "相关负责人表示，将进一步优化营商环境。",
    "这也让更多年轻人选择留在这座城市创业。",
    "市场普遍关注后续政策的落地效果。",
]


def _date_expr(r: random.Random, year: int) -> str:
    m, d = r.randint(1, 12), r.randint(1, 28)
    forms = [
        f"{year}年{m}月{d}日", f"{year}年{m}月", f"{year}年", f"{year}年初", f"{year}年底", f"{year}年上半年",
        f"{year}年{m}月{d}日", f"{year}年第{r.randint(1, 4)}季度", f"{year}—{year + r.randint(1, 3)}年",
        f"{m}月{d}日", "去年", f"去年{m}月", "今年", f"{year}年{m}月中旬",
    ]
    return r.choice(forms)


def _fill(r: random.Random, tpl: str, year: int) -> str:
    return tpl.format(d=_date_expr(r, year), org=r.choice(ORGS), person=r.choice(PEOPLE), place=r.choice(PLACES),
                      thing=r.choice(THINGS), verb=r.choice(VERBS), obj=r.choice(OBJECTS), num=r.choice(NUMBERS))


def article(i: int, seed: int = 7, target_chars: int = 1000) -> dict:
    """One article: {'title', 'text', 'published', 'outlet', 'url', 'traditional'} (text in its script)."""
    r = random.Random(f"{seed}:{i}")
    pub_year = 2005 + (i * 7919) % 21
    pub = f"{pub_year}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}"
    place = r.choice(PLACES)
    thing = r.choice(THINGS)
    title = f"{place}{thing}发展观察（{i}）"
    y, mo, d = pub.split("-")
    parts = [f"新华社{place}{int(y)}年{int(mo)}月{int(d)}日电 "]
    while sum(len(p) for p in parts) < target_chars:
        if r.random() < 0.25:
            parts.append(r.choice(FILLERS))
        else:
            parts.append(_fill(r, r.choice(TEMPLATES), pub_year - r.randint(0, 12)))
        if r.random() < 0.15:
            parts.append("\n")
    text = "".join(parts).strip() + "\n"
    traditional = i % 5 == 3
    if traditional:
        text, title = _s2t(text), _s2t(title)
    outlet = r.choice(["新华社", "浙江日报", "钱江晚报", "澎湃新闻", "第一财经"])
    return {"title": title, "text": text, "published": pub, "outlet": outlet, "url": f"https://news.example/{i}",
            "traditional": traditional}


def _s2t(text: str) -> str:
    import opencc

    global _S2T
    if _S2T is None:
        _S2T = opencc.OpenCC("s2t")
    return _S2T.convert(text)


_S2T = None


def render(a: dict, kind: str) -> tuple[str, bytes]:
    """(suffix, bytes) of an article as a file of one kind: txt, md, html, gbk, big5, utf16, crlf, bom."""
    text = a["text"]
    if kind == "md":
        body = (f"---\ntitle: {a['title']}\npublished: {a['published']}\noutlet: {a['outlet']}\nurl: {a['url']}\n---\n"
                f"# {a['title']}\n\n{text}")
        return ".md", body.encode("utf-8")
    if kind == "html":
        paras = "".join(f"<p>{p}</p>\n" for p in text.splitlines() if p.strip())
        page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{a['title']} - {a['outlet']}</title>"
                f"<meta property='article:published_time' content='{a['published']}T08:00:00+08:00'>"
                f"<meta property='og:site_name' content='{a['outlet']}'><script>var t='2099年1月1日';</script></head>"
                f"<body><nav><a href='/'>首页</a> 2088年专题</nav><!-- 2077年 -->"
                f"<article><h1>{a['title']}</h1>\n{paras}</article><footer>版权所有 2066年</footer></body></html>")
        return ".html", page.encode("utf-8")
    if kind == "gbk":
        return ".txt", text.encode("gb18030", "replace")
    if kind == "big5":
        return ".txt", _s2t(text).encode("big5", "replace")
    if kind == "utf16":
        return ".txt", text.encode("utf-16")
    if kind == "crlf":
        return ".txt", text.replace("\n", "\r\n").encode("utf-8")
    if kind == "bom":
        return ".txt", text.encode("utf-8-sig")
    return ".txt", text.encode("utf-8")


VARIETY = ("txt", "md", "html", "gbk", "big5", "utf16", "crlf", "bom")


def write_corpus(folder: Path, n: int, seed: int = 7, variety: bool = False, target_chars: int = 1000) -> list[Path]:
    """N article files in ``folder`` (plain UTF-8 text, or cycling through VARIETY)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        a = article(i, seed, target_chars)
        kind = VARIETY[i % len(VARIETY)] if variety else "txt"
        if kind == "big5" and not a["traditional"]:
            pass  # big5 output converts to traditional itself
        suffix, data = render(a, kind)
        p = folder / f"a{i:06d}{suffix}"
        p.write_bytes(data)
        out.append(p)
    return out


def write_news_jsonl(path: Path, n: int, seed: int = 7, keys: dict | None = None) -> Path:
    """A news dump: one article per line; ``keys`` renames fields (e.g. {'text': 'body'})."""
    keys = keys or {}
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            a = article(i, seed)
            rec = {keys.get(k, k): a[k] for k in ("title", "text", "published", "outlet", "url")}
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return Path(path)


def event(i: int, seed: int = 7) -> dict:
    """One structured event in the export shape, with one mention."""
    r = random.Random(f"ev{seed}:{i}")
    year = 1990 + (i * 31) % 36
    m, d = r.randint(1, 12), r.randint(1, 28)
    precision = r.choice(["day", "day", "month", "year"])
    if precision == "day":
        start = end = f"{year:04d}-{m:02d}-{d:02d}"
        tt = f"{year}年{m}月{d}日"
    elif precision == "month":
        start, end = f"{year:04d}-{m:02d}-01", f"{year:04d}-{m:02d}-28" if m == 2 else f"{year:04d}-{m:02d}-30"
        import calendar

        end = f"{year:04d}-{m:02d}-{calendar.monthrange(year, m)[1]:02d}"
        tt = f"{year}年{m}月"
    else:
        start, end, tt = f"{year:04d}-01-01", f"{year:04d}-12-31", f"{year}年"
    org, place, thing, obj = r.choice(ORGS), r.choice(PLACES), r.choice(THINGS), r.choice(OBJECTS)
    verb = r.choice(VERBS)
    quote = f"{tt}，{org}在{place}{verb}了{thing}{obj}。"
    doc = f"news/{i // 50:06d}.txt"
    uid = "ev-" + hashlib.sha1(f"{seed}:{i}".encode()).hexdigest()[:12]
    return {
        "id": uid, "start": start, "end": end, "precision": precision,
        "title": f"{org}{verb}{thing}{obj}", "summary": quote, "kind": r.choice(["past", "past", "plan", "statistic"]),
        "entities": [{"name": org, "type": "org"}, {"name": place, "type": "place"}],
        "tags": [thing],
        "mentions": [{"document": doc, "document_title": f"{place}{thing}", "published": f"{min(year + 1, 2025)}-01-15",
                      "start_char": 40 * (i % 50), "end_char": 40 * (i % 50) + len(quote), "quote": quote,
                      "time_text": tt, "start": start, "end": end, "precision": precision, "resolution": "explicit"}],
        "disputes": [],
    }


def write_events_jsonl(path: Path, n: int, seed: int = 7) -> Path:
    with open(path, "wb") as fh:
        try:
            import orjson

            dumps = orjson.dumps
        except ImportError:  # pragma: no cover
            def dumps(o):
                return json.dumps(o, ensure_ascii=False).encode()
        buf = []
        for i in range(n):
            buf.append(dumps(event(i, seed)))
            if len(buf) >= 10000:
                fh.write(b"\n".join(buf) + b"\n")
                buf = []
        if buf:
            fh.write(b"\n".join(buf) + b"\n")
    return Path(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["articles", "events", "news"])
    ap.add_argument("out")
    ap.add_argument("-n", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--variety", action="store_true", help="mix formats and encodings (articles)")
    a = ap.parse_args()
    if a.what == "articles":
        write_corpus(Path(a.out), a.n, a.seed, a.variety)
    elif a.what == "news":
        write_news_jsonl(Path(a.out), a.n, a.seed)
    else:
        write_events_jsonl(Path(a.out), a.n, a.seed)


if __name__ == "__main__":
    main()
