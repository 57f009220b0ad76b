"""Events → files. The JSON schema ``hz-timeline/events`` v1 is a stable contract.

Formats: ``json`` (the contract, see ``schema/events-v1.schema.json``), ``jsonl`` (one event record
a line), ``csv`` (one row per event, sources joined; optional BOM for Excel), ``md`` (a chronology
grouped by year with sources as footnotes), ``ics`` (iCalendar all-day events), ``timelinejs``
(TimelineJS3 JSON) and ``html`` (one self-contained page, no network needed).

Writing is atomic: output goes to a temporary file beside the target and is renamed into
place only when complete, so a failed export never leaves a partial file. ``-`` streams to
standard output. Events are streamed from the store a page at a time (``store.bulk``), inside
one read transaction so the count in a header always matches the events written; memory does
not grow with the count. Order is (start, end, id); ids are the events' stable uids.
"""

from __future__ import annotations

import csv
import html
import io
import os
import re
import sqlite3
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Callable, Iterable, Iterator

import orjson

from .dateformat import when
from .errors import HzError, UsageError
from .store import Filter, Store
from .store.bulk import PARALLEL_MIN, JsonWorkers, SnapshotProbe, iter_records, json_chunks, parallel_workers

FORMAT_ID = "hz-timeline/events"
FORMAT_VERSION = 1
FORMATS = ("json", "jsonl", "csv", "md", "ics", "timelinejs", "html")
# The file extension each format is usually saved with, and the format a file name implies.
EXTENSIONS = {"json": "json", "jsonl": "jsonl", "csv": "csv", "md": "md", "ics": "ics", "timelinejs": "json",
              "html": "html"}
_BY_SUFFIX = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".md": "md",
              ".markdown": "md", ".ics": "ics", ".ical": "ics", ".html": "html", ".htm": "html"}

MENTION_KEYS = ("document", "document_title", "published", "start_char", "end_char", "quote",
                "time_text", "start", "end", "precision", "resolution")

# How json/jsonl records are made. None: SQLite writes each record's JSON itself (store.bulk.json_chunks,
# the fastest). A function (orjson.dumps, or the standard library's json): records are built as Python
# dicts (store.bulk.iter_records) and serialized with it. Benchmarks compare the three.
_dumps: Callable[[object], bytes] | None = None


def event_record(ev: dict) -> dict:
    """A store event (``Store.event``/``iter_events``) as it appears in the export."""
    return {
        "id": ev["uid"],
        "start": ev["start"],
        "end": ev["end"],
        "precision": ev["precision"],
        "title": ev["title"],
        "summary": ev["summary"],
        "kind": ev["kind"],
        "entities": [{"name": e["name"], "type": e["type"]} for e in ev["entities"]],
        "tags": list(ev["tags"]),
        "mentions": [{k: m[k] for k in MENTION_KEYS} for m in ev["mentions"]],
        "disputes": list(ev.get("disputes", [])),
    }


def json_schema() -> dict:
    """The JSON Schema (draft 2020-12) of the ``json`` format, shipped in the package."""
    from importlib.resources import files

    return orjson.loads(files("hz_timeline").joinpath("schema/events-v1.schema.json").read_bytes())


# What the writers receive: the v1 export record of each event, and whether its date is approximate.
Record = tuple[dict, bool]


class ExportError(HzError):
    pass


class OutputClosed(ExportError):
    """Standard output was closed by the reader (``| head``) before the export finished."""


def format_for_path(path: str) -> str | None:
    """The format a file name implies (``x.ics`` → ics), None when the suffix says nothing."""
    return _BY_SUFFIX.get(Path(path).suffix.lower()) if path and path != "-" else None


def _umask() -> int:
    try:  # read without changing it: os.umask() is process-wide and racy with other threads
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    old = os.umask(0o022)
    os.umask(old)
    return old


@contextmanager
def atomic_output(path: str) -> Iterator[IO[bytes]]:
    """Binary stream to ``path`` (``-`` = stdout), replaced atomically on success only."""
    if path == "-":
        out = sys.stdout.buffer
        yield out
        out.flush()
        return
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise ExportError(f"{path}: is a directory")
    if not folder.is_dir():
        raise ExportError(f"{path}: folder {folder} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    except OSError as e:
        raise ExportError(f"{path}: cannot write here ({e.strerror})") from None
    try:
        # mkstemp makes the file 0600; give it the mode an ordinary new file would get (or the
        # replaced file's), so a published page stays readable by the web server.
        try:
            mode = target.stat().st_mode & 0o7777
        except OSError:
            mode = 0o666 & ~_umask()
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


@dataclass(frozen=True)
class Context:
    """What every writer may print besides the events."""

    filter: Filter
    count: int
    exported_at: str
    title: str
    bom: bool = False


def describe_range(f: Filter) -> str:
    """The resolved date range in words, as echoed to the user: '2014-01-01 … 2014-12-31 (overlapping)'."""
    if not f.date_from and not f.date_to:
        return "all dates"
    how = "fully inside" if f.within else "overlapping"
    return f"{f.date_from or '…'} … {f.date_to or '…'} ({how})"


def describe_filter(f: Filter) -> str:
    parts = [describe_range(f)]
    if f.query:
        parts.append(f"matching “{f.query}”")
    for label, values in (("entity", f.entities), ("tag", f.tags), ("kind", f.kinds), ("source", f.sources),
                          ("precision", f.precisions)):
        if values:
            parts.append(f"{label}: {', '.join(values)}")
    return " · ".join(parts)


def export(store: Store, f: Filter, fmt: str = "json", output: str = "-", *, bom: bool = False,
           title: str | None = None, batch: int = 500) -> int:
    """Write the filtered events in ``fmt`` to ``output`` (a path, or ``-``); returns the number written.

    ``bom`` prefixes CSV with a byte-order mark (Excel); ``title`` names the timeline in
    md/ics/timelinejs/html (default: "hz-timeline" and the range).
    """
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    writer = _WRITERS[fmt]
    conn = store.conn
    began = not conn.in_transaction
    dumps = _dumps
    probe = workers = events = None
    try:
        if (began and fmt in ("json", "jsonl") and dumps is None and (n_workers := parallel_workers()) > 1
                and (conn.execute("SELECT max(id) FROM events").fetchone()[0] or 0) >= PARALLEL_MIN):
            # A big json/jsonl export builds its records in worker processes, which must read our
            # snapshot: a probe opened before our transaction begins vouches for that (store.bulk).
            probe = SnapshotProbe(conn)
        if began:
            conn.execute("BEGIN")  # one snapshot: the header's count is the number of events written
        count = store.count(f)
        if probe is not None:
            if count >= PARALLEL_MIN:
                workers = JsonWorkers.start(conn, f, n_workers, probe)
            probe.close()
        now = datetime.now(timezone.utc).replace(microsecond=0)
        ctx = Context(f, count, now.isoformat(), title or _default_title(f), bom)
        if fmt in ("json", "jsonl"):
            if dumps is None:
                events = json_chunks(conn, f, b",\n    " if fmt == "json" else b"\n", workers)
            else:
                events = ((dumps(r), 1) for r, _ in iter_records(conn, f, batch))
        else:
            events = iter_records(conn, f, batch)
        with atomic_output(output) as out:
            written = writer(events, ctx, out)
    except BrokenPipeError:
        if output == "-":
            raise OutputClosed("standard output was closed before the export finished") from None
        raise ExportError(f"{output}: write failed (broken pipe)") from None
    except OSError as e:
        raise ExportError(f"{output}: write failed ({e.strerror or e})") from None
    except sqlite3.Error as e:  # e.g. no room for the sorter's temporary files
        raise ExportError(f"{output}: reading the database failed ({e})") from None
    finally:
        if hasattr(events, "close"):
            events.close()
        for held in (workers, probe):
            if held is not None:
                held.close()  # an export that ended early stops its workers
        if began and conn.in_transaction:
            conn.rollback()
    return written


def _default_title(f: Filter) -> str:
    if f.date_from or f.date_to:
        return f"hz-timeline: {f.date_from or '…'} – {f.date_to or '…'}"
    return "hz-timeline"


def header(f: Filter, count: int, exported_at: str | None = None) -> dict:
    return {
        "format": FORMAT_ID,
        "version": FORMAT_VERSION,
        "exported_at": exported_at or datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "filters": f.describe(),
        "count": count,
    }


# ---------------------------------------------------------------------------------------- json, jsonl

# json and jsonl receive (records, how many) chunks: records already JSON, joined by ",\n    " (json)
# or "\n" (jsonl) -- store.bulk.json_chunks.

def _write_json(events: Iterable[tuple[bytes, int]], ctx: Context, out: IO[bytes]) -> int:
    head = orjson.dumps(header(ctx.filter, ctx.count, ctx.exported_at), option=orjson.OPT_INDENT_2)
    out.write(head[:-2] + b',\n  "events": [')  # reopen the object to stream the list
    write = out.write
    n = 0
    for recs, k in events:
        write(b",\n    " if n else b"\n    ")
        write(recs)
        n += k
    write(b"\n  ]\n}\n" if n else b"]\n}\n")
    return n


def _write_jsonl(events: Iterable[tuple[bytes, int]], ctx: Context, out: IO[bytes]) -> int:
    write = out.write
    n = 0
    for recs, k in events:
        write(recs)
        write(b"\n")
        n += k
    return n


# ---------------------------------------------------------------------------------------- csv

CSV_COLUMNS = ("id", "start", "end", "precision", "date", "title", "summary", "kind", "entities", "tags",
               "n_sources", "sources", "documents", "quotes", "disputes")
CSV_JOIN = " | "
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str | None) -> str:
    """Free text for a spreadsheet: a leading = + - @ would run as a formula, so it gets a quote mark."""
    text = text or ""
    return "'" + text if text.startswith(_FORMULA) else text


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


def _write_csv(events: Iterable[Record], ctx: Context, out: IO[bytes]) -> int:
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    try:
        if ctx.bom:
            text.write("\ufeff")
        w = csv.writer(text)  # RFC 4180: CRLF rows, fields quoted when needed
        w.writerow(CSV_COLUMNS)
        n = 0
        for ev, approx in events:
            ms = ev["mentions"]
            w.writerow((
                ev["id"], ev["start"], ev["end"], ev["precision"],
                when(ev["start"], ev["end"], ev["precision"], approx),
                _cell(ev["title"]), _cell(ev["summary"]), ev["kind"],
                _cell(CSV_JOIN.join(e["name"] for e in ev["entities"])),
                _cell(CSV_JOIN.join(ev["tags"])),
                len(_unique(m["document"] for m in ms)),
                _cell(CSV_JOIN.join(_unique(_source_label(m) for m in ms))),
                CSV_JOIN.join(_unique(m["document"] for m in ms)),
                _cell(CSV_JOIN.join(m["quote"] for m in ms)),
                CSV_JOIN.join(d["event"] for d in ev.get("disputes", [])),
            ))
            n += 1
        text.flush()
    finally:
        text.detach()  # leave the binary stream open for atomic_output
    return n


def _source_label(m: dict) -> str:
    name = m.get("document_title") or m["document"]
    return f"{name} ({m['published']})" if m.get("published") else name


# ---------------------------------------------------------------------------------------- md

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>&|~#!])")
_WS = re.compile(r"\s+")


def md_escape(text: str | None) -> str:
    """Inline Markdown text shown literally: specials backslash-escaped, newlines folded to spaces."""
    return _MD_SPECIAL.sub(r"\\\1", _WS.sub(" ", text or "").strip())


def _write_md(events: Iterable[Record], ctx: Context, out: IO[bytes]) -> int:
    def emit(s: str) -> None:
        out.write(s.encode("utf-8"))

    emit(f"# {md_escape(ctx.title)}\n\n")
    emit(f"{ctx.count} event(s) · {md_escape(describe_filter(ctx.filter))} · exported {ctx.exported_at} "
         "by hz-timeline. Sources are footnotes; each quote is the sentence the event was read from.\n")
    year, notes, n, note_no = None, [], 0, 0
    for ev, approx in events:
        y = ev["start"][:4]
        if y != year:
            if notes:
                emit("\n" + "\n".join(notes) + "\n")
                notes = []
            year = y
            emit(f"\n## {y}\n\n")
        refs = ""
        for m in ev["mentions"]:
            note_no += 1
            refs += f"[^{note_no}]"
            where = f"chars {m['start_char']}–{m['end_char']}"
            pub = f", {m['published']}" if m.get("published") else ""
            notes.append(f"[^{note_no}]: 《{md_escape(m.get('document_title') or m['document'])}》{md_escape(pub)}, "
                         f"`{m['document'].replace('`', '')}` {where}: “{md_escape(m['quote'])}”")
        label = md_escape(when(ev["start"], ev["end"], ev["precision"], approx))
        extra = [ev["kind"]]
        if ev.get("disputes"):
            extra.append("disputed")
        emit(f"- **{label}** · {md_escape(ev['title'])} *({md_escape(', '.join(extra))})*{refs}\n")
        if ev["summary"] and ev["summary"] != ev["title"]:
            emit(f"  {md_escape(ev['summary'])}\n")
        facets = [md_escape(e["name"]) for e in ev["entities"]] + ["\\#" + md_escape(t) for t in ev["tags"]]
        if facets:
            emit(f"  {' · '.join(facets)}\n")
        n += 1
    if notes:
        emit("\n" + "\n".join(notes) + "\n")
    if not n:
        emit("\n_No events in this range._\n")
    return n


# ---------------------------------------------------------------------------------------- ics

def ics_escape(text: str | None) -> str:
    """An iCalendar TEXT value: backslash, semicolon, comma escaped; newlines as \\n; controls dropped."""
    text = (text or "").replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", text)


def ics_fold(line: str) -> bytes:
    """One content line as UTF-8, folded so no physical line exceeds 75 octets (never inside a character)."""
    raw = line.encode("utf-8")
    if len(raw) <= 75:
        return raw + b"\r\n"
    parts, start, limit = [], 0, 75
    while start < len(raw):
        end = min(start + limit, len(raw))
        while end < len(raw) and (raw[end] & 0xC0) == 0x80:  # don't cut a multi-byte character
            end -= 1
        parts.append(raw[start:end])
        start, limit = end, 74  # continuation lines begin with a space, which counts
    return b"\r\n ".join(parts) + b"\r\n"


def _ics_date(iso: str, plus_days: int = 0) -> str:
    d = date.fromisoformat(iso)
    try:
        d += timedelta(days=plus_days)
    except OverflowError:
        pass
    return f"{d.year:04d}{d.month:02d}{d.day:02d}"


def _write_ics(events: Iterable[Record], ctx: Context, out: IO[bytes]) -> int:
    def line(s: str) -> None:
        out.write(ics_fold(s))

    stamp = ctx.exported_at.replace("-", "").replace(":", "").replace("+0000", "Z")
    if not stamp.endswith("Z"):
        stamp = stamp[:15] + "Z"
    for s in ("BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//hz-timeline//hz-timeline export//EN",
              "CALSCALE:GREGORIAN", "METHOD:PUBLISH", f"X-WR-CALNAME:{ics_escape(ctx.title)}"):
        line(s)
    n = 0
    for ev, approx in events:
        desc = [when(ev["start"], ev["end"], ev["precision"], approx), "", ev["summary"]]
        if ev["mentions"]:
            desc += ["", "Sources:"]
            desc += [f"- 《{m.get('document_title') or m['document']}》"
                     f"{' (' + m['published'] + ')' if m.get('published') else ''} {m['document']}: “{m['quote']}”"
                     for m in ev["mentions"]]
        if ev.get("disputes"):
            desc += ["", "Disputed by: " + ", ".join(d["event"] for d in ev["disputes"])]
        line("BEGIN:VEVENT")
        line(f"UID:{ev['id']}@hz-timeline")
        line(f"DTSTAMP:{stamp}")
        line(f"DTSTART;VALUE=DATE:{_ics_date(ev['start'])}")
        line(f"DTEND;VALUE=DATE:{_ics_date(ev['end'], 1)}")  # exclusive in iCalendar
        line(f"SUMMARY:{ics_escape(ev['title'])}")
        line(f"DESCRIPTION:{ics_escape(chr(10).join(desc))}")
        cats = [ev["kind"], *ev["tags"]]
        line("CATEGORIES:" + ",".join(ics_escape(c) for c in cats if c))
        line("TRANSP:TRANSPARENT")
        line("END:VEVENT")
        n += 1
    line("END:VCALENDAR")
    return n


# ---------------------------------------------------------------------------------------- timelinejs

def _granularity(start: str, end: str, precision: str) -> str:
    if precision in ("day", "week"):
        return "day"
    if precision in ("month", "season", "quarter", "half"):
        return "month"
    if precision in ("year", "decade"):
        return "year"
    if start[5:] == "01-01" and end[5:] == "12-31":
        return "year"
    if start[8:] == "01" and (date.fromisoformat(end) + timedelta(days=1)).day == 1:
        return "month"
    return "day"


def _tl_date(iso: str, grain: str) -> dict:
    d = {"year": int(iso[:4])}
    if grain in ("month", "day"):
        d["month"] = int(iso[5:7])
    if grain == "day":
        d["day"] = int(iso[8:10])
    return d


def _esc(text: str | None) -> str:
    return html.escape(text or "", quote=True)


def timelinejs_slide(ev: dict, approx: bool = False) -> dict:
    """One event as a TimelineJS3 slide; every text is HTML-escaped (TimelineJS renders HTML)."""
    grain = _granularity(ev["start"], ev["end"], ev["precision"])
    start, end = _tl_date(ev["start"], grain), _tl_date(ev["end"], grain)
    parts = [f"<p>{_esc(ev['summary'])}</p>"]
    facets = [e["name"] for e in ev["entities"]] + ["#" + t for t in ev["tags"]]
    if facets:
        parts.append(f"<p><small>{_esc(' · '.join(facets))}</small></p>")
    if ev["mentions"]:
        items = "".join(
            f"<li><cite>{_esc(m.get('document_title') or m['document'])}</cite>"
            f"{' (' + _esc(m['published']) + ')' if m.get('published') else ''}: “{_esc(m['quote'])}”</li>"
            for m in ev["mentions"])
        parts.append(f"<ul>{items}</ul>")
    slide = {
        "unique_id": ev["id"],
        "start_date": start,
        "display_date": when(ev["start"], ev["end"], ev["precision"], approx),
        "text": {"headline": _esc(ev["title"]), "text": "".join(parts)},
        "group": ev["kind"],
        "autolink": False,
    }
    if end != start:
        slide["end_date"] = end
    return slide


def _write_timelinejs(events: Iterable[Record], ctx: Context, out: IO[bytes]) -> int:
    head = {
        "title": {"text": {"headline": _esc(ctx.title),
                           "text": f"<p>{ctx.count} event(s) · {_esc(describe_filter(ctx.filter))}</p>"}},
        "scale": "human",
    }
    out.write(orjson.dumps(head)[:-1] + b',"events":[')
    n = 0
    for ev, approx in events:
        if n:
            out.write(b",\n")
        out.write(orjson.dumps(timelinejs_slide(ev, approx)))
        n += 1
    out.write(b"]}\n")
    return n


# ---------------------------------------------------------------------------------------- html

_HTML_CSS = """
:root{--ink:#1d232b;--muted:#5f6b7a;--line:#d6dde6;--bg:#f6f8fb;--card:#fff;--accent:#c2410c;--chip:#eef2f7}
*{box-sizing:border-box}
[hidden]{display:none!important}
body{margin:0;background:var(--bg);color:var(--ink);font:16px/1.55 system-ui,-apple-system,"Segoe UI",
"PingFang SC","Hiragino Sans GB","Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei",sans-serif}
header{position:sticky;top:0;z-index:2;background:#fff;border-bottom:1px solid var(--line);padding:14px 24px 10px}
h1{margin:0 0 2px;font-size:22px}
.meta{margin:0;color:var(--muted);font-size:13px}
.tools{display:flex;gap:12px;align-items:center;margin-top:10px;flex-wrap:wrap}
#q{flex:1 1 320px;max-width:560px;font:inherit;padding:6px 10px;border:1px solid var(--line);border-radius:6px}
#shown{color:var(--muted);font-size:13px}
#years{display:flex;flex-wrap:wrap;gap:4px;margin-top:8px}
#years a{font-size:12px;color:var(--accent);text-decoration:none;padding:1px 7px;border:1px solid var(--line);border-radius:10px}
main{max-width:980px;margin:0 auto;padding:8px 24px 48px}
section.year h2{margin:26px 0 8px;font-size:26px;color:var(--accent)}
ol.events{list-style:none;margin:0;padding:0 0 0 22px;border-left:3px solid var(--line)}
li.event{position:relative;display:flex;gap:14px;background:var(--card);border:1px solid var(--line);border-radius:8px;
padding:10px 14px;margin:0 0 10px}
li.event::before{content:"";position:absolute;left:-31px;top:16px;width:13px;height:13px;border-radius:50%;
background:var(--accent);border:3px solid var(--bg)}
.when{flex:0 0 120px;font-weight:600;color:var(--muted);font-variant-numeric:tabular-nums}
.body{flex:1;min-width:0}
h3.title{margin:0;font-size:17px}
.summary{margin:4px 0}
.chips{margin:4px 0 0;display:flex;flex-wrap:wrap;gap:4px}
.chip{font-size:12px;background:var(--chip);border-radius:10px;padding:0 8px}
.chip.kind{background:#fde7d9}
.chip.disputed{background:#fee2e2;color:#991b1b}
details.sources{margin-top:6px;font-size:14px;color:var(--muted)}
details.sources ol{margin:4px 0;padding-left:20px}
blockquote{margin:2px 0 6px;padding-left:10px;border-left:3px solid var(--line);color:var(--ink)}
code{font-size:12px}
#empty{text-align:center;color:var(--muted)}
footer{text-align:center;color:var(--muted);font-size:12px;padding:0 0 24px}
@media (max-width:640px){li.event{flex-direction:column;gap:2px}.when{flex:none}}
"""

_HTML_JS = """
(function () {
  var q = document.getElementById('q'), shown = document.getElementById('shown');
  var empty = document.getElementById('empty'), nav = document.getElementById('years');
  var sections = Array.prototype.slice.call(document.querySelectorAll('section.year'));
  var items = Array.prototype.slice.call(document.querySelectorAll('li.event'));
  var keys = items.map(function (li) {
    return ((li.textContent || '') + ' ' + (li.getAttribute('data-k') || '')).normalize('NFKC').toLowerCase();
  });
  var links = sections.map(function (s) {
    var a = document.createElement('a');
    a.href = '#' + s.id;
    a.textContent = s.getAttribute('data-year');
    nav.appendChild(a);
    return a;
  });
  function apply() {
    var terms = q.value.normalize('NFKC').toLowerCase().split(/\\s+/).filter(Boolean), n = 0;
    items.forEach(function (li, i) {
      var ok = terms.every(function (t) { return keys[i].indexOf(t) >= 0; });
      li.hidden = !ok;
      if (ok) n++;
    });
    sections.forEach(function (s, i) { links[i].hidden = s.hidden = !s.querySelector('li.event:not([hidden])'); });
    shown.textContent = n + ' of ' + items.length + ' event(s) shown';
    empty.hidden = n > 0;
  }
  q.addEventListener('input', apply);
  if (location.hash.indexOf('#q=') === 0) q.value = decodeURIComponent(location.hash.slice(3));
  apply();
  document.documentElement.setAttribute('data-ready', String(items.length));
})();
"""


def _html_event(ev: dict, approx: bool = False) -> str:
    from .text import fold

    label = when(ev["start"], ev["end"], ev["precision"], approx)
    chips = [f'<span class="chip kind">{_esc(ev["kind"])}</span>']
    if ev.get("disputes"):
        chips.append(f'<span class="chip disputed" title="{_esc(", ".join(d["event"] for d in ev["disputes"]))}">'
                     "disputed</span>")
    chips += [f'<span class="chip entity">{_esc(e["name"])}</span>' for e in ev["entities"]]
    chips += [f'<span class="chip tag">#{_esc(t)}</span>' for t in ev["tags"]]
    sources = ""
    if ev["mentions"]:
        lis = "".join(
            f'<li><cite>{_esc(m.get("document_title") or m["document"])}</cite>'
            f'{" · " + _esc(m["published"]) if m.get("published") else ""} · <code>{_esc(m["document"])}</code>'
            f' <small>chars {m["start_char"]}–{m["end_char"]}</small><blockquote>{_esc(m["quote"])}</blockquote></li>'
            for m in ev["mentions"])
        n = len(ev["mentions"])
        sources = f'<details class="sources"><summary>{n} source{"s" if n != 1 else ""}</summary><ol>{lis}</ol></details>'
    # Search key: the folded (simplified, half-width, lower-case) text, so 宁波 finds 寧波.
    key = fold(" ".join([ev["title"], ev["summary"], *(e["name"] for e in ev["entities"]), *ev["tags"]]))
    summary = f'<p class="summary">{_esc(ev["summary"])}</p>' if ev["summary"] and ev["summary"] != ev["title"] else ""
    return (f'<li class="event" id="{_esc(ev["id"])}" data-k="{_esc(key)}"><div class="when">'
            f'<time datetime="{_esc(ev["start"])}">{_esc(label)}</time></div><div class="body">'
            f'<h3 class="title">{_esc(ev["title"])}</h3>{summary}<p class="chips">{"".join(chips)}</p>{sources}'
            "</div></li>\n")


def _write_html(events: Iterable[Record], ctx: Context, out: IO[bytes]) -> int:
    def emit(s: str) -> None:
        out.write(s.encode("utf-8"))

    emit('<!doctype html>\n<html lang="zh">\n<head>\n<meta charset="utf-8">\n'
         '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
         # No network at all: everything is inline, and the policy forbids fetching anything.
         "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
         "script-src 'unsafe-inline'; img-src data:\">\n"
         '<meta name="generator" content="hz-timeline">\n'
         f"<title>{_esc(ctx.title)}</title>\n<style>{_HTML_CSS}</style>\n</head>\n<body>\n<header>\n"
         f"<h1>{_esc(ctx.title)}</h1>\n"
         f'<p class="meta">{ctx.count} event(s) · {_esc(describe_filter(ctx.filter))} · exported {_esc(ctx.exported_at)}</p>\n'
         '<div class="tools"><input id="q" type="search" autocomplete="off" placeholder="Filter: words in titles, '
         'summaries, entities, tags, sources…" aria-label="Filter events"><span id="shown" aria-live="polite">'
         f"{ctx.count} event(s)</span></div>\n<nav id=\"years\" aria-label=\"Years\"></nav>\n</header>\n<main>\n")
    year, n = None, 0
    for ev, approx in events:
        y = ev["start"][:4]
        if y != year:
            if year is not None:
                emit("</ol></section>\n")
            year = y
            emit(f'<section class="year" id="y{_esc(y)}" data-year="{_esc(y)}"><h2>{_esc(y)}</h2><ol class="events">\n')
        emit(_html_event(ev, approx))
        n += 1
    if year is not None:
        emit("</ol></section>\n")
    emit('<p id="empty" hidden>No events match.</p>\n</main>\n'
         "<footer>Made with hz-timeline · a self-contained page: it works offline.</footer>\n"
         f"<script>{_HTML_JS}</script>\n</body>\n</html>\n")
    return n


_WRITERS: dict[str, Callable[[Iterable, Context, IO[bytes]], int]] = {
    "json": _write_json,
    "jsonl": _write_jsonl,
    "csv": _write_csv,
    "md": _write_md,
    "ics": _write_ics,
    "timelinejs": _write_timelinejs,
    "html": _write_html,
}
