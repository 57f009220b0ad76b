"""The mention rows a merge recomputes an event from are held in memory (Store._event_rows) and
follow every change: a merged statement, a document rolled back, a document removed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from hz_timeline.importers.readers import read_path
from hz_timeline.store import Store
from hz_timeline.store.importing import ImportReport, import_documents, prepare

STATEMENT = "2017年12月8日，浙江省发布机器人+行动计划，宇树科技参与其中。"


def _event(db: Path) -> tuple[int, int]:
    """(n_mentions of the one event, its mentions actually stored), as another connection sees them."""
    c = sqlite3.connect(db)
    try:
        (ev, n), = c.execute("SELECT id, n_mentions FROM events").fetchall()
        return n, c.execute("SELECT count(*) FROM mentions WHERE event_id = ?", (ev,)).fetchone()[0]
    finally:
        c.close()


def test_merges_see_every_statement_after_a_rollback_and_a_removal(tmp_path, monkeypatch):
    folder = tmp_path / "c"
    folder.mkdir()
    for k in range(4):
        (folder / f"{k}.txt").write_text(f"第{k}篇报道\n\n{STATEMENT}\n", "utf-8")
    docs = [prepare(read_path(f, f"c/{f.name}")[0]) for f in sorted(folder.iterdir())]
    db = tmp_path / "e.db"
    with Store(db) as s:
        import_documents(s, docs[:1], ImportReport())
        assert s._event_rows(s.conn.execute("SELECT id FROM events").fetchone()[0])  # held
        real = Store._insert_document

        def merge_then_fail(self, *a):
            real(self, *a)  # the statement merged (and its row held), then:
            raise RuntimeError("boom")

        monkeypatch.setattr(Store, "_insert_document", merge_then_fail)
        with pytest.raises(RuntimeError):
            import_documents(s, docs[1:2], ImportReport())
        monkeypatch.setattr(Store, "_insert_document", real)
        import_documents(s, docs[2:], ImportReport())
        assert _event(db) == (3, 3)  # not 4: the rolled-back statement is gone from memory too
        s.remove_document(docs[2].path)
        assert _event(db) == (2, 2)
        import_documents(s, docs[1:3], ImportReport())
        assert _event(db) == (4, 4)


def _tables(db: Path) -> dict:
    c = sqlite3.connect(db)
    try:
        return {
            "events": c.execute('SELECT uid, start, "end", precision, title, summary, n_mentions, n_sources, disputed'
                                " FROM events ORDER BY uid").fetchall(),
            "mentions": c.execute("SELECT m.id, e.uid, d.path, m.quote, m.entities, m.tags, m.merge_reasons"
                                  " FROM mentions m LEFT JOIN events e ON e.id = m.event_id"
                                  " JOIN documents d ON d.id = m.document_id ORDER BY m.id").fetchall(),
            "links": c.execute("SELECT e.uid, x.entity_id FROM event_entities x JOIN events e ON e.id = x.event_id"
                               " ORDER BY 1, 2").fetchall(),
            "tags": c.execute("SELECT e.uid, x.tag_id FROM event_tags x JOIN events e ON e.id = x.event_id"
                              " ORDER BY 1, 2").fetchall(),
            "disputes": c.execute("SELECT a.uid, b.uid, d.reason FROM disputes d JOIN events a ON a.id = d.event_a"
                                  " JOIN events b ON b.id = d.event_b ORDER BY 1, 2").fetchall(),
            "pending": c.execute("SELECT count(*) FROM fts_pending").fetchall(),
        }
    finally:
        c.close()


def _tables_of(s: Store, db: Path) -> dict:
    top = s._top_id  # (when kept, it is the table's)
    assert top is None or top == s.conn.execute("SELECT max(id) FROM events").fetchone()[0]
    return _tables(db)


def _history(tmp_path: Path, name: str, monkeypatch) -> list[dict]:
    """Adds, changed files re-imported, removals and a rolled-back document, on a store of its
    own: the tables after each step."""
    import sys
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from generate import write_corpus

    folder = tmp_path / name
    write_corpus(folder, 24, target_chars=500, style="newsroom")
    files = sorted(folder.iterdir())

    def docs(fs):
        return [prepare(read_path(f, f"c/{f.name}")[0]) for f in fs]

    # A story retold with another year (a dispute), then retold again: the merge recomputes the
    # disputed event.
    disputed = tmp_path / f"{name}-d"
    disputed.mkdir()
    for k, year in enumerate((2017, 2018, 2018)):
        (disputed / f"d{k}.txt").write_text(f"第{k}篇\n\n{STATEMENT.replace('2017', str(year))}\n", "utf-8")
    db = tmp_path / f"{name}.db"
    steps = []
    with Store(db) as s:
        import_documents(s, docs(sorted(disputed.iterdir())), ImportReport())
        steps.append(_tables_of(s, db))
        import_documents(s, docs(files[:14]), ImportReport())
        steps.append(_tables_of(s, db))
        for f in files[2:12:3]:  # changed: the old statements go, the new ones merge again
            f.write_text(f.read_text("utf-8").replace("年", "年 ", 3) + f"\n\n{STATEMENT}\n", "utf-8")
        import_documents(s, docs(files[2:12:3]), ImportReport())
        steps.append(_tables_of(s, db))
        for f in files[5:9]:
            s.remove_document(f"c/{f.name}")
        steps.append(_tables_of(s, db))
        real = Store._insert_document

        def merge_then_fail(self, *a):
            real(self, *a)
            raise RuntimeError("boom")

        monkeypatch.setattr(Store, "_insert_document", merge_then_fail)
        with pytest.raises(RuntimeError):
            import_documents(s, docs(files[14:15]), ImportReport())
        monkeypatch.setattr(Store, "_insert_document", real)
        report = ImportReport()
        import_documents(s, docs(files[14:] + files[5:9]), report)
        assert report.events_merged and report.events_new
    return [*steps, _tables(db)]


def test_what_a_merge_keeps_of_recent_events_changes_nothing(tmp_path, monkeypatch):
    """The dates, dispute flag and links of events written lately, kept for the merges that
    recompute them (Store._state), and the highest event id (Store._top_id), give the tables
    that reading them back gives."""
    kept = _history(tmp_path, "kept", monkeypatch)
    monkeypatch.setattr(Store, "_keep_state", lambda self, ev_id, state: None)
    monkeypatch.setattr(Store, "_top_id", property(lambda self: None, lambda self, value: None), raising=False)
    read_back = _history(tmp_path, "read", monkeypatch)
    assert kept[0]["disputes"] and kept[-1]["links"]
    for step, (a, b) in enumerate(zip(kept, read_back)):
        assert a == b, step
