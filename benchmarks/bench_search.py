"""Benchmark search on the shared synthetic events.db (benchmarks/synth.py), FTS5 beside a LIKE scan.

    python benchmarks/bench_search.py                      # 1,000,000 events (built once, cached in benchmarks/out/)
    python benchmarks/bench_search.py --events 100000      # quick mode
    python benchmarks/bench_search.py --db x.db            # any events.db (rare terms may then be absent)
    python benchmarks/bench_search.py --json out.json      # also write machine-readable rows

Every term of ``synth.TERMS`` (planted rare names of 1-9 characters, common ones such as 年 and
杭州, script variants, adversarial reversed pairs, field filters) is timed through ``Store``: its
count, its first date-ordered page (100 events) and its first relevance page. "cold" is the first
call on a fresh connection (what a user typing a new query gets: it includes the planner's
frequency probe), the median of three fresh connections; "warm" the median of --repeat more. Beside it, the same count by a plain LIKE scan
of title/summary and, for a term with alias alternatives (杭州 also searches 杭州市), the count with
the full expression instead of the lean one the store uses (the plan it replaced). Targets (1M
events): rare terms of any length < 5 ms; count of a term in most events < 150 ms; its first
date-ordered page < 300 ms. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import synth  # noqa: E402
from common import below, print_rows, row, write_json  # noqa: E402

from hz_timeline.store import Filter, Store  # noqa: E402
from hz_timeline.store.queries import compiled  # noqa: E402
from hz_timeline.store.querylang import like_pattern  # noqa: E402
from hz_timeline.text import to_simplified  # noqa: E402


def _chars(term: str) -> str:
    return f"{len(term)} char{'s' if len(term) > 1 else ''}"


def _ms(fn) -> tuple[float, object]:
    t = time.perf_counter()
    res = fn()
    return (time.perf_counter() - t) * 1000, res


COLD = 3  # fresh connections per term; the median is reported (one sample on 2 shared cores can
          # be a scheduler pause of several ms, not the query)


def _cold(path: Path, f: Filter) -> dict:
    samples: dict[str, list] = {"count": [], "page": [], "rel": []}
    matches = None
    for _ in range(COLD):
        s = Store(path, readonly=True)
        try:
            t, matches = _ms(lambda: s.count(f))
            samples["count"].append(t)
            samples["page"].append(_ms(lambda: s.page(f, 0, 100))[0])
            samples["rel"].append(_ms(lambda: s.page(f, 0, 100, order="relevance"))[0])
        finally:
            s.close()
    out = {f"{k}_cold_ms": statistics.median(v) for k, v in samples.items()}
    out.update({f"{k}_cold_samples": v for k, v in samples.items()})
    out["matches"] = matches
    return out


def time_term(path: Path, term: str, repeat: int, like: bool) -> dict:
    f = Filter(query=term)
    out = {"term": term, "chars": len(term), **_cold(path, f)}
    store = Store(path, readonly=True)
    try:
        for key, fn in (("count", lambda: store.count(f)), ("page", lambda: store.page(f, 0, 100)),
                        ("rel", lambda: store.page(f, 0, 100, order="relevance"))):
            out[f"{key}_warm_ms"] = statistics.median(_ms(fn)[0] for _ in range(repeat))
        c = compiled(term)
        if c is not None and c.fts and c.lean != c.fts and not c.rest:
            # The plan it replaces: counting with the full expression (every alias alternative,
            # as relevance order still uses it), cold on a fresh connection too.
            old = Store(path, readonly=True)
            try:
                sql = "SELECT count(*) FROM events_fts WHERE events_fts MATCH ?"
                out["count_full_cold_ms"], n_full = _ms(lambda: old.conn.execute(sql, (c.fts,)).fetchone()[0])
                out["count_full_warm_ms"] = statistics.median(
                    _ms(lambda: old.conn.execute(sql, (c.fts,)).fetchone()[0])[0] for _ in range(repeat))
            finally:
                old.close()
            assert n_full == out["matches"], (term, n_full, out["matches"])
        if like and ":" not in term and " " not in term:
            pat = like_pattern(to_simplified(term))
            out["like_ms"], out["like_matches"] = _ms(lambda: store.conn.execute(
                "SELECT count(*) FROM events WHERE title LIKE ?1 ESCAPE '\\' OR summary LIKE ?1 ESCAPE '\\'",
                (pat,)).fetchone()[0])
        return out
    finally:
        store.close()


def run(path: Path, repeat: int = 5, like: bool = True, verbose: bool = True) -> dict:
    with Store(path, readonly=True) as s:
        n = s.count()
        s.page(Filter(query="热身 warm-up"), 0, 100)  # loads OpenCC and the query parser, once per process
    time_term(path, "热身", 1, False)
    results = []
    if verbose:
        print(f"{'term':<24} {'len':>3} {'kind':<11} {'matches':>8} {'count ms':>17} {'page ms':>17} {'rel ms':>17}"
              f" {'LIKE ms':>8}\n{'':<50}{'cold / warm':>17}", flush=True)
    for term, kind in synth.TERMS:
        r = time_term(path, term, repeat, like)
        r["kind"] = kind
        results.append(r)
        if verbose:
            like_s = f"{r['like_ms']:>8.1f}" if "like_ms" in r else f"{'-':>8}"
            print(f"{term:<24} {len(term):>3} {kind:<11} {r['matches']:>8} "
                  f"{r['count_cold_ms']:>8.2f}/{r['count_warm_ms']:<8.2f} {r['page_cold_ms']:>8.2f}/{r['page_warm_ms']:<8.2f} "
                  f"{r['rel_cold_ms']:>8.2f}/{r['rel_warm_ms']:<8.2f} {like_s}", flush=True)
    by = {r["term"]: r for r in results}
    g = f"search ({n:,} events)"
    rows = []

    def like_alt(r):
        return f"LIKE scan {r['like_ms']:,.0f} ms" if "like_ms" in r else ""

    def count_alt(r):
        alts = [like_alt(r)] if "like_ms" in r else []
        if "count_full_cold_ms" in r:
            alts.append(f"full alias expression {r['count_full_cold_ms']:,.0f} ms")
        return "; ".join(alts)

    for term in ("燚", "鑫淼", "犇垚智造", "龘森量子计算", "zhipuqing"):
        r = by[term]
        v = max(r["count_cold_ms"], r["page_cold_ms"])
        rows.append(row(g, f"rare term, {_chars(term)} ({term}, {r['matches']} hits): count & first page", v, "ms",
                        "< 5 ms", below(v, 5), like_alt(r)))
    for term in ("年", "杭州", "人工智能"):
        r = by[term]
        share = r["matches"] / n if n else 0
        most = share > 0.5
        rows.append(row(g, f"{'common' if most else 'medium'} term, {_chars(term)} ({term}, {share:.0%} of events): count",
                        r["count_cold_ms"], "ms", "< 150 ms" if most else "", below(r["count_cold_ms"], 150) if most else None,
                        count_alt(r)))
        rows.append(row(g, f"{'common' if most else 'medium'} term, {_chars(term)} ({term}): first date page",
                        r["page_cold_ms"], "ms", "< 300 ms", below(r["page_cold_ms"], 300),
                        f"relevance page {r['rel_cold_ms']:,.0f} ms"))
    worst = max(results, key=lambda r: r["page_cold_ms"])
    rows.append(row(g, f"slowest first date page of {len(results)} queries ({worst['term']})", worst["page_cold_ms"], "ms",
                    "< 300 ms", below(worst["page_cold_ms"], 300)))
    worst = max(results, key=lambda r: r["count_cold_ms"])
    rows.append(row(g, f"slowest count of {len(results)} queries ({worst['term']})", worst["count_cold_ms"], "ms"))
    return {"rows": rows, "info": {"events": n, "db": str(path), "terms": results}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--db", type=Path, help="an existing events.db instead of the synthetic one")
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-like", action="store_true", help="Skip the LIKE scans.")
    ap.add_argument("--json", help="write the result rows to this file")
    a = ap.parse_args()
    path = a.db or synth.cached_db(a.events, a.seed, a.rebuild, log=lambda s: print(s, flush=True))
    res = run(path, a.repeat, not a.no_like)
    print()
    print_rows(res["rows"])
    write_json(a.json, res["rows"], res["info"])


if __name__ == "__main__":
    main()
