"""Benchmark search on a generated events.db, FTS5 side by side with a LIKE scan.

    python benchmarks/bench_search.py                      # 1,000,000 events in /tmp/hz-bench-1000000.db
    python benchmarks/bench_search.py --events 100000      # quick mode
    python benchmarks/bench_search.py --db x.db --rebuild  # regenerate even if the file exists

The database is generated with raw ``executemany`` inside one transaction (documents, events,
mentions, entities, tags and events_fts rows), from template sentences in simplified and
traditional script with varied entities, places and dates; a few rare names are planted at
known frequencies so that rare terms of every length exist. The FTS body is built from pieces
folded once (``fold_for_index`` per template piece), which is what ``Store._refresh_event``
writes for the same text. Then every term is timed through ``Store`` (count, first date-ordered
page, first relevance page) and through a plain LIKE scan of title/summary. Not part of the tests.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hz_timeline.store import Filter, Store  # noqa: E402
from hz_timeline.text import fold_for_index, to_simplified  # noqa: E402

PLACES = ["杭州"] * 14 + ["杭州市滨江区", "杭州市余杭区", "杭州市萧山区", "杭州市西湖区"] * 3 + ["宁波", "温州", "绍兴", "上海", "深圳", "北京", "苏州", "合肥", "成都", "滨江区", "余杭区", "萧山区",
          "西湖区", "未来科技城", "钱塘新区"]
ORGS_KNOWN = ["深度求索", "DeepSeek", "宇树科技", "Unitree", "游戏科学", "强脑科技", "群核科技", "云深处科技", "阿里巴巴",
              "网易", "海康威视", "吉利汽车", "浙江大学", "之江实验室", "西湖大学", "蚂蚁集团"]
ORG_HEAD = list("华中新东南北恒泰盛达博创智联云数天海金银光明宏远安康瑞丰鼎信诚德")
ORG_TAIL = ["科技", "集团", "智能", "网络", "信息", "生物", "电子", "控股", "实业", "研究院"]
PEOPLE = ["王坚", "梁文锋", "王兴兴", "冯骥", "韩璧丞", "黄晓庆", "马云", "丁磊", "李书福", "陈航", "施一公", "潘建伟"]
ACTIONS = ["发布了新一代人工智能大模型", "完成了新一轮融资", "宣布在{place}设立研发中心", "推出四足机器人", "获得政府专项补贴",
           "与浙江大学共建实验室", "入选国家级专精特新企业名单", "开始量产人形机器人", "上线数字政务平台", "启动城市大脑项目",
           "召开年度开发者大会", "签约落户{place}", "发布芯片设计工具", "获批建设算力中心", "举办全球游戏开发者峰会"]
DETAILS = ["估值超过{n}亿元", "投资总额约{n}亿元", "员工人数达到{n}人", "营业收入同比增长{n}%", "吸引了{n}家企业入驻",
           "带动就业{n}万人", "覆盖{n}个区县", "专利数量超过{n}项", "用户规模突破{n}万"]
TEMPLATES = [
    "{y}年{m}月，{org}在{place}{action}，{detail}。",
    "据{outlet}报道，{y}年{m}月{d}日，{person}在{place}表示{org}将{action}。",
    "{y}年，{place}市政府与{org}签署合作协议，{detail}。",
    "早在{y}年，{person}就在{place}带领{org}{action}。",
    "{y}年{m}月，{org}创始人{person}在{place}宣布{action}，{detail}。",
    "截至{y}年底，{org}已在{place}{action}，{detail}。",
]
OUTLETS = ["新华社", "浙江日报", "36氪", "第一财经", "澎湃新闻", "财新", "South China Morning Post", "钱江晚报"]
KINDS = ["past"] * 6 + ["plan", "forecast", "statistic"]
PRECISIONS = ["day", "month", "month", "year", "year", "year", "quarter", "season"]
TAGS = ["ai", "robotics", "chips", "funding", "policy", "games", "talent", "digital-economy"]
# Planted rare names: (text, events per million).
RARE = [("燚", 8), ("鑫淼", 12), ("犇垚智造", 10), ("龘森量子计算", 6), ("Zhipuqing", 9), ("寰宇星链", 40),
        ("蓝鲸数智", 300)]
TERMS = [
    # (term, kind)
    ("燚", "rare"), ("鑫淼", "rare"), ("犇垚智造", "rare"), ("龘森量子计算", "rare"), ("zhipuqing", "rare"),
    ("寰宇星链", "rare"), ("蓝鲸数智", "uncommon"), ("王兴兴", "uncommon"), ("强脑科技", "uncommon"),
    ("机器人", "medium"), ("人工智能", "medium"), ("寧波", "medium"), ("DeepSeek", "alias"),
    ("杭", "common"), ("杭州", "common"), ("年", "common"), ("月", "common"), ("公司 OR 集团", "common"),
    ("州杭", "adversarial"), ("年年", "adversarial"),
    ("tag:robotics", "field"), ("tag:robotics 2017..2019", "field"), ("杭州 from:2020", "mixed"),
]


def _s2t():
    import opencc

    return opencc.OpenCC("s2t")


class Piece:
    """A piece of text in both scripts with its folded index form computed once."""

    __slots__ = ("simp", "trad", "index")

    def __init__(self, simp: str, conv):
        self.simp = simp
        self.trad = conv.convert(simp)
        self.index = fold_for_index(simp)


def generate(path: Path, n: int, seed: int = 7) -> dict:
    rng = random.Random(seed)
    conv = _s2t()
    if path.exists():
        path.unlink()
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    Store(path).close()  # the schema, exactly as the app creates it
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-400000")
    t0 = time.perf_counter()

    orgs = ORGS_KNOWN + [a + b + t for a in ORG_HEAD for b in ORG_HEAD if a != b for t in ORG_TAIL[:3]][:3000]
    P = {k: [Piece(x, conv) for x in v] for k, v in
         (("place", PLACES), ("org", orgs), ("person", PEOPLE), ("outlet", OUTLETS))}
    actions = [[Piece(p, conv) for p in a.split("{place}")] for a in ACTIONS]
    details = [[Piece(p, conv) for p in a.split("{n}")] for a in DETAILS]
    templates = []
    for t in TEMPLATES:
        parts = []
        for chunk in t.replace("{", "\x00{").replace("}", "}\x00").split("\x00"):
            if chunk.startswith("{"):
                parts.append(chunk[1:-1])
            elif chunk:
                parts.append(Piece(chunk, conv))
        templates.append(parts)
    rare = [(Piece(name, conv), per_m / 1e6) for name, per_m in RARE]

    def render(parts, trad, vals, out_text, out_index):
        for p in parts:
            if isinstance(p, Piece):
                out_text.append(p.trad if trad else p.simp)
                out_index.append(p.index)
            else:
                v = vals[p]
                if isinstance(v, Piece):
                    out_text.append(v.trad if trad else v.simp)
                    out_index.append(v.index)
                elif isinstance(v, list):  # action/detail with a slot
                    render(v, trad, vals, out_text, out_index)
                else:
                    out_text.append(v)
                    out_index.append(v)

    docs, events, mentions, fts, ee, et = [], [], [], [], [], []
    ent_ids = {o.simp: i + 1 for i, o in enumerate(P["org"])}
    text_bytes = 0
    events_per_doc = 20
    for i in range(n):
        doc_id = i // events_per_doc + 1
        trad = rng.random() < 0.3
        y = rng.randint(1990, 2025)
        m = rng.randint(1, 12)
        d = rng.randint(1, 28)
        org = rng.choice(P["org"]) if rng.random() < 0.7 else rng.choice(P["org"][:16])
        act = rng.choice(actions)
        det = rng.choice(details)
        place = rng.choice(P["place"])
        vals = {"y": str(y), "m": str(m), "d": str(d), "org": org, "place": place, "person": rng.choice(P["person"]),
                "outlet": rng.choice(P["outlet"]), "n": str(rng.randint(2, 900))}
        act_parts = []
        for k, piece in enumerate(act):
            if k:
                act_parts.append("place")
            act_parts.append(piece)
        det_parts = []
        for k, piece in enumerate(det):
            if k:
                det_parts.append("n")
            det_parts.append(piece)
        vals["action"] = act_parts
        vals["detail"] = det_parts
        text, index = [], []
        render(rng.choice(templates), trad, vals, text, index)
        for piece, p in rare:
            if rng.random() < p:
                text.append(piece.trad if trad else piece.simp)
                index.append(piece.index)
        summary = "".join(text)
        title = summary[:30]
        prec = rng.choice(PRECISIONS)
        start = f"{y:04d}-{m:02d}-{d:02d}" if prec == "day" else f"{y:04d}-{m:02d}-01"
        end = start if prec == "day" else (f"{y:04d}-{m:02d}-28" if prec == "month" else f"{y:04d}-12-31")
        if prec == "year":
            start = f"{y:04d}-01-01"
        ev_id = i + 1
        events.append((ev_id, f"ev{ev_id:08d}", start, end, y, prec, title, summary, rng.choice(KINDS)))
        mentions.append((ev_id, doc_id, 0, len(summary), summary, str(y), 0, 4, start, end, prec, "explicit"))
        ents = [org.simp]
        # title + quote + entity names, as _refresh_event writes them (the title is the quote's head)
        quote = " ".join(index)
        head, k = [], 0
        for tok in quote.split(" "):
            if k >= len(title):
                break
            head.append(tok)
            k += len(tok)
        fts.append((ev_id, " ".join(head) + " " + quote + " " + org.index))
        text_bytes += len((title + summary + org.simp).encode())
        ee.append((ev_id, ent_ids[org.simp]))
        for t in rng.sample(TAGS, rng.randint(0, 2)):
            et.append((ev_id, TAGS.index(t) + 1))
        if i % events_per_doc == events_per_doc - 1 or i == n - 1:
            docs.append((doc_id, f"bench/{doc_id:06d}.txt", f"{rng.choice(OUTLETS)} {y}年报道", rng.choice(OUTLETS),
                         f"{y:04d}-{m:02d}-{d:02d}", "day", "given", "traditional" if trad else "simplified", "text",
                         f"{doc_id:064x}", 0, "", "2025-01-01T00:00:00+00:00"))
        if len(events) >= 50000:
            _flush(conn, docs, events, mentions, fts, ee, et)
    _flush(conn, docs, events, mentions, fts, ee, et)
    conn.executemany("INSERT INTO entities (id, name, type) VALUES (?, ?, 'org')",
                     [(i, name) for name, i in ent_ids.items()])
    conn.executemany("INSERT INTO tags (id, name) VALUES (?, ?)", [(i + 1, t) for i, t in enumerate(TAGS)])
    conn.commit()
    t1 = time.perf_counter()
    conn.execute("INSERT INTO events_fts (events_fts) VALUES ('optimize')")
    conn.commit()
    conn.execute("ANALYZE")
    conn.commit()
    conn.close()
    t2 = time.perf_counter()
    return {"generate_s": t1 - t0, "optimize_s": t2 - t1, "text_bytes": text_bytes}


def _flush(conn, docs, events, mentions, fts, ee, et):
    conn.executemany(
        "INSERT INTO documents (id, path, title, outlet, published, published_precision, published_source, script,"
        " format, sha256, chars, text, imported_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", docs)
    conn.executemany(
        'INSERT INTO events (id, uid, start, "end", year, precision, title, summary, kind, n_mentions, n_sources)'
        " VALUES (?,?,?,?,?,?,?,?,?,1,1)", events)
    conn.executemany(
        "INSERT INTO mentions (event_id, document_id, start_char, end_char, quote, time_text, time_start_char,"
        ' time_end_char, start, "end", precision, resolution) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)', mentions)
    conn.executemany("INSERT INTO events_fts (rowid, body) VALUES (?, ?)", fts)
    conn.executemany("INSERT INTO event_entities (event_id, entity_id) VALUES (?, ?)", ee)
    conn.executemany("INSERT INTO event_tags (event_id, tag_id) VALUES (?, ?)", et)
    for x in (docs, events, mentions, fts, ee, et):
        x.clear()


def sizes(path: Path) -> dict:
    conn = sqlite3.connect(path)
    out = {}
    for name, size in conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"):
        out[name] = size
    conn.close()
    return out


def _time(fn, repeat: int) -> tuple[float, object]:
    fn()  # warm
    ts = []
    res = None
    for _ in range(repeat):
        t = time.perf_counter()
        res = fn()
        ts.append((time.perf_counter() - t) * 1000)
    return statistics.median(ts), res


def run(path: Path, repeat: int, like: bool) -> None:
    from hz_timeline.store.querylang import like_pattern

    store = Store(path, readonly=True)
    print(f"{'term':<26} {'len':>3} {'kind':<11} {'matches':>8} {'count ms':>9} {'page ms':>8} {'rel ms':>7}"
          f" {'LIKE ms':>8} {'LIKE n':>7}")
    for term, kind in TERMS:
        f = Filter(query=term)
        c_ms, total = _time(lambda: store.count(f), repeat)
        p_ms, _ = _time(lambda: store.page(f, 0, 100), repeat)
        r_ms, _ = _time(lambda: store.page(f, 0, 100, order="relevance"), repeat)
        if like and ":" not in term and " " not in term:
            pat = like_pattern(to_simplified(term))
            l_ms, ln = _time(lambda: store.conn.execute(
                "SELECT count(*) FROM events WHERE title LIKE ?1 ESCAPE '\\' OR summary LIKE ?1 ESCAPE '\\'",
                (pat,)).fetchone()[0], 1)
            ls = f"{l_ms:>8.1f} {ln:>7}"
        else:
            ls = f"{'-':>8} {'-':>7}"
        print(f"{term:<26} {len(term):>3} {kind:<11} {total:>8} {c_ms:>9.2f} {p_ms:>8.2f} {r_ms:>7.2f} {ls}", flush=True)
    store.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--db", type=Path)
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-like", action="store_true", help="Skip the LIKE scans.")
    a = ap.parse_args()
    path = a.db or Path(os.environ.get("TMPDIR", "/tmp")) / f"hz-bench-{a.events}.db"
    if a.rebuild or not path.exists():
        print(f"generating {a.events:,} events into {path} ...", flush=True)
        info = generate(path, a.events)
        print(f"generated in {info['generate_s']:.1f}s, optimize+analyze {info['optimize_s']:.1f}s; "
              f"text covered by the index: {info['text_bytes'] / 1e6:.1f} MB", flush=True)
    sz = sizes(path)
    fts_index = sum(v for k, v in sz.items() if k.startswith("events_fts_") and k not in ("events_fts_content",))
    print(f"db {path.stat().st_size / 1e6:.1f} MB; FTS index (data+idx+docsize) {fts_index / 1e6:.1f} MB; "
          f"FTS content copy {sz.get('events_fts_content', 0) / 1e6:.1f} MB; events table {sz.get('events', 0) / 1e6:.1f} MB")
    run(path, a.repeat, not a.no_like)


if __name__ == "__main__":
    main()
