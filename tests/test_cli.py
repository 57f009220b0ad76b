"""The command line end to end: the real console script in a subprocess, on databases in tmp_path."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

EXE = shutil.which("hz-timeline", path=str(Path(sys.executable).parent)) or "hz-timeline"


def run(*args, cwd=None, input=None, env=None, check=True):
    e = {**os.environ, "HZ_TIMELINE_DB": "", **(env or {})}
    p = subprocess.run([EXE, *args], cwd=cwd, input=input, capture_output=True, text=True, env=e, timeout=120)
    if check and p.returncode != 0:
        raise AssertionError(f"exit {p.returncode}\nstdout: {p.stdout}\nstderr: {p.stderr}")
    return p


def test_help_lists_every_command():
    out = run("--help").stdout
    for cmd in ("import", "search", "export", "dates", "remove", "documents", "sample", "optimize"):
        assert cmd in out


def test_import_export_roundtrips_offsets_for_every_mention(tmp_path):
    """The foundation contract: text[start_char:end_char] == quote for every exported mention."""
    db = tmp_path / "e.db"
    corpus = Path(__file__).parents[1] / "hz_timeline" / "corpus"
    out = run("import", str(corpus), "--db", str(db)).stdout
    assert "5 document(s) imported" in out
    again = run("import", str(corpus), "--db", str(db)).stdout
    assert "0 document(s) imported, 5 unchanged" in again
    target = tmp_path / "all.json"
    run("export", "--db", str(db), "-o", str(target))
    data = json.loads(target.read_text("utf-8"))
    assert data["format"] == "hz-timeline/events" and data["version"] == 1
    assert data["count"] == len(data["events"]) > 20
    texts = {}
    checked = 0
    keys = ["id", "start", "end", "precision", "title", "summary", "kind", "entities", "tags", "mentions"]
    for ev in data["events"]:
        assert all(k in ev for k in keys)
        assert ev["start"] <= ev["end"]
        for m in ev["mentions"]:
            assert set(m) == {"document", "document_title", "published", "start_char", "end_char", "quote",
                              "time_text", "start", "end", "precision", "resolution"}
            path = Path(m["document"])
            if path not in texts:
                texts[path] = path.read_bytes().decode("utf-8")
            assert texts[path][m["start_char"]:m["end_char"]] == m["quote"]
            assert m["time_text"] in m["quote"]
            checked += 1
    assert checked >= data["count"]
    order = [(e["start"], e["end"], e["id"]) for e in data["events"]]
    assert order == sorted(order)


def test_export_range_overlaps_and_echoes_filters(sample_db, tmp_path):
    out = run("export", "--db", str(sample_db), "--from", "2017", "--to", "2017").stdout
    data = json.loads(out)
    assert data["filters"] == {"from": "2017-01-01", "to": "2017-12-31"}
    assert data["count"] >= 1
    assert all(e["start"] <= "2017-12-31" and e["end"] >= "2017-01-01" for e in data["events"])
    jl = run("export", "--db", str(sample_db), "--format", "jsonl", "--from", "2017", "--to", "2017").stdout
    assert len(jl.splitlines()) == data["count"]


def test_export_to_unwritable_path_leaves_no_file(sample_db, tmp_path):
    p = run("export", "--db", str(sample_db), "-o", str(tmp_path / "no" / "such" / "dir.json"), check=False)
    assert p.returncode != 0 and "Traceback" not in p.stderr
    assert "does not exist" in p.stderr
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        if os.access(ro, os.W_OK):  # root ignores permissions
            pytest.skip("running as root: permissions are not enforced")
        p = run("export", "--db", str(sample_db), "-o", str(ro / "x.json"), check=False)
        assert p.returncode != 0 and list(ro.iterdir()) == []
    finally:
        ro.chmod(0o700)


def test_search_finds_both_scripts_and_json(sample_db):
    simp = run("search", "宁波", "--db", str(sample_db)).stdout
    trad = run("search", "寧波", "--db", str(sample_db)).stdout
    assert simp == trad and "1999" in simp
    data = json.loads(run("search", "宁波", "--db", str(sample_db), "--json").stdout)
    assert data["count"] >= 1 and data["events"][0]["mentions"]


def test_optimize_compacts_the_index_and_changes_no_answer(sample_db):
    before = json.loads(run("search", "杭州", "--db", str(sample_db), "--json").stdout)
    out = run("optimize", "--db", str(sample_db)).stdout
    assert out.startswith("search index compacted in ")
    assert json.loads(run("search", "杭州", "--db", str(sample_db), "--json").stdout) == before
    missing = run("optimize", "--db", str(sample_db.with_name("nope.db")), check=False)
    assert missing.returncode != 0 and "no such database" in missing.stderr and "Traceback" not in missing.stderr


def test_dates_jsonl_contract():
    lines = "\n".join([
        json.dumps({"text": "1999年,宁波说两年后超越杭州。", "ref": "2025-02-06"}, ensure_ascii=False),
        json.dumps({"text": "去年3月28日发布", "ref": "2025-02-06"}, ensure_ascii=False),
        json.dumps({"text": "占比1/5,达2.3亿", "ref": "2025-02-06"}, ensure_ascii=False),
    ]) + "\n"
    out = run("dates", "--jsonl", input=lines).stdout.splitlines()
    assert len(out) == 3
    first = json.loads(out[0])["dates"][0]
    assert {k: first[k] for k in ("text", "start_char", "end_char", "start", "end", "precision", "resolution")} == {
        "text": "1999年", "start_char": 0, "end_char": 5, "start": "1999-01-01", "end": "1999-12-31",
        "precision": "year", "resolution": "explicit"}
    second = json.loads(out[1])["dates"][0]
    assert (second["start"], second["end"], second["resolution"]) == ("2024-03-28", "2024-03-28", "relative-to-pubdate")
    assert json.loads(out[2])["dates"] == []


def test_dates_jsonl_bad_line_keeps_line_alignment():
    p = run("dates", "--jsonl", input='{"text": "2014年"}\nnot json\n', check=False)
    out = p.stdout.splitlines()
    assert len(out) == 2 and "line 2" in json.loads(out[1])["error"]
    assert p.returncode == 1 and "Traceback" not in p.stderr


@pytest.mark.parametrize("args, message", [
    (["import", "/no/such/file.txt"], "no such file"),
    (["search", "x", "--db", "/no/such/events.db"], "no such database"),
    (["export", "--from", "notadate"], "is not a date"),
    (["dates", "2014年", "--ref", "yesterday-ish"], "is not a YYYY-MM-DD date"),
    (["remove", "nothing.txt"], "no document"),
])
def test_errors_are_one_clean_line(tmp_path, args, message):
    db = tmp_path / "e.db"
    if "--db" not in args:
        args = [*args, "--db", str(db)] if args[0] != "dates" else args
    if args[0] in ("remove", "export"):
        run("import", str(Path(__file__).parent / "data" / "tiny.txt"), "--db", str(db))
    p = run(*args, check=False)
    assert p.returncode != 0
    assert message in p.stderr and "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1


def test_foreign_database_is_refused_untouched(tmp_path):
    db = tmp_path / "other.db"
    c = sqlite3.connect(db)
    c.execute("CREATE TABLE t (x)")
    c.commit()
    c.close()
    before = db.read_bytes()
    p = run("import", str(Path(__file__).parent / "data" / "tiny.txt"), "--db", str(db), check=False)
    assert p.returncode != 0 and "not an hz-timeline" in p.stderr
    assert db.read_bytes() == before


def test_import_reports_bad_files_and_keeps_the_rest(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("2014年,杭州提出数字经济。", "utf-8")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\x00\x01\x02binary")
    p = run("import", str(good), str(bad), "--db", str(tmp_path / "e.db"), check=False)
    assert p.returncode == 1
    assert "bad.txt" in p.stderr and "1 document(s) imported" in p.stdout


def test_published_override_resolves_relative_dates(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text("去年,杭州出台新政策支持机器人产业。", "utf-8")
    db = tmp_path / "e.db"
    run("import", str(f), "--db", str(db), "--published", "2020-05-01", "--outlet", "测试报")
    data = json.loads(run("export", "--db", str(db)).stdout)
    [ev] = data["events"]
    assert ev["start"] == "2019-01-01" and ev["mentions"][0]["resolution"] == "relative-to-pubdate"
    assert ev["mentions"][0]["published"] == "2020-05-01"


def test_first_run_builds_database_from_bundled_corpus(tmp_path):
    """`hz-timeline` with no database builds it first, saying so (the app itself is tested elsewhere)."""
    code = ("import sys; from hz_timeline import cli; import hz_timeline.tui.app as a;"
            "a.make_app = lambda p: type('A', (), {'run': lambda self: print('APP', p)})();"
            "sys.argv = ['hz-timeline']; cli.main()")
    p = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                       env={**os.environ, "HZ_TIMELINE_DB": ""})
    assert p.returncode == 0, p.stderr
    assert "building it from the bundled sample corpus" in p.stderr
    assert "APP events.db" in p.stdout and (tmp_path / "events.db").exists()
