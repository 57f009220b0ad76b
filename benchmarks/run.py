"""Run every benchmark and print one table of figures against the targets stated in the issues.

    python benchmarks/run.py                    # full sizes: 10,000 articles, 1,000,000 events (tens of minutes)
    python benchmarks/run.py --quick            # small sizes: 1,000 articles, 100,000 events (a few minutes)
    python benchmarks/run.py --only search,size --json out.json

Each benchmark runs in its own subprocess (so memory figures are its own) and writes its rows as
JSON; the synthetic databases are built first (benchmarks/synth.py, cached in benchmarks/out/).
The table has: measure | value | target | pass/fail | the alternative measured in the same run.
Targets are stated for the full sizes; in --quick mode they are shown for reference only.
Never run in CI: it takes minutes and its figures depend on the machine (printed first, with the
load average before and after).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import synth  # noqa: E402
from common import fmt_value, machine, row  # noqa: E402

ALL = ("dates", "import", "search", "tui", "export", "size")
FULL = {"dates_chars": 2_000_000, "others_chars": 100_000, "articles": 10_000, "jsonl_events": 1_000_000,
        "search": 1_000_000, "tui": [10_000, 100_000, 1_000_000], "export": 1_000_000, "size": 1_000_000}
QUICK = {"dates_chars": 500_000, "others_chars": 50_000, "articles": 1_000, "jsonl_events": 100_000,
         "search": 100_000, "tui": [10_000, 100_000], "export": 100_000, "size": 100_000}


def bench(script: str, args: list[str], log) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        out = Path(fh.name)
    t0 = time.perf_counter()
    log(f"\n=== {script} {' '.join(args)}")
    try:
        p = subprocess.run([sys.executable, str(HERE / script), *args, "--json", str(out)])
        secs = time.perf_counter() - t0
        if p.returncode or not out.stat().st_size:
            return {"rows": [row(script, f"{script} failed (exit {p.returncode})", None, "")], "info": {}, "seconds": secs}
        res = json.loads(out.read_text("utf-8"))
        res["seconds"] = secs
        return res
    finally:
        out.unlink(missing_ok=True)


def size_rows(n: int, import_db_mb: float | None = None) -> dict:
    db = synth.cached_db(n)
    r = synth.size_report(db)
    per_m = 1e6 / r["events"]
    g = "size"
    text = r["index_text_bytes"] or 0
    rows = [
        row(g, "database size per million events", r["file_bytes"] * per_m / 1e6, "MB", "", None,
            f"documents' text {r['documents_bytes'] * per_m / 1e6:.0f} MB of it"
            + (f"; structured import of 1M events: {import_db_mb:.0f} MB" if import_db_mb else "")),
        row(g, "FTS share of the file (index + content copy)", 100 * r["fts_all_bytes"] / r["file_bytes"], "%", "", None,
            f"index {r['fts_index_bytes'] * per_m / 1e6:.0f} MB + content copy {r['fts_content_bytes'] * per_m / 1e6:.0f} MB per M"),
        row(g, "FTS index vs the text it covers", r["fts_index_bytes"] / text if text else None, "x", "<= 1",
            (r["fts_index_bytes"] <= text) if text else None,
            f"text {text * per_m / 1e6:.0f} MB per M; with its content copy {r['fts_all_bytes'] / max(1, text):.2f}x"),
    ]
    return {"rows": rows, "info": {k: v for k, v in r.items()}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes (100k events, 1,000 articles)")
    ap.add_argument("--only", default=",".join(ALL), help=f"comma-separated subset of {','.join(ALL)}")
    ap.add_argument("--json", help="write machine, sizes and every row to this file")
    ap.add_argument("--import-budget", type=float, default=None,
                    help="stop an article/event import after this many seconds and extrapolate (default 600, quick 120)")
    a = ap.parse_args()
    only = [x.strip() for x in a.only.split(",") if x.strip()]
    bad = set(only) - set(ALL)
    if bad:
        ap.error(f"unknown benchmark(s): {', '.join(sorted(bad))}")
    sz = QUICK if a.quick else FULL
    budget = a.import_budget if a.import_budget is not None else (120 if a.quick else 600)

    def log(s):
        print(s, flush=True)

    started = datetime.now(timezone.utc)
    m0 = machine()
    cmd = "python benchmarks/" + " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])
    log(f"hz-timeline benchmarks, {'quick' if a.quick else 'full'} sizes; {started:%Y-%m-%d %H:%M} UTC")
    for k, v in m0.items():
        log(f"  {k:<16} {v}")
    t_all = time.perf_counter()
    # Build the shared databases first, so no benchmark's figures include building them.
    need = sorted({*([sz["search"]] if "search" in only else []), *(sz["tui"] if "tui" in only else []),
                   *([sz["export"]] if "export" in only else []), *([sz["size"]] if "size" in only else [])})
    builds = {}
    for n in need:
        t0 = time.perf_counter()
        fresh = not synth.default_path(n).exists()
        synth.cached_db(n, log=log)
        builds[n] = {"seconds": time.perf_counter() - t0, "fresh": fresh,
                     "build_s": synth.build_info(synth.default_path(n)).get("build_s")}
    results: dict[str, dict] = {}
    for name in only:
        if name == "dates":
            results[name] = bench("bench_dates.py", ["--target-chars", str(sz["dates_chars"]),
                                                     "--others-chars", str(sz["others_chars"])], log)
        elif name == "import":
            results[name] = bench("bench_import.py", ["--articles", str(sz["articles"]), "--events",
                                                      str(sz["jsonl_events"]), "--budget", str(budget)], log)
        elif name == "search":
            results[name] = bench("bench_search.py", ["--events", str(sz["search"])], log)
        elif name == "tui":
            results[name] = bench("bench_tui.py", ["--sizes", *map(str, sz["tui"])], log)
        elif name == "export":
            results[name] = bench("bench_export.py", ["--events", str(sz["export"])], log)
        elif name == "size":
            imp = results.get("import", {}).get("info", {}).get("events", {})
            mb = imp.get("db_mb_j1")
            mb = mb * 1e6 / imp["n"] if mb and imp.get("n") else None
            results[name] = size_rows(sz["size"], mb)
    m1 = machine()
    rows = [r for name in only for r in results[name]["rows"]]
    for n, b in builds.items():
        if b["build_s"]:
            rows.append(row("setup", f"synthetic db of {n:,} events: build (not a target)", b["build_s"], "s", "", None,
                            "reused from benchmarks/out/" if not b["fresh"] else "built in this run"))
    elapsed = time.perf_counter() - t_all

    print()
    log(f"Machine: {m0['cpu']}, {m0['cores']} cores, {m0['ram_gb']} GB RAM, {m0['os']}")
    log(f"Python {m0['python']}, SQLite {m0['sqlite']}, textual {m0['textual']}, hz-timeline {m0['hz_timeline']},"
        f" orjson {m0['orjson']}, jionlp {m0['jionlp']}, dateparser {m0['dateparser']}")
    log(f"Load average (1/5/15 min): {m0['load_avg_1_5_15']} before, {m1['load_avg_1_5_15']} after; "
        f"run took {elapsed / 60:.1f} min; {'quick sizes: targets are for the full sizes' if a.quick else 'full sizes'}")
    log(f"Command: {cmd}   ({started:%Y-%m-%d})\n")
    w = max(len(r["measure"]) for r in rows)
    log(f"| {'measure':<{w}} | {'value':>16} | {'target':<12} | {'pass/fail':<9} | alternative (same run) |")
    log(f"|{'-' * (w + 2)}|{'-' * 18}:|{'-' * 14}|{'-' * 11}|------------------------|")
    for r in rows:
        ok = {True: "pass", False: "FAIL", None: ""}[r.get("ok")]
        if a.quick and ok:
            ok = f"({ok})"
        log(f"| {r['measure']:<{w}} | {fmt_value(r['value'], r['unit']):>16} | {r.get('target') or '':<12} | {ok:<9} |"
            f" {r.get('alt') or ''} |")
    if a.json:
        Path(a.json).write_text(json.dumps({
            "command": cmd, "started": started.isoformat(), "quick": a.quick, "sizes": sz, "machine": m0,
            "load_after": m1["load_avg_1_5_15"], "seconds": elapsed, "builds": builds, "rows": rows,
            "details": {k: v.get("info") for k, v in results.items()}}, ensure_ascii=False, indent=1), "utf-8")
        log(f"\nwrote {a.json}")


if __name__ == "__main__":
    main()
