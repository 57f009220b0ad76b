"""Benchmark the timeline app on large synthetic databases (headless, no terminal needed).

    python benchmarks/bench_tui.py            # 10k and 100k events
    python benchmarks/bench_tui.py --million  # also 1,000,000 events (takes a few minutes to build)
    python benchmarks/bench_tui.py --sizes 10000 --keep /tmp/bench

Measures, per size: building the db (not a target), the first frame (app mounted and painted),
the first rows (timeline shape + first page fetched), CPU per key press (j, ]), a search's
first page, and the process's peak memory. Targets at 1M events: first frame < 0.5 s, key press
< 16 ms CPU, a query's first page < 300 ms, memory < 200 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from hz_timeline.store import Store
from hz_timeline.store.queries import Filter

WORDS = ["杭州", "阿里巴巴", "人工智能", "城市大脑", "达摩院", "数字经济", "亚运会", "西湖", "钱塘江", "深度求索",
         "机器人", "芯片", "政策", "投资", "产业园", "创新", "发布", "成立", "宣布", "计划"]
TAGS = ["人工智能", "智慧城市", "数字经济", "政策", "科研", "体育", "交通", "金融"]
ENTITIES = [("杭州", "place"), ("阿里巴巴", "org"), ("浙江大学", "org"), ("深度求索", "org"), ("网易", "org"),
            ("海康威视", "org"), ("西湖区", "place"), ("余杭区", "place")]
PRECISIONS = [("day", 0.5), ("month", 0.25), ("year", 0.15), ("quarter", 0.1)]
KINDS = ["past"] * 7 + ["plan", "forecast", "statistic"]


def _split(s: str) -> str:
    return " ".join(s)  # what fold_for_index does to CJK text, without paying for OpenCC here


def build_db(path: Path, n: int, seed: int = 7) -> float:
    """n events over 1990–2035 written with executemany in one transaction; returns seconds."""
    t0 = time.perf_counter()
    rnd = random.Random(seed)
    if path.exists():
        path.unlink()
    with Store(path) as store:
        c = store.conn
        c.execute("PRAGMA synchronous=OFF")
        with c:
            text = "合成文档。" * 200
            c.execute("INSERT INTO documents (id, path, title, outlet, published, published_precision, published_source,"
                      " script, format, sha256, chars, text, imported_at) VALUES (1, 'bench/doc.txt', '合成文档', '基准社',"
                      " '2025-01-01', 'day', 'given', 'simplified', 'text', 'x', ?, ?, '2025-01-01T00:00:00')",
                      (len(text), text))
            c.executemany("INSERT INTO tags (id, name) VALUES (?, ?)", list(enumerate(TAGS, 1)))
            c.executemany("INSERT INTO entities (id, name, type) VALUES (?, ?, ?)",
                          [(i, nm, tp) for i, (nm, tp) in enumerate(ENTITIES, 1)])
            first = date(1990, 1, 1).toordinal()
            span = date(2035, 12, 31).toordinal() - first
            batch_e, batch_t, batch_x, batch_f, batch_m = [], [], [], [], []

            def flush():
                c.executemany('INSERT INTO events (id, uid, start, "end", year, precision, approx, title, summary, kind,'
                              " n_mentions, n_sources, disputed) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", batch_e)
                c.executemany("INSERT INTO event_tags (event_id, tag_id) VALUES (?, ?)", batch_t)
                c.executemany("INSERT INTO event_entities (event_id, entity_id) VALUES (?, ?)", batch_x)
                c.executemany("INSERT INTO events_fts (rowid, body) VALUES (?, ?)", batch_f)
                c.executemany("INSERT INTO mentions (event_id, document_id, start_char, end_char, quote, time_text,"
                              " time_start_char, time_end_char, start, \"end\", precision, approx, resolution,"
                              " explanation) VALUES (?, 1, 0, 5, ?, '2020年', 0, 2, ?, ?, ?, 0, 'explicit', '')", batch_m)
                for b in (batch_e, batch_t, batch_x, batch_f, batch_m):
                    b.clear()

            for i in range(1, n + 1):
                # Skew towards recent years, like news.
                d = date.fromordinal(first + int(span * (rnd.random() ** 0.5)))
                prec = rnd.choices([p for p, _ in PRECISIONS], [w for _, w in PRECISIONS])[0]
                if prec == "day":
                    s = e = d.isoformat()
                elif prec == "month":
                    s = d.replace(day=1).isoformat()
                    e = (d.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
                    e = e.isoformat()
                elif prec == "quarter":
                    m = (d.month - 1) // 3 * 3 + 1
                    s = date(d.year, m, 1).isoformat()
                    e = (date(d.year + (m == 10), (m + 3 - 1) % 12 + 1, 1) - timedelta(days=1)).isoformat()
                else:
                    s, e = f"{d.year}-01-01", f"{d.year}-12-31"
                title = "".join(rnd.sample(WORDS, 3)) + f"第{i}号"
                disputed = 1 if rnd.random() < 0.01 else 0
                n_src = 1 + (rnd.random() < 0.1)
                batch_e.append((i, f"ev{i:08d}", s, e, int(s[:4]), prec, 0, title, title + "。", rnd.choice(KINDS),
                                n_src, n_src, disputed))
                batch_t.append((i, rnd.randint(1, len(TAGS))))
                batch_x.append((i, rnd.randint(1, len(ENTITIES))))
                batch_f.append((i, _split(title)))
                batch_m.append((i, title, s, e, prec))
                if len(batch_e) >= 50_000:
                    flush()
            flush()
        c.execute("ANALYZE")
    return time.perf_counter() - t0


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


async def measure_app(db: Path) -> dict:
    from hz_timeline.tui.app import make_app

    out: dict = {}
    app = make_app(db)
    t0 = time.perf_counter()
    async with app.run_test(size=(120, 40)) as pilot:
        # run_test returns once the app is mounted and its first frame painted ("loading…").
        out["first frame"] = time.perf_counter() - t0
        while app.timeline.current is None or app.detail.event is None:
            await asyncio.sleep(0.002)
        out["first rows"] = time.perf_counter() - t0
        await app.workers.wait_for_complete()
        await pilot.pause()

        tl = app.timeline
        # CPU of one key press on the UI side: the action plus repainting every visible line.
        def repaint():
            for y in range(tl.size.height):
                tl.render_line(y)

        for name, action in (("key j", lambda: tl.action_move(1)), ("key ]", lambda: tl.action_year(1))):
            samples = []
            for _ in range(30):
                c0 = time.process_time()
                action()
                repaint()
                samples.append(time.process_time() - c0)
                await pilot.pause()
                await app.workers.wait_for_complete()
            samples.sort()
            out[f"{name} CPU (median)"] = samples[len(samples) // 2]
            out[f"{name} CPU (max)"] = samples[-1]

        # Pilot presses: the whole round trip including the workers it starts (wall time).
        c0, m0, w0 = time.process_time(), time.thread_time(), time.perf_counter()
        for _ in range(20):
            await pilot.press("j")
        await app.workers.wait_for_complete()
        await pilot.pause()
        out["press j via pilot, wall avg"] = (time.perf_counter() - w0) / 20
        out["press j CPU UI thread avg"] = (time.thread_time() - m0) / 20
        out["press j CPU all threads avg"] = (time.process_time() - c0) / 20

        # A search: time until the timeline shows the new filter's first page.
        t1 = time.perf_counter()
        app.filters.set_query("城市大脑")
        while tl.filter.query != "城市大脑" or tl.shape_gen != tl.gen or tl.current is None:
            await asyncio.sleep(0.001)
        out["query first rows shown"] = time.perf_counter() - t1
        while app.total is None:
            await asyncio.sleep(0.002)
        out["query counted (years)"] = time.perf_counter() - t1
        out["query matches"] = app.total
        t1 = time.perf_counter()
        app.filters.query_one("#dates").value = "2018"
        app.filters.apply()
        while tl.filter.date_from != "2018-01-01" or tl.shape_gen != tl.gen or tl.current is None:
            await asyncio.sleep(0.001)
        out["query+date first rows shown"] = time.perf_counter() - t1
        while app.total is None:
            await asyncio.sleep(0.002)
        out["query+date counted"] = time.perf_counter() - t1
        await pilot.press("G")
        await app.workers.wait_for_complete()
        await app.filters.workers.wait_for_complete()
    out["peak RSS MB"] = peak_mb()
    return out


def measure_store(db: Path) -> dict:
    out = {}
    with Store(db, create=False, readonly=True) as s:
        for label, f in (("no filter", Filter()), ("query", Filter(query="城市大脑")),
                         ("year 2018", Filter(date_from="2018-01-01", date_to="2018-12-31"))):
            t = time.perf_counter()
            s.years(f)
            out[f"years() {label}"] = time.perf_counter() - t
            t = time.perf_counter()
            s.page(f, 0, 100)
            out[f"page(0) {label}"] = time.perf_counter() - t
        n = s.count(Filter())
        t = time.perf_counter()
        s.page(Filter(), max(0, n - 100), 100)
        out["page(last) no filter"] = time.perf_counter() - t
    return out


def fmt(v, key: str = "") -> str:
    if key.endswith("MB"):
        return f"{v:8.1f} MB"
    if isinstance(v, float) and v < 100:
        return f"{v * 1000:8.1f} ms" if v < 10 else f"{v:8.2f} s"
    return f"{v:>11,}" if isinstance(v, int) else f"{v:8.1f}"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    ap.add_argument("--million", action="store_true", help="add a 1,000,000-event database")
    ap.add_argument("--keep", type=Path, help="folder to keep (and reuse) the generated databases in")
    args = ap.parse_args(argv)
    sizes = list(args.sizes) + ([1_000_000] if args.million else [])
    folder = args.keep or Path(tempfile.mkdtemp(prefix="hz-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    results: dict[int, dict] = {}
    for n in sizes:
        db = folder / f"bench-{n}.db"
        row: dict = {}
        if not db.exists():
            row["build db"] = build_db(db, n)
        row.update(measure_store(db))
        row.update(asyncio.run(measure_app(db)))
        results[n] = row
        print(f"{n:,} events done", file=sys.stderr)
    keys = list(dict.fromkeys(k for r in results.values() for k in r))
    print(f"{'measure':34}" + "".join(f"{n:>14,}" for n in sizes))
    for k in keys:
        print(f"{k:34}" + "".join(f"{fmt(results[n][k], k) if k in results[n] else '-':>14}" for n in sizes))
    print("(peak RSS is of the whole benchmark process, so it grows across sizes)")


if __name__ == "__main__":
    main()
