"""Benchmark find_dates on realistic Chinese news text, with JioNLP and dateparser side by side when installed.

    python benchmarks/bench_dates.py [--target-chars N] [--others-chars N] [--json out.json] [files...]

Default text: generated articles (benchmarks/generate.py: varied templates, dates in many forms, a
fifth in traditional script) up to --target-chars characters; or the given files. Every engine is
called once per article on the same articles (one core, one process). The third-party tools are
much slower, so they get the first --others-chars characters of the same articles and their rate
is per character. Target: >= 1,000,000 chars/s on one core (JioNLP ~180k, dateparser ~45k).
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from common import print_rows, row, write_json  # noqa: E402
from generate import article  # noqa: E402

from hz_timeline.importers.dates import find_dates  # noqa: E402

REF = dt.date(2025, 2, 6)


def _texts(files: list[str], target_chars: int, seed: int = 7) -> list[str]:
    if files:
        base = [Path(p).read_text("utf-8") for p in files]
        out, n = [], 0
        while n < target_chars:
            for t in base:
                out.append(t)
                n += len(t)
        return out
    out, n, i = [], 0, 0
    while n < target_chars:
        t = article(i, seed)["text"]
        out.append(t)
        n += len(t)
        i += 1
    return out


def _slice(texts: list[str], chars: int) -> list[str]:
    out, n = [], 0
    for t in texts:
        if n >= chars:
            break
        out.append(t)
        n += len(t)
    return out


def _time(fn, texts: list[str]) -> tuple[float, int]:
    found = 0
    t0 = time.perf_counter()
    for t in texts:
        found += len(fn(t) or ())
    return time.perf_counter() - t0, found


def run(files=(), target_chars: int = 2_000_000, others_chars: int = 100_000, others: bool = True) -> dict:
    texts = _texts(list(files), target_chars)
    chars = sum(map(len, texts))
    nbytes = sum(len(t.encode()) for t in texts)
    print(f"text: {len(texts):,} articles, {chars:,} chars, {nbytes / 1e6:.1f} MB UTF-8; ref {REF}", flush=True)
    find_dates(texts[0][:1000], REF)  # warm up
    best = None
    for _ in range(3):
        secs, found = _time(lambda t: find_dates(t, REF), texts)
        best = secs if best is None else min(best, secs)
    res = {"hz": {"chars": chars, "bytes": nbytes, "seconds": best, "found": found}}
    print(f"hz_timeline find_dates: {chars / best:,.0f} chars/s, {nbytes / best / 1e6:.2f} MB/s, {found:,} found", flush=True)

    sample = _slice(texts, others_chars)
    s_chars = sum(map(len, sample))
    s_bytes = sum(len(t.encode()) for t in sample)
    if others:
        try:
            os.environ.setdefault("JIONLP_NO_BANNER", "1")
            import jionlp as jio

            extract_time = getattr(jio, "extract_time", None) or jio.ner.extract_time
            base = time.mktime(REF.timetuple())
            extract_time(sample[0][:200], time_base=base)  # warm up / load dictionaries
            secs, found = _time(lambda t: extract_time(t, time_base=base, with_parsing=True), sample)
            res["jionlp"] = {"chars": s_chars, "bytes": s_bytes, "seconds": secs, "found": found,
                             "version": getattr(jio, "__version__", "?")}
        except ImportError:
            res["jionlp"] = {"error": "not installed"}
        except Exception as exc:  # third-party failures are reported, not fatal
            res["jionlp"] = {"error": repr(exc)}
        try:
            import dateparser
            from dateparser.search import search_dates

            settings = {"RELATIVE_BASE": dt.datetime(REF.year, REF.month, REF.day)}
            search_dates(sample[0][:200], languages=["zh"])
            secs, found = _time(lambda t: search_dates(t, languages=["zh"], settings=settings), sample)
            res["dateparser"] = {"chars": s_chars, "bytes": s_bytes, "seconds": secs, "found": found,
                                 "version": dateparser.__version__}
        except ImportError:
            res["dateparser"] = {"error": "not installed"}
        except Exception as exc:
            res["dateparser"] = {"error": repr(exc)}
    hz = res["hz"]
    cps = hz["chars"] / hz["seconds"]
    alts = []
    for name in ("jionlp", "dateparser"):
        r = res.get(name)
        if not r:
            continue
        if "error" in r:
            alts.append(f"{name}: {r['error']}")
        else:
            r["cps"] = r["chars"] / r["seconds"]
            alts.append(f"{name} {r['cps']:,.0f} chars/s ({r['bytes'] / r['seconds'] / 1e6:.2f} MB/s, {r['found']} found"
                        f" in {r['chars']:,} chars)")
            print(f"{name}: {r['cps']:,.0f} chars/s on {r['chars']:,} chars, {r['found']:,} found", flush=True)
    rows = [row("dates", "date engine: chars/s on one core", cps, "chars/s", ">= 1,000,000", cps >= 1_000_000,
                "; ".join(alts)),
            row("dates", "date engine: MB/s (UTF-8)", hz["bytes"] / hz["seconds"] / 1e6, "MB/s", "", None,
                f"{hz['found']:,} dates in {hz['chars']:,} chars")]
    return {"rows": rows, "info": res}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="*")
    ap.add_argument("--target-chars", type=int, default=2_000_000)
    ap.add_argument("--others-chars", type=int, default=100_000)
    ap.add_argument("--no-others", action="store_true")
    ap.add_argument("--json", help="write the result rows to this file")
    a = ap.parse_args()
    res = run(a.files, a.target_chars, a.others_chars, not a.no_others)
    print()
    print_rows(res["rows"])
    write_json(a.json, res["rows"], res["info"])


if __name__ == "__main__":
    main()
