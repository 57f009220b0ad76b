"""The html export opened in a real headless Chromium: the script runs, events render, search filters.

Skipped only when no chromium is installed on a developer machine; on CI (``$CI`` set) a missing
browser is a failure, because .ci/run installs Debian's ``chromium``.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

from hz_timeline.export import export
from hz_timeline.store import Filter, Store

EVIL = '<script>document.documentElement.setAttribute("data-pwned","1")</script>[bold]粗[/bold] <img src=x onerror=alert(1)>'


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        exe = shutil.which(name)
        if exe:
            return exe
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed (.ci/run installs Debian's chromium)")
    pytest.skip("chromium is not installed")


def browse(page: Path, tmp: Path, *args: str, fragment: str = "") -> subprocess.CompletedProcess:
    cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-dev-shm-usage", f"--user-data-dir={tmp / 'profile'}", *args, page.as_uri() + fragment]
    p = subprocess.run(cmd, capture_output=True, timeout=90, cwd=tmp)
    assert p.returncode == 0, p.stderr.decode(errors="replace")[-2000:]
    return p


class Dom(HTMLParser):
    """The rendered DOM: root attributes, each event (id, hidden, title), the visible count line."""

    def __init__(self):
        super().__init__()
        self.root, self.events, self.shown = {}, [], ""
        self._title = self._shown = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.root = a
        if tag == "li" and a.get("class") == "event":
            self.events.append({"id": a["id"], "hidden": "hidden" in a, "title": ""})
        self._title = tag == "h3" and a.get("class") == "title"
        self._shown = a.get("id") == "shown"

    def handle_endtag(self, tag):
        self._title = self._shown = False

    def handle_data(self, data):
        if self._title:
            self.events[-1]["title"] += data
        if self._shown:
            self.shown += data


@pytest.fixture(scope="module")
def page(sample_db_template, tmp_path_factory) -> tuple[Path, list[dict]]:
    tmp = tmp_path_factory.mktemp("html")
    db = tmp / "events.db"
    shutil.copy(sample_db_template, db)
    with Store(db) as s:
        uid = s.conn.execute("SELECT uid FROM events ORDER BY start DESC, uid LIMIT 1").fetchone()[0]
        s.conn.execute("UPDATE events SET title = ? WHERE uid = ?", (EVIL, uid))
        s.conn.commit()
        export(s, Filter(), "html", str(tmp / "timeline.html"))
        events = [{"id": r[0], "title": r[1], "tags": r[2] or ""} for r in s.conn.execute(
            "SELECT e.uid, e.title, (SELECT group_concat(t.name, ' ') FROM event_tags x JOIN tags t ON t.id = x.tag_id"
            ' WHERE x.event_id = e.id) FROM events e ORDER BY e.start, e."end", e.uid')]
    return tmp / "timeline.html", events


def test_events_render_and_the_script_runs(page, tmp_path):
    html_file, events = page
    dom = Dom()
    dom.feed(browse(html_file, tmp_path, "--dump-dom").stdout.decode("utf-8"))
    assert dom.root.get("data-ready") == str(len(events)), "the page script did not run to the end"
    assert "data-pwned" not in dom.root, "a title's <script> was executed"
    assert [(e["id"], e["title"]) for e in dom.events] == [(e["id"], e["title"]) for e in events]
    assert not any(e["hidden"] for e in dom.events)
    assert dom.shown == f"{len(events)} of {len(events)} event(s) shown"


def test_search_box_filters_client_side(page, tmp_path):
    html_file, events = page
    term = "funding"
    dom = Dom()
    dom.feed(browse(html_file, tmp_path, "--dump-dom", fragment=f"#q={term}").stdout.decode("utf-8"))
    visible = {e["id"] for e in dom.events if not e["hidden"]}
    tagged = {e["id"] for e in events if term in e["tags"].split()}
    assert tagged and tagged <= visible < {e["id"] for e in events}
    assert dom.shown == f"{len(visible)} of {len(events)} event(s) shown"


def screenshot(html_file: Path, tmp: Path, fragment: str = "") -> dict:
    png = tmp / "shot.png"
    png.unlink(missing_ok=True)
    browse(html_file, tmp, f"--screenshot={png}", "--window-size=1200,800", "--hide-scrollbars", fragment=fragment)
    width, height, pixels = decode_png(png.read_bytes())
    assert (width, height) == (1200, 800)
    colours = {}
    for p in pixels[:: 7]:  # a sample is plenty
        colours[p] = colours.get(p, 0) + 1
    return colours


def accent(colours: dict) -> int:
    """Pixels in the page's accent colour (#c2410c: year headings, timeline dots, year links)."""
    return sum(n for (r, g, b), n in colours.items() if abs(r - 0xC2) < 24 and abs(g - 0x41) < 24 and abs(b - 0x0C) < 24)


def test_screenshot_is_not_blank(page, tmp_path):
    html_file, _ = page
    colours = screenshot(html_file, tmp_path)
    background = max(colours.values())
    assert len(colours) > 20, "a flat image: nothing was drawn"
    assert background < 0.97 * sum(colours.values()), "almost every pixel is background"
    assert accent(colours) > 50, "the page's own styles (accent year headings and dots) are not on screen"
    # Filtered to nothing, the events really disappear from the screen (not only get an attribute).
    assert accent(screenshot(html_file, tmp_path, fragment="#q=zzz-no-such-event")) < 10


def decode_png(data: bytes) -> tuple[int, int, list[tuple[int, int, int]]]:
    """A tiny PNG decoder (8-bit RGB/RGBA, no interlace) — enough for Chromium's screenshots."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, head = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            head = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = head
    assert depth == 8 and colour in (2, 6) and interlace == 0, head
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    prev = bytearray(stride)
    pixels = []
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        pixels.extend(zip(line[0::bpp], line[1::bpp], line[2::bpp]))
        prev = line
    return width, height, pixels
