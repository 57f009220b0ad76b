"""Export in-process: the JSON contract, atomic writes, streaming to stdout."""

from __future__ import annotations

import json

import pytest

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
        def boom(*a, **k):
            yield from ()
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(s, "iter_events", boom)
        with pytest.raises(ExportError, match="No space left"):
            export(s, Filter(), "json", str(out))
    assert out.read_text("utf-8") == "previous"
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_export_refuses_directory_target(sample_db, tmp_path):
    with Store(sample_db) as s, pytest.raises(ExportError, match="is a directory"):
        export(s, Filter(), "json", str(tmp_path))
