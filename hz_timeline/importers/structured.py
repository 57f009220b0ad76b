"""Structured events: our JSON export, JSONL (one event per line) and CSV → ``EventChunk``s.

Structured input skips date finding and extraction: each event keeps its dates, title,
summary, kind, entities and tags as given. The store needs a document behind every mention,
so each *chunk* of a structured file (up to ``chunk_size`` events; a small file is one chunk)
becomes one synthetic ``Document`` whose text is the mentions' quotes, one per line. Mention
offsets are rewritten to point into that text, so ``text[start_char:end_char] == quote``
holds as for any document; where each quote originally came from (document path, title,
publication date and offsets in the file) is kept in the mention's ``explanation``.

Events keep their ``id``; rows without one (CSV usually) get a stable id from their content.
Every error names the file and the line (JSONL, CSV) or event number (JSON).
"""

from __future__ import annotations

import json

import csv
import functools
import hashlib
import io
import re
from calendar import monthrange
from dataclasses import dataclass, field
from typing import NamedTuple

import orjson

from ..errors import InputError
from ..models import KINDS, PRECISIONS, DateSpan, Document, Entity, Event, Mention
from ..text import UNSURE, FoldSpaced, fold_converted, fold_for_index, script_of, split_cjk, to_simplified

FORMAT_ID = "hz-timeline/events"
CHUNK_SIZE = 10_000
_ISO = re.compile(r"^\s*(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?\s*$")
_LIST_SPLIT = re.compile(r"\s*[;；|、]\s*")


class BadRecord(ValueError):
    """One record that cannot be read; the caller adds file and line."""


@dataclass
class EventChunk:
    """One transaction's worth of structured events, with the document that holds their quotes.

    ``rows`` are compact lists (cheap to send between processes), one per event:
    (id, start, end, precision, title, summary, kind, entities ((name, type), ...), tags (...),
    mentions ((start_char, end_char, quote, time_text, time_start, time_end, start, end,
    precision, resolution, explanation), ...), n_sources, folded search-index body, entities and
    tags as the JSON the mentions table stores). Workers build them; the single writer only inserts.
    """

    document: Document
    rows: list[tuple]
    first: int  # first line (JSONL/CSV) or event number (JSON) of the chunk
    last: int
    disputes: dict[str, tuple] = field(default_factory=dict)  # event id -> ((other id, reason), ...)

    @property
    def events(self) -> list[Event]:
        """The rows as ``Event``s with their ``Mention``s (for the per-event merge path)."""
        out = []
        for uid, start, end, precision, title, summary, kind, ents, tags, mentions, *_ in self.rows:
            ms = tuple(Mention(self.document.path, a, b, q, tt, ts, te, DateSpan(s, e, p, False, res, why))
                       for a, b, q, tt, ts, te, s, e, p, res, why in mentions)
            out.append(Event(uid, start, end, precision, title, summary, kind,
                             tuple(Entity(n, t) for n, t in ents), tags, ms))
        return out


def _interval(value, name: str) -> tuple[str, str, str]:
    if isinstance(value, str):
        return _interval_str(value, name)
    raise BadRecord(f"{name} must be a date string like 2014-03-05, not {type(value).__name__}")


@functools.lru_cache(maxsize=65536)
def _interval_str(value: str, name: str) -> tuple[str, str, str]:
    """'2014' → year, '2014-03' → month, '2014-03-05' → day: (start, end, precision)."""
    if not isinstance(value, str):
        raise BadRecord(f"{name} must be a date string like 2014-03-05, not {type(value).__name__}")
    m = _ISO.match(value)
    if not m:
        raise BadRecord(f"{name} {value!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)")
    y, mo, d = int(m.group(1)), m.group(2), m.group(3)
    try:
        if d:
            from datetime import date

            iso = date(y, int(mo), int(d)).isoformat()
            return iso, iso, "day"
        if mo:
            mo = int(mo)
            last = monthrange(y, mo)[1]
            return f"{y:04d}-{mo:02d}-01", f"{y:04d}-{mo:02d}-{last:02d}", "month"
    except ValueError:
        raise BadRecord(f"{name} {value!r} is not a calendar date") from None
    if y < 1:
        raise BadRecord(f"{name} {value!r} is not a calendar date")
    return f"{y:04d}-01-01", f"{y:04d}-12-31", "year"


def _dates(obj: dict, start_key="start", end_key="end") -> tuple[str, str, str]:
    raw_start = obj.get(start_key)
    if raw_start in (None, "") and obj.get("date") not in (None, ""):
        raw_start = obj.get("date")
    if raw_start in (None, ""):
        raise BadRecord("no 'start' (or 'date')")
    s0, e0, p0 = _interval(raw_start, "start")
    raw_end = obj.get(end_key)
    if raw_end not in (None, ""):
        _, e1, p1 = _interval(raw_end, "end")
        precision = obj.get("precision") or (p0 if e1 == e0 else "range")
    else:
        e1 = e0
        precision = obj.get("precision") or p0
    if precision not in PRECISIONS:
        raise BadRecord(f"precision {precision!r} is not one of {', '.join(PRECISIONS)}")
    if e1 < s0:
        raise BadRecord(f"end {e1} is before start {s0}")
    return s0, e1, precision


def _text(v, key: str, default: str = "") -> str:
    if v is None:
        return default
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return str(v)
    if not isinstance(v, str):
        raise BadRecord(f"{key} must be text")
    return v


def _entities(v) -> tuple[tuple[str, str], ...]:
    if v in (None, ""):
        return ()
    if isinstance(v, str):
        v = [x for x in _LIST_SPLIT.split(v.strip()) if x]
    if not isinstance(v, list):
        raise BadRecord("entities must be a list")
    out: dict[str, tuple[str, str]] = {}
    for e in v:
        if isinstance(e, dict):
            name, typ = e.get("name"), e.get("type") or "other"
        elif isinstance(e, (list, tuple)) and len(e) == 2:
            name, typ = e
        elif isinstance(e, str):
            name, _, typ = e.partition(":")
            typ = typ or "other"
        else:
            raise BadRecord("each entity must be {name, type}, [name, type] or 'name:type'")
        if not isinstance(name, str) or not name.strip() or not isinstance(typ, str):
            raise BadRecord("an entity has no name")
        typ = typ.strip() or "other"  # types are kept as given (org, person, place, product, event, ...)
        out.setdefault(name.strip(), (name.strip(), typ))
    return tuple(out.values())


def _tags(v) -> tuple[str, ...]:
    if v in (None, ""):
        return ()
    if isinstance(v, str):
        v = [x for x in _LIST_SPLIT.split(v.strip()) if x]
    if not isinstance(v, list) or not all(isinstance(t, str) for t in v):
        raise BadRecord("tags must be a list of strings")
    return tuple(dict.fromkeys(t.strip() for t in v if t.strip()))


def content_id(start: str, end: str, title: str, summary: str) -> str:
    return "ev-" + hashlib.sha1(f"{start}|{end}|{title}|{summary}".encode()).hexdigest()[:12]


class _Raw(NamedTuple):
    """An event as read, before its mentions are placed in a chunk text."""

    id: str
    start: str
    end: str
    precision: str
    title: str
    summary: str
    kind: str
    entities: tuple  # (name, type), ...
    tags: tuple
    mentions: list  # (quote, time_text, start, end, precision, resolution, origin, document), ...
    disputes: tuple
    n_sources: int


def parse_event(obj, mapping: dict[str, str] | None = None, origin: str = "") -> _Raw:
    """One event record (export record, JSONL line or CSV row as a dict) → _Raw."""
    if not mapping and type(obj) is dict:
        raw = _parse_plain(obj, origin)
        if raw is not None:
            return raw
    if not isinstance(obj, dict):
        raise BadRecord("expected a JSON object (an event)")
    if mapping:
        obj = {**obj, **{canon: obj.get(src) for canon, src in mapping.items() if src in obj}}
    start, end, precision = _dates(obj)
    summary = _text(obj.get("summary"), "summary").strip()
    title = _text(obj.get("title"), "title").strip()
    if not summary and not title:
        raise BadRecord("no 'title' or 'summary'")
    time_text = start if start == end else f"{start}..{end}"
    if precision in ("year", "month"):
        time_text = start[: 4 if precision == "year" else 7]
    if not title:
        from .events import make_title

        title = make_title(summary, "")
    summary = summary or title
    kind = obj.get("kind") or "past"
    if kind not in KINDS:
        raise BadRecord(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    ev_id = obj.get("id")
    if ev_id in (None, ""):
        ev_id = content_id(start, end, title, summary)
    elif not isinstance(ev_id, (str, int)) or isinstance(ev_id, bool):
        raise BadRecord("id must be text")
    mentions = []
    raw_mentions = obj.get("mentions")
    if raw_mentions not in (None, []):
        if not isinstance(raw_mentions, list):
            raise BadRecord("mentions must be a list")
        for i, m in enumerate(raw_mentions, 1):
            if not isinstance(m, dict):
                raise BadRecord(f"mention {i} is not an object")
            quote = _text(m.get("quote"), f"mention {i} quote")
            if not quote.strip():
                quote = summary
            ms, me, mp = start, end, precision
            if m.get("start"):
                ms, me, mp = _dates(m)
            res = m.get("resolution") or "explicit"
            if not isinstance(res, str):
                raise BadRecord(f"mention {i} resolution must be text")
            doc = _text(m.get("document"), "document")
            where = ""
            if doc:
                where = f"{doc}"
                if isinstance(m.get("start_char"), int) and isinstance(m.get("end_char"), int):
                    where += f" [{m['start_char']}:{m['end_char']}]"
                if m.get("document_title"):
                    where += f" «{_text(m.get('document_title'), 'document_title')}»"
                if m.get("published"):
                    where += f" published {_text(m.get('published'), 'published')}"
            mentions.append((quote, _text(m.get("time_text"), "time_text") or time_text, ms, me, mp, res,
                             where or origin, doc))
    else:
        source = _text(obj.get("source"), "source")
        mentions.append((summary, _text(obj.get("time_text"), "time_text") or time_text, start, end, precision,
                         "explicit", source or origin, source))
    disputes = obj.get("disputes") or ()
    if not isinstance(disputes, (list, tuple)):
        raise BadRecord("disputes must be a list")
    dis = []
    for d in disputes:
        if isinstance(d, dict) and isinstance(d.get("event"), str):
            dis.append((d["event"], _text(d.get("reason"), "reason")))
        elif isinstance(d, str):
            dis.append((d, ""))
    n_sources = len({m[7] for m in mentions if m[7]}) or 1
    return _Raw(str(ev_id), start, end, precision, title, summary, kind, _entities(obj.get("entities")),
                _tags(obj.get("tags")), mentions, tuple(dis), n_sources)


_DATES: dict[tuple, tuple[str, str, str, str]] = {}
# One string for each entity name and tag seen: the same few thousand come again and again, and
# SQLite is then given the UTF-8 of each once (Python keeps it with the string).
_NAMES: dict[str, str] = {}


def _dates_of(start: str, end, precision) -> tuple[str, str, str, str] | None:
    """``_dates`` of a record with this non-empty start string, end and precision as given, and
    the time text they make; None where ``_dates`` raises. Cached: a file has a few thousand
    distinct dates for a million events."""
    key = (start, end, precision)
    try:
        got = _DATES.get(key)
    except TypeError:  # an end or precision that is a list or an object
        return None
    if got is None:
        try:
            s0, e1, p = _dates({"start": start, "end": end, "precision": precision})
        except BadRecord:
            return None
        tt = s0 if s0 == e1 else f"{s0}..{e1}"
        if p in ("year", "month"):
            tt = s0[: 4 if p == "year" else 7]
        if len(_DATES) >= 100_000:
            _DATES.clear()
        got = _DATES[key] = (s0, e1, p, tt)
    return got


def _parse_plain(obj: dict, origin: str, no: int | None = None) -> _Raw | None:
    """``parse_event`` of a record in the plain shape our export writes (each value of the type
    it should have, an id, at least one mention, entities as objects) with fewer checks and
    calls; the same result. None for anything else: ``parse_event`` then reads the record the
    long way, and names what is wrong with it. With ``no``, the origin is ``origin:no``
    (made only if a mention needs it)."""
    get = obj.get
    start, raw_end, raw_precision = get("start"), get("end"), get("precision")
    if type(start) is not str or not start:
        return None
    raw_start = start
    dates = _dates_of(start, raw_end, raw_precision)
    title, summary, ev_id, raw_mentions = get("title"), get("summary"), get("id"), get("mentions")
    if (dates is None or type(title) is not str or type(summary) is not str or type(ev_id) is not str or not ev_id
            or type(raw_mentions) is not list or not raw_mentions):
        return None
    start, end, precision, time_text = dates
    title = title.strip()
    if not title:
        return None
    summary = summary.strip() or title
    kind = get("kind") or "past"
    if kind not in KINDS:
        return None
    mentions = []
    for m in raw_mentions:
        if type(m) is not dict:
            return None
        mget = m.get
        quote, tt, res, doc = mget("quote"), mget("time_text"), mget("resolution") or "explicit", mget("document")
        if type(quote) is not str or type(res) is not str or not (tt is None or type(tt) is str):
            return None
        if not quote or quote.isspace() or quote == summary:
            quote = summary  # (one string where there were two: SQLite is given its UTF-8 once)
        ms, me, mp = start, end, precision
        m_start = mget("start")
        if m_start and not (m_start == raw_start and mget("end") == raw_end and mget("precision") == raw_precision):
            if type(m_start) is not str:
                return None
            m_dates = _dates_of(m_start, mget("end"), mget("precision"))
            if m_dates is None:
                return None
            ms, me, mp, _ = m_dates
        where = ""
        if doc is None:
            doc = ""
        elif type(doc) is not str:
            return None
        elif doc:
            where = doc
            a, b = mget("start_char"), mget("end_char")
            if isinstance(a, int) and isinstance(b, int):
                where += f" [{a}:{b}]"
            dt = mget("document_title")
            if dt:
                if type(dt) is not str:
                    return None
                where += f" «{dt}»"
            pub = mget("published")
            if pub:
                if type(pub) is not str:
                    return None
                where += f" published {pub}"
        if not where and no is not None:
            origin, no = f"{origin}:{no}", None
        mentions.append((quote, tt or time_text, ms, me, mp, res, where or origin, doc))
    disputes = get("disputes") or ()
    dis = ()
    if disputes:
        if type(disputes) is not list:
            return None
        try:
            dis = tuple((d["event"], _text(d.get("reason"), "reason")) if isinstance(d, dict) else (d, "")
                        for d in disputes
                        if (isinstance(d, dict) and isinstance(d.get("event"), str)) or isinstance(d, str))
        except BadRecord:
            return None
    if len(_NAMES) > 200_000:
        _NAMES.clear()
    names = _NAMES
    ents = get("entities")
    entities = ()
    if ents is not None:
        if type(ents) is not list:
            return None
        named: dict[str, tuple[str, str]] = {}
        for e in ents:
            if type(e) is not dict:
                return None
            name, typ = e.get("name"), e.get("type") or "other"
            if type(name) is not str or type(typ) is not str:
                return None
            name = name.strip()
            if not name:
                return None
            if name not in named:
                named[name] = (names.setdefault(name, name), typ.strip() or "other")
        entities = tuple(named.values())
    tags = get("tags")
    if tags is None:
        tags = ()
    elif type(tags) is not list:
        return None
    elif len(tags) == 1 and type(tags[0]) is str:
        t = tags[0].strip()
        tags = (names.setdefault(t, t),) if t else ()
    else:
        if not all(type(t) is str for t in tags):
            return None
        tags = tuple(dict.fromkeys(names.setdefault(t, t) for t in (t.strip() for t in tags) if t))
    n_sources = 1 if len(mentions) == 1 else len({m[7] for m in mentions if m[7]}) or 1
    return _Raw(ev_id, start, end, precision, title, summary, kind, entities, tags, mentions, dis, n_sources)


def build_chunk(raws: list[_Raw], path: str, fmt: str, sha: str, first: int, last: int,
                title: str | None = None) -> EventChunk:
    """Place the mentions' quotes one per line in a synthetic document; rewrite offsets to it."""
    quotes: list[str] = []
    pos = 0
    rows: list[list] = []
    bodies: list[str] = []
    aliases = _aliases_by_name()
    # The same entity and tag lists come again and again: what is made of each (the names and
    # aliases that end a search-index body, the JSON the mentions table keeps) is made once.
    by_ents: dict[tuple, tuple[str, str]] = {}
    tags_json: dict[tuple, str] = {}
    dumps = json.dumps
    for uid, start, end, precision, ev_title, summary, kind, ents, tags, raw_mentions, _, n_sources in raws:
        mentions = []
        for quote, tt, ms, me, mp, res, where, _ in raw_mentions:
            k = quote.find(tt) if tt else -1
            if k < 0 and tt:
                quote = f"{tt} {quote}"
                k = 0
            b = pos + len(quote)
            ts, te = (pos + k, pos + k + len(tt)) if k >= 0 else (pos, pos)
            mentions.append((pos, b, quote, tt, ts, te, ms, me, mp, res,
                             f"imported from {where}" if where else "imported as given"))
            quotes.append(quote)
            pos = b + 1
        e = by_ents.get(ents)
        if e is None:
            names = [n for n, _ in ents]
            names += [a for n in names for a in aliases.get(n, ())]
            e = by_ents[ents] = (" " + " ".join(names) if names else "",
                                 dumps([list(x) for x in ents], ensure_ascii=False))
        tj = tags_json.get(tags)
        if tj is None:
            tj = tags_json[tags] = dumps(list(tags), ensure_ascii=False)
        said = mentions[0][2] if len(mentions) == 1 else " ".join([m[2] for m in mentions])
        bodies.append(f"{ev_title} {said}{e[0]}" if mentions else f"{ev_title}{e[0]}")
        rows.append([uid, start, end, precision, ev_title, summary, kind, ents, tags, tuple(mentions), n_sources,
                     None, e[1], tj])
    for row, folded in zip(rows, index_bodies(bodies)):
        row[11] = folded
    text = "\n".join(quotes) + "\n" if quotes else ""
    doc = Document(path=path, text=text, sha256=sha, title=title or path, published=None, published_source="none",
                   script=script_of(text), format=fmt)
    return EventChunk(doc, rows, first, last, {r.id: r.disputes for r in raws if r.disputes})


BODY_SEP = "\ue000"  # private use: not whitespace (\x1f is, to re), untouched by NFKC and OpenCC
_FOLD = FoldSpaced(keep=BODY_SEP)


def index_bodies(bodies: list[str]) -> list[str]:
    """``fold_for_index`` of many strings at once: one OpenCC pass over all of them, then NFKC,
    case folding and CJK spacing in one ``str.translate`` (``text.FoldSpaced``; a string with a
    character that can't be folded on its own is folded as a whole instead): same result,
    several times faster."""
    if not bodies:
        return []
    simplified = to_simplified(BODY_SEP.join(b.replace(BODY_SEP, " ") for b in bodies))
    folded = simplified.translate(_FOLD)
    parts = folded.split(BODY_SEP)
    if len(parts) != len(bodies):  # a conversion that ate a separator: do it one by one
        return [fold_for_index(b) for b in bodies]
    out = [" ".join(p.split()) for p in parts]
    if UNSURE in folded:
        whole = simplified.split(BODY_SEP)
        for i, p in enumerate(out):
            if UNSURE in p:
                out[i] = split_cjk(fold_converted(whole[i]))
    return out


@functools.lru_cache(maxsize=1)
def _aliases_by_name() -> dict[str, tuple[str, ...]]:
    from .events import load_knowledge

    out: dict[str, list[str]] = {}
    for alias, ent in load_knowledge().alias_map.items():
        out.setdefault(ent.name, []).append(alias)
    return {k: tuple(v) for k, v in out.items()}


def chunk_path(display: str, k: int, total: int) -> str:
    """The document path of chunk k (1-based) of a structured file: the file itself when it is one chunk."""
    return display if total == 1 else f"{display}#part{k}"


def chunk_sha(raw_texts: list[str] | list[bytes]) -> str:
    """The identity of a chunk: its records' texts (bytes: UTF-8) joined by \\x1e."""
    if raw_texts and isinstance(raw_texts[0], bytes):
        return hashlib.sha256(b"\x1e".join(raw_texts)).hexdigest()
    return hashlib.sha256("\x1e".join(raw_texts).encode("utf-8", "surrogatepass")).hexdigest()


def split_records(text: str, name: str, fmt: str) -> list[tuple[int, str, object]]:
    """(line or event number, raw text, parsed object or None) for each record of a structured file.

    JSONL lines are left unparsed (None) so that parsing happens where the chunk is built (a worker)."""
    if fmt == "events-jsonl":
        return [(no, line, None) for no, line in enumerate(text.splitlines(), 1) if line.strip()]
    if fmt == "events-json":
        return list(_json_records(text, name))
    if fmt == "events-csv":
        return list(_csv_records(text, name))
    raise ValueError(fmt)


@dataclass(frozen=True)
class PackedLines:
    """A group of JSONL records as one string (their lines joined by ``sep``) and their line
    numbers: one string is far cheaper to send to a worker than thousands of tuples.

    Made from text (``pack_lines``: joined by \\x1e, which ends a line to ``str.splitlines`` so
    can't occur inside one) or, for a plain UTF-8 file, straight from its bytes (``jsonl_groups``:
    the \\n-separated lines as they are in the file, never decoded in the parent)."""

    joined: str | bytes
    numbers: list[int] | range
    sep: str | bytes = "\x1e"

    def records(self) -> list[tuple[int, str | bytes, None]]:
        """The records back exactly, as ``split_records`` gives them (bytes lines stay bytes)."""
        return [(no, line, None) for no, line in zip(self.numbers, self.joined.split(self.sep))]

    def sha(self) -> str:
        """``chunk_sha`` of the records."""
        if isinstance(self.joined, bytes):
            # (UTF-8 text without \x1e, so this is the encoding chunk_sha hashes)
            return hashlib.sha256(self.joined.replace(self.sep, b"\x1e")).hexdigest()
        return chunk_sha([self.joined])


def pack_lines(records: list) -> PackedLines | None:
    """A group of JSONL records from ``split_records`` packed for a worker; None for other formats."""
    if not records or records[0][2] is not None:
        return None
    return PackedLines("\x1e".join(r[1] for r in records), [r[0] for r in records])


# Characters other than \n that end a line to str.splitlines: a file with none of them is cut into
# the same lines by bytes.find(b"\n"). (The one-byte ones are looked for in the bytes, faster.)
_OTHER_BREAKS = b"\r\x0b\x0c\x1c\x1d\x1e", "\x85\u2028\u2029"
_NOT_A_RECORD = re.compile(rb"\n[^{]")  # a line that doesn't start with "{" (a blank one among them)


class NotPlain(ValueError):
    """A JSONL file not laid out as ``jsonl_groups`` needs: its text is cut instead."""


def _nth_newline(data: bytes, a: int, n: int, guess: int) -> int:
    """Where the n-th b"\n" at or after ``a`` is (-1: fewer): counted in C up to an estimate
    (``guess`` bytes on, n lines of the length seen so far), then a few lines on or back."""
    b = min(len(data), a + max(1, guess))
    c = data.count(b"\n", a, b)
    j = b
    if c >= n:
        for _ in range(c - n + 1):
            j = data.rfind(b"\n", a, j)
        return j
    j = b - 1
    for _ in range(n - c):
        j = data.find(b"\n", j + 1)
        if j < 0:
            return -1
    return j


def iter_jsonl_groups(data: bytes, start: int, size: int):
    """``split_records`` of a JSONL file in UTF-8 cut into groups of ``size`` and packed, one group
    at a time, without decoding the file or splitting it into a million strings: the groups are
    slices of ``data``, the file's bytes from ``start`` (after a BOM). Only for the plain layout
    every JSON Lines writer produces, which gives the same records: valid UTF-8, \n line ends and
    no other line break, and every line (but an empty last one) starting with "{" (so none is
    blank). Each group is checked as it is cut: ``NotPlain`` at the first that fails (the caller
    then decodes the whole file and cuts its text), so a caller may start work on the groups
    before the end of the file is read (but write nothing until the last one is out)."""
    end = len(data)
    pos, no = start, 0
    avg = 0
    while pos < end:
        if data[pos] != 0x7B:  # "{"
            raise NotPlain("a line does not start with {")
        if not avg:
            probe = min(end, pos + (1 << 20))
            avg = max(1, (probe - pos) // max(1, data.count(b"\n", pos, probe)))
        j = _nth_newline(data, pos, size, size * avg)
        n = size
        if j < 0:  # the last group: up to the file's last line end, if it has one
            j = end - 1 if data[end - 1] == 0x0A else end
            n = data.count(b"\n", pos, j) + 1
        piece = data[pos:j]
        if any(bytes((c,)) in piece for c in _OTHER_BREAKS[0]) or _NOT_A_RECORD.search(data, pos, min(j + 1, end)):
            raise NotPlain("other line breaks or a line that is not a record")
        try:
            text = str(piece, "utf-8")
        except UnicodeDecodeError:
            raise NotPlain("not UTF-8") from None
        if any(c in text for c in _OTHER_BREAKS[1]):
            raise NotPlain("other line breaks")
        yield PackedLines(piece, range(no + 1, no + n + 1), b"\n")
        no += n
        avg = max(1, (j + 1 - pos) // n)
        pos = j + 1


def jsonl_groups(data: bytes, start: int, size: int) -> list[PackedLines] | None:
    """All of ``iter_jsonl_groups``, or None when the file is not laid out plainly."""
    try:
        return list(iter_jsonl_groups(data, start, size))
    except NotPlain:
        return None


def groups(records: list, size: int) -> list[list]:
    return [records[i : i + size] for i in range(0, len(records), size)]


def build_events_chunk(records: list, name: str, fmt: str, path: str, mapping: dict | None = None,
                       skip_bad: bool = False, sha: str | None = None) -> tuple[EventChunk | None, list[str]]:
    """Parse one group of records into a chunk. Bad records raise InputError (file and line),
    or with ``skip_bad`` are left out and described in the returned messages. ``sha``: the
    records' ``chunk_sha`` when the caller has it already."""
    good: list[_Raw] = []
    bad: list[str] = []
    plain = not mapping
    for no, raw_text, obj in records:
        try:
            if obj is None:
                try:
                    obj = orjson.loads(raw_text)
                except orjson.JSONDecodeError as e:
                    raise BadRecord(f"malformed JSON ({str(e).split(':')[0]})") from None
            if isinstance(obj, BadRecord):
                raise obj
            raw = _parse_plain(obj, name, no) if plain and type(obj) is dict else None
            good.append(raw or parse_event(obj, mapping, origin=f"{name}:{no}"))
        except BadRecord as e:
            msg = f"{name}: event {no}: {e}" if fmt == "events-json" else f"{name}:{no}: {e}"
            if not skip_bad:
                raise InputError(msg) from None
            bad.append(msg)
    if not good:
        return None, bad
    # The chunk's identity is all of its records, good or bad: a fixed bad line re-imports the chunk.
    sha = sha or chunk_sha([t for _, t, _ in records])
    first, last = records[0][0], records[-1][0]
    chunk = build_chunk(good, path, fmt, sha, first, last, title=f"{name} ({fmt}, {first}–{last})")
    return chunk, bad


def read_events(text: str, name: str, fmt: str, mapping: dict | None = None, skip_bad: bool = False,
                chunk_size: int = CHUNK_SIZE) -> tuple[list[EventChunk], list[str]]:
    """Parse a whole structured file already decoded: (chunks, messages for skipped bad records)."""
    parts = groups(split_records(text, name, fmt), chunk_size)
    chunks, bad = [], []
    for k, g in enumerate(parts, 1):
        chunk, b = build_events_chunk(g, name, fmt, chunk_path(name, k, len(parts)), mapping, skip_bad)
        bad.extend(b)
        if chunk:
            chunks.append(chunk)
    return chunks, bad


def _json_records(text: str, name: str):
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as e:
        raise InputError(f"{name}:{getattr(e, 'lineno', '?')}: malformed JSON ({getattr(e, 'msg', e)})") from None
    if isinstance(data, dict):
        if data.get("format") not in (None, FORMAT_ID):
            raise InputError(f"{name}: format {data.get('format')!r} is not {FORMAT_ID}")
        if data.get("version", 1) != 1:
            raise InputError(f"{name}: {FORMAT_ID} version {data.get('version')!r} is not supported (only 1)")
        events = data.get("events")
    else:
        events = data
    if not isinstance(events, list):
        raise InputError(f"{name}: expected {{\"format\": \"{FORMAT_ID}\", \"events\": [...]}} or a list of events")
    for no, ev in enumerate(events, 1):
        yield no, orjson.dumps(ev).decode(), ev


CSV_COLUMNS = ("start", "end", "date", "title", "summary", "entities", "tags", "source", "kind", "precision", "id")


def _csv_records(text: str, name: str):
    sample = text[:4096]
    delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        header = next(reader, None)
    except csv.Error as e:
        raise InputError(f"{name}:1: malformed CSV ({e})") from None
    if not header:
        raise InputError(f"{name}: empty CSV (a header line is needed)")
    header = [h.strip().lower().lstrip("\ufeff") for h in header]
    if not ({"start", "date"} & set(header)):
        raise InputError(f"{name}:1: the CSV header needs a 'start' or 'date' column (has: {', '.join(header)})")
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            yield reader.line_num, "", BadRecord(f"malformed CSV ({e})")
            continue
        no = reader.line_num
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(header):
            yield no, "", BadRecord(f"{len(row)} fields where the header has {len(header)}")
            continue
        yield no, delimiter.join(row), dict(zip(header, row))
