"""Benchmark find_dates on realistic Chinese news text, with JioNLP and dateparser side by side when installed.

    python benchmarks/bench_dates.py [--repeat N] [--others-chars N] [files...]

Default text: the bundled sample articles (hz_timeline/corpus/*.txt, or shared/seeds/*.txt) repeated to
about 2 million characters.  The third-party tools are much slower, so they get a shorter slice of the
same text (--others-chars) and their rate is extrapolated per character.  Not part of the test suite.
"""

from __future__ import annotations

import argparse
import datetime as dt
import glob
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hz_timeline.importers.dates import find_dates  # noqa: E402

REF = dt.date(2025, 2, 6)


def _load(paths: list[str]) -> str:
    if not paths:
        paths = sorted(glob.glob(str(ROOT / "hz_timeline" / "corpus" / "*.txt")))
        if not paths:
            paths = sorted(glob.glob(str(ROOT.parent / "shared" / "seeds" / "*.txt")))
    if not paths:
        raise SystemExit("no input text: pass files")
    return "\n".join(Path(p).read_text("utf-8") for p in paths)


def _rate(label: str, n_chars: int, seconds: float, found: int) -> None:
    cps = n_chars / seconds if seconds else float("inf")
    mbs = cps * 3 / 1e6  # ~3 UTF-8 bytes per CJK character
    print(f"{label:<28} {n_chars:>10,} chars  {seconds:8.3f} s  {cps:>14,.0f} chars/s  {mbs:7.2f} MB/s(utf-8)  {found:>7} found")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="*")
    ap.add_argument("--target-chars", type=int, default=2_000_000)
    ap.add_argument("--others-chars", type=int, default=20_000)
    ap.add_argument("--no-others", action="store_true")
    args = ap.parse_args()

    base = _load(args.files)
    text = base * max(1, args.target_chars // len(base))
    print(f"text: {len(base):,} chars of sample articles, repeated to {len(text):,} chars; ref {REF}")

    find_dates(base[:1000], REF)  # warm up (regex compile is at import)
    best = None
    for _ in range(3):
        t0 = time.perf_counter()
        res = find_dates(text, REF)
        t = time.perf_counter() - t0
        best = t if best is None else min(best, t)
    _rate("hz_timeline find_dates", len(text), best, len(res))
    t0 = time.perf_counter()
    res = find_dates(text, None)
    _rate("  (ref=None)", len(text), time.perf_counter() - t0, len(res))

    if args.no_others:
        return
    sample = base[: args.others_chars]
    try:
        import jionlp  # noqa: F401

        os.environ.setdefault("JIONLP_NO_BANNER", "1")
        import jionlp as jio

        extract_time = getattr(jio, "extract_time", None) or jio.ner.extract_time
        extract_time(sample[:200], time_base=time.mktime(REF.timetuple()))  # warm up / load dictionaries
        t0 = time.perf_counter()
        found = extract_time(sample, time_base=time.mktime(REF.timetuple()), with_parsing=True)
        _rate("jionlp.extract_time", len(sample), time.perf_counter() - t0, len(found))
    except ImportError:
        print("jionlp: not installed (pip install jionlp)")
    except Exception as exc:  # pragma: no cover - third-party failures are reported, not fatal
        print(f"jionlp: failed: {exc!r}")
    try:
        from dateparser.search import search_dates

        search_dates(sample[:200], languages=["zh"])
        t0 = time.perf_counter()
        found = search_dates(sample, languages=["zh"],
                             settings={"RELATIVE_BASE": dt.datetime(REF.year, REF.month, REF.day)}) or []
        _rate("dateparser.search_dates", len(sample), time.perf_counter() - t0, len(found))
    except ImportError:
        print("dateparser: not installed")
    except Exception as exc:  # pragma: no cover
        print(f"dateparser: failed: {exc!r}")


if __name__ == "__main__":
    main()
