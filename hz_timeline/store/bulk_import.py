"""Bulk writes of structured events (import side; ``bulk`` is the export's batched reader).

One transaction per chunk, executemany, FTS rows in bulk.

Structured events carry their own ids, so they are *not* compared with the events already in
the store by text and entities (the per-event merge of ``Store.add_document``): an event whose
id is new is inserted as given (dates, title, summary, kind, entities, tags); an event whose id
already exists gets the new mentions attached and is recomputed like any merged event. Use
``write_chunk_merged`` (``--merge``) to run structured events through the ordinary per-event
merge instead — much slower, but they then join similar events from other sources.

The resulting rows are exactly those ``Store.add_document`` would write for a new event with
the same mentions, so every read path (queries, export, the app) sees no difference.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace

from ..errors import StoreError
from ..importers.structured import EventChunk
from . import Store
from .shard import Shard

_BATCH = 500


def _ids(conn: sqlite3.Connection, table: str, col: str, names: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for i in range(0, len(names), _BATCH):
        part = names[i : i + _BATCH]
        q = ",".join("?" * len(part))
        out.update((r[1], r[0]) for r in conn.execute(f"SELECT id, {col} FROM {table} WHERE {col} IN ({q})", part))
    return out


def _fill_temp(conn: sqlite3.Connection, ids) -> None:
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS _hz_ids (id INTEGER PRIMARY KEY)")
    conn.execute("DELETE FROM _hz_ids")
    conn.executemany("INSERT OR IGNORE INTO _hz_ids (id) VALUES (?)", ((i,) for i in ids))


def remove_document_rows(store: Store, doc_id: int) -> int:
    """Inside a transaction: drop a document and its mentions; events left without a mention go
    in bulk, the others are recomputed. Returns the number of mentions removed."""
    c = store.conn
    store.forget_caches()  # links, sketch values and events go in bulk below
    events = [r[0] for r in c.execute(
        "SELECT DISTINCT event_id FROM mentions WHERE document_id = ? AND event_id IS NOT NULL", (doc_id,))]
    n = c.execute("DELETE FROM mentions WHERE document_id = ?", (doc_id,)).rowcount
    c.execute("DELETE FROM documents WHERE id = ?", (doc_id,))
    if not events:
        return n
    _fill_temp(c, events)
    kept = [r[0] for r in c.execute("SELECT DISTINCT m.event_id FROM mentions m JOIN _hz_ids t ON t.id = m.event_id")]
    c.executemany("DELETE FROM _hz_ids WHERE id = ?", ((i,) for i in kept))
    for table, col in (("event_entities", "event_id"), ("event_tags", "event_id"), ("events_fts", "rowid"),
                       ("sketch_keys", "event_id"), ("fts_pending", "event_id")):
        c.execute(f"DELETE FROM {table} WHERE {col} IN (SELECT id FROM _hz_ids)")
    c.execute("DELETE FROM disputes WHERE event_a IN (SELECT id FROM _hz_ids) OR event_b IN (SELECT id FROM _hz_ids)")
    c.execute("DELETE FROM events WHERE id IN (SELECT id FROM _hz_ids)")
    for ev in kept:
        store._refresh_event(ev)
    return n


def remove_document(store: Store, path: str) -> int:
    """Like ``Store.remove_document`` (one transaction), fast for documents with many events."""
    row = store.conn.execute("SELECT id FROM documents WHERE path = ?", (path,)).fetchone()
    if not row:
        return 0
    try:
        with store.transaction():
            n = remove_document_rows(store, row[0])
            if not store.defer_index:
                store._write_index()
            return n
    except sqlite3.OperationalError as e:
        raise StoreError(f"{store.path}: {e}") from None


def write_chunk(store: Store, chunk: EventChunk) -> dict:
    """Write one chunk of structured events in one transaction (see the module doc)."""
    try:
        with store.transaction():
            return _write_chunk(store, chunk)
    except sqlite3.OperationalError as e:
        raise StoreError(f"{store.path}: {e}") from None


def _write_chunk(store: Store, chunk: EventChunk) -> dict:
    c = store.conn
    doc = chunk.document
    stats = {"skipped": False, "mentions": 0, "events_new": 0, "events_merged": 0}
    old = c.execute("SELECT id, sha256 FROM documents WHERE path = ?", (doc.path,)).fetchone()
    if old and old[1] == doc.sha256:
        stats["skipped"] = True
        return stats
    if old:
        remove_document_rows(store, old[0])
    store.forget_caches(sketches=False)  # events and links are written in bulk below
    doc_id = store._document_row(doc)
    uids = list(dict.fromkeys(row[0] for row in chunk.rows))
    existing = store.event_ids(uids)
    next_id = (c.execute("SELECT max(id) FROM events").fetchone()[0] or 0) + 1
    ev_rows, men_rows, fts_rows = [], [], []
    ent_pairs, tag_pairs = [], []  # (event id, name)
    entity_types: dict[str, str] = {}
    all_tags: set[str] = set()
    refresh: set[int] = set()
    own: dict[str, int] = {}  # uid -> id for events created in this chunk
    for uid, start, end, precision, title, summary, kind, ents, tags, mentions, n_sources, body, ents_json, tags_json \
            in chunk.rows:
        ev_id = existing.get(uid) or own.get(uid)
        if ev_id is not None:
            # An id already stored (or repeated in this chunk): one event, more mentions.
            refresh.add(ev_id)
            stats["events_merged"] += 1
        else:
            ev_id = next_id
            next_id += 1
            own[uid] = ev_id
            stats["events_new"] += 1
            ev_rows.append((ev_id, uid, start, end, int(start[:4]), precision, title, summary, kind,
                            len(mentions), n_sources))
            for name, typ in ents:
                entity_types.setdefault(name, typ)
                ent_pairs.append((ev_id, name))
            for t in tags:
                all_tags.add(t)
                tag_pairs.append((ev_id, t))
            fts_rows.append((ev_id, body))
        for a, b, quote, tt, ts, te, ms, me, mp, res, why in mentions:
            men_rows.append((ev_id, doc_id, a, b, quote, tt, ts, te, ms, me, mp, 0, res, why, title, kind,
                             ents_json, tags_json))
    c.executemany('INSERT INTO events (id, uid, start, "end", year, precision, title, summary, kind, n_mentions,'
                  " n_sources) VALUES (?,?,?,?,?,?,?,?,?,?,?)", ev_rows)
    c.executemany(
        "INSERT INTO mentions (event_id, document_id, start_char, end_char, quote, time_text, time_start_char,"
        ' time_end_char, start, "end", precision, approx, resolution, explanation, title, kind, entities, tags)'
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", men_rows)
    if entity_types:
        c.executemany("INSERT OR IGNORE INTO entities (name, type) VALUES (?, ?)", entity_types.items())
        ent_ids = _ids(c, "entities", "name", list(entity_types))
        c.executemany("INSERT OR IGNORE INTO event_entities (event_id, entity_id) VALUES (?, ?)",
                      ((e, ent_ids[n]) for e, n in ent_pairs))
    if all_tags:
        c.executemany("INSERT OR IGNORE INTO tags (name) VALUES (?)", ((t,) for t in all_tags))
        tag_ids = _ids(c, "tags", "name", list(all_tags))
        c.executemany("INSERT OR IGNORE INTO event_tags (event_id, tag_id) VALUES (?, ?)",
                      ((e, tag_ids[t]) for e, t in tag_pairs))
    c.executemany("INSERT INTO events_fts (rowid, body) VALUES (?, ?)", fts_rows)
    for ev_id in refresh:
        store._refresh_event(ev_id)
    if refresh and not store.defer_index:
        store._write_index()
    if chunk.disputes:
        _disputes(store, chunk)
    stats["mentions"] = len(men_rows)
    return stats


def copy_shard(store: Store, shard: Shard) -> dict:
    """Copy a worker's shard file into the store in one transaction (``store.shard``); the same
    rows as ``write_chunk`` of the chunk it was built from, without handling them in Python."""
    c = store.conn
    doc = shard.document
    stats = {"skipped": False, "mentions": 0, "events_new": 0, "events_merged": 0}
    try:
        old = c.execute("SELECT id, sha256 FROM documents WHERE path = ?", (doc.path,)).fetchone()
        if old and old[1] == doc.sha256:
            stats["skipped"] = True
            return stats
        if c.in_transaction:
            c.commit()  # ATTACH is refused inside a transaction
        c.execute("ATTACH DATABASE ? AS hz_shard", (shard.path,))
        try:
            with store.transaction():
                _copy_rows(store, shard, old[0] if old else None, stats)
        finally:
            c.execute("DETACH DATABASE hz_shard")
    except sqlite3.OperationalError as e:
        raise StoreError(f"{store.path}: {e}") from None
    return stats


def _copy_rows(store: Store, shard: Shard, old_id: int | None, stats: dict) -> None:
    c = store.conn
    if old_id is not None:
        remove_document_rows(store, old_id)
    store.forget_caches(sketches=False)  # events and links are copied in bulk below
    doc_id = store._document_row(shard.document)
    # Ids already stored (an export imported again, or a later part of the same file): those
    # events get the new mentions and are recomputed; the rest are new, numbered after max(id).
    ids = store.event_ids(shard.uids)
    stored = [(rel, ids[u]) for rel, u in enumerate(shard.uids) if u in ids] if ids else []
    base = (c.execute("SELECT max(id) FROM events").fetchone()[0] or 0) + 1
    new_only, event_of = "", "s.rel + :base"
    if stored:
        c.execute("CREATE TEMP TABLE IF NOT EXISTS _hz_stored (rel INTEGER PRIMARY KEY, id INTEGER NOT NULL)")
        c.execute("DELETE FROM _hz_stored")
        c.executemany("INSERT INTO _hz_stored (rel, id) VALUES (?, ?)", stored)
        new_only = " WHERE s.rel NOT IN (SELECT rel FROM temp._hz_stored)"
        event_of = "coalesce((SELECT id FROM temp._hz_stored t WHERE t.rel = s.rel), s.rel + :base)"
    p = {"base": base, "doc": doc_id}
    known = {rel for rel, _ in stored}
    new = ([(u, rel + base) for rel, u in enumerate(shard.uids) if rel not in known] if known
           else zip(shard.uids, range(base, base + len(shard.uids))))
    with store.new_events(new, shard.events - len(stored)):
        c.execute('INSERT INTO events (id, uid, start, "end", year, precision, title, summary, kind, n_mentions,'
                  f' n_sources) SELECT s.rel + :base, uid, start, "end", year, precision, title, summary, kind,'
                  f" n_mentions, n_sources FROM hz_shard.ev s{new_only} ORDER BY s.rel", p)
    stats["mentions"] = c.execute(
        "INSERT INTO mentions (event_id, document_id, start_char, end_char, quote, time_text, time_start_char,"
        ' time_end_char, start, "end", precision, approx, resolution, explanation, title, kind, entities, tags)'
        f" SELECT {event_of}, :doc, start_char, end_char, quote, time_text, time_start_char, time_end_char, start,"
        ' "end", precision, 0, resolution, explanation, title, kind, entities, tags FROM hz_shard.men s'
        " ORDER BY s.rowid", p).rowcount
    # The first type given for a new name wins, as with write_chunk.
    c.execute(f"INSERT OR IGNORE INTO entities (name, type) SELECT name, type FROM hz_shard.ent s{new_only}"
              " ORDER BY s.rowid")
    c.execute("INSERT OR IGNORE INTO event_entities (event_id, entity_id) SELECT s.rel + :base, e.id"
              f" FROM hz_shard.ent s JOIN main.entities e ON e.name = s.name{new_only} ORDER BY s.rel", p)
    c.execute(f"INSERT OR IGNORE INTO tags (name) SELECT name FROM hz_shard.tag s{new_only} ORDER BY s.rowid")
    c.execute("INSERT OR IGNORE INTO event_tags (event_id, tag_id) SELECT s.rel + :base, t.id"
              f" FROM hz_shard.tag s JOIN main.tags t ON t.name = s.name{new_only} ORDER BY s.rel", p)
    c.execute(f"INSERT INTO events_fts (rowid, body) SELECT s.rel + :base, body FROM hz_shard.ev s{new_only}"
              " ORDER BY s.rel", p)
    ids = dict(stored)
    refresh = set(ids.values()) | {ids.get(rel, rel + base) for rel in shard.repeated}
    stats["events_new"] = shard.events - len(stored)
    stats["events_merged"] = shard.rows - shard.events + len(stored)
    for ev_id in refresh:
        store._refresh_event(ev_id)
    if refresh and not store.defer_index:
        store._write_index()
    if shard.disputes:
        _disputes(store, shard)


def _disputes(store: Store, chunk: EventChunk | Shard) -> None:
    """Disputes between events that are both in the store now (the other side, when it arrives
    later, lists this one too, so the pair is written then)."""
    c = store.conn
    uids = list({u for u, ds in chunk.disputes.items()} | {o for ds in chunk.disputes.values() for o, _ in ds})
    ids = store.event_ids(uids)
    rows, flagged = [], set()
    for u, ds in chunk.disputes.items():
        for other, reason in ds:
            if u in ids and other in ids and ids[u] != ids[other]:
                a, b = sorted((ids[u], ids[other]))
                rows.append((a, b, reason or "disputed in the imported file"))
                flagged.update((a, b))
    c.executemany("INSERT OR IGNORE INTO disputes (event_a, event_b, reason) VALUES (?,?,?)", rows)
    c.executemany("UPDATE events SET disputed = 1 WHERE id = ?", ((i,) for i in flagged))


def write_chunk_merged(store: Store, chunk: EventChunk) -> dict:
    """The per-event alternative: every mention becomes a candidate for ``Store.add_document``,
    which compares it with the events already stored (text, entities, dates) and merges."""
    cands = []
    for ev in chunk.events:  # built from the rows
        for k, m in enumerate(ev.mentions):
            cands.append(replace(ev, id=ev.id if k == 0 else f"{ev.id}-{k}", start=m.span.start, end=m.span.end,
                                 precision=m.span.precision, mentions=(m,)))
    return store.add_document(chunk.document, cands, [])
