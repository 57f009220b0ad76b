"""The search index in a bulk load of articles: rows wait for the load's last flush (the periodic
flushes write only MinHash values, at the same points as before), bodies are built many at a time
exactly as one at a time, and the indexes dropped for the load are sorted with temporary files
even when the import keeps temporary things in memory."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

from hz_timeline.store import INDEXED_QUOTES, Store, _aliases, search_bodies
from hz_timeline.store import importing
from hz_timeline.store.importing import ImportOptions, _search_bodies, import_paths
from hz_timeline.text import fold_for_index

from test_shard import _dump

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from generate import write_corpus  # noqa: E402


def _counts(db: Path) -> tuple[int, int, int, int]:
    """(events, search-index rows, pending events, MinHash rows) as another connection sees them."""
    c = sqlite3.connect(db)
    try:
        return tuple(c.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                     for t in ("events", "events_fts", "fts_pending", "sketch_keys"))
    finally:
        c.close()


def _import(tmp_path: Path, corpus: Path, name: str, bulk: bool, monkeypatch, jobs: int = 1) -> tuple[Path, list]:
    monkeypatch.setattr(importing, "BULK_MIN", 1 if bulk else 10**9)
    monkeypatch.setattr(Store, "FLUSH_EVERY", 15)
    db = tmp_path / f"{name}.db"
    flushes = []
    real = Store.flush_index

    def flush(self, bodies=None):
        n = real(self, bodies)
        flushes.append((self.defer_search, n, _counts(db), bodies is not None))
        return n

    monkeypatch.setattr(Store, "flush_index", flush)
    with Store(db) as s:
        rep = import_paths(s, [str(corpus)], options=ImportOptions(jobs=jobs))
        assert not rep.errors and rep.documents == 12
    monkeypatch.setattr(Store, "flush_index", real)
    return db, flushes


def test_a_bulk_load_of_articles_writes_search_rows_once_at_the_end(tmp_path, monkeypatch):
    corpus = tmp_path / "c"
    write_corpus(corpus, 12, target_chars=500, style="newsroom")
    plain_db, plain = _import(tmp_path, corpus, "plain", False, monkeypatch)
    bulk_db, bulk = _import(tmp_path, corpus, "bulk", True, monkeypatch)
    # Flushes at the same points (the MinHash values move to the table at the same moments, so
    # merges come out the same); during the load they wrote no search-index row.
    assert len(bulk) == len(plain) >= 3
    during, last = bulk[:-1], bulk[-1]
    assert all(deferred and n == 0 for deferred, n, *_ in during)
    assert all(fts == 0 and pending > 0 and sketches > 0 for _, _, (_, fts, pending, sketches), _ in during)
    assert [f[2][3] for f in during] == [f[2][3] for f in plain[:-1]]
    events, fts, pending, _ = last[2]
    assert not last[0] and last[1] == events == fts and pending == 0
    assert not last[3]  # one job: no workers to build the bodies
    assert _dump(bulk_db) == _dump(plain_db)
    # With workers, they build the bodies of the last flush from the committed database.
    farmed_db, farmed = _import(tmp_path, corpus, "farmed", True, monkeypatch, jobs=2)
    assert farmed[-1][3] and farmed[-1][1] == farmed[-1][2][0]
    assert _dump(farmed_db) == _dump(plain_db)


def test_bodies_built_elsewhere_or_not_at_all(tmp_path):
    corpus = tmp_path / "c"
    write_corpus(corpus, 3, target_chars=400, style="newsroom")
    with Store(tmp_path / "e.db") as s:
        import_paths(s, [str(corpus)])
        with s.transaction():  # every row due again, as at the end of a bulk load
            s.conn.execute("DELETE FROM events_fts")
            s.conn.execute("INSERT INTO fts_pending (event_id) SELECT id FROM events")
        ids = [r[0] for r in s.conn.execute("SELECT event_id FROM fts_pending ORDER BY event_id")]
        # A worker's read-only connection gives what the writer would build...
        assert _search_bodies(str(s.path), ids) == search_bodies(s.conn, ids)
        assert _search_bodies(str(tmp_path / "gone.db"), ids) is None  # (the writer builds them then)
        # ...and a batch without bodies is built here.
        asked = []
        n = s.flush_index(lambda batches: (asked.append(b) or None for b in batches))
        assert n == len(ids) and asked == [ids]
        got = dict(s.conn.execute("SELECT rowid, body FROM events_fts"))
        assert got == search_bodies(s.conn, ids)


def test_index_bodies_many_at_a_time_are_those_of_one_at_a_time(tmp_path):
    corpus = tmp_path / "c"
    write_corpus(corpus, 4, target_chars=600, style="newsroom")
    with Store(tmp_path / "e.db") as s:
        import_paths(s, [str(corpus)])
        c = s.conn
        ids = [r[0] for r in c.execute("SELECT id FROM events ORDER BY id")]
        # One event told many times over (more distinct statements than are indexed, repeats, the
        # character the batch separates texts with), another with none left.
        ev = ids[0]
        doc = c.execute("SELECT id FROM documents LIMIT 1").fetchone()[0]
        with s.transaction():
            for k in range(INDEXED_QUOTES + 5):
                quote = f"第{k % (INDEXED_QUOTES + 2)}次提到宇樹科技\ue000的机器人" if k % 7 else "同一句话"
                c.execute("INSERT INTO mentions (event_id, document_id, start_char, end_char, quote, time_text,"
                          " time_start_char, time_end_char, resolution, entities, tags)"
                          " VALUES (?, ?, 0, 1, ?, '', 0, 0, 'explicit', ?, '[]')",
                          (ev, doc, quote, '[["宇树科技", "org"], ["杭州", "place"]]'))
            c.execute("DELETE FROM mentions WHERE event_id = ?", (ids[1],))
        got = search_bodies(s.conn, ids + [10**9])  # (and one that is not there)

        def one(ev_id: int) -> str:  # what the index was built from, one event at a time
            title = c.execute("SELECT title FROM events WHERE id = ?", (ev_id,)).fetchone()[0]
            rows = c.execute("SELECT quote, entities, tags FROM mentions WHERE event_id = ? ORDER BY id",
                             (ev_id,)).fetchall()
            quotes = list(dict.fromkeys(r["quote"] for r in rows))[:INDEXED_QUOTES]
            ents, _ = s._names(rows)
            return fold_for_index(" ".join([title or ""] + quotes + list(ents) + _aliases(ents)))

        assert set(got) == set(ids)
        assert got == {i: one(i) for i in ids}
        assert "\ue000" in got[ev] and "宇 树" in got[ev]


def test_indexes_are_sorted_with_files_while_an_import_keeps_temporary_things_in_memory(tmp_path, monkeypatch):
    corpus = tmp_path / "c"
    write_corpus(corpus, 3, target_chars=300, style="newsroom")
    monkeypatch.setattr(importing, "BULK_MIN", 1)
    with Store(tmp_path / "e.db") as s:
        said = []
        s.conn.set_trace_callback(said.append)
        import_paths(s, [str(corpus)])
        s.conn.set_trace_callback(None)
        creates = [k for k, sql in enumerate(said) if sql.strip().startswith("CREATE INDEX IF NOT EXISTS events_order")]
        memory = [k for k, sql in enumerate(said) if sql == "PRAGMA temp_store=MEMORY"]
        to_file = [k for k, sql in enumerate(said) if sql == "PRAGMA temp_store = FILE"]
        back = [k for k, sql in enumerate(said) if sql == "PRAGMA temp_store = 2"]
        assert len(creates) == len(to_file) == len(back) == 1
        assert memory[0] < to_file[0] < creates[0] < back[0]
        # the id map's triggers went first (changing temp_store drops temporary objects)
        drops = [k for k, sql in enumerate(said) if sql.startswith("DROP TRIGGER IF EXISTS temp.hz_uid_")]
        assert drops and max(drops) < to_file[0]
        assert s.conn.execute("PRAGMA temp_store").fetchone()[0] == 0  # the default, as it was
