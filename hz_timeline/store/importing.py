"""The import pipeline: paths → documents → dated statements → events in the store.

``import_paths`` is the one call behind ``hz-timeline import`` and the first-run corpus build.

* Each document (and each chunk of a structured events file) is written in its own
  transaction, so an interrupted import (Ctrl-C, kill -9, disk full) leaves the database
  consistent, and a rerun finishes the job: documents already imported unchanged are skipped
  by their SHA-256, a changed one replaces its old mentions.
* A bad file is reported in ``ImportReport.errors`` and the rest go on; with ``skip_bad`` the
  bad lines of a JSONL/CSV file are reported in ``ImportReport.bad`` and the rest imported.
* With ``jobs > 1`` worker processes read, decode, find dates and extract candidates (or parse
  structured events); this process is the single writer and writes in input order, so the
  result is the same as with one job.
* Progress goes to an optional callback with a ``Progress`` record: the core stays UI-free.
"""

from __future__ import annotations

import calendar
import gc
import json
import os
import re
import shutil
import sqlite3
import tempfile
import threading
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Callable, Iterable

from ..errors import HzError, InputError, UsageError
from ..importers.dates import find_dates
from ..importers.encoding import SAMPLE, decode, looks_binary
from ..importers.events import extract, load_knowledge
from ..importers.pubdate import infer_published
from ..importers.readers import (
    MAX_BYTES, STRUCTURED, TEXT_SUFFIXES, ReadOptions, ReadResult, _news, detect_format, normalize_format,
    read_file, read_path,
)
from ..importers.structured import (
    CHUNK_SIZE, NotPlain, PackedLines, build_events_chunk, chunk_path, chunk_sha, groups, iter_jsonl_groups, pack_lines,
    split_records,
)
from ..models import Document
from . import Store, prepare_candidates, search_bodies
from .bulk_import import copy_shard, remove_document, write_chunk, write_chunk_merged
from .checkpointer import BackgroundCheckpoint
from .shard import build_shard

SIDECAR = "corpus.json"
_PUB = re.compile(r"\s*(\d{4})\s*(?:[-/.年]\s*(\d{1,2})\s*(?:[-/.月]\s*(\d{1,2}))?)?")
NEWS_BATCH = 64  # news-dump articles sent to a worker at once
FILE_BATCH = 16  # plain files sent to a worker at once
BULK_MIN = 50_000  # events coming in that make a bulk load (Store.drop_bulk_indexes)
TEXT_PER_EVENT = 200  # bytes of article text per event found, to foresee a bulk load (~15 per 3 KB article)
WORKER_NICE = 10  # how much lower the workers' scheduling priority is than the writer's
PARENT_SUFFIXES = {".jsonl", ".ndjson", ".json", ".csv", ".tsv"}  # read here, split into work units


@dataclass
class ImportReport:
    documents: int = 0
    skipped: int = 0
    mentions: int = 0
    events_new: int = 0
    events_merged: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    files: int = 0
    bad: list[str] = field(default_factory=list)  # records left out with skip_bad
    removed: int = 0  # documents dropped because their line/chunk is gone from a changed file
    chunks: int = 0  # structured-event chunks written
    index_optimized: bool = False  # a big import ends by compacting the search index (Store.after_import)

    def summary(self) -> str:
        s = (f"{self.documents} document(s) imported, {self.skipped} unchanged, {self.mentions} mention(s), "
             f"{self.events_new} new event(s), {self.events_merged} merged into existing ones, {self.seconds:.2f} s")
        if self.removed:
            s += f"; {self.removed} stale document(s) removed"
        if self.bad:
            s += f"; {len(self.bad)} bad record(s) skipped"
        if self.errors:
            s += f"; {len(self.errors)} file(s) failed"
        return s


@dataclass(frozen=True)
class ImportOptions:
    format: str = "auto"
    mapping: tuple[tuple[str, str], ...] = ()
    max_bytes: int = MAX_BYTES
    skip_bad: bool = False
    jobs: int = 1
    merge: bool = False  # structured events through the per-event merge instead of the bulk path
    shards: bool = True  # structured chunks reach the writer as shard files (False: rows through the pipe)
    chunk_size: int = CHUNK_SIZE

    def read_options(self) -> ReadOptions:
        return ReadOptions(self.format, self.mapping, self.max_bytes, self.skip_bad, self.chunk_size)


@dataclass(frozen=True)
class Progress:
    """Where an import is. ``str(progress)`` is the file being worked on."""

    path: str
    files_done: int
    files_total: int
    bytes_done: int
    bytes_total: int
    documents: int
    events: int
    skipped: int

    def __str__(self) -> str:
        return self.path


def normalize_published(value: str) -> tuple[str, str] | None:
    """'2025-02-06 17:07' → ('2025-02-06', 'day'); '2025年2月' → ('2025-02', 'month'); junk → None."""
    m = _PUB.match(value or "")
    if not m:
        return None
    y, mo, d = m.group(1), m.group(2), m.group(3)
    try:
        if d:
            return date(int(y), int(mo), int(d)).isoformat(), "day"
        if mo:
            if not 1 <= int(mo) <= 12:
                return None
            return f"{int(y):04d}-{int(mo):02d}", "month"
    except ValueError:
        return None
    if int(y) < 1:
        return None
    return f"{int(y):04d}", "year"


def reference_date(published: str | None) -> date | None:
    """The reference for relative dates: the last day of the known publication interval."""
    if not published:
        return None
    parts = [int(p) for p in published.split("-")]
    if len(parts) == 3:
        return date(*parts)
    if len(parts) == 2:
        return date(parts[0], parts[1], calendar.monthrange(parts[0], parts[1])[1])
    return date(parts[0], 12, 31)


def prepare(doc: Document, published: str | None = None, outlet: str | None = None) -> Document:
    """Settle title/outlet and the publication date (given > metadata > dateline > inferred)."""
    if outlet:
        doc = replace(doc, outlet=outlet)
    if published:
        norm = normalize_published(published)
        if not norm:
            raise UsageError(f"--published {published!r} is not a date (try 2025-02-06 or 2025-02)")
        return replace(doc, published=norm[0], published_precision=norm[1], published_source="given")
    if doc.published:
        norm = normalize_published(doc.published)
        if norm:
            return replace(doc, published=norm[0], published_precision=norm[1])
    found = infer_published(doc.text)
    if found:
        d, precision, how = found
        iso = {"day": d.isoformat(), "month": d.isoformat()[:7], "year": d.isoformat()[:4]}[precision]
        return replace(doc, published=iso, published_precision=precision, published_source=how)
    return replace(doc, published=None, published_precision=None, published_source="none")


def _sidecar(folder: Path) -> dict[str, dict]:
    f = folder / SIDECAR
    if not f.is_file():
        return {}
    try:
        data = json.loads(f.read_text("utf-8"))
        return {d["file"]: d for d in data.get("documents", [])}
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise InputError(f"{f}: malformed corpus metadata ({e})") from None


def expand(paths: Iterable[str]) -> list[tuple[Path, str, dict]]:
    """(file, display path, metadata) for every importable file under the given paths."""
    out = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            meta = _sidecar(path)
            for f in sorted(path.rglob("*")):
                if f.is_file() and f.suffix.lower() in TEXT_SUFFIXES and f.name != SIDECAR and not f.name.startswith("."):
                    shown = str(Path(p) / f.relative_to(path))
                    out.append((f, shown, meta.get(f.name, {})))
        elif path.exists():
            out.append((path, p, _sidecar(path.parent).get(path.name, {})))
        else:
            raise InputError(f"{p}: no such file or folder")
    return out


def _apply_meta(doc: Document, meta: dict) -> Document:
    if not meta:
        return doc
    kw = {k: meta[k] for k in ("title", "outlet", "url", "published") if meta.get(k)}
    doc = replace(doc, **kw)
    if meta.get("published_source") and meta.get("published"):
        norm = normalize_published(meta["published"])
        if norm:
            doc = replace(doc, published=norm[0], published_precision=norm[1], published_source=meta["published_source"])
    return doc


def _extract(doc: Document, kb=None):
    """(candidates, undated mentions, each candidate's merge profile and sketch) of a document."""
    exprs = find_dates(doc.text, reference_date(doc.published), doc.published_precision or "day")
    candidates, undated = extract(doc, exprs, kb or load_knowledge())
    return candidates, undated, prepare_candidates(candidates)


def import_documents(store: Store, docs: Iterable[Document], report: ImportReport) -> None:
    kb = load_knowledge()
    for doc in docs:
        if store.document_sha(doc.path) == doc.sha256:
            report.skipped += 1
            continue
        _write_doc(store, doc, *_extract(doc, kb), report)


def _write_doc(store: Store, doc: Document, candidates, undated, prepared, report: ImportReport) -> None:
    stats = store.add_document(doc, candidates, undated, prepared)
    _count(stats, report)


def _count(stats: dict, report: ImportReport) -> None:
    if stats["skipped"]:
        report.skipped += 1
        return
    report.documents += 1
    report.mentions += stats["mentions"]
    report.events_new += stats["events_new"]
    report.events_merged += stats["events_merged"]


# ------------------------------------------------------------------ work units (run in workers)
# Each returns a plain result; an InputError becomes ("error", message) so nothing is raised
# across the process boundary, and any other exception is caught and named, never a traceback.


def _unexpected(name: str, e: BaseException) -> str:
    return f"{name}: could not be imported ({type(e).__name__}: {e})"


def _work_file(f: str, shown: str, meta: dict, published, outlet, ropts: ReadOptions, known: dict) -> dict:
    """A text/Markdown/HTML file (or anything not split in the parent): read, extract."""
    try:
        res = read_file(Path(f), shown, ropts)
        return _work_result(res, meta, published, outlet, known)
    except InputError as e:
        return {"error": str(e)}
    except Exception as e:  # noqa: BLE001 - a reader bug must not kill the import
        return {"error": _unexpected(shown, e)}


def _work_result(res: ReadResult, meta, published, outlet, known: dict) -> dict:
    out = {"docs": [], "skipped": 0, "chunks": [], "bad": res.bad, "bad_paths": res.bad_paths, "paths": set()}
    kb = load_knowledge()
    for doc in res.documents:
        out["paths"].add(doc.path)
        if known.get(doc.path) == doc.sha256:
            out["skipped"] += 1
            continue
        doc = prepare(_apply_meta(doc, meta), published, outlet)
        out["docs"].append((doc, *_extract(doc, kb)))
    for chunk in res.chunks:
        out["paths"].add(chunk.document.path)
        if known.get(chunk.document.path) == chunk.document.sha256:
            out["skipped"] += 1
        else:
            out["chunks"].append(chunk)
    return out


def _work_files(items: list[tuple]) -> list[dict]:
    """Several plain files, each as ``_work_file``."""
    return [_work_file(*args) for args in items]


def _one(fn, args) -> list[dict]:
    return [fn(*args)]


def _work_docs(docs: list[Document], meta, published, outlet) -> dict:
    """A batch of news-dump articles: prepare and extract."""
    try:
        kb = load_knowledge()
        out = []
        for doc in docs:
            doc = prepare(_apply_meta(doc, meta), published, outlet)
            out.append((doc, *_extract(doc, kb)))
        return {"docs": out}
    except Exception as e:  # noqa: BLE001
        return {"error": _unexpected(docs[0].path if docs else "?", e)}


def _work_chunk(records, name: str, fmt: str, path: str, mapping: dict, skip_bad: bool,
                shard: str | None = None, sha: str | None = None) -> dict:
    """One chunk of a structured events file: parse and build; with ``shard`` (a file name) the
    rows go to a shard file for the writer to copy (``store.shard``) instead of back through the
    pipe. ``records``: a list, or JSONL lines packed (``PackedLines``); ``sha``: the chunk's
    ``chunk_sha`` if the parent had to compute it."""
    # A chunk makes some 100,000 objects and no reference cycle: the cyclic garbage collector
    # would only scan them again and again (a fifth of the work), and reference counting frees
    # them all the same.
    gc_was = gc.isenabled()
    gc.disable()
    try:
        if isinstance(records, PackedLines):
            sha = sha or records.sha()
            records = records.records()
        chunk, bad = build_events_chunk(records, name, fmt, path, mapping, skip_bad, sha)
        if chunk and shard:
            return {"shards": [build_shard(chunk, shard)], "bad": bad}
        return {"chunks": [chunk] if chunk else [], "bad": bad}
    except InputError as e:
        return {"error": str(e)}
    except Exception as e:  # noqa: BLE001
        return {"error": _unexpected(name, e)}
    finally:
        if gc_was:
            gc.enable()


def _search_bodies(db: str, ids: list[int]) -> dict[int, str] | None:
    """``search_bodies`` read from the committed database through a read-only connection of this
    worker (None if it can't be read: the writer then builds them itself)."""
    try:
        conn = sqlite3.connect(f"{Path(db).resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        conn.row_factory = sqlite3.Row
        return search_bodies(conn, ids)
    except sqlite3.Error:
        return None
    finally:
        conn.close()


def _worker_init() -> None:
    """Workers leave Ctrl-C to the parent, which stops them (no tracebacks from the pool)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Killed (kill -9), the parent can't stop its workers, which would wait for work forever.
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), name="hz-parent", daemon=True).start()
    # The writer is what an import waits for; workers that are ahead give way to it (measured:
    # a million structured events 1-1.5 s faster on two cores).
    try:
        os.nice(WORKER_NICE)
    except (AttributeError, OSError):
        pass
    # What the fork copied from the parent stays as it is: the collector never visits it (which
    # would also copy every page it touches).
    gc.freeze()


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)


class _Inline:
    """The executor interface run in this process (``jobs == 1``): work happens at ``result()``."""

    class _Lazy:
        def __init__(self, fn, args):
            self.fn, self.args = fn, args

        def result(self):
            return self.fn(*self.args)

        def cancel(self):
            return True

    def submit(self, fn, *args):
        return self._Lazy(fn, args)

    def shutdown(self, wait=True, cancel_futures=False):
        pass


@dataclass
class _FileState:
    shown: str
    size: int
    known: dict
    units: int = 0  # work units still to be written
    failed: bool = False
    paths: set = field(default_factory=set)
    bad_paths: set = field(default_factory=set)
    split: bool = False  # read in the parent: unit paths are known up front


def _known(store: Store, shown: str) -> dict[str, str]:
    """path → sha256 of the documents that came from this file (itself, file#line, file#partN)."""
    rows = store.conn.execute(
        "SELECT path, sha256 FROM documents WHERE path = ? OR (path > ? AND path < ?)", (shown, shown + "#", shown + "$"))
    return {r[0]: r[1] for r in rows}


def import_paths(
    store: Store,
    paths: Iterable[str],
    published: str | None = None,
    outlet: str | None = None,
    progress: Callable[[Progress], None] | None = None,
    options: ImportOptions | None = None,
) -> ImportReport:
    """Import files and folders; bad files are reported in ``errors`` and the rest go on."""
    # The write-ahead log is copied into the database file beside the writer, not by it.
    checkpoints = BackgroundCheckpoint(store.conn)
    try:
        return _import_paths(store, paths, published, outlet, progress, options, checkpoints)
    finally:
        checkpoints.stop()


def _import_paths(store: Store, paths: Iterable[str], published: str | None, outlet: str | None,
                  progress: Callable[[Progress], None] | None, options: ImportOptions | None,
                  checkpoints: BackgroundCheckpoint) -> ImportReport:
    opts = options or ImportOptions()
    t0 = time.perf_counter()
    report = ImportReport()
    if published and not normalize_published(published):
        raise UsageError(f"--published {published!r} is not a date (try 2025-02-06 or 2025-02)")
    try:
        fmt_hint = normalize_format(opts.format)
    except ValueError as e:
        raise UsageError(str(e)) from None
    opts = replace(opts, format=fmt_hint)
    ropts = opts.read_options()
    mapping = dict(opts.mapping)
    files = expand(paths)
    sizes = []
    for f, _, _ in files:
        try:
            sizes.append((f, f.stat().st_size))
        except OSError:
            pass
    total_bytes = sum(s for _, s in sizes)
    jobs = max(1, opts.jobs)
    # Search-index rows are written in batches, not in every document's transaction (see Store.flush_index).
    store.defer_index = True
    # Fewer, larger checkpoints (each one syncs the database file) while documents stream in.
    store.conn.execute("PRAGMA wal_autocheckpoint=16384")
    # Merging reads back recent events and writes all over the indexes: a bigger cache than the
    # 2 MB default keeps their pages hot, for the import only (an export or the app on the same
    # connection would carry it as memory).
    cache = store.conn.execute("PRAGMA cache_size").fetchone()[0]
    store.conn.execute(f"PRAGMA cache_size={min(int(cache), -131072)}")
    # A document grouped with others (Store.group_documents) is a savepoint: SQLite keeps the
    # first image of every page it changes in a sub-journal, a temporary file by default, which
    # took two thirds of the import's writes. In memory instead (a few hundred KB per document,
    # freed when it ends). Set before anything temporary exists: changing it drops temp objects.
    temp_store = store.conn.execute("PRAGMA temp_store").fetchone()[0]
    store.conn.execute("PRAGMA temp_store=MEMORY")
    # Merging looks up MinHash values for every statement: from memory while the import runs.
    store.sketches.mirror()
    pool = ProcessPoolExecutor(max_workers=jobs, initializer=_worker_init) if jobs > 1 else _Inline()
    if jobs > 1:
        # Fork the workers now, while this process is small: forked after a big file is read,
        # they would share its pages, copied as soon as either side writes to one.
        pool.submit(int)
    checkpoints.start()  # (after the fork)
    window = jobs * 3
    scratch_dir: list[str] = []
    bulk: list[bool] = []

    def big_file(records: int, structured: bool = False) -> None:
        """``records`` events are coming (a structured file, or foreseen in articles): a bulk
        load when they are many and outweigh the store (not for ``--merge``, which merges
        structured events one by one like articles' and keeps the indexes)."""
        if not bulk and records >= BULK_MIN and not (structured and opts.merge):
            stored = store.conn.execute("SELECT max(id) FROM events").fetchone()[0] or 0
            if records >= stored:
                store.drop_bulk_indexes()
                store.group_documents(True)
                store.defer_search = True
                bulk.append(True)

    def scratch() -> str:
        """A folder for this import's shard files (structured events), made when first needed."""
        if not scratch_dir:
            _clean_scratch()
            scratch_dir.append(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-"))
        return scratch_dir[0]
    pending: deque = deque()  # ([(file state, bytes this unit accounts for)], future of their results)
    batch: list = []  # plain files waiting to go to a worker together
    done = {"files": 0, "bytes": 0}
    finished = False

    def tick(state: _FileState) -> None:
        if progress:
            progress(Progress(state.shown, done["files"], len(files), done["bytes"], total_bytes, report.documents,
                              report.events_new, report.skipped))

    def drain(limit: int) -> None:
        while len(pending) > limit:
            parts, fut = pending.popleft()
            for (state, nbytes), result in zip(parts, fut.result()):
                _write_unit(store, state, result, report, opts)
                # What a unit leaves behind (cached profiles, ids) lives long: keep the cyclic
                # garbage collector from scanning it again and again (a fifth of the import's time).
                gc.freeze()
                if store.index_pending() >= store.FLUSH_EVERY:
                    store.flush_index()
                state.units -= 1
                done["bytes"] += nbytes
                if state.units == 0:
                    _finish_file(store, state, report)
                    done["files"] += 1
                tick(state)

    def send_batch() -> None:
        if batch:
            pending.append(([(st, n) for st, _, n in batch], pool.submit(_work_files, [a for _, a, _ in batch])))
            batch.clear()
            drain(window)

    try:
        big_file(sum(s for f, s in sizes if f.suffix.lower() not in PARENT_SUFFIXES) // TEXT_PER_EVENT)
        for f, shown, meta in files:
            report.files += 1
            try:
                size = f.stat().st_size
            except OSError:
                size = 0
            state = _FileState(shown, size, _known(store, shown))
            if not (fmt_hint in STRUCTURED + ("events", "news-jsonl", "news-json") or f.suffix.lower() in PARENT_SUFFIXES):
                # Plain files go to workers FILE_BATCH at a time: a hand-over costs the writer time too.
                state.units = 1
                batch.append((state, (str(f), shown, meta, published, outlet, ropts, state.known), size))
                if len(batch) >= FILE_BATCH:
                    send_batch()
                continue
            send_batch()  # keep the input order
            units = _split_in_parent(f, shown, meta, published, outlet, ropts, mapping, state, report,
                                     scratch if opts.shards and not opts.merge else None, big_file,
                                     lambda fn, args: pool.submit(_one, fn, args))
            if not units:
                done["files"] += 1
                done["bytes"] += size
                _finish_file(store, state, report)
                tick(state)
                continue
            state.units = len(units)
            for fn, args, nbytes, fut in units:
                pending.append(([(state, nbytes)], fut or pool.submit(_one, fn, args)))
                drain(window)
        send_batch()
        drain(0)
        finished = True
    except BrokenProcessPool as e:
        pool.shutdown(wait=False, cancel_futures=True)
        raise HzError(f"a worker process died ({e}); what was written is consistent: run the import again to finish") from None
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        # Also after an error or Ctrl-C: what was imported becomes searchable (a second Ctrl-C
        # leaves the rest pending; the next import or writer finishes it).
        gc.unfreeze()
        store.sketches.forget()
        for d in scratch_dir:
            shutil.rmtree(d, ignore_errors=True)
        # (before the indexes are built: SQLite sorts for them in pieces the size of the cache,
        # and a few small pieces sorted apart, in threads, and merged take half the time of one
        # big one)
        store.conn.execute(f"PRAGMA cache_size={int(cache)}")
        if bulk:
            try:
                try:
                    store.group_documents(False)  # (commits the last group)
                finally:
                    store.restore_indexes()
            except HzError:
                if finished:
                    raise
        store.defer_index = store.defer_search = False
        store.conn.execute("PRAGMA wal_autocheckpoint=1000")

        def bodies(batches: list[list[int]]):
            """The search-index bodies of a bulk load's events, built by the workers (idle now), a
            few batches ahead of the writer (not all at once: they would wait in memory)."""
            ahead: deque = deque()
            todo = iter(batches)
            while True:
                while len(ahead) < window and (b := next(todo, None)) is not None:
                    ahead.append(pool.submit(_search_bodies, str(store.path), b))
                if not ahead:
                    return
                try:
                    yield ahead.popleft().result()
                except Exception:  # noqa: BLE001 (a worker gone: the writer builds them)
                    yield None

        try:
            store.flush_index(bodies if bulk and finished and jobs > 1 else None)
        except HzError:
            if finished:
                raise  # nothing else went wrong: this is the error to report
        finally:
            store.conn.execute(f"PRAGMA temp_store={int(temp_store)}")  # (the bulk load's temp triggers are gone)
    pool.shutdown()
    report.index_optimized = store.after_import(report.events_new + report.events_merged)
    report.seconds = time.perf_counter() - t0
    return report


SCRATCH_PREFIX = "hz-import-"


def _clean_scratch() -> None:
    """Remove shard folders left by imports that were killed (their process is gone)."""
    root = Path(tempfile.gettempdir())
    for d in root.glob(f"{SCRATCH_PREFIX}*-*"):
        pid = d.name[len(SCRATCH_PREFIX):].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
            continue  # still running
        except ProcessLookupError:
            shutil.rmtree(d, ignore_errors=True)
        except OSError:
            continue  # someone else's process


def _split_in_parent(f: Path, shown: str, meta, published, outlet, ropts: ReadOptions, mapping: dict,
                     state: _FileState, report: ImportReport, scratch: Callable[[], str] | None,
                     big_file: Callable[..., None], early: Callable) -> list:
    """Read a dump or structured file here and cut it into work units (article batches, event
    chunks): (function, arguments, bytes it accounts for, its future or None). Units whose
    documents are unchanged are counted as skipped and not sent at all. A plain UTF-8 JSONL
    file's chunks are handed to the workers (``early``) as they are cut (``_stream_jsonl``)."""
    try:
        size = f.stat().st_size
        if f.is_dir():
            raise InputError(f"{shown}: is a directory")
        if ropts.max_bytes and size > ropts.max_bytes:
            raise InputError(f"{shown}: {size:,} bytes is over the {ropts.max_bytes:,}-byte limit (raise it with --max-size)")
        data = f.read_bytes()
    except InputError as e:
        report.errors.append(str(e))
        state.failed = True
        return []
    except OSError as e:
        report.errors.append(f"{shown}: cannot be read ({e.strerror or e})")
        state.failed = True
        return []
    try:
        if not data or data.isspace():  # (not data.strip(): a copy of a file that may be huge)
            raise InputError(f"{shown}: is empty")
        units = _stream_jsonl(data, f.suffix, shown, ropts, mapping, state, report, scratch, big_file, early)
        if units is not None:
            return units
        # Not a plain UTF-8 JSONL file (which _stream_jsonl has just tried to cut on its bytes):
        # the decoded text is cut.
        text = decode(data, shown)
        fmt = detect_format(text, f.suffix, mapping, ropts.format)
        if fmt in STRUCTURED:
            packs = [pack_lines(g) or g for g in groups(split_records(text, shown, fmt), ropts.chunk_size)]
            del text
            if not packs:
                raise InputError(f"{shown}: no events in this {fmt} file")
            big_file(sum(len(p.numbers) if isinstance(p, PackedLines) else len(p) for p in packs), structured=True)
            units = []
            share = max(1, len(data) // len(packs))
            for k, g in enumerate(packs, 1):
                unit = _chunk_unit(g, k, len(packs) == 1, shown, fmt, ropts, mapping, state, report, scratch)
                if unit:
                    units.append((*unit, share, None))
            return units
        if fmt in ("news-jsonl", "news-json"):
            res = ReadResult(format=fmt, sha256="")
            _news(text, shown, mapping, ropts.skip_bad, res, fmt)
            big_file(len(data) // TEXT_PER_EVENT)
            report.bad.extend(res.bad)
            state.bad_paths |= res.bad_paths
            todo = []
            for doc in res.documents:
                state.paths.add(doc.path)
                if state.known.get(doc.path) == doc.sha256:
                    report.skipped += 1
                else:
                    todo.append(doc)
            batches = [todo[i : i + NEWS_BATCH] for i in range(0, len(todo), NEWS_BATCH)]
            share = max(1, len(data) // max(1, len(batches)))
            return [(_work_docs, (b, meta, published, outlet), share, None) for b in batches]
        # Anything else is one document: hand the file to a worker as usual.
        return [(_work_file, (str(f), shown, meta, published, outlet, ropts, state.known), len(data), None)]
    except InputError as e:
        report.errors.append(str(e))
        state.failed = True
        return []


def _chunk_unit(g, k: int, alone: bool, shown: str, fmt: str, ropts: ReadOptions, mapping: dict, state: _FileState,
                report: ImportReport, scratch: Callable[[], str] | None, tag: str = "") -> tuple | None:
    """(function, arguments) of chunk ``k`` of a structured file (``alone``: its only one); None
    when it was imported before unchanged (counted as skipped)."""
    path = chunk_path(shown, k, 1 if alone else k + 1)
    state.paths.add(path)
    sha = None
    if path in state.known:  # imported before: unchanged is skipped (else the worker hashes it)
        sha = g.sha() if isinstance(g, PackedLines) else chunk_sha([t for _, t, _ in g])
        if state.known[path] == sha:
            report.skipped += 1
            return None
    shard = os.path.join(scratch(), f"{report.files}-{k}{tag}.db") if scratch else None
    return _work_chunk, (g, shown, fmt, path, mapping, ropts.skip_bad, shard, sha)


STREAM_HEAD = 1 << 20  # bytes decoded to tell a JSONL file's format before it is cut


def _stream_jsonl(data: bytes, suffix: str, shown: str, ropts: ReadOptions, mapping: dict, state: _FileState,
                  report: ImportReport, scratch, big_file, early: Callable) -> list | None:
    """The units of a structured JSONL file in UTF-8 laid out plainly (``iter_jsonl_groups``),
    each submitted (``early``) as soon as it is cut: the workers start on the first chunks while
    this process checks and cuts the rest, instead of waiting for the whole file to be decoded.
    Nothing is written until the whole file is cut (the caller writes only after this returns),
    so a file that turns out not to be plain UTF-8 is still read as a whole, as it always was:
    then the units handed over are cancelled and this returns None, as it does for any file it
    can't tell is plain JSONL from its head (the caller decodes the file and cuts its text)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        return None
    start = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    cut = data.find(b"\n", start + STREAM_HEAD)
    try:
        head = str(data[start : cut if cut >= 0 else len(data)], "utf-8")
    except UnicodeDecodeError:
        return None
    # The format and the binary check read only the start of the text (4,096 and SAMPLE
    # characters, and the first line): the head, made of whole lines, gives the file's answer.
    if cut >= 0 and len(head) < SAMPLE:
        return None
    try:
        looks_binary(head, shown)
    except InputError:
        return None
    if detect_format(head, suffix, mapping, ropts.format) != "events-jsonl":
        return None
    del head
    fmt = "events-jsonl"
    skipped, paths = report.skipped, set(state.paths)
    units: list[list] = []
    records = 0
    try:
        cuts = iter_jsonl_groups(data, start, ropts.chunk_size)
        g = next(cuts, None)
        k = 0
        while g is not None:
            k += 1
            after = next(cuts, None)  # (whether this chunk is the file's only one names it)
            records += len(g.numbers)
            unit = _chunk_unit(g, k, k == 1 and after is None, shown, fmt, ropts, mapping, state, report, scratch,
                               tag="s")  # (its own shard names: a unit cancelled too late still writes one)
            if unit:
                units.append([*unit, 0, early(*unit)])
            g = after
    except NotPlain:
        for u in units:
            u[3].cancel()
        report.skipped, state.paths = skipped, paths
        return None
    if not k:
        raise InputError(f"{shown}: no events in this {fmt} file")
    big_file(records, structured=True)
    share = max(1, len(data) // k)
    return [(fn, args, share, fut) for fn, args, _, fut in units]


def _write_unit(store: Store, state: _FileState, result: dict, report: ImportReport, opts: ImportOptions) -> None:
    if state.failed:
        return  # an earlier unit of this file failed: write nothing more from it
    if "error" in result:
        report.errors.append(result["error"])
        state.failed = True
        return
    report.bad.extend(result.get("bad", ()))
    state.bad_paths |= result.get("bad_paths", set())
    if "paths" in result:
        state.paths |= result["paths"]
    report.skipped += result.get("skipped", 0)
    for doc, candidates, undated, prepared in result.get("docs", ()):
        state.paths.add(doc.path)
        _write_doc(store, doc, candidates, undated, prepared, report)
    for chunk in result.get("chunks", ()):
        stats = write_chunk_merged(store, chunk) if opts.merge else write_chunk(store, chunk)
        _count(stats, report)
        report.chunks += 0 if stats["skipped"] else 1
    for shard in result.get("shards", ()):
        try:
            stats = copy_shard(store, shard)
        finally:
            Path(shard.path).unlink(missing_ok=True)
        _count(stats, report)
        report.chunks += 0 if stats["skipped"] else 1


def _finish_file(store: Store, state: _FileState, report: ImportReport) -> None:
    """Drop what a changed file no longer has (a removed line or chunk), unless it failed or the
    missing part was a bad record skipped this time."""
    if state.failed or not state.paths:
        return
    for path in state.known:
        if path not in state.paths and path not in state.bad_paths:
            report.removed += 1 if remove_document(store, path) >= 0 else 0


def bundled_corpus() -> Path:
    """The folder of sample articles shipped inside the package."""
    return Path(__file__).resolve().parents[1] / "corpus"


def build_sample(store: Store) -> ImportReport:
    """Fill a store with the bundled corpus; documents are named corpus/<file>."""
    folder = bundled_corpus()
    t0 = time.perf_counter()
    report = ImportReport()
    meta = _sidecar(folder)
    for f in sorted(folder.glob("*.txt")):
        doc = read_path(f, f"corpus/{f.name}")[0]
        doc = prepare(_apply_meta(doc, meta.get(f.name, {})))
        import_documents(store, [doc], report)
    report.seconds = time.perf_counter() - t0
    return report


def default_jobs() -> int:
    return max(1, min(4, os.cpu_count() or 1))
