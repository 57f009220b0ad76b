"""Export in-process: the JSON contract, atomic writes, streaming to stdout."""

from __future__ import annotations

import itertools
import json

import pytest

import hz_timeline.export as hz_export
from hz_timeline.export import ExportError, export
from hz_timeline.store import Filter, Store


def test_json_export_is_valid_and_sorted(sample_db, tmp_path):
    out = tmp_path / "x.json"
    with Store(sample_db) as s:
        n = export(s, Filter(date_from="2014-01-01"), "json", str(out))
    data = json.loads(out.read_text("utf-8"))
    assert data["count"] == n == len(data["events"])
    assert data["filters"] == {"from": "2014-01-01"}
    assert all(e["end"] >= "2014-01-01" for e in data["events"])
    assert [e["id"] for e in data["events"]] == [e["id"] for e in sorted(data["events"], key=lambda e: (e["start"], e["end"], e["id"]))]


def test_empty_export_is_valid_json(sample_db, tmp_path):
    out = tmp_path / "x.json"
    with Store(sample_db) as s:
        assert export(s, Filter(date_from="2200-01-01"), "json", str(out)) == 0
    assert json.loads(out.read_text("utf-8"))["events"] == []


def test_failed_export_leaves_previous_file_and_no_temp(sample_db, tmp_path, monkeypatch):
    out = tmp_path / "x.json"
    out.write_text("previous", "utf-8")
    with Store(sample_db) as s:
        real = hz_export.json_chunks

        def boom(*a, **k):  # a disk that fills up after a few events have been written
            yield from itertools.islice(real(*a, **k), 3)
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(hz_export, "json_chunks", boom)
        with pytest.raises(ExportError, match="No space left"):
            export(s, Filter(), "json", str(out))
    assert out.read_text("utf-8") == "previous"
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_export_refuses_directory_target(sample_db, tmp_path):
    with Store(sample_db) as s, pytest.raises(ExportError, match="is a directory"):
        export(s, Filter(), "json", str(tmp_path))


# --------------------------------------------------------------------------- the JSON contract

import os  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402

import jsonschema  # noqa: E402

from hz_timeline.cli import _filter  # noqa: E402
from hz_timeline.errors import UsageError  # noqa: E402
from hz_timeline.export import FORMATS, json_schema  # noqa: E402
from hz_timeline.export import event_record  # noqa: E402
from hz_timeline.store.bulk import iter_json, iter_records  # noqa: E402
import orjson  # noqa: E402

EXE = shutil.which("hz-timeline", path=str(Path(sys.executable).parent)) or "hz-timeline"


def validator():
    schema = json_schema()  # loaded from the installed package, so it ships
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def export_json(db, f=Filter()) -> dict:
    with Store(db) as s:
        out = Path(db).with_name("contract.json")
        export(s, f, "json", str(out))
    return json.loads(out.read_text("utf-8"))


def test_json_export_validates_against_the_shipped_schema(sample_db):
    f = Filter(date_from="2010-01-01", date_to="2020-12-31", within=True, tags=("ai",), entities=("杭州",))
    for data in (export_json(sample_db), export_json(sample_db, f)):
        errors = list(validator().iter_errors(data))
        assert not errors, errors[:3]
    assert data["filters"] == {"from": "2010-01-01", "to": "2020-12-31", "within": True, "entities": ["杭州"],
                               "tags": ["ai"]}
    assert data["count"] == len(data["events"]) > 0


@pytest.mark.parametrize("breakage", [
    lambda d: d["events"][0].pop("mentions"),
    lambda d: d["events"][0].update(colour="red"),
    lambda d: d["events"][0].update(start="2014-13-01"),
    lambda d: d["events"][0]["mentions"][0].update(start_char="12"),
    lambda d: d.update(version=2),
    lambda d: d["filters"].update(frm="2014"),
])
def test_schema_rejects_a_broken_export(sample_db, breakage):
    data = export_json(sample_db)
    assert validator().is_valid(data)
    breakage(data)
    assert not validator().is_valid(data)


def test_batched_reader_matches_the_per_event_reader(sample_db):
    """store.bulk.iter_records == event_record(Store.iter_events) for every filter and page size."""
    with Store(sample_db) as s:
        before = 2 * s.conn.execute("SELECT count(*) FROM disputes").fetchone()[0]
        ids = [r[0] for r in s.conn.execute("SELECT id FROM events WHERE NOT disputed ORDER BY id LIMIT 3")]
        s.conn.execute("INSERT INTO disputes VALUES (?, ?, 'a vs b')", (ids[0], ids[1]))
        s.conn.execute("INSERT INTO disputes VALUES (?, ?, 'c vs a')", (ids[2], ids[0]))
        s.conn.execute("UPDATE events SET approx = 1 WHERE id = ?", (ids[1],))
        s.conn.commit()
        for f in (Filter(), Filter(date_from="2014-01-01", date_to="2018-12-31"), Filter(tags=("ai",)),
                  Filter(entities=("杭州",), kinds=("past",))):
            for batch in (1, 7, 1000):
                slow = [(event_record(e), bool(e["approx"])) for e in s.iter_events(f)]
                fast = list(iter_records(s.conn, f, batch=batch))
                assert fast == slow and len(fast) == s.count(f)
                assert [json.loads(b) for b in iter_json(s.conn, f)] == [r for r, _ in fast]  # the SQLite-built JSON
        everything = list(iter_records(s.conn, Filter(), batch=4))
        assert sum(len(r["disputes"]) for r, _ in everything) == before + 4
        assert sum(a for _, a in everything) >= 1
        assert any(len(r["entities"]) > 1 for r, _ in everything) and any(len(r["tags"]) > 1 for r, _ in everything)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_fails_atomically(sample_db, tmp_path, monkeypatch, fmt):
    out = tmp_path / f"x.{fmt}"
    out.write_bytes(b"previous")
    for name in ("iter_records", "json_chunks"):
        real = getattr(hz_export, name)

        def boom(*a, real=real, **k):
            yield from itertools.islice(real(*a, **k), 5)
            raise OSError(5, "Input/output error")

        monkeypatch.setattr(hz_export, name, boom)
    with Store(sample_db) as s, pytest.raises(ExportError, match="Input/output error"):
        export(s, Filter(), fmt, str(out))
    assert out.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir() if p.name != "events.db" and not p.name.startswith("events.db-")] == [out.name]


def test_export_replaces_the_file_with_an_ordinary_mode(sample_db, tmp_path):
    out = tmp_path / "page.html"
    old = os.umask(0o022)
    try:
        with Store(sample_db) as s:
            export(s, Filter(), "html", str(out))
    finally:
        os.umask(old)
    assert out.stat().st_mode & 0o777 == 0o644  # not mkstemp's 0600: a published page must stay readable
    out.chmod(0o640)
    with Store(sample_db) as s:
        export(s, Filter(), "html", str(out))
    assert out.stat().st_mode & 0o777 == 0o640  # replacing keeps the file's mode


def test_unknown_format_is_a_usage_error(sample_db, tmp_path):
    with Store(sample_db) as s, pytest.raises(UsageError, match="unknown format"):
        export(s, Filter(), "xml", str(tmp_path / "x.xml"))
    assert not (tmp_path / "x.xml").exists()


# --------------------------------------------------------------------------- ranges people type

LAST_YEAR = date.today().year - 1


@pytest.mark.parametrize("kw, want", [
    ({"from_": "2014"}, ("2014-01-01", None)),
    ({"to": "2014"}, (None, "2014-12-31")),
    ({"range_": "2014"}, ("2014-01-01", "2014-12-31")),
    ({"range_": "2014年"}, ("2014-01-01", "2014-12-31")),
    ({"range_": "2014-03"}, ("2014-03-01", "2014-03-31")),
    ({"range_": "2014年3月"}, ("2014-03-01", "2014-03-31")),
    ({"range_": "2016年2月"}, ("2016-02-01", "2016-02-29")),
    ({"range_": "2014-03-05"}, ("2014-03-05", "2014-03-05")),
    ({"range_": "2025年2月13日"}, ("2025-02-13", "2025-02-13")),
    ({"range_": "2014..2018"}, ("2014-01-01", "2018-12-31")),
    ({"from_": "2014..2018"}, ("2014-01-01", None)),
    ({"from_": "2014年3月", "to": "2018"}, ("2014-03-01", "2018-12-31")),
    ({"range_": "去年"}, (f"{LAST_YEAR}-01-01", f"{LAST_YEAR}-12-31")),
    ({"range_": "last year"}, (f"{LAST_YEAR}-01-01", f"{LAST_YEAR}-12-31")),
    ({}, (None, None)),
])
def test_ranges_resolve_to_inclusive_iso_dates(kw, want):
    f = _filter(kw.get("from_"), kw.get("to"), None, range_=kw.get("range_"))
    assert (f.date_from, f.date_to) == want


@pytest.mark.parametrize("kw, msg", [
    ({"range_": "someday"}, "not a date"),
    ({"from_": "2014-02-30"}, "not a date"),
    ({"range_": "2014", "from_": "2015"}, "either --range or --from"),
    ({"from_": "2019", "to": "2014"}, "range is empty"),
])
def test_bad_ranges_are_usage_errors(kw, msg):
    with pytest.raises(UsageError, match=msg):
        _filter(kw.get("from_"), kw.get("to"), None, range_=kw.get("range_"))


@pytest.mark.parametrize("rng, within", [("2014", False), ("2014", True), ("2014年3月", False), ("2014..2018", False),
                                         ("2014..2018", True), ("2001..2100", True), ("2025年2月13日", False)])
def test_range_selects_overlapping_or_fully_inside_events(sample_db, rng, within):
    f = _filter(None, None, None, within, range_=rng)
    everything = export_json(sample_db)["events"]
    got = [e["id"] for e in export_json(sample_db, f)["events"]]
    if within:
        want = [e["id"] for e in everything if f.date_from <= e["start"] and e["end"] <= f.date_to]
    else:
        want = [e["id"] for e in everything if e["start"] <= f.date_to and e["end"] >= f.date_from]
    assert got == want  # same events, same stable order
    if rng == "2014..2018":
        assert got, "the sample corpus has events in 2014..2018"


# --------------------------------------------------------------------------- the command end to end

def run(*args, **kw):
    env = {**os.environ, "HZ_TIMELINE_DB": ""}
    return subprocess.run([EXE, *args], capture_output=True, env=env, timeout=60, **kw)


def test_cli_range_is_echoed_and_recorded_in_filters(sample_db, tmp_path):
    out = tmp_path / "r.json"
    p = run("export", "--db", str(sample_db), "--range", "2014..2018", "--within", "--tag", "ai", "-o", str(out))
    assert p.returncode == 0, p.stderr
    err = p.stderr.decode()
    assert "range: 2014-01-01 … 2018-12-31 (fully inside)" in err and "wrote" in err
    data = json.loads(out.read_text("utf-8"))
    assert data["filters"] == {"from": "2014-01-01", "to": "2018-12-31", "within": True, "tags": ["ai"]}
    assert all("ai" in e["tags"] and "2014-01-01" <= e["start"] <= e["end"] <= "2018-12-31" for e in data["events"])


def test_cli_streams_to_stdout_and_infers_format_from_suffix(sample_db, tmp_path):
    p = run("export", "--db", str(sample_db), "--range", "2014", "-f", "jsonl", "-o", "-")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.decode("utf-8").splitlines()
    assert lines and all(json.loads(line)["end"] >= "2014-01-01" for line in lines)
    assert b"range: 2014-01-01" in p.stderr and b"wrote" not in p.stderr  # stdout holds only data
    p = run("export", "--db", str(sample_db), "-o", str(tmp_path / "cal.ics"))
    assert p.returncode == 0 and (tmp_path / "cal.ics").read_bytes().startswith(b"BEGIN:VCALENDAR\r\n")
    assert b"(ics)" in p.stderr


def test_cli_errors_are_one_line_and_leave_nothing(sample_db, tmp_path):
    out = tmp_path / "x.json"
    p = run("export", "--db", str(sample_db), "--range", "someday", "-o", str(out))
    assert p.returncode == 2 and b"not a date" in p.stderr and b"Traceback" not in p.stderr
    p = run("export", "--db", str(sample_db), "-o", str(tmp_path / "missing" / "x.json"))
    assert p.returncode == 1 and b"does not exist" in p.stderr
    assert not out.exists()


def test_cli_stops_quietly_when_the_reader_goes_away(sample_db):
    code = ("import subprocess, sys\n"
            f"p = subprocess.Popen([{EXE!r}, 'export', '--db', {str(sample_db)!r}, '-f', 'html'],"
            " stdout=subprocess.PIPE, stderr=subprocess.PIPE)\n"
            "p.stdout.read(10); p.stdout.close(); err = p.stderr.read(); p.wait()\n"
            "sys.stdout.write(repr((p.returncode, err)))\n")
    env = {**os.environ, "HZ_TIMELINE_DB": ""}
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    rc, err = eval(p.stdout)  # noqa: S307 - our own repr
    assert b"Traceback" not in err and b"Broken pipe" not in err
    assert rc == 141  # the page (~100 KB) is bigger than a pipe buffer, so the writer did meet the closed pipe


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_sqlite_built_json_equals_python_serialized_json(sample_db, tmp_path, monkeypatch, fmt):
    f = Filter(date_from="2000-01-01")
    with Store(sample_db) as s:
        export(s, f, fmt, str(tmp_path / "fast"))
        monkeypatch.setattr(hz_export, "_dumps", orjson.dumps)
        export(s, f, fmt, str(tmp_path / "dicts"))
    fast, dicts = (tmp_path / "fast").read_text("utf-8"), (tmp_path / "dicts").read_text("utf-8")
    if fmt == "json":
        a, b = json.loads(fast), json.loads(dicts)
        assert a.pop("exported_at") and b.pop("exported_at")
        assert a == b and a["count"] > 0
    else:
        assert [json.loads(x) for x in fast.splitlines()] == [json.loads(x) for x in dicts.splitlines()]
