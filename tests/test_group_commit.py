"""Documents committed in groups during a bulk load of articles (Store.group_documents): each
document is still a transaction of its own (a savepoint), so one that fails is rolled back alone;
the group becomes visible to other connections only when committed; a kill loses at most the open
group and a rerun finishes; the tables are those of an import committing every document."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from hz_timeline.errors import HzError
from hz_timeline.store import Store
from hz_timeline.store import importing
from hz_timeline.store.importing import ImportOptions, ImportReport, import_documents, import_paths, prepare
from hz_timeline.importers.readers import read_path

from helpers import count_documents, index_names, kill_when
from test_shard import _dump

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from generate import write_corpus  # noqa: E402


def _docs(folder: Path) -> list:
    return [prepare(read_path(f, f"c/{f.name}")[0]) for f in sorted(folder.iterdir())]


def _per_document(db: Path) -> dict[str, int]:
    c = sqlite3.connect(db)
    try:
        return dict(c.execute("SELECT d.path, count(m.id) FROM documents d LEFT JOIN mentions m ON m.document_id = d.id"
                              " GROUP BY d.path"))
    finally:
        c.close()


def _sketches(db: Path) -> list:
    c = sqlite3.connect(db)
    try:
        return c.execute("SELECT s.hash, s.start, e.uid FROM sketch_keys s JOIN events e ON e.id = s.event_id"
                         " ORDER BY 3, 1").fetchall()
    finally:
        c.close()


# (mirrored: the MinHash values in memory, as during an import; changes to stored values then
# wait for the group's commit)
@pytest.mark.parametrize("mirrored", [False, True])
def test_a_group_commits_when_full_and_a_failing_document_is_rolled_back_alone(tmp_path, monkeypatch, mirrored):
    folder = tmp_path / "c"
    write_corpus(folder, 8, target_chars=400, style="newsroom")
    docs = _docs(folder)
    order = docs[:3] + docs[4:] + [docs[3]]  # the failing one comes again at the end
    ref = tmp_path / "ref.db"
    with Store(ref) as s:
        import_documents(s, order, ImportReport())

    db = tmp_path / "e.db"
    s = Store(db)
    monkeypatch.setattr(s, "GROUP_DOCUMENTS", 2)
    monkeypatch.setattr(s, "GROUP_SECONDS", 3600)
    s.group_documents(True)
    assert s.sketches.mirror() or not mirrored
    if not mirrored:
        s.sketches.forget()
    report = ImportReport()
    import_documents(s, docs[:1], report)
    assert count_documents(db) == 0  # the group is open
    import_documents(s, docs[1:2], report)
    assert count_documents(db) == 2  # full: committed
    import_documents(s, docs[2:3], report)

    real = Store._insert_document

    def half_then_fail(self, *a):
        real(self, *a)  # every row of the document written, then:
        raise RuntimeError("boom")

    monkeypatch.setattr(Store, "_insert_document", half_then_fail)
    with pytest.raises(RuntimeError):
        import_documents(s, docs[3:4], report)
    monkeypatch.setattr(Store, "_insert_document", real)
    import_documents(s, docs[4:], report)
    s.group_documents(False)
    assert count_documents(db) == len(docs) - 1
    assert docs[3].path not in _per_document(db)
    s.group_documents(True)
    import_documents(s, [docs[3]], report)  # (then committed by close)
    s.close()
    assert _dump(db) == _dump(ref)
    assert _sketches(db) == _sketches(ref)
    assert sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_group_commits_the_minhash_values_its_merges_changed(tmp_path, monkeypatch):
    folder = tmp_path / "c"
    write_corpus(folder, 8, target_chars=400, style="newsroom")
    db = tmp_path / "e.db"
    s = Store(db)
    monkeypatch.setattr(s, "GROUP_SECONDS", 3600)
    s.group_documents(True)
    assert s.sketches.mirror()  # as during an import: changes to stored values wait for the commit
    report = ImportReport()
    import_documents(s, _docs(folder), report)
    assert report.events_merged  # (merges change the values of events stored before)
    s.commit_documents()
    # Another connection sees every value the writer has in memory: nothing is held past a commit.
    assert set(sqlite3.connect(db).execute("SELECT hash, start, event_id FROM sketch_keys")) == {
        (h, st, ev) for ev, rows in s.sketches._rows.items() for h, st in rows}
    s.close()


def test_other_writes_commit_the_open_group_first(tmp_path, monkeypatch):
    folder = tmp_path / "c"
    write_corpus(folder, 3, target_chars=300, style="newsroom")
    docs = _docs(folder)
    db = tmp_path / "e.db"
    with Store(db) as s:
        monkeypatch.setattr(s, "GROUP_SECONDS", 3600)
        s.group_documents(True)
        import_documents(s, docs, ImportReport())
        assert count_documents(db) == 0
        s.remove_document(docs[0].path)  # its own transaction: the group is committed before it
        assert count_documents(db) == 2
        assert s._group is None


def test_a_lost_group_is_reported_and_forgotten(tmp_path, monkeypatch):
    folder = tmp_path / "c"
    write_corpus(folder, 3, target_chars=300, style="newsroom")
    docs = _docs(folder)
    db = tmp_path / "e.db"
    s = Store(db)
    monkeypatch.setattr(s, "GROUP_SECONDS", 3600)
    s.group_documents(True)
    import_documents(s, docs[:2], ImportReport())
    conn = s.conn

    class FullDisk:  # the connection, but its commit fails as with a full disk
        def __getattr__(self, name):
            return getattr(conn, name)

        def commit(self):
            raise sqlite3.OperationalError("database or disk is full")

    s.conn = FullDisk()
    with pytest.raises(HzError, match="the last 2 document"):
        s.commit_documents()
    s.conn = conn
    assert not conn.in_transaction and s._group is None
    assert count_documents(db) == 0
    s.group_documents(False)
    import_documents(s, docs, ImportReport())
    s.close()
    assert count_documents(db) == 3


_KILLED = """
import sys, time
from hz_timeline.store import Store, importing
importing.BULK_MIN = 1
Store.GROUP_SECONDS = 0.1
with Store(sys.argv[1]) as s:
    importing.import_paths(s, [sys.argv[2]], options=importing.ImportOptions(jobs=2),
                           progress=lambda p: time.sleep(0.02))
"""


def test_sigkill_mid_bulk_load_of_articles_loses_only_the_open_group(tmp_path, monkeypatch):
    corpus = tmp_path / "c"
    write_corpus(corpus, 60, target_chars=300, style="newsroom")
    ref = tmp_path / "ref.db"
    with Store(ref) as s:
        import_paths(s, [str(corpus)])
    want = _per_document(ref)
    db = tmp_path / "e.db"
    proc = subprocess.Popen([sys.executable, "-c", _KILLED, str(db), str(corpus)], stderr=subprocess.PIPE)
    kill_when(proc, lambda: db.exists() and count_documents(db) >= 5)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read()
    got = _per_document(db)
    assert 5 <= len(got) < len(want), "the import should have been killed mid-way"
    # Every document committed is complete.
    assert got == {p: want[p] for p in got}
    assert not set(Store.BULK_INDEXES) & index_names(db), "killed before the load began or after it ended"
    monkeypatch.setattr(importing, "BULK_MIN", 1)
    with Store(db) as s:
        rep = import_paths(s, [str(corpus)], options=ImportOptions(jobs=2))
    assert rep.skipped == len(got) and not rep.errors
    assert _per_document(db) == want
    assert set(Store.BULK_INDEXES) <= index_names(db)
    c = sqlite3.connect(db)
    assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert c.execute("SELECT count(*) FROM events WHERE id NOT IN"
                     " (SELECT event_id FROM mentions WHERE event_id IS NOT NULL)").fetchone()[0] == 0
    c.close()


def test_an_import_keeps_savepoint_journals_in_memory_and_puts_the_setting_back(tmp_path, monkeypatch):
    corpus = tmp_path / "c"
    write_corpus(corpus, 6, target_chars=300, style="newsroom")
    monkeypatch.setattr(importing, "BULK_MIN", 1)
    seen = []
    with Store(tmp_path / "e.db") as s:
        s.conn.execute("PRAGMA temp_store = FILE")
        rep = import_paths(s, [str(corpus)], progress=lambda p: seen.append(
            (s.conn.execute("PRAGMA temp_store").fetchone()[0], s._grouping)))
        assert rep.documents == 6 and not rep.errors
        assert s.conn.execute("PRAGMA temp_store").fetchone()[0] == 1  # FILE, as it was
        assert not s._grouping
    assert seen and all(v == (2, True) for v in seen)  # MEMORY, documents grouped
