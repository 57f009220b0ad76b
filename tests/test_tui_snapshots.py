"""SVG snapshots of the app at a pinned size and theme (pytest-textual-snapshot).

Update after an intended change with ``pytest tests/test_tui_snapshots.py --snapshot-update``
and look at the report. Nothing on screen depends on the clock or the tmp path (the status bar
shows the database's file name only).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_tui import settle  # noqa: E402
from test_tui_fixtures import build  # noqa: E402

from hz_timeline.tui.app import make_app  # noqa: E402

pts = pytest.importorskip("pytest_textual_snapshot")


@pytest.fixture(autouse=True)
def _store_in_tests_snapshots(monkeypatch):
    """Keep these SVGs in tests/snapshots/ (syrupy's default is tests/__snapshots__/<module>/)."""

    def dirname(cls, *, test_location):
        return str(Path(test_location.filepath).parent / "snapshots")

    monkeypatch.setattr(pts.SVGImageExtension, "dirname", classmethod(dirname))


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("snap") / "events.db")


def _before(*keys: str):
    async def run(pilot):
        pilot.app.theme = "textual-dark"
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
    return run


def test_main_screen(db, snap_compare):
    assert snap_compare(make_app(db), terminal_size=(120, 40), run_before=_before())


def test_search_and_merged_event(db, snap_compare):
    keys = ("slash", *"杭州", "enter", "j", "j")
    assert snap_compare(make_app(db), terminal_size=(120, 40), run_before=_before(*keys))


def test_reader(db, snap_compare):
    assert snap_compare(make_app(db), terminal_size=(120, 40), run_before=_before("j", "j", "o", "n"))


def test_small_terminal(db, snap_compare):
    assert snap_compare(make_app(db), terminal_size=(80, 24), run_before=_before("right_square_bracket", "right_square_bracket"))


def test_help(db, snap_compare):
    assert snap_compare(make_app(db), terminal_size=(120, 40), run_before=_before("question_mark"))
