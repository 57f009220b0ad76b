"""A structured JSONL file is cut while the workers already parse its first chunks
(``importing._stream_jsonl``): the chunks are those of cutting the decoded text, nothing is
written before the whole file is cut and checked, and a file that turns out not to be plain
UTF-8 further on is read as a whole, as before (GB18030 here)."""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path

import pytest

from hz_timeline.importers import structured as S
from hz_timeline.importers.encoding import decode_where
from hz_timeline.importers.readers import ReadOptions
from hz_timeline.importers.structured import chunk_sha, groups, iter_jsonl_groups, jsonl_groups, split_records
from hz_timeline.store import Store, importing
from hz_timeline.store.importing import ImportOptions, ImportReport, _FileState, import_paths

from test_shard import _dump, _ev


def _line(r: random.Random, i: int) -> str:
    # lengths from a few bytes to far more than the running average, so the cut's estimate misses
    pad = "宁" * r.choice([0, 1, 5, 40, 400, 3000])
    return json.dumps({"i": i, "t": pad}, ensure_ascii=False)


def test_cutting_the_bytes_gives_the_chunks_of_cutting_the_text():
    r = random.Random(5)
    for _ in range(400):
        text = "\n".join(_line(r, i) for i in range(r.randint(1, 80)))
        if r.random() < 0.5:
            text += "\n"
        if r.random() < 0.25:  # what makes a file not plain: the text is cut instead
            k = r.randrange(len(text))
            text = text[:k] + r.choice(["\n\n", "\r", "\u2028", "\x85", "\x1e", "\n "]) + text[k:]
        data = text.encode("utf-8")
        size = r.choice([1, 2, 3, 10, 50])
        decoded, start = decode_where(data, "f.jsonl")
        want = groups(split_records(decoded, "f.jsonl", "events-jsonl"), size)
        packs = jsonl_groups(data, start, size)
        plain = not any(c in text for c in "\r\u2028\x85\x1e") and "\n\n" not in text.rstrip("\n") + "x" \
            and "\n " not in text and not text.endswith("\n\n")
        assert (packs is not None) == plain, repr(text[-80:])
        if packs is not None:
            assert [[(no, t.decode(), o) for no, t, o in p.records()] for p in packs] == want
            assert [p.sha() for p in packs] == [chunk_sha([t for _, t, _ in g]) for g in want]


def test_a_chunk_that_is_not_utf8_stops_the_cut_there():
    lines = [json.dumps({"i": i, "t": "杭州"}, ensure_ascii=False).encode() for i in range(30)]
    lines[23] = json.dumps({"i": 23, "t": "杭州"}, ensure_ascii=False).encode("gb18030")
    cut = iter_jsonl_groups(b"\n".join(lines), 0, 10)
    assert len(next(cut).numbers) == 10 and len(next(cut).numbers) == 10
    with pytest.raises(S.NotPlain):
        next(cut)


def test_the_first_chunks_go_to_the_workers_before_the_file_is_cut_to_the_end(tmp_path, monkeypatch):
    src = tmp_path / "ev.jsonl"
    src.write_text("\n".join(json.dumps(_ev(f"e{i}", "2020", f"事件{i}"), ensure_ascii=False) for i in range(50)),
                   "utf-8")
    log = []
    real = importing.iter_jsonl_groups

    def cutting(*a):
        for k, g in enumerate(real(*a), 1):
            log.append(f"cut {k}")
            yield g

    monkeypatch.setattr(importing, "iter_jsonl_groups", cutting)
    monkeypatch.setattr(importing, "SAMPLE", 10)
    state, report = _FileState(str(src), 0, {}), ImportReport()
    units = importing._stream_jsonl(src.read_bytes(), ".jsonl", str(src), ReadOptions(chunk_size=10), {}, state,
                                    report, None, lambda *a, **k: None,
                                    lambda fn, args: log.append(f"sent {args[3]}") or len(log))
    assert log == ["cut 1", "cut 2", f"sent {src}#part1", "cut 3", f"sent {src}#part2", "cut 4", f"sent {src}#part3",
                   "cut 5", f"sent {src}#part4", f"sent {src}#part5"]
    assert [u[3] for u in units] == [3, 5, 7, 9, 10]  # each unit carries what the hand-over gave back


def test_a_file_not_utf8_further_on_is_imported_as_a_whole_like_before(tmp_path, monkeypatch):
    # An ASCII head (valid UTF-8, the streamed cut starts and hands chunks over), then GB18030:
    # the file is decoded as a whole as GB18030, as it always was, and nothing of the first try stays.
    events = [_ev(f"e{i}", "2020", f"event {i}", summary=f"event {i}.") for i in range(40)]
    events += [_ev(f"c{i}", "2021", f"杭州的第{i}件事", [{"name": "杭州", "type": "place"}]) for i in range(40)]
    text = "\n".join(json.dumps(e, ensure_ascii=False) for e in events) + "\n"
    src = tmp_path / "ev.jsonl"
    monkeypatch.setattr(importing, "SAMPLE", 10)
    monkeypatch.setattr(importing, "STREAM_HEAD", 100)
    streamed = []
    real = importing._stream_jsonl
    started = []

    def stream(*a):
        early, sent = a[-1], []
        streamed.append(r := real(*a[:-1], lambda fn, args: sent.append(f := early(fn, args)) or f))
        if r is None:
            started.extend(sent)
        return r

    monkeypatch.setattr(importing, "_stream_jsonl", stream)
    dbs = {}
    for name, encoding in (("gb", "gb18030"), ("utf8", "utf-8")):
        src.write_bytes(text.encode(encoding))
        dbs[name] = tmp_path / f"{name}.db"
        with Store(dbs[name]) as s:
            rep = import_paths(s, [str(src)], options=ImportOptions(chunk_size=7, jobs=2))
            assert not rep.errors and rep.documents == 12 and rep.events_new == 80
            # Again: the first chunks (ASCII) are found unchanged by the streamed cut, then again by
            # the whole-file reading; counted once.
            again = import_paths(s, [str(src)], options=ImportOptions(chunk_size=7, jobs=2))
            assert (again.documents, again.skipped) == (0, 12)
    assert streamed[0] is None and streamed[2] is not None  # the GB18030 file fell back, the UTF-8 one streamed
    # chunks were handed over before the fall back: cancelled, or their shards left unread
    assert started and all(f.cancelled() or "shards" in f.result()[0] for f in started)
    gb_rows, utf8_rows = _dump(dbs["gb"]), _dump(dbs["utf8"])
    c = sqlite3.connect(dbs["gb"])
    assert {r[0] for r in c.execute("SELECT title FROM events WHERE uid LIKE 'c%'")} == {
        f"杭州的第{i}件事" for i in range(40)}
    assert c.execute("SELECT count(*) FROM mentions").fetchone()[0] == 80
    c.close()
    assert gb_rows == utf8_rows


@pytest.mark.parametrize("head", [b"", b"\xef\xbb\xbf"])
def test_a_streamed_import_equals_an_import_of_the_decoded_text(tmp_path, monkeypatch, head):
    r = random.Random(9)
    lines = [json.dumps(_ev(f"e{r.randrange(60)}", f"20{r.randint(10, 25)}", f"事件{i}" + "杭" * r.randint(0, 300)),
                        ensure_ascii=False) for i in range(120)]
    src = tmp_path / "ev.jsonl"
    src.write_bytes(head + "\n".join(lines).encode())
    monkeypatch.setattr(importing, "SAMPLE", 10)
    monkeypatch.setattr(importing, "STREAM_HEAD", 1000)
    monkeypatch.setattr(importing, "BULK_MIN", 1)
    with Store(tmp_path / "a.db") as s:
        rep = import_paths(s, [str(src)], options=ImportOptions(chunk_size=11, jobs=2))
        assert not rep.errors and rep.documents == 11
    monkeypatch.setattr(importing, "_stream_jsonl", lambda *a: None)
    with Store(tmp_path / "b.db") as s:
        assert not import_paths(s, [str(src)], options=ImportOptions(chunk_size=11, jobs=2)).errors
    assert _dump(tmp_path / "a.db") == _dump(tmp_path / "b.db")


def test_a_rerun_of_an_unchanged_streamed_file_sends_nothing(tmp_path, monkeypatch):
    src = tmp_path / "ev.jsonl"
    src.write_text("\n".join(json.dumps(_ev(f"e{i}", "2020", f"事件{i}"), ensure_ascii=False) for i in range(30)),
                   "utf-8")
    monkeypatch.setattr(importing, "SAMPLE", 10)
    with Store(tmp_path / "e.db") as s:
        assert import_paths(s, [str(src)], options=ImportOptions(chunk_size=10, jobs=2)).documents == 3
        lines = src.read_text("utf-8").splitlines()
        lines[25] = json.dumps(_ev("e25", "2021", "改过的事件"), ensure_ascii=False)
        src.write_text("\n".join(lines), "utf-8")
        rep = import_paths(s, [str(src)], options=ImportOptions(chunk_size=10, jobs=2))
        assert (rep.documents, rep.skipped) == (1, 2)
        assert s.conn.execute("SELECT title FROM events WHERE uid = 'e25'").fetchone()[0] == "改过的事件"


def test_shards_of_the_streamed_cut_have_their_own_names(tmp_path):
    state, report = _FileState("f.jsonl", 0, {}), ImportReport()
    pack = next(iter_jsonl_groups(b'{"a": 1}', 0, 5))
    fn, args = importing._chunk_unit(pack, 1, True, "f.jsonl", "events-jsonl", ReadOptions(), {}, state, report,
                                     lambda: str(tmp_path), tag="s")
    assert Path(args[6]).name == "0-1s.db" and args[3] == "f.jsonl"
