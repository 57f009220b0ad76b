"""Small helpers shared by test modules: the indexes of a database, and killing an import mid-way."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Callable


def index_names(db: Path) -> set[str]:
    c = sqlite3.connect(db)
    try:
        return {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    finally:
        c.close()


def count_documents(db: Path) -> int:
    """Documents committed in a database, as another connection sees them."""
    c = sqlite3.connect(db)
    try:
        return c.execute("SELECT count(*) FROM documents").fetchone()[0]
    finally:
        c.close()


def kill_when(proc: subprocess.Popen, ready: Callable[[], bool], timeout: float = 60) -> list[int]:
    """SIGKILL ``proc`` as soon as ``ready()`` (a look at its database, which may be locked or not
    there yet: such errors count as not ready), or when it has run ``timeout`` seconds. Returns
    the process ids of its children (its import workers) at that moment."""
    deadline = time.monotonic() + timeout
    children: list[int] = []
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if ready():
                    break
            except sqlite3.Error:
                pass
            time.sleep(0.02)
    finally:
        children = children_of(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    return children


def children_of(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (Linux /proc; [] elsewhere)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def running(pids: list[int], timeout: float) -> list[int]:
    """Those of ``pids`` still running (not zombies) after up to ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        alive = []
        for pid in pids:
            try:
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if state != "Z":
                alive.append(pid)
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.1)
