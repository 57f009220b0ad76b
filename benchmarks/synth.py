"""A realistic synthetic events.db of N events, built straight into the real schema and cached on disk.

    python benchmarks/synth.py 1000000            # build (or reuse) benchmarks/out/synth-v2-1000000-s7.db
    python benchmarks/synth.py 100000 --rebuild

Shared by bench_search, bench_tui, bench_export and the size measure of run.py, so every figure
is measured on the same data. The database is what an import of news articles would leave:

* documents of ~20 statements each (their text is the statements' sentences plus filler, and every
  mention's ``start_char``/``end_char`` and ``time_*_char`` point at its quote and date in it);
  3 in 10 documents are in traditional script;
* events from sentence templates with varied organisations (~3,000), people, places, actions and
  details; the date expression in the quote matches the event's precision (day, month, year,
  quarter, half, range) and years lean towards recent ones (1990–2025, plans up to ten years on);
* one in five events is also reported by the next document (2 mentions, 2 sources); 0.5 % are
  disputed; entities (organisation, place, sometimes a person) and 0–2 tags per event;
* ``events_fts.body`` is title + every mention's quote + entity names + their known aliases, folded
  by ``hz_timeline.text.fold_for_index`` -- exactly what ``Store._refresh_event`` writes (pieces are
  folded once and joined; a self-check compares with folding the whole body for the first events);
* planted rare names of 1 to 6 characters at known frequencies, so rare terms of every length exist
  (``RARE``, ``TERMS``).

Rows are written with raw ``executemany`` in one transaction (journal off), then the import's own
ending: ``Store.after_import(N)``, which compacts the FTS index (``optimize``) after an import this
big, as ``hz-timeline import`` does. No ``ANALYZE`` (the product does not run it). The file is keyed
by (N, seed, GENERATOR_VERSION): bump the version whenever the output changes. Everything depends
only on N and the seed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sqlite3
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

GENERATOR_VERSION = 2  # 2: the import's FTS optimize (Store.after_import)

PLACES = (["杭州"] * 14 + ["杭州市滨江区", "杭州市余杭区", "杭州市萧山区", "杭州市西湖区"] * 3
          + ["宁波", "温州", "绍兴", "上海", "深圳", "北京", "苏州", "合肥", "成都", "滨江区", "余杭区", "萧山区", "西湖区",
             "未来科技城", "钱塘新区"])
ORGS_KNOWN = ["深度求索", "宇树科技", "游戏科学", "强脑科技", "群核科技", "云深处科技", "阿里巴巴", "网易", "海康威视",
              "吉利汽车", "浙江大学", "之江实验室", "西湖大学", "蚂蚁集团", "DeepSeek", "Unitree"]
ORG_HEAD = list("华中新东南北恒泰盛达博创智联云数天海金银光明宏远安康瑞丰鼎信诚德")
ORG_TAIL = ["科技", "集团", "智能", "网络", "信息", "生物", "电子", "控股", "实业", "研究院"]
PEOPLE = ["王坚", "梁文锋", "王兴兴", "冯骥", "韩璧丞", "黄晓庆", "马云", "丁磊", "李书福", "陈航", "施一公", "潘建伟"]
ACTIONS = ["发布了新一代人工智能大模型", "完成了新一轮融资", "宣布在{place}设立研发中心", "推出四足机器人", "获得政府专项补贴",
           "与浙江大学共建实验室", "入选国家级专精特新企业名单", "开始量产人形机器人", "上线数字政务平台", "启动城市大脑项目",
           "召开年度开发者大会", "签约落户{place}", "发布芯片设计工具", "获批建设算力中心", "举办全球游戏开发者峰会"]
DETAILS = ["估值超过{n}亿元", "投资总额约{n}亿元", "员工人数达到{n}人", "营业收入同比增长{n}%", "吸引了{n}家企业入驻",
           "带动就业{n}万人", "覆盖{n}个区县", "专利数量超过{n}项", "用户规模突破{n}万"]
# {date} is the time expression (its form follows the precision); {person} makes the person an entity.
TEMPLATES = [
    "{date}，{org}在{place}{action}，{detail}。",
    "据{outlet}报道，{date}，{person}在{place}表示{org}将{action}。",
    "{date}，{place}市政府与{org}签署合作协议，{detail}。",
    "早在{date}，{person}就在{place}带领{org}{action}。",
    "{date}，{org}创始人{person}在{place}宣布{action}，{detail}。",
    "截至{date}，{org}已在{place}{action}，{detail}。",
    "{org}计划于{date}在{place}{action}，{detail}。",
]
FILLERS = ["业内人士认为，这一举措对区域经济具有深远影响。", "记者在现场看到，不少企业代表参加了活动。",
           "专家指出，产业链协同是下一阶段的重点。", "相关负责人表示，将进一步优化营商环境。",
           "这也让更多年轻人选择留在这座城市创业。", "市场普遍关注后续政策的落地效果。"]
OUTLETS = ["新华社", "浙江日报", "36氪", "第一财经", "澎湃新闻", "财新", "South China Morning Post", "钱江晚报"]
KINDS = ["past"] * 6 + ["plan", "forecast", "statistic"]
PRECISIONS = (("day", 35), ("month", 25), ("year", 25), ("quarter", 5), ("half", 5), ("range", 5))
TAGS = ["ai", "robotics", "chips", "funding", "policy", "games", "talent", "digital-economy"]
# Planted rare names: (text, events per million). 1, 2, 4, 6 and 9 characters, rare to uncommon.
RARE = [("燚", 8), ("鑫淼", 12), ("犇垚智造", 10), ("龘森量子计算", 6), ("Zhipuqing", 9), ("寰宇星链", 40),
        ("蓝鲸数智", 300)]
# Search terms the benchmarks time: (term, kind). "rare" ones are planted above (or absent).
TERMS = [
    ("燚", "rare"), ("鑫淼", "rare"), ("犇垚智造", "rare"), ("龘森量子计算", "rare"), ("zhipuqing", "rare"),
    ("寰宇星链", "rare"), ("蓝鲸数智", "uncommon"), ("王兴兴", "uncommon"), ("强脑科技", "uncommon"),
    ("机器人", "medium"), ("人工智能", "medium"), ("寧波", "medium"), ("DeepSeek", "alias"),
    ("杭", "common"), ("杭州", "common"), ("年", "common"), ("月", "common"), ("公司 OR 集团", "common"),
    ("在", "common"), ("州杭", "adversarial"), ("年年", "adversarial"),
    ("tag:robotics", "field"), ("tag:robotics 2017..2019", "field"), ("杭州 from:2020", "mixed"),
]


def default_path(n: int, seed: int = 7) -> Path:
    return OUT / f"synth-v{GENERATOR_VERSION}-{n}-s{seed}.db"


def info_path(db: Path) -> Path:
    return db.with_name(db.name + ".json")


def cached_db(n: int, seed: int = 7, rebuild: bool = False, log=None) -> Path:
    """Path of the N-event database for this seed and generator version, built first if missing."""
    path = default_path(n, seed)
    if rebuild or not path.exists() or not info_path(path).exists():
        if log:
            log(f"building {n:,} synthetic events into {path} ...")
        info = build(path, n, seed)
        if log:
            log(f"built in {info['build_s']:.1f} s ({path.stat().st_size / 1e6:.0f} MB)")
    return path


def build_info(db: Path) -> dict:
    try:
        return json.loads(info_path(db).read_text("utf-8"))
    except (OSError, ValueError):
        return {}


class _Piece:
    """A piece of text in both scripts with its folded index form computed once."""

    __slots__ = ("simp", "trad", "index")

    def __init__(self, simp: str, s2t, fold):
        self.simp = simp
        self.trad = s2t(simp)
        self.index = fold(simp)


def build(final: Path, n: int, seed: int = 7) -> dict:
    """Write the database (to a temporary name, renamed into place when complete); returns build info."""
    import opencc

    from hz_timeline.importers.events import load_knowledge
    from hz_timeline.store import Store
    from hz_timeline.text import fold_for_index

    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    path = final.with_name(final.name + ".building")
    for p in (final, path, info_path(final)):
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(p) + suffix).unlink(missing_ok=True)
    t0 = time.perf_counter()
    Store(path).close()  # schema and meta rows, exactly as the app creates them
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-400000")

    rng = random.Random(f"synth:{seed}")
    s2t = opencc.OpenCC("s2t").convert

    def piece(s):
        return _Piece(s, s2t, fold_for_index)

    orgs = ORGS_KNOWN + [a + b + t for a in ORG_HEAD for b in ORG_HEAD if a != b for t in ORG_TAIL[:3]][:3000]
    org_p = [piece(x) for x in orgs]
    place_p = {x: piece(x) for x in dict.fromkeys(PLACES)}
    places = [place_p[x] for x in PLACES]
    person_p = [piece(x) for x in PEOPLE]
    outlet_p = [piece(x) for x in OUTLETS]
    actions = [[piece(p) for p in a.split("{place}")] for a in ACTIONS]
    details = [[piece(p) for p in a.split("{n}")] for a in DETAILS]
    filler_p = [piece(x) for x in FILLERS]
    templates = []
    for t in TEMPLATES:
        parts = []
        for chunk in t.replace("{", "\x00{").replace("}", "}\x00").split("\x00"):
            if chunk.startswith("{"):
                parts.append(chunk[1:-1])
            elif chunk:
                parts.append(piece(chunk))
        templates.append(parts)
    rare = [(piece(name + "参与其中。"), per_m / 1e6) for name, per_m in RARE]
    names = load_knowledge().names
    alias_index = {}  # entity name -> folded aliases, as Store._aliases adds them to the body

    def aliases(name: str) -> str:
        if name not in alias_index:
            alias_index[name] = " ".join(fold_for_index(a) for a in names.get(name, ()))
        return alias_index[name]

    date_index: dict[str, str] = {}
    ent_ids: dict[str, int] = {}
    ent_rows: list[tuple] = []

    def ent(name: str, typ: str) -> int:
        i = ent_ids.get(name)
        if i is None:
            i = ent_ids[name] = len(ent_ids) + 1
            ent_rows.append((i, name, typ))
        return i

    prec_names = [p for p, _ in PRECISIONS]
    prec_weights = [w for _, w in PRECISIONS]
    docs, events, mentions, fts, ee, et, disputes = [], [], [], [], [], [], []
    text_bytes = 0  # the text the index covers (title + quotes + entity names), UTF-8
    check: list[tuple[str, str]] = []  # (raw body, our folded body) for the self-check
    events_per_doc = 20
    carry: list[tuple] = []  # second mentions, reported again by the next document
    pending: list[tuple] = []  # (event_id, title, kind, ents_json, tags_json, quote, t0, t1, start, end, prec)
    doc_trad = False
    doc_year = 2020

    def close_doc(doc_id: int):
        nonlocal carry
        items = carry + pending
        carry = []
        parts: list[str] = []
        pos = 0
        for k, it in enumerate(items):
            ev_id, title, kind, ents_j, tags_j, quote, ts, te, start, end, prec, second = it
            mentions.append((ev_id, doc_id, pos, pos + len(quote), quote, quote[ts:te], pos + ts, pos + te, start, end,
                             prec, "explicit", f"{quote[ts:te]} → {start}..{end}", title, kind, ents_j, tags_j))
            parts.append(quote)
            pos += len(quote)
            f = filler_p[(doc_id + k) % len(filler_p)]
            f = f.trad if doc_trad else f.simp
            parts.append(f)
            pos += len(f)
        text = "".join(parts)
        outlet = OUTLETS[doc_id % len(OUTLETS)]
        docs.append((doc_id, f"bench/{doc_id // 1000:04d}/{doc_id:07d}.txt", f"{outlet} {doc_year}年报道", outlet,
                     f"https://news.example/{doc_id}", f"{doc_year:04d}-{1 + doc_id % 12:02d}-{1 + doc_id % 28:02d}",
                     "day", "given", "traditional" if doc_trad else "simplified", "text", f"{doc_id:064x}", len(text),
                     text, "2025-01-01T00:00:00+00:00"))
        pending.clear()

    for i in range(n):
        ev_id = i + 1
        doc_id = i // events_per_doc + 1
        if i % events_per_doc == 0:
            doc_trad = rng.random() < 0.3
            doc_year = 1990 + int(36 * rng.random() ** 0.5)
        trad = doc_trad
        kind = rng.choice(KINDS)
        y = doc_year - int(6 * rng.random() ** 2)
        if kind in ("plan", "forecast"):
            y = doc_year + rng.randint(1, 10)
        m, d = rng.randint(1, 12), rng.randint(1, 28)
        prec = rng.choices(prec_names, prec_weights)[0]
        if prec == "day":
            start = end = f"{y:04d}-{m:02d}-{d:02d}"
            date_text = f"{y}年{m}月{d}日"
        elif prec == "month":
            start, end = f"{y:04d}-{m:02d}-01", f"{y:04d}-{m:02d}-{28 if m == 2 else 30 if m in (4, 6, 9, 11) else 31}"
            date_text = f"{y}年{m}月"
        elif prec == "year":
            start, end, date_text = f"{y:04d}-01-01", f"{y:04d}-12-31", f"{y}年"
        elif prec == "quarter":
            q = (m - 1) // 3
            start = f"{y:04d}-{3 * q + 1:02d}-01"
            end = f"{y:04d}-{3 * q + 3:02d}-{30 if q in (1, 2) else 31}"
            date_text = f"{y}年第{q + 1}季度"
        elif prec == "half":
            h = m > 6
            start, end = (f"{y:04d}-07-01", f"{y:04d}-12-31") if h else (f"{y:04d}-01-01", f"{y:04d}-06-30")
            date_text = f"{y}年{'下' if h else '上'}半年"
        else:
            y2 = y + rng.randint(1, 4)
            start, end, date_text = f"{y:04d}-01-01", f"{y2:04d}-12-31", f"{y}—{y2}年"
        org = rng.choice(org_p) if rng.random() < 0.7 else rng.choice(org_p[:16])
        place = rng.choice(places)
        person = rng.choice(person_p)
        act = rng.choice(actions)
        det = rng.choice(details)
        num = str(rng.randint(2, 900))
        tpl = rng.choice(templates)

        text: list[str] = []
        index: list[str] = []
        pos = 0
        ts = te = 0
        title_text: list[str] = []
        title_index: list[str] = []
        has_person = False

        def put(p, into_title=False):
            nonlocal pos
            s = p.trad if trad else p.simp
            text.append(s)
            index.append(p.index)
            pos += len(s)
            if into_title:
                title_text.append(s)
                title_index.append(p.index)

        for part in tpl:
            if isinstance(part, _Piece):
                put(part)
            elif part == "date":
                ts = pos
                text.append(date_text)
                dx = date_index.get(date_text)
                if dx is None:
                    dx = date_index[date_text] = fold_for_index(date_text)
                index.append(dx)
                pos += len(date_text)
                te = pos
            elif part == "org":
                put(org, True)
            elif part == "place":
                put(place)
            elif part == "person":
                put(person)
                has_person = True
            elif part == "outlet":
                put(rng.choice(outlet_p))
            elif part == "action":
                for k, p in enumerate(act):
                    if k:
                        put(place, True)
                    put(p, True)
            elif part == "detail":
                for k, p in enumerate(det):
                    if k:
                        text.append(num)
                        index.append(num)
                        pos += len(num)
                    put(p)
        for p, share in rare:
            if rng.random() < share:
                put(p)
        quote = "".join(text)
        title = "".join(title_text)
        names_here = [(org.simp, "org"), (place.simp, "place")] + ([(person.simp, "person")] if has_person else [])
        ent_list = [ent(nm, tp) for nm, tp in names_here]
        tags_here = rng.sample(TAGS, rng.choice((0, 1, 1, 2)))
        ents_j = json.dumps([list(x) for x in names_here], ensure_ascii=False)
        tags_j = json.dumps(tags_here)
        two = rng.random() < 0.2
        disputed = 0
        if i and rng.random() < 0.005:
            disputes.append((ev_id - 1, ev_id, "dates differ: synthetic"))
            disputed = 1
        item = (ev_id, title, kind, ents_j, tags_j, quote, ts, te, start, end, prec)
        pending.append(item + (False,))
        if two:
            carry.append(item + (True,))
        events.append((ev_id, f"ev-{seed}-{ev_id:09d}", start, end, int(start[:4]), prec, title, quote, kind,
                       2 if two else 1, 2 if two else 1, disputed))
        # Store._refresh_event: title + every quote + entity names + aliases, folded.
        ent_index = [x.index for x in (org, place, person)[:len(names_here)]]
        body = " ".join(title_index + index + (index if two else []) + ent_index)
        al = " ".join(a for a in (aliases(nm) for nm, _ in names_here) if a)
        if al:
            body += " " + al
        fts.append((ev_id, body))
        if len(check) < 300:
            raw = " ".join([title, quote] + ([quote] if two else []) + [nm for nm, _ in names_here]
                           + [a for nm, _ in names_here for a in names.get(nm, ())])
            check.append((raw, body))
        text_bytes += len(title.encode()) + len(quote.encode()) * (2 if two else 1) + sum(len(nm.encode()) for nm, _ in names_here)
        for e in ent_list:
            ee.append((ev_id, e))
        for t in tags_here:
            et.append((ev_id, TAGS.index(t) + 1))
        if i % events_per_doc == events_per_doc - 1 or i == n - 1:
            close_doc(doc_id)
        if len(events) >= 50_000:
            _flush(conn, docs, events, mentions, fts, ee, et)
    if carry:  # second mentions of the last document's events: one more document
        close_doc((n - 1) // events_per_doc + 2)
    _flush(conn, docs, events, mentions, fts, ee, et)
    conn.executemany('UPDATE events SET disputed = 1 WHERE id = ?', [(a,) for a, _, _ in disputes])
    conn.executemany("INSERT OR IGNORE INTO disputes (event_a, event_b, reason) VALUES (?,?,?)", disputes)
    conn.executemany("INSERT INTO entities (id, name, type) VALUES (?,?,?)", ent_rows)
    conn.executemany("INSERT INTO tags (id, name) VALUES (?, ?)", [(i + 1, t) for i, t in enumerate(TAGS)])
    conn.commit()
    conn.execute("PRAGMA journal_mode=WAL")  # as the app leaves it
    conn.close()
    tokens = re.compile(r"\w+").findall  # what the unicode61 tokenizer keeps
    bad = [(raw, ours) for raw, ours in check if tokens(fold_for_index(raw)) != tokens(ours)]
    if bad:
        raise AssertionError(f"FTS body differs from fold_for_index: {bad[0]}")
    # What import_paths does after writing: compact the search index when the import was big.
    t1 = time.perf_counter()
    with Store(path) as store:
        optimized = store.after_import(n)
    optimize_s = time.perf_counter() - t1
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    os.replace(path, final)
    info = {"events": n, "seed": seed, "generator_version": GENERATOR_VERSION, "build_s": time.perf_counter() - t0,
            "index_text_bytes": text_bytes, "documents": len(docs) or None,
            "index_optimized": optimized, "optimize_s": optimize_s if optimized else None}
    info_path(final).write_text(json.dumps(info), "utf-8")
    return info


def _flush(conn, docs, events, mentions, fts, ee, et):
    conn.executemany(
        "INSERT INTO documents (id, path, title, outlet, url, published, published_precision, published_source, script,"
        " format, sha256, chars, text, imported_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", docs)
    conn.executemany(
        'INSERT INTO events (id, uid, start, "end", year, precision, title, summary, kind, n_mentions, n_sources,'
        " disputed) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", events)
    conn.executemany(
        "INSERT INTO mentions (event_id, document_id, start_char, end_char, quote, time_text, time_start_char,"
        ' time_end_char, start, "end", precision, resolution, explanation, title, kind, entities, tags)'
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", mentions)
    conn.executemany("INSERT INTO events_fts (rowid, body) VALUES (?, ?)", fts)
    conn.executemany("INSERT INTO event_entities (event_id, entity_id) VALUES (?, ?)", ee)
    conn.executemany("INSERT INTO event_tags (event_id, tag_id) VALUES (?, ?)", et)
    for x in (docs, events, mentions, fts, ee, et):
        x.clear()


def sizes(db: Path) -> dict:
    """Bytes per table/index (SQLite's dbstat), plus the file."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        out = dict(conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall())
    finally:
        conn.close()
    return out


def size_report(db: Path) -> dict:
    """File size, FTS index size (without its content copy) and its share, and the text it covers."""
    sz = sizes(db)
    n = sqlite3.connect(f"file:{db}?mode=ro", uri=True).execute("SELECT count(*) FROM events").fetchone()[0]
    fts_index = sum(v for k, v in sz.items() if k.startswith("events_fts_") and k != "events_fts_content")
    fts_all = sum(v for k, v in sz.items() if k.startswith("events_fts"))
    file_bytes = db.stat().st_size
    return {"events": n, "file_bytes": file_bytes, "fts_index_bytes": fts_index, "fts_all_bytes": fts_all,
            "fts_content_bytes": sz.get("events_fts_content", 0), "documents_bytes": sz.get("documents", 0),
            "index_text_bytes": build_info(db).get("index_text_bytes"), "tables": sz}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("events", type=int)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--rebuild", action="store_true")
    a = ap.parse_args()
    db = cached_db(a.events, a.seed, a.rebuild, log=lambda s: print(s, file=sys.stderr, flush=True))
    r = size_report(db)
    print(f"{db}: {r['events']:,} events, {r['file_bytes'] / 1e6:.1f} MB; FTS index {r['fts_index_bytes'] / 1e6:.1f} MB"
          f" (+ content copy {r['fts_content_bytes'] / 1e6:.1f} MB) for {(r['index_text_bytes'] or 0) / 1e6:.1f} MB of text")


if __name__ == "__main__":
    main()
