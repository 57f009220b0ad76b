"""Every export format parsed back: jsonl, csv (with and without BOM), md, ics, timelinejs, html.

One event of the sample database gets a hostile title (HTML, Rich markup, iCalendar and CSV
specials, a newline) so escaping is checked in each format, not only on friendly text.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from hz_timeline.export import FORMATS, export, ics_fold, md_escape
from hz_timeline.store import Filter, Store

EVIL_TITLE = '<script>document.documentElement.setAttribute("data-pwned","1")</script> [bold red]富文本[/] a,b;c\\d & "q"'
EVIL_SUMMARY = "=HYPERLINK(\"http://x\")\n第二行 <b>粗</b> [link=http://x]点[/link]"


@pytest.fixture
def db(sample_db) -> Path:
    with Store(sample_db) as s:
        uid = s.conn.execute("SELECT uid FROM events WHERE start >= '2014' ORDER BY start, uid LIMIT 1").fetchone()[0]
        s.conn.execute("UPDATE events SET title = ?, summary = ? WHERE uid = ?", (EVIL_TITLE, EVIL_SUMMARY, uid))
        s.conn.commit()
    return sample_db


def run(db: Path, fmt: str, f: Filter = Filter(), **kw) -> bytes:
    out = db.with_name(f"out.{fmt}")
    with Store(db) as s:
        export(s, f, fmt, str(out), **kw)
    return out.read_bytes()


@pytest.fixture
def reference(db) -> list[dict]:
    return json.loads(run(db, "json"))["events"]


def test_jsonl_is_the_json_events_one_a_line(db, reference):
    lines = run(db, "jsonl").decode("utf-8").splitlines()
    assert [json.loads(line) for line in lines] == reference


# --------------------------------------------------------------------------- csv

@pytest.mark.parametrize("bom", [False, True])
def test_csv_has_one_row_per_event_with_sources_joined(db, reference, bom):
    raw = run(db, "csv", bom=bom)
    assert raw.startswith(b"\xef\xbb\xbf") == bom
    text = raw.decode("utf-8-sig")
    assert "\r\n" in text  # RFC 4180 rows
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [r["id"] for r in rows] == [e["id"] for e in reference]
    for row, ev in zip(rows, reference):
        assert (row["start"], row["end"], row["precision"], row["kind"]) == (ev["start"], ev["end"], ev["precision"], ev["kind"])
        docs = list(dict.fromkeys(m["document"] for m in ev["mentions"]))
        assert row["documents"].split(" | ") == docs and int(row["n_sources"]) == len(docs)
        assert row["quotes"].split(" | ") == [m["quote"] for m in ev["mentions"]]
        assert row["tags"] == " | ".join(ev["tags"])
    evil = next(r for r in rows if "富文本" in r["title"])
    assert evil["title"] == EVIL_TITLE  # commas, quotes, semicolons survive quoting
    assert evil["summary"] == "'" + EVIL_SUMMARY  # a formula is defused for spreadsheets; newline kept in the cell


# --------------------------------------------------------------------------- ics

def unfold(raw: bytes) -> list[str]:
    return raw.replace(b"\r\n ", b"").decode("utf-8").split("\r\n")


def ics_unescape(v: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), v)


def test_ics_structure_dates_and_escaping(db, reference):
    raw = run(db, "ics")
    assert raw.endswith(b"END:VCALENDAR\r\n")
    physical = raw.split(b"\r\n")[:-1]
    assert b"\n" not in raw.replace(b"\r\n", b"")  # every line break is CRLF
    assert max(len(p) for p in physical) <= 75  # folded at 75 octets
    assert any(len(p) >= 70 for p in physical) and any(p.startswith(b" ") for p in physical)
    for p in physical:
        p.decode("utf-8")  # never folded inside a multi-byte character
    lines = unfold(raw)[:-1]
    assert lines[:2] == ["BEGIN:VCALENDAR", "VERSION:2.0"] and any(x.startswith("PRODID:") for x in lines)
    events, cur = [], None
    for line in lines:
        if line == "BEGIN:VEVENT":
            cur = {}
        elif line == "END:VEVENT":
            events.append(cur)
            cur = None
        elif cur is not None:
            name, _, value = line.partition(":")
            cur[name] = value
    assert len(events) == len(reference)
    for ev, ref in zip(events, reference):
        assert ev["UID"] == f"{ref['id']}@hz-timeline"
        start = date.fromisoformat(ref["start"])
        end = date.fromisoformat(ref["end"])
        assert ev["DTSTART;VALUE=DATE"] == start.strftime("%Y%m%d")
        assert ev["DTEND;VALUE=DATE"] == (end + timedelta(days=1)).strftime("%Y%m%d")  # exclusive end
        assert "DTSTAMP" in ev and ev["DTSTAMP"].endswith("Z")
        assert ics_unescape(ev["SUMMARY"]) == ref["title"]
    evil = next(e for e in events if "富文本" in e["SUMMARY"])
    assert r"a\,b\;c\\d" in evil["SUMMARY"]
    assert "\\n第二行" in evil["DESCRIPTION"]
    assert run(db, "ics").count(b"UID:") == len(reference)
    uids = [e["UID"] for e in events]
    assert len(set(uids)) == len(uids)
    assert [e["UID"] for e in events] == [line[4:] for line in unfold(run(db, "ics")) if line.startswith("UID:")]  # stable


@pytest.mark.parametrize("text", ["a" * 200, "事" * 100, "ab" + "😀" * 40, "x" * 75, "x" * 76])
def test_ics_folding_keeps_content_and_limits(text):
    folded = ics_fold("DESCRIPTION:" + text)
    assert folded.endswith(b"\r\n")
    assert all(len(p) <= 75 for p in folded[:-2].split(b"\r\n"))
    assert folded[:-2].replace(b"\r\n ", b"").decode("utf-8") == "DESCRIPTION:" + text


# --------------------------------------------------------------------------- md

def test_md_is_a_chronology_grouped_by_year_with_footnotes(db, reference):
    text = run(db, "md").decode("utf-8")
    assert text.startswith("# ")
    years = re.findall(r"^## (\d{4})$", text, re.M)
    assert years == sorted(set(e["start"][:4] for e in reference))
    items = re.findall(r"^- \*\*", text, re.M)
    assert len(items) == len(reference)
    refs = set(re.findall(r"\[\^(\d+)\](?!:)", text))
    defs = set(re.findall(r"^\[\^(\d+)\]:", text, re.M))
    assert refs == defs and len(defs) == sum(len(e["mentions"]) for e in reference)
    line = next(x for x in text.splitlines() if "富文本" in x)
    assert "<script>" not in text and r"\<script\>" in line
    assert r"\[bold red\]富文本\[/\]" in line  # Rich markup shown literally
    empty = run(db, "md", Filter(date_from="2300-01-01")).decode("utf-8")
    assert "No events" in empty and "## " not in empty


# --------------------------------------------------------------------------- timelinejs

def test_timelinejs_has_the_keys_timelinejs3_reads(db, reference):
    data = json.loads(run(db, "timelinejs", title="杭州 <b>"))
    assert set(data) >= {"title", "events"} and data["scale"] == "human"
    assert data["title"]["text"]["headline"] == "杭州 &lt;b&gt;"
    assert [s["unique_id"] for s in data["events"]] == [e["id"] for e in reference]
    for s, ev in zip(data["events"], reference):
        assert isinstance(s["start_date"]["year"], int) and s["start_date"]["year"] == int(ev["start"][:4])
        assert set(s["start_date"]) <= {"year", "month", "day"}
        assert set(s["text"]) == {"headline", "text"} and s["text"]["headline"]
        if "end_date" in s:
            key = lambda d: (d["year"], d.get("month", 0), d.get("day", 0))  # noqa: E731
            assert key(s["end_date"]) > key(s["start_date"])
        if ev["precision"] == "day":
            assert s["start_date"] == {"year": int(ev["start"][:4]), "month": int(ev["start"][5:7]), "day": int(ev["start"][8:])}
        if ev["precision"] == "year":
            assert s["start_date"] == {"year": int(ev["start"][:4])}
    evil = next(s for s in data["events"] if "富文本" in s["text"]["headline"])
    assert "<script>" not in evil["text"]["headline"] and "&lt;script&gt;" in evil["text"]["headline"]
    assert "<b>粗</b>" not in evil["text"]["text"]


# --------------------------------------------------------------------------- html

class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.scripts, self.titles, self.years, self._in_title = [], 0, [], [], False
        self.urls = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        self.scripts += tag == "script"
        self._in_title = tag == "h3" and a.get("class") == "title"
        if tag == "section":
            self.years.append(a.get("data-year"))
        self.urls += [v for k, v in attrs if k in ("src", "href") and v and not v.startswith("#")]
        if tag == "h3" and self._in_title:
            self.titles.append("")

    def handle_endtag(self, tag):
        if tag == "h3":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.titles[-1] += data


def test_html_is_self_contained_escaped_and_grouped_by_year(db, reference):
    raw = run(db, "html").decode("utf-8")
    page = Page()
    page.feed(raw)
    assert page.titles == [e["title"] for e in reference]  # every title, unescaped by the parser, exact
    assert page.scripts == 1  # ours; the hostile title's <script> is text
    assert "&lt;script&gt;document.documentElement" in raw and '<script>document' not in raw
    assert "[bold red]富文本[/]" in raw
    assert page.years == sorted(set(e["start"][:4] for e in reference))
    assert not page.urls and not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", raw)  # nothing to fetch
    assert "Content-Security-Policy" in raw and "default-src 'none'" in raw
    assert 'id="q"' in raw  # the client-side search box
    # The search hides events with the hidden attribute; the page's own display rules must not undo it.
    assert "[hidden]{display:none!important}" in raw


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_handles_an_empty_range(db, fmt):
    raw = run(db, fmt, Filter(date_from="2300-01-01"))
    assert raw or fmt == "jsonl"
    if fmt in ("json", "timelinejs"):
        assert json.loads(raw)["events"] == []
    if fmt == "jsonl":
        assert raw == b"" or raw.strip() == b""


ID_PATTERNS = {
    "json": r'"id":"(ev-[0-9a-f]+)"', "jsonl": r'"id":"(ev-[0-9a-f]+)"', "csv": r"^(ev-[0-9a-f]+),",
    "ics": r"^UID:(ev-[0-9a-f]+)@", "timelinejs": r'"unique_id":"(ev-[0-9a-f]+)"',
    "html": r'<li class="event" id="(ev-[0-9a-f]+)"',
}


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_is_in_the_same_stable_order(db, reference, fmt):
    raw = run(db, fmt).decode("utf-8-sig")
    if fmt == "md":  # md shows no ids: its items carry the titles in order
        items = re.findall(r"^- \*\*.*$", raw, re.M)
        assert len(items) == len(reference)
        assert all(f" · {md_escape(e['title'])} *(" in item for item, e in zip(items, reference))
        return
    assert re.findall(ID_PATTERNS[fmt], raw, re.M) == [e["id"] for e in reference]
    assert run(db, fmt).decode("utf-8-sig").count("ev-") == raw.count("ev-")
