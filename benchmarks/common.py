"""Helpers shared by the benchmark scripts: result rows, JSON output, the machine description.

A result row is a dict: ``group``, ``measure``, ``value`` (a number, in ``unit``), ``unit``, and
optionally ``target`` (text such as "< 5 ms"), ``ok`` (True/False/None when no target applies) and
``alt`` (what the same work costs another way, measured in the same run). Every bench script can
write ``{"rows": [...], "info": {...}}`` with ``--json PATH``; run.py collects them.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import sqlite3
import sys
from pathlib import Path


def row(group: str, measure: str, value, unit: str, target: str = "", ok=None, alt: str = "") -> dict:
    return {"group": group, "measure": measure, "value": value, "unit": unit, "target": target,
            "ok": None if ok is None else bool(ok), "alt": alt}


def below(value, limit) -> bool:
    return value is not None and value < limit


def write_json(path: str | Path | None, rows: list[dict], info: dict | None = None) -> None:
    if not path:
        return
    Path(path).write_text(json.dumps({"rows": rows, "info": info or {}}, ensure_ascii=False, indent=1), "utf-8")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def fmt_value(v, unit: str) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return f"{v:,} {unit}".strip()
    if abs(v) >= 1000:
        return f"{v:,.0f} {unit}".strip()
    if abs(v) >= 100:
        return f"{v:.0f} {unit}".strip()
    if abs(v) >= 10:
        return f"{v:.1f} {unit}".strip()
    return f"{v:.2f} {unit}".strip()


def print_rows(rows: list[dict], file=None) -> None:
    file = file or sys.stdout
    w = max([len(r["measure"]) for r in rows] + [10])
    print(f"{'measure':<{w}}  {'value':>16}  {'target':<12} {'':4}  alternative", file=file)
    for r in rows:
        ok = {True: "pass", False: "FAIL", None: ""}[r.get("ok")]
        print(f"{r['measure']:<{w}}  {fmt_value(r['value'], r['unit']):>16}  {r.get('target') or '':<12} {ok:4}  "
              f"{r.get('alt') or ''}", file=file, flush=True)


def _version(mod: str) -> str:
    try:
        from importlib.metadata import version

        return version(mod)
    except Exception:
        return "not installed"


def machine() -> dict:
    """CPU, cores, RAM, load, OS and the versions that matter for these figures."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = os.cpu_count()
    return {
        "cpu": cpu, "cores": os.cpu_count(), "usable_cores": affinity, "ram_gb": ram, "load_avg_1_5_15": load,
        "os": platform.platform(), "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
        "hz_timeline": _version("hz-timeline"), "textual": _version("textual"), "orjson": _version("orjson"),
        "opencc": _version("opencc"), "jionlp": _version("jionlp"), "dateparser": _version("dateparser"),
    }
