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


def kill_when(proc: subprocess.Popen, ready: Callable[[], bool], timeout: float = 60) -> None:
    """SIGKILL ``proc`` as soon as ``ready()`` (a look at its database, which may be locked or not
    there yet: such errors count as not ready), or when it has run ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if ready():
                    break
            except sqlite3.Error:
                pass
            time.sleep(0.02)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
