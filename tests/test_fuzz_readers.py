"""Readers fuzzed with random, truncated and mixed-encoding input: a clean result or an
InputError naming the file, never any other exception."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hz_timeline.errors import InputError
from hz_timeline.importers.readers import ReadOptions, read_bytes

SAMPLES = [
    "---\ntitle: 杭州\npublished: 2025-02-06\n---\n2014年,杭州提出数字经济。\r\n".encode("utf-8"),
    "<html><head><title>题</title></head><body><p>2017年,浙江出台计划。</p></body></html>".encode("utf-8"),
    (json.dumps({"title": "a", "text": "2014年,杭州。", "published": "2025-02-06"}, ensure_ascii=False) + "\n").encode(),
    (json.dumps({"id": "ev-1", "start": "2014-03", "title": "杭州", "summary": "2014年3月,杭州。",
                 "entities": [{"name": "杭州", "type": "place"}], "mentions": [{"quote": "2014年3月,杭州。"}]},
                ensure_ascii=False) + "\n").encode(),
    '{"format": "hz-timeline/events", "version": 1, "events": [{"id": "a", "start": "2014", "title": "x"}]}'.encode(),
    "start,end,title,summary\n2014-03-05,,杭州,杭州发布\n".encode("utf-8"),
    "1999年,寧波的財政收入超過杭州。".encode("big5"),
    "1999年,宁波的财政收入超过杭州。".encode("gb18030"),
    "2014年,杭州。".encode("utf-16"),
]
NAMES = [".txt", ".md", ".html", ".jsonl", ".json", ".csv", ""]
FORMATS = ["auto", "text", "markdown", "html", "news-jsonl", "events", "events-json", "events-jsonl", "events-csv"]
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _read(data: bytes, suffix: str, fmt: str, skip_bad: bool = False):
    try:
        res = read_bytes(data, "f" + suffix, suffix, ReadOptions(format=fmt, skip_bad=skip_bad))
    except InputError as e:
        assert str(e).startswith("f" + suffix)
        return None
    for d in res.documents + [c.document for c in res.chunks]:
        assert isinstance(d.text, str) and d.path.startswith("f" + suffix)
    for c in res.chunks:
        doc = c.document
        for ev in c.events:
            assert ev.start <= ev.end
            for m in ev.mentions:
                assert doc.text[m.start_char:m.end_char] == m.quote
    return res


@FUZZ
@given(st.binary(max_size=600), st.sampled_from(NAMES), st.sampled_from(FORMATS))
def test_random_bytes(data, suffix, fmt):
    _read(data, suffix, fmt)


@FUZZ
@given(st.sampled_from(SAMPLES), st.integers(0, 400), st.sampled_from(NAMES), st.sampled_from(FORMATS), st.booleans())
def test_truncated_files(sample, cut, suffix, fmt, skip_bad):
    _read(sample[:cut], suffix, fmt, skip_bad)


@FUZZ
@given(st.lists(st.tuples(st.text(max_size=40), st.sampled_from(["utf-8", "gb18030", "big5", "utf-16-le"])), max_size=6),
       st.sampled_from(NAMES), st.sampled_from(FORMATS))
def test_mixed_encodings(parts, suffix, fmt):
    _read(b"".join(t.encode(enc, "replace") for t, enc in parts), suffix, fmt)


_VALUE = st.one_of(
    st.none(), st.integers(), st.text(max_size=12),
    st.sampled_from(["2014", "2014-02-30", "2014-03-05", "past", "day"]),
    st.lists(st.text(max_size=5), max_size=2),
    st.lists(st.dictionaries(st.sampled_from(["quote", "name", "type", "start"]), st.text(max_size=8), max_size=3),
             max_size=2),
)
_KEYS = st.sampled_from(["id", "start", "end", "date", "title", "summary", "kind", "entities", "tags", "mentions",
                         "text", "precision"])
_RECORD = st.one_of(st.dictionaries(_KEYS, _VALUE, max_size=8), st.integers(), st.text(max_size=5))


@FUZZ
@given(st.lists(_RECORD, max_size=5), st.sampled_from([".jsonl", ".json"]), st.booleans())
def test_json_shaped_garbage(records, suffix, skip_bad):
    if suffix == ".json":
        data = json.dumps({"format": "hz-timeline/events", "version": 1, "events": records}, ensure_ascii=False).encode()
    else:
        data = "\n".join(json.dumps(r, ensure_ascii=False) for r in records).encode()
    _read(data, suffix, "auto", skip_bad)
    _read(data, suffix, "events", skip_bad)
