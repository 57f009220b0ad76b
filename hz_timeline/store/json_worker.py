"""A worker process of a parallel json/jsonl export (``store.bulk.JsonWorkers``).

Run as a script, ``python -I -S json_worker.py DB``, never imported by the product: it needs only
the standard library, so it starts in milliseconds. (Not threads: the system SQLite counts every
allocation under one process-wide mutex (memory statistics), and two threads building JSON at once
measured slower than one.)

Protocol. The worker opens the database read-only, begins a read transaction and says ``R``; the
parent then checks that this snapshot is its own. Each line on standard input is a job,
``{"sql", "params", "sep", "chunk"}``: the worker runs the query and sends its records as ``D``
frames of up to ``chunk`` records (JSON texts joined by ``sep``), then ``E``. A frame, on standard
output, is a kind byte, the payload's length and a record count (``<cII``), then the payload.
``X``: an error, its message as payload; the worker stops. End of input ends the worker.
"""

import json
import sqlite3
import struct
import sys
from urllib.parse import quote

FRAME = struct.Struct("<cII")


def main() -> None:
    out = sys.stdout.buffer
    try:
        conn = sqlite3.connect(f"file:{quote(sys.argv[1])}?mode=ro", uri=True, timeout=5, isolation_level=None)
        conn.execute("BEGIN")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # the snapshot starts here
        out.write(FRAME.pack(b"R", 0, 0))
        out.flush()
        for line in sys.stdin.buffer:
            job = json.loads(line)
            sep, chunk = job["sep"].encode(), job["chunk"]
            cur = conn.execute(job["sql"], job["params"])
            while rows := cur.fetchmany(chunk):
                payload = sep.join([r[0] for r in rows])
                out.write(FRAME.pack(b"D", len(payload), len(rows)))
                out.write(payload)
            out.write(FRAME.pack(b"E", 0, 0))
            out.flush()
    except BrokenPipeError:  # the parent is gone or stopped reading: nothing more is wanted
        pass
    except Exception as e:  # noqa: BLE001 - reported to the parent, which raises it
        msg = f"{type(e).__name__}: {e}".encode("utf-8", "replace")
        try:
            out.write(FRAME.pack(b"X", len(msg), 0) + msg)
            out.flush()
        except OSError:
            pass


if __name__ == "__main__":
    main()
