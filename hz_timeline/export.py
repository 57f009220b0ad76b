"""Events → files. The JSON schema ``hz-timeline/events`` v1 is a stable contract.

Writing is atomic: output goes to a temporary file beside the target and is renamed into
place only when complete, so a failed export never leaves a partial file. ``-`` streams to
standard output. Events are streamed from the store, so memory does not grow with the count.
"""

from __future__ import annotations

import os
import sys
import tempfile
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Iterator

import orjson

from .errors import HzError, UsageError
from .store import Filter, Store

FORMAT_ID = "hz-timeline/events"
FORMAT_VERSION = 1
FORMATS = ("json", "jsonl")

MENTION_KEYS = ("document", "document_title", "published", "start_char", "end_char", "quote",
                "time_text", "start", "end", "precision", "resolution")


def event_record(ev: dict) -> dict:
    """A store event (``Store.event``/``iter_events``) as it appears in the export."""
    return {
        "id": ev["uid"],
        "start": ev["start"],
        "end": ev["end"],
        "precision": ev["precision"],
        "title": ev["title"],
        "summary": ev["summary"],
        "kind": ev["kind"],
        "entities": [{"name": e["name"], "type": e["type"]} for e in ev["entities"]],
        "tags": list(ev["tags"]),
        "mentions": [{k: m[k] for k in MENTION_KEYS} for m in ev["mentions"]],
        "disputes": list(ev.get("disputes", [])),
    }


class ExportError(HzError):
    pass


@contextmanager
def atomic_output(path: str) -> Iterator[IO[bytes]]:
    """Binary stream to ``path`` (``-`` = stdout), replaced atomically on success only."""
    if path == "-":
        out = sys.stdout.buffer
        yield out
        out.flush()
        return
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise ExportError(f"{path}: is a directory")
    if not folder.is_dir():
        raise ExportError(f"{path}: folder {folder} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    except OSError as e:
        raise ExportError(f"{path}: cannot write here ({e.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def export(store: Store, f: Filter, fmt: str = "json", output: str = "-") -> int:
    """Write the filtered events in ``fmt`` to ``output``; returns the number written."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    count = store.count(f)
    try:
        with atomic_output(output) as out:
            if fmt == "json":
                _write_json(store, f, count, out)
            else:
                for ev in store.iter_events(f):
                    out.write(orjson.dumps(event_record(ev)) + b"\n")
    except OSError as e:
        raise ExportError(f"{output}: write failed ({e.strerror or e})") from None
    return count


def header(f: Filter, count: int) -> dict:
    return {
        "format": FORMAT_ID,
        "version": FORMAT_VERSION,
        "exported_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "filters": f.describe(),
        "count": count,
    }


def _write_json(store: Store, f: Filter, count: int, out: IO[bytes]) -> None:
    head = orjson.dumps(header(f, count), option=orjson.OPT_INDENT_2)
    out.write(head[:-2] + b',\n  "events": [')  # reopen the object to stream the list
    first = True
    for ev in store.iter_events(f):
        out.write(b"\n    " if first else b",\n    ")
        out.write(orjson.dumps(event_record(ev)))
        first = False
    out.write(b"\n  ]\n}\n" if not first else b"]\n}\n")
