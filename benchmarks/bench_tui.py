"""Benchmark the timeline app on large synthetic databases (headless, no terminal needed).

    python benchmarks/bench_tui.py                     # 10k and 100k events
    python benchmarks/bench_tui.py --million           # also 1,000,000 events
    python benchmarks/bench_tui.py --sizes 10000 --json out.json

The databases are the shared synthetic ones (benchmarks/synth.py, cached in benchmarks/out/).
Each size runs in its own child process, so its peak memory is its own. Measures, per size: the
first frame (app mounted and painted, from ``make_app``; and from process start, imports
included), the first rows (timeline shape + first page fetched), CPU per key press (j, ]) as the
action plus repainting every visible line, pilot presses round trip, a search's first page, and
the process's peak memory. Targets at 1M events: first frame < 0.5 s, key press < 16 ms CPU, a
query's first page < 300 ms, memory < 200 MB.
"""

from __future__ import annotations

import time

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import synth  # noqa: E402
from common import below, peak_rss_mb, print_rows, row, write_json  # noqa: E402

from hz_timeline.store import Store  # noqa: E402
from hz_timeline.store.queries import Filter  # noqa: E402


def peak_mb() -> float:
    return peak_rss_mb()


async def measure_app(db: Path) -> dict:
    from hz_timeline.tui.app import make_app

    out: dict = {}
    app = make_app(db)
    t0 = time.perf_counter()
    async with app.run_test(size=(120, 40)) as pilot:
        # run_test returns once the app is mounted and its first frame painted ("loading…").
        out["first frame"] = time.perf_counter() - t0
        if _SPAWNED:
            out["first frame from process start"] = time.time() - _SPAWNED
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

        # A held key: j events every 33 ms (keyboard repeat), straight to the driver (Pilot.press
        # waits ~100 ms between keys). UI-thread CPU per key, median of 3 runs of 30 keys, with
        # the harness's own cost (the same loop sending an unbound key) taken off.
        from textual import events as tev

        async def held(key: str, n: int = 30) -> float:
            m0 = time.thread_time()
            for _ in range(n):
                app._driver.send_message(tev.Key(key, key))
                await asyncio.sleep(0.033)
            await asyncio.sleep(0.2)  # the last move's detail load and repaint
            await app.workers.wait_for_complete()
            return (time.thread_time() - m0) / n

        base = sorted([await held("z") for _ in range(3)])[1]
        runs = sorted([await held("j") for _ in range(3)])
        out["held j CPU UI thread per key"] = runs[1] - base
        out["held j harness per key"] = base

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


_SPAWNED = 0.0  # wall clock when the parent started this child process


def child(n: int, db: Path, spawned: float) -> dict:
    global _SPAWNED
    _SPAWNED = spawned
    r: dict = {"events": n}
    r.update(asyncio.run(measure_app(db)))  # first, so "from process start" and peak RSS are the app's own
    r.update(measure_store(db))
    return r


def measure_size(n: int, seed: int = 7) -> dict:
    """Build (or reuse) the n-event database, then measure in a fresh child process."""
    db = synth.cached_db(n, seed, log=lambda s: print(s, file=sys.stderr, flush=True))
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        out = Path(fh.name)
    try:
        p = subprocess.run([sys.executable, __file__, "--child", str(n), str(db), repr(time.time()), str(out)])
        if p.returncode:
            raise SystemExit(f"bench_tui child for {n:,} events failed ({p.returncode})")
        return json.loads(out.read_text())
    finally:
        out.unlink(missing_ok=True)


def to_rows(results: dict[int, dict]) -> list[dict]:
    rows = []
    for n, r in results.items():
        g = f"app ({n:,} events)"
        k = f"{n // 1000:,}k" if n < 1_000_000 else f"{n // 1_000_000}M"
        alt = f"{r['first frame from process start']:.2f} s from process start" if "first frame from process start" in r else ""
        rows.append(row(g, f"app {k}: first frame", r["first frame"], "s", "< 0.5 s", below(r["first frame"], 0.5), alt))
        rows.append(row(g, f"app {k}: first rows shown", r["first rows"], "s", "", None,
                        f"page(0) in store {r['page(0) no filter'] * 1000:.1f} ms"))
        for key in ("j", "]"):
            med, mx = r[f"key {key} CPU (median)"] * 1000, r[f"key {key} CPU (max)"] * 1000
            rows.append(row(g, f"app {k}: key {key} CPU (median of 30)", med, "ms", "< 16 ms", below(med, 16), f"max {mx:.1f} ms"))
        rows.append(row(g, f"app {k}: pilot press j, all threads CPU", r["press j CPU all threads avg"] * 1000, "ms",
                        "(< 16 ms)", None,
                        f"includes Textual's test pilot; wall {r['press j via pilot, wall avg'] * 1000:.1f} ms"))
        ui = r["press j CPU UI thread avg"] * 1000
        rows.append(row(g, f"app {k}: pilot press j, UI thread CPU", ui, "ms", "< 16 ms", below(ui, 16),
                        "key, repaint, detail reload and the pilot's own waiting loop"))
        if "held j CPU UI thread per key" in r:
            h = r["held j CPU UI thread per key"] * 1000
            rows.append(row(g, f"app {k}: held j (30/s), UI thread CPU per key", h, "ms", "< 16 ms", below(h, 16),
                            f"harness {r['held j harness per key'] * 1000:.1f} ms/key taken off"))
        q = r["query first rows shown"]
        rows.append(row(g, f"app {k}: query first page shown (城市大脑)", q * 1000, "ms", "< 300 ms", below(q, 0.3),
                        f"counted {r['query counted (years)'] * 1000:.0f} ms; +date {r['query+date first rows shown'] * 1000:.0f} ms"))
        c = r["query counted (years)"]
        rows.append(row(g, f"app {k}: query counted, status bar total (城市大脑)", c * 1000, "ms", "", None,
                        f"Store.years() alone {r['years() query'] * 1000:.0f} ms"))
        rows.append(row(g, f"app {k}: peak memory", r["peak RSS MB"], "MB", "< 200 MB", below(r["peak RSS MB"], 200)))
    return rows


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    ap.add_argument("--million", action="store_true", help="add a 1,000,000-event database")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", help="write the result rows to this file")
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        n, db, spawned, out = args.child
        Path(out).write_text(json.dumps(child(int(n), Path(db), float(spawned))))
        return
    sizes = list(args.sizes) + ([1_000_000] if args.million else [])
    results: dict[int, dict] = {}
    for n in sizes:
        results[n] = measure_size(n, args.seed)
        print(f"{n:,} events done", file=sys.stderr)
    keys = list(dict.fromkeys(k for r in results.values() for k in r))
    print(f"{'measure':34}" + "".join(f"{n:>14,}" for n in sizes))
    for k in keys:
        print(f"{k:34}" + "".join(f"{fmt(results[n][k], k) if k in results[n] else '-':>14}" for n in sizes))
    print("(each size in its own process: peak RSS is that process's)\n")
    rows = to_rows(results)
    print_rows(rows)
    write_json(args.json, rows, {"sizes": {str(n): r for n, r in results.items()}})


if __name__ == "__main__":
    main()
