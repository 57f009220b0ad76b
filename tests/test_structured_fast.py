"""The fast paths of a structured import give exactly what the general code gives: a record in
the export's shape read with fewer checks (``_parse_plain``), a JSONL file cut into chunks on
its bytes (``jsonl_groups``), search-index bodies folded a character at a time (``index_bodies``)."""

from __future__ import annotations

import json
import random
import unicodedata

import pytest

from hz_timeline.importers import structured as S
from hz_timeline.importers.encoding import decode_where
from hz_timeline.importers.structured import (
    PackedLines, build_events_chunk, chunk_sha, index_bodies, groups, jsonl_groups, pack_lines, split_records,
)
from hz_timeline.text import _ALONE_STARTERS, fold

from test_shard import _split_cjk_by_substitution

MENTION = {"document": "news/000001.txt", "document_title": "西湖区数字经济", "published": "2021-01-15",
           "start_char": 40, "end_char": 68, "quote": "2021年3月12日，浙江大学在上海宣布了大模型新总部。",
           "time_text": "2021年3月12日", "start": "2021-03-12", "end": "2021-03-12", "precision": "day",
           "resolution": "explicit"}
RECORD = {"id": "ev-e6ab87bb7f82", "start": "2021-03-12", "end": "2021-03-12", "precision": "day",
          "title": "浙江大学宣布大模型新总部", "summary": "2021年3月12日，浙江大学在上海宣布了大模型新总部。", "kind": "past",
          "entities": [{"name": "浙江大学", "type": "org"}, {"name": "上海", "type": "place"}], "tags": ["大模型"],
          "mentions": [MENTION], "disputes": []}

# What each field may be: the export's own values first, then whatever a file may hold instead.
FIELDS = {
    "id": ["ev-1", "ev-2", "", None, 7, True, 1.5, ["x"]],
    "start": ["2021-03-12", "2014", "2014-03", " 2014-3-5 ", "", None, 2014, "2014-02-30", "abc", "0000", ["2014"]],
    "end": ["2021-03-12", None, "", "2021", "2013", "2014-03-31", 2015, ["x"], {"a": 1}],
    "date": [None, "2016-05", ""],
    "precision": ["day", None, "", "month", "range", "year", "bogus", 0, False, ["day"]],
    "title": ["浙江大学宣布大模型新总部", "  杭州 ", "", None, 5, 1.5, True, ["t"]],
    "summary": ["2021年3月12日，浙江大学在上海宣布了大模型新总部。", "", "  ", None, 7, False],
    "kind": ["past", None, "", "plan", "statistic", "bogus", ["past"], 3],
    "entities": [[{"name": "浙江大学", "type": "org"}, {"name": "上海", "type": "place"}], None, "", [],
                 [{"name": " 杭州 ", "type": " "}], [{"name": "", "type": "org"}], [["杭州", "place"]], ["杭州:place"],
                 "杭州;宁波", [{"name": 5}], [{"name": "a", "type": None}], [{"name": "a", "type": 5}], {"x": 1},
                 [{"name": "杭州"}, {"name": "杭州 ", "type": "org"}], [{"name": "上海", "type": "place"}], 5],
    "tags": [["大模型"], None, "", [], [" a ", "b", "a"], ["  "], "a;b", [5], ["a", 5], 5, ["x", "  y"]],
    "disputes": [[], None, ["ev-2"], [{"event": "ev-2", "reason": "年份不同"}], [{"event": "a", "reason": 5}],
                 [{"event": "a", "reason": True}], [{"event": "a"}], [5, "b"], {"a": 1}, "a", [{"event": 5}], 0],
    "source": [None, "news/9.txt", 5],
    "time_text": [None, "去年", 5],
}
MENTION_FIELDS = {
    "quote": [MENTION["quote"], "2021年3月，浙江大学在上海宣布", "", "  ", None, 5, ["q"]],
    "time_text": ["2021年3月12日", None, "", "今年", 5],
    "start": ["2021-03-12", None, "", "2021", 2021, "bad", "2021-03"],
    "end": ["2021-03-12", None, "", "2022", "2020", 5],
    "precision": ["day", None, "", "month", "bogus", 0],
    "resolution": ["explicit", None, "", "relative-to-pubdate", 5],
    "document": ["news/000001.txt", None, "", 5, 1.5, True],
    "start_char": [40, None, True, "3"],
    "end_char": [68, None, 2.5],
    "document_title": ["西湖区数字经济", None, "", 5],
    "published": ["2021-01-15", None, "", 2021],
}


def _mention(r: random.Random) -> object:
    if r.random() < 0.03:
        return r.choice([5, "m", None, []])
    m = dict(MENTION)
    for key, values in MENTION_FIELDS.items():
        if r.random() < 0.15:
            v = r.choice(values)
            if v is None and r.random() < 0.5:
                m.pop(key)
            else:
                m[key] = v
    return m


def _record(r: random.Random) -> object:
    if r.random() < 0.02:
        return r.choice([[], "x", 5, None])
    rec = json.loads(json.dumps(RECORD))
    for key, values in FIELDS.items():
        if r.random() < (0.08 if key in RECORD else 0.05):
            v = r.choice(values)
            if v is None and r.random() < 0.5:
                rec.pop(key, None)
            else:
                rec[key] = v
    if r.random() < 0.12:
        rec["mentions"] = r.choice([None, [], "x", [5]] + [[_mention(r) for _ in range(r.randint(1, 3))]] * 4)
    elif r.random() < 0.3:
        rec["mentions"] = [_mention(r)]
    return rec


def _slow(obj, origin, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(S, "_parse_plain", lambda *a, **k: None)
        try:
            return S.parse_event(obj, None, origin=origin)
        except S.BadRecord as e:
            return e


def test_plain_records_are_read_as_the_general_code_reads_them(monkeypatch):
    r = random.Random(20250206)
    taken = 0
    for _ in range(4000):
        obj = _record(r)
        want = _slow(obj, "f.jsonl:7", monkeypatch)
        got = S._parse_plain(obj, "f.jsonl", 7) if type(obj) is dict else None
        if got is not None:
            taken += 1
            assert not isinstance(want, Exception), (obj, want)
            assert got == want, obj
        assert S.parse_event(obj, None, origin="f.jsonl:7") == want if not isinstance(want, Exception) else True
    assert taken > 1000  # the fast path is taken for most records in the export's shape
    assert S._parse_plain(json.loads(json.dumps(RECORD)), "f.jsonl") is not None
    # Every kind of date, with the time text made from it, the event's or the mention's own.
    for start in ("2021", "2021-03", "2021-03-12"):
        for end in (None, "", start, "2022", "2021-12", "2021-03-31"):
            for precision in (None, "day", "week", "season", "range"):
                for own in (False, True):
                    m = {k: v for k, v in MENTION.items() if k != "time_text"}
                    if own:
                        m.update(start="2020", end="2020-06", precision=precision)
                    else:
                        m.pop("start")
                    obj = {**RECORD, "start": start, "end": end, "precision": precision, "mentions": [m]}
                    got, want = S._parse_plain(obj, "f.jsonl", 7), _slow(obj, "f.jsonl:7", monkeypatch)
                    assert got == want and got is not None, obj


def test_chunks_and_errors_are_those_of_the_general_code(monkeypatch):
    r = random.Random(7)
    lines = [json.dumps(_record(r), ensure_ascii=False) for _ in range(600)] + ["{not json", "", "[1]"]
    r.shuffle(lines)
    records = split_records("\n".join(lines), "f.jsonl", "events-jsonl")
    fast, fast_bad = build_events_chunk(records, "f.jsonl", "events-jsonl", "f.jsonl#part1", skip_bad=True)
    monkeypatch.setattr(S, "_parse_plain", lambda *a, **k: None)
    slow, slow_bad = build_events_chunk(records, "f.jsonl", "events-jsonl", "f.jsonl#part1", skip_bad=True)
    assert fast_bad == slow_bad and len(slow_bad) > 50
    assert fast.document == slow.document
    assert fast.rows == slow.rows and len(fast.rows) > 300
    assert fast.disputes == slow.disputes and fast.disputes


# A JSONL file cut on its bytes: the records and chunk identities of cutting its text.
_PLAIN = "\n".join(json.dumps({"id": f"ev-{i}", "title": "宁波\u3000杭州", "n": i}, ensure_ascii=False) for i in range(25))


@pytest.mark.parametrize("text, plain", [
    (_PLAIN, True),
    (_PLAIN + "\n", True),
    ("\ufeff" + _PLAIN + "\n", True),  # the BOM is not part of the first line
    (_PLAIN.replace("\n", "\r\n"), False),
    (_PLAIN.replace("\n", "\n\n", 1), False),  # a blank line: not a record, yet it has a number
    (_PLAIN.replace("\n", "\n  ", 1), False),
    (_PLAIN.replace("宁波", "宁\u2028波", 1), False),  # a line break to str.splitlines, inside a line
    (_PLAIN.replace("宁波", "宁\x85波", 1), False),
    (_PLAIN.replace("宁波", "宁\x1e波", 1), False),
] + [(_PLAIN.replace("杭州", f"杭{c}州", 1), False) for c in "\r\x0b\x0c\x1c\x1d\u2029"])
@pytest.mark.parametrize("size", [1, 7, 25, 100])
def test_jsonl_cut_on_bytes_gives_the_records_of_the_text(text, plain, size):
    data = text.encode("utf-8")
    decoded, start = decode_where(data, "f.jsonl")
    assert decoded == text.lstrip("\ufeff")
    packs = jsonl_groups(data, start, size)
    assert (packs is not None) == plain
    if packs is None:
        return
    want = groups(split_records(decoded, "f.jsonl", "events-jsonl"), size)
    assert [[(no, t.decode("utf-8"), o) for no, t, o in p.records()] for p in packs] == want
    assert [p.sha() for p in packs] == [chunk_sha([t for _, t, _ in g]) for g in want]
    assert [p.sha() for p in packs] == [pack_lines(g).sha() for g in want]


def test_jsonl_groups_only_for_utf8():
    data = _PLAIN.encode("gb18030")
    decoded, start = decode_where(data, "f.jsonl")
    assert start is None and decoded == _PLAIN
    assert decode_where(_PLAIN.encode("utf-16"), "f.jsonl")[1] is None


def test_packed_records_travel_intact():
    records = split_records(_PLAIN, "f.jsonl", "events-jsonl")
    p = pack_lines(records)
    assert isinstance(p, PackedLines) and p.records() == records and p.sha() == chunk_sha([t for _, t, _ in records])


# Folding for the index, one character at a time where that is the same as folding the whole text.
def _backward_combining() -> set[int]:
    """Starters that canonical composition joins to the character before them."""
    out = set(range(0x1161, 0x1176)) | set(range(0x11A8, 0x11C3))  # Hangul vowels and final consonants
    for code in range(0x110000):
        d = unicodedata.decomposition(chr(code))
        if d and not d.startswith("<") and len(d.split()) == 2:
            second = int(d.split()[1], 16)
            if not unicodedata.combining(chr(second)):
                out.add(second)
    return out


def test_the_ranges_folded_alone_hold_no_character_composed_with_the_one_before():
    back = _backward_combining()
    assert 0x0B3E in back and 0x1161 in back  # the check sees them
    inside = [c for c in back if any(lo <= c <= hi for lo, hi in _ALONE_STARTERS)]
    assert not inside, [hex(c) for c in inside]


_POOL = list("杭州寧波宇樹科技的机器人ＡＢＣａｂｃABCabc123１２３，。！？：；（）「」、 \t\n\u3000\xa0") + [
    "\u0301", "\u0308", "e", "\u00e9", "\u1e9b", "\u0323", "\uff76", "\uff9e", "\u304b", "\u3099", "\u304c",
    "\u1100", "\u1161", "\u11a8", "\uac00", "\uac01", "\u3131", "\ufb01", "\u2460", "\u33a1", "\u00bd", "\u2126",
    "\u212b", "\u0b47", "\u0b3e", "\u0dd9", "\u0dcf", "\u00df", "\u1e9e", "\u0130", "\u03a3", "\u00a8", "\u0345",
    "\u0f73", "\u0f71", "\u0f72", "\uf900", "\U0002f800", "\U00020000", "\U0002ebf0", "\u3005", "\u3007",
    "\ue000", "\ue001", "\u2028", "\x1f", "\x85", "\u1680", "\u200b", "\u2000", "ﬁ", "㍿", "℡", "Ⅳ", "㈱"]


def test_fold_many_is_fold_for_index_of_each_body():
    r = random.Random(11)
    for _ in range(300):
        bodies = ["".join(r.choice(_POOL) for _ in range(r.randint(0, 12))) for _ in range(r.randint(1, 8))]
        assert index_bodies(bodies) == [_split_cjk_by_substitution(fold(b.replace("\ue000", " "))) for b in bodies], bodies
    everything = "".join(_POOL)
    assert index_bodies([everything, "杭州", everything[::-1]]) == [
        _split_cjk_by_substitution(fold(b.replace("\ue000", " "))) for b in (everything, "杭州", everything[::-1])]


def test_records_read_from_bytes_fail_as_from_text():
    lines = ['{"id": "a",', "{not json}", '{"a": 1} x', '{"a": "\\ud800"}', '{"a": nan}', '{"a": 1e999}',
             '{"id": "宁波", "start": "2014-02-30", "title": "x"}', json.dumps(RECORD, ensure_ascii=False)]
    as_text = [(no, line, None) for no, line in enumerate(lines, 1)]
    as_bytes = [(no, line.encode("utf-8"), None) for no, line in enumerate(lines, 1)]
    text_chunk, text_bad = build_events_chunk(as_text, "f.jsonl", "events-jsonl", "p", skip_bad=True, sha="x")
    bytes_chunk, bytes_bad = build_events_chunk(as_bytes, "f.jsonl", "events-jsonl", "p", skip_bad=True, sha="x")
    assert bytes_bad == text_bad and len(text_bad) == 7
    assert bytes_chunk.rows == text_chunk.rows and bytes_chunk.document == text_chunk.document
