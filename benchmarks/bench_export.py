"""Benchmark `export` on the shared synthetic database of a million events: time and peak memory.

    python benchmarks/bench_export.py [--events 1000000] [--db some.db] [--formats json,jsonl,csv,ics,html]
                                      [--json out.json]

The database is the shared synthetic one (benchmarks/synth.py: ~1.2 mentions, 2-3 entities and
0-2 tags per event; cached in benchmarks/out/). Each export runs in its own child process and
reports wall time, events per second, output size and peak RSS: the child's, plus the peaks of
the export's worker processes (VmHWM, read just before each is stopped) when it used them. JSON
runs four ways: records built as JSON by SQLite in parallel parts by worker processes (what the
product does for big json/jsonl exports), the same records from one SQLite query in the child
alone (the product's path for small exports), Python dicts serialized with orjson, and the same
dicts with the standard library's json; plus once on a ~10% slice to show memory does not grow
with the count. Target: 1,000,000 events to JSON in under 10 s, memory not growing with the count.
The load average is printed with each run: other work on the machine slows the parallel export
most. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import synth  # noqa: E402
from common import below, print_rows, row, write_json  # noqa: E402

from hz_timeline.store import Filter, Store  # noqa: E402

def child(db: str, fmt: str, dumps: str, to: str | None, out: str) -> None:
    """One export in this process; prints a JSON line with time, CPU and peak RSS (with its workers')."""
    import hz_timeline.export as ex
    import hz_timeline.store.bulk as bulk

    if dumps == "orjson":  # Python dicts (store.bulk.iter_records) serialized by orjson
        import orjson

        ex._dumps = orjson.dumps
    elif dumps == "json":  # ... or by the standard library (same output: no floats in records)
        ex._dumps = lambda o: json.dumps(o, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    elif dumps == "sqlite1":  # SQLite-built records from one query in this process: no workers
        ex.parallel_workers = lambda: 1
    workers = []  # (peak RSS MB, CPU s) of each worker process, read just before it is stopped
    stop = bulk._Worker.stop

    def measured_stop(w):
        try:
            with open(f"/proc/{w.proc.pid}/status", encoding="ascii") as fh:
                hwm = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
            with open(f"/proc/{w.proc.pid}/stat", encoding="ascii") as fh:
                ticks = fh.read().rsplit(")", 1)[1].split()
            workers.append((hwm / 1024, (int(ticks[11]) + int(ticks[12])) / os.sysconf("SC_CLK_TCK")))
        except (OSError, StopIteration, IndexError, ValueError):
            pass
        stop(w)

    bulk._Worker.stop = measured_stop
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    with Store(db, create=False) as store:
        n = ex.export(store, Filter(date_to=to), fmt, out)
    seconds = time.perf_counter() - t0
    ru = resource.getrusage(resource.RUSAGE_SELF)
    peak = ru.ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"events": n, "seconds": seconds,
                      "cpu_seconds": ru.ru_utime + ru.ru_stime + sum(c for _, c in workers),
                      "peak_rss_mb": peak + sum(m for m, _ in workers), "own_rss_mb": peak,
                      "workers": len(workers), "worker_rss_mb": [round(m, 1) for m, _ in workers],
                      "rss_before_mb": rss0 / 1024, "bytes": os.path.getsize(out), "load": os.getloadavg()[0]}))


def run_one(db: Path, fmt: str, dumps: str, to: str, out: Path) -> dict:
    p = subprocess.run([sys.executable, __file__, "--db", str(db), "--child", fmt, dumps, to, str(out)],
                       capture_output=True, text=True)
    out.unlink(missing_ok=True)
    if p.returncode:
        raise SystemExit(p.stderr)
    return json.loads(p.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--db", default=None, help="an existing events.db instead of the synthetic one")
    ap.add_argument("--formats", default="json", help="comma-separated extra formats to time, e.g. json,jsonl,csv,html")
    ap.add_argument("--out", default=None, help="output folder (default: benchmarks/out)")
    ap.add_argument("--json", help="write the result rows to this file")
    ap.add_argument("--child", nargs=4, metavar=("FMT", "DUMPS", "TO", "OUT"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        fmt, dumps, to, out = a.child
        child(a.db, fmt, dumps, None if to == "-" else to, out)
        return
    db = Path(a.db) if a.db else synth.cached_db(a.events, a.seed, log=lambda s: print(s, flush=True))
    with sqlite3.connect(db) as c:  # the start date of the ~10% slice's last event
        n = c.execute("SELECT count(*) FROM events").fetchone()[0]
        tenth = c.execute('SELECT start FROM events ORDER BY start, "end", uid LIMIT 1 OFFSET ?',
                          (n // 10,)).fetchone()[0]
    outdir = Path(a.out or synth.OUT)
    outdir.mkdir(parents=True, exist_ok=True)
    runs = [("json", "sqlite", "-"), ("json", "sqlite", tenth), ("json", "sqlite1", "-"), ("json", "orjson", "-"),
            ("json", "json", "-")]
    runs += [(f, "sqlite", "-") for f in a.formats.split(",") if f and f != "json"]
    print(f"{'format':<11} {'serializer':<10} {'events':>10} {'seconds':>8} {'cpu s':>7} {'events/s':>10} {'MB out':>8} "
          f"{'peak RSS':>9}  {'workers':<16} {'load':>5}")
    res = []
    for fmt, dumps, to in runs:
        r = run_one(db, fmt, dumps, to, outdir / f"hz-bench-export.{fmt}")
        r.update(format=fmt, serializer=dumps, slice=to != "-")
        res.append(r)
        wk = f"{r['workers']} x {max(r['worker_rss_mb']):.0f} MB" if r["workers"] else "-"
        print(f"{fmt:<11} {dumps if fmt in ('json', 'jsonl') else '-':<10} {r['events']:>10,} {r['seconds']:>8.2f} {r['cpu_seconds']:>7.2f} "
              f"{r['events'] / r['seconds']:>10,.0f} {r['bytes'] / 1e6:>8.0f} {r['peak_rss_mb']:>6.0f} MB  {wk:<16} {r['load']:>5.2f}",
              flush=True)
    full, part, one, orj, std = res[:5]
    g = f"export ({n:,} events)"
    k = f"{n // 1_000_000}M" if n >= 1_000_000 else f"{n // 1000}k"
    how = f"{full['workers']} worker processes" if full["workers"] else "one query (no workers)"
    rows = [row(g, f"export {k} events to JSON: time", full["seconds"], "s", "< 10 s", below(full["seconds"], 10),
                f"{how}; one query {one['seconds']:.1f} s, orjson dicts {orj['seconds']:.1f} s, "
                f"stdlib json {std['seconds']:.1f} s; load {full['load']:.1f}"),
            row(g, f"export {k} events to JSON: peak memory", full["peak_rss_mb"], "MB", "flat",
                full["peak_rss_mb"] <= part["peak_rss_mb"] * 1.25 + 20,
                f"process {full['own_rss_mb']:.0f} MB + workers {full['peak_rss_mb'] - full['own_rss_mb']:.0f} MB; "
                f"{part['events']:,}-event slice {part['peak_rss_mb']:.0f} MB; one query {one['peak_rss_mb']:.0f} MB; "
                f"stdlib json {std['peak_rss_mb']:.0f} MB"),
            row(g, f"export {k} events to JSON: output", full["bytes"] / 1e6, "MB")]
    for r in res[5:]:
        rows.append(row(g, f"export {k} events to {r['format']}: time", r["seconds"], "s", "", None,
                        f"peak {r['peak_rss_mb']:.0f} MB, {r['bytes'] / 1e6:.0f} MB out"))
    print()
    print_rows(rows)
    write_json(a.json, rows, {"events": n, "db": str(db), "runs": res})


if __name__ == "__main__":
    main()
