"""Readers: bytes on disk → ``Document``s (text, Markdown, HTML, JSONL news dumps) or
``EventChunk``s (structured events: our JSON export, JSONL, CSV).

The format is chosen from the extension and the content (``detect_format``) unless the caller
names one. Offsets downstream refer to the text exactly as decoded here; nothing is normalised
(CRLF stays CRLF). Decoding lives in ``encoding``; structured events in ``structured``.
Every problem is an ``InputError`` whose message names the file (and the line, for JSONL/CSV).
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path

import orjson

from ..errors import InputError
from ..models import Document
from ..text import script_of
from .encoding import decode
from .structured import CHUNK_SIZE, EventChunk, read_events

__all__ = ["decode", "read_path", "read_file", "ReadOptions", "ReadResult", "detect_format", "parse_size",
           "parse_map", "FORMATS", "TEXT_SUFFIXES", "MAX_BYTES"]

MAX_BYTES = 50 * 1024 * 1024
TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown", ".html", ".htm", ".xhtml", ".jsonl", ".ndjson", ".json",
                 ".csv", ".tsv"}
FORMATS = ("auto", "text", "markdown", "html", "news-jsonl", "news-json", "events", "events-json", "events-jsonl",
           "events-csv")
FORMAT_ALIASES = {"txt": "text", "md": "markdown", "htm": "html", "jsonl": "news-jsonl", "news": "news-jsonl",
                  "json": "events-json", "csv": "events-csv", "events": "events"}
STRUCTURED = ("events-json", "events-jsonl", "events-csv")

# Canonical field → keys tried in a news record, in order (``--map text=body`` replaces the list).
NEWS_KEYS = {
    "text": ("text", "content", "body", "article", "maintext"),
    "title": ("title", "headline"),
    "published": ("published", "time", "date", "pubtime", "publish_time", "pub_date", "datetime", "date_publish"),
    "url": ("url", "link"),
    "outlet": ("outlet", "source", "site", "sitename", "source_domain"),
}
EVENT_FIELDS = ("id", "start", "end", "date", "precision", "title", "summary", "kind", "entities", "tags", "source",
                "mentions", "disputes")


@dataclass(frozen=True)
class ReadOptions:
    format: str = "auto"
    mapping: tuple[tuple[str, str], ...] = ()  # (canonical field, key in the file)
    max_bytes: int = MAX_BYTES  # 0 = no limit
    skip_bad: bool = False
    chunk_size: int = CHUNK_SIZE


@dataclass
class ReadResult:
    format: str
    sha256: str
    documents: list[Document] = field(default_factory=list)
    chunks: list[EventChunk] = field(default_factory=list)
    bad: list[str] = field(default_factory=list)  # skipped records (only with skip_bad)
    bad_paths: set[str] = field(default_factory=set)  # documents not to drop although absent this time


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?\s*$", re.I)


def parse_size(value: str | int) -> int:
    """'50MB' → 52428800; '0' → 0 (no limit). Raises ValueError."""
    if isinstance(value, int):
        return value
    m = _SIZE.match(value or "")
    if not m:
        raise ValueError(f"{value!r} is not a size (try 50MB, 2GB or 0 for no limit)")
    unit = (m.group(2) or "b").lower().rstrip("b").rstrip("i")
    return int(float(m.group(1)) * 1024 ** " kmgt".index(unit or " "))


def parse_map(items) -> tuple[tuple[str, str], ...]:
    """['text=body', 'published=pubtime'] → (('text', 'body'), ...). Raises ValueError."""
    out = []
    known = set(NEWS_KEYS) | set(EVENT_FIELDS)
    for item in items or ():
        canon, sep, key = item.partition("=")
        canon, key = canon.strip(), key.strip()
        if not sep or not canon or not key:
            raise ValueError(f"--map {item!r}: expected FIELD=KEY, e.g. text=body")
        if canon not in known:
            raise ValueError(f"--map {item!r}: unknown field {canon!r} (one of {', '.join(sorted(known))})")
        out.append((canon, key))
    return tuple(out)


def normalize_format(fmt: str | None) -> str:
    fmt = (fmt or "auto").lower()
    fmt = FORMAT_ALIASES.get(fmt, fmt)
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
    return fmt


_FRONT = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
_HTML_START = re.compile(r"\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.I | re.S)


_FIRST_LINE = re.compile(r"\s*([^\n]+)")


def _first_json(text: str):
    # Only the first non-blank line: splitting a file of a million lines to look at one took seconds.
    m = _FIRST_LINE.match(text)
    if not m:
        return None
    try:
        return orjson.loads(m.group(1))
    except orjson.JSONDecodeError:
        return None


def _looks_event(obj, mapping: dict) -> bool:
    if not isinstance(obj, dict):
        return False
    text_keys = (mapping["text"],) if "text" in mapping else NEWS_KEYS["text"]
    if any(k in obj for k in text_keys):
        return False
    start = mapping.get("start", "start")
    return (start in obj or "date" in obj) and any(k in obj for k in ("title", "summary", mapping.get("title", "title")))


def detect_format(text: str, suffix: str, mapping: dict | None = None, hint: str = "auto") -> str:
    """The reader for a decoded file: from ``hint`` if given, else extension and content."""
    mapping = mapping or {}
    suffix = suffix.lower()
    head = text.lstrip("\ufeff")[:4096]
    if hint not in ("auto", "events"):
        return hint
    if suffix in (".csv", ".tsv"):
        return "events-csv"
    stripped = head.lstrip()
    if suffix in (".jsonl", ".ndjson") or (hint == "events" and stripped.startswith("{") and "\n{" in text[:1_000_000]):
        return "events-jsonl" if hint == "events" or _looks_event(_first_json(text), mapping) else "news-jsonl"
    if suffix == ".json" or stripped.startswith(("{", "[")):
        if stripped.startswith("["):
            first = None
            try:
                data = orjson.loads(text)
                first = data[0] if isinstance(data, list) and data else None
            except orjson.JSONDecodeError:
                pass
            if first is not None and not _looks_event(first, mapping) and hint != "events":
                return "news-json"
            return "events-json"
        if stripped.startswith("{"):
            # One JSON object: our export (or an events wrapper); several lines of objects: JSONL.
            if re.search(r'"format"\s*:\s*"hz-timeline/events"|"events"\s*:', head):
                return "events-json"
            if "\n" in text.strip():
                obj = _first_json(text)
                if isinstance(obj, dict):
                    return "events-jsonl" if hint == "events" or _looks_event(obj, mapping) else "news-jsonl"
            return "events-json" if suffix == ".json" or hint == "events" else "text"
        if suffix == ".json":
            return "events-json"
    if hint == "events":
        return "events-csv"
    if suffix in (".html", ".htm", ".xhtml") or _HTML_START.match(head):
        return "html"
    if suffix in (".md", ".markdown"):
        return "markdown"
    if _FRONT.match(text[:65536]):
        return "markdown"
    return "text"


def _front_matter(text: str) -> tuple[dict, int]:
    m = _FRONT.match(text)
    if not m:
        return {}, 0
    try:
        import yaml

        meta = yaml.safe_load(m.group(1))
    except Exception:
        return {}, 0
    if not isinstance(meta, dict):
        return {}, 0
    return {str(k).lower(): v for k, v in meta.items()}, m.end()


class _HTMLText(HTMLParser):
    """Visible text of a page without script/style/nav, plus title and publication meta."""

    SKIP = {"script", "style", "noscript", "nav", "header", "footer", "aside", "form", "svg", "iframe"}
    BLOCK = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "tr", "blockquote"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.title = ""
        self.in_title = False
        self.meta: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag in self.SKIP:
            self.skip += 1
        elif tag == "title":
            self.in_title = True
        elif tag == "meta":
            key = (a.get("property") or a.get("name") or a.get("itemprop") or "").lower()
            if key and a.get("content"):
                self.meta[key] = a["content"]
        elif tag == "time" and a.get("datetime"):
            self.meta.setdefault("time", a["datetime"])
        if tag in self.BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.skip:
            self.skip -= 1
        elif tag == "title":
            self.in_title = False
        if tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if self.in_title:
            self.title += data
        elif not self.skip:
            self.parts.append(data)


def _stdlib_html(text: str) -> tuple[str, dict]:
    p = _HTMLText()
    try:
        p.feed(text)
        p.close()
    except Exception:  # HTMLParser is lenient, but never let a page crash an import
        pass
    body = "".join(p.parts)
    body = re.sub(r"[ \t\u3000]*\n[\s]*", "\n", body).strip()
    meta: dict = {"title": html.unescape(p.meta.get("og:title") or "").strip() or None,
                  "page_title": html.unescape(p.title).strip() or None}
    for key in ("article:published_time", "og:published_time", "pubdate", "publishdate", "datepublished",
                "publish_date", "date", "dc.date", "time"):
        if p.meta.get(key):
            meta["published"] = p.meta[key]
            break
    if p.meta.get("og:site_name"):
        meta["outlet"] = p.meta["og:site_name"]
    if p.meta.get("og:url"):
        meta["url"] = p.meta["og:url"]
    return body, meta


def _trafilatura_config():
    global _TRAF_CONFIG
    if _TRAF_CONFIG is None:
        from trafilatura.settings import use_config

        cfg = use_config()
        cfg.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")  # no SIGALRM: imports run in workers and threads
        cfg.set("DEFAULT", "MIN_EXTRACTED_SIZE", "10")
        cfg.set("DEFAULT", "MIN_OUTPUT_SIZE", "1")
        cfg.set("DEFAULT", "MIN_EXTRACTED_COMM_SIZE", "1")
        cfg.set("DEFAULT", "MIN_OUTPUT_COMM_SIZE", "1")
        _TRAF_CONFIG = cfg
    return _TRAF_CONFIG


_TRAF_CONFIG = None
USE_TRAFILATURA = True  # tests flip this to exercise the stdlib fallback


def _html_document(text: str) -> tuple[str, dict]:
    """Article body, title, publication time and site name of a page.

    trafilatura (a maintained extractor made for news pages) finds the body when installed;
    the stdlib parser supplies the meta tags and is the fallback body extractor. Title:
    og:title, else the extractor's (the article heading), else <title>.
    """
    body, meta = _stdlib_html(text)
    page_title = meta.pop("page_title", None)
    got: dict = {}
    if USE_TRAFILATURA:
        try:
            import trafilatura

            res = trafilatura.bare_extraction(
                text, config=_trafilatura_config(), include_comments=False, include_tables=True, favor_recall=True,
                with_metadata=True, date_extraction_params={"extensive_search": False, "original_date": True})
            if res is not None:
                got = res.as_dict() if hasattr(res, "as_dict") else dict(res)
        except Exception:  # not installed, or a page that trips it: the fallback still imports it
            got = {}
    if isinstance(got.get("text"), str) and got["text"].strip():
        body = got["text"].strip()
    meta["title"] = meta.get("title") or _str(got.get("title")) or page_title
    for key, theirs in (("published", "date"), ("outlet", "sitename"), ("url", "url")):
        if not meta.get(key) and _str(got.get(theirs)):
            meta[key] = _str(got.get(theirs))
    return body, meta


def _first_line(text: str) -> str | None:
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:120]
    return None


def _str(v) -> str | None:
    if v is None or v == "" or isinstance(v, (dict, list)):
        return None
    return str(v).strip() or None


def read_file(path: Path, display: str | None = None, options: ReadOptions = ReadOptions()) -> ReadResult:
    """Read one file into documents or event chunks. Raises InputError naming the file."""
    path = Path(path)
    name = display or str(path)
    limit = options.max_bytes
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise InputError(f"{name}: is a directory")
        if limit and size > limit:
            raise InputError(f"{name}: {size:,} bytes is over the {limit:,}-byte limit (raise it with --max-size)")
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{name}: is a directory") from None
    except OSError as e:
        raise InputError(f"{name}: cannot be read ({e.strerror or e})") from None
    return read_bytes(data, name, path.suffix, options)


def read_bytes(data: bytes, name: str, suffix: str = "", options: ReadOptions = ReadOptions()) -> ReadResult:
    """Like ``read_file`` for bytes already in memory (``suffix`` helps choose the format)."""
    if options.max_bytes and len(data) > options.max_bytes:
        raise InputError(f"{name}: {len(data):,} bytes is over the {options.max_bytes:,}-byte limit (raise it with --max-size)")
    if not data.strip():
        raise InputError(f"{name}: is empty")
    sha = hashlib.sha256(data).hexdigest()
    text = decode(data, name)
    mapping = dict(options.mapping)
    fmt = detect_format(text, suffix, mapping, normalize_format(options.format))
    result = ReadResult(format=fmt, sha256=sha)
    if fmt in STRUCTURED:
        result.chunks, result.bad = read_events(text, name, fmt, mapping, options.skip_bad, options.chunk_size)
        if not result.chunks and not result.bad:
            raise InputError(f"{name}: no events in this {fmt} file")
        return result
    if fmt in ("news-jsonl", "news-json"):
        _news(text, name, mapping, options.skip_bad, result, fmt)
        return result
    result.documents.append(_single(text, name, sha, fmt))
    return result


def _single(text: str, name: str, sha: str, fmt: str) -> Document:
    meta: dict = {}
    if fmt == "html":
        text, meta = _html_document(text)
    elif fmt in ("markdown", "text"):
        meta, cut = _front_matter(text)
        if cut:
            # Front matter is metadata: the document text (and every offset) starts after it.
            text = text[cut:]
    if not text.strip():
        raise InputError(f"{name}: has no text" + (" (no article body found in the page)" if fmt == "html" else ""))
    published = _str(meta.get("published") or meta.get("date") or meta.get("pubdate"))
    return Document(
        path=name,
        text=text,
        sha256=sha,
        title=_str(meta.get("title")) or _first_line(text),
        outlet=_str(meta.get("outlet") or meta.get("source") or meta.get("site")),
        url=_str(meta.get("url") or meta.get("link")),
        published=published,
        published_source="metadata" if published else "none",
        script=script_of(text),
        format=fmt,
    )


def _pick(obj: dict, canon: str, mapping: dict):
    keys = (mapping[canon],) if canon in mapping else NEWS_KEYS[canon]
    for k in keys:
        v = obj.get(k)
        if v not in (None, ""):
            return v
    return None


def _news_records(text: str, name: str, fmt: str):
    if fmt == "news-json":
        try:
            data = orjson.loads(text)
        except orjson.JSONDecodeError as e:
            raise InputError(f"{name}:{getattr(e, 'lineno', '?')}: malformed JSON ({getattr(e, 'msg', e)})") from None
        if not isinstance(data, list):
            raise InputError(f"{name}: expected a list of articles")
        for i, obj in enumerate(data, 1):
            yield i, orjson.dumps(obj), obj, None
        return
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError as e:
            yield lineno, None, None, f"malformed JSON ({str(e).split(':')[0]})"
            continue
        yield lineno, line.encode("utf-8", "surrogatepass"), obj, None


def _news(text: str, name: str, mapping: dict, skip_bad: bool, result: ReadResult, fmt: str) -> None:
    """A news dump: one article per JSONL line (or per element of a JSON list), named file#line."""
    text_keys = "/".join((mapping["text"],) if "text" in mapping else NEWS_KEYS["text"][:3])
    for no, raw, obj, err in _news_records(text, name, fmt):
        path = f"{name}#{no}"
        if err is None and not isinstance(obj, dict):
            err = "expected a JSON object per line"
        body = _pick(obj, "text", mapping) if err is None else None
        if err is None and (not isinstance(body, str) or not body.strip()):
            err = f"no '{text_keys}' field with text (map another key with --map text=KEY)"
        if err:
            msg = f"{name}:{no}: {err}"
            if not skip_bad:
                raise InputError(msg)
            result.bad.append(msg)
            result.bad_paths.add(path)
            continue
        published = _str(_pick(obj, "published", mapping))
        result.documents.append(Document(
            path=path,
            text=body,
            sha256=hashlib.sha256(raw).hexdigest(),
            title=_str(_pick(obj, "title", mapping)) or _first_line(body),
            outlet=_str(_pick(obj, "outlet", mapping)),
            url=_str(_pick(obj, "url", mapping)),
            published=published,
            published_source="metadata" if published else "none",
            script=script_of(body),
            format="jsonl",
        ))
    if not result.documents and not result.bad:
        raise InputError(f"{name}: no articles in this news dump")


def read_path(path: Path, display: str | None = None, options: ReadOptions = ReadOptions()) -> list[Document]:
    """Read one file into documents (a JSONL dump gives one per line; structured events give
    their chunk documents). Raises InputError."""
    res = read_file(path, display, options)
    return res.documents + [c.document for c in res.chunks]


def with_overrides(doc: Document, **kw) -> Document:
    return replace(doc, **{k: v for k, v in kw.items() if v is not None})
