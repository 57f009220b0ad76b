"""The import pipeline: formats end to end, structured round trip, skip/replace by hash,
--skip-bad, --jobs, and an import killed with SIGKILL that a rerun finishes."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from hz_timeline.errors import UsageError
from hz_timeline.export import export
from hz_timeline.store import Filter, Store
from hz_timeline.store.importing import ImportOptions, import_paths

from helpers import kill_when

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from generate import write_corpus, write_events_jsonl  # noqa: E402

EXE = str(Path(sys.executable).parent / "hz-timeline")


def _counts(db: Path) -> tuple[int, int, int]:
    c = sqlite3.connect(db)
    try:
        return tuple(c.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("documents", "events", "mentions"))
    finally:
        c.close()


def test_mixed_formats_and_encodings_import_and_rerun_skips(tmp_path):
    corpus = tmp_path / "c"
    write_corpus(corpus, 8, variety=True, target_chars=150)
    db = tmp_path / "e.db"
    with Store(db) as s:
        rep = import_paths(s, [str(corpus)])
        assert not rep.errors and rep.documents == 8 and rep.events_new > 8
        docs = {d["path"]: d for d in s.documents()}
        formats = {s.document(p)["format"] for p in docs}
        assert {"text", "markdown", "html"} <= formats
        md = next(p for p in docs if p.endswith(".md"))
        assert s.document(md)["text"].startswith("#") and docs[md]["published"] and docs[md]["outlet"]
        html = s.document(next(p for p in docs if p.endswith(".html")))["text"]
        assert "2099" not in html and "2088" not in html and "2077" not in html and "2066" not in html
        for p in docs:  # every mention's quote is its document's text at its offsets
            d = s.document(p)
            for m in s.conn.execute("SELECT start_char, end_char, quote FROM mentions m JOIN documents d "
                                    "ON d.id = m.document_id WHERE d.path = ?", (p,)):
                assert d["text"][m[0]:m[1]] == m[2]
        again = import_paths(s, [str(corpus)])
        assert again.documents == 0 and again.skipped == 8


def test_changed_file_replaces_and_jsonl_line_removed_is_dropped(tmp_path):
    db = tmp_path / "e.db"
    dump = tmp_path / "dump.jsonl"
    lines = [json.dumps({"title": f"t{i}", "text": f"{2000 + i}年3月，杭州发布第{i}号计划。", "published": "2024-01-01"},
                        ensure_ascii=False) for i in range(3)]
    dump.write_text("\n".join(lines) + "\n", "utf-8")
    with Store(db) as s:
        assert import_paths(s, [str(dump)]).documents == 3
        dump.write_text(lines[0] + "\n" + lines[1].replace("2001年", "2011年") + "\n", "utf-8")
        rep = import_paths(s, [str(dump)])
        assert (rep.documents, rep.skipped, rep.removed) == (1, 1, 1)
        assert sorted(d["path"] for d in s.documents()) == [f"{dump}#1", f"{dump}#2"]
        assert s.conn.execute("SELECT count(*) FROM mentions WHERE quote LIKE '%2001年%'").fetchone()[0] == 0
        assert s.conn.execute("SELECT count(*) FROM events WHERE start LIKE '2002%'").fetchone()[0] == 0


def test_news_dump_with_mapped_keys_and_skip_bad(tmp_path):
    dump = tmp_path / "news.jsonl"
    dump.write_text(
        '{"headline": "a", "body": "2014年,杭州提出数字经济。", "pubtime": "2025-02-06"}\n'
        "{broken\n"
        '{"headline": "b", "body": "2017年,浙江出台计划。", "pubtime": "2025-02"}\n', "utf-8")
    with Store(tmp_path / "e.db") as s:
        rep = import_paths(s, [str(dump)], options=ImportOptions(mapping=(("text", "body"), ("published", "pubtime"))))
        assert rep.documents == 0 and rep.errors and "news.jsonl:2: malformed JSON" in rep.errors[0]
        rep = import_paths(s, [str(dump)], options=ImportOptions(mapping=(("text", "body"), ("published", "pubtime")),
                                                                 skip_bad=True))
        assert rep.documents == 2 and not rep.errors and len(rep.bad) == 1 and ":2:" in rep.bad[0]
        d = s.document(f"{dump}#1")
        assert d["published"] == "2025-02-06" and d["published_source"] == "metadata"


def test_structured_round_trip_export_import_gives_the_same_events(sample_db, tmp_path):
    out = tmp_path / "all.json"
    with Store(sample_db) as s:
        export(s, Filter(), "json", str(out))
    original = json.loads(out.read_text("utf-8"))["events"]
    db = tmp_path / "copy.db"
    with Store(db) as s:
        rep = import_paths(s, [str(out)])
        assert not rep.errors and rep.events_new == len(original)
        again = tmp_path / "again.json"
        export(s, Filter(), "json", str(again))
        assert import_paths(s, [str(out)]).skipped == 1  # unchanged: skipped by hash
        doc = s.document(str(out))
        for m in s.conn.execute("SELECT start_char, end_char, quote FROM mentions"):
            assert doc["text"][m[0]:m[1]] == m[2]
    copy = json.loads(again.read_text("utf-8"))["events"]
    keys = ("id", "start", "end", "precision", "title", "summary", "kind", "entities", "tags")
    assert [{k: e[k] for k in keys} for e in copy] == [{k: e[k] for k in keys} for e in original]
    mkeys = ("quote", "time_text", "start", "end", "precision", "resolution")
    assert [[{k: m[k] for k in mkeys} for m in e["mentions"]] for e in copy] == \
           [[{k: m[k] for k in mkeys} for m in e["mentions"]] for e in original]
    assert [sorted(d["event"] for d in e["disputes"]) for e in copy] == [sorted(d["event"] for d in e["disputes"]) for e in original]


def test_csv_events_keep_dates_and_bad_rows_are_named(tmp_path):
    f = tmp_path / "events.csv"
    f.write_text("start,end,title,summary,entities,tags,source\n"
                 "2014-03,,数字经济,杭州提出数字经济一号工程,杭州:place;阿里巴巴:org,数字经济,notes.txt\n"
                 "2017,2018,机器人计划,浙江出台机器人计划,,,\n"
                 "2020-13-01,,坏日期,这行日期不对,,,\n", "utf-8")
    with Store(tmp_path / "e.db") as s:
        rep = import_paths(s, [str(f)])
        assert rep.errors and "events.csv:4:" in rep.errors[0] and "2020-13-01" in rep.errors[0]
        assert s.stats()["events"] == 0
        rep = import_paths(s, [str(f)], options=ImportOptions(skip_bad=True))
        assert rep.events_new == 2 and len(rep.bad) == 1
        rows = {r["title"]: r for r in s.page()}
        assert (rows["数字经济"]["start"], rows["数字经济"]["end"], rows["数字经济"]["precision"]) == ("2014-03-01", "2014-03-31", "month")
        assert (rows["机器人计划"]["start"], rows["机器人计划"]["end"], rows["机器人计划"]["precision"]) == ("2017-01-01", "2018-12-31", "range")
        ev = s.event(rows["数字经济"]["uid"])
        assert {e["name"] for e in ev["entities"]} == {"杭州", "阿里巴巴"} and ev["tags"] == ["数字经济"]
        assert s.count(Filter(query="一号工程")) == 1


def test_structured_jsonl_chunks_jobs_and_changed_chunk(tmp_path):
    src = tmp_path / "ev.jsonl"
    write_events_jsonl(src, 250)
    with Store(tmp_path / "a.db") as a, Store(tmp_path / "b.db") as b:
        ra = import_paths(a, [str(src)], options=ImportOptions(chunk_size=100))
        rb = import_paths(b, [str(src)], options=ImportOptions(chunk_size=100, jobs=2))
        assert ra.events_new == rb.events_new == 250 and ra.chunks == 3
        assert a.stats() == b.stats()
        lines = src.read_text("utf-8").splitlines()
        lines[120] = lines[120].replace('"kind":"', '"kind":"plan","x":"')
        src.write_text("\n".join(lines[:200]) + "\n", "utf-8")  # chunk 2 changed, chunk 3 gone
        rep = import_paths(a, [str(src)], options=ImportOptions(chunk_size=100))
        assert (rep.skipped, rep.chunks, rep.removed) == (1, 1, 1)
        assert a.stats()["events"] == 200


def test_big_import_ends_by_compacting_the_search_index(tmp_path, monkeypatch):
    import hz_timeline.store as store_mod

    src = tmp_path / "ev.jsonl"
    write_events_jsonl(src, 250)
    with Store(tmp_path / "small.db") as s:
        rep = import_paths(s, [str(src)], options=ImportOptions(chunk_size=100))
        assert rep.events_new == 250 and not rep.index_optimized  # under OPTIMIZE_MIN_EVENTS: left as it is
    monkeypatch.setattr(store_mod, "OPTIMIZE_MIN_EVENTS", 100)
    calls = []
    real = Store.optimize_index
    monkeypatch.setattr(Store, "optimize_index", lambda self: calls.append(1) or real(self))
    with Store(tmp_path / "big.db") as s:
        rep = import_paths(s, [str(src)], options=ImportOptions(chunk_size=100))
        assert rep.index_optimized and calls == [1]
        s.conn.execute("INSERT INTO events_fts (events_fts) VALUES ('integrity-check')")
        with Store(tmp_path / "small.db") as plain:  # the same answers as the uncompacted index
            for q in ("杭州", "人工智能", "2019"):
                assert [r["uid"] for r in s.page(Filter(query=q))] == [r["uid"] for r in plain.page(Filter(query=q))]
        assert not import_paths(s, [str(src)], options=ImportOptions(chunk_size=100)).index_optimized  # unchanged
        assert not s.after_import(99)  # under OPTIMIZE_MIN_EVENTS
        monkeypatch.setattr(store_mod, "OPTIMIZE_SHARE", 2)
        assert not s.after_import(100)  # 100 written, 250 stored: under 1/OPTIMIZE_SHARE
        assert s.after_import(125)
    assert calls == [1, 1]


def test_merge_path_and_bulk_path_both_import(tmp_path):
    src = tmp_path / "ev.jsonl"
    write_events_jsonl(src, 30)
    with Store(tmp_path / "m.db") as s:
        rep = import_paths(s, [str(src)], options=ImportOptions(merge=True))
        assert rep.documents == 1 and rep.mentions == 30 and 0 < s.stats()["events"] <= 30


def test_refusals_name_the_file(tmp_path):
    big = tmp_path / "big.txt"
    big.write_text("2014年，杭州。" * 1000, "utf-8")
    binary = tmp_path / "x.txt"
    binary.write_bytes(bytes(range(256)) * 3)
    with Store(tmp_path / "e.db") as s:
        rep = import_paths(s, [str(big), str(binary)], options=ImportOptions(max_bytes=1000))
        assert len(rep.errors) == 2
        assert "big.txt" in rep.errors[0] and "limit" in rep.errors[0]
        assert "x.txt" in rep.errors[1] and "binary" in rep.errors[1]
        with pytest.raises(UsageError):
            import_paths(s, [str(big)], options=ImportOptions(format="pdf"))


def test_progress_callback_counts(tmp_path):
    write_corpus(tmp_path / "c", 3, target_chars=100)
    seen = []
    with Store(tmp_path / "e.db") as s:
        import_paths(s, [str(tmp_path / "c")], progress=seen.append)
    assert seen[-1].files_done == seen[-1].files_total == 3 and seen[-1].bytes_done == seen[-1].bytes_total
    assert str(seen[0]).endswith(".txt")


def test_cli_import_options_and_exit_codes(tmp_path):
    f = tmp_path / "e.csv"
    f.write_text("date,title\n2014-03-05,杭州发布计划\nnot-a-date,坏\n", "utf-8")
    db = tmp_path / "e.db"
    env = {**os.environ, "HZ_TIMELINE_DB": ""}
    p = subprocess.run([EXE, "import", str(f), "--db", str(db)], capture_output=True, text=True, env=env)
    assert p.returncode == 1 and "e.csv:3:" in p.stderr and "Traceback" not in p.stderr
    p = subprocess.run([EXE, "import", str(f), "--db", str(db), "--skip-bad", "--max-size", "1MB"],
                       capture_output=True, text=True, env=env)
    assert p.returncode == 0 and "1 bad record(s) skipped" in p.stdout and "skipped" in p.stderr
    p = subprocess.run([EXE, "import", str(f), "--db", str(db), "--map", "nonsense"], capture_output=True, text=True, env=env)
    assert p.returncode == 2 and "FIELD=KEY" in p.stderr


def test_sigkill_mid_import_then_rerun_finishes_consistently(tmp_path):
    corpus = tmp_path / "c"
    write_corpus(corpus, 40, target_chars=250)
    ref = tmp_path / "ref.db"
    with Store(ref) as s:
        import_paths(s, [str(corpus)])
    want = _counts(ref)
    db = tmp_path / "e.db"
    env = {**os.environ, "HZ_TIMELINE_DB": ""}
    proc = subprocess.Popen([EXE, "import", str(corpus), "--db", str(db)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    kill_when(proc, lambda: db.exists() and _counts(db)[0] >= 5)
    got = _counts(db)
    assert 0 < got[0] < want[0], "the import should have been killed mid-way"
    c = sqlite3.connect(db)
    assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # Every document present is complete: no mention points at a missing event or document.
    assert c.execute("SELECT count(*) FROM mentions WHERE document_id NOT IN (SELECT id FROM documents)").fetchone()[0] == 0
    c.close()
    p = subprocess.run([EXE, "import", str(corpus), "--db", str(db)], env=env, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert f"{got[0]} unchanged" in p.stdout
    assert _counts(db) == want
    c = sqlite3.connect(db)
    assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert c.execute("SELECT count(*) FROM events WHERE id NOT IN (SELECT event_id FROM mentions WHERE event_id IS NOT NULL)").fetchone()[0] == 0
