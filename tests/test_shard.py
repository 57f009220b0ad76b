"""Structured events copied from worker shard files give exactly the rows the per-row writer gives:
repeated ids in a chunk, ids already stored, disputes, one name given two types, tags, and a
changed chunk imported again."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from hz_timeline.importers.structured import build_events_chunk, split_records
from hz_timeline.store import Store
from hz_timeline.store.bulk_import import copy_shard, write_chunk
from hz_timeline.store.importing import ImportOptions, import_paths
from hz_timeline.store.shard import build_shard

from helpers import index_names as _indexes

TABLES = {
    "events": 'SELECT uid, start, "end", year, precision, approx, title, summary, kind, n_mentions, n_sources,'
              " disputed FROM events ORDER BY uid",
    "mentions": 'SELECT e.uid, m.start_char, m.end_char, m.quote, m.time_text, m.time_start_char, m.time_end_char,'
                ' m.start, m."end", m.precision, m.approx, m.resolution, m.explanation, m.title, m.kind,'
                " m.entities, m.tags, d.path FROM mentions m JOIN events e ON e.id = m.event_id"
                " JOIN documents d ON d.id = m.document_id ORDER BY m.id",
    "entities": "SELECT name, type FROM entities ORDER BY name",
    "links": "SELECT e.uid, n.name FROM event_entities x JOIN events e ON e.id = x.event_id"
             " JOIN entities n ON n.id = x.entity_id ORDER BY 1, 2",
    "tags": "SELECT e.uid, t.name FROM event_tags x JOIN events e ON e.id = x.event_id"
            " JOIN tags t ON t.id = x.tag_id ORDER BY 1, 2",
    "disputes": "SELECT a.uid, b.uid, d.reason FROM disputes d JOIN events a ON a.id = d.event_a"
                " JOIN events b ON b.id = d.event_b ORDER BY 1, 2",
    "index": "SELECT e.uid, f.body FROM events_fts f JOIN events e ON e.id = f.rowid ORDER BY 1",
    "documents": "SELECT path, title, sha256, chars, text, script, format FROM documents ORDER BY path",
}


def _dump(db: Path) -> dict:
    c = sqlite3.connect(db)
    try:
        return {name: c.execute(sql).fetchall() for name, sql in TABLES.items()}
    finally:
        c.close()


def _ev(uid, start, title, ents=(), tags=(), **kw):
    return {"id": uid, "start": start, "title": title, "summary": f"{title}。", "entities": list(ents),
            "tags": list(tags), **kw}


def _records(events):
    return split_records("\n".join(json.dumps(e, ensure_ascii=False) for e in events), "f.jsonl", "events-jsonl")


FIRST = [
    _ev("a", "2014-03", "杭州提出数字经济", [{"name": "杭州", "type": "place"}], ["数字经济"]),
    _ev("b", "2017", "浙江发布机器人+计划", [{"name": "浙江", "type": "place"}, {"name": "杭州", "type": "org"}],
        ["机器人"], disputes=[{"event": "a", "reason": "年份不同"}]),
    _ev("a", "2014-03-05", "杭州再次提出数字经济", [{"name": "杭州", "type": "place"}], ["数字经济", "政策"]),
]
SECOND = [
    _ev("b", "2017-12-08", "浙江省发布机器人+行动计划", [{"name": "浙江省", "type": "place"}], ["机器人"]),
    _ev("c", "2025-01-28", "宇樹機器人登上春晚", [{"name": "宇樹科技", "type": "org"}], ["机器人", "春晚"],
        disputes=["a"]),
    _ev("c", "2025-01-28", "宇树机器人登上春晚", [{"name": "宇树科技", "type": "other"}], ["春晚"]),
]


@pytest.mark.parametrize("defer", [False, True])
def test_shard_copy_writes_the_same_rows_as_the_row_writer(tmp_path, defer):
    dumps = []
    for how in ("rows", "shard"):
        db = tmp_path / f"{how}.db"
        with Store(db) as store:
            store.defer_index = defer
            for k, events in enumerate((FIRST, SECOND, SECOND[:1]), 1):
                chunk, bad = build_events_chunk(_records(events), "f.jsonl", "events-jsonl", f"f.jsonl#part{k}")
                assert not bad
                if how == "rows":
                    write_chunk(store, chunk)
                else:
                    stats = copy_shard(store, build_shard(chunk, str(tmp_path / f"{k}.db")))
                    assert not (tmp_path / f"{k}.db-journal").exists()
                    assert stats["events_merged"] == {1: 1, 2: 2, 3: 1}[k]
            store.defer_index = False
            store.flush_index()
        dumps.append(_dump(db))
    rows, shard = dumps
    assert rows == shard
    assert len(rows["events"]) == 3 and rows["disputes"]  # the case is not trivial
    assert dict(rows["entities"])["杭州"] == "place"  # the first type given wins


def test_changed_chunk_imported_again_through_shards(tmp_path):
    src = tmp_path / "f.jsonl"
    db = tmp_path / "e.db"
    src.write_text("\n".join(json.dumps(e, ensure_ascii=False) for e in FIRST + SECOND), "utf-8")
    with Store(db) as store:
        rep = import_paths(store, [str(src)], options=ImportOptions(chunk_size=3, jobs=2))
        assert (rep.chunks, rep.events_new, rep.events_merged) == (2, 3, 3)
        before = _dump(db)
        changed = SECOND[:2] + [_ev("d", "2025-02", "深度求索发布模型", [{"name": "深度求索", "type": "org"}])]
        src.write_text("\n".join(json.dumps(e, ensure_ascii=False) for e in FIRST + changed), "utf-8")
        rep = import_paths(store, [str(src)], options=ImportOptions(chunk_size=3, jobs=1))
        assert (rep.skipped, rep.chunks) == (1, 1)
    after = _dump(db)
    assert {r[0] for r in after["events"]} == {"a", "b", "c", "d"}
    assert after["documents"][0] == before["documents"][0]
    assert not [p for p in Path(tmp_path).iterdir() if p.suffix == ".db" and p.name != "e.db"]




def test_bulk_load_drops_the_date_indexes_and_builds_them_again(tmp_path, monkeypatch):
    import hz_timeline.store.importing as importing

    monkeypatch.setattr(importing, "BULK_MIN", 4)
    src = tmp_path / "f.jsonl"
    src.write_text("\n".join(json.dumps(e, ensure_ascii=False) for e in FIRST + SECOND), "utf-8")
    db = tmp_path / "e.db"
    seen = []
    with Store(db) as store:
        import_paths(store, [str(src)], options=ImportOptions(chunk_size=3),
                     progress=lambda p: seen.append(set(Store.BULK_INDEXES) & _indexes(db)))
        assert seen and seen[0] == set()  # dropped while the chunks were written
        assert set(Store.BULK_INDEXES) <= _indexes(db)
        # A second import is smaller than the store: no bulk load.
        src2 = tmp_path / "g.jsonl"
        src2.write_text(json.dumps(_ev("z", "2020", "新事件"), ensure_ascii=False), "utf-8")
        seen.clear()
        import_paths(store, [str(src2)], progress=lambda p: seen.append(set(Store.BULK_INDEXES) & _indexes(db)))
        assert seen[-1] == set(Store.BULK_INDEXES)
    # A bulk load killed before its end: the next writer to open the store builds them again.
    with Store(db) as store:
        store.drop_bulk_indexes()
    assert not set(Store.BULK_INDEXES) & _indexes(db)
    Store(db).close()
    assert set(Store.BULK_INDEXES) <= _indexes(db)
    plan = sqlite3.connect(db).execute(
        'EXPLAIN QUERY PLAN SELECT id FROM events ORDER BY start, "end", uid LIMIT 5').fetchall()
    assert "events_order" in str(plan)


# The index text: the translate-based spacing gives what a per-run substitution gave, on any text.
_ODD = list("ab1 \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u2028\u3000\u1680杭州寧波ア한\ue000.,，。") + [
    "\U00020000", "\U0002ebef", "\U0002ebf0", "\u3005", "\u3007", "\u4dbf", "\u4dc0"]


def _split_cjk_by_substitution(folded: str) -> str:
    import re

    from hz_timeline.text import _CJK

    runs = re.compile(f"[{_CJK}]+")
    return re.sub(r"\s+", " ", runs.sub(lambda m: " " + " ".join(m.group()) + " ", folded)).strip()


def test_split_cjk_and_index_bodies_match_the_substitution_they_replace():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from hz_timeline.importers.structured import index_bodies
    from hz_timeline.text import fold, split_cjk

    @settings(max_examples=400, deadline=None)
    @given(st.lists(st.text(alphabet=st.sampled_from(_ODD) | st.characters(blacklist_categories=("Cs",)), max_size=20), max_size=6))
    def check(texts):
        for t in texts:
            assert split_cjk(t) == _split_cjk_by_substitution(t)
        assert index_bodies(texts) == [_split_cjk_by_substitution(fold(t)) for t in texts]

    check()
    assert split_cjk("杭州ＡＩ大会2025年") == "杭 州 ＡＩ 大 会 2025 年"


def test_shard_folders_of_killed_imports_are_removed(tmp_path, monkeypatch):
    import subprocess
    import sys
    import tempfile

    from hz_timeline.store import importing

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    stale = tmp_path / f"{importing.SCRATCH_PREFIX}{dead}-abc"
    live = tmp_path / f"{importing.SCRATCH_PREFIX}1-abc"  # pid 1 is alive (not ours to judge)
    for d in (stale, live):
        d.mkdir()
        (d / "1-1.db").write_bytes(b"x")
    src = tmp_path / "f.jsonl"
    src.write_text("\n".join(json.dumps(e, ensure_ascii=False) for e in FIRST), "utf-8")
    with Store(tmp_path / "e.db") as store:
        import_paths(store, [str(src)])
    assert not stale.exists() and live.exists()
    assert not list(tmp_path.glob(f"{importing.SCRATCH_PREFIX}{os.getpid()}-*"))  # ours is gone too
