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
