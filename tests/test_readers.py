"""Readers: encodings, formats and bad input give documents or a clear InputError."""

from __future__ import annotations

import pytest

from hz_timeline.errors import InputError
from hz_timeline.importers.readers import decode, read_path

TEXT = "1999年,寧波的財政收入超過杭州。2017年,浙江出台“机器人+”计划。"


@pytest.mark.parametrize("enc", ["utf-8", "utf-8-sig", "utf-16", "gb18030", "big5"])
def test_decodes_common_chinese_encodings(tmp_path, enc):
    text = TEXT if enc != "gb18030" else TEXT.replace("寧波的財政收入超過", "宁波的财政收入超过")
    if enc == "big5":
        text = "1999年,寧波的財政收入超過杭州。2017年,浙江出台機器人計劃。"
    f = tmp_path / "a.txt"
    f.write_bytes(text.encode(enc))
    [doc] = read_path(f)
    assert doc.text == text
    assert len(doc.sha256) == 64


def test_crlf_is_kept(tmp_path):
    f = tmp_path / "a.txt"
    f.write_bytes("第一行\r\n2017年,浙江。\r\n".encode())
    [doc] = read_path(f)
    assert "\r\n" in doc.text


def test_binary_and_undecodable_files_are_refused_by_name(tmp_path):
    f = tmp_path / "img.txt"
    f.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(InputError, match="img.txt.*binary"):
        read_path(f)
    with pytest.raises(InputError, match="no such file"):
        read_path(tmp_path / "missing.txt")
    with pytest.raises(InputError, match="cannot be decoded"):
        decode(bytes([0x81, 0x30, 0xFF, 0xFF, 0xFE]) * 10, "x.txt")


def test_markdown_front_matter_is_metadata(tmp_path):
    f = tmp_path / "a.md"
    f.write_text("---\ntitle: 杭州\npublished: 2025-02-06\noutlet: 测试\n---\n2014年,杭州提出数字经济。\n", "utf-8")
    [doc] = read_path(f)
    assert doc.title == "杭州" and doc.outlet == "测试" and doc.published == "2025-02-06"
    assert doc.text.startswith("2014年")


def test_html_body_without_scripts_and_nav(tmp_path):
    f = tmp_path / "a.html"
    f.write_text(
        "<html><head><title>标题</title><meta property='article:published_time' content='2025-02-06T10:00'>"
        "<script>var x='2099年';</script></head><body><nav>首页 2088年</nav><p>2014年,杭州提出数字经济。</p></body></html>",
        "utf-8",
    )
    [doc] = read_path(f)
    assert doc.title == "标题" and doc.published.startswith("2025-02-06")
    assert "2014年" in doc.text and "2099" not in doc.text and "2088" not in doc.text


def test_jsonl_dump_one_document_per_line_and_bad_line_named(tmp_path):
    f = tmp_path / "dump.jsonl"
    f.write_text('{"title": "a", "text": "2014年,杭州。", "published": "2025-02-06"}\n\n{"content": "2017年,浙江。"}\n', "utf-8")
    docs = read_path(f)
    assert [d.path for d in docs] == [f"{f}#1", f"{f}#3"]
    f.write_text('{"text": "ok"}\n{"text": broken\n', "utf-8")
    with pytest.raises(InputError, match=r"dump.jsonl:2: malformed JSON"):
        read_path(f)


# ---------------------------------------------------------------- formats, encodings, options

import sys as _sys  # noqa: E402
from pathlib import Path as _Path  # noqa: E402

from hz_timeline.importers import readers as _readers  # noqa: E402
from hz_timeline.importers.readers import ReadOptions, detect_format, parse_map, parse_size, read_bytes, read_file  # noqa: E402

_sys.path.insert(0, str(_Path(__file__).resolve().parents[1] / "benchmarks"))
from generate import article, render  # noqa: E402


@pytest.mark.parametrize("kind", ["gbk", "big5", "utf16", "bom", "crlf"])
def test_generated_articles_decode_in_every_encoding(kind):
    a = article(3 if kind == "big5" else 1, target_chars=600)
    _, data = render(a, kind)
    [doc] = read_bytes(data, "a.txt", ".txt").documents
    assert doc.text.replace("\r\n", "\n").strip()[:40] == data.decode(
        {"gbk": "gb18030", "big5": "big5", "utf16": "utf-16", "bom": "utf-8-sig", "crlf": "utf-8"}[kind]
    ).replace("\r\n", "\n").strip()[:40]
    if kind == "crlf":
        assert "\r\n" in doc.text


def test_utf16_without_bom_and_mojibake_refused():
    text = "2014年,杭州提出数字经济。Hello 2017年\n" * 5
    assert decode(text.encode("utf-16-le"), "x") == text
    # Valid GB18030 byte pairs, but uniformly spread over rare characters: mojibake, not Chinese text.
    gibberish = b"".join(bytes((0xB0 + (i * 37) % 0x47, 0xA1 + (i * 53) % 0x5E)) for i in range(300))
    with pytest.raises(InputError, match="x.txt"):
        decode(gibberish, "x.txt")


def test_html_fallback_without_trafilatura(tmp_path, monkeypatch):
    monkeypatch.setattr(_readers, "USE_TRAFILATURA", False)
    f = tmp_path / "a.htm"
    f.write_text("<html><head><title>题</title></head><body><nav>2088年</nav><!-- 2077年 --><p>2014年,杭州。</p>"
                 "<time datetime='2025-02-06'>昨天</time></body></html>", "utf-8")
    [doc] = read_path(f)
    assert doc.title == "题" and doc.published == "2025-02-06" and "2088" not in doc.text and "2077" not in doc.text


def test_format_detection_and_override(tmp_path):
    assert detect_format('{"start": "2014", "title": "a"}\n{"start": "2015", "title": "b"}\n', ".jsonl") == "events-jsonl"
    assert detect_format('{"text": "2014年", "title": "a"}\n', ".jsonl") == "news-jsonl"
    assert detect_format('{"format": "hz-timeline/events", "events": []}', ".json") == "events-json"
    assert detect_format("<!DOCTYPE html><html><body>x</body></html>", ".txt") == "html"
    assert detect_format("---\ntitle: a\n---\nbody", ".txt") == "markdown"
    assert detect_format("start,title\n2014,a\n", ".csv") == "events-csv"
    f = tmp_path / "page.txt"
    f.write_text("<html><body><p>2014年,杭州。</p></body></html>", "utf-8")
    assert read_file(f).documents[0].format == "html"
    assert read_file(f, options=ReadOptions(format="text")).documents[0].text.startswith("<html>")


def test_options_parse():
    assert parse_size("50MB") == 50 * 1024 * 1024 and parse_size("0") == 0 and parse_size("2 GiB") == 2 * 1024 ** 3
    with pytest.raises(ValueError):
        parse_size("lots")
    assert parse_map(["text=body", "published=pubtime"]) == (("text", "body"), ("published", "pubtime"))
    with pytest.raises(ValueError, match="unknown field"):
        parse_map(["nope=body"])


def test_structured_errors_name_file_and_line(tmp_path):
    f = tmp_path / "ev.jsonl"
    f.write_text('{"start": "2014", "title": "a"}\n{"start": "2015", "title": "b"}\n{"start": "201x", "title": "c"}\n', "utf-8")
    with pytest.raises(InputError, match=r"ev.jsonl:3: start '201x' is not a date"):
        read_file(f)
    res = read_file(f, options=ReadOptions(skip_bad=True))
    assert len(res.chunks[0].events) == 2 and res.bad == [f"{f}:3: start '201x' is not a date (YYYY, YYYY-MM or YYYY-MM-DD)"]
