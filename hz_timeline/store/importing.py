"""The import pipeline: paths → documents → dated statements → events in the store.

``import_paths`` is the one call behind ``hz-timeline import`` and the first-run corpus build.
A bad file is reported and skipped; files already imported unchanged are skipped by hash.
"""

from __future__ import annotations

import calendar
import json
import re
import time
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Callable, Iterable

from ..errors import InputError, UsageError
from ..importers.dates import find_dates
from ..importers.events import extract, load_knowledge
from ..importers.pubdate import infer_published
from ..importers.readers import TEXT_SUFFIXES, read_path
from ..models import Document
from . import Store

SIDECAR = "corpus.json"
_PUB = re.compile(r"\s*(\d{4})\s*(?:[-/.年]\s*(\d{1,2})\s*(?:[-/.月]\s*(\d{1,2}))?)?")


@dataclass
class ImportReport:
    documents: int = 0
    skipped: int = 0
    mentions: int = 0
    events_new: int = 0
    events_merged: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        s = (f"{self.documents} document(s) imported, {self.skipped} unchanged, {self.mentions} mention(s), "
             f"{self.events_new} new event(s), {self.events_merged} merged into existing ones, {self.seconds:.2f} s")
        if self.errors:
            s += f"; {len(self.errors)} file(s) failed"
        return s


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
    except (ValueError, KeyError, TypeError) as e:
        raise InputError(f"{f}: malformed corpus metadata ({e})") from None


def expand(paths: Iterable[str]) -> list[tuple[Path, str, dict]]:
    """(file, display path, metadata) for every importable file under the given paths."""
    out = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            meta = _sidecar(path)
            for f in sorted(path.rglob("*")):
                if f.is_file() and f.suffix.lower() in TEXT_SUFFIXES and f.name != SIDECAR:
                    shown = str(Path(p) / f.relative_to(path))
                    out.append((f, shown, meta.get(f.name, {})))
        elif path.exists():
            out.append((path, p, _sidecar(path.parent).get(path.name, {})))
        else:
            raise InputError(f"{p}: no such file or folder")
    return out


def import_documents(store: Store, docs: Iterable[Document], report: ImportReport) -> None:
    kb = load_knowledge()
    for doc in docs:
        if store.document_sha(doc.path) == doc.sha256:
            report.skipped += 1
            continue
        exprs = find_dates(doc.text, reference_date(doc.published), doc.published_precision or "day")
        candidates, undated = extract(doc, exprs, kb)
        stats = store.add_document(doc, candidates, undated)
        if stats["skipped"]:
            report.skipped += 1
            continue
        report.documents += 1
        report.mentions += stats["mentions"]
        report.events_new += stats["events_new"]
        report.events_merged += stats["events_merged"]


def import_paths(
    store: Store,
    paths: Iterable[str],
    published: str | None = None,
    outlet: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> ImportReport:
    """Import files and folders; bad files are reported in ``errors`` and the rest go on."""
    t0 = time.perf_counter()
    report = ImportReport()
    if published and not normalize_published(published):
        raise UsageError(f"--published {published!r} is not a date (try 2025-02-06 or 2025-02)")
    for f, shown, meta in expand(paths):
        if progress:
            progress(shown)
        try:
            docs = read_path(f, shown)
            docs = [_apply_meta(d, meta) for d in docs]
            docs = [prepare(d, published, outlet) for d in docs]
            import_documents(store, docs, report)
        except InputError as e:
            report.errors.append(str(e))
    report.seconds = time.perf_counter() - t0
    return report


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
