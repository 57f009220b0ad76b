"""Readers: bytes on disk → ``Document`` (text, markdown, html, jsonl news dumps).

Offsets downstream refer to the text exactly as decoded here; nothing is normalised
(CRLF stays CRLF). Decoding: UTF-8 (BOM or not), UTF-16 with BOM, then GB18030 or Big5,
whichever decodes cleanly with the more plausible characters.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

from ..errors import InputError
from ..models import Document
from ..text import script_of

TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown", ".html", ".htm", ".jsonl", ".ndjson"}
MAX_BYTES = 50 * 1024 * 1024

# Frequent characters of both scripts: a decoding that yields many of them is the plausible one.
_COMMON = set("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严龍國會這個為們說來時後對發過經還進開關於與當從麼業動")
_PLAUSIBLE = re.compile(r"[\u4e00-\u9fff]")


def decode(data: bytes, name: str) -> str:
    """Decode bytes to text or raise InputError naming the file."""
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{name}: looks like a binary file (NUL bytes), not text")
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8")
        except UnicodeDecodeError as e:
            raise InputError(f"{name}: has a UTF-8 BOM but is not valid UTF-8 (byte {e.start})") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as e:
            raise InputError(f"{name}: has a UTF-16 BOM but is not valid UTF-16 (byte {e.start})") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    candidates = []
    for enc in ("gb18030", "big5"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        cjk = _PLAUSIBLE.findall(text)
        score = sum(1 for c in cjk if c in _COMMON) / (len(cjk) or 1)
        candidates.append((score, enc, text))
    if not candidates:
        raise InputError(f"{name}: cannot be decoded as UTF-8, UTF-16, GB18030/GBK or Big5")
    candidates.sort(reverse=True)
    return candidates[0][2]


_FRONT = re.compile(r"\A---\r?\n(.*?)\r?\n---\r?\n", re.S)


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


def _html_document(text: str) -> tuple[str, dict]:
    p = _HTMLText()
    p.feed(text)
    body = "".join(p.parts)
    body = re.sub(r"[ \t\u3000]*\n[\s]*", "\n", body).strip()
    meta = {"title": html.unescape(p.meta.get("og:title") or p.title).strip() or None}
    for key in ("article:published_time", "pubdate", "publishdate", "datepublished", "date", "time"):
        if p.meta.get(key):
            meta["published"] = p.meta[key]
            break
    if p.meta.get("og:site_name"):
        meta["outlet"] = p.meta["og:site_name"]
    return body, meta


def _first_line(text: str) -> str | None:
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:120]
    return None


def read_path(path: Path, display: str | None = None) -> list[Document]:
    """Read one file into documents (a JSONL dump gives one per line). Raises InputError."""
    name = display or str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{name}: is a directory") from None
    except OSError as e:
        raise InputError(f"{name}: cannot be read ({e.strerror})") from None
    if len(data) > MAX_BYTES:
        raise InputError(f"{name}: {len(data):,} bytes is over the {MAX_BYTES:,}-byte limit")
    sha = hashlib.sha256(data).hexdigest()
    text = decode(data, name)
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return _jsonl_documents(text, name, sha)
    meta: dict = {}
    fmt = "text"
    if suffix in (".html", ".htm") or re.match(r"\s*<(!doctype html|html)", text[:200], re.I):
        text, meta = _html_document(text)
        fmt = "html"
    elif suffix in (".md", ".markdown") or _FRONT.match(text):
        meta, cut = _front_matter(text)
        if cut:
            # Offsets must stay exact: blank the front matter instead of slicing it off would
            # leave junk; instead the document text starts after it.
            text = text[cut:]
        fmt = "markdown" if suffix in (".md", ".markdown") else "text"
    return [
        Document(
            path=name,
            text=text,
            sha256=sha,
            title=_str(meta.get("title")) or _first_line(text),
            outlet=_str(meta.get("outlet") or meta.get("source")),
            url=_str(meta.get("url")),
            published=_str(meta.get("published") or meta.get("date")),
            published_source="metadata" if (meta.get("published") or meta.get("date")) else "none",
            script=script_of(text),
            format=fmt,
        )
    ]


def _str(v) -> str | None:
    if v is None or v == "":
        return None
    return str(v).strip()


def _jsonl_documents(text: str, name: str, sha: str) -> list[Document]:
    docs = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise InputError(f"{name}:{lineno}: malformed JSON ({e.msg} at column {e.colno})") from None
        if not isinstance(obj, dict):
            raise InputError(f"{name}:{lineno}: expected a JSON object per line")
        body = obj.get("text") or obj.get("content") or obj.get("body")
        if not isinstance(body, str) or not body.strip():
            raise InputError(f"{name}:{lineno}: no 'text' or 'content' field")
        line_sha = hashlib.sha256(line.encode("utf-8")).hexdigest()
        published = _str(obj.get("published") or obj.get("time") or obj.get("date"))
        docs.append(
            Document(
                path=f"{name}#{lineno}",
                text=body,
                sha256=line_sha,
                title=_str(obj.get("title")) or _first_line(body),
                outlet=_str(obj.get("outlet") or obj.get("source")),
                url=_str(obj.get("url")),
                published=published,
                published_source="metadata" if published else "none",
                script=script_of(body),
                format="jsonl",
            )
        )
    return docs


def with_overrides(doc: Document, **kw) -> Document:
    return replace(doc, **{k: v for k, v in kw.items() if v is not None})
