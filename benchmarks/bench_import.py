"""Import throughput on generated corpora, each measured against its obvious alternative.

    python benchmarks/bench_import.py                      # 10,000 articles, 1,000,000 events
    python benchmarks/bench_import.py --articles 1000 --events 100000

Articles (benchmarks/generate.py, ~3 KB of Chinese each, a fifth in traditional script):
``--jobs 1`` vs ``--jobs 2`` (workers read+decode+find_dates+extract, the parent writes), and
the extraction alone (no store) to show how much of the time is the writer's merge.
Structured events (JSONL in the export shape): the bulk path (``--jobs 1`` and ``2``) vs the
per-event merge path (``--merge``) on a sample, extrapolated. Targets from the issue: 10,000
articles < 60 s on 2 cores; 1,000,000 events < 30 s. Prints a table; nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import write_corpus, write_events_jsonl  # noqa: E402

from hz_timeline.store import Store  # noqa: E402
from hz_timeline.store.importing import ImportOptions, import_paths  # noqa: E402


def _import(db: Path, paths, **kw):
    if db.exists():
        db.unlink()
    with Store(db) as store:
        t0 = time.perf_counter()
        rep = import_paths(store, [str(p) for p in paths], options=ImportOptions(max_bytes=0, **kw))
        secs = time.perf_counter() - t0
        stats = store.stats()
        ok = store.conn.execute("PRAGMA integrity_check").fetchone()[0]
    assert not rep.errors, rep.errors[:3]
    return secs, rep, stats, ok


def _extract_only(folder: Path, jobs: int) -> float:
    from concurrent.futures import ProcessPoolExecutor

    from hz_timeline.importers.readers import ReadOptions
    from hz_timeline.store.importing import _work_file

    files = sorted(folder.iterdir())
    args = [(str(f), f.name, {}, None, None, ReadOptions(max_bytes=0), {}) for f in files]
    t0 = time.perf_counter()
    if jobs == 1:
        for a in args:
            _work_file(*a)
    else:
        with ProcessPoolExecutor(jobs) as ex:
            list(ex.map(_work_file, *zip(*args), chunksize=16))
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=10_000)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--merge-sample", type=int, default=2_000, help="events run through the per-event merge path")
    ap.add_argument("--dir", default=None, help="work folder (default: a temporary one)")
    a = ap.parse_args()
    work = Path(a.dir or tempfile.mkdtemp(prefix="hz-bench-import-"))
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    print(f"cores: {os.cpu_count()}, work folder: {work}", file=sys.stderr)

    if a.articles:
        corpus = work / f"articles-{a.articles}"
        if not corpus.exists():
            write_corpus(corpus, a.articles)
        mb = sum(f.stat().st_size for f in corpus.iterdir()) / 1e6
        for jobs in (1, 2):
            t = _extract_only(corpus, jobs)
            rows.append((f"{a.articles:,} articles ({mb:.0f} MB)", f"extract only, {jobs} job(s)", t,
                         a.articles / t, "docs/s", "-"))
        for jobs in (1, 2):
            secs, rep, stats, ok = _import(work / f"articles-j{jobs}.db", [corpus], jobs=jobs)
            rows.append((f"{a.articles:,} articles ({mb:.0f} MB)", f"import --jobs {jobs}", secs,
                         rep.documents / secs, "docs/s", f"{stats['events']:,} events, {ok}"))
            print(rows[-1], file=sys.stderr)

    if a.events:
        src = work / f"events-{a.events}.jsonl"
        if not src.exists():
            write_events_jsonl(src, a.events)
        mb = src.stat().st_size / 1e6
        for jobs in (1, 2):
            secs, rep, stats, ok = _import(work / f"events-j{jobs}.db", [src], jobs=jobs)
            rows.append((f"{a.events:,} events JSONL ({mb:.0f} MB)", f"bulk --jobs {jobs}", secs,
                         rep.events_new / secs, "events/s", f"{stats['events']:,} events, {ok}"))
            print(rows[-1], file=sys.stderr)
        n = min(a.merge_sample, a.events)
        sample = work / f"events-sample-{n}.jsonl"
        write_events_jsonl(sample, n)
        for merge in (False, True):
            secs, rep, stats, ok = _import(work / f"events-sample-{merge}.db", [sample], merge=merge)
            rate = n / secs
            rows.append((f"{n:,} events JSONL (sample)", "per-event --merge" if merge else "bulk", secs, rate,
                         "events/s", f"1M would take ~{1_000_000 / rate:,.0f} s; {stats['events']:,} events, {ok}"))

    print(f"\n{'input':<32} {'how':<24} {'seconds':>9} {'rate':>12}  note")
    for what, how, secs, rate, unit, note in rows:
        print(f"{what:<32} {how:<24} {secs:>9.2f} {rate:>8,.0f} {unit:<9} {note}")


if __name__ == "__main__":
    main()
