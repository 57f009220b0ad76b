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
    return _finish(r, i, parts, title, pub, f"https://news.example/{i}")


# ---------------------------------------------------------------- newsroom style
# A closer likeness of a real news corpus than the templated style above, whose ten templates and
# cast of 35 names make almost every statement look like every other (half of all mentions merge):
# a cast of hundreds of organisations and people built from name parts, forty places, varied
# wording, and a pool of shared stories, each retold by a few outlets in their own words and
# sometimes with another date, so that merges and disputes arise from real repetition.

_ORG_HEAD = ["华信", "云帆", "星河", "中科", "海纳", "博远", "天元", "智联", "数创", "睿达", "恒生", "瑞丰", "新航",
             "鼎盛", "光启", "安恒", "聚能", "同花", "晶科", "北辰", "长风", "启明", "远景", "九章", "青鸟", "卓越",
             "领航", "凌云", "万象", "开元", "图灵", "鲲鹏", "东方", "南洋", "西子", "钱塘", "之江", "富春", "良渚", "湖畔"]
_ORG_TAIL = ["科技", "集团", "股份", "研究院", "实验室", "医药", "新能源", "半导体", "智能", "网络", "机器人", "生物"]
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
_GIVEN = ["建国", "明", "华", "静", "峰", "磊", "敏", "伟", "芳", "军", "洋", "勇", "艳", "杰", "涛", "超", "霞", "平", "刚",
          "桂英", "志强", "海燕", "晓东", "文博", "思远", "嘉怡", "子涵", "浩然", "雨桐", "一鸣"]
_TITLES = ["董事长", "院长", "市长", "总经理", "创始人", "教授", "负责人", "副总裁", "首席科学家", "局长"]
_PLACES2 = PLACES + ["苏州", "南京", "合肥", "成都", "武汉", "西安", "广州", "北京", "天津", "重庆", "长沙", "厦门",
                     "青岛", "无锡", "嘉兴", "湖州", "金华", "台州", "舟山", "丽水", "萧山区", "拱墅区", "临平区",
                     "钱塘区", "富阳区", "临安区", "桐庐县", "淳安县", "建德市", "义乌市"]
_THINGS2 = THINGS + ["低空经济", "量子计算", "储能", "工业互联网", "具身智能", "合成生物", "数字孪生", "光伏",
                     "集成电路", "自动驾驶", "脑机接口", "卫星互联网", "创新药", "电商直播", "智慧物流"]
_VERBS2 = VERBS + ["揭牌", "投产", "开工", "上线", "签约", "挂牌", "交付", "亮相", "获批", "首发"]
_OBJECTS2 = OBJECTS + ["联合实验室", "示范区", "孵化器", "生产基地", "创新中心", "专项基金", "试点项目", "产业联盟",
                       "数据中心", "总部大楼", "应用场景", "人才计划", "研究院分院", "产业链平台"]
_STORY_FORMS = [  # one story, many wordings: {d} date, {o} organisation, {p} place, {v} verb, {t} thing, {x} object
    "{d}，{o}在{p}{v}了{t}{x}。",
    "{o}于{d}在{p}正式{v}{t}{x}。",
    "据{outlet}报道，{o}{d}{v}的{t}{x}落户{p}。",
    "{d}{o}宣布，其{t}{x}已在{p}{v}。",
    "记者从{o}获悉，{t}{x}于{d}在{p}{v}。",
    "{p}方面透露，{o}的{t}{x}{d}{v}，这是当地{t}领域的又一进展。",
]
_SAYINGS = [
    "{person}在接受采访时说，{t}是{p}下一阶段最重要的增长点之一。",
    "{person}介绍，{o}目前已有{n}名研发人员，其中不少来自海外。",
    "“我们看中的是{p}的人才和营商环境。”{person}说。",
    "在{person}看来，{t}和{t2}的结合会带来新的机会。",
    "{o}相关负责人表示，{x}建成后预计每年带动产值{money}。",
    "不少业内人士认为，{p}在{t}上的布局比外界想象的更早。",
    "数据显示，{p}{t}相关企业已超过{n}家，从业人员约{k}万人。",
    "面对竞争，{o}选择把更多资源投向{t}。",
    "{p}的一位创业者告诉记者，租金和人才是他们最关心的两件事。",
    "对于外界的质疑，{o}回应称，项目进展顺利。",
]
_DATED_EXTRA = [
    "截至{d}，{p}已累计引进{t}项目{n}个。",
    "{d}以来，{o}的{t}业务收入增长了{pct}。",
    "早在{d}，{person}就提出要在{p}发展{t}。",
    "{p}计划到{d}建成{n}个{t}{x}。",
    "{d}，{p}出台《关于加快{t}发展的若干意见》。",
    "{o}预计，{t}{x}将于{d}前全面投用。",
    "{d}前后，{o}开始在{p}招兵买马。",
    "回看{d}，{p}的{t}产业几乎从零起步。",
]


def _org(r: random.Random) -> str:
    return r.choice(ORGS) if r.random() < 0.1 else r.choice(_ORG_HEAD) + r.choice(_ORG_TAIL)


def _person(r: random.Random) -> str:
    return r.choice(_TITLES) + r.choice(_SURNAMES) + r.choice(_GIVEN)


def _story(k: int, seed: int) -> dict:
    """Shared story k: one real-world event that several articles retell."""
    r = random.Random(f"story{seed}:{k}")
    year = 2000 + r.randint(0, 25)
    return {"year": year, "m": r.randint(1, 12), "d": r.randint(1, 28), "o": _org(r), "p": r.choice(_PLACES2),
            "v": r.choice(_VERBS2), "t": r.choice(_THINGS2), "x": r.choice(_OBJECTS2)}


def _story_date(r: random.Random, st: dict, pub_year: int) -> str:
    y, m, d = st["year"], st["m"], st["d"]
    if r.random() < 0.06:  # the outlet has the year wrong: a dispute
        y += r.choice([-2, -1, 1, 2])
    forms = [f"{y}年{m}月{d}日", f"{y}年{m}月{d}日", f"{y}年{m}月", f"{y}年"]
    if y == pub_year:
        forms += [f"{m}月{d}日", "今年"]
    elif y == pub_year - 1:
        forms += [f"去年{m}月", "去年"]
    return r.choice(forms)


def _slots(r: random.Random, **kw) -> dict:
    t, t2 = r.sample(_THINGS2, 2)
    base = {"o": _org(r), "p": r.choice(_PLACES2), "v": r.choice(_VERBS2), "t": t, "t2": t2, "x": r.choice(_OBJECTS2),
            "person": _person(r), "n": r.randint(3, 900), "k": r.randint(1, 30), "pct": f"{r.randint(5, 180)}%",
            "money": f"{r.randint(2, 300)}亿元", "outlet": r.choice(["新华社", "浙江日报", "钱江晚报", "澎湃新闻", "第一财经"])}
    base.update(kw)
    return base


def newsroom_article(i: int, seed: int = 7, target_chars: int = 1000, n_stories: int | None = None) -> dict:
    """One article in the newsroom style (same keys as ``article``). Its shared stories are drawn
    from the 81 around story 2i, so each story is retold by a few neighbouring articles."""
    r = random.Random(f"news{seed}:{i}")
    pub_year = 2005 + (i * 7919) % 21
    pub = f"{pub_year}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}"
    place, thing = r.choice(_PLACES2), r.choice(_THINGS2)
    title = f"{place}{thing}观察：{r.choice(['为什么是这里', '从零到一', '下一站', '后来者', '破局'])}（{i}）"
    y, mo, d = pub.split("-")
    parts = [f"{r.choice(['新华社', '本报', '澎湃新闻'])}{place}{int(y)}年{int(mo)}月{int(d)}日电 "]
    pool = n_stories or 2 * (i + 50)  # about two stories per article: each is retold three or four times
    while sum(len(p) for p in parts) < target_chars:
        x = r.random()
        if x < 0.3:  # a shared story, retold in this outlet's words
            # Articles near each other in the corpus share stories (the same news week).
            st = _story((2 * i + r.randint(-40, 40)) % pool, seed)
            parts.append(r.choice(_STORY_FORMS).format(d=_story_date(r, st, pub_year), **_slots(r, **{
                k: st[k] for k in ("o", "p", "v", "t", "x")})))
        elif x < 0.65:
            parts.append(r.choice(_DATED_EXTRA).format(d=_date_expr(r, pub_year - r.randint(0, 12)), **_slots(r)))
        else:
            parts.append(r.choice(_SAYINGS).format(**_slots(r)))
        if r.random() < 0.15:
            parts.append("\n")
    return _finish(r, i, parts, title, pub, f"https://news.example/n{i}")


STYLES = {"templated": article, "newsroom": newsroom_article}


def _finish(r: random.Random, i: int, parts: list[str], title: str, pub: str, url: str) -> dict:
    """The article record of either style; one in five in traditional script."""
    text = "".join(parts).strip() + "\n"
    traditional = i % 5 == 3
    if traditional:
        text, title = _s2t(text), _s2t(title)
    outlet = r.choice(["新华社", "浙江日报", "钱江晚报", "澎湃新闻", "第一财经"])
    return {"title": title, "text": text, "published": pub, "outlet": outlet, "url": url, "traditional": traditional}


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


def write_corpus(folder: Path, n: int, seed: int = 7, variety: bool = False, target_chars: int = 1000,
                 style: str = "templated") -> list[Path]:
    """N article files in ``folder`` (plain UTF-8 text, or cycling through VARIETY), in one of STYLES."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    make = STYLES[style]
    for i in range(n):
        a = make(i, seed, target_chars)
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
    ap.add_argument("--style", choices=sorted(STYLES), default="templated", help="article style (articles)")
    a = ap.parse_args()
    if a.what == "articles":
        write_corpus(Path(a.out), a.n, a.seed, a.variety, style=a.style)
    elif a.what == "news":
        write_news_jsonl(Path(a.out), a.n, a.seed)
    else:
        write_events_jsonl(Path(a.out), a.n, a.seed)


if __name__ == "__main__":
    main()
