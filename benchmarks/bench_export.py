"""Benchmark `export` on a synthetic database of a million events: time and peak memory.

    python benchmarks/bench_export.py [--events 1000000] [--db /tmp/hz-bench-1m.db] [--fresh]
                                      [--formats json,jsonl,csv,ics,html]

Builds the database once (raw executemany in one transaction into the schema tables, ~1.2
mentions, 2 entities and 1 tag per event; reused on later runs unless --fresh), then runs each
export in its own child process and reports wall time, events per second, output size and the
child's peak RSS. JSON runs three ways: records built as JSON by SQLite (what the product does for
json/jsonl), Python dicts serialized with orjson, and the same dicts with the standard library's
json; plus once on a ~10% slice to show memory does not grow with the count. Target: 1,000,000 events to JSON in under 10 s. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sqlite3
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hz_timeline.store import Filter, Store  # noqa: E402

WORDS = ("杭州", "宁波", "数字经济", "研发补贴", "孵化器", "大模型", "人工智能", "阿里巴巴", "西湖", "亚运会",
         "城市竞争", "产业政策", "人才引进", "长三角", "科技创新", "民营经济", "财政收入", "GDP", "上海", "南京")
KINDS = ("past", "statistic", "plan", "forecast")
PRECISIONS = ("day", "month", "year", "range", "season")


def build(final: Path, n: int) -> None:
    """A synthetic events.db with n events, written with raw SQL in one transaction (then renamed into place)."""
    path = final.with_name(final.name + ".building")
    for p in (final, path, Path(f"{final}-wal"), Path(f"{final}-shm"), Path(f"{path}-wal"), Path(f"{path}-shm")):
        p.unlink(missing_ok=True)
    t0 = time.perf_counter()
    Store(path).conn.close()  # schema and meta rows
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    rnd = random.Random(20250206)
    base = date(1950, 1, 1).toordinal()
    span = date(2025, 12, 31).toordinal() - base
    n_docs, n_ent, n_tag = 2000, 400, 40
    now = "2025-02-06T00:00:00+00:00"
    with conn:
        conn.executemany(
            "INSERT INTO documents (id, path, title, outlet, published, published_precision, published_source,"
            " script, format, sha256, chars, text, imported_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            ((i, f"corpus/bench/{i:05d}.txt", f"{WORDS[i % 20]}的第{i}篇报道", "新闻社", "2025-02-06", "day",
              "given", "simplified", "text", f"{i:064x}", 200, "正文" * 100, now) for i in range(1, n_docs + 1)))
        conn.executemany("INSERT INTO entities (id, name, type) VALUES (?,?,?)",
                         ((i, f"{WORDS[i % 20]}{i}", "place" if i % 3 else "org") for i in range(1, n_ent + 1)))
        conn.executemany("INSERT INTO tags (id, name) VALUES (?,?)", ((i, f"tag-{i}") for i in range(1, n_tag + 1)))

        def events():
            for i in range(1, n + 1):
                s = base + rnd.randrange(span)
                prec = PRECISIONS[i % 5]
                d = date.fromordinal(s)
                if prec == "year":
                    start, end = date(d.year, 1, 1), date(d.year, 12, 31)
                elif prec == "month":
                    start = d.replace(day=1)
                    end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
                elif prec == "range":
                    start, end = d, d + timedelta(days=rnd.randrange(1, 900))
                else:
                    start = end = d
                w = WORDS[i % 20] + WORDS[(i * 7) % 20]
                yield (i, f"ev-{i:012x}", start.isoformat(), end.isoformat(), start.year, prec, 0,
                       f"{w}事件{i}", f"{start.year}年,{w}相关的第{i}件事发生了,这是摘要文字。", KINDS[i % 4], 1, 1, 0)

        conn.executemany('INSERT INTO events (id, uid, start, "end", year, precision, approx, title, summary, kind,'
                         " n_mentions, n_sources, disputed) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", events())

        def mentions():
            mid = 0
            for i in range(1, n + 1):
                for k in range(2 if i % 5 == 0 else 1):
                    mid += 1
                    yield (mid, i, 1 + (i + k) % n_docs, 10, 40, f"第{i}件事的原文句子,带有时间表达。", "2014年", 12, 17,
                           None, None, "year", 0, "explicit", "2014年 → 2014", None, None, None, None, None, None)

        conn.executemany(
            'INSERT INTO mentions (id, event_id, document_id, start_char, end_char, quote, time_text, time_start_char,'
            ' time_end_char, start, "end", precision, approx, resolution, explanation, title, kind, entities, tags,'
            " merge_score, merge_reasons) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", mentions())
        # Fill mention dates from their events in one statement (cheaper than in Python).
        conn.execute('UPDATE mentions SET start = (SELECT start FROM events e WHERE e.id = mentions.event_id),'
                     ' "end" = (SELECT "end" FROM events e WHERE e.id = mentions.event_id)')
        conn.executemany("INSERT INTO event_entities (event_id, entity_id) VALUES (?,?)",
                         ((i, 1 + (i * 13 + j) % n_ent) for i in range(1, n + 1) for j in (0, 17)))
        conn.executemany("INSERT INTO event_tags (event_id, tag_id) VALUES (?,?)",
                         ((i, 1 + i % n_tag) for i in range(1, n + 1)))
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    os.replace(path, final)
    path = final
    print(f"built {path} with {n:,} events in {time.perf_counter() - t0:.1f} s "
          f"({path.stat().st_size / 1e6:.0f} MB)", flush=True)


def child(db: str, fmt: str, dumps: str, to: str | None, out: str) -> None:
    """One export in this process; prints a JSON line with time and peak RSS."""
    import hz_timeline.export as ex

    if dumps == "orjson":  # Python dicts (store.bulk.iter_records) serialized by orjson
        import orjson

        ex._dumps = orjson.dumps
    elif dumps == "json":  # ... or by the standard library (same output: no floats in records)
        ex._dumps = lambda o: json.dumps(o, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    with Store(db, create=False) as store:
        n = ex.export(store, Filter(date_to=to), fmt, out)
    seconds = time.perf_counter() - t0
    ru = resource.getrusage(resource.RUSAGE_SELF)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(json.dumps({"events": n, "seconds": seconds, "cpu_seconds": ru.ru_utime + ru.ru_stime, "peak_rss_mb": peak / 1024, "rss_before_mb": rss0 / 1024,
                      "bytes": os.path.getsize(out)}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--db", default=None)
    ap.add_argument("--fresh", action="store_true", help="rebuild the database even if it exists")
    ap.add_argument("--formats", default="json", help="comma-separated extra formats to time, e.g. json,jsonl,csv,html")
    ap.add_argument("--out", default=None, help="output folder (default: beside the database)")
    ap.add_argument("--child", nargs=4, metavar=("FMT", "DUMPS", "TO", "OUT"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    db = Path(a.db or f"/tmp/hz-bench-{a.events // 1000}k.db")
    if a.child:
        fmt, dumps, to, out = a.child
        child(str(db), fmt, dumps, None if to == "-" else to, out)
        return
    fresh = a.fresh or not db.exists()
    if not fresh:
        try:
            with sqlite3.connect(db) as c:
                fresh = c.execute("SELECT count(*) FROM events").fetchone()[0] != a.events
        except sqlite3.DatabaseError:
            fresh = True
    if fresh:
        build(db, a.events)
    with sqlite3.connect(db) as c:  # the start date of the ~10% slice's last event
        tenth = c.execute('SELECT start FROM events ORDER BY start, "end", uid LIMIT 1 OFFSET ?',
                          (a.events // 10,)).fetchone()[0]
    outdir = Path(a.out or db.parent)
    runs = [("json", "sqlite", "-"), ("json", "sqlite", tenth), ("json", "orjson", "-"), ("json", "json", "-")]
    runs += [(f, "sqlite", "-") for f in a.formats.split(",") if f and f != "json"]
    print(f"{'format':<11} {'serializer':<10} {'events':>10} {'seconds':>8} {'cpu s':>7} {'events/s':>10} {'MB out':>8} {'peak RSS':>9}")
    for fmt, dumps, to in runs:
        out = outdir / f"hz-bench-export.{fmt}"
        p = subprocess.run([sys.executable, __file__, "--db", str(db), "--events", str(a.events),
                            "--child", fmt, dumps, to, str(out)], capture_output=True, text=True)
        if p.returncode:
            raise SystemExit(p.stderr)
        r = json.loads(p.stdout.strip().splitlines()[-1])
        print(f"{fmt:<11} {dumps if fmt in ('json', 'jsonl') else '-':<10} {r['events']:>10,} {r['seconds']:>8.2f} {r['cpu_seconds']:>7.2f} "
              f"{r['events'] / r['seconds']:>10,.0f} {r['bytes'] / 1e6:>8.0f} {r['peak_rss_mb']:>6.0f} MB", flush=True)
        out.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
