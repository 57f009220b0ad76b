"""The real ``hz-timeline`` console script in a real terminal (tmux): start, move, search, quit."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_tui_fixtures import build  # noqa: E402

pytestmark = [
    pytest.mark.tmux,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


def _script() -> str:
    found = shutil.which("hz-timeline", path=str(Path(sys.executable).parent))
    assert found, "the hz-timeline console script is not installed next to this Python"
    return found


class Tmux:
    def __init__(self, tmp_path: Path):
        self.socket = f"hz-test-{uuid.uuid4().hex[:10]}"
        self.session = "hz"

    def run(self, *args: str, check: bool = True) -> str:
        out = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=20)
        if check and out.returncode:
            raise AssertionError(f"tmux {args}: {out.stderr}")
        return out.stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.session)

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", self.session, *keys)

    def wait_for(self, predicate, timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.screen()
            if predicate(text):
                return text
            time.sleep(0.1)
        raise AssertionError(f"timed out; the screen shows:\n{text}")

    def alive(self) -> bool:
        out = subprocess.run(["tmux", "-L", self.socket, "list-panes", "-t", self.session, "-F", "#{pane_dead}"],
                             capture_output=True, text=True, timeout=20)
        return out.returncode == 0 and out.stdout.strip() == "0"


def test_real_app_in_tmux(tmp_path):
    db = build(tmp_path / "events.db")
    t = Tmux(tmp_path)
    env_cmd = f"env HZ_TIMELINE_DB={db} TERM=xterm-256color {_script()}"
    try:
        t.run("new-session", "-d", "-x", "120", "-y", "40", "-s", t.session, env_cmd)
        t.run("set-option", "-t", t.session, "remain-on-exit", "on")
        first = t.wait_for(lambda s: "── 2016" in s and "249 events" in s)
        assert "杭州發布城市大腦計劃" in first
        # CJK is two cells wide: the date column still starts every event row at the same place.
        rows = [line for line in first.splitlines() if "2016 " in line and "杭州發布" in line]
        assert rows, first
        t.keys("j", "j")
        t.wait_for(lambda s: "Sources (2)" in s)  # the merged 达摩院 event in the detail pane
        t.keys("/")
        time.sleep(0.3)
        t.keys("政策")
        t.keys("Enter")
        shown = t.wait_for(lambda s: "· 1 event " in s and "search 政策" in s)
        assert "杭州宣布人工智能产业政策" in shown
        assert "第000号填充事件" not in shown
        t.keys("q")
        deadline = time.monotonic() + 10
        while t.alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not t.alive(), "q did not exit the app"
    finally:
        t.run("kill-server", check=False)
