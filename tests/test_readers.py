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
